package cutoff

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// A presence stamp changes when its path comes, goes or changes kind
// (file, directory, something else), never when the file's content
// does; it survives the query cache's JSON.
func TestPresenceStamp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "build.rs")
	stamp := func() Stamp {
		t.Helper()
		s, err := PresenceStamp(p)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Stamp
		if err := json.Unmarshal(data, &back); err != nil || back != s {
			t.Fatalf("JSON round trip: %+v became %+v (%v)", s, back, err)
		}
		return s
	}
	steps := []struct {
		what    string
		do      func() error
		changed bool
	}{
		{"created", func() error { return os.WriteFile(p, []byte("fn main() {}\n"), 0o644) }, true},
		{"rewritten", func() error { return os.WriteFile(p, []byte("fn main() { println!(\"other\"); }\n"), 0o644) }, false},
		{"emptied", func() error { return os.WriteFile(p, nil, 0o644) }, false},
		{"removed", func() error { return os.Remove(p) }, true},
		{"made a directory", func() error { return os.Mkdir(p, 0o755) }, true},
		{"given an entry", func() error { return os.WriteFile(filepath.Join(p, "x"), nil, 0o644) }, false},
		{"made a file again", func() error {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			return os.WriteFile(p, nil, 0o644)
		}, true},
		{"made a dangling symlink", func() error {
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Symlink(filepath.Join(dir, "nowhere"), p)
		}, true},
		{"symlink target created", func() error { return os.WriteFile(filepath.Join(dir, "nowhere"), nil, 0o644) }, true},
	}
	prev := stamp()
	if prev.Size != -1 || !prev.Presence {
		t.Fatalf("missing path stamped %+v", prev)
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		if got := prev.Changed(); got != s.changed {
			t.Errorf("%s: Changed() = %v, want %v", s.what, got, s.changed)
		}
		prev = stamp()
		if prev.Changed() {
			t.Errorf("%s: a fresh stamp reports a change", s.what)
		}
	}
	// A path under a file (src/lib.rs where src is a file) does not exist.
	under, err := PresenceStamp(filepath.Join(p, "lib.rs"))
	if err != nil || under.Size != -1 {
		t.Errorf("path under a file: %+v, %v", under, err)
	}
}
