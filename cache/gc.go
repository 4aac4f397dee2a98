package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// staleTemp: a staging dir this old belongs to a build that died.
const staleTemp = 24 * time.Hour

// Stats describes the cache as it is on disk.
type Stats struct {
	Entries          int
	Bytes            int64
	Oldest, Newest   time.Time // last use
	Staging, Trashed int       // leftover dirs in tmp/ and trash/
}

type entryInfo struct {
	dir     string
	bytes   int64
	lastUse time.Time
	meta    json.RawMessage
}

// walk lists every entry with its size and last use.
func (s *Store) walk() ([]entryInfo, error) {
	var out []entryInfo
	shards, err := os.ReadDir(filepath.Join(s.root, "entries"))
	if err != nil {
		return nil, fmt.Errorf("artifact cache: %w", err)
	}
	for _, sh := range shards {
		ents, _ := os.ReadDir(filepath.Join(s.root, "entries", sh.Name()))
		for _, e := range ents {
			dir := filepath.Join(s.root, "entries", sh.Name(), e.Name())
			info := entryInfo{dir: dir, bytes: dirSize(dir)}
			if st, err := os.Stat(filepath.Join(dir, "entry.json")); err == nil {
				info.lastUse = st.ModTime()
			}
			out = append(out, info)
		}
	}
	return out, nil
}

// Stats walks the cache.
func (s *Store) Stats() (Stats, error) {
	ents, err := s.walk()
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	for _, e := range ents {
		st.Entries++
		st.Bytes += e.bytes
		if st.Oldest.IsZero() || e.lastUse.Before(st.Oldest) {
			st.Oldest = e.lastUse
		}
		if e.lastUse.After(st.Newest) {
			st.Newest = e.lastUse
		}
	}
	tmp, _ := os.ReadDir(filepath.Join(s.root, "tmp"))
	trash, _ := os.ReadDir(filepath.Join(s.root, "trash"))
	st.Staging, st.Trashed = len(tmp), len(trash)
	return st, nil
}

// OnBlocked sets what prune (with Wait) and clear do, once, when they
// find the lock held by a build and have to wait: say so, as cargo says
// "Blocking waiting for file lock". Set it before the store is used.
func (s *Store) OnBlocked(f func()) { s.lock.blocked = f }

// PruneOptions bound what stays: entries unused for longer than MaxAge go,
// then the least recently used until at most MaxSize bytes remain. Zero
// means no bound, a negative value a bound of zero (everything goes).
type PruneOptions struct {
	MaxSize int64
	MaxAge  time.Duration
	// Wait: block until running builds let go of the lock; else give up
	// at once (the automatic trim must not stall a build).
	Wait bool
}

// PruneResult says what a prune did.
type PruneResult struct {
	Removed      int
	Freed, Left  int64
	EntriesLeft  int
	Skipped      bool // the lock was busy and Wait was false
	TempsRemoved int
}

// Prune deletes entries per opt. It holds the lock exclusively while it
// chooses and renames victims, so no build is copying one of them out.
func (s *Store) Prune(ctx context.Context, opt PruneOptions) (PruneResult, error) {
	release, ok, err := s.lock.exclusive(ctx, opt.Wait)
	if err != nil || !ok {
		return PruneResult{Skipped: !ok}, err
	}
	res, err := s.pruneLocked(opt)
	release()
	s.emptyTrash()
	return res, err
}

func (s *Store) pruneLocked(opt PruneOptions) (PruneResult, error) {
	ents, err := s.walk()
	if err != nil {
		return PruneResult{}, err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].lastUse.Before(ents[j].lastUse) })
	var total int64
	for _, e := range ents {
		total += e.bytes
	}
	var res PruneResult
	now := time.Now()
	for _, e := range ents {
		old := opt.MaxAge != 0 && now.Sub(e.lastUse) > max(opt.MaxAge, 0)
		big := opt.MaxSize != 0 && total > max(opt.MaxSize, 0)
		if !old && !big {
			res.EntriesLeft++
			continue
		}
		if err := os.Rename(e.dir, filepath.Join(s.root, "trash", randName(filepath.Base(e.dir)))); err != nil {
			res.EntriesLeft++
			continue
		}
		total -= e.bytes
		res.Removed++
		res.Freed += e.bytes
	}
	res.Left = total
	writeSize(s.root, total)
	tmps, _ := os.ReadDir(filepath.Join(s.root, "tmp"))
	for _, t := range tmps {
		if info, err := t.Info(); err == nil && now.Sub(info.ModTime()) > staleTemp {
			if os.Rename(filepath.Join(s.root, "tmp", t.Name()), filepath.Join(s.root, "trash", randName(t.Name()))) == nil {
				res.TempsRemoved++
			}
		}
	}
	return res, nil
}

// Trim is the automatic GC: when the running total passes high it prunes
// to low, unless a build holds the lock (the next build trims then).
func (s *Store) Trim(ctx context.Context, high, low int64) (PruneResult, error) {
	if high <= 0 || s.ApproxSize() <= high {
		return PruneResult{Skipped: true}, nil
	}
	if low <= 0 {
		low = -1 // a bound of zero, not "no bound"
	}
	return s.Prune(ctx, PruneOptions{MaxSize: low})
}

// Clear deletes every entry: the one command for a poisoned or suspect
// cache.
func (s *Store) Clear(ctx context.Context) (PruneResult, error) {
	release, _, err := s.lock.exclusive(ctx, true)
	if err != nil {
		return PruneResult{}, err
	}
	st, _ := s.Stats()
	entries := filepath.Join(s.root, "entries")
	err = os.Rename(entries, filepath.Join(s.root, "trash", randName("entries")))
	if err == nil {
		err = os.MkdirAll(entries, privateDir)
	}
	writeSize(s.root, 0)
	release()
	s.emptyTrash()
	if err != nil {
		return PruneResult{}, fmt.Errorf("artifact cache: clear: %w", err)
	}
	return PruneResult{Removed: st.Entries, Freed: st.Bytes}, nil
}

// VerifyResult lists what Verify found.
type VerifyResult struct {
	Checked int
	Dropped []string // "key: why"
}

// Verify re-hashes every file of every entry and drops the entries that
// do not check out. It holds the lock shared: builds go on, prunes wait.
func (s *Store) Verify() (VerifyResult, error) {
	if err := s.lock.rlock(); err != nil {
		return VerifyResult{}, err
	}
	defer s.lock.runlock()
	ents, err := s.walk()
	if err != nil {
		return VerifyResult{}, err
	}
	var res VerifyResult
	for _, info := range ents {
		res.Checked++
		if why := checkEntry(info.dir); why != "" {
			res.Dropped = append(res.Dropped, filepath.Base(info.dir)+": "+why)
			s.drop(info.dir)
		}
	}
	return res, nil
}

// checkEntry says what is wrong with an entry directory, "" if nothing.
func checkEntry(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "entry.json"))
	if err != nil {
		return "no readable entry.json"
	}
	e, err := decodeEntry(data)
	if err != nil {
		return "entry.json: " + err.Error()
	}
	if e.Key != filepath.Base(dir) {
		return "entry.json names another key"
	}
	for _, f := range e.Files {
		got, err := hashFile(filepath.Join(dir, f.Name))
		if err != nil {
			return f.Name + ": " + err.Error()
		}
		if got.Size != f.Size || got.SHA256 != f.SHA256 {
			return f.Name + ": " + errMismatch.Error()
		}
	}
	return ""
}
