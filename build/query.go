package build

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/zeebo/xxh3"

	"rbuild/cargometa"
	"rbuild/cutoff"
	"rbuild/internal/atomicfile"
)

// query returns cargo's unit graph and metadata, from the cache when no file
// or variable that could change cargo's answer has changed since. The
// cache is kept in the target dir and, per user, under RBUILD_CACHE_DIR:
// cargo's answer does not depend on target/, so a clean build (target/
// deleted) starts its first rustc without waiting for cargo.
func (s *Session) query() (*cargometa.Query, error) {
	req := &cargometa.Request{Command: s.opt.Command, Args: s.opt.CargoArgs, FeatureArgs: s.opt.FeatureArgs,
		Cwd: s.opt.Dir, Env: childEnv(s.opt.Env), UnitGraphFile: s.opt.UnitGraphFile, ReadFrom: s.opt.Started}
	// The rbuild that made a cached query must be this one: the query's
	// fields and what is derived from them change between versions.
	envKey := cargometa.EnvKey(req) + "\x00rbuild=" + selfIdentity()
	key := xxh3.HashString128(envKey).Bytes()
	name := fmt.Sprintf("%x.json", key[:12])
	cache := filepath.Join(s.targetDir, "rbuild", "query", name)
	s.queryFile = cache
	var userCache string
	if dir := userCacheDir(s.opt.getenv); dir != "" {
		userCache = filepath.Join(dir, "query", name)
	}
	var stale *cargometa.Query
	for _, f := range []string{cache, userCache} {
		if f == "" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		q, err := cargometa.DecodeQuery(data)
		if err != nil || q.EnvKey != envKey {
			continue
		}
		if !anyChanged(q.Stamps) {
			if f != cache {
				atomicfile.Write(cache, data, 0o644)
			}
			return q, nil
		}
		stale = cmp.Or(stale, q)
	}
	req.SeenBefore = seenBefore(stale)
	q, err := cargometa.RunQuery(req, s.cfg)
	if err != nil {
		return nil, err
	}
	q.EnvKey = envKey
	if data, err := q.Encode(); err == nil {
		atomicfile.Write(cache, data, 0o644)
		if userCache != "" && atomicfile.Write(userCache, data, 0o644) == nil {
			pruneOldest(filepath.Dir(userCache), userQueryCap)
		}
	}
	return q, nil
}

// userQueryCap bounds the per-user query cache: one entry per workspace,
// command line and environment, the least recently written go first.
const userQueryCap = 64

func pruneOldest(dir string, keep int) {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) <= keep {
		return
	}
	type aged struct {
		path string
		mod  time.Time
	}
	var files []aged
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			files = append(files, aged{filepath.Join(dir, e.Name()), info.ModTime()})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod.After(files[j].mod) })
	for _, f := range files[min(keep, len(files)):] {
		os.Remove(f.path)
	}
}

// seenBefore looks, before cargo runs, at the paths a stale answer
// stamped by presence: a crate root just saved by rename is no reason to
// distrust the new answer's stamp of it.
func seenBefore(stale *cargometa.Query) map[string]cutoff.EntryID {
	if stale == nil {
		return nil
	}
	seen := map[string]cutoff.EntryID{}
	for _, st := range stale.Stamps {
		if st.Presence && st.Size >= 0 {
			if id, ok := cutoff.StatEntry(st.Path); ok {
				seen[st.Path] = id
			}
		}
	}
	return seen
}

func anyChanged(stamps []cutoff.Stamp) bool {
	for _, st := range stamps {
		if st.Changed() {
			return true
		}
	}
	return false
}

// userCacheDir is where per-user state lives: $RBUILD_CACHE_DIR, else the
// platform cache dir (~/.cache/rbuild).
func userCacheDir(getenv func(string) string) string {
	if d := getenv("RBUILD_CACHE_DIR"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "rbuild")
}
