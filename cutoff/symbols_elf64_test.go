package cutoff

import (
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The ELF64 reader finds, in every object of real rustc output, exactly
// the symbols debug/elf finds: the standard library's rlibs from the
// toolchain's sysroot (hundreds of objects, v0 and legacy names, weak,
// hidden and undefined symbols) and an rlib compiled here.
func TestELF64MatchesDebugELF(t *testing.T) {
	rustc := findRustc(t)
	out, err := exec.Command(rustc, "--print", "target-libdir").Output()
	if err != nil {
		t.Fatalf("rustc --print target-libdir: %v", err)
	}
	rlibs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "lib*.rlib"))
	dir := t.TempDir()
	src := filepath.Join(dir, "a.rs")
	writeFile(t, src, crateASource("x.wrapping_add(3)", ""))
	rlibs = append(rlibs, compileRlib(t, false, src, "a", dir, "-C", "codegen-units=4"))
	objects := 0
	for _, rlib := range rlibs {
		f, err := os.Open(rlib)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		err = walkArchive(f, st.Size(), func(m arMember) error {
			if m.name == rmetaMember || !hasELFMagic(m.data) {
				return nil
			}
			objects++
			fast, slow := newSymbolSets(), newSymbolSets()
			if !fast.addELF64(m.data) {
				t.Errorf("%s(%s): the ELF64 reader declined a rustc object", filepath.Base(rlib), m.name)
				return nil
			}
			if err := slow.addObjectSlow(m.data); err != nil {
				return err
			}
			for _, c := range []struct {
				what       string
				fast, slow map[string]struct{}
			}{{"exported", fast.exported, slow.exported}, {"defined", fast.defined, slow.defined}, {"undefined", fast.undefined, slow.undefined}} {
				if !maps.Equal(c.fast, c.slow) {
					t.Errorf("%s(%s): %s symbols differ: %d read here, %d by debug/elf", filepath.Base(rlib), m.name, c.what, len(c.fast), len(c.slow))
				}
			}
			return nil
		})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", rlib, err)
		}
	}
	if objects < 10 {
		t.Fatalf("only %d objects compared", objects)
	}
	t.Logf("%d objects in %d rlibs compared", objects, len(rlibs))
}

// Whatever bytes it gets, the ELF64 reader either declines or agrees with
// debug/elf wherever debug/elf reads the object.
func FuzzELF64Symbols(f *testing.F) {
	f.Add(obj1)
	f.Add(obj2)
	f.Add(obj1[:64])
	f.Fuzz(func(t *testing.T, data []byte) {
		r := io.NewSectionReader(strings.NewReader(string(data)), 0, int64(len(data)))
		fast, slow := newSymbolSets(), newSymbolSets()
		if !fast.addELF64(r) || slow.addObjectSlow(r) != nil {
			return
		}
		if !maps.Equal(fast.exported, slow.exported) || !maps.Equal(fast.defined, slow.defined) || !maps.Equal(fast.undefined, slow.undefined) {
			t.Fatalf("symbols differ: exported %v/%v defined %v/%v undefined %v/%v",
				fast.exported, slow.exported, fast.defined, slow.defined, fast.undefined, slow.undefined)
		}
	})
}
