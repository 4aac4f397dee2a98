package cutoff

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// prompt runs f and fails the test if it does not return within a few
// seconds: reading a FIFO with no writer blocks forever, reading
// /dev/zero never ends.
func prompt(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not return: a FIFO or device was read as a file", what)
	}
}

// A build script's rerun-if-changed (or any recorded input) may name a
// FIFO or a device. Stamping it must not read it, and a FIFO, whose
// "content" is whatever a writer sends next, must never match its
// previous stamp: an action that read one is never skipped.
func TestHashFIFONotRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// If the hasher does open the FIFO, a writer opening and closing it
	// lets the blocked reader go at the end of the test.
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	h := NewHasher()
	var a, b, c Stamp
	var errA, errB error
	prompt(t, "Refresh of a FIFO", func() { a, errA = h.Refresh(fifo) })
	prompt(t, "StampPath of a FIFO", func() { b, errB = StampPath(fifo) })
	if errA != nil || errB != nil {
		t.Fatalf("stamping a FIFO: %v, %v", errA, errB)
	}
	prompt(t, "InputStamp of a FIFO", func() { c = NewHasher().InputStamp(fifo, time.Now().Add(time.Hour)) })
	if a.Size < 0 || c.Size < 0 {
		t.Errorf("FIFO stamped as missing: %+v %+v", a, c)
	}
	if a.Hash == b.Hash || a.Hash == c.Hash || b.Hash == c.Hash {
		t.Errorf("two stamps of a FIFO match (%v %v %v): an action that read it would be skipped", a.Hash, b.Hash, c.Hash)
	}
	// A later build remembers the stamp; its fast path must not trust it.
	h2 := NewHasher()
	h2.Remember([]Stamp{a})
	var d Stamp
	prompt(t, "Refresh of a remembered FIFO", func() { d, _ = h2.Refresh(fifo) })
	if d.Hash == a.Hash {
		t.Error("a remembered FIFO stamp was trusted")
	}
	var changed bool
	prompt(t, "Changed of a FIFO", func() { changed = a.Changed() })
	if !changed {
		t.Error("a FIFO's stamp reports it unchanged")
	}
}

// A device has no content to hash (/dev/zero never ends): it is stamped by
// its type and device number, so the same device matches itself.
func TestHashDeviceNotRead(t *testing.T) {
	const dev = "/dev/zero"
	if st, err := os.Stat(dev); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Skipf("no %s character device", dev)
	}
	h := NewHasher()
	var a, b Stamp
	var errA, errB error
	prompt(t, "Refresh of /dev/zero", func() { a, errA = h.Refresh(dev) })
	prompt(t, "StampPath of /dev/zero", func() { b, errB = StampPath(dev) })
	if errA != nil || errB != nil {
		t.Fatalf("stamping %s: %v, %v", dev, errA, errB)
	}
	if a.Hash != b.Hash {
		t.Errorf("two stamps of %s differ: %v %v", dev, a.Hash, b.Hash)
	}
	if null, err := StampPath("/dev/null"); err == nil && null.Hash == a.Hash {
		t.Error("/dev/null and /dev/zero have the same stamp")
	}
	var changed bool
	prompt(t, "Changed of /dev/zero", func() { changed = a.Changed() })
	if changed {
		t.Error("/dev/zero's stamp reports it changed")
	}
}

// The interface fingerprint reads a crate's .rs sources itself; one that
// is a FIFO must not block it, and must not let the fingerprint match.
func TestFingerprintFIFOSourceNotRead(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "src", "lib.rs")
	os.MkdirAll(filepath.Dir(lib), 0o755)
	if err := os.WriteFile(lib, []byte("pub fn f() {}\ninclude!(\"gen.rs\");\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "src", "gen.rs")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	c := &Crate{Sources: []string{lib, fifo}, PkgDir: dir}
	var a, b Hash
	var errA, errB error
	prompt(t, "fingerprint of a crate with a FIFO source", func() {
		a, errA = SkeletonFingerprinter{}.Fingerprint(c, NewHasher())
		b, errB = SkeletonFingerprinter{}.Fingerprint(c, NewHasher())
	})
	if errA != nil || errB != nil {
		t.Fatalf("fingerprint: %v, %v", errA, errB)
	}
	if a == b {
		t.Error("two fingerprints of a crate reading a FIFO match")
	}
}
