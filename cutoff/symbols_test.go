package cutoff

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// --- the real rustc -------------------------------------------------------

var (
	rustcOnce sync.Once
	rustcPath string
	rustcErr  error
)

// findRustc returns the toolchain's rustc binary itself (not the rustup
// proxy, which costs a few ms per call), or skips the test when there is none.
func findRustc(tb testing.TB) string {
	tb.Helper()
	rustcOnce.Do(func() {
		p, err := exec.LookPath("rustc")
		if err != nil {
			rustcErr = err
			return
		}
		if out, err := exec.Command(p, "--print", "sysroot").Output(); err == nil {
			real := filepath.Join(strings.TrimSpace(string(out)), "bin", "rustc")
			if st, err := os.Stat(real); err == nil && !st.IsDir() {
				p = real
			}
		}
		rustcPath = p
	})
	if rustcPath == "" {
		tb.Skipf("rustc not found (%v): these tests compile real crates", rustcErr)
	}
	return rustcPath
}

// mangling modes: stable rustc 1.95 still mangles user crates with the legacy
// scheme by default; with RUSTC_BOOTSTRAP=1 (as for rbuild's -Z flags) it
// behaves like nightly and uses v0. The symbol rules must hold for both.
var manglings = []struct {
	name      string
	bootstrap bool
}{
	{"default", false},
	{"RUSTC_BOOTSTRAP", true},
}

// compileRlib compiles src (a path) as rlib crate name into outDir and
// returns the rlib's path.
func compileRlib(tb testing.TB, bootstrap bool, src, name, outDir string, extra ...string) string {
	tb.Helper()
	args := append([]string{"--edition", "2021", "--crate-type", "rlib", "--crate-name", name,
		"-C", "metadata=x", src, "--out-dir", outDir}, extra...)
	cmd := exec.Command(findRustc(tb), args...)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RUSTC_BOOTSTRAP=") {
			env = append(env, kv)
		}
	}
	if bootstrap {
		env = append(env, "RUSTC_BOOTSTRAP=1")
	}
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("rustc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return filepath.Join(outDir, "lib"+name+".rlib")
}

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// rustFnSymbol finds the symbol of the non-generic fn at path (crate first)
// in either mangling: legacy `_ZN1a1f17h<hash>E` or v0 `_RNv…_1a1f`.
func rustFnSymbol(names []string, path ...string) (string, bool) {
	var enc strings.Builder
	for _, seg := range path {
		fmt.Fprintf(&enc, "%d%s", len(seg), seg)
	}
	legacy := "_ZN" + enc.String() + "17h"
	for _, n := range names {
		if strings.HasPrefix(n, legacy) && len(n) == len(legacy)+17 && strings.HasSuffix(n, "E") {
			return n, true
		}
		if strings.HasPrefix(n, "_RNv") && strings.HasSuffix(n, "_"+enc.String()) {
			return n, true
		}
	}
	return "", false
}

// readelfRule applies the §5 rule to `readelf -sW` output, as an oracle
// independent of debug/elf and of this package's ar reader.
type readelfRule struct {
	exported, hidden, undefined []string
}

func readelfSymbols(tb testing.TB, path string) (readelfRule, bool) {
	tb.Helper()
	re, err := exec.LookPath("readelf")
	if err != nil {
		tb.Logf("readelf not found, skipping the cross-check: %v", err)
		return readelfRule{}, false
	}
	out, err := exec.Command(re, "-sW", path).Output()
	if err != nil {
		tb.Fatalf("readelf -sW %s: %v", path, err)
	}
	exp, hid, def, und := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	member := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "File: "); ok {
			member = ""
			if i := strings.LastIndexByte(rest, '('); i >= 0 {
				member = strings.TrimSuffix(rest[i+1:], ")")
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) < 8 || !strings.HasSuffix(f[0], ":") || f[0] == "Num:" || member == rmetaMember {
			continue
		}
		bind, vis, ndx, name := f[4], f[5], f[6], f[7]
		if bind != "GLOBAL" && bind != "WEAK" {
			continue
		}
		switch {
		case ndx == "UND":
			und[name] = true
		case vis == "DEFAULT":
			exp[name], def[name] = true, true
		default:
			def[name] = true
			if vis == "HIDDEN" {
				hid[name] = true
			}
		}
	}
	for n := range def {
		delete(und, n)
	}
	keys := func(m map[string]bool) []string {
		var s []string
		for k := range m {
			s = append(s, k)
		}
		slices.Sort(s)
		return s
	}
	return readelfRule{exported: keys(exp), hidden: keys(hid), undefined: keys(und)}, true
}

func mustExported(tb testing.TB, path string) []string {
	tb.Helper()
	s, err := ExportedSymbols(path)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func mustUndefined(tb testing.TB, path string) []string {
	tb.Helper()
	s, err := UndefinedSymbols(path)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Modules that call each other across codegen units: with -C
// codegen-units=4 rustc gives m1::g and m3::k their own CGUs and makes them
// GLOBAL HIDDEN so the other CGUs can call them.
const crateA = `
mod m1 { pub fn g(x: u32) -> u32 { super::m2::h(x).wrapping_add(1) } }
mod m2 { pub fn h(x: u32) -> u32 { super::m3::k(x).wrapping_mul(2) } }
mod m3 { pub fn k(x: u32) -> u32 { x ^ 7 } }
pub fn f(x: u32) -> u32 { m1::g(x).wrapping_add(helper(x)) }
fn helper(x: u32) -> u32 { HELPER_BODY }
#[no_mangle] pub extern "C" fn foo_c() -> u32 { 5 }
pub fn uses_vec() -> Vec<u8> { let mut v = Vec::new(); v.push(1); v }
`

func crateASource(helperBody, extra string) string {
	return strings.Replace(crateA, "HELPER_BODY", helperBody, 1) + extra
}

// --- rustc-built rlibs ------------------------------------------------------

func TestExportedSymbolsRustc(t *testing.T) {
	findRustc(t)
	for _, m := range manglings {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "a.rs")
			writeFile(t, src, crateASource("x.wrapping_add(3)", ""))
			rlib := compileRlib(t, m.bootstrap, src, "a", dir, "-C", "codegen-units=4")
			got := mustExported(t, rlib)
			if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("not sorted and de-duplicated: %q", got)
			}

			f, ok := rustFnSymbol(got, "a", "f")
			if !ok {
				t.Fatalf("pub fn a::f missing from %q", got)
			}
			if m.bootstrap && !strings.HasPrefix(f, "_R") {
				t.Errorf("a::f is %q, want v0 mangling under RUSTC_BOOTSTRAP=1", f)
			}
			t.Logf("a::f is %s", f)
			if !slices.Contains(got, "foo_c") {
				t.Errorf("#[no_mangle] foo_c missing from %q", got)
			}
			for _, private := range [][]string{{"a", "helper"}, {"a", "m1", "g"}, {"a", "m3", "k"}} {
				if s, ok := rustFnSymbol(got, private...); ok {
					t.Errorf("unreachable fn %s exported as %s", strings.Join(private, "::"), s)
				}
			}

			ref, ok := readelfSymbols(t, rlib)
			if !ok {
				return
			}
			if !slices.Equal(got, ref.exported) {
				t.Errorf("ExportedSymbols = %q\nreadelf rule   = %q", got, ref.exported)
			}
			crateHidden := 0
			for _, p := range [][]string{{"a", "m1", "g"}, {"a", "m2", "h"}, {"a", "m3", "k"}} {
				if _, ok := rustFnSymbol(ref.hidden, p...); ok {
					crateHidden++
				}
			}
			if crateHidden == 0 {
				t.Fatalf("readelf shows none of a's module fns as HIDDEN globals with 4 CGUs (%q): the test no longer exercises the visibility filter", ref.hidden)
			}
			for _, h := range ref.hidden {
				if slices.Contains(got, h) {
					t.Errorf("HIDDEN symbol %s exported", h)
				}
			}
			t.Logf("HIDDEN globals excluded: %q", ref.hidden)
			if und := mustUndefined(t, rlib); !slices.Equal(und, ref.undefined) {
				t.Errorf("UndefinedSymbols = %q\nreadelf rule     = %q", und, ref.undefined)
			}
		})
	}
}

func TestUndefinedSymbolsDependentRustc(t *testing.T) {
	findRustc(t)
	for _, m := range manglings {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			srcA, srcB := filepath.Join(dir, "a.rs"), filepath.Join(dir, "b.rs")
			writeFile(t, srcA, crateASource("x.wrapping_add(3)", ""))
			writeFile(t, srcB, "pub fn g(x: u32) -> u32 { a::f(x).wrapping_add(1) }\n")
			liba := compileRlib(t, m.bootstrap, srcA, "a", dir)
			libb := compileRlib(t, m.bootstrap, srcB, "b", dir, "--extern", "a="+liba, "-L", "dependency="+dir)

			fa, ok := rustFnSymbol(mustExported(t, liba), "a", "f")
			if !ok {
				t.Fatal("a::f not exported")
			}
			und := mustUndefined(t, libb)
			if !slices.Contains(und, fa) {
				t.Errorf("b's undefined symbols lack a::f (%s): %q", fa, und)
			}
			if g, ok := rustFnSymbol(mustExported(t, libb), "b", "g"); !ok {
				t.Error("b::g not exported")
			} else if slices.Contains(und, g) {
				t.Errorf("b's own %s listed as undefined", g)
			}
			if ref, ok := readelfSymbols(t, libb); ok && !slices.Equal(und, ref.undefined) {
				t.Errorf("UndefinedSymbols = %q\nreadelf rule     = %q", und, ref.undefined)
			}
		})
	}
}

// TestExportedSymbolsEditsRustc checks the fingerprint's purpose at opt-level
// 0 with default flags: a private body edit keeps the set, a new pub fn adds
// exactly its symbol.
func TestExportedSymbolsEditsRustc(t *testing.T) {
	findRustc(t)
	for _, m := range manglings {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "a.rs") // one path: it feeds the crate hash
			build := func(name, source string) []string {
				writeFile(t, src, source)
				out := filepath.Join(dir, name)
				if err := os.Mkdir(out, 0o755); err != nil {
					t.Fatal(err)
				}
				return mustExported(t, compileRlib(t, m.bootstrap, src, "a", out))
			}
			base := build("base", crateASource("x.wrapping_add(3)", ""))
			edited := build("edited", crateASource("x.wrapping_mul(5) ^ 1", ""))
			added := build("added", crateASource("x.wrapping_add(3)", "pub fn added(x: u32) -> u32 { x / 3 }\n"))

			if !slices.Equal(base, edited) || SymbolSetHash(base) != SymbolSetHash(edited) {
				t.Errorf("private body edit changed the set:\nbefore %q\nafter  %q", base, edited)
			}
			var extra []string
			for _, s := range added {
				if !slices.Contains(base, s) {
					extra = append(extra, s)
				}
			}
			if len(extra) != 1 || len(added) != len(base)+1 {
				t.Fatalf("new pub fn: want exactly one added symbol, got %q (before %q)", extra, base)
			}
			if _, ok := rustFnSymbol(extra, "a", "added"); !ok {
				t.Errorf("added symbol %q is not a::added", extra[0])
			}
			if SymbolSetHash(base) == SymbolSetHash(added) {
				t.Error("hash ignores the added symbol")
			}
		})
	}
}

// --- hand-built ELF objects and archives ---------------------------------

type testSym struct {
	name  string
	bind  elf.SymBind
	vis   elf.SymVis
	undef bool
}

// buildELF writes a minimal x86_64 ELF relocatable with a .text section and
// the given symbols, so the archive tests need no toolchain.
func buildELF(syms []testSym) []byte {
	le := binary.LittleEndian
	// Locals first, as the ELF spec requires (sh_info = first global).
	syms = slices.Clone(syms)
	slices.SortStableFunc(syms, func(a, b testSym) int {
		return boolInt(a.bind != elf.STB_LOCAL) - boolInt(b.bind != elf.STB_LOCAL)
	})
	strtab := []byte{0}
	var symtab bytes.Buffer
	binary.Write(&symtab, le, elf.Sym64{})
	firstGlobal := uint32(1)
	for i, s := range syms {
		if s.bind == elf.STB_LOCAL {
			firstGlobal = uint32(i + 2)
		}
		shndx := uint16(1)
		if s.undef {
			shndx = uint16(elf.SHN_UNDEF)
		}
		binary.Write(&symtab, le, elf.Sym64{
			Name:  uint32(len(strtab)),
			Info:  elf.ST_INFO(s.bind, elf.STT_FUNC),
			Other: uint8(s.vis),
			Shndx: shndx,
		})
		strtab = append(append(strtab, s.name...), 0)
	}
	shstrtab := []byte("\x00.text\x00.symtab\x00.strtab\x00.shstrtab\x00")
	text := make([]byte, 16)

	const hdrSize = 64
	offText := int64(hdrSize)
	offSym := offText + int64(len(text))
	offStr := offSym + int64(symtab.Len())
	offShstr := offStr + int64(len(strtab))
	offSh := (offShstr + int64(len(shstrtab)) + 7) &^ 7

	var out bytes.Buffer
	h := elf.Header64{
		Type: uint16(elf.ET_REL), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Shoff: uint64(offSh), Ehsize: hdrSize, Shentsize: 64, Shnum: 5, Shstrndx: 4,
	}
	copy(h.Ident[:], elfMagic)
	h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	binary.Write(&out, le, h)
	out.Write(text)
	out.Write(symtab.Bytes())
	out.Write(strtab)
	out.Write(shstrtab)
	out.Write(make([]byte, offSh-int64(out.Len())))
	sections := []elf.Section64{
		{},
		{Name: 1, Type: uint32(elf.SHT_PROGBITS), Flags: uint64(elf.SHF_ALLOC | elf.SHF_EXECINSTR), Off: uint64(offText), Size: uint64(len(text)), Addralign: 16},
		{Name: 7, Type: uint32(elf.SHT_SYMTAB), Off: uint64(offSym), Size: uint64(symtab.Len()), Link: 3, Info: firstGlobal, Addralign: 8, Entsize: 24},
		{Name: 15, Type: uint32(elf.SHT_STRTAB), Off: uint64(offStr), Size: uint64(len(strtab)), Addralign: 1},
		{Name: 23, Type: uint32(elf.SHT_STRTAB), Off: uint64(offShstr), Size: uint64(len(shstrtab)), Addralign: 1},
	}
	for _, s := range sections {
		binary.Write(&out, le, s)
	}
	return out.Bytes()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// arEntry is a raw archive member: name goes into the header verbatim.
type arEntry struct {
	name string
	data []byte
}

func buildArchive(entries ...arEntry) []byte {
	out := []byte(arMagic)
	for _, e := range entries {
		out = fmt.Appendf(out, "%-16s%-12s%-6s%-6s%-8s%-10d`\n", e.name, "0", "0", "0", "644", len(e.data))
		out = append(out, e.data...)
		if len(e.data)%2 == 1 {
			out = append(out, '\n')
		}
	}
	return out
}

var (
	obj1 = buildELF([]testSym{
		{"exp_a", elf.STB_GLOBAL, elf.STV_DEFAULT, false},
		{"hid", elf.STB_GLOBAL, elf.STV_HIDDEN, false},
		{"prot", elf.STB_GLOBAL, elf.STV_PROTECTED, false},
		{"weak_w", elf.STB_WEAK, elf.STV_DEFAULT, false},
		{"loc", elf.STB_LOCAL, elf.STV_DEFAULT, false},
		{"und_x", elf.STB_GLOBAL, elf.STV_DEFAULT, true},
		{"weak_u", elf.STB_WEAK, elf.STV_DEFAULT, true},
		{"exp_b", elf.STB_GLOBAL, elf.STV_DEFAULT, true}, // defined by obj2
	})
	obj2 = buildELF([]testSym{
		{"exp_b", elf.STB_GLOBAL, elf.STV_DEFAULT, false},
		{"exp_a", elf.STB_WEAK, elf.STV_DEFAULT, false}, // duplicate name
		{"hid", elf.STB_GLOBAL, elf.STV_HIDDEN, true},   // defined (hidden) by obj1
		{"und_x", elf.STB_GLOBAL, elf.STV_DEFAULT, true},
	})
	rmetaObj = buildELF([]testSym{{"rmeta_only", elf.STB_GLOBAL, elf.STV_DEFAULT, false}})
)

// testArchive has every feature the reader must handle: a `/` symbol table,
// a `//` long-name table with `/N` references, an odd-sized ELF member and
// an odd-sized non-ELF member (padding), lib.rmeta, and a BSD `#1/N` name.
func testArchive() []byte {
	bsdName := []byte("bsd-member.o\x00\x00\x00\x00")
	return buildArchive(
		arEntry{"/", []byte("\x00\x00\x00\x01\x00\x00\x00\x08exp_a\x00")},
		arEntry{"//", []byte("a-very-long-member-name.rcgu.o/\nsecond-long-name-here.o/\n")},
		arEntry{"/0", append(slices.Clone(obj1), 0)}, // odd size
		arEntry{"notes.txt/", []byte("hello")},
		arEntry{"lib.rmeta/", rmetaObj},
		arEntry{fmt.Sprintf("#1/%d", len(bsdName)), append(slices.Clone(bsdName), obj2...)},
		arEntry{"/32", []byte("xyz")},
	)
}

func writeTemp(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestArchiveMembers(t *testing.T) {
	ar := testArchive()
	var names []string
	var sizes []int64
	err := walkArchive(bytes.NewReader(ar), int64(len(ar)), func(m arMember) error {
		names = append(names, m.name)
		sizes = append(sizes, m.data.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"a-very-long-member-name.rcgu.o", "notes.txt", "lib.rmeta", "bsd-member.o", "second-long-name-here.o"}
	wantSizes := []int64{int64(len(obj1) + 1), 5, int64(len(rmetaObj)), int64(len(obj2)), 3}
	if !slices.Equal(names, wantNames) || !slices.Equal(sizes, wantSizes) {
		t.Errorf("members %q sizes %v, want %q %v", names, sizes, wantNames, wantSizes)
	}
}

func TestArchiveSymbols(t *testing.T) {
	path := writeTemp(t, "libx.rlib", testArchive())
	if got, want := mustExported(t, path), []string{"exp_a", "exp_b", "weak_w"}; !slices.Equal(got, want) {
		t.Errorf("ExportedSymbols = %q, want %q", got, want)
	}
	if got, want := mustUndefined(t, path), []string{"und_x", "weak_u"}; !slices.Equal(got, want) {
		t.Errorf("UndefinedSymbols = %q, want %q", got, want)
	}
	// The same rule on a plain object file.
	obj := writeTemp(t, "x.o", obj1)
	if got, want := mustExported(t, obj), []string{"exp_a", "weak_w"}; !slices.Equal(got, want) {
		t.Errorf("object ExportedSymbols = %q, want %q", got, want)
	}
	if got, want := mustUndefined(t, obj), []string{"exp_b", "und_x", "weak_u"}; !slices.Equal(got, want) {
		t.Errorf("object UndefinedSymbols = %q, want %q", got, want)
	}
	// An empty archive is valid and empty.
	if got := mustExported(t, writeTemp(t, "empty.a", []byte(arMagic))); len(got) != 0 {
		t.Errorf("empty archive: %q", got)
	}
}

func TestSymbolSetHash(t *testing.T) {
	a := SymbolSetHash([]string{"x", "y"})
	if a != SymbolSetHash([]string{"y", "x", "x"}) {
		t.Error("hash depends on order or duplicates")
	}
	if a == SymbolSetHash([]string{"xy"}) || a == SymbolSetHash([]string{"x"}) || a == SymbolSetHash(nil) {
		t.Error("hash collides for different sets")
	}
	in := []string{"b", "a"}
	SymbolSetHash(in)
	if in[0] != "b" {
		t.Error("SymbolSetHash reordered its input")
	}
}

func TestArchiveErrors(t *testing.T) {
	good := testArchive()
	hdr := func(name, size, term string) string {
		return fmt.Sprintf("%-16s%-12s%-6s%-6s%-8s%-10s%s", name, "0", "0", "0", "644", size, term)
	}
	cases := []struct {
		name, data, want string
	}{
		{"not an archive", "hello, world", "neither an ar archive nor an ELF object"},
		{"empty file", "", "neither"},
		{"thin archive", "!<thin>\n", "thin archives"},
		{"truncated header", string(good[:len(arMagic)+30]), "truncated member header at offset 8"},
		{"truncated data", string(good[:len(arMagic)+arHeaderSize+3]), "truncated archive: member at offset 8"},
		{"bad size", arMagic + hdr("x.o/", "12x", "`\n"), "size field"},
		{"negative size", arMagic + hdr("x.o/", "-1", "`\n"), "size field"},
		{"bad terminator", arMagic + hdr("x.o/", "0", "!!"), "terminator"},
		{"long name without table", arMagic + hdr("/5", "0", "`\n"), "long name \"/5\" outside"},
		{"long name out of range", arMagic + hdr("//", "4", "`\n") + "ab/\n" + hdr("/999", "0", "`\n"), "offset 72"},
		{"bad long name ref", arMagic + hdr("/x1", "0", "`\n"), "name \"/x1\""},
		{"BSD name too long", arMagic + hdr("#1/20", "4", "`\n") + "abcd", "BSD name length"},
		{"bad ELF member", arMagic + hdr("bad.o/", "8", "`\n") + "\x7fELFjunk", "member \"bad.o\" at offset 8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, "bad.rlib", []byte(c.data))
			for _, read := range []func(string) ([]string, error){ExportedSymbols, UndefinedSymbols} {
				_, err := read(path)
				if err == nil {
					t.Fatal("no error")
				}
				if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("error %q should name %s and say %q", err, path, c.want)
				}
			}
		})
	}
	if _, err := ExportedSymbols(filepath.Join(t.TempDir(), "missing.rlib")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestArchiveTruncations cuts the test archive at every length: no panic,
// and every structural error says where.
func TestArchiveTruncations(t *testing.T) {
	good := testArchive()
	for n := 0; n <= len(good); n++ {
		_, err := readSymbols(bytes.NewReader(good[:n]), int64(n))
		if err != nil && n >= len(arMagic) && !strings.Contains(err.Error(), "offset") {
			t.Errorf("cut at %d: error without offset: %v", n, err)
		}
	}
}

func FuzzArchiveReader(f *testing.F) {
	good := testArchive()
	f.Add(good)
	f.Add(good[:100])
	f.Add(obj1)
	f.Add([]byte(arMagic))
	f.Add(buildArchive(arEntry{"//", []byte("x/\n")}, arEntry{"/0", obj2}))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		if s, err := readSymbols(r, int64(len(data))); err == nil {
			if got := sortedKeys(s.exported); !slices.IsSorted(got) {
				t.Fatal("unsorted")
			}
		}
		// Also walk from offset 8 whatever the magic, so the fuzzer need not
		// rediscover it to reach the header parser.
		if len(data) >= len(arMagic) {
			_ = walkArchive(r, int64(len(data)), func(m arMember) error {
				if m.data.Size() < 0 {
					t.Fatalf("member %q has negative size", m.name)
				}
				_, err := io.Copy(io.Discard, m.data)
				return err
			})
		}
	})
}

// --- benchmark -----------------------------------------------------------

// BenchmarkExportedSymbols reads the symbols of a realistic rlib: Debian's
// regex-syntax source built with its default (unicode) features at
// opt-level 0, about 9 MB and 16 objects with rustc 1.95.
func BenchmarkExportedSymbols(b *testing.B) {
	rustc := findRustc(b)
	srcs, _ := filepath.Glob("/usr/share/cargo/registry/regex-syntax-*/src/lib.rs")
	if len(srcs) == 0 {
		b.Skip("no /usr/share/cargo/registry/regex-syntax-*/src/lib.rs (Debian librust-regex-syntax-dev): nothing large to read")
	}
	dir := b.TempDir()
	args := []string{"--edition", "2021", "--crate-type", "rlib", "--crate-name", "regex_syntax",
		"-C", "metadata=x", "--cap-lints", "allow", srcs[len(srcs)-1], "--out-dir", dir}
	for _, feat := range []string{"unicode", "unicode-age", "unicode-bool", "unicode-case",
		"unicode-gencat", "unicode-perl", "unicode-script", "unicode-segment"} {
		args = append(args, "--cfg", fmt.Sprintf("feature=%q", feat))
	}
	if out, err := exec.Command(rustc, args...).CombinedOutput(); err != nil {
		b.Skipf("cannot build %s with this rustc: %v\n%s", srcs[len(srcs)-1], err, out)
	}
	rlib := filepath.Join(dir, "libregex_syntax.rlib")
	st, err := os.Stat(rlib)
	if err != nil {
		b.Fatal(err)
	}
	// A sub-benchmark, so the build above runs once however often b.N grows.
	b.Run("regex_syntax", func(b *testing.B) {
		b.SetBytes(st.Size())
		b.ReportAllocs()
		var n int
		for b.Loop() {
			syms, err := ExportedSymbols(rlib)
			if err != nil {
				b.Fatal(err)
			}
			n = len(syms)
		}
		b.ReportMetric(float64(st.Size())/1e6, "rlib-MB")
		b.ReportMetric(float64(n), "symbols")
	})
}
