package cutoff

import (
	"bytes"
	"encoding/binary"
	"io"
)

// ELF64 little-endian layout (the System V gABI), as rustc writes objects
// for x86_64 and aarch64 Linux.
const (
	elfClass64    = 2
	elfData2LSB   = 1
	elf64Ehdr     = 64
	elf64Shdr     = 64
	elf64Sym      = 24
	shtSymtab     = 2
	shtStrtab     = 3
	stbGlobal     = 1
	stbWeak       = 2
	stvDefault    = 0
	shnUndef      = 0
	maxSymtabSize = 1 << 30
)

// addELF64 is addObject for the objects rustc writes, reading only the
// section headers, the symbol table and its string table, and making a
// string only of global names. debug/elf's Symbols builds every symbol,
// locals and their names included: 50 ms and 29k allocations for the
// regex-syntax rlib, ~1 s of CPU in a build that recompiles the Debian
// workspace's 16 libs above memchr. It reports false, having added
// nothing, for anything it does not expect (another class or byte order,
// extended section numbering, a table out of bounds): debug/elf then
// reads the object, and reports what is wrong with it.
func (s *symbolSets) addELF64(r *io.SectionReader) bool {
	size := r.Size()
	var eh [elf64Ehdr]byte
	if _, err := r.ReadAt(eh[:], 0); err != nil {
		return false
	}
	if string(eh[:4]) != elfMagic || eh[4] != elfClass64 || eh[5] != elfData2LSB {
		return false
	}
	le := binary.LittleEndian
	shoff, shentsize, shnum := le.Uint64(eh[0x28:]), le.Uint16(eh[0x3A:]), uint64(le.Uint16(eh[0x3C:]))
	if shnum == 0 || shentsize != elf64Shdr || shoff > uint64(size) || shnum*elf64Shdr > uint64(size)-shoff {
		return false
	}
	shdrs := make([]byte, shnum*elf64Shdr)
	if _, err := r.ReadAt(shdrs, int64(shoff)); err != nil {
		return false
	}
	section := func(i uint64) (typ uint32, off, n uint64, link uint32, entsize uint64, ok bool) {
		sh := shdrs[i*elf64Shdr:]
		typ, off, n, link, entsize = le.Uint32(sh[4:]), le.Uint64(sh[0x18:]), le.Uint64(sh[0x20:]), le.Uint32(sh[0x28:]), le.Uint64(sh[0x38:])
		ok = off <= uint64(size) && n <= uint64(size)-off && n <= maxSymtabSize
		return
	}
	for i := uint64(0); i < shnum; i++ {
		typ, off, n, link, entsize, ok := section(i)
		if typ != shtSymtab {
			continue
		}
		if !ok || entsize != elf64Sym || n%elf64Sym != 0 || uint64(link) >= shnum {
			return false
		}
		strTyp, strOff, strN, _, _, strOK := section(uint64(link))
		if !strOK || strTyp != shtStrtab {
			return false
		}
		syms, strs := make([]byte, n), make([]byte, strN)
		if _, err := r.ReadAt(syms, int64(off)); err != nil {
			return false
		}
		if _, err := r.ReadAt(strs, int64(strOff)); err != nil {
			return false
		}
		// Entry 0 is the null symbol, as debug/elf skips it.
		for e := syms[min(len(syms), elf64Sym):]; len(e) >= elf64Sym; e = e[elf64Sym:] {
			info, other, shndx := e[4], e[5], le.Uint16(e[6:])
			if bind := info >> 4; bind != stbGlobal && bind != stbWeak {
				continue
			}
			name := cString(strs, le.Uint32(e[0:]))
			if name == "" {
				continue
			}
			switch {
			case shndx == shnUndef:
				s.undefined[name] = struct{}{}
			default:
				s.defined[name] = struct{}{}
				if other&3 == stvDefault {
					s.exported[name] = struct{}{}
				}
			}
		}
		return true // debug/elf reads the first symbol table only
	}
	return true // no symbol table: no symbols (elf.ErrNoSymbols)
}

// cString is the NUL-terminated string at off in a string table; "" when
// off is out of it or the string unterminated (debug/elf's getString
// gives up the same way).
func cString(strs []byte, off uint32) string {
	if uint64(off) >= uint64(len(strs)) {
		return ""
	}
	b := strs[off:]
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "" // unterminated, as debug/elf's getString
	}
	return string(b[:i])
}
