package build

import (
	"slices"
	"sync"

	"rbuild/cutoff"
	"rbuild/executor"
	"rbuild/graph"
)

// cutoffState is one build's bookkeeping of the interface cutoff and lazy
// repair (design.md "SVH staleness and lazy repair"): which compiles ran,
// which were cut off and are therefore stale, which a repair must compile
// again, and which are being repaired right now. Every decision that reads
// one of these and changes another is made under mu in one method: a
// repair starting between the two is the race that once gave CI an E0463
// (repair_test.go).
type cutoffState struct {
	g     *graph.Graph
	order []int // topological index of each action

	mu        sync.Mutex
	finished  []bool // finished in this build: ran (after Finished) or skipped
	ran       []bool // decided to run in this build
	stale     []bool // skipped by the cutoff: compiled against older dependencies
	force     []bool // must run: a repair asked for it
	repairing []bool // being compiled again by a repair: its files are in flux
	fp        map[graph.ActionID]cutoff.Hash
	earlyFp   map[graph.ActionID]cutoff.Hash // of compiles still generating code (decisionFingerprint)
	epoch     map[graph.ActionID][]cutoff.Hash
	parked    []parkedRecord
	counts    Counts
}

// parkedRecord is a finished compile whose record waits for the
// fingerprints of dependencies still being compiled (pipelining lets a
// dependent finish first).
type parkedRecord struct {
	a   *graph.Action
	rec *cutoff.Record
}

func newCutoffState(g *graph.Graph) *cutoffState {
	n := len(g.Actions)
	st := &cutoffState{g: g, finished: make([]bool, n), ran: make([]bool, n), stale: make([]bool, n), force: make([]bool, n),
		repairing: make([]bool, n),
		fp:        map[graph.ActionID]cutoff.Hash{}, earlyFp: map[graph.ActionID]cutoff.Hash{}, epoch: map[graph.ActionID][]cutoff.Hash{}, order: make([]int, n)}
	for i, id := range g.Order() {
		st.order[id] = i
	}
	return st
}

// producers lists the distinct producers of a's inputs that pick says.
func (st *cutoffState) producersLocked(a *graph.Action, pick func(p graph.ActionID) bool) []graph.ActionID {
	var out []graph.ActionID
	for _, in := range a.Inputs {
		if p := st.g.Files[in].Producer; p != graph.NoAction && pick(p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// unfinishedProducers lists the producers of a's inputs that have not
// finished in this build.
func (st *cutoffState) unfinishedProducers(a *graph.Action) []graph.ActionID {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.producersLocked(a, func(p graph.ActionID) bool { return !st.finished[p] })
}

// ranProducer returns a producer of a's inputs that ran in this build.
func (st *cutoffState) ranProducer(a *graph.Action) (graph.ActionID, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, in := range a.Inputs {
		if p := st.g.Files[in].Producer; p != graph.NoAction && st.ran[p] {
			return p, true
		}
	}
	return 0, false
}

// markCutOff records that a was skipped thanks to the cutoff: its outputs
// were compiled against older dependencies.
func (st *cutoffState) markCutOff(a graph.ActionID) {
	st.mu.Lock()
	st.stale[a] = true
	st.counts.CutOff++
	st.mu.Unlock()
}

// finish records that a ran to its end and says what it was: a relink
// when its executable's compile did not run in this build.
func (st *cutoffState) finish(a *graph.Action, compile graph.ActionID, restored bool) executor.Outcome {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.finished[a.ID] = true
	st.repairing[a.ID] = false
	u, isUnit := unitStep(a)
	switch {
	case a.Kind == graph.Link:
		if isUnit && u.TestMode {
			st.counts.TestsLinked++
		}
		if !st.ran[compile] {
			st.counts.Relinked++
			return executor.Relinked
		}
		return executor.Linked
	case isUnit && u.IsRun:
		st.counts.Scripts++
		return executor.ScriptRan
	case restored:
		st.counts.Restored++
		return executor.Restored
	}
	st.counts.Compiled++
	return executor.Compiled
}

// fingerprintOf returns p's fingerprint if known, else whether p
// finished and ran.
func (st *cutoffState) fingerprintOf(p graph.ActionID) (h cutoff.Hash, known, finished, ran bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	h, known = st.fp[p]
	return h, known, st.finished[p], st.ran[p]
}

func (st *cutoffState) setFingerprint(p graph.ActionID, h cutoff.Hash) {
	st.mu.Lock()
	st.fp[p] = h
	st.mu.Unlock()
}

func (st *cutoffState) earlyFingerprintOf(p graph.ActionID) (cutoff.Hash, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	h, ok := st.earlyFp[p]
	return h, ok
}

func (st *cutoffState) setEarlyFingerprint(p graph.ActionID, h cutoff.Hash) {
	st.mu.Lock()
	st.earlyFp[p] = h
	st.mu.Unlock()
}

func (st *cutoffState) epochOf(p graph.ActionID) ([]cutoff.Hash, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.epoch[p]
	return e, ok
}

func (st *cutoffState) setEpoch(p graph.ActionID, e []cutoff.Hash) {
	st.mu.Lock()
	st.epoch[p] = e
	st.mu.Unlock()
}

func (st *cutoffState) park(a *graph.Action, rec *cutoff.Record) {
	st.mu.Lock()
	st.parked = append(st.parked, parkedRecord{a, rec})
	st.mu.Unlock()
}

func (st *cutoffState) takeParked() []parkedRecord {
	st.mu.Lock()
	defer st.mu.Unlock()
	p := st.parked
	st.parked = nil
	return p
}

func (st *cutoffState) snapshotCounts() Counts {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.counts
}

func (st *cutoffState) isFinished(a graph.ActionID) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.finished[a]
}

// absorbRepair takes into this build's state what the doctests' repair
// run (doctest.go) did with lib compile a: it is no longer stale, and
// finished unless its repair failed.
func (st *cutoffState) absorbRepair(a graph.ActionID, finished bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.stale[a] {
		st.counts.CutOff-- // counted as cut off by the build's run
	}
	st.stale[a], st.force[a] = false, false
	st.finished[a] = finished
}

// addRepairCounts adds what the doctests' repair run compiled.
func (st *cutoffState) addRepairCounts(c Counts) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.counts.Compiled += c.Compiled
	st.counts.Repaired += c.Repaired
	st.counts.Restored += c.Restored
}
