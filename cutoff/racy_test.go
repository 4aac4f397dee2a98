package cutoff

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRacy(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 500_000_000, time.UTC)
	for _, c := range []struct {
		mtime time.Time
		racy  bool
	}{
		{start.Add(time.Millisecond), true},                   // written during the read
		{start.Add(-5 * time.Millisecond), true},              // a coarse tick before it
		{start.Add(-time.Second + time.Millisecond), false},   // well before, fine timestamp
		{start.Truncate(time.Second), true},                   // whole second: maybe written after
		{start.Truncate(time.Second).Add(-time.Second), true}, // two-second granularity
		{start.Truncate(time.Second).Add(-3 * time.Second), false},
	} {
		if got := Racy(c.mtime, start); got != c.racy {
			t.Errorf("Racy(%v, %v) = %v, want %v", c.mtime, start, got, c.racy)
		}
	}
}

// A stamp of a file saved after the read began changes on its next check,
// though its content is what the stamp recorded; an old file's does not,
// nor does a missing file's.
func TestMarkRacy(t *testing.T) {
	dir := t.TempDir()
	old, fresh := filepath.Join(dir, "old"), filepath.Join(dir, "fresh")
	os.WriteFile(old, []byte("x"), 0o644)
	past := time.Now().Add(-time.Minute)
	os.Chtimes(old, past, past)
	start := time.Now()
	os.WriteFile(fresh, []byte("y"), 0o644)
	for _, c := range []struct {
		path    string
		stamp   func(string) (Stamp, error)
		changed bool
	}{
		{old, StampPath, false},
		{fresh, StampPath, true},
		{fresh, PresenceStamp, true},
		{dir, StampPath, true}, // its listing changed during the read
		{filepath.Join(dir, "missing"), StampPath, false},
	} {
		s, err := c.stamp(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if s.Changed() {
			t.Fatalf("%s: changed before MarkRacy", c.path)
		}
		s.MarkRacy(start)
		if got := s.Changed(); got != c.changed {
			t.Errorf("%s (presence %v): Changed after MarkRacy = %v, want %v", c.path, s.Presence, got, c.changed)
		}
	}
}
