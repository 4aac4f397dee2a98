package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"rbuild/bench"
)

// benchOptions are `rbuild bench`'s flags.
type benchOptions struct {
	scenarios string
	reps      int
	profile   string
	tools     string
	loops     string // build, test or build,test
	testArgs  string // after cargo test / rbuild test, split on white space
	out       string
	scale     string // sizes for the scale benchmark
	jobs      int
	seed      uint64
}

func parseBenchArgs(args []string, stderr io.Writer) (*benchOptions, error) {
	o := &benchOptions{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.scenarios, "scenarios", "", "scenario file (TOML); default: the built-in set")
	fs.IntVar(&o.reps, "reps", 5, "measured rebuilds per scenario and tool")
	fs.StringVar(&o.profile, "profile", "dev", "cargo profile: dev, release or a custom one")
	fs.StringVar(&o.tools, "tools", "cargo,rbuild", "tools to compare: "+strings.Join(bench.ToolNames, ", "))
	fs.StringVar(&o.loops, "loop", "build,test", "loops to measure: edit → build, edit → test, or both")
	fs.StringVar(&o.testArgs, "test-args", "", "arguments after cargo test / rbuild test in the test loop (e.g. '--workspace --exclude memchr -- --skip slow')")
	fs.StringVar(&o.out, "out", "", "where the CSV, JSON, SVG and markdown reports go (default <target>/rbuild/bench)")
	fs.StringVar(&o.scale, "scale", "", "instead: rbuild vs ninja on random DAGs of these numbers of actions (e.g. 1000,10000,100000)")
	fs.IntVar(&o.jobs, "j", 2, "(--scale) -j of both tools")
	fs.Uint64Var(&o.seed, "seed", 1, "(--scale) the random DAGs' seed")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))
	}
	return o, nil
}

// benchCommand is `rbuild bench`: the flags, then the harness.
func benchCommand(ctx context.Context, args []string) error {
	o, err := parseBenchArgs(args, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &usageError{err}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find the rbuild executable: %w", err)
	}
	if o.scale != "" {
		return scaleCommand(ctx, o, self)
	}
	err = bench.Run(ctx, bench.Options{Scenarios: o.scenarios, Reps: o.reps, Profile: o.profile, Tools: commaList(o.tools),
		Loops: commaList(o.loops), TestArgs: strings.Fields(o.testArgs), Out: o.out,
		Self: self, Stdout: os.Stdout, Progress: os.Stderr})
	if errors.Is(err, bench.ErrUsage) {
		return &usageError{err}
	}
	return err
}

// commaList splits a flag's comma-separated list, dropping empty items.
func commaList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// scaleCommand is `rbuild bench --scale N,N,…`.
func scaleCommand(ctx context.Context, o *benchOptions, self string) error {
	var sizes []int
	for _, f := range strings.Split(o.scale, ",") {
		f = strings.TrimSpace(strings.ReplaceAll(f, "_", ""))
		mult := 1
		switch {
		case strings.HasSuffix(f, "k"):
			f, mult = strings.TrimSuffix(f, "k"), 1000
		case strings.HasSuffix(f, "M"):
			f, mult = strings.TrimSuffix(f, "M"), 1000000
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return &usageError{fmt.Errorf("--scale: want numbers of actions (1000, 10k), got %q", f)}
		}
		sizes = append(sizes, n*mult)
	}
	err := bench.RunScale(ctx, bench.ScaleOptions{Sizes: sizes, Reps: o.reps, Jobs: o.jobs, Seed: o.seed, Out: o.out,
		Self: self, Stdout: os.Stdout, Progress: os.Stderr})
	if errors.Is(err, bench.ErrUsage) {
		return &usageError{err}
	}
	return err
}
