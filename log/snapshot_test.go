package log

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSnapshot(t *testing.T) {
	dir := t.TempDir()
	a, b, missing := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "missing")
	os.WriteFile(a, []byte("a"), 0o644)
	os.WriteFile(b, []byte("b"), 0o644)
	snap := filepath.Join(t.TempDir(), "snap") // outside dir: writing it changes dir
	key := [16]byte{1, 2, 3}
	write := func() {
		t.Helper()
		if err := WriteSnapshot(snap, key, []string{a, b, missing, dir}); err != nil {
			t.Fatal(err)
		}
	}
	write()
	if !SnapshotHolds(snap, key) {
		t.Fatal("fresh snapshot does not hold")
	}
	if SnapshotHolds(snap, [16]byte{9}) {
		t.Fatal("snapshot holds for another key")
	}
	for name, change := range map[string]func(){
		"touch":           func() { later := time.Now().Add(time.Hour); os.Chtimes(a, later, later) },
		"rewrite":         func() { os.WriteFile(b, []byte("bb"), 0o644) },
		"appear":          func() { os.WriteFile(missing, nil, 0o644) },
		"replace inode":   func() { os.Remove(a); os.WriteFile(a, []byte("a"), 0o644) },
		"new file in dir": func() { os.WriteFile(filepath.Join(dir, "new"), nil, 0o644) },
	} {
		write()
		change()
		if SnapshotHolds(snap, key) {
			t.Errorf("%s: snapshot still holds", name)
		}
		os.Remove(missing)
		os.Remove(filepath.Join(dir, "new"))
	}
	write()
	data, _ := os.ReadFile(snap)
	for i := range data {
		bad := append([]byte(nil), data...)
		bad[i] ^= 1
		os.WriteFile(snap, bad, 0o644)
		if SnapshotHolds(snap, key) {
			t.Fatalf("snapshot with byte %d flipped holds", i)
		}
	}
	os.WriteFile(snap, data[:len(data)/2], 0o644)
	if SnapshotHolds(snap, key) {
		t.Fatal("truncated snapshot holds")
	}
}
