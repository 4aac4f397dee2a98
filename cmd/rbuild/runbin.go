package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"rbuild/cargometa"
)

// runBinary builds like `cargo run` and runs the selected binary with the
// arguments after `--`, in the current directory, passing its exit code on.
func runBinary(ctx context.Context, o *options, args []string) error {
	s, err := buildForRun(ctx, o, args)
	if err != nil {
		return err
	}
	var bins []*cargometa.Unit
	for _, u := range s.Plan().Roots {
		if !u.Executable || u.J.Mode != "build" {
			continue
		}
		if (o.bin != "" && (u.Kind() != "bin" || u.J.Target.Name != o.bin)) ||
			(o.example != "" && (u.Kind() != "example" || u.J.Target.Name != o.example)) ||
			(o.example == "" && u.Kind() == "example") {
			continue
		}
		bins = append(bins, u)
	}
	if len(bins) > 1 {
		// Like cargo: a package's default-run picks among several bins.
		var picked []*cargometa.Unit
		for _, u := range bins {
			if dr := u.Pkg.DefaultRun; dr != nil && *dr == u.J.Target.Name {
				picked = append(picked, u)
			}
		}
		if len(picked) == 1 {
			bins = picked
		}
	}
	if len(bins) == 0 {
		return fmt.Errorf("a bin target must be available for `rbuild run`")
	}
	if len(bins) > 1 {
		var names []string
		for _, b := range bins {
			names = append(names, b.J.Target.Name)
		}
		return fmt.Errorf("`rbuild run` could not determine which binary to run; use `--bin` to pick one: %v", names)
	}
	u := bins[0]
	exe := u.Exe
	if len(u.Uplifts) > 0 {
		exe = u.Uplifts[0][1]
	}
	env, err := s.Plan().RunEnv(u, s.BuildOutputs())
	if err != nil {
		return err
	}
	if !o.quiet {
		s.Status().Verb("Running", "`"+relTo(s.Dir(), exe, "")+"`")
	}
	cmd := exec.Command(exe, o.trailing...)
	cmd.Env = cargometa.MergeEnv(s.Plan().BaseEnv, env, nil)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", exe, err)
	}
	// The program gets the terminal's Ctrl-C itself; we just wait for it.
	go func() { <-ctx.Done() }()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.ExitCode()}
	}
	return err
}
