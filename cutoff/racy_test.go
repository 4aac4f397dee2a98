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

// A presence stamp of a file saved (written and renamed into place) just
// before the read began is kept when the file was seen there before the
// read and is untouched since; one replaced, or created, during the read
// is poisoned as MarkRacy would.
func TestMarkRacyPresence(t *testing.T) {
	dir := t.TempDir()
	saved, replaced, created := filepath.Join(dir, "saved.rs"), filepath.Join(dir, "replaced.rs"), filepath.Join(dir, "created.rs")
	save := func(path string) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte("fn main() {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	save(saved)
	save(replaced)
	before := map[string]EntryID{}
	for _, p := range []string{saved, replaced} {
		id, ok := StatEntry(p)
		if !ok {
			t.Skip("no inode identity on this platform")
		}
		before[p] = id
	}
	start := time.Now()
	save(replaced) // during the read: another inode
	save(created)
	for _, c := range []struct {
		path    string
		changed bool
	}{{saved, false}, {replaced, true}, {created, true}} {
		s, err := PresenceStamp(c.path)
		if err != nil {
			t.Fatal(err)
		}
		s.MarkRacyPresence(start, before)
		if got := s.Changed(); got != c.changed {
			t.Errorf("%s: Changed after MarkRacyPresence = %v, want %v", filepath.Base(c.path), got, c.changed)
		}
	}
	// Without a look before the read, a recent save is racy.
	s, _ := PresenceStamp(saved)
	s.MarkRacyPresence(start.Add(-time.Second), nil)
	if !s.Changed() {
		t.Error("a presence stamp of a file saved within the window was kept without a look before the read")
	}
}
