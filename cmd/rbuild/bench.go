package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// benchOptions are `rbuild bench`'s flags.
type benchOptions struct {
	scenarios string
	reps      int
	profile   string
	tools     string
	out       string
}

func parseBenchArgs(args []string, stderr io.Writer) (*benchOptions, error) {
	o := &benchOptions{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.scenarios, "scenarios", "", "scenario file (TOML); default: the built-in set")
	fs.IntVar(&o.reps, "reps", 5, "measured rebuilds per scenario and tool")
	fs.StringVar(&o.profile, "profile", "dev", "cargo profile: dev, release or a custom one")
	fs.StringVar(&o.tools, "tools", "cargo,rbuild", "tools to compare: "+strings.Join(benchToolNames, ", "))
	fs.StringVar(&o.out, "out", "", "where the CSV, JSON, SVG and markdown reports go (default <target>/rbuild/bench)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	if o.reps < 1 {
		return nil, fmt.Errorf("--reps: want at least 1, got %d", o.reps)
	}
	return o, nil
}

func (o *benchOptions) profileArgs() []string {
	switch o.profile {
	case "dev", "":
		return nil
	case "release":
		return []string{"--release"}
	}
	return []string{"--profile", o.profile}
}

// benchRun is a bench in progress: the workspace, its tools and edits.
type benchRun struct {
	opt       *benchOptions
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

// bench runs `rbuild bench`: warm builds, then for every rep and
// scenario: edit, a timed rebuild by each tool, revert, rebuilds.
func bench(ctx context.Context, args []string) error {
	opt, err := parseBenchArgs(args, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &usageError{err}
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := findWorkspaceRoot(cwd, "")
	if err != nil {
		return err
	}
	_, targetDir, err := locateTargetDir(cwd, os.Environ(), "")
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find the rbuild executable: %w", err)
	}
	base := filepath.Join(targetDir, "rbuild-bench", opt.profile)
	tools, err := parseTools(opt.tools, base, self)
	if err != nil {
		return &usageError{err}
	}
	if opt.out == "" {
		opt.out = filepath.Join(targetDir, "rbuild", "bench")
	}
	r := &benchRun{opt: opt, root: root, base: base, self: self, tools: tools, progress: os.Stderr,
		ed: &fileEditor{root: root, pending: filepath.Join(targetDir, "rbuild", "bench-pending-edit.json")}}
	if restored, err := r.ed.restorePending(); err != nil {
		return err
	} else if restored != "" {
		r.say("Restored", restored+" (left edited by an interrupted bench)")
	}
	if opt.scenarios != "" {
		if r.scenarios, err = readScenarios(opt.scenarios, root); err != nil {
			return err
		}
	}
	defer r.ed.revert()
	if err := r.warm(ctx); err != nil {
		return err
	}
	if opt.scenarios == "" {
		if err := r.chooseBuiltin(ctx); err != nil {
			return err
		}
	}
	if err := r.measure(ctx); err != nil {
		return err
	}
	if err := r.ed.revert(); err != nil {
		return err
	}
	rep := r.report()
	fmt.Print(rep.markdown())
	if err := rep.write(opt.out); err != nil {
		return fmt.Errorf("write bench report: %w", err)
	}
	r.say("Wrote", strings.Join(rep.files(opt.out), ", "))
	return nil
}

func (r *benchRun) say(verb, text string) {
	fmt.Fprintf(r.progress, "%12s %s\n", verb, text)
}

// warm brings every tool's target dir up to date before anything is timed.
func (r *benchRun) warm(ctx context.Context) error {
	for _, t := range r.tools {
		r.say("Warming", t.Name+" ("+t.targetDir+")")
		if _, err := t.build(ctx, r.root, r.opt.profileArgs()); err != nil {
			return fmt.Errorf("warm-up build: %w", err)
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
		rb = &benchTool{Name: "rbuild", rbuild: true, targetDir: filepath.Join(r.base, "rbuild"), self: r.self}
		if _, err := rb.build(ctx, r.root, r.opt.profileArgs()); err != nil {
			return fmt.Errorf("build to choose the scenarios: %w", err)
		}
	}
	td := rb.targetDir
	old, had := os.LookupEnv("CARGO_TARGET_DIR")
	os.Setenv("CARGO_TARGET_DIR", td)
	defer func() {
		if had {
			os.Setenv("CARGO_TARGET_DIR", old)
		} else {
			os.Unsetenv("CARGO_TARGET_DIR")
		}
	}()
	args := append([]string{"build", "-q"}, r.opt.profileArgs()...)
	o, err := parseArgs(args)
	if err != nil {
		return err
	}
	s, err := newSession(ctx, o)
	if err != nil {
		return fmt.Errorf("choose scenarios: %w", err)
	}
	defer s.close()
	crate, scen, err := builtinScenarios(s.plan)
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
// rebuilds again, untimed, to start the next edit up to date.
func (r *benchRun) measure(ctx context.Context) error {
	n := 0
	for rep := 1; rep <= r.opt.reps; rep++ {
		for _, sc := range r.scenarios {
			n++
			if err := r.ed.apply(sc.Edit, n); err != nil {
				return fmt.Errorf("scenario %s: %w", sc.Name, err)
			}
			for _, t := range r.tools {
				s, err := t.build(ctx, r.root, r.opt.profileArgs())
				if err != nil {
					return fmt.Errorf("scenario %s, rep %d: %w", sc.Name, rep, err)
				}
				r.samples = append(r.samples, benchSample{Scenario: sc.Name, Tool: t.Name, Rep: rep, sample: s})
				r.say("Measured", fmt.Sprintf("%s, %s, rep %d: %.2fs, %d compiled, %d cut off, %d relinked",
					sc.Name, t.Name, rep, s.Seconds, s.Compiled, s.CutOff, s.Relinked))
			}
			if err := r.ed.revert(); err != nil {
				return err
			}
			if sc.Edit.Kind == "noop" {
				continue
			}
			for _, t := range r.tools {
				if _, err := t.build(ctx, r.root, r.opt.profileArgs()); err != nil {
					return fmt.Errorf("scenario %s, rebuild after the revert: %w", sc.Name, err)
				}
			}
		}
	}
	return nil
}

// usageError is a bad command line: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
