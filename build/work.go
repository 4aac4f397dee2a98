package build

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"rbuild/cargometa"
	"rbuild/cutoff"
	"rbuild/executor"
	"rbuild/graph"
	rlog "rbuild/log"
)

// work is the one executor.Work of rbuild: for each ready action it makes
// the command, asks cutoff for a verdict against the log, and records the
// result of every run. What differs between cargo's units and a build
// plan's invocations is behind steps; the interface cutoff and the
// artifact cache apply to units only.
type work struct {
	g        *graph.Graph
	steps    steps
	plan     *cargometa.Plan // nil for a build plan
	baseEnv  []string        // what every command's own variables go on top of
	log      *rlog.Log
	opt      *Options
	hasher   *cutoff.Hasher
	outputs  *scriptOutputs
	history  *durationHistory
	cut      *cutoffState
	prev     map[graph.ActionID]*cutoff.Record // the log's records; read-only once made
	halfOnce halfFloatCheck
	slow     decisionDelay // tests only (testhook.go)
	// timeline records when actions ran (for .ninja_log) and, with
	// --timings, what was decided for the others; nil records nothing.
	timeline *executor.Timeline
	// art is the artifact cache (nil: off).
	art *artifacts
	// msgs shows diagnostics and writes cargo's records for units (nil
	// for a build plan, whose rustc output the executor shows as is).
	msgs *messages
	// doctestLoads are the lib compiles whose rlibs the doctests load,
	// with Options.Doctests: none may be left stale (doctest.go).
	doctestLoads map[graph.ActionID]bool

	mu        sync.Mutex
	explain   []ExplainEntry
	deps      map[graph.ActionID][]cutoff.Stamp
	cmds      map[graph.ActionID]*cargometa.Command
	cacheKeys map[graph.ActionID]string // compiles the cache may restore or store
}

// workParts are what a work is made of; Session.Build assembles them.
type workParts struct {
	g       *graph.Graph
	steps   steps
	plan    *cargometa.Plan
	baseEnv []string
	log     *rlog.Log
	opt     *Options
	outputs *scriptOutputs
	history *durationHistory
}

func newWork(p workParts) *work {
	w := &work{g: p.g, steps: p.steps, plan: p.plan, baseEnv: p.baseEnv, log: p.log, opt: p.opt, outputs: p.outputs,
		history: p.history, hasher: cutoff.NewHasher(), cut: newCutoffState(p.g), prev: map[graph.ActionID]*cutoff.Record{},
		explain: make([]ExplainEntry, len(p.g.Actions)), deps: map[graph.ActionID][]cutoff.Stamp{},
		cmds: map[graph.ActionID]*cargometa.Command{}, cacheKeys: map[graph.ActionID]string{},
		slow: decisionDelayFrom(p.opt.getenv)}
	for _, a := range p.g.Actions {
		w.explain[a.ID] = ExplainEntry{Label: actionLabel(a), Action: a.Name, Reason: "not reached"}
		if rec, ok := p.log.Get(a.Name); ok {
			if r, err := cutoff.DecodeRecord(rec.Payload); err == nil {
				w.prev[a.ID] = r
				w.hasher.Remember(r.Stamps())
			}
		}
	}
	return w
}

// commandHash is the one rule for what of a command its record keys on.
func commandHash(c *cargometa.Command) cutoff.Hash {
	env := cargometa.KeyEnv(c.Env)
	sort.Strings(env)
	return cutoff.HashStrings(cargometa.KeyArgv(c.Argv), []string{c.Dir}, env, c.Unset)
}

// isRustcCompile: a compile by rustc of a cargo unit, the only kind of
// action the interface cutoff, lazy repair and the artifact cache judge.
func isRustcCompile(a *graph.Action) bool {
	u, ok := unitStep(a)
	return ok && a.Kind == graph.Compile && !u.IsRun
}

func (w *work) Prepare(ctx context.Context, a *graph.Action) (*executor.Cmd, error) {
	if busy := w.cut.inRepair(a); len(busy) > 0 {
		return nil, &executor.Later{After: busy}
	}
	if u, ok := unitStep(a); ok {
		w.slow.wait(u.Pkg.Name)
	}
	c, err := w.steps.command(a)
	if err != nil {
		return nil, err
	}
	deps := make([]cutoff.Stamp, 0, len(a.Inputs))
	for _, in := range a.Inputs {
		st, err := w.hasher.Refresh(w.g.Files[in].Path)
		if err != nil {
			return nil, err
		}
		if st.Size < 0 {
			// A repair that began after the check above removes the
			// stale rlib before rustc writes the new one (prepareDirs):
			// the input is in flux, not missing. Seen in the Debian
			// workspace's edit → test loop: wscommon's lib test was
			// decided while another compile's repair of aho-corasick began.
			if l := w.cut.inFlux(a); l != nil {
				return nil, l
			}
			return nil, fmt.Errorf("%s: input %s is missing", actionLabel(a), st.Path)
		}
		deps = append(deps, st)
	}
	// After a.Inputs, so deps[i] stays the stamp of a.Inputs[i].
	deps, err = w.appendOutDirStamps(deps, a)
	if err != nil {
		return nil, err
	}
	env := c.FullEnv(w.baseEnv)
	cur := &cutoff.Current{Cmd: commandHash(c), Deps: deps, Outputs: w.steps.products(a),
		Env: func(name string) (string, bool) { return cargometa.LookupEnv(env, name) }}
	prev := w.prev[a.ID]
	w.mu.Lock()
	w.deps[a.ID], w.cmds[a.ID] = deps, c
	w.mu.Unlock()
	var unknown []graph.ActionID
	cur.Iface, unknown = w.ifaceInputs(a, prev)
	v, err := cutoff.Decide(prev, cur, w.hasher)
	if err != nil {
		return nil, err
	}
	if err := w.decideInterface(a, prev, &v, unknown); err != nil {
		return nil, err // *executor.Later: decided again later
	}
	if l := w.cut.settle(a.ID, v.Run); l != nil {
		return nil, l
	}
	w.setExplain(a, v.Run, v.Reason)
	if !v.Run && w.msgs != nil {
		w.msgs.actionDone(a, unitOf(a), nil, w.outputs)
	}
	if !v.Run {
		// Cut off: the verdict named the dependencies whose unchanged
		// interface let it skip ("interface of … unchanged").
		outcome := executor.Fresh
		if len(v.CutOff) > 0 {
			outcome = executor.CutOff
		}
		w.timeline.Skipped(a, outcome, v.Reason)
		if v.Restamped {
			w.restamp(a, prev)
		}
		return nil, w.relink(a)
	}
	if err := w.log.Invalidate(a.Name); err != nil {
		return nil, fmt.Errorf("write build log: %w", err)
	}
	if err := w.steps.prepare(a); err != nil {
		return nil, err
	}
	cmd := &executor.Cmd{Argv: c.Argv, Env: env, Dir: c.Dir}
	w.steps.describe(a, c, cmd)
	if w.msgs != nil {
		cmd.Diagnostic = w.msgs.live(a, unitOf(a))
	}
	if w.opt.Explain {
		w.opt.Status.Verb("Explain", actionLabel(a)+": "+v.Reason)
	}
	if w.opt.Verbose > 0 {
		w.opt.Status.Verb("Running", "`"+graph.ShellQuote(c.Argv)+"`")
	}
	if w.art != nil && isRustcCompile(a) {
		w.offerCache(a, c, deps, cmd)
	}
	return cmd, nil
}

// relink refreshes the links to a's outputs where users expect them.
func (w *work) relink(a *graph.Action) error {
	for _, l := range w.steps.links(a) {
		if err := uplift(l[0], l[1]); err != nil {
			return err
		}
	}
	return nil
}

func (w *work) setExplain(a *graph.Action, ran bool, reason string) {
	w.mu.Lock()
	w.explain[a.ID].Ran, w.explain[a.ID].Reason = ran, reason
	w.mu.Unlock()
}

func (w *work) setCacheNote(a *graph.Action, note string) {
	w.mu.Lock()
	w.explain[a.ID].Cache = note
	w.mu.Unlock()
}

// restamp rewrites a record whose files were touched but not changed, so
// the next build takes the fast path again.
func (w *work) restamp(a *graph.Action, prev *cutoff.Record) {
	r := *prev
	r.Inputs = w.stampAll(prev.Inputs)
	r.Outputs = w.stampAll(prev.Outputs)
	w.log.Put(logRecord(a.Name, &r))
}

func (w *work) stampAll(old []cutoff.Stamp) []cutoff.Stamp {
	out := make([]cutoff.Stamp, len(old))
	for i, s := range old {
		if now, err := w.hasher.Stamp(s.Path); err == nil && now.Hash == s.Hash {
			out[i] = now
		} else {
			out[i] = s
		}
	}
	return out
}

func logRecord(name string, r *cutoff.Record) rlog.Record {
	return rlog.Record{Action: name, Payload: r.Encode()}
}

func (w *work) Finished(a *graph.Action, cmd *executor.Cmd, res *executor.Result) error {
	w.mu.Lock()
	c, deps, key := w.cmds[a.ID], w.deps[a.ID], w.cacheKeys[a.ID]
	if _, ok := unitStep(a); !ok {
		// Only the interface cutoff looks at a finished action's command
		// and inputs again, and only at units': a build plan's are done
		// with (at 100k invocations, tens of MB).
		delete(w.cmds, a.ID)
		delete(w.deps, a.ID)
	}
	w.mu.Unlock()
	rec := &cutoff.Record{Cmd: commandHash(c), Deps: deps, Start: res.Start.UnixNano(), End: res.End.UnixNano()}
	w.history.record(a, res)
	err := w.steps.read(w, a, c, res, cmd.Env, rec)
	if err == nil {
		err = w.relink(a)
	}
	if err != nil {
		return err
	}
	if w.msgs != nil {
		w.msgs.actionDone(a, unitOf(a), res, w.outputs)
	}
	for _, p := range w.steps.products(a) {
		// Only files of the graph are stamped again in this build, by
		// the actions that read them: a build plan's dep-info is not.
		stamp := w.hasher.Refresh
		if _, ok := w.g.Lookup(p); !ok {
			stamp = w.hasher.Peek
		}
		st, err := stamp(p)
		if err != nil {
			return err
		}
		if st.Size < 0 {
			return fmt.Errorf("%s: did not produce %s", actionLabel(a), p)
		}
		rec.Outputs = append(rec.Outputs, st)
	}
	compile := a.ID
	if _, ok := unitStep(a); ok && a.Kind == graph.Link {
		compile = w.compileOf(a)
	}
	w.timeline.Ran(a, w.cut.finish(a, compile, res.Restored), res, rec.Cmd)
	if key != "" && !res.Restored {
		w.storeArtifacts(a, key, rec, res.Diagnostics)
	}
	if isRustcCompile(a) && !w.finishInterface(a, rec) {
		w.cut.park(a, rec)
		return nil
	}
	if err := w.log.Put(logRecord(a.Name, rec)); err != nil {
		return fmt.Errorf("write build log: %w", err)
	}
	return nil
}

// compileOf returns the compile action of a split executable's link.
func (w *work) compileOf(link *graph.Action) graph.ActionID {
	id, _ := w.g.Lookup(unitOf(link).Rlink)
	return w.g.Files[id].Producer
}

// flushParked writes the records that waited for fingerprints, now that
// the build is over; one whose dependency failed stays unwritten (the
// action runs again next time).
func (w *work) flushParked() {
	for _, p := range w.cut.takeParked() {
		if w.completeRecord(p.a, p.rec) {
			w.log.Put(logRecord(p.a.Name, p.rec))
		}
	}
}
