package executor

import (
	"cmp"
	"slices"
	"time"

	"rbuild/graph"
)

// Timings is one build's timeline, as the HTML timing report and the
// .ninja_log need it. Every duration in a Span is measured from Started.
type Timings struct {
	Command string
	Started time.Time     // when the first action could start
	Setup   time.Duration // before Started: cargo's answer, the plan, the graph, the log
	Wall    time.Duration // from Started until the build was over
	Jobs    int
	Spans   []Span // by start
}

// Span is one action's part in the build: a process that ran, or a
// decision not to run one (Start == End). An action repaired after being
// cut off has two.
type Span struct {
	Action  graph.ActionID
	Label   string
	Kind    graph.Kind
	Outcome Outcome
	Reason  string // why it was skipped
	// Early is when rustc announced the early output (the .rmeta that
	// lets dependents start); 0 if it did not.
	Start, Early, End time.Duration
	Output            string // the main output, for processes that ran
	Mtime             int64  // its modification time, ns
	CmdHash           uint64
	Inputs            []Input // the producers of the files it reads
}

// Input is an edge from the producer of a file an action reads.
type Input struct {
	Action graph.ActionID
	Early  bool // the file is the producer's early output: available at its Early
}

// Counts says how many spans ended each way.
type Counts struct {
	Compiled int `json:"compiled"`
	Linked   int `json:"linked"`
	Relinked int `json:"relinked"`
	Scripts  int `json:"scripts"`
	Restored int `json:"restored"`
	CutOff   int `json:"cutOff"`
	Fresh    int `json:"fresh"`
}

func (t *Timings) Counts() Counts {
	var c Counts
	for _, s := range t.Spans {
		switch s.Outcome {
		case Compiled:
			c.Compiled++
		case Linked:
			c.Linked++
		case Relinked:
			c.Relinked++
		case ScriptRan:
			c.Scripts++
		case Restored:
			c.Restored++
		case CutOff:
			c.CutOff++
		case Fresh:
			c.Fresh++
		}
	}
	return c
}

// CriticalPath marks the spans the end of the build waited on: from the
// span that ended last, back through the input that became available
// last before it started (a producer's early output at its Early time,
// any other output at its End), to a span that waited on nothing.
func (t *Timings) CriticalPath() []bool {
	crit := make([]bool, len(t.Spans))
	if len(t.Spans) == 0 {
		return crit
	}
	byAction := map[graph.ActionID][]int{}
	last := 0
	for i, s := range t.Spans {
		byAction[s.Action] = append(byAction[s.Action], i)
		if s.End > t.Spans[last].End {
			last = i
		}
	}
	for cur := last; cur >= 0 && !crit[cur]; {
		crit[cur] = true
		next, latest := -1, time.Duration(-1)
		for _, in := range t.Spans[cur].Inputs {
			i, at := t.availableBy(byAction[in.Action], in.Early, t.Spans[cur].Start)
			if i >= 0 && at > latest {
				next, latest = i, at
			}
		}
		cur = next
	}
	return crit
}

// availableBy picks, of one action's spans, the one whose output was the
// latest available at `by` (a repaired action has two), and when.
func (t *Timings) availableBy(spans []int, early bool, by time.Duration) (int, time.Duration) {
	best, at := -1, time.Duration(-1)
	for _, i := range spans {
		s := t.Spans[i]
		avail := s.End
		if early && s.Early > 0 {
			avail = s.Early
		}
		if avail <= by && avail > at {
			best, at = i, avail
		}
	}
	return best, at
}

// Step is the number of processes running from At on.
type Step struct {
	At      time.Duration
	Running int
}

// Concurrency is the number of running processes over time, a step
// function starting at 0.
func (t *Timings) Concurrency() []Step {
	type change struct {
		at time.Duration
		d  int
	}
	var cs []change
	for _, s := range t.Spans {
		if s.Outcome.Ran() {
			cs = append(cs, change{s.Start, +1}, change{s.End, -1})
		}
	}
	// At equal times ends come first: a job slot handed over is not two jobs.
	slices.SortFunc(cs, func(a, b change) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.d, b.d)) })
	steps := []Step{{0, 0}}
	n := 0
	for _, c := range cs {
		n += c.d
		if last := &steps[len(steps)-1]; last.At == c.at {
			last.Running = n
		} else {
			steps = append(steps, Step{c.at, n})
		}
	}
	return steps
}

// Slowest returns the indexes of the n longest processes, longest first.
func (t *Timings) Slowest(n int) []int {
	var ran []int
	for i, s := range t.Spans {
		if s.Outcome.Ran() {
			ran = append(ran, i)
		}
	}
	slices.SortStableFunc(ran, func(a, b int) int {
		return cmp.Compare(t.Spans[b].End-t.Spans[b].Start, t.Spans[a].End-t.Spans[a].Start)
	})
	return ran[:min(n, len(ran))]
}
