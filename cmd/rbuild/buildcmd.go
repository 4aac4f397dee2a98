package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mattn/go-isatty"

	"rbuild/build"
	"rbuild/cargometa"
	"rbuild/executor"
)

// buildOptions turns the command line into the build's options; args is
// the command line as typed (for the timing report), nil where none.
func (o *options) buildOptions(args []string) build.Options {
	tty := isatty.IsTerminal(os.Stderr.Fd())
	color := useColor(o)
	opt := build.Options{Command: o.cargoCommand(), CargoArgs: o.cargoArgs, FeatureArgs: o.featureArgs,
		ManifestPath: o.manifestPath, UnitGraphFile: o.unitGraphFile, Jobs: o.jobs, KeepGoing: o.keepGoing,
		Cutoff: o.cutoff, StrictSpans: o.strictSpans, NoCache: o.noCache, NoUnstable: o.noUnstable, Timings: o.timings, Explain: o.explain,
		Verbose: o.verbose, Quiet: o.quiet, Status: executor.NewStatus(os.Stderr, tty && !o.quiet, color), Color: color,
		Started: started, CommandLine: args, MessageFormat: o.messageFormat}
	if o.messageFormat.JSON {
		// Records go to stdout and nothing else does: everything for
		// people (status, summary, diagnostics) is on stderr.
		opt.Messages = os.Stdout
	}
	return opt
}

func (o *options) cargoCommand() string {
	switch o.cmd {
	case "check", "test":
		return o.cmd
	}
	// `cargo run --unit-graph` prints the graph and then trips an assertion
	// in cargo 1.95; `build` with the same flags selects the same units.
	return "build"
}

// buildCommand is `rbuild build` and `rbuild check`.
func buildCommand(ctx context.Context, o *options, args []string) error {
	if o.buildPlan != "" {
		return buildPlan(ctx, o, args)
	}
	opt := o.buildOptions(args)
	if o.snapshotUsable() {
		cwd, _ := os.Getwd()
		key := build.SnapshotKey(args, os.Environ(), cwd)
		if build.NoopHolds(opt, key) {
			build.TracePhase("noop snapshot")
			if !o.quiet {
				opt.Status.Verb("Finished", fmt.Sprintf("`%s` profile target(s) in %s (nothing changed)", o.profileName(),
					formatDuration(time.Since(started))))
			}
			return nil
		}
		opt.SnapshotKey = &key
	}
	s, err := build.Open(ctx, opt)
	if err != nil {
		return err
	}
	defer s.Close()
	return buildAndReport(ctx, s, o, opt.Status)
}

// snapshotUsable: the no-op snapshot serves the same invocation only, and
// only when nothing asks for every decision (the report needs them). JSON
// messages need the build's records, which a snapshot does not hold.
func (o *options) snapshotUsable() bool {
	return !o.explain && o.verbose == 0 && !o.timings && !o.messageFormat.JSON
}

// buildAndReport builds everything and says so as cargo does: a
// "Finished" line, rbuild's summary when something ran, and where the
// timing report went.
func buildAndReport(ctx context.Context, s *build.Session, o *options, status *executor.Status) error {
	res, err := s.Build(ctx, build.Everything)
	if res == nil {
		return err
	}
	if err == nil && !o.quiet {
		status.Verb("Finished", fmt.Sprintf("`%s` profile [%s] target(s) in %s", o.profileName(),
			profileDescription(s.Plan()), formatDuration(time.Since(started))))
		if o.verbose > 0 || res.Stats.Ran > 0 {
			fmt.Fprintln(os.Stderr, res.Counts.Summary(time.Since(started)))
		}
	}
	if res.TimingReport != "" && !o.quiet {
		status.Verb("Timing", "report saved to "+res.TimingReport)
	}
	return err
}

// buildPlan runs `rbuild build --build-plan FILE`: the plan's invocations
// as they are, with rbuild's freshness (exact early cutoff).
func buildPlan(ctx context.Context, o *options, args []string) error {
	opt := o.buildOptions(nil)
	opt.Status = executor.NewStatus(os.Stderr, false, opt.Color)
	if o.snapshotUsable() {
		cwd, _ := os.Getwd()
		key := build.SnapshotKey(args, os.Environ(), cwd)
		if build.PlanNoopHolds(opt, o.buildPlan, key) {
			build.TracePhase("noop snapshot")
			if !o.quiet {
				opt.Status.Verb("Finished", fmt.Sprintf("build plan %s in %s (nothing changed)",
					filepath.Base(o.buildPlan), formatDuration(time.Since(started))))
			}
			return nil
		}
		opt.SnapshotKey = &key
	}
	// Past the no-op snapshot: the plan is read and built.
	tightenGC()
	s, err := build.OpenBuildPlan(ctx, opt, o.buildPlan)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Build(ctx, build.Everything)
	if err != nil {
		return err
	}
	if !o.quiet {
		opt.Status.Verb("Finished", fmt.Sprintf("build plan %s in %s (%d of %d invocations ran)",
			filepath.Base(o.buildPlan), formatDuration(time.Since(started)), res.Stats.Ran, len(res.Graph.Actions)))
	}
	return nil
}

func profileDescription(p *cargometa.Plan) string {
	if len(p.Roots) == 0 {
		return "unoptimized"
	}
	prof := p.Roots[0].J.Profile
	d := "optimized"
	if prof.OptLevel == "0" {
		d = "unoptimized"
	}
	if prof.Debuginfo != "0" && prof.Debuginfo != "" {
		d += " + debuginfo"
	}
	return d
}

func formatDuration(d time.Duration) string {
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// buildForRun builds as `rbuild build` would, for `test` and `run`; the
// session comes back closed (the target dir unlocked while programs run),
// its plan and build-script outputs still readable.
func buildForRun(ctx context.Context, o *options, args []string) (*build.Session, error) {
	opt := o.buildOptions(args)
	s, err := build.Open(ctx, opt)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s, buildAndReport(ctx, s, o, opt.Status)
}
