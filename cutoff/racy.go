package cutoff

import (
	"os"
	"time"
)

// A file whose mtime is close to the moment a reader started, or later,
// may have been written after it was read (git's "racily clean"
// entries): its stamp may describe content the reader never saw. How
// close depends on the clock that wrote the mtime. Linux takes mtimes
// from a coarse clock (a tick, at most 10 ms behind), so on a file system
// with nanosecond timestamps a write after the read gets an mtime at most
// a tick before it; on one with whole-second (or two-second) timestamps
// it may be up to two seconds before.
const (
	RacyWindow       = 2 * time.Second       // whole-second timestamps
	FineRacyWindow   = 50 * time.Millisecond // nanosecond timestamps
	coarseResolution = time.Second
)

// Racy reports whether a file with this mtime may have changed after a
// read that started at readStart. An mtime on a whole second is taken to
// come from a file system with coarse timestamps (on a fine one, that is
// a one-in-a-billion chance, and costs only a second look).
func Racy(mtime, readStart time.Time) bool {
	window := FineRacyWindow
	if mtime.Truncate(coarseResolution).Equal(mtime) {
		window = RacyWindow
	}
	return !mtime.Before(readStart.Add(-window))
}

// MarkRacy makes s report a change the next time it is checked if its
// path may have been modified after readStart (Racy): what the reader saw
// may not be what s recorded. A path that was there: a file saved, a
// directory whose entries came or went, a file that appeared. A path
// that is missing is left alone: its disappearance during the read is
// not told by any mtime that stays (its directory's moves with every
// other entry, target/ among them), and what follows from it, a source
// rustc cannot find, is an error, not a stale result.
func (s *Stamp) MarkRacy(readStart time.Time) {
	if s.Size < 0 {
		return
	}
	st, err := os.Stat(s.Path)
	if err != nil || !Racy(st.ModTime(), readStart) {
		return
	}
	s.Hash, s.Mtime = Poisoned, 0
}

// EntryID identifies what a path names: its inode and when that inode
// last changed. Equal IDs taken before and after a read mean the path
// was there throughout, untouched: an entry replaced or recreated in
// between has another inode or a later ctime.
type EntryID struct {
	Dev, Ino uint64
	Ctime    int64 // ns
}

// MarkRacyPresence is MarkRacy for a presence stamp whose path may have
// been seen before the read began (before, by path): a path there then,
// untouched since, was there when the reader looked, however recently it
// was saved. That spares the save just before a build (an editor's or
// rbuild bench's write-and-rename of a crate root) from asking cargo
// again, only for cargo to see that same file present.
func (s *Stamp) MarkRacyPresence(readStart time.Time, before map[string]EntryID) {
	if s.Presence && s.Size >= 0 {
		if id, ok := before[s.Path]; ok {
			if now, ok := StatEntry(s.Path); ok && now == id {
				return
			}
		}
	}
	s.MarkRacy(readStart)
}
