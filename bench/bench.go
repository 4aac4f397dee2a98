package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"rbuild/build"
)

// Options say what to measure. The caller parses flags; Run reads no
// flag and changes no variable of its own process.
type Options struct {
	Scenarios string   // edits to measure (TOML); "" for the built-in set
	Reps      int      // measured rebuilds per scenario and tool
	Profile   string   // cargo profile: dev, release or a custom one
	Tools     []string // of ToolNames
	// Loops are the loops measured: "build" (edit → cargo build / rbuild
	// build) and "test" (edit → cargo test / rbuild test); nil for both.
	Loops []string
	// TestArgs go after `cargo test` / `rbuild test` in the test loop's
	// runs: package selection, target flags, a filter, `--` and the test
	// executables' arguments.
	TestArgs []string
	Out      string    // where the reports go; default <target>/rbuild/bench
	Dir      string    // where the workspace is; default the current directory
	Env      []string  // the tools' environment; default the process's
	Self     string    // the rbuild executable the rbuild tools run
	Stdout   io.Writer // the markdown report
	Progress io.Writer // one line per build
}

// ErrUsage is wrapped by errors in the options (exit status 2 at the CLI).
var ErrUsage = errors.New("bad bench options")

type usageError struct{ err error }

func (e *usageError) Error() string   { return e.err.Error() }
func (e *usageError) Unwrap() []error { return []error{e.err, ErrUsage} }

// cargoTestArgs are TestArgs up to `--`: those cargo reads itself,
// which the test builds that are not timed take too.
func (o *Options) cargoTestArgs() []string {
	if i := slices.Index(o.TestArgs, "--"); i >= 0 {
		return o.TestArgs[:i]
	}
	return o.TestArgs
}

// command is what a tool runs for scenario sc: timed, the measured run;
// else a build that brings the target dir up to date for the next one
// (for a test scenario, `test --no-run`: the same executables, none run).
func (o *Options) command(sc scenario, timed bool) (string, []string) {
	if !sc.isTest() {
		return "build", o.profileArgs()
	}
	if timed {
		return "test", append(o.profileArgs(), o.TestArgs...)
	}
	return "test", append(append([]string{"--no-run"}, o.profileArgs()...), o.cargoTestArgs()...)
}

// wantLoop says whether the scenario's loop is among those measured.
func (o *Options) wantLoop(sc scenario) bool {
	loop := "build"
	if sc.isTest() {
		loop = "test"
	}
	return len(o.Loops) == 0 || slices.Contains(o.Loops, loop)
}

func (o *Options) profileArgs() []string {
	switch o.Profile {
	case "dev", "":
		return nil
	case "release":
		return []string{"--release"}
	}
	return []string{"--profile", o.Profile}
}

// benchRun is a bench in progress: the workspace, its tools and edits.
type benchRun struct {
	opt       *Options
	root      string
	base      string // the tools' target dirs are under it
	self      string // the rbuild executable
	tools     []*benchTool
	scenarios []scenario
	crate     *builtinCrate
	ed        *fileEditor
	samples   []benchSample
	progress  io.Writer
}

// benchSample is one measured build of the report.
type benchSample struct {
	Scenario string `json:"scenario"`
	Tool     string `json:"tool"`
	Rep      int    `json:"rep"`
	sample
}

// Run runs `rbuild bench`: warm builds, then for every rep and scenario:
// edit, a timed rebuild by each tool, revert, rebuilds.
func Run(ctx context.Context, opt Options) error {
	if opt.Reps < 1 {
		return &usageError{fmt.Errorf("--reps: want at least 1, got %d", opt.Reps)}
	}
	for _, l := range opt.Loops {
		if l != "build" && l != "test" {
			return &usageError{fmt.Errorf("--loop: unknown loop %q (want build, test or build,test)", l)}
		}
	}
	if opt.Env == nil {
		opt.Env = os.Environ()
	}
	if opt.Dir == "" {
		d, err := os.Getwd()
		if err != nil {
			return err
		}
		opt.Dir = d
	}
	root, err := build.FindWorkspaceRoot(opt.Dir, "")
	if err != nil {
		return err
	}
	_, targetDir, err := build.LocateTargetDir(opt.Dir, opt.Env, "")
	if err != nil {
		return err
	}
	base := filepath.Join(targetDir, "rbuild-bench", opt.Profile)
	tools, err := parseTools(opt.Tools, base, opt.Self, opt.Env)
	if err != nil {
		return &usageError{err}
	}
	if opt.Out == "" {
		opt.Out = filepath.Join(targetDir, "rbuild", "bench")
	}
	r := &benchRun{opt: &opt, root: root, base: base, self: opt.Self, tools: tools, progress: opt.Progress,
		ed: &fileEditor{root: root, pending: filepath.Join(targetDir, "rbuild", "bench-pending-edit.json")}}
	if restored, err := r.ed.restorePending(); err != nil {
		return err
	} else if restored != "" {
		r.say("Restored", restored+" (left edited by an interrupted bench)")
	}
	if opt.Scenarios != "" {
		if r.scenarios, err = readScenarios(opt.Scenarios, root); err != nil {
			return err
		}
	}
	defer r.ed.revert()
	if err := r.warm(ctx); err != nil {
		return err
	}
	if opt.Scenarios == "" {
		if err := r.chooseBuiltin(ctx); err != nil {
			return err
		}
	}
	r.scenarios = slices.DeleteFunc(r.scenarios, func(sc scenario) bool { return !opt.wantLoop(sc) })
	if len(r.scenarios) == 0 {
		return &usageError{fmt.Errorf("--loop %s: no scenario of that loop", strings.Join(opt.Loops, ","))}
	}
	if err := r.warmTests(ctx); err != nil {
		return err
	}
	if err := r.measure(ctx); err != nil {
		return err
	}
	if err := r.ed.revert(); err != nil {
		return err
	}
	rep := r.report()
	fmt.Fprint(opt.Stdout, rep.markdown())
	if err := rep.write(opt.Out); err != nil {
		return fmt.Errorf("write bench report: %w", err)
	}
	r.say("Wrote", strings.Join(rep.files(opt.Out), ", "))
	return nil
}

func (r *benchRun) say(verb, text string) {
	fmt.Fprintf(r.progress, "%12s %s\n", verb, text)
}

// warm brings every tool's target dir up to date before anything is timed.
func (r *benchRun) warm(ctx context.Context) error {
	for _, t := range r.tools {
		r.say("Warming", t.Name+" ("+t.targetDir+")")
		if _, err := t.run(ctx, r.root, "build", r.opt.profileArgs()); err != nil {
			return fmt.Errorf("warm-up build: %w", err)
		}
	}
	return nil
}

// warmTests builds the test executables, when a test scenario is to be
// measured: the first timed test run must not pay for them.
func (r *benchRun) warmTests(ctx context.Context) error {
	i := slices.IndexFunc(r.scenarios, scenario.isTest)
	if i < 0 {
		return nil
	}
	sub, args := r.opt.command(r.scenarios[i], false)
	for _, t := range r.tools {
		r.say("Warming", t.Name+" (test executables)")
		if _, err := t.run(ctx, r.root, sub, args); err != nil {
			return fmt.Errorf("warm-up test build: %w", err)
		}
	}
	return nil
}

// chooseBuiltin picks the built-in scenarios from the workspace's plan,
// as the rbuild tool built it.
func (r *benchRun) chooseBuiltin(ctx context.Context) error {
	var rb *benchTool
	for _, t := range r.tools {
		if t.rbuild && (rb == nil || rb.noIncr) {
			rb = t
		}
	}
	if rb == nil {
		// No rbuild among the tools: its plan still needs a build to
		// read the crate's sources from.
		rb = &benchTool{Name: "rbuild", rbuild: true, targetDir: filepath.Join(r.base, "rbuild"), self: r.self, baseEnv: r.opt.Env}
		if _, err := rb.run(ctx, r.root, "build", r.opt.profileArgs()); err != nil {
			return fmt.Errorf("build to choose the scenarios: %w", err)
		}
	}
	s, err := build.Open(ctx, build.Options{Command: "build", CargoArgs: r.opt.profileArgs(), Quiet: true, Dir: r.opt.Dir,
		Env: append(slices.Clone(r.opt.Env), "CARGO_TARGET_DIR="+rb.targetDir)})
	if err != nil {
		return fmt.Errorf("choose scenarios: %w", err)
	}
	defer s.Close()
	crate, scen, err := builtinScenarios(s.Plan())
	if err != nil {
		return err
	}
	r.crate, r.scenarios = &crate, scen
	r.say("Edits", fmt.Sprintf("%s: %d of the build's other %d packages depend on it, more than on any other path package",
		crate.Name, crate.Dependents, crate.Packages-1))
	return nil
}

// measure runs the reps. Each edit is made once and every tool rebuilds
// it in turn (A B A B …), so that all see the same files with the same
// times and drift of the machine hits all of them; after the revert each
// rebuilds again, untimed, to start the next edit up to date (every
// loop measured: rebuildsAfter).
func (r *benchRun) measure(ctx context.Context) error {
	n := 0
	for rep := 1; rep <= r.opt.Reps; rep++ {
		for _, sc := range r.scenarios {
			n++
			if err := r.ed.apply(sc.Edit, n); err != nil {
				return fmt.Errorf("scenario %s: %w", sc.Name, err)
			}
			sub, args := r.opt.command(sc, true)
			for _, t := range r.tools {
				s, err := t.run(ctx, r.root, sub, args)
				if err != nil {
					return fmt.Errorf("scenario %s, rep %d: %w", sc.Name, rep, err)
				}
				r.samples = append(r.samples, benchSample{Scenario: sc.Name, Tool: t.Name, Rep: rep, sample: s})
				line := fmt.Sprintf("%s, %s, rep %d: %.2fs, %d compiled, %d cut off, %d relinked",
					sc.Name, t.Name, rep, s.Seconds, s.Compiled, s.CutOff, s.Relinked)
				if sc.isTest() {
					line += fmt.Sprintf(", %d test executables linked, %d run", s.TestsLinked, s.TestsRun)
				}
				r.say("Measured", line)
			}
			if err := r.ed.revert(); err != nil {
				return err
			}
			if sc.Edit.Kind == "noop" {
				continue
			}
			for _, c := range r.rebuildsAfter(sc) {
				for _, t := range r.tools {
					if _, err := t.run(ctx, r.root, c.sub, c.args); err != nil {
						return fmt.Errorf("scenario %s, rebuild after the revert: %w", sc.Name, err)
					}
				}
			}
		}
	}
	return nil
}

type benchCommand struct {
	sub  string
	args []string
}

// rebuildsAfter are the untimed rebuilds after sc's revert: its own
// loop's, and the other loop's too when that is measured, so that every
// loop starts its next edit up to date. A build-loop edit that added a
// pub fn, reverted, removed an exported symbol: the test executables,
// compiled before it, would have to compile again, and the next test row
// would pay for the build row's edit (17 compiles where 4 do). The other
// way round, `test --workspace --exclude memchr` left 3 of the Debian
// workspace's build units to compile again (for cargo as for rbuild), and
// the next rep's noop row timed them.
func (r *benchRun) rebuildsAfter(sc scenario) []benchCommand {
	sub, args := r.opt.command(sc, false)
	out := []benchCommand{{sub, args}}
	if i := slices.IndexFunc(r.scenarios, func(o scenario) bool { return o.isTest() != sc.isTest() }); i >= 0 {
		sub, args := r.opt.command(r.scenarios[i], false)
		out = append(out, benchCommand{sub, args})
	}
	return out
}
