package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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
