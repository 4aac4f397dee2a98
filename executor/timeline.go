package executor

import (
	"encoding/binary"
	"os"
	"slices"
	"sync"
	"time"

	"rbuild/graph"
)

// Outcome is what became of an action in one build.
type Outcome uint8

const (
	Compiled  Outcome = iota // rustc ran (a compile or a check)
	Linked                   // a split executable's link ran after its compile
	Relinked                 // a link ran while its compile was skipped: "relink, don't rebuild"
	ScriptRan                // a build script ran
	Restored                 // outputs copied from the artifact cache instead of compiling
	CutOff                   // skipped: the interfaces it depends on did not change
	Fresh                    // skipped: up to date
)

func (o Outcome) String() string {
	switch o {
	case Linked:
		return "link"
	case Relinked:
		return "relink"
	case ScriptRan:
		return "script"
	case Restored:
		return "cached"
	case CutOff:
		return "cutoff"
	case Fresh:
		return "fresh"
	}
	return "compile"
}

// Ran tells a process from a decision.
func (o Outcome) Ran() bool { return o < CutOff }

// Timeline records, while a build runs, when each action ran and what was
// decided for the ones that did not. The caller's Prepare and Finished
// feed it (they know the outcome); it is safe for concurrent use, and a nil
// *Timeline records nothing. Recording is one append: labels, edges and
// file times are looked up once, in Timings.
type Timeline struct {
	g     *graph.Graph
	zero  time.Time
	skips bool // record decisions too (the HTML report wants them, .ninja_log not)
	mu    sync.Mutex
	spans []recorded
}

type recorded struct {
	action            graph.ActionID
	outcome           Outcome
	start, early, end time.Time
	cmdHash           uint64
	reason            string
}

// NewTimeline starts a timeline at zero (the moment the first action could
// start). With skips, decisions not to run are recorded as well.
func NewTimeline(g *graph.Graph, zero time.Time, skips bool) *Timeline {
	return &Timeline{g: g, zero: zero, skips: skips}
}

// Ran records a finished process. cmdHash identifies its command (the
// first 8 bytes are used).
func (t *Timeline) Ran(a *graph.Action, o Outcome, r *Result, cmdHash [16]byte) {
	if t == nil {
		return
	}
	rec := recorded{action: a.ID, outcome: o, start: r.Start, early: r.Early, end: r.End,
		cmdHash: binary.BigEndian.Uint64(cmdHash[:8])}
	t.mu.Lock()
	t.spans = append(t.spans, rec)
	t.mu.Unlock()
}

// Skipped records the decision not to run a, and why.
func (t *Timeline) Skipped(a *graph.Action, o Outcome, reason string) {
	if t == nil || !t.skips {
		return
	}
	now := time.Now()
	t.mu.Lock()
	t.spans = append(t.spans, recorded{action: a.ID, outcome: o, start: now, end: now, reason: reason})
	t.mu.Unlock()
}

// RanAny tells whether any process ran.
func (t *Timeline) RanAny() bool {
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.ContainsFunc(t.spans, func(r recorded) bool { return r.outcome.Ran() })
}

// Timings turns what was recorded into the writers' input, spans ordered
// by start. label names an action for people; rel rewrites output paths
// (relative to the workspace root, say). Outputs are stat'ed here, after
// the build, as ninja's restat would: not on the build's hot path.
func (t *Timeline) Timings(label func(*graph.Action) string, rel func(string) string) *Timings {
	t.mu.Lock()
	recs := slices.Clone(t.spans)
	t.mu.Unlock()
	slices.SortStableFunc(recs, func(a, b recorded) int { return a.start.Compare(b.start) })
	tm := &Timings{Started: t.zero, Spans: make([]Span, len(recs))}
	labels := map[graph.ActionID]string{}
	for i, r := range recs {
		a := t.g.Actions[r.action]
		l, ok := labels[a.ID]
		if !ok {
			l = label(a)
			labels[a.ID] = l
		}
		s := Span{Action: a.ID, Label: l, Kind: a.Kind, Outcome: r.outcome, Reason: r.reason,
			Start: r.start.Sub(t.zero), End: r.end.Sub(t.zero), CmdHash: r.cmdHash}
		if !r.early.IsZero() {
			s.Early = r.early.Sub(t.zero)
		}
		if r.outcome.Ran() && len(a.Outputs) > 0 {
			path := t.g.Files[a.Outputs[0]].Path
			s.Output = path
			if rel != nil {
				s.Output = rel(path)
			}
			s.Mtime = r.end.UnixNano()
			if st, err := os.Stat(path); err == nil {
				s.Mtime = st.ModTime().UnixNano()
			}
		}
		for _, in := range a.Inputs {
			f := t.g.Files[in]
			if f.Producer != graph.NoAction && !slices.Contains(s.Inputs, Input{f.Producer, f.Early}) {
				s.Inputs = append(s.Inputs, Input{Action: f.Producer, Early: f.Early})
			}
		}
		tm.Spans[i] = s
	}
	return tm
}
