package cargometa

import (
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/zeebo/xxh3"
)

// Stamp records a file (or a directory listing) as it was when the query
// ran. Size and mtime are a fast path; the content hash decides.
type Stamp struct {
	Path    string
	Dir     bool   `json:",omitempty"`
	Missing bool   `json:",omitempty"`
	Size    int64  `json:",omitempty"`
	Mtime   int64  `json:",omitempty"`
	Hash    string `json:",omitempty"`
}

func StampFile(path string) (Stamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return Stamp{Path: path, Missing: true}, nil
		}
		return Stamp{}, fmt.Errorf("stat %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Stamp{}, fmt.Errorf("read %s: %w", path, err)
	}
	h := xxh3.Hash128(data).Bytes()
	return Stamp{Path: path, Size: st.Size(), Mtime: st.ModTime().UnixNano(), Hash: hex.EncodeToString(h[:])}, nil
}

// StampDir stamps the names in a directory (target auto-discovery reacts to
// files appearing, not to their content).
func StampDir(path string) Stamp {
	entries, err := os.ReadDir(path)
	if err != nil {
		return Stamp{Path: path, Dir: true, Missing: true}
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		n := e.Name()
		if e.Type()&fs.ModeDir != 0 {
			n += "/"
		}
		names = append(names, n)
	}
	sort.Strings(names)
	h := xxh3.HashString128(strings.Join(names, "\x00")).Bytes()
	return Stamp{Path: path, Dir: true, Hash: hex.EncodeToString(h[:])}
}

// Changed tells whether the file or directory differs from the stamp.
func (s Stamp) Changed() bool {
	if s.Dir {
		return StampDir(s.Path) != s
	}
	st, err := os.Stat(s.Path)
	if err != nil {
		return !s.Missing
	}
	if s.Missing {
		return true
	}
	if st.Size() == s.Size && st.ModTime().UnixNano() == s.Mtime {
		return false
	}
	cur, err := StampFile(s.Path)
	return err != nil || cur.Hash != s.Hash
}
