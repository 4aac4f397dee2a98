// Command rbuild builds Rust workspaces in place of `cargo build`: cargo
// resolves the workspace, rbuild runs rustc and build scripts itself and
// skips every action whose inputs did not change.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"rbuild/cargometa"
	"rbuild/cutoff"
	"rbuild/executor"
	rlog "rbuild/log"
)

const version = "0.1.0"

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
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Print(usage)
		return 0
	}
	if args[0] == "version" || args[0] == "--version" || args[0] == "-V" {
		fmt.Println("rbuild " + version)
		return 0
	}
	if args[0] == "bench" {
		return runBench(args[1:])
	}
	if args[0] == "cache" {
		return runCache(args[1:], os.Stdout)
	}
	o, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch o.cmd {
	case "build", "check":
		if o.buildPlan != "" {
			err = buildPlan(ctx, o)
			break
		}
		if fastNoop(o, args) {
			return 0
		}
		_, _, err = build(ctx, o)
		if err == nil {
			maybeSnapshot(lastSession, snapshotKey(args))
		}
	case "test":
		err = test(ctx, o)
	case "run":
		err = runBinary(ctx, o)
	case "explain":
		err = explain(o)
	case "gen":
		err = gen(ctx, o, args)
	default:
		fmt.Fprintf(os.Stderr, "error: no such command `%s` (see `rbuild help`)\n", o.cmd)
		return 2
	}
	var exit *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "rbuild: interrupted")
		return 130
	case errors.Is(err, executor.ErrBuildFailed):
		return 101
	}
	fmt.Fprintln(os.Stderr, "error:", err)
	return 101
}

func runBench(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return subcommandExit(ctx, bench(ctx, args), "rbuild: interrupted (edits reverted)", "")
}

// subcommandExit reports a subcommand's error and gives its exit code:
// 2 for a bad command line (followed by usage, if any), 130 when
// interrupted, a program's own code, 101 otherwise.
func subcommandExit(ctx context.Context, err error, interrupted, usage string) int {
	var bad *usageError
	var exit *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &bad):
		fmt.Fprintln(os.Stderr, "error:", err)
		fmt.Fprint(os.Stderr, usage)
		return 2
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, interrupted)
		return 130
	}
	fmt.Fprintln(os.Stderr, "error:", err)
	return 101
}

// exitError carries the exit code of a program rbuild ran for the user.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// lastSession is the session of the last build, for the snapshot writer.
var lastSession *session

// fastNoop reports whether the snapshot of the last all-up-to-date build
// still holds; it then prints what a no-op build prints.
func fastNoop(o *options, args []string) bool {
	if o.explain || o.verbose > 0 || o.timings { // the report needs every decision
		return false
	}
	cwd, err := os.Getwd()
	if err != nil {
		return false
	}
	_, td, err := locateTargetDir(cwd, os.Environ(), o.manifestPath)
	if err != nil {
		return false
	}
	key := snapshotKey(args)
	file := snapshotFile(td, key)
	if !rlog.SnapshotHolds(file, key) {
		rlog.RemoveSnapshot(file)
		return false
	}
	tracePhase("noop snapshot")
	if !o.quiet {
		st := executor.NewStatus(os.Stderr, false, useColor(o))
		st.Verb("Finished", fmt.Sprintf("`%s` profile target(s) in %s (nothing changed)", o.profileName(),
			formatDuration(time.Since(traceStart))))
	}
	return true
}

func maybeSnapshot(s *session, key [16]byte) {
	if s == nil || s.work == nil || s.stats.Ran > 0 || s.stats.Failed > 0 || s.stats.NotRun > 0 {
		return
	}
	writeSnapshot(s, s.work, key)
}

// build runs the whole graph and returns the session (closed) for callers
// that go on to run what was built.
func build(ctx context.Context, o *options) (*session, executor.Stats, error) {
	s, err := newSession(ctx, o)
	if err != nil {
		return nil, executor.Stats{}, err
	}
	defer s.close()
	w := newWork(s)
	s.work = w
	if w.art, err = openArtifacts(s); err != nil {
		return s, executor.Stats{}, err
	}
	w.timeline = executor.NewTimeline(s.graph, time.Now(), o.timings)
	tracePhase("records")
	stats, err := executor.Run(ctx, s.graph, w, executor.Options{Jobs: o.jobs, KeepGoing: o.keepGoing,
		Status: s.status, Color: s.color, Verbose: o.verbose > 0, Cost: w.history.cost})
	s.status.Done()
	if w.art != nil {
		w.art.finish(ctx)
	}
	w.flushParked()
	w.history.save()
	traceCutoffWork()
	s.stats = stats
	lastSession = s
	tracePhase("execute")
	if werr := writeExplain(s, w); werr != nil && err == nil {
		err = werr
	}
	tracePhase("explain")
	report := saveTimings(s, w)
	if err != nil {
		announceTimingReport(s, report)
		return s, stats, err
	}
	if !o.quiet {
		s.status.Verb("Finished", fmt.Sprintf("`%s` profile [%s] target(s) in %s", o.profileName(),
			profileDescription(s.plan), formatDuration(time.Since(s.started))))
		if o.verbose > 0 || stats.Ran > 0 {
			fmt.Fprintln(os.Stderr, summaryLine(w, stats))
		}
	}
	announceTimingReport(s, report)
	return s, stats, nil
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

func rlogRecord(name string, r *cutoff.Record) rlog.Record {
	return rlog.Record{Action: name, Payload: r.Encode()}
}

func explainPath(targetDir string) string {
	return filepath.Join(targetDir, "rbuild", "last-build.json")
}

func writeExplain(s *session, w *work) error {
	data, err := json.MarshalIndent(w.explain, "", " ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(explainPath(s.targetDir), data); err != nil {
		return err
	}
	data, err = json.Marshal(w.counts())
	if err != nil {
		return err
	}
	return writeFileAtomic(countsPath(s.targetDir), data)
}

// countsPath holds the counts of the last build (buildCounts), which
// `rbuild bench` reads.
func countsPath(targetDir string) string {
	return filepath.Join(targetDir, "rbuild", "last-build-counts.json")
}

const usage = `rbuild: build Rust workspaces like cargo, rebuilding only what changed

Usage: rbuild <command> [options] [-- args]

Commands:
  build      Compile the workspace (like cargo build)
  check      Check for errors without code generation (like cargo check)
  test       Build and run tests (like cargo test); --no-run only builds
  run        Build and run a binary (like cargo run)
  explain    Say, for the last build, why each action ran or was skipped
  gen        Write the build for another tool: gen ninja|tup|build-plan|dot
  bench      Time realistic edits rebuilt by cargo and by rbuild (see below)
  cache      The per-user artifact cache: cache stats|prune|clear|verify
  help       Show this text
  version    Show rbuild's version

Cargo selection flags (passed to cargo as given):
  -p, --package SPEC   --workspace   --exclude SPEC
  --lib  --bin NAME  --bins  --example NAME  --examples
  --test NAME  --tests  --bench NAME  --benches  --all-targets
  -r, --release   --profile NAME
  -F, --features LIST   --all-features   --no-default-features
  --manifest-path PATH   --locked  --offline  --frozen   --config KEY=VALUE

rbuild flags:
  -j, --jobs N          Run at most N jobs at once (default: number of CPUs)
  -v, --verbose         Print each command; -vv also shows warnings of dependencies
  -q, --quiet           Print only errors and diagnostics
  --keep-going          Build as much as possible after a failure
  --no-cache            Neither restore from nor store in the artifact cache
  --color WHEN          auto, always or never
  -d explain            Print why each action runs, while building
  --timings             (build, check, test, run) Write an HTML timing report
                        to target/rbuild/timings/
  --unit-graph FILE     Use this unit-graph JSON instead of asking cargo (debugging)
  --build-plan FILE     (build) Run this build plan (cargo's legacy --build-plan
                        JSON, e.g. from rbuild gen build-plan) instead of asking cargo
  --no-run              (test) Build the test executables but do not run them
  -o, --output FILE     (gen) Write here ("-" = stdout); default build.ninja or
                        Tupfile in the workspace root, stdout for build-plan and dot
  --gen-dir DIR         (gen) Where the generated build puts its artifacts
                        (default target/rbuild/gen-FORMAT/PROFILE)

rbuild bench [--scenarios FILE] [--reps N] [--profile dev|release]
             [--tools cargo,rbuild,cargo-noincr,rbuild-noincr] [--out DIR]
  --scenarios FILE      Edits to measure (TOML, see README); default: noop,
                        touch, comment, private-body, public-signature, leaf
                        in the path package with the most dependents
  --reps N              Measured rebuilds per scenario and tool (default 5)
  --profile NAME        Cargo profile to build (default dev)
  --tools LIST          Tools to compare (default cargo,rbuild); -noincr
                        variants build with CARGO_INCREMENTAL=0
  --out DIR             Where bench.md/.csv/.json/.svg go (default target/rbuild/bench)

rbuild cache stats | prune [--max-size SIZE] [--max-age AGE] | clear | verify
  The artifact cache shared by all workspaces (~/.cache/rbuild/artifacts);
  configured in ~/.config/rbuild/config.toml [cache] (see README)
`
