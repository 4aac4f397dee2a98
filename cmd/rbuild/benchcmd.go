package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"rbuild/bench"
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
	fs.StringVar(&o.tools, "tools", "cargo,rbuild", "tools to compare: "+strings.Join(bench.ToolNames, ", "))
	fs.StringVar(&o.out, "out", "", "where the CSV, JSON, SVG and markdown reports go (default <target>/rbuild/bench)")
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
	var tools []string
	for _, t := range strings.Split(o.tools, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tools = append(tools, t)
		}
	}
	err = bench.Run(ctx, bench.Options{Scenarios: o.scenarios, Reps: o.reps, Profile: o.profile, Tools: tools, Out: o.out,
		Self: self, Stdout: os.Stdout, Progress: os.Stderr})
	if errors.Is(err, bench.ErrUsage) {
		return &usageError{err}
	}
	return err
}
