package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"rbuild/executor"
	"rbuild/graph"
)

// Selection is what of the session's graph a Build runs.
type Selection int

const (
	// Everything builds the whole graph: what cargo build would.
	Everything Selection = iota
	// BuildScripts builds and runs every build script and what they
	// need, without recording the build (gen bakes their outputs in).
	BuildScripts
)

// Result is what one Build did.
type Result struct {
	Stats  executor.Stats
	Counts Counts
	// Graph is the graph that ran: the session's, or a part of it.
	Graph *graph.Graph
	// Verdicts say, per action of Graph (by ID), whether it ran and why:
	// what `rbuild explain` prints.
	Verdicts []ExplainEntry
	// Failed names the actions that were run and did not finish: they
	// failed, or the build was cancelled under them.
	Failed []string
	// TimingReport is the HTML report's path, with Options.Timings.
	TimingReport string
}

// Counts is what one build did, as its summary line says it. The last
// build's are kept in target/rbuild/last-build-counts.json (ReadCounts).
type Counts struct {
	Compiled int `json:"compiled"`
	CutOff   int `json:"cut_off"`
	Relinked int `json:"relinked"`
	Repaired int `json:"repaired"`
	Scripts  int `json:"build_scripts_run"`
	Restored int `json:"restored"`
	Remote   int `json:"restored_remote"`

	// TestsLinked counts the links of test executables that ran (linked
	// or relinked), which `rbuild bench` shows beside the test
	// executables cargo rebuilt.
	TestsLinked int `json:"tests_linked"`
}

// Build runs sel's part of the graph: each action whose inputs changed,
// each compile a repair needs, nothing else. It returns an error wrapping
// executor.ErrBuildFailed when an action failed; the Result is filled
// either way.
func (s *Session) Build(ctx context.Context, sel Selection) (*Result, error) {
	g := s.graph
	if sel == BuildScripts {
		var runs []graph.ActionID
		for _, a := range g.Actions {
			if a.Kind == graph.RunScript {
				runs = append(runs, a.ID)
			}
		}
		sub, err := g.Subgraph(g.Ancestors(runs))
		if err != nil {
			return nil, err
		}
		g = sub
	}
	// A build plan's invocations are scheduled without costs, and their
	// durations are not kept: the file is the user's, capped, and 100k
	// of them pushed every workspace's out of it.
	parts := workParts{g: g, log: s.log, opt: &s.opt, outputs: s.outputs, history: &durationHistory{},
		baseEnv: childEnv(s.opt.Env), steps: ruleSteps{g}}
	if s.plan != nil {
		parts.plan, parts.baseEnv = s.plan, s.plan.BaseEnv
		parts.steps = s.unitSteps(g)
		parts.history = newDurationHistory(s.opt.getenv)
	}
	w := newWork(parts)
	if sel == Everything && s.plan != nil {
		w.msgs = newMessages(&s.opt, s.plan.RbuildDir)
		var err error
		if w.art, err = openArtifacts(s.user, s.opt.NoCache, s.targetDir, s.plan, w.hasher, s.opt.Status); err != nil {
			return nil, err
		}
		w.timeline = executor.NewTimeline(g, time.Now(), s.opt.Timings)
		if s.opt.Doctests {
			w.doctestLoads = s.doctestLoads(g)
		}
	}
	TracePhase("records")
	eo := executor.Options{Jobs: s.opt.Jobs, KeepGoing: s.opt.KeepGoing, Status: s.opt.Status, Color: s.opt.Color,
		Verbose: s.opt.Verbose > 0,
		// Under the target dir's lock: a job's process group still listed
		// here was left by a killed rbuild, and is killed before building.
		JobsDir: filepath.Join(s.targetDir, "rbuild", "jobs")}
	if s.plan != nil {
		eo.Cost = w.history.cost
	}
	stats, err := executor.Run(ctx, g, w, eo)
	if err == nil && sel == Everything {
		err = s.settleDoctests(ctx, w, eo, &stats)
	}
	s.opt.Status.Done()
	if w.msgs != nil {
		w.msgs.finished(err == nil)
	}
	if w.art != nil {
		w.art.finish(ctx)
	}
	w.flushParked()
	w.history.save()
	traceCutoffWork()
	res := &Result{Stats: stats, Graph: g, Counts: w.counts(), Verdicts: w.verdicts()}
	for _, a := range g.Actions {
		if res.Verdicts[a.ID].Ran && !w.cut.isFinished(a.ID) {
			res.Failed = append(res.Failed, res.Verdicts[a.ID].Label)
		}
	}
	// An action that failed for lack of disk space: one line says so
	// last, and the writes after the build that fail for the same reason
	// add nothing to it.
	noSpace := errors.Is(err, executor.ErrBuildFailed) && errors.Is(err, syscall.ENOSPC)
	if sel != Everything || s.plan == nil {
		if sel == Everything {
			s.maybeSnapshot(w, stats, err)
		}
		if noSpace {
			s.opt.Status.Verb("error", noSpaceMessage(s.targetDir))
		}
		return res, err
	}
	TracePhase("execute")
	if werr := s.writeExplain(w); werr != nil && err == nil {
		err = werr
	}
	TracePhase("explain")
	res.TimingReport = s.saveTimings(w, noSpace)
	s.maybeSnapshot(w, stats, err)
	if noSpace {
		s.opt.Status.Verb("error", noSpaceMessage(s.targetDir))
	}
	return res, err
}

// maybeSnapshot leaves the no-op snapshot of a build that ran nothing and
// failed nothing. JSON records need the build; the warnings it replayed
// the snapshot keeps.
func (s *Session) maybeSnapshot(w *work, stats executor.Stats, err error) {
	if err == nil && !s.opt.MessageFormat.JSON && s.opt.SnapshotKey != nil && stats.Ran == 0 && stats.Failed == 0 && stats.NotRun == 0 {
		s.writeSnapshot(w, *s.opt.SnapshotKey, w.msgs.replayList())
	}
}

// noSpaceMessage closes a build that ran out of disk space: rustc's (or
// the linker's) words above it may not say so, a linker killed by SIGBUS
// for one.
func noSpaceMessage(targetDir string) string {
	msg := "no space left on device for " + targetDir
	var st syscall.Statfs_t
	if syscall.Statfs(targetDir, &st) == nil {
		msg += fmt.Sprintf(" (%s free now)", FormatSize(int64(st.Bavail)*int64(st.Bsize)))
	}
	return msg + "; free some space and build again"
}

// verdicts is asked once the executor has returned, when nothing sets a
// verdict any more: the slice itself, not a copy (a copy was 80 bytes an
// action more at the end of a build, where its heap is largest).
func (w *work) verdicts() []ExplainEntry {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.explain
}

func (w *work) counts() Counts {
	c := w.cut.snapshotCounts()
	if w.art != nil {
		c.Remote = w.art.remoteHitCount()
	}
	return c
}

// Summary is the last line of a build that did something:
// "rbuild: 1 compiled, 5 cut off, 2 relinked in 1.2s".
func (c Counts) Summary(took time.Duration) string {
	s := fmt.Sprintf("rbuild: %d compiled, %d cut off, %d relinked", c.Compiled, c.CutOff, c.Relinked)
	if c.Repaired > 0 {
		s += fmt.Sprintf(", %d repaired", c.Repaired)
	}
	if c.Restored > 0 {
		s += fmt.Sprintf(", %d restored from cache", c.Restored)
	}
	if c.Scripts > 0 {
		s += fmt.Sprintf(", %d build scripts run", c.Scripts)
	}
	return s + fmt.Sprintf(" in %.2fs", took.Seconds())
}

// ReadCounts reads what the last build in targetDir did, if it began at
// or after since. A build that found its no-op snapshot valid writes
// nothing: it did nothing.
func ReadCounts(targetDir string, since time.Time) (Counts, error) {
	path := countsPath(targetDir)
	st, err := os.Stat(path)
	if err != nil {
		return Counts{}, fmt.Errorf("no build counts: %w", err)
	}
	var c Counts
	if st.ModTime().Before(since) {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("read %s: %w", path, err)
	}
	return c, nil
}
