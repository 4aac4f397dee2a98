package build

import (
	"context"
	"fmt"

	"rbuild/cargometa"
	"rbuild/executor"
	"rbuild/graph"
)

// Doctests: `rustdoc --test` runs after the build and loads the libraries
// the build left, with rustc's own crate loader. A lib the interface
// cutoff skipped is stale (design.md "SVH staleness and lazy repair"):
// rustdoc would stop with E0460 on it, as rustc would. Inside a build,
// the compile about to load it asks for the repair (repair.go); rustdoc
// is no action of the graph. When the doctests run after the build
// (Options.Doctests), the libs they load are compiled in the run instead
// of cut off (doctestLoads), before the executables above them link: a
// repair after the links changed their inputs, and the next build linked
// them all again. Whatever is left stale (--no-run, which still leaves
// fresh libs for a later rustdoc) the build repairs once everything else
// is done (settleDoctests), while it still holds the target dir's lock.

// Doctest is one lib's `rustdoc --test`, ready to run.
type Doctest struct {
	Unit *cargometa.Unit
	// Cmd's Env is complete: the user's environment (not the plan's
	// BaseEnv, which drops RUSTC_BOOTSTRAP) with cargo's variables on top.
	Cmd *cargometa.Command
}

// DoctestArgs are what the command line adds to every doctest command.
type DoctestArgs struct {
	Color    string   // auto, always or never
	TestArgs []string // the test filter, then the arguments after --
}

// Doctests returns the session's doctests, in cargo's order, after a
// successful Build: each command, and the dependency view it reads made
// (the target dir is locked until Close, so call it before).
func (s *Session) Doctests(args DoctestArgs) ([]Doctest, error) {
	if s.plan == nil {
		return nil, nil
	}
	errFmt := "human"
	switch {
	case s.opt.MessageFormat.JSON:
		errFmt = "json"
	case s.opt.MessageFormat.Short:
		errFmt = "short"
	}
	rustdoc, err := s.cfg.Rustdoc(s.opt.Env, s.opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("doctests: %w", err)
	}
	var out []Doctest
	for _, u := range s.plan.Doctests() {
		triple := cargometa.ShortTargetName(u.Platform())
		if triple == "" {
			triple = s.plan.Q.Rustc.Host
		}
		flags, err := s.cfg.Rustdocflags(s.opt.Env, triple)
		if err != nil {
			return nil, fmt.Errorf("doctests of %s: %w", u.Label, err)
		}
		c, err := s.plan.DoctestCommand(u, s.outputs.get, cargometa.DoctestOptions{Color: args.Color,
			ErrorFormat: errFmt, TestArgs: args.TestArgs, Quiet: s.opt.Quiet, Rustdocflags: flags, Rustdoc: rustdoc})
		if err != nil {
			return nil, fmt.Errorf("doctests of %s: %w", u.Label, err)
		}
		if !s.plan.SharedDeps {
			if err := makeView(u.ViewDir, s.plan.DoctestFiles(u)); err != nil {
				return nil, fmt.Errorf("doctests of %s: %w", u.Label, err)
			}
		}
		c.Env = c.FullEnv(childEnv(s.opt.Env))
		out = append(out, Doctest{Unit: u, Cmd: c})
	}
	return out, nil
}

// doctestLoads lists the lib compiles of g whose rlibs the doctests will
// load. With Options.Doctests the build compiles them where the cutoff
// would skip them (interface.go), so that rustdoc finds them fresh and
// the executables above link them once: settleDoctests then finds
// nothing to repair.
func (s *Session) doctestLoads(g *graph.Graph) map[graph.ActionID]bool {
	out := map[graph.ActionID]bool{}
	for _, u := range s.plan.Doctests() {
		for _, f := range s.plan.DoctestFiles(u) {
			if id, ok := g.Lookup(f); ok {
				if p := g.Files[id].Producer; p != graph.NoAction && g.Actions[p].Kind == graph.Compile {
					out[p] = true
				}
			}
		}
	}
	return out
}

// settleDoctests repairs, after the build's run, every stale lib the
// doctests will load and every lib of their closure built on one, as the
// repair before a compile would: bottom-up, in a second run over just
// those libs and what they need. Its verdicts and counts become the
// build's.
func (s *Session) settleDoctests(ctx context.Context, w *work, eo executor.Options, stats *executor.Stats) error {
	if s.plan == nil {
		return nil
	}
	var loads []graph.FileID
	for _, u := range s.plan.Doctests() {
		for _, f := range s.plan.DoctestFiles(u) {
			if id, ok := w.g.Lookup(f); ok {
				loads = append(loads, id)
			}
		}
	}
	rerun, _ := w.cut.repairsFor(loads) // nothing is in flux: the run is over
	if len(rerun) == 0 {
		return nil
	}
	sub, err := w.g.Subgraph(w.g.Ancestors(rerun))
	if err != nil {
		return err
	}
	r := newWork(workParts{g: sub, plan: s.plan, baseEnv: s.plan.BaseEnv, log: s.log, opt: &s.opt,
		outputs: s.outputs, history: w.history,
		steps: s.unitSteps(sub)})
	r.hasher, r.art = w.hasher, w.art
	main := map[string]graph.ActionID{}
	for _, id := range rerun {
		main[w.g.Actions[id].Name] = id
	}
	for _, a := range sub.Actions {
		if _, ok := main[a.Name]; ok {
			r.cut.force[a.ID] = true
		}
	}
	st, err := executor.Run(ctx, sub, r, eo)
	r.flushParked()
	stats.Ran += st.Ran
	stats.Failed += st.Failed
	stats.NotRun += st.NotRun
	stats.Total += st.Ran
	verdicts := r.verdicts()
	for _, a := range sub.Actions {
		id, ok := main[a.Name]
		if !ok {
			continue
		}
		v := verdicts[a.ID]
		if v.Ran {
			w.setExplain(w.g.Actions[id], true, v.Reason+" (loaded by doctests)")
		}
		w.cut.absorbRepair(id, r.cut.isFinished(a.ID))
	}
	w.cut.addRepairCounts(r.counts())
	return err
}
