package cache

// Fuzz target for an entry's record (entry.json) as the local store reads
// it back; remote action results have FuzzUnmarshalActionResult. Seeds
// (testdata/fuzz/) are entries rbuild stored building Debian's registry
// crates, and action results made from them the way putEntry makes them.

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeEntry: no panic; an entry that decodes has only files the
// store may name; the checksum is also recomputed over the fuzzed record
// so that the fuzzer gets past it to the checks behind it, and a record
// with a good checksum is read through Lookup like one on disk.
func FuzzDecodeEntry(f *testing.F) {
	e := &Entry{Key: "0123456789abcdef0123", Created: 1, Meta: json.RawMessage(`{"unit":"a"}`),
		Files: []File{{Name: "liba.rlib", Size: 3, SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}}
	e.Sum = e.sum()
	if b, err := json.Marshal(e); err == nil {
		f.Add(b)
	}
	s, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(data []byte) *Entry {
			e, err := decodeEntry(data)
			if err != nil {
				return nil
			}
			for _, fl := range e.Files {
				if !validName(fl.Name) || fl.Size < 0 {
					t.Fatalf("entry accepted with file %+v", fl)
				}
			}
			return e
		}
		check(data)
		var e Entry
		if json.Unmarshal(data, &e) != nil {
			return
		}
		e.Sum = e.sum()
		fixed, err := json.Marshal(&e)
		if err != nil {
			t.Fatalf("decoded entry does not encode: %v", err)
		}
		got := check(fixed)
		if got == nil || !ValidKey(got.Key) {
			return
		}
		dir := s.entryDir(got.Key)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "entry.json"), fixed, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := s.Lookup(got.Key)
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("lookup: %v", err)
		}
		if l != nil && l.Key != got.Key {
			t.Fatalf("lookup of %s found %s", got.Key, l.Key)
		}
		os.RemoveAll(dir)
	})
}
