// Command rbuild builds Rust workspaces in place of `cargo build`: cargo
// resolves the workspace, rbuild runs rustc and build scripts itself and
// skips every action whose inputs did not change. This package is the
// command line only: the build driver is package build.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"rbuild/build"
	"rbuild/cargometa"
	"rbuild/executor"
)

const version = "0.1.0"

// started is when this invocation began: the summary's time counts from it.
var started = time.Now()

func main() {
	// RBUILD_CPUPROFILE=FILE writes a CPU profile: the no-op path must stay
	// in milliseconds, and this is how to see where they go.
	if f := os.Getenv("RBUILD_CPUPROFILE"); f != "" {
		if out, err := os.Create(f); err == nil {
			pprof.StartCPUProfile(out)
			code := run(os.Args[1:])
			pprof.StopCPUProfile()
			out.Close()
			os.Exit(code)
		}
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	// `cargo rbuild build` runs `cargo-rbuild rbuild build`.
	args = dropCargoWord(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g, err := splitGlobal(args)
	switch {
	case err != nil:
		return exitCode(ctx, err, "", "")
	case g.version || (len(g.rest) > 0 && g.rest[0] == "version"):
		return printVersion(args)
	case g.cargoOnly:
		return exitCode(ctx, passToCargo(args), "", "")
	case g.help || len(g.rest) == 0 || g.rest[0] == "help":
		fmt.Print(usage)
		return 0
	}
	if _, own := ownCommands[g.rest[0]]; !own {
		return exitCode(ctx, passToCargo(args), "", "")
	}
	if err := g.enterDir(); err != nil {
		return exitCode(ctx, err, "", "")
	}
	args = g.subcommandArgs()
	pinRealCargo()
	switch args[0] {
	case "bench":
		return exitCode(ctx, benchCommand(ctx, args[1:]), "rbuild: interrupted (edits reverted)", "")
	case "cache":
		return exitCode(ctx, cacheCommand(ctx, args[1:], os.Stdout), "rbuild: interrupted", cacheUsage)
	}
	o, err := parseArgs(args)
	if err != nil {
		return exitCode(ctx, &usageError{err}, "", "")
	}
	o.applyTargetDir()
	o.exportTerm()
	switch o.cmd {
	case "build", "check":
		err = buildCommand(ctx, o, args)
	case "test":
		err = test(ctx, o, args)
	case "run":
		err = runBinary(ctx, o, args)
	case "explain":
		err = explain(o)
	case "gen":
		err = gen(ctx, o, args)
	}
	return exitCode(ctx, err, "rbuild: interrupted", "")
}

// exitCode reports a command's error and gives its exit code: 2 for a bad
// command line (followed by usage, if any), a program's own code, 130 when
// interrupted, 101 otherwise (a failed build has said why already).
func exitCode(ctx context.Context, err error, interrupted, usage string) int {
	var bad *usageError
	var exit *exitError
	var cargoStyle *cargoStyleError
	var cargoFailed *cargometa.CargoError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &cargoStyle):
		fmt.Fprintln(os.Stderr, "error:", cargoStyle.msg)
		return cargoStyle.code
	case errors.As(err, &cargoFailed) && len(cargoFailed.Stderr) > 0:
		// cargo said why, in its own words: pass them on whole.
		os.Stderr.Write(cargoFailed.Stderr)
		if cargoFailed.Code > 0 {
			return cargoFailed.Code
		}
		return 101
	case errors.As(err, &bad):
		fmt.Fprintln(os.Stderr, "error:", err)
		fmt.Fprint(os.Stderr, usage)
		return 2
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, interrupted)
		return 130
	case errors.Is(err, executor.ErrBuildFailed):
		return 101
	}
	fmt.Fprintln(os.Stderr, "error:", err)
	return 101
}

// exitError carries the exit code of a program rbuild ran for the user.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a bad command line: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// explain prints, for the last build, one line per action: ran and why, or
// skipped and why. It reads what the build wrote at its decision points.
func explain(o *options) error {
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	_, targetDir, err := build.LocateTargetDir(cwd, os.Environ(), o.manifestPath)
	if err != nil {
		return err
	}
	entries, err := build.ReadExplain(targetDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		verb := "skipped"
		if e.Ran {
			verb = "ran"
		}
		line := fmt.Sprintf("%-7s %s: %s", verb, e.Label, e.Reason)
		if e.Cache != "" {
			line += " [cache: " + e.Cache + "]"
		}
		fmt.Println(line)
	}
	return nil
}
