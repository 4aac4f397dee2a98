package build

import (
	"slices"

	"rbuild/executor"
	"rbuild/graph"
)

// Lazy repair (design.md "SVH staleness and lazy repair"): a compile
// skipped by the cutoff keeps outputs built against its dependencies' old
// crate hashes. Links may use them; a compile whose rustc would load one
// must first have it, and everything of its closure built on it, compiled
// again. These are the decisions about that, each one read-and-change of
// the cutoff state under its lock.

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

// countRepair counts a compile that runs only so that the doctests do not
// load it stale (doctestLoads).
func (st *cutoffState) countRepair() {
	st.mu.Lock()
	st.counts.Repaired++
	st.mu.Unlock()
}

// inFlux is inFluxLocked for a decision that found an input missing.
func (st *cutoffState) inFlux(a *graph.Action) *executor.Later {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.inFluxLocked(a)
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
	return st.repairsFor(a.Inputs)
}

// repairsFor is repairs for a rustc (or rustdoc) that loads the files
// inputs, which need not be an action of the graph (doctests).
func (st *cutoffState) repairsFor(inputs []graph.FileID) (rerun, busy []graph.ActionID) {
	g := st.g
	st.mu.Lock()
	defer st.mu.Unlock()
	var closure []graph.ActionID
	seen := map[graph.ActionID]bool{}
	for _, in := range inputs {
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
