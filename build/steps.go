package build

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"rbuild/cargometa"
	"rbuild/cutoff"
	"rbuild/executor"
	"rbuild/graph"
)

// steps is what the work loop needs to know about the actions of one kind
// of graph: the cargo plan's units (unitSteps) or the invocations of an
// imported build plan (ruleSteps). Everything else — freshness, the
// command hash, the log, explain records — is one code path for both.
type steps interface {
	command(a *graph.Action) (*cargometa.Command, error)
	// products are the outputs the verdict checks and the record keeps:
	// what the action itself writes, not links to it.
	products(a *graph.Action) []string
	// links are the files to (re)link after the action, run or skipped:
	// from, to.
	links(a *graph.Action) [][2]string
	// prepare makes what the command expects before it runs.
	prepare(a *graph.Action) error
	// describe fills what the executor shows and says on failure.
	describe(a *graph.Action, c *cargometa.Command, cmd *executor.Cmd)
	// read records in rec what a finished action read.
	read(w *work, a *graph.Action, c *cargometa.Command, res *executor.Result, env []string, rec *cutoff.Record) error
}

func unitOf(a *graph.Action) *cargometa.Unit { return a.Data.(*cargometa.Unit) }

// unitStep returns a's unit when a comes from the cargo plan.
func unitStep(a *graph.Action) (*cargometa.Unit, bool) {
	u, ok := a.Data.(*cargometa.Unit)
	return u, ok
}

// unitSteps are the actions of cargo's units.
type unitSteps struct {
	g       *graph.Graph
	plan    *cargometa.Plan
	outputs *scriptOutputs
	quiet   bool
	mu      sync.Mutex
	started map[string]bool // packages already announced with "Compiling"
}

// unitSteps are the steps of g, a part of the session's plan.
func (s *Session) unitSteps(g *graph.Graph) *unitSteps {
	return &unitSteps{g: g, plan: s.plan, outputs: s.outputs, quiet: s.opt.Quiet, started: map[string]bool{}}
}

func (s *unitSteps) command(a *graph.Action) (*cargometa.Command, error) {
	u := unitOf(a)
	if u.IsRun {
		return s.plan.RunCommand(u, s.outputs.get)
	}
	c, err := s.plan.CompileCommand(u, s.outputs.get)
	if err != nil || a.Kind != graph.Link {
		return c, err
	}
	return s.plan.LinkCommand(u, c), nil
}

// Uplifted copies are not what the action made: cargo rewrites them when
// it shares target/, and re-linking them is enough.
func (s *unitSteps) products(a *graph.Action) []string {
	u := unitOf(a)
	outs := make([]string, 0, len(a.Outputs))
	for _, o := range a.Outputs {
		if p := s.g.Files[o].Path; !u.IsUplift(p) {
			outs = append(outs, p)
		}
	}
	return outs
}

// The link of a split executable makes its uplifted files, the compile
// otherwise.
func (s *unitSteps) links(a *graph.Action) [][2]string {
	if u := unitOf(a); a.Kind == graph.Link || !u.SplitLink {
		return u.Uplifts
	}
	return nil
}

func (s *unitSteps) prepare(a *graph.Action) error {
	u := unitOf(a)
	if err := prepareDirs(u, a.Kind); err != nil {
		return err
	}
	if !u.IsRun && !s.plan.SharedDeps {
		return makeView(u.ViewDir, s.plan.ViewFiles(u))
	}
	return nil
}

func (s *unitSteps) describe(a *graph.Action, c *cargometa.Command, cmd *executor.Cmd) {
	u := unitOf(a)
	cmd.Rustc = !u.IsRun
	if u.IsRun {
		cmd.What = "failed to run custom build command for `" + u.Pkg.Name + " v" + u.Pkg.Version + "`"
	} else {
		cmd.What = fmt.Sprintf("could not compile `%s` (%s)", u.Pkg.Name, targetDescription(u))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started[u.J.PkgID] && !s.quiet {
		s.started[u.J.PkgID] = true
		cmd.Verb, cmd.Text = "Compiling", u.Label
		if u.CheckMode {
			cmd.Verb = "Checking"
		} else if a.Kind == graph.Link {
			cmd.Verb = "Linking"
		}
	}
}

func (s *unitSteps) read(w *work, a *graph.Action, c *cargometa.Command, res *executor.Result, env []string, rec *cutoff.Record) error {
	u := unitOf(a)
	switch {
	case u.IsRun:
		return w.finishRun(u, res, env, rec)
	case a.Kind == graph.Link:
		removeLinkTemps(u.OutDir)
		return nil
	}
	di, err := cutoff.ReadDepInfo(u.DepInfo)
	if err != nil {
		return err
	}
	for _, f := range di.Paths(c.Dir) {
		// -Z binary-dep-depinfo lists the crates rustc loaded: declared
		// inputs (judged by the cutoff) and the toolchain's, not sources.
		// With shared deps they lie in deps/; recorded as sources, any
		// byte change of a dependency would re-run this compile and defeat
		// the cutoff.
		if strings.HasPrefix(f, s.plan.DepDir(u)+string(filepath.Separator)) || isToolchainFile(s.plan, f) {
			continue
		}
		rec.Inputs = append(rec.Inputs, w.hasher.InputStamp(f, res.Start))
	}
	rec.EnvDeps = di.EnvDeps
	return nil
}

// isToolchainFile: the standard library's rlibs, listed by
// -Z binary-dep-depinfo. The toolchain is part of every command's key.
func isToolchainFile(p *cargometa.Plan, f string) bool {
	sys := p.Q.Rustc.Sysroot
	return sys != "" && strings.HasPrefix(f, sys+string(filepath.Separator))
}

// actionLabel says which unit an action is, "foo v0.1.0 (lib)", or a
// build plan's invocation by its own label.
func actionLabel(a *graph.Action) string {
	u, ok := unitStep(a)
	if !ok {
		return a.Label
	}
	kind := u.Kind()
	switch {
	case u.IsRun:
		kind = "build script run"
	case u.IsBuildScript:
		kind = "build script"
	case u.TestMode:
		kind += " test"
	case u.CheckMode:
		kind += " check"
	}
	if a.Kind == graph.Link {
		kind += " link"
	}
	name := u.Pkg.Name
	if u.J.Target.Name != strings.ReplaceAll(u.Pkg.Name, "-", "_") && u.J.Target.Name != u.Pkg.Name && !u.IsBuildScript {
		kind += " " + u.J.Target.Name
	}
	return fmt.Sprintf("%s v%s (%s)", name, u.Pkg.Version, kind)
}

// ActionLabel says which unit or invocation an action is, as explain
// records and timing reports name it.
func ActionLabel(a *graph.Action) string { return actionLabel(a) }

func targetDescription(u *cargometa.Unit) string {
	k := u.Kind()
	switch {
	case u.IsBuildScript:
		return "build script"
	case u.IsLib && u.TestMode:
		return "lib test"
	case u.IsLib:
		return "lib"
	case u.TestMode && k == "bin":
		return "bin \"" + u.J.Target.Name + "\" test"
	}
	return k + " \"" + u.J.Target.Name + "\""
}

// ruleSteps are the invocations of a build plan, run as they are.
type ruleSteps struct{ g *graph.Graph }

func (ruleSteps) command(a *graph.Action) (*cargometa.Command, error) {
	r := graph.RuleOf(a)
	return &cargometa.Command{Argv: r.Argv, Env: r.Env, Dir: r.Dir}, nil
}

// The dep-info a plan's rustc writes is not among its declared outputs,
// but its record keeps it: a deleted one must make the invocation run.
func (s ruleSteps) products(a *graph.Action) []string {
	r := graph.RuleOf(a)
	outs := make([]string, 0, len(a.Outputs)+1)
	if r.Depfile != "" {
		outs = append(outs, r.Depfile)
	}
	for _, o := range a.Outputs {
		outs = append(outs, s.g.Files[o].Path)
	}
	return outs
}

func (ruleSteps) links(a *graph.Action) [][2]string {
	links := graph.RuleOf(a).Info().Links
	var out [][2]string
	for _, l := range slices.Sorted(maps.Keys(links)) {
		out = append(out, [2]string{links[l], l})
	}
	return out
}

// Cargo created the output directories; a plan's consumer must too.
func (s ruleSteps) prepare(a *graph.Action) error {
	for _, o := range s.products(a) {
		if err := os.MkdirAll(filepath.Dir(o), 0o755); err != nil {
			return err
		}
	}
	return nil
}

func (ruleSteps) describe(a *graph.Action, c *cargometa.Command, cmd *executor.Cmd) {
	r := graph.RuleOf(a)
	cmd.Verb, cmd.Text = "Compiling", a.Label
	if r.Info().Package == "" {
		cmd.Verb = "Running"
	}
	cmd.Rustc = slices.Contains(r.Argv, "--error-format=json")
	cmd.What = "could not build " + a.Label
}

func (s ruleSteps) read(w *work, a *graph.Action, c *cargometa.Command, res *executor.Result, env []string, rec *cutoff.Record) error {
	r := graph.RuleOf(a)
	if r.Depfile == "" {
		return nil
	}
	di, err := cutoff.ReadDepInfo(r.Depfile)
	if err != nil {
		return fmt.Errorf("%s: %w", a.Label, err)
	}
	declared := map[string]bool{}
	for _, in := range a.Inputs {
		declared[s.g.Files[in].Path] = true
	}
	for _, f := range di.Paths(r.Dir) {
		// Declared inputs are judged as such; everything else it read
		// (sources, the toolchain's crates) is an input here. Its stamp
		// is not kept for the rest of the build: an invocation's sources
		// are mostly its own, and at scale their stamps were a third of
		// a full build's hasher (a source another invocation reads is
		// hashed again).
		if !declared[f] {
			rec.Inputs = append(rec.Inputs, w.hasher.PeekInputStamp(f, res.Start))
		}
	}
	rec.EnvDeps = di.EnvDeps
	return nil
}
