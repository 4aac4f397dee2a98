package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMaterializeCorrupt damages a stored file in place: the restore must
// fail with ErrCorrupt, drop the entry, and leave the destination alone.
func TestMaterializeCorrupt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, path string)
	}{
		{"flipped byte", flipByte},
		{"truncated", func(t *testing.T, path string) {
			if err := os.Truncate(path, 3); err != nil {
				t.Fatal(err)
			}
		}},
		{"grown", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteString("!"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			key := testKey(tc.name)
			e := publish(t, s, key, map[string]string{"lib.rlib": "good content, long enough"})
			tc.corrupt(t, e.Path("lib.rlib"))

			out := t.TempDir()
			dst := filepath.Join(out, "lib.rlib")
			writeFile(t, dst, "what was there", 0o644)
			err := s.Materialize(e, map[string]string{"lib.rlib": dst})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Materialize = %v, want ErrCorrupt", err)
			}
			if _, err := s.Lookup(key); !errors.Is(err, ErrMiss) {
				t.Errorf("Lookup after the drop = %v, want ErrMiss", err)
			}
			if got := readFile(t, dst); got != "what was there" {
				t.Errorf("destination = %q: replaced by a corrupt file", got)
			}
			assertDirHolds(t, out, "lib.rlib")
			assertEmpty(t, s.root, "trash")
		})
	}
}

// TestLookupCorruptRecord: entry.json that does not check out is dropped
// by Lookup itself.
func TestLookupCorruptRecord(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, s *Store, key string)
	}{
		{"size changed", func(t *testing.T, s *Store, key string) {
			rewrite(t, filepath.Join(s.entryDir(key), "entry.json"), `"size":4`, `"size":5`)
		}},
		{"torn", func(t *testing.T, s *Store, key string) {
			path := filepath.Join(s.entryDir(key), "entry.json")
			if err := os.Truncate(path, 20); err != nil {
				t.Fatal(err)
			}
		}},
		{"another key's record", func(t *testing.T, s *Store, key string) {
			// Self-consistent (its sum checks out) but for another key.
			other := publish(t, s, testKey("other"), map[string]string{"f": "data"})
			data, err := os.ReadFile(filepath.Join(other.dir, "entry.json"))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(s.entryDir(key), "entry.json"), string(data), 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			key := testKey(tc.name)
			publish(t, s, key, map[string]string{"f": "data"})
			tc.edit(t, s, key)
			if _, err := s.Lookup(key); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Lookup = %v, want ErrCorrupt", err)
			}
			if _, err := os.Stat(s.entryDir(key)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("entry dir still there after ErrCorrupt (%v)", err)
			}
			if _, err := s.Lookup(key); !errors.Is(err, ErrMiss) {
				t.Errorf("second Lookup = %v, want ErrMiss", err)
			}
			assertEmpty(t, s.root, "trash")
		})
	}
}

func TestVerify(t *testing.T) {
	s := openStore(t)
	keys := []string{testKey("v1"), testKey("v2"), testKey("v3")}
	for _, key := range keys {
		publish(t, s, key, map[string]string{"a": "file a of " + key, "b": "file b"})
	}
	res, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if res.Checked != 3 || len(res.Dropped) != 0 {
		t.Errorf("Verify on a clean cache = %+v, want 3 checked, none dropped", res)
	}

	bad := keys[1]
	flipByte(t, filepath.Join(s.entryDir(bad), "b"))
	res, err = s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if res.Checked != 3 || len(res.Dropped) != 1 || !strings.HasPrefix(res.Dropped[0], bad+": b: ") {
		t.Errorf("Verify = %+v, want %s dropped for file b", res, bad)
	}
	for _, key := range keys {
		_, err := s.Lookup(key)
		if key == bad && !errors.Is(err, ErrMiss) {
			t.Errorf("corrupt entry: %v, want dropped", err)
		} else if key != bad && err != nil {
			t.Errorf("good entry: %v, want kept", err)
		}
	}
	assertEmpty(t, s.root, "trash")
}

// TestMaterializeAfterPrune: an entry pruned between a build's Lookup and
// its copy-out is a miss (the build compiles), not corruption.
func TestMaterializeAfterPrune(t *testing.T) {
	s := openStore(t)
	key := testKey("pruned")
	publish(t, s, key, map[string]string{"f": "data", "g": "more"})
	e, err := s.Lookup(key)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s.Prune(context.Background(), PruneOptions{MaxSize: -1}); err != nil || res.Removed != 1 {
		t.Fatalf("Prune = %+v, %v", res, err)
	}
	out := t.TempDir()
	err = s.Materialize(e, map[string]string{"f": filepath.Join(out, "f"), "g": filepath.Join(out, "g")})
	if !errors.Is(err, ErrMiss) || errors.Is(err, ErrCorrupt) {
		t.Errorf("Materialize of a pruned entry = %v, want ErrMiss", err)
	}
	assertEmpty(t, out)
}
