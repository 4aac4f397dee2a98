package cutoff

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The hasher reads a file's content only when no stamp it trusts matches
// the file's size and mtime: one remembered from an earlier build, or
// one it made in this build. Peek's stamps are not kept.
func TestHasherTrustsKnownStamps(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.rs")
	if err := os.WriteFile(src, []byte("fn main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	earlier, err := StampPath(src)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHasher()
	h.Remember([]Stamp{earlier})
	steps := []struct {
		what   string
		stamp  func() (Stamp, error)
		hashed int // h.Hashed after the step
	}{
		{"Refresh of a remembered file", func() (Stamp, error) { return h.Refresh(src) }, 0},
		{"Stamp of a file refreshed in this build", func() (Stamp, error) { return h.Stamp(src) }, 0},
		{"Peek of a file refreshed in this build", func() (Stamp, error) { return h.Peek(src) }, 0},
	}
	for _, s := range steps {
		st, err := s.stamp()
		if err != nil || st.Hash != earlier.Hash || h.Hashed != s.hashed {
			t.Fatalf("%s: %+v %v, %d files read, want the earlier stamp and %d read", s.what, st, err, h.Hashed, s.hashed)
		}
	}

	// An edit: a new size and mtime, read once by Peek and not kept, so
	// read again by the next look; a Refresh keeps it.
	later := time.Now().Add(time.Minute)
	if err := os.WriteFile(src, []byte("fn main() { loop {} }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(src, later, later); err != nil {
		t.Fatal(err)
	}
	want, _ := StampPath(src)
	for i, look := range []func(string) (Stamp, error){h.Peek, h.Peek, h.Refresh, h.Stamp, h.Peek} {
		st, err := look(src)
		if err != nil || st.Hash != want.Hash {
			t.Fatalf("look %d after the edit: %+v %v, want hash %v", i, st, err, want.Hash)
		}
	}
	if h.Hashed != 3 {
		t.Errorf("%d files read after the edit, want 3 (each Peek until a Refresh kept the stamp)", h.Hashed)
	}

	// A stamp remembered from an earlier build does not replace one
	// made in this one.
	h.Remember([]Stamp{earlier})
	if st, _ := h.Stamp(src); st.Hash != want.Hash || h.Hashed != 3 {
		t.Errorf("after Remember of an older stamp: %+v, %d read", st, h.Hashed)
	}
}

// PeekInputStamp follows InputStamp's rule: a file changed after the
// action started, or gone, is poisoned.
func TestPeekInputStamp(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.rs")
	if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(src)
	h := NewHasher()
	before, after := st.ModTime().Add(-time.Second), st.ModTime().Add(time.Second)
	if s := h.PeekInputStamp(src, after); s.Hash == Poisoned || s.Size != 1 {
		t.Errorf("a file older than the action's start: %+v", s)
	}
	if s := h.PeekInputStamp(src, before); s.Hash != Poisoned {
		t.Errorf("a file changed after the action started is not poisoned: %+v", s)
	}
	if s := h.PeekInputStamp(filepath.Join(dir, "gone.rs"), after); s.Hash != Poisoned || s.Size != -1 {
		t.Errorf("a missing file: %+v", s)
	}
}
