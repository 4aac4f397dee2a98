package build

import (
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
	"rbuild/internal/atomicfile"
)

// The interface cutoff on the work side (design.md "Freshness and early
// cutoff", "SVH staleness and lazy repair"): which inputs a compile judges
// by their producer's interface fingerprint, when a skip must wait for
// fingerprints and symbol epochs, and which skipped crates must be
// repaired before rustc loads them.

// epochCap bounds a crate's symbol epoch: the rlib hashes whose exported
// symbols all later builds still define.
const epochCap = 64

// judgedBy returns the producer whose interface fingerprint stands for
// input f of action a, if a compile judges f that way.
func (w *work) judgedBy(a *graph.Action, f graph.FileID) (graph.ActionID, bool) {
	u, ok := unitStep(a)
	if !ok || w.opt.Cutoff != "interface" || a.Kind != graph.Compile || u.IsRun {
		return 0, false
	}
	if u.ReadsRlibs() && !u.SplitLink {
		// This compile also links (a cdylib, staticlib or dylib): its
		// output embeds the dependency's code, so only exact bytes do.
		return 0, false
	}
	p := w.g.Files[f].Producer
	if p == graph.NoAction {
		return 0, false
	}
	pa := w.g.Actions[p]
	if pa.Kind != graph.Compile || !unitOf(pa).Interface {
		return 0, false
	}
	return p, true
}

// fingerprint returns the interface fingerprint of lib compile p, once p
// and every compile it depends on have finished in this build: what a
// record keeps.
func (w *work) fingerprint(p graph.ActionID) (cutoff.Hash, bool) {
	return w.interfaceOf(p, false)
}

// decisionFingerprint is fingerprint for deciding a compile released by
// p's early .rmeta while p still generates code. The fingerprint reads
// only p's sources, as its dep-info lists them, and rustc writes the
// dep-info once, before the .rmeta (its artifact notifications come in
// that order; rustc 1.95, with -Z binary-dep-depinfo), so it is known then:
// a dependent whose dependency's interface changed starts at once, as
// cargo's pipelining does, instead of waiting for the codegen. A skip
// still waits for p to finish (decideInterface: its symbols), and
// records take fingerprints only of finished compiles (a compile that
// fails after its .rmeta leaves none).
func (w *work) decisionFingerprint(p graph.ActionID) (cutoff.Hash, bool) {
	return w.interfaceOf(p, true)
}

func (w *work) interfaceOf(p graph.ActionID, early bool) (cutoff.Hash, bool) {
	h, ok, finished, ran := w.cut.fingerprintOf(p)
	prev := w.prev[p]
	w.mu.Lock()
	deps, c := w.deps[p], w.cmds[p]
	w.mu.Unlock()
	if ok {
		return h, true
	}
	if !finished {
		if !early || !ran || c == nil {
			return cutoff.Hash{}, false
		}
		if h, ok := w.cut.earlyFingerprintOf(p); ok {
			return h, true
		}
	}
	if !ran {
		if prev == nil || prev.Iface == nil {
			return cutoff.Hash{}, false
		}
		h = *prev.Iface
	} else {
		a := w.g.Actions[p]
		key := []string{commandHash(c).String()}
		for i, in := range a.Inputs {
			if q, ok := w.judgedBy(a, in); ok {
				qh, ok := w.interfaceOf(q, early)
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
	if finished {
		w.cut.setFingerprint(p, h)
	} else {
		w.cut.setEarlyFingerprint(p, h)
	}
	return h, true
}

// computeInterface fingerprints a lib crate that just compiled. When the
// skeleton cannot be made (a lexing surprise), the crate's exact .rmeta
// stands in: dependents then rebuild on any change, which is always sound.
func (w *work) computeInterface(u *cargometa.Unit, c *cargometa.Command, key cutoff.Hash) cutoff.Hash {
	defer traceAdd(&fingerprintTime, time.Now())
	di, err := cutoff.ReadDepInfo(u.DepInfo)
	if err == nil {
		crate := &cutoff.Crate{Key: key, PkgDir: filepath.Dir(u.Pkg.ManifestPath), EnvDeps: di.EnvDeps, Strict: w.opt.StrictSpans}
		for _, f := range di.Paths(c.Dir) {
			switch {
			case strings.HasPrefix(f, u.ViewDir+string(filepath.Separator)):
				crate.Externs = append(crate.Externs, filepath.Base(f))
			case isToolchainFile(w.plan, f):
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
	if w.opt.Verbose > 0 {
		w.opt.Status.Verb("Note", fmt.Sprintf("%s: no interface fingerprint (%v); dependents follow its exact output", u.Label, err))
	}
	st, _ := w.hasher.Stamp(u.Rmeta)
	return cutoff.HashStrings([]string{"exact", st.Hash.String()})
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
		path := w.g.Files[in].Path
		if h, ok := w.decisionFingerprint(p); ok {
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

// symbolsRemoved checks the skip of a compile cut off from the files in
// cut: each producer's exported symbols must still include everything the
// build that this compile used had (rustc-facts.md §5: otherwise the link
// fails on an undefined symbol). It names the first producer that fails.
func (w *work) symbolsRemoved(a *graph.Action, prev *cutoff.Record, cut []string) string {
	for _, path := range cut {
		id, _ := w.g.Lookup(path)
		p := w.g.Files[id].Producer
		epoch, ok := w.cut.epochOf(p)
		if !ok {
			if r := w.prev[p]; r != nil {
				epoch = r.Epoch
			}
		}
		used, _ := prev.DepHash(path)
		if !slices.Contains(epoch, used) {
			return unitOf(w.g.Actions[p]).Pkg.Name
		}
	}
	return ""
}

// decideInterface refines a compile's verdict with the cutoff's extra
// rules. It returns a *executor.Later when the decision must wait.
func (w *work) decideInterface(a *graph.Action, prev *cutoff.Record, v *cutoff.Verdict, unknown []graph.ActionID) error {
	if _, ok := unitStep(a); !ok {
		return nil // a build plan's invocations: exact early cutoff only, as they are
	}
	if w.cut.beginRepair(a.ID) {
		v.Run, v.Reason = true, "repair: compiled against older dependencies, rustc would reject it (E0460)"
		return nil
	}
	if w.opt.Cutoff == "off" && !v.Run {
		if p, ok := w.cut.ranProducer(a); ok {
			v.Run, v.Reason = true, "dependency "+packageName(w.g.Actions[p])+" was rebuilt (--cutoff=off)"
		}
	}
	if !v.Run {
		// A skip is judged on finished dependencies only: their symbols
		// (symbolsRemoved) and their fingerprints as records keep them.
		if busy := w.cut.unfinishedProducers(a); len(unknown) > 0 || len(busy) > 0 {
			return &executor.Later{After: busy}
		}
	}
	forDoctests := false
	if !v.Run && len(v.CutOff) > 0 {
		if name := w.symbolsRemoved(a, prev, v.CutOff); name != "" {
			v.Run, v.Reason = true, "exported symbols of "+name+" removed"
		} else if w.doctestLoads[a.ID] {
			v.Run, v.Reason = true, "loaded by doctests: rustdoc rejects a crate compiled against older dependencies (E0460)"
			forDoctests = true
		}
	}
	if v.Run && isRustcCompile(a) {
		// Only rustc compiles load crates; a link takes rlibs as they are.
		if rerun, busy := w.cut.repairs(a); len(rerun) > 0 || len(busy) > 0 {
			return &executor.Later{Rerun: rerun, After: busy}
		}
	}
	if forDoctests {
		// A repair made before anything loads it: counted as one, as the
		// repair after the run was.
		w.cut.countRepair()
	}
	if v.Run {
		return nil
	}
	if len(v.CutOff) > 0 {
		names := make([]string, 0, len(v.CutOff))
		for _, p := range v.CutOff {
			id, _ := w.g.Lookup(p)
			if n := unitOf(w.g.Actions[w.g.Files[id].Producer]).Pkg.Name; !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		v.Reason = "interface of " + strings.Join(names, ", ") + " unchanged"
		w.cut.markCutOff(a.ID)
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
		w.cut.setEpoch(a.ID, epoch)
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
		rec.Ifaces = append(rec.Ifaces, cutoff.Fingerprint{Path: w.g.Files[in].Path, Hash: h})
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
	// A registry crate's fingerprint follows its exact sources, yet its
	// dependents are cut off from it when it compiles again with the same
	// sources and dependency interfaces: a repair (a lib the doctests
	// load, below a private edit). Its symbols are watched as a path
	// crate's are: taken as removed, every repair of regex made the next
	// build recompile all its dependents and relink every executable above
	// (13 compiles after `rbuild test` in the Debian workspace).
	removed := !u.Local
	if rlib != "" {
		symsFile := strings.TrimSuffix(rlib, ".rlib") + ".syms"
		now, err := cutoff.ExportedSymbols(rlib)
		if err != nil {
			removed = true // unreadable: start over, dependents rebuild
		} else {
			removed = symbolsDropped(symsFile, now)
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

// symbolsDropped tells whether a name of the previous build's exported
// symbols (kept in symsFile) is missing from now, and keeps now there.
// A list that cannot be read whole counts as "unknown": the epoch starts
// over and dependents rebuild, never cut off against a list that lost
// the name they link to.
func symbolsDropped(symsFile string, now []string) bool {
	removed := true
	if old, err := readSyms(symsFile); err == nil {
		removed = !subset(old, now)
	}
	if err := writeSyms(symsFile, now); err != nil {
		// The older list would stand for this build's: the next build
		// could then miss a name this build added and the next one
		// removed. Without a list it starts over.
		os.Remove(symsFile)
	}
	return removed
}

// symsHeader starts a .syms file: "rbuild-syms v1 <count> <hash>", the
// hash over the names. A file that does not match it whole (empty after
// a crash under an older rbuild, truncated, garbled, the older plain
// format) is refused.
const symsHeader = "rbuild-syms v1"

func writeSyms(path string, names []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d %s\n", symsHeader, len(names), cutoff.HashStrings(names))
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	return atomicfile.Write(path, []byte(b.String()), 0o644)
}

func readSyms(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	head, body, ok := strings.Cut(string(data), "\n")
	var count int
	var sum string
	if !ok || !strings.HasPrefix(head, symsHeader+" ") {
		return nil, fmt.Errorf("%s: not a symbol list", path)
	}
	if _, err := fmt.Sscanf(head[len(symsHeader):], " %d %s", &count, &sum); err != nil {
		return nil, fmt.Errorf("%s: bad header %q", path, head)
	}
	names := strings.Split(body, "\n")
	if names[len(names)-1] != "" {
		return nil, fmt.Errorf("%s: truncated", path)
	}
	names = names[:len(names)-1]
	if len(names) != count || cutoff.HashStrings(names).String() != sum {
		return nil, fmt.Errorf("%s: damaged (%d names, header says %d)", path, len(names), count)
	}
	return names, nil
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

// packageName names what made a's outputs: its package, or the
// invocation of a build plan.
func packageName(a *graph.Action) string {
	if u, ok := unitStep(a); ok {
		return u.Pkg.Name
	}
	return a.Label
}
