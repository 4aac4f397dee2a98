package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"rbuild/cargometa"
	"rbuild/cutoff"
	"rbuild/executor"
	"rbuild/graph"
)

// The interface cutoff on the work side (design.md "Freshness and early
// cutoff", "SVH staleness and lazy repair"): which inputs a compile judges
// by their producer's interface fingerprint, when a skip must wait for
// fingerprints and symbol epochs, and which skipped crates must be
// repaired before rustc loads them.

// ifaceState is the per-build bookkeeping, guarded by work.mu.
type ifaceState struct {
	finished  []bool // finished in this build: ran (after Finished) or skipped
	ran       []bool // decided to run in this build
	stale     []bool // skipped by the cutoff: compiled against older dependencies
	force     []bool // must run: a repair asked for it
	repairing []bool // being compiled again by a repair: its files are in flux
	fp        map[graph.ActionID]cutoff.Hash
	halfFloat halfFloatCheck // has its own sync.Once
	epoch     map[graph.ActionID][]cutoff.Hash
	parked    []parkedRecord
	order     []int // topological index of each action

	compiled, cutOff, relinked, repaired, scripts, restored int
}

// parkedRecord is a finished compile whose record waits for the
// fingerprints of dependencies still being compiled (pipelining lets a
// dependent finish first).
type parkedRecord struct {
	a   *graph.Action
	rec *cutoff.Record
}

const epochCap = 64

func newIfaceState(g *graph.Graph) *ifaceState {
	n := len(g.Actions)
	st := &ifaceState{finished: make([]bool, n), ran: make([]bool, n), stale: make([]bool, n), force: make([]bool, n),
		repairing: make([]bool, n),
		fp:        map[graph.ActionID]cutoff.Hash{}, epoch: map[graph.ActionID][]cutoff.Hash{}, order: make([]int, n)}
	for i, id := range g.Order() {
		st.order[id] = i
	}
	return st
}

// judgedBy returns the producer whose interface fingerprint stands for
// input f of action a, if a compile judges f that way.
func (w *work) judgedBy(a *graph.Action, f graph.FileID) (graph.ActionID, bool) {
	u := unitOf(a)
	if w.s.opt.cutoff != "interface" || a.Kind != graph.Compile || u.IsRun {
		return 0, false
	}
	if u.ReadsRlibs() && !u.SplitLink {
		// This compile also links (a cdylib, staticlib or dylib): its
		// output embeds the dependency's code, so only exact bytes do.
		return 0, false
	}
	p := w.s.graph.Files[f].Producer
	if p == graph.NoAction {
		return 0, false
	}
	pa := w.s.graph.Actions[p]
	if pa.Kind != graph.Compile || !unitOf(pa).Interface {
		return 0, false
	}
	return p, true
}

// fingerprint returns the interface fingerprint of lib compile p, once p
// and every compile it depends on have finished in this build.
func (w *work) fingerprint(p graph.ActionID) (cutoff.Hash, bool) {
	w.mu.Lock()
	h, ok := w.iface.fp[p]
	finished, ran := w.iface.finished[p], w.iface.ran[p]
	prev := w.prev[p]
	deps, c := w.deps[p], w.cmds[p]
	w.mu.Unlock()
	if ok {
		return h, true
	}
	if !finished {
		return cutoff.Hash{}, false
	}
	if !ran {
		if prev == nil || prev.Iface == nil {
			return cutoff.Hash{}, false
		}
		h = *prev.Iface
	} else {
		a := w.s.graph.Actions[p]
		key := []string{commandHash(c).String()}
		for i, in := range a.Inputs {
			if q, ok := w.judgedBy(a, in); ok {
				qh, ok := w.fingerprint(q)
				if !ok {
					return cutoff.Hash{}, false
				}
				key = append(key, "iface", qh.String())
			} else {
				key = append(key, deps[i].Hash.String())
			}
		}
		h = w.computeInterface(unitOf(a), c, cutoff.HashStrings(key))
	}
	w.mu.Lock()
	w.iface.fp[p] = h
	w.mu.Unlock()
	return h, true
}

// computeInterface fingerprints a lib crate that just compiled. When the
// skeleton cannot be made (a lexing surprise), the crate's exact .rmeta
// stands in: dependents then rebuild on any change, which is always sound.
func (w *work) computeInterface(u *cargometa.Unit, c *cargometa.Command, key cutoff.Hash) cutoff.Hash {
	defer traceAdd(&fingerprintTime, time.Now())
	di, err := cutoff.ReadDepInfo(u.DepInfo)
	if err == nil {
		crate := &cutoff.Crate{Key: key, PkgDir: filepath.Dir(u.Pkg.ManifestPath), EnvDeps: di.EnvDeps, Strict: w.s.opt.strictSpans}
		for _, f := range di.Files {
			if !filepath.IsAbs(f) {
				f = filepath.Join(c.Dir, f)
			}
			switch {
			case strings.HasPrefix(f, u.ViewDir+string(filepath.Separator)):
				crate.Externs = append(crate.Externs, filepath.Base(f))
			case w.isToolchainFile(f):
			default:
				crate.Sources = append(crate.Sources, f)
			}
		}
		var fp cutoff.Fingerprinter = cutoff.SkeletonFingerprinter{}
		if !u.Local || w.halfFloatEnabled() {
			fp = cutoff.ExactFingerprinter{}
		}
		var h cutoff.Hash
		if h, err = fp.Fingerprint(crate, w.hasher); err == nil {
			return h
		}
	}
	if w.s.opt.verbose > 0 {
		w.s.status.Verb("Note", fmt.Sprintf("%s: no interface fingerprint (%v); dependents follow its exact output", u.Label, err))
	}
	st, _ := w.hasher.Stamp(u.Rmeta)
	return cutoff.HashStrings([]string{"exact", st.Hash.String()})
}

// isToolchainFile: the standard library's rlibs, listed by
// -Z binary-dep-depinfo. The toolchain is part of every command's key.
func (w *work) isToolchainFile(f string) bool {
	sys := w.s.plan.Q.Rustc.Sysroot
	return sys != "" && strings.HasPrefix(f, sys+string(filepath.Separator))
}

// ifaceInputs fills cur.Iface for a compile and says which producers'
// fingerprints are not known yet (they are still compiling: the compile
// was released by an early .rmeta). Unknown ones are provisionally taken
// as unchanged: if the compile runs anyway, they do not matter.
func (w *work) ifaceInputs(a *graph.Action, prev *cutoff.Record) (map[string]cutoff.Hash, []graph.ActionID) {
	iface := map[string]cutoff.Hash{}
	var unknown []graph.ActionID
	for _, in := range a.Inputs {
		p, ok := w.judgedBy(a, in)
		if !ok {
			continue
		}
		path := w.s.graph.Files[in].Path
		if h, ok := w.fingerprint(p); ok {
			iface[path] = h
			continue
		}
		unknown = append(unknown, p)
		if prev != nil {
			if h, ok := prev.IfaceOf(path); ok {
				iface[path] = h
			}
		}
	}
	return iface, unknown
}

// inRepair lists the producers of a's inputs that a repair is compiling
// again right now. Their outputs were released by their first run, so a
// can be ready while rustc rewrites them: a must wait for the repaired
// files (the old .rmeta would make rustc stop with E0460, the .rlib is
// gone until the repair writes it).
func (w *work) inRepair(a *graph.Action) []graph.ActionID {
	var out []graph.ActionID
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, in := range a.Inputs {
		if p := w.s.graph.Files[in].Producer; p != graph.NoAction && w.iface.repairing[p] && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// inFluxLocked tells a skip of a to wait when a producer of its inputs is
// being repaired (After) or has been asked to be (Rerun, which starts it if
// nothing has yet): either way its files are about to change. Called with
// w.mu held.
func (w *work) inFluxLocked(a *graph.Action) *executor.Later {
	var l executor.Later
	for _, in := range a.Inputs {
		p := w.s.graph.Files[in].Producer
		switch {
		case p == graph.NoAction:
		case w.iface.repairing[p] && !slices.Contains(l.After, p):
			l.After = append(l.After, p)
		case w.iface.force[p] && !slices.Contains(l.Rerun, p):
			l.Rerun = append(l.Rerun, p)
		}
	}
	if len(l.After) == 0 && len(l.Rerun) == 0 {
		return nil
	}
	return &l
}

// unfinishedProducers lists the compiles among a's inputs' producers that
// have not finished in this build.
func (w *work) unfinishedProducers(a *graph.Action) []graph.ActionID {
	var out []graph.ActionID
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, in := range a.Inputs {
		if p := w.s.graph.Files[in].Producer; p != graph.NoAction && !w.iface.finished[p] && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// symbolsRemoved checks the skip of a compile cut off from the files in
// cut: each producer's exported symbols must still include everything the
// build that this compile used had (rustc-facts.md §5: otherwise the link
// fails on an undefined symbol). It names the first producer that fails.
func (w *work) symbolsRemoved(a *graph.Action, prev *cutoff.Record, cut []string) string {
	for _, path := range cut {
		id, _ := w.s.graph.Lookup(path)
		p := w.s.graph.Files[id].Producer
		w.mu.Lock()
		epoch, ok := w.iface.epoch[p]
		w.mu.Unlock()
		if !ok {
			if r := w.prev[p]; r != nil {
				epoch = r.Epoch
			}
		}
		used, _ := prev.DepHash(path)
		if !slices.Contains(epoch, used) {
			return unitOf(w.s.graph.Actions[p]).Pkg.Name
		}
	}
	return ""
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
func (w *work) repairs(a *graph.Action) (rerun, busy []graph.ActionID) {
	g := w.s.graph
	w.mu.Lock()
	defer w.mu.Unlock()
	var closure []graph.ActionID
	seen := map[graph.ActionID]bool{}
	for _, in := range a.Inputs {
		p := g.Files[in].Producer
		if p != graph.NoAction && !seen[p] && g.Actions[p].Kind == graph.Compile && !unitOf(g.Actions[p]).IsRun {
			seen[p] = true
			closure = append(closure, p)
		}
	}
	slices.SortFunc(closure, func(x, y graph.ActionID) int { return w.iface.order[x] - w.iface.order[y] })
	in := map[graph.ActionID]bool{}
	for _, x := range closure {
		if w.iface.repairing[x] {
			in[x] = true
			busy = append(busy, x)
			continue
		}
		need := w.iface.stale[x] || w.iface.force[x]
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
		w.iface.force[x] = true
	}
	return rerun, busy
}

// decideInterface refines a compile's verdict with the cutoff's extra
// rules. It returns a *executor.Later when the decision must wait.
func (w *work) decideInterface(a *graph.Action, prev *cutoff.Record, v *cutoff.Verdict, unknown []graph.ActionID) error {
	w.mu.Lock()
	forced := w.iface.force[a.ID]
	w.iface.force[a.ID] = false
	if forced {
		w.iface.repairing[a.ID] = true
		w.iface.repaired++
		if w.iface.stale[a.ID] {
			w.iface.cutOff-- // it was cut off earlier in this build
		}
	}
	w.mu.Unlock()
	if forced {
		v.Run, v.Reason = true, "repair: compiled against older dependencies, rustc would reject it (E0460)"
		return nil
	}
	if w.s.opt.cutoff == "off" && !v.Run {
		w.mu.Lock()
		for _, in := range a.Inputs {
			if p := w.s.graph.Files[in].Producer; p != graph.NoAction && w.iface.ran[p] {
				v.Run, v.Reason = true, "dependency "+unitOf(w.s.graph.Actions[p]).Pkg.Name+" was rebuilt (--cutoff=off)"
				break
			}
		}
		w.mu.Unlock()
	}
	if !v.Run && len(unknown) > 0 {
		return &executor.Later{After: w.unfinishedProducers(a)}
	}
	if !v.Run && len(v.CutOff) > 0 {
		if name := w.symbolsRemoved(a, prev, v.CutOff); name != "" {
			v.Run, v.Reason = true, "exported symbols of "+name+" removed"
		}
	}
	if v.Run && a.Kind == graph.Compile && !unitOf(a).IsRun {
		// Only rustc compiles load crates; a link takes rlibs as they are.
		if rerun, busy := w.repairs(a); len(rerun) > 0 || len(busy) > 0 {
			return &executor.Later{Rerun: rerun, After: busy}
		}
	}
	if v.Run {
		return nil
	}
	if len(v.CutOff) > 0 {
		names := make([]string, 0, len(v.CutOff))
		for _, p := range v.CutOff {
			id, _ := w.s.graph.Lookup(p)
			if n := unitOf(w.s.graph.Actions[w.s.graph.Files[id].Producer]).Pkg.Name; !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		v.Reason = "interface of " + strings.Join(names, ", ") + " unchanged"
		w.mu.Lock()
		w.iface.stale[a.ID] = true
		w.iface.cutOff++
		w.mu.Unlock()
	}
	return nil
}

// finishInterface completes a compile's record with the cutoff's parts:
// its symbol epoch, the fingerprints it consumed and its own fingerprint.
// It reports false when some fingerprint must wait for a dependency
// still compiling (the caller parks the record).
func (w *work) finishInterface(a *graph.Action, rec *cutoff.Record) bool {
	u := unitOf(a)
	if u.Interface {
		epoch := w.nextEpoch(a, u)
		rec.Epoch = epoch
		w.mu.Lock()
		w.iface.epoch[a.ID] = epoch
		w.mu.Unlock()
	}
	return w.completeRecord(a, rec)
}

func (w *work) completeRecord(a *graph.Action, rec *cutoff.Record) bool {
	rec.Ifaces = rec.Ifaces[:0]
	for _, in := range a.Inputs {
		p, ok := w.judgedBy(a, in)
		if !ok {
			continue
		}
		h, ok := w.fingerprint(p)
		if !ok {
			return false
		}
		rec.Ifaces = append(rec.Ifaces, cutoff.Fingerprint{Path: w.s.graph.Files[in].Path, Hash: h})
	}
	if unitOf(a).Interface {
		h, ok := w.fingerprint(a.ID)
		if !ok {
			return false
		}
		rec.Iface = &h
	}
	return true
}

// nextEpoch extends the crate's symbol epoch with this build's outputs,
// or starts a new one when an exported symbol disappeared. The previous
// symbol list is kept next to the rlib.
func (w *work) nextEpoch(a *graph.Action, u *cargometa.Unit) []cutoff.Hash {
	defer traceAdd(&symbolTime, time.Now())
	var ids []cutoff.Hash
	var rlib string
	for _, f := range u.Main {
		st, err := w.hasher.Refresh(f)
		if err == nil && st.Size >= 0 {
			ids = append(ids, st.Hash)
		}
		if strings.HasSuffix(f, ".rlib") {
			rlib = f
		}
	}
	// A registry crate's fingerprint follows its exact sources, so its
	// dependents are never cut off from it: its symbols need no watching.
	removed := !u.Local
	if rlib != "" && u.Local {
		symsFile := strings.TrimSuffix(rlib, ".rlib") + ".syms"
		now, err := cutoff.ExportedSymbols(rlib)
		if err != nil {
			removed = true // unreadable: start over, dependents rebuild
		} else {
			if old, err := readLines(symsFile); err != nil {
				removed = true
			} else {
				removed = !subset(old, now)
			}
			os.WriteFile(symsFile, []byte(strings.Join(now, "\n")), 0o644)
		}
	}
	var epoch []cutoff.Hash
	if prev := w.prev[a.ID]; prev != nil && !removed {
		epoch = append(epoch, prev.Epoch...)
	}
	epoch = append(epoch, ids...)
	if len(epoch) > epochCap {
		epoch = epoch[len(epoch)-epochCap:]
	}
	return epoch
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out, sc.Err()
}

// subset: every name of old (sorted) is in now (sorted).
func subset(old, now []string) bool {
	j := 0
	for _, s := range old {
		for j < len(now) && now[j] < s {
			j++
		}
		if j == len(now) || now[j] != s {
			return false
		}
	}
	return true
}

// flushParked writes the records that waited for fingerprints, now that
// the build is over; one whose dependency failed stays unwritten (the
// action runs again next time).
func (w *work) flushParked() {
	w.mu.Lock()
	parked := w.iface.parked
	w.iface.parked = nil
	w.mu.Unlock()
	for _, p := range parked {
		if w.completeRecord(p.a, p.rec) {
			w.s.log.Put(rlogRecord(p.a.Name, p.rec))
		}
	}
}

// buildCounts is what one build did, as its summary line says it.
type buildCounts struct {
	Compiled int `json:"compiled"`
	CutOff   int `json:"cut_off"`
	Relinked int `json:"relinked"`
	Repaired int `json:"repaired"`
	Scripts  int `json:"build_scripts_run"`
	Restored int `json:"restored"`
	Remote   int `json:"restored_remote"`
}

func (w *work) counts() buildCounts {
	remote := 0
	if w.art != nil {
		w.art.mu.Lock()
		remote = w.art.remoteHits
		w.art.mu.Unlock()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	i := w.iface
	return buildCounts{Remote: remote, Compiled: i.compiled, CutOff: i.cutOff, Relinked: i.relinked, Repaired: i.repaired, Scripts: i.scripts, Restored: i.restored}
}

// summaryLine is the last line of a build that did something:
// "rbuild: 1 compiled, 5 cut off, 2 relinked in 1.2s".
func summaryLine(w *work, st executor.Stats) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := w.iface
	s := fmt.Sprintf("rbuild: %d compiled, %d cut off, %d relinked", i.compiled, i.cutOff, i.relinked)
	if i.repaired > 0 {
		s += fmt.Sprintf(", %d repaired", i.repaired)
	}
	if i.restored > 0 {
		s += fmt.Sprintf(", %d restored from cache", i.restored)
	}
	if i.scripts > 0 {
		s += fmt.Sprintf(", %d build scripts run", i.scripts)
	}
	return s + fmt.Sprintf(" in %.2fs", time.Since(traceStart).Seconds())
}
