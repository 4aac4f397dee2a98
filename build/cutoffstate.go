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
		fp:        map[graph.ActionID]cutoff.Hash{}, epoch: map[graph.ActionID][]cutoff.Hash{}, order: make([]int, n)}
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

// inRepair lists the producers of a's inputs that a repair is compiling
// again right now. Their outputs were released by their first run, so a
// can be ready while rustc rewrites them: a must wait for the repaired
// files (the old .rmeta would make rustc stop with E0460, the .rlib is
// gone until the repair writes it).
func (st *cutoffState) inRepair(a *graph.Action) []graph.ActionID {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.producersLocked(a, func(p graph.ActionID) bool { return st.repairing[p] })
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

// beginRepair reports whether a repair asked for a; if so a is being
// repaired from now on, and no longer counts as cut off.
func (st *cutoffState) beginRepair(a graph.ActionID) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.force[a] {
		return false
	}
	st.force[a] = false
	st.repairing[a] = true
	st.counts.Repaired++
	if st.stale[a] {
		st.counts.CutOff-- // it was cut off earlier in this build
	}
	return true
}

// markCutOff records that a was skipped thanks to the cutoff: its outputs
// were compiled against older dependencies.
func (st *cutoffState) markCutOff(a graph.ActionID) {
	st.mu.Lock()
	st.stale[a] = true
	st.counts.CutOff++
	st.mu.Unlock()
}

// settle makes a's verdict stand. A run is recorded as such. A skip
// stands only if no dependency's repair began while it was being decided
// (that repair replaces the files it judged): otherwise it returns when
// to decide again, and the skip is undone.
func (st *cutoffState) settle(a graph.ActionID, run bool) *executor.Later {
	st.mu.Lock()
	defer st.mu.Unlock()
	if run {
		st.ran[a] = true
		st.stale[a] = false
		return nil
	}
	if l := st.inFluxLocked(st.g.Actions[a]); l != nil {
		if st.stale[a] {
			st.stale[a] = false
			st.counts.CutOff--
		}
		return l
	}
	st.finished[a] = true
	return nil
}

// inFluxLocked tells a skip of a to wait when a producer of its inputs is
// being repaired (After) or has been asked to be (Rerun, which starts it if
// nothing has yet): either way its files are about to change.
func (st *cutoffState) inFluxLocked(a *graph.Action) *executor.Later {
	var l executor.Later
	for _, in := range a.Inputs {
		p := st.g.Files[in].Producer
		switch {
		case p == graph.NoAction:
		case st.repairing[p] && !slices.Contains(l.After, p):
			l.After = append(l.After, p)
		case st.force[p] && !slices.Contains(l.Rerun, p):
			l.Rerun = append(l.Rerun, p)
		}
	}
	if len(l.After) == 0 && len(l.Rerun) == 0 {
		return nil
	}
	return &l
}

// repairs lists the crates a's rustc would load that were skipped by the
// cutoff (stale: compiled against older dependencies, so rustc would stop
// with E0460, or with a bare E0463 "can't find crate" when the crate is
// reached by a `use`), plus every crate of a's closure built on one of
// them: each must be compiled again, bottom-up, before a runs
// (rustc-facts.md §8). A crate another repair is compiling right now is in
// flux: a waits for it (busy) rather than link its old files, and what is
// built on it needs repair too. A crate already asked for (force) counts
// as stale until its repair starts, so that a never slips in between.
func (st *cutoffState) repairs(a *graph.Action) (rerun, busy []graph.ActionID) {
	g := st.g
	st.mu.Lock()
	defer st.mu.Unlock()
	var closure []graph.ActionID
	seen := map[graph.ActionID]bool{}
	for _, in := range a.Inputs {
		p := g.Files[in].Producer
		if p == graph.NoAction || seen[p] || g.Actions[p].Kind != graph.Compile {
			continue
		}
		if u, ok := unitStep(g.Actions[p]); ok && !u.IsRun {
			seen[p] = true
			closure = append(closure, p)
		}
	}
	slices.SortFunc(closure, func(x, y graph.ActionID) int { return st.order[x] - st.order[y] })
	in := map[graph.ActionID]bool{}
	for _, x := range closure {
		if st.repairing[x] {
			in[x] = true
			busy = append(busy, x)
			continue
		}
		need := st.stale[x] || st.force[x]
		for _, f := range g.Actions[x].Inputs {
			if p := g.Files[f].Producer; p != graph.NoAction && in[p] {
				need = true
			}
		}
		if need {
			in[x] = true
			rerun = append(rerun, x)
		}
	}
	for _, x := range rerun {
		st.force[x] = true
	}
	return rerun, busy
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
