package cache

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeSources writes files (name → content) into a new directory, the
// named ones executable, and returns name → path for Publish.
func writeSources(t *testing.T, files map[string]string, executable ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for name, content := range files {
		mode := os.FileMode(0o644)
		if slices.Contains(executable, name) {
			mode = 0o755
		}
		paths[name] = filepath.Join(dir, name)
		writeFile(t, paths[name], content, mode)
	}
	return paths
}

// publish stores files (name → content) under key; it must win.
func publish(t *testing.T, s *Store, key string, files map[string]string) *Entry {
	t.Helper()
	e, err := s.Publish(key, writeSources(t, files), []byte(`{}`), false)
	if err != nil || e == nil {
		t.Fatalf("Publish %s = %v, %v", key, e, err)
	}
	return e
}

// assertRestores materializes e into a new directory and checks the files.
func assertRestores(t *testing.T, s *Store, e *Entry, files map[string]string) {
	t.Helper()
	out := t.TempDir()
	dst := map[string]string{}
	for name := range files {
		dst[name] = filepath.Join(out, name)
	}
	if err := s.Materialize(e, dst); err != nil {
		t.Fatalf("Materialize: %v", err)
	}
	for name, want := range files {
		if got := readFile(t, dst[name]); got != want {
			t.Errorf("restored %s = %q, want %q", name, got, want)
		}
	}
}

// age sets an entry's last use to d ago.
func age(t *testing.T, s *Store, key string, d time.Duration) {
	t.Helper()
	when := time.Now().Add(-d)
	if err := os.Chtimes(filepath.Join(s.entryDir(key), "entry.json"), when, when); err != nil {
		t.Fatal(err)
	}
}

func lastUse(t *testing.T, s *Store, key string) time.Time {
	t.Helper()
	st, err := os.Stat(filepath.Join(s.entryDir(key), "entry.json"))
	if err != nil {
		t.Fatal(err)
	}
	return st.ModTime()
}

func stats(t *testing.T, s *Store) Stats {
	t.Helper()
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// flipByte changes one byte of a file in place, as a bad disk or a build
// writing through a hard link would.
func flipByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, 2); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x20
	if _, err := f.WriteAt(b, 2); err != nil {
		t.Fatal(err)
	}
}

// rewrite replaces old by new in a file, which must contain it.
func rewrite(t *testing.T, path, old, new string) {
	t.Helper()
	data := readFile(t, path)
	if !strings.Contains(data, old) {
		t.Fatalf("%s does not contain %s: %s", path, old, data)
	}
	writeFile(t, path, strings.Replace(data, old, new, 1), 0o644)
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func assertMode(t *testing.T, path string, executable bool) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm()&0o111 != 0; got != executable {
		t.Errorf("%s: mode %v, want executable %v", path, st.Mode(), executable)
	}
}

// assertDirHolds checks that dir holds exactly the named entries.
func assertDirHolds(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

// assertEmpty checks that the directory elem... (joined) is empty.
func assertEmpty(t *testing.T, elem ...string) {
	t.Helper()
	assertDirHolds(t, filepath.Join(elem...))
}
