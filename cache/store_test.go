package cache

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
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

// TestPrune: entries go by age, then least recently used first until the
// size bound holds.
func TestPrune(t *testing.T) {
	// Entry i was last used i hours ago, and holds i+1 KiB.
	const n = 5
	setup := func(t *testing.T) (*Store, []string, []int64) {
		s := openStore(t)
		keys := make([]string, n)
		sizes := make([]int64, n)
		for i := range n {
			keys[i] = testKey(fmt.Sprint("prune", i))
			publish(t, s, keys[i], map[string]string{"out": strings.Repeat("x", (i+1)<<10)})
			age(t, s, keys[i], time.Duration(i)*time.Hour+time.Minute)
			sizes[i] = dirSize(s.entryDir(keys[i]))
		}
		return s, keys, sizes
	}
	sum := func(sizes []int64) (n int64) {
		for _, s := range sizes {
			n += s
		}
		return n
	}
	_, _, sizes := setup(t)
	total := sum(sizes)

	for _, tc := range []struct {
		name string
		opt  PruneOptions
		kept int // entries 0..kept-1 (the most recently used) stay
	}{
		{"no bounds", PruneOptions{}, n},
		{"size above total", PruneOptions{MaxSize: total}, n},
		// Dropping the oldest (4) is not enough; dropping 3 as well is.
		{"size", PruneOptions{MaxSize: total - sizes[4] - 1}, 3},
		{"size exactly at a boundary", PruneOptions{MaxSize: total - sizes[4]}, 4},
		{"negative size empties", PruneOptions{MaxSize: -1}, 0},
		{"age", PruneOptions{MaxAge: 150 * time.Minute}, 3},
		{"age and size", PruneOptions{MaxAge: 150 * time.Minute, MaxSize: sizes[0]}, 1},
		{"negative age empties", PruneOptions{MaxAge: -1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, keys, sizes := setup(t)
			res, err := s.Prune(context.Background(), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			want := PruneResult{
				Removed:     n - tc.kept,
				Freed:       sum(sizes[tc.kept:]),
				Left:        sum(sizes[:tc.kept]),
				EntriesLeft: tc.kept,
			}
			if res != want {
				t.Errorf("Prune = %+v, want %+v", res, want)
			}
			for i, key := range keys {
				_, err := s.Lookup(key)
				if kept := i < tc.kept; kept && err != nil {
					t.Errorf("entry %d: %v, want kept", i, err)
				} else if !kept && !errors.Is(err, ErrMiss) {
					t.Errorf("entry %d: %v, want pruned", i, err)
				}
			}
			if got := s.ApproxSize(); got != want.Left {
				t.Errorf("ApproxSize = %d after prune, want %d", got, want.Left)
			}
			assertEmpty(t, s.root, "trash")
		})
	}
}

// TestPruneStaleTemps: staging dirs of builds that died go with a prune;
// one in use stays.
func TestPruneStaleTemps(t *testing.T) {
	s := openStore(t)
	stale, err := s.NewStaging()
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * staleTemp)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	fresh, err := s.NewStaging()
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Prune(context.Background(), PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.TempsRemoved != 1 {
		t.Errorf("TempsRemoved = %d, want 1", res.TempsRemoved)
	}
	assertDirHolds(t, filepath.Join(s.root, "tmp"), filepath.Base(fresh))
	assertEmpty(t, s.root, "trash")
}

// TestMaterializeRefreshesLastUse: a hit makes an entry recently used (so
// an LRU prune spares it), but rewrites the time at most once per
// touchEvery.
func TestMaterializeRefreshesLastUse(t *testing.T) {
	s := openStore(t)
	used, unused, recent := testKey("used"), testKey("unused"), testKey("recent")
	for i, key := range []string{used, unused, recent} {
		publish(t, s, key, map[string]string{"f": "data"})
		age(t, s, key, time.Duration(3-i)*time.Hour)
	}
	age(t, s, recent, 10*time.Minute)
	recentTime := lastUse(t, s, recent)
	for _, key := range []string{used, recent} {
		e, err := s.Lookup(key)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Materialize(e, map[string]string{"f": filepath.Join(t.TempDir(), "f")}); err != nil {
			t.Fatal(err)
		}
	}
	if got := lastUse(t, s, recent); !got.Equal(recentTime) {
		t.Errorf("last use of an entry used 10m ago rewritten: %v → %v", recentTime, got)
	}
	if since := time.Since(lastUse(t, s, used)); since > time.Minute {
		t.Errorf("last use of a hit is %v ago, want now", since)
	}
	res, err := s.Prune(context.Background(), PruneOptions{MaxSize: 2 * dirSize(s.entryDir(used))})
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 1 {
		t.Errorf("Removed %d, want 1", res.Removed)
	}
	if _, err := s.Lookup(unused); !errors.Is(err, ErrMiss) {
		t.Errorf("least recently used entry: %v, want pruned", err)
	}
	if _, err := s.Lookup(used); err != nil {
		t.Errorf("entry just used: %v, want kept", err)
	}
}

// TestPruneWaitsForReaders: a build copying out holds the lock shared; a
// prune must neither delete under it nor, with Wait false, stall on it.
func TestPruneWaitsForReaders(t *testing.T) {
	s := openStore(t)
	key := testKey("in use")
	publish(t, s, key, map[string]string{"f": "data"})
	ctx := context.Background()

	if err := s.lock.rlock(); err != nil {
		t.Fatal(err)
	}
	res, err := s.Prune(ctx, PruneOptions{MaxSize: -1})
	if err != nil || res != (PruneResult{Skipped: true}) {
		t.Errorf("Prune under a reader = %+v, %v; want Skipped", res, err)
	}
	if res, err := s.Trim(ctx, 1, 1); err != nil || !res.Skipped {
		t.Errorf("Trim under a reader = %+v, %v; want Skipped", res, err)
	}
	// Clear always waits; with a deadline it gives up instead.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	if _, err := s.Clear(short); err == nil {
		t.Error("Clear under a reader returned before the reader let go")
	}
	cancel()

	done := make(chan PruneResult)
	go func() {
		res, err := s.Prune(ctx, PruneOptions{MaxSize: -1, Wait: true})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	select {
	case res := <-done:
		t.Fatalf("Prune(Wait) finished under a reader: %+v", res)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := s.Lookup(key); err != nil {
		t.Fatalf("entry gone while a reader held the lock: %v", err)
	}
	s.lock.runlock()
	select {
	case res := <-done:
		if res.Removed != 1 || res.Skipped {
			t.Errorf("Prune(Wait) = %+v, want 1 removed", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Prune(Wait) still blocked after the reader let go")
	}
	if _, err := s.Lookup(key); !errors.Is(err, ErrMiss) {
		t.Errorf("Lookup after prune = %v, want ErrMiss", err)
	}
}

// TestPruneOtherProcessReader: the lock is an flock, so a build in
// another process holds off a prune too.
func TestPruneOtherProcessReader(t *testing.T) {
	s := openStore(t)
	publish(t, s, testKey("other process"), map[string]string{"f": "data"})
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+s.Dir())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("helper said %q (%v), want locked", line, err)
	}

	ctx := context.Background()
	res, err := s.Prune(ctx, PruneOptions{MaxSize: -1})
	if err != nil || res != (PruneResult{Skipped: true}) {
		t.Errorf("Prune while another process reads = %+v, %v; want Skipped", res, err)
	}
	// This process may read alongside it.
	e, err := s.Lookup(testKey("other process"))
	if err != nil {
		t.Fatal(err)
	}
	assertRestores(t, s, e, map[string]string{"f": "data"})

	stdin.Close() // the helper exits, and its lock goes with it
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	res, err = s.Prune(ctx, PruneOptions{MaxSize: -1})
	if err != nil || res.Skipped || res.Removed != 1 {
		t.Errorf("Prune after the other process exited = %+v, %v; want 1 removed", res, err)
	}
}

const helperEnv = "RBUILD_CACHE_TEST_READER"

// TestHelperProcess is the other build of TestPruneOtherProcessReader: it
// takes the cache lock shared, as a build restoring from the cache does,
// and keeps it until its stdin closes.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper for TestPruneOtherProcessReader")
	}
	s, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := s.lock.rlock(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	s.lock.runlock()
	os.Exit(0)
}

// TestTrim: the automatic GC prunes to low once the running total passes
// high, and otherwise leaves the cache alone.
func TestTrim(t *testing.T) {
	for _, tc := range []struct {
		name      string
		high, low func(total, one int64) int64
		skipped   bool
	}{
		{"below high", func(total, _ int64) int64 { return total }, func(_, one int64) int64 { return one }, true},
		{"above high", func(total, _ int64) int64 { return total - 1 }, func(_, one int64) int64 { return 2 * one }, false},
		{"high off", func(int64, int64) int64 { return 0 }, func(int64, int64) int64 { return 0 }, true},
		// cache.trim-to = 0 is accepted by the config: past high, empty it.
		{"low zero", func(total, _ int64) int64 { return total - 1 }, func(int64, int64) int64 { return 0 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			for i := range 4 {
				key := testKey(fmt.Sprint("trim", i))
				publish(t, s, key, map[string]string{"out": strings.Repeat("y", 1000)})
				age(t, s, key, time.Duration(4-i)*time.Hour)
			}
			st := stats(t, s)
			if st.Bytes != s.ApproxSize() {
				t.Fatalf("ApproxSize %d, Stats %d bytes: the running total is off", s.ApproxSize(), st.Bytes)
			}
			one := st.Bytes / 4
			high, low := tc.high(st.Bytes, one), tc.low(st.Bytes, one)
			res, err := s.Trim(context.Background(), high, low)
			if err != nil {
				t.Fatal(err)
			}
			after := stats(t, s)
			if tc.skipped {
				if !res.Skipped || after.Entries != 4 {
					t.Errorf("Trim(%d, %d) with %d bytes = %+v, %d entries left; want Skipped, 4", high, low, st.Bytes, res, after.Entries)
				}
				return
			}
			if res.Skipped || after.Bytes > low || res.Left != after.Bytes {
				t.Errorf("Trim(%d, %d) with %d bytes = %+v, %d bytes left; want at most %d", high, low, st.Bytes, res, after.Bytes, low)
			}
			// Pruned to low, not further.
			if after.Bytes+one <= low {
				t.Errorf("Trim pruned to %d, below low %d by a whole entry", after.Bytes, low)
			}
		})
	}
}

func TestClear(t *testing.T) {
	s := openStore(t)
	keys := []string{testKey("c1"), testKey("c2"), testKey("c3")}
	for _, key := range keys {
		publish(t, s, key, map[string]string{"a": key, "b": "b"})
	}
	before := stats(t, s)
	res, err := s.Clear(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (PruneResult{Removed: 3, Freed: before.Bytes}); res != want {
		t.Errorf("Clear = %+v, want %+v", res, want)
	}
	if st := stats(t, s); st != (Stats{}) {
		t.Errorf("Stats after Clear = %+v, want zero", st)
	}
	if n := s.ApproxSize(); n != 0 {
		t.Errorf("ApproxSize after Clear = %d", n)
	}
	for _, key := range keys {
		if _, err := s.Lookup(key); !errors.Is(err, ErrMiss) {
			t.Errorf("Lookup after Clear = %v, want ErrMiss", err)
		}
	}
	// The cache works on after a clear.
	e := publish(t, s, keys[0], map[string]string{"a": "again"})
	assertRestores(t, s, e, map[string]string{"a": "again"})
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

func TestStats(t *testing.T) {
	s := openStore(t)
	if st := stats(t, s); st != (Stats{}) {
		t.Errorf("Stats of a new cache = %+v", st)
	}
	var want int64
	for i, size := range []int{0, 100, 5000} {
		key := testKey(fmt.Sprint("stats", i))
		publish(t, s, key, map[string]string{"f": strings.Repeat("z", size), "g": "g"})
		record, err := os.Stat(filepath.Join(s.entryDir(key), "entry.json"))
		if err != nil {
			t.Fatal(err)
		}
		want += int64(size) + 1 + record.Size()
		age(t, s, key, time.Duration(i+1)*time.Hour)
	}
	staging, err := s.NewStaging()
	if err != nil {
		t.Fatal(err)
	}
	st := stats(t, s)
	if st.Entries != 3 || st.Bytes != want || st.Staging != 1 || st.Trashed != 0 {
		t.Errorf("Stats = %+v, want 3 entries, %d bytes, 1 staging", st, want)
	}
	if d := time.Since(st.Oldest); d < 3*time.Hour || d > 3*time.Hour+time.Minute {
		t.Errorf("Oldest %v ago, want 3h", d)
	}
	if d := time.Since(st.Newest); d < time.Hour || d > time.Hour+time.Minute {
		t.Errorf("Newest %v ago, want 1h", d)
	}
	os.Remove(staging)
}

// --- helpers ---

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
