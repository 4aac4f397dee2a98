package build

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zeebo/xxh3"

	"rbuild/cutoff"
	"rbuild/internal/atomicfile"
	rlog "rbuild/log"
)

// The no-op fast path: a build that found every action up to date leaves a
// stat snapshot of every file it consulted (log/snapshot.go). The next
// identical invocation checks those stats and stops, without decoding the
// cached unit graph or the log. Anything unexpected takes the full path,
// which is always correct.

// SnapshotKey covers everything a build depends on besides files: the
// command line, the whole environment, the directory, and rbuild itself.
func SnapshotKey(args, env []string, dir string) [16]byte {
	env = slices.Clone(env)
	sort.Strings(env)
	parts := []string{"rbuild-noop-v1", dir, strings.Join(args, "\x00"), strings.Join(env, "\x00"), selfIdentity()}
	return xxh3.HashString128(strings.Join(parts, "\x01")).Bytes()
}

// selfIdentity names this rbuild binary (path, mtime, size): what another
// rbuild left — a snapshot, a cached query — may follow other rules and is
// not used.
func selfIdentity() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	st, err := os.Stat(exe)
	if err != nil {
		return exe
	}
	return exe + "\x00" + strconv.FormatInt(st.ModTime().UnixNano(), 10) + "\x00" + strconv.FormatInt(st.Size(), 10)
}

func snapshotFile(targetDir string, key [16]byte) string {
	return filepath.Join(targetDir, "rbuild", "noop", hex.EncodeToString(key[:8]))
}

// NoopHolds reports whether the snapshot of the last all-up-to-date build
// made with this key still holds: nothing it consulted changed. If so, it
// shows the warnings that build replayed, as the build would. A snapshot
// that does not hold is removed.
func NoopHolds(opt Options, key [16]byte) bool {
	if err := opt.setDefaults(); err != nil || opt.MessageFormat.JSON {
		return false
	}
	_, td, err := LocateTargetDir(opt.Dir, opt.Env, opt.ManifestPath)
	if err != nil {
		return false
	}
	return noopHolds(opt, td, key)
}

// PlanNoopHolds is NoopHolds for a build of the build plan planFile
// (OpenBuildPlan): the plan itself is one of the files its snapshot
// stats.
func PlanNoopHolds(opt Options, planFile string, key [16]byte) bool {
	if err := opt.setDefaults(); err != nil || opt.MessageFormat.JSON {
		return false
	}
	return noopHolds(opt, planTargetDir(opt, planFile), key)
}

func noopHolds(opt Options, td string, key [16]byte) bool {
	file := snapshotFile(td, key)
	replays, err := readReplays(file)
	if err != nil || !rlog.SnapshotHolds(file, key) {
		rlog.RemoveSnapshot(file)
		return false
	}
	ReplayKept(opt, replays)
	return true
}

// The replays of a snapshot's build are kept beside it, written first: a
// snapshot without them does not hold.
func replaysFile(snapshot string) string { return snapshot + ".replay" }

func readReplays(snapshot string) ([]Replay, error) {
	data, err := os.ReadFile(replaysFile(snapshot))
	if err != nil {
		return nil, err
	}
	var r []Replay
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read %s: %w", replaysFile(snapshot), err)
	}
	return r, nil
}

// consultedFiles lists every file the build's verdicts depended on, the
// first inputs of them what it read (sources, manifests, configs, rbuild's
// config), whose changes the racily-clean rule watches; the rest are
// rbuild's own files and the build's outputs.
func (s *Session) consultedFiles(w *work) (files []string, inputs int) {
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	if s.plan != nil {
		for _, st := range s.plan.Q.Stamps {
			add(st.Path)
		}
	}
	if s.planFile != "" {
		add(s.planFile) // the graph itself
	}
	if s.user != nil && s.user.Path != "" {
		add(s.user.Path) // rbuild's config: cache.relocatable changes commands
	}
	for _, a := range s.graph.Actions {
		if rec := w.prev[a.ID]; rec != nil {
			for _, st := range rec.Inputs {
				add(st.Path)
			}
		}
	}
	inputs = len(files)
	add(filepath.Join(s.targetDir, "rbuild", "log"))
	if s.plan != nil {
		add(s.queryFile)
		add(explainPath(s.targetDir))
		add(countsPath(s.targetDir))
	}
	for _, a := range s.graph.Actions {
		rec := w.prev[a.ID]
		if rec == nil {
			continue
		}
		for _, st := range rec.Stamps() {
			add(st.Path)
		}
		if u, ok := unitStep(a); ok {
			for _, up := range u.Uplifts {
				add(up[1])
			}
			continue
		}
		for _, l := range w.steps.links(a) {
			add(l[1])
		}
	}
	return files, inputs
}

// writeSnapshot is called, with the target dir still locked, after a
// build that ran nothing and failed nothing; replays are the warnings it
// showed again.
func (s *Session) writeSnapshot(w *work, key [16]byte, replays []Replay) {
	if s.log.CompactIfWorthwhile() != nil {
		return
	}
	dir := filepath.Join(s.targetDir, "rbuild", "noop")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	file := snapshotFile(s.targetDir, key)
	data, err := json.Marshal(nonNilReplays(replays))
	if err != nil || atomicfile.Write(replaysFile(file), data, 0o644) != nil {
		return
	}
	consulted, inputs := s.consultedFiles(w)
	for _, r := range replays {
		consulted = append(consulted, r.File)
	}
	// An input whose mtime is close to the build's start, or later, may
	// have been saved after the build read it.
	racy := func(mtime int64) bool { return cutoff.Racy(time.Unix(0, mtime), s.opt.Started) }
	if err := rlog.WriteSnapshotOfInputs(file, key, consulted, inputs, racy); err != nil {
		TracePhase("no snapshot: " + err.Error())
	}
}

func nonNilReplays(r []Replay) []Replay {
	if r == nil {
		return []Replay{}
	}
	return r
}
