package cache

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestRoundTrip publishes several files, looks the entry up and restores
// it, over a destination that already exists.
func TestRoundTrip(t *testing.T) {
	s := openStore(t)
	key := testKey("round trip")
	files := map[string]string{
		"libfoo.rlib":  "rlib bytes\x00\x01\x02",
		"foo.d":        "dep info\n",
		"build-script": "#!/bin/sh\necho hi\n",
		"empty":        "",
	}
	meta := []byte(`{"unit":"foo","inputs":[{"path":"src/lib.rs"}]}`)
	src := writeSources(t, files, "build-script")
	pub, err := s.Publish(key, src, meta, false)
	if err != nil || pub == nil {
		t.Fatalf("Publish = %v, %v; want an entry", pub, err)
	}

	e, err := s.Lookup(key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.Meta, meta) {
		t.Errorf("Meta = %s, want %s", e.Meta, meta)
	}
	if e.Key != key || len(e.Files) != len(files) {
		t.Fatalf("entry %s with %d files, want %s with %d", e.Key, len(e.Files), key, len(files))
	}
	for _, f := range e.Files {
		if f.Size != int64(len(files[f.Name])) {
			t.Errorf("%s: recorded size %d, want %d", f.Name, f.Size, len(files[f.Name]))
		}
		if want := f.Name == "build-script"; f.Executable != want {
			t.Errorf("%s: Executable = %v, want %v", f.Name, f.Executable, want)
		}
	}

	// The destination of one file exists already, and another name links
	// to it: materializing must swap in a new file, not write through the
	// old one (which might be a hard link into this very cache).
	out := t.TempDir()
	dst := map[string]string{}
	for name := range files {
		dst[name] = filepath.Join(out, "target", name)
	}
	old := dst["libfoo.rlib"]
	writeFile(t, old, "previous build", 0o644)
	alias := filepath.Join(out, "alias")
	if err := os.Link(old, alias); err != nil {
		t.Fatal(err)
	}

	if err := s.Materialize(e, dst); err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		if got := readFile(t, dst[name]); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := readFile(t, alias); got != "previous build" {
		t.Errorf("hard link to the old destination now holds %q: it was written in place", got)
	}
	assertMode(t, dst["build-script"], true)
	assertMode(t, dst["foo.d"], false)
	// No temp file is left beside the destinations.
	assertDirHolds(t, filepath.Join(out, "target"), slices.Sorted(maps.Keys(files))...)
}

// TestMaterializeTwice restores one entry twice to the same place, as a
// rebuild that hits the cache again does. Where the cache hard-links
// (file systems without reflinks), the second time the destination is
// already a link to the cache file.
func TestMaterializeTwice(t *testing.T) {
	s := openStore(t)
	key := testKey("twice")
	e := publish(t, s, key, map[string]string{"out.rlib": "content"})
	out := t.TempDir()
	dst := map[string]string{"out.rlib": filepath.Join(out, "out.rlib")}
	for i := range 2 {
		if err := s.Materialize(e, dst); err != nil {
			t.Fatalf("Materialize #%d: %v", i+1, err)
		}
	}
	if got := readFile(t, dst["out.rlib"]); got != "content" {
		t.Errorf("out.rlib = %q", got)
	}
	assertDirHolds(t, out, "out.rlib")
}

func TestLookupMissAndBadKeys(t *testing.T) {
	s := openStore(t)
	if _, err := s.Lookup(testKey("never stored")); !errors.Is(err, ErrMiss) {
		t.Errorf("Lookup of an unknown key: %v, want ErrMiss", err)
	}
	for _, key := range []string{
		"",
		"0123456789abcde", // 15: too short
		"0123456789ABCDEF",
		"../x",
		"../../../../../../etc/passwd",
		"0123456789abcdef/../../x",
		"0123456789abcdeg",
		strings.Repeat("a", 129),
	} {
		if ValidKey(key) {
			t.Errorf("ValidKey(%q) = true", key)
		}
		if _, err := s.Lookup(key); err == nil || errors.Is(err, ErrMiss) || errors.Is(err, ErrCorrupt) {
			t.Errorf("Lookup(%q) = %v, want an invalid-key error", key, err)
		}
		if e, err := s.Publish(key, nil, nil, false); err == nil || e != nil {
			t.Errorf("Publish(%q) = %v, %v; want an error", key, e, err)
		}
	}
	for _, key := range []string{strings.Repeat("0", 16), strings.Repeat("f", 128)} {
		if !ValidKey(key) {
			t.Errorf("ValidKey(%q) = false", key)
		}
	}
	assertEmpty(t, s.root, "entries")
}

// TestPublishBadName: a file name that would leave the entry directory
// or clash with its record is refused, and the staging dir is cleaned.
func TestPublishBadName(t *testing.T) {
	s := openStore(t)
	src := writeSources(t, map[string]string{"a": "x"})["a"]
	for _, name := range []string{"", ".", "..", "../x", "a/b", "entry.json"} {
		e, err := s.Publish(testKey("bad name"), map[string]string{name: src}, nil, false)
		if err == nil || e != nil {
			t.Errorf("Publish with file %q = %v, %v; want an error", name, e, err)
		}
	}
	assertEmpty(t, s.root, "entries")
	assertEmpty(t, s.root, "tmp")
}

// TestPublishRace: builds that compile one action at once all publish it;
// one rename wins and the others discard their copies without error.
func TestPublishRace(t *testing.T) {
	s := openStore(t)
	key := testKey("race")
	files := map[string]string{"a.rlib": "same output", "a.d": "same deps"}
	const n = 8
	srcs := make([]map[string]string, n)
	for i := range srcs {
		srcs[i] = writeSources(t, files)
	}
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		entries = make([]*Entry, n)
		errs    = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			entries[i], errs[i] = s.Publish(key, srcs[i], []byte(`"meta"`), false)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("publisher %d: %v", i, errs[i])
		}
		if entries[i] != nil {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d publishers got an entry back, want 1", won)
	}
	assertDirHolds(t, filepath.Dir(s.entryDir(key)), key)
	assertEmpty(t, s.root, "tmp")
	assertEmpty(t, s.root, "trash")
	e, err := s.Lookup(key)
	if err != nil {
		t.Fatal(err)
	}
	assertRestores(t, s, e, files)
	// Only the winner counted its bytes.
	if got, want := s.ApproxSize(), dirSize(s.entryDir(key)); got != want {
		t.Errorf("ApproxSize = %d, want %d", got, want)
	}
}

func TestPublishExisting(t *testing.T) {
	s := openStore(t)
	key := testKey("existing")
	publish(t, s, key, map[string]string{"f": "first"})

	e, err := s.Publish(key, writeSources(t, map[string]string{"f": "second"}), nil, false)
	if e != nil || err != nil {
		t.Fatalf("Publish over an entry = %v, %v; want nil, nil", e, err)
	}
	e, err = s.Lookup(key)
	if err != nil {
		t.Fatal(err)
	}
	assertRestores(t, s, e, map[string]string{"f": "first"})

	// replace: the caller found the entry wrong; the new one takes over.
	e, err = s.Publish(key, writeSources(t, map[string]string{"f": "third"}), []byte(`"new"`), true)
	if e == nil || err != nil {
		t.Fatalf("Publish with replace = %v, %v; want an entry", e, err)
	}
	e, err = s.Lookup(key)
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Meta) != `"new"` {
		t.Errorf("Meta = %s after replace", e.Meta)
	}
	assertRestores(t, s, e, map[string]string{"f": "third"})
	assertEmpty(t, s.root, "tmp")
	assertEmpty(t, s.root, "trash")
}
