package cutoff

// The symbol half of the interface fingerprint (rustc-facts.md §5): the
// DEFAULT-visibility global symbols an rlib defines are what a dependent that
// was not rebuilt can still link against, and the undefined symbols of the
// dependent are what it needs. binutils `nm` cannot read rustc 1.95 objects
// (its LLVM plugin chokes on the embedded bitcode), so this reads the `ar`
// container itself and each member with debug/elf.

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// ExportedSymbols returns the sorted, de-duplicated names of symbols with
// binding GLOBAL or WEAK, section index != SHN_UNDEF and visibility DEFAULT,
// over every ELF object member of the archive at path (an rlib or any `ar`
// archive) except `lib.rmeta` and the archive's symbol/long-name tables.
// A plain ELF object file is accepted too. HIDDEN globals are left out: they
// are rustc's cross-codegen-unit internals, which move whenever an edit
// repartitions the crate but which no other crate can reference.
func ExportedSymbols(path string) ([]string, error) {
	s, err := readSymbolFile(path)
	if err != nil {
		return nil, err
	}
	return sortedKeys(s.exported), nil
}

// UndefinedSymbols returns the sorted, de-duplicated names that the ELF
// objects in path (archive or object file) reference (SHN_UNDEF, GLOBAL or
// WEAK) but that no member defines as GLOBAL or WEAK. References between the
// codegen units of one crate are resolved inside the archive, so they are not
// part of what the crate needs from outside.
func UndefinedSymbols(path string) ([]string, error) {
	s, err := readSymbolFile(path)
	if err != nil {
		return nil, err
	}
	for name := range s.defined {
		delete(s.undefined, name)
	}
	return sortedKeys(s.undefined), nil
}

// SymbolSetHash hashes a set of symbol names (as returned, sorted, by
// ExportedSymbols) with xxh3-128. Unsorted or duplicated input is normalised
// first so the hash depends on the set only.
func SymbolSetHash(names []string) Hash {
	if !slices.IsSorted(names) {
		names = slices.Clone(names)
		slices.Sort(names)
	}
	return HashStrings(slices.Compact(slices.Clip(names)))
}

// symbolSets collects the symbols of all objects of one file.
type symbolSets struct {
	exported  map[string]struct{} // defined, GLOBAL/WEAK, DEFAULT visibility
	defined   map[string]struct{} // defined, GLOBAL/WEAK, any visibility
	undefined map[string]struct{} // SHN_UNDEF, GLOBAL/WEAK
}

func newSymbolSets() *symbolSets {
	return &symbolSets{
		exported:  map[string]struct{}{},
		defined:   map[string]struct{}{},
		undefined: map[string]struct{}{},
	}
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func readSymbolFile(path string) (*symbolSets, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read symbols: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read symbols: %w", err)
	}
	s, err := readSymbols(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("read symbols of %s: %w", path, err)
	}
	return s, nil
}

const (
	arMagic      = "!<arch>\n"
	arHeaderSize = 60
	elfMagic     = "\x7fELF"
	// rmetaMember is the metadata member of an rlib: an ELF object holding
	// only a .rmeta section, no code anybody links against.
	rmetaMember = "lib.rmeta"
)

// readSymbols reads an ar archive or a single ELF object of size bytes.
func readSymbols(r io.ReaderAt, size int64) (*symbolSets, error) {
	magic := make([]byte, len(arMagic))
	n, err := r.ReadAt(magic, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read magic: %w", err)
	}
	magic = magic[:n]
	s := newSymbolSets()
	switch {
	case string(magic) == arMagic:
		err := walkArchive(r, size, func(m arMember) error {
			if m.name == rmetaMember || !hasELFMagic(m.data) {
				return nil // not code: metadata, or e.g. a bundled non-object
			}
			if err := s.addObject(m.data); err != nil {
				return fmt.Errorf("member %q at offset %d: %w", m.name, m.offset, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	case bytes.HasPrefix(magic, []byte(elfMagic)):
		if err := s.addObject(io.NewSectionReader(r, 0, size)); err != nil {
			return nil, err
		}
	case string(magic) == "!<thin>\n":
		return nil, errors.New("thin archives are not supported")
	default:
		return nil, fmt.Errorf("neither an ar archive nor an ELF object (starts with %q)", magic)
	}
	return s, nil
}

func hasELFMagic(r io.ReaderAt) bool {
	var b [len(elfMagic)]byte
	n, _ := r.ReadAt(b[:], 0)
	return n == len(b) && string(b[:]) == elfMagic
}

// addObject adds the global symbols of one ELF object.
func (s *symbolSets) addObject(r *io.SectionReader) error {
	if s.addELF64(r) {
		return nil
	}
	return s.addObjectSlow(r)
}

// addObjectSlow is addObject through debug/elf: any class and byte order,
// and the error that says what is wrong with an object.
func (s *symbolSets) addObjectSlow(r io.ReaderAt) error {
	f, err := elf.NewFile(r)
	if err != nil {
		return fmt.Errorf("parse ELF: %w", err)
	}
	syms, err := f.Symbols()
	if errors.Is(err, elf.ErrNoSymbols) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read ELF symbols: %w", err)
	}
	for _, sym := range syms {
		if bind := elf.ST_BIND(sym.Info); (bind != elf.STB_GLOBAL && bind != elf.STB_WEAK) || sym.Name == "" {
			continue
		}
		if sym.Section == elf.SHN_UNDEF {
			s.undefined[sym.Name] = struct{}{}
			continue
		}
		s.defined[sym.Name] = struct{}{}
		if elf.ST_VISIBILITY(sym.Other) == elf.STV_DEFAULT {
			s.exported[sym.Name] = struct{}{}
		}
	}
	return nil
}

// arMember is one ordinary file stored in an ar archive.
type arMember struct {
	name   string
	offset int64 // of its header, for error messages
	data   *io.SectionReader
}

// walkArchive calls fn for every ordinary member of the ar archive in r
// (size bytes, starting with arMagic), in order. It reads only the headers
// and the long-name table; fn gets a window on the member's bytes, so an
// rlib of tens of MB is never held in memory. The symbol tables (`/`,
// `/SYM64/`) and the GNU long-name table (`//`) are consumed here.
// Understands the GNU/System V format that rustc writes on Linux (`name/`,
// `/N` into `//`) and BSD `#1/N` names.
func walkArchive(r io.ReaderAt, size int64, fn func(arMember) error) error {
	var longNames []byte
	var hdr [arHeaderSize]byte
	off := int64(len(arMagic))
	for off < size {
		if size-off < arHeaderSize {
			return fmt.Errorf("truncated member header at offset %d: %d bytes left, need %d", off, size-off, arHeaderSize)
		}
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return fmt.Errorf("read member header at offset %d: %w", off, err)
		}
		if string(hdr[58:60]) != "`\n" {
			return fmt.Errorf("bad member header at offset %d: terminator is %q, want \"`\\n\"", off, hdr[58:60])
		}
		msize, ok := parseDecimal(hdr[48:58])
		if !ok {
			return fmt.Errorf("bad member header at offset %d: size field %q is not a decimal number", off, hdr[48:58])
		}
		dataOff := off + arHeaderSize
		if msize > size-dataOff {
			return fmt.Errorf("truncated archive: member at offset %d claims %d bytes, only %d left", off, msize, size-dataOff)
		}
		raw := strings.TrimRight(string(hdr[0:16]), " ")
		next := dataOff + msize + msize&1 // members start on even offsets
		var name string
		switch {
		case raw == "/" || raw == "/SYM64/" || raw == "__.SYMDEF" || raw == "__.SYMDEF SORTED":
			off = next
			continue // symbol index: the linker's business, derived from the members
		case raw == "//":
			longNames = make([]byte, msize)
			if _, err := r.ReadAt(longNames, dataOff); err != nil {
				return fmt.Errorf("read long-name table at offset %d: %w", off, err)
			}
			off = next
			continue
		case strings.HasPrefix(raw, "#1/"):
			// BSD: the name is stored at the start of the data.
			n, ok := parseDecimal([]byte(raw[3:]))
			if !ok || n > msize {
				return fmt.Errorf("bad member header at offset %d: BSD name length %q invalid for a %d-byte member", off, raw[3:], msize)
			}
			b := make([]byte, n)
			if _, err := r.ReadAt(b, dataOff); err != nil {
				return fmt.Errorf("read member name at offset %d: %w", off, err)
			}
			name = string(bytes.TrimRight(b, "\x00"))
			dataOff += n
			msize -= n
		case len(raw) > 1 && raw[0] == '/':
			i, ok := parseDecimal([]byte(raw[1:]))
			if !ok {
				return fmt.Errorf("bad member header at offset %d: name %q", off, raw)
			}
			if i >= int64(len(longNames)) {
				return fmt.Errorf("bad member header at offset %d: long name %q outside the %d-byte long-name table", off, raw, len(longNames))
			}
			name = longName(longNames[i:])
		default:
			name = strings.TrimSuffix(raw, "/")
		}
		if err := fn(arMember{name: name, offset: off, data: io.NewSectionReader(r, dataOff, msize)}); err != nil {
			return err
		}
		off = next
	}
	return nil
}

// longName cuts one entry out of a GNU long-name table: "name/\n".
func longName(b []byte) string {
	if i := bytes.IndexAny(b, "\n\x00"); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSuffix(string(b), "/")
}

// parseDecimal parses a space-padded, non-negative decimal header field.
// strconv alone would also accept signs, which no archive writes.
func parseDecimal(field []byte) (int64, bool) {
	s := strings.TrimRight(string(field), " ")
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
