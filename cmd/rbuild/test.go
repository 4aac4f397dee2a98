package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"rbuild/build"
	"rbuild/cargometa"
	"rbuild/graph"
)

var kindOrder = map[string]int{"lib": 0, "bin": 1, "test": 2, "example": 3, "bench": 4}

// test builds like `cargo test` and runs each test executable in cargo's
// order: per package, unit tests of the lib, of bins, then integration
// tests; then the doctests, as cargo does.
func test(ctx context.Context, o *options, args []string) error {
	s, doctests, err := buildForTest(ctx, o, args)
	if err != nil {
		return err
	}
	tests := testExecutables(s.Plan())
	if o.noRun {
		// Like cargo: where the test executables are, for whoever runs them.
		for _, u := range tests {
			if !o.quiet {
				s.Status().Verb("Executable", testDescription(s, u))
			}
		}
		return nil
	}
	testArgs := append(append([]string{}, o.testFilter...), o.trailing...)
	for _, u := range tests {
		env, err := s.Plan().RunEnv(u, s.BuildOutputs())
		if err != nil {
			return err
		}
		s.Status().Verb("Running", testDescription(s, u))
		cmd := exec.CommandContext(ctx, u.Exe, testArgs...)
		cmd.Dir = filepath.Dir(u.Pkg.ManifestPath)
		cmd.Env = cargometa.MergeEnv(s.Plan().BaseEnv, env, nil)
		if err := runTest(ctx, cmd, s, "test failed, to rerun pass `"+rerunFlag(u)+"`"); err != nil {
			return err
		}
	}
	for _, d := range doctests {
		s.Status().Verb("Doc-tests", d.Unit.J.Target.Name)
		if o.verbose > 0 {
			s.Status().Verb("Running", "`"+graph.ShellQuote(d.Cmd.Argv)+"`")
		}
		cmd := exec.CommandContext(ctx, d.Cmd.Argv[0], d.Cmd.Argv[1:]...)
		cmd.Dir, cmd.Env = d.Cmd.Dir, d.Cmd.Env
		rerun := "--doc"
		if len(s.Plan().Q.Meta.WorkspaceMembers) > 1 {
			rerun = "-p " + d.Unit.Pkg.Name + " --doc"
		}
		if err := runTest(ctx, cmd, s, "doctest failed, to rerun pass `"+rerun+"`"); err != nil {
			return err
		}
	}
	return nil
}

// testExecutables are the plan's test executables in cargo's order: per
// package, unit tests of the lib, of bins, then integration tests.
func testExecutables(p *cargometa.Plan) []*cargometa.Unit {
	var tests []*cargometa.Unit
	for _, u := range p.Units {
		if u.TestMode {
			tests = append(tests, u)
		}
	}
	sort.SliceStable(tests, func(i, j int) bool {
		a, b := tests[i], tests[j]
		if a.Pkg.Name != b.Pkg.Name {
			return a.Pkg.Name < b.Pkg.Name
		}
		ka, kb := kindOrder[a.Kind()], kindOrder[b.Kind()]
		if !a.IsLib && ka == 0 {
			ka = 5
		}
		if ka != kb {
			return ka < kb
		}
		return a.J.Target.Name < b.J.Target.Name
	})
	return tests
}

// testDescription is how cargo names a test executable when it runs it
// or, with --no-run, lists it: "unittests src/lib.rs (target/…/x-hash)".
func testDescription(s *build.Session, u *cargometa.Unit) string {
	what := relTo(s.Dir(), *u.J.Target.SrcPath, filepath.Dir(u.Pkg.ManifestPath))
	if u.IsLib || u.Kind() == "bin" { // proc macros too
		what = "unittests " + what
	}
	return fmt.Sprintf("%s (%s)", what, relTo(s.Dir(), u.Exe, ""))
}

// buildForTest builds as buildForRun does and, unless --no-run, gets the
// doctests' commands while the target dir is still locked (their
// dependency views are made then).
func buildForTest(ctx context.Context, o *options, args []string) (*build.Session, []build.Doctest, error) {
	opt := o.buildOptions(args)
	opt.Doctests = !o.noRun
	s, err := build.Open(ctx, opt)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	if err := buildAndReport(ctx, s, o, opt.Status); err != nil || o.noRun {
		return s, nil, err
	}
	color := o.color
	if color == "" {
		color = "auto"
	}
	d, err := s.Doctests(build.DoctestArgs{Color: color, TestArgs: append(append([]string{}, o.testFilter...), o.trailing...)})
	return s, d, err
}

// runTest runs a test executable or rustdoc on the terminal. A test that
// fails is reported as cargo does and ends `rbuild test` with exit code 101.
func runTest(ctx context.Context, cmd *exec.Cmd, s *build.Session, failed string) error {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	s.Status().Verb("error", failed)
	return &exitError{code: 101}
}

func rerunFlag(u *cargometa.Unit) string {
	switch u.Kind() {
	case "bin":
		return "--bin " + u.J.Target.Name
	case "test":
		return "--test " + u.J.Target.Name
	case "example":
		return "--example " + u.J.Target.Name
	case "bench":
		return "--bench " + u.J.Target.Name
	}
	return "--lib"
}

// relTo shows path relative to base (or to alt), like cargo's messages.
func relTo(base, path, alt string) string {
	for _, b := range []string{alt, base} {
		if b == "" {
			continue
		}
		if r, err := filepath.Rel(b, path); err == nil && !filepath.IsAbs(r) && len(r) < len(path) && r[0] != '.' {
			return r
		}
	}
	return path
}
