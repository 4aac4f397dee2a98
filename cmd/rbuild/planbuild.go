package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"rbuild/cargometa"
	"rbuild/cutoff"
	"rbuild/executor"
	"rbuild/graph"
	rlog "rbuild/log"
)

// buildPlan runs `rbuild build --build-plan FILE`: the plan's invocations
// as they are, through the executor, with rbuild's freshness. An
// invocation runs when its command, its environment, an output of an
// invocation it depends on, or a source its dep-info lists changed; one
// whose outputs come out byte-identical releases its dependents (exact
// early cutoff). The log lives in the target dir of the workspace rbuild
// is started in, or next to the plan outside one.
func buildPlan(ctx context.Context, o *options) error {
	data, err := os.ReadFile(o.buildPlan)
	if err != nil {
		return fmt.Errorf("build plan: %w", err)
	}
	g, _, err := cargometa.ReadBuildPlan(data)
	if err != nil {
		return fmt.Errorf("build plan %s: %w", o.buildPlan, err)
	}
	started := time.Now()
	status := executor.NewStatus(os.Stderr, false, useColor(o))
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	stateDir := filepath.Join(filepath.Dir(o.buildPlan), "target", "rbuild")
	if _, td, err := locateTargetDir(cwd, os.Environ(), o.manifestPath); err == nil {
		stateDir = filepath.Join(td, "rbuild")
	}
	l, warnings, err := rlog.Open(ctx, stateDir, func(holder string) {
		status.Verb("Blocking", "waiting for file lock on build directory (held by "+holder+")")
	})
	if err != nil {
		return fmt.Errorf("open build log in %s: %w", stateDir, err)
	}
	defer l.Close()
	for _, w := range warnings {
		status.Verb("warning", w+" (affected actions will be rebuilt)")
	}
	w := &planWork{g: g, log: l, hasher: cutoff.NewHasher(), base: os.Environ(), status: status, opt: o,
		prev: map[graph.ActionID]*cutoff.Record{}, cur: map[graph.ActionID]*planRun{}}
	for _, a := range g.Actions {
		if rec, ok := l.Get(a.Name); ok {
			if r, err := cutoff.DecodeRecord(rec.Payload); err == nil {
				w.prev[a.ID] = r
				w.hasher.Remember(r.Stamps())
			}
		}
	}
	jobs := o.jobs
	if jobs == 0 {
		jobs = runtime.NumCPU()
	}
	stats, err := executor.Run(ctx, g, w, executor.Options{Jobs: jobs, KeepGoing: o.keepGoing, Status: status,
		Color: useColor(o), Verbose: o.verbose > 0})
	status.Done()
	if err != nil {
		return err
	}
	if !o.quiet {
		status.Verb("Finished", fmt.Sprintf("build plan %s in %s (%d of %d invocations ran)",
			filepath.Base(o.buildPlan), formatDuration(time.Since(started)), stats.Ran, len(g.Actions)))
	}
	return nil
}

type planWork struct {
	g      *graph.Graph
	log    *rlog.Log
	hasher *cutoff.Hasher
	base   []string
	status *executor.Status
	opt    *options
	mu     sync.Mutex
	prev   map[graph.ActionID]*cutoff.Record
	cur    map[graph.ActionID]*planRun
}

// planRun is what Prepare learnt that Finished records.
type planRun struct {
	cmd  cutoff.Hash
	deps []cutoff.Stamp
	env  []string
}

func (w *planWork) Prepare(ctx context.Context, a *graph.Action) (*executor.Cmd, error) {
	r := graph.RuleOf(a)
	run := &planRun{cmd: cutoff.HashStrings(r.Argv, []string{r.Dir}, r.Env), env: cargometa.MergeEnv(w.base, r.Env, nil)}
	for _, in := range a.Inputs {
		st, err := w.hasher.Refresh(w.g.Files[in].Path)
		if err != nil {
			return nil, err
		}
		if st.Size < 0 {
			return nil, fmt.Errorf("%s: input %s is missing", a.Label, st.Path)
		}
		run.deps = append(run.deps, st)
	}
	outs := make([]string, 0, len(a.Outputs)+1)
	for _, o := range a.Outputs {
		outs = append(outs, w.g.Files[o].Path)
	}
	if r.Depfile != "" {
		outs = append(outs, r.Depfile)
	}
	w.mu.Lock()
	prev := w.prev[a.ID]
	w.cur[a.ID] = run
	w.mu.Unlock()
	v, err := cutoff.Decide(prev, &cutoff.Current{Cmd: run.cmd, Deps: run.deps, Outputs: outs,
		Env: func(name string) (string, bool) { return cargometa.LookupEnv(run.env, name) }}, w.hasher)
	if err != nil {
		return nil, err
	}
	if !v.Run {
		return nil, nil
	}
	if w.opt.explain {
		w.status.Verb("Explain", a.Label+": "+v.Reason)
	}
	if err := w.log.Invalidate(a.Name); err != nil {
		return nil, fmt.Errorf("write build log: %w", err)
	}
	// Cargo created the output directories; a plan's consumer must too.
	for _, o := range outs {
		if err := os.MkdirAll(filepath.Dir(o), 0o755); err != nil {
			return nil, err
		}
	}
	if w.opt.verbose > 0 {
		w.status.Verb("Running", "`"+graph.ShellQuote(r.Argv)+"`")
	}
	verb := "Compiling"
	if r.Package == "" {
		verb = "Running"
	}
	return &executor.Cmd{Argv: r.Argv, Env: run.env, Dir: r.Dir, Verb: verb, Text: a.Label,
		Rustc: slices.Contains(r.Argv, "--error-format=json"), What: "could not build " + a.Label}, nil
}

func (w *planWork) Finished(a *graph.Action, cmd *executor.Cmd, res *executor.Result) error {
	r := graph.RuleOf(a)
	w.mu.Lock()
	run := w.cur[a.ID]
	w.mu.Unlock()
	rec := &cutoff.Record{Cmd: run.cmd, Deps: run.deps, Start: res.Start.UnixNano(), End: res.End.UnixNano()}
	for l, f := range r.Links {
		if err := uplift(f, l); err != nil {
			return err
		}
	}
	if r.Depfile != "" {
		di, err := cutoff.ReadDepInfo(r.Depfile)
		if err != nil {
			return fmt.Errorf("%s: %w", a.Label, err)
		}
		produced := map[string]bool{}
		for _, in := range a.Inputs {
			produced[w.g.Files[in].Path] = true
		}
		for _, f := range di.Files {
			if !filepath.IsAbs(f) {
				f = filepath.Join(r.Dir, f)
			}
			// Declared inputs are judged as such; everything else it
			// read (sources, the toolchain's crates) is an input here.
			if !produced[f] {
				rec.Inputs = append(rec.Inputs, w.hasher.InputStamp(f, res.Start))
			}
		}
		rec.EnvDeps = di.EnvDeps
		st, err := w.hasher.Refresh(r.Depfile)
		if err != nil {
			return err
		}
		rec.Outputs = append(rec.Outputs, st)
	}
	for _, o := range a.Outputs {
		p := w.g.Files[o].Path
		st, err := w.hasher.Refresh(p)
		if err != nil {
			return err
		}
		if st.Size < 0 {
			return fmt.Errorf("%s: did not produce %s", a.Label, p)
		}
		rec.Outputs = append(rec.Outputs, st)
	}
	if err := w.log.Put(rlogRecord(a.Name, rec)); err != nil {
		return fmt.Errorf("write build log: %w", err)
	}
	return nil
}
