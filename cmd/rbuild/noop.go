package main

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/zeebo/xxh3"

	rlog "rbuild/log"
)

// The no-op fast path: a build that found every action up to date leaves a
// stat snapshot of every file it consulted (log/snapshot.go). The next
// identical invocation checks those stats and stops, without decoding the
// cached unit graph or the log. Anything unexpected takes the full path,
// which is always correct.

// snapshotKey covers everything a build depends on besides files: the
// command line, the whole environment, the directory, and rbuild itself.
func snapshotKey(args []string) [16]byte {
	env := slices.Clone(os.Environ())
	sort.Strings(env)
	cwd, _ := os.Getwd()
	parts := []string{"rbuild-noop-v1", cwd, strings.Join(args, "\x00"), strings.Join(env, "\x00")}
	if exe, err := os.Executable(); err == nil {
		if st, err := os.Stat(exe); err == nil {
			parts = append(parts, exe, strconv.FormatInt(st.ModTime().UnixNano(), 10), strconv.FormatInt(st.Size(), 10))
		}
	}
	return xxh3.HashString128(strings.Join(parts, "\x01")).Bytes()
}

func snapshotFile(targetDir string, key [16]byte) string {
	return filepath.Join(targetDir, "rbuild", "noop", hex.EncodeToString(key[:8]))
}

// consultedFiles lists every file the build's verdicts depended on.
func consultedFiles(s *session, w *work) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, st := range s.plan.Q.Stamps {
		add(st.Path)
	}
	add(s.queryFile)
	add(filepath.Join(s.targetDir, "rbuild", "log"))
	add(explainPath(s.targetDir))
	add(countsPath(s.targetDir))
	for _, a := range s.graph.Actions {
		w.mu.Lock()
		rec := w.prev[a.ID]
		w.mu.Unlock()
		if rec == nil {
			continue
		}
		for _, st := range rec.Stamps() {
			add(st.Path)
		}
		for _, up := range unitOf(a).Uplifts {
			add(up[1])
		}
	}
	return out
}

// writeSnapshot is called after a build that ran nothing and failed nothing.
func writeSnapshot(s *session, w *work, key [16]byte) {
	dir := filepath.Join(s.targetDir, "rbuild", "noop")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	rlog.WriteSnapshot(snapshotFile(s.targetDir, key), key, consultedFiles(s, w))
}
