package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"rbuild/cargometa"
)

var kindOrder = map[string]int{"lib": 0, "bin": 1, "test": 2, "example": 3, "bench": 4}

// test builds like `cargo test` and runs each test executable in cargo's
// order: per package, unit tests of the lib, of bins, then integration tests.
func test(ctx context.Context, o *options, args []string) error {
	s, err := buildForRun(ctx, o, args)
	if err != nil || o.noRun {
		return err
	}
	var tests []*cargometa.Unit
	doctests := false
	for _, u := range s.Plan().Units {
		switch {
		case u.J.Mode == "doctest":
			doctests = true
		case u.TestMode:
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
	failed := 0
	for _, u := range tests {
		env, err := s.Plan().RunEnv(u, s.BuildOutputs())
		if err != nil {
			return err
		}
		what := relTo(s.Dir(), *u.J.Target.SrcPath, filepath.Dir(u.Pkg.ManifestPath))
		if u.Kind() == "lib" || u.Kind() == "bin" {
			what = "unittests " + what
		}
		s.Status().Verb("Running", fmt.Sprintf("%s (%s)", what, relTo(s.Dir(), u.Exe, "")))
		args := append(append([]string{}, o.testFilter...), o.trailing...)
		cmd := exec.CommandContext(ctx, u.Exe, args...)
		cmd.Dir = filepath.Dir(u.Pkg.ManifestPath)
		cmd.Env = cargometa.MergeEnv(s.Plan().BaseEnv, env, nil)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				return fmt.Errorf("run %s: %w", u.Exe, err)
			}
			failed++
			s.Status().Verb("error", fmt.Sprintf("test failed, to rerun pass `%s`", rerunFlag(u)))
			return &exitError{code: 101}
		}
	}
	if doctests {
		s.Status().Verb("Doc-tests", "not run: rbuild does not run doctests yet (use `cargo test --doc`)")
	}
	return nil
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
