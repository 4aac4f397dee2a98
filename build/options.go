package build

import (
	"io"
	"os"
	"runtime"
	"time"

	"rbuild/cargometa"
	"rbuild/executor"
)

// Options are everything a build depends on besides the workspace's
// files: what to ask cargo, how to run, where to report. Nothing in this
// package reads flags; the zero value of each field is the default.
type Options struct {
	// Command is the cargo subcommand whose units are built: build,
	// check or test (`run` selects its units as `build` does).
	Command string
	// CargoArgs are the selection, profile and feature flags, passed to
	// cargo as given; FeatureArgs the subset `cargo metadata` must see.
	CargoArgs, FeatureArgs []string
	ManifestPath           string
	UnitGraphFile          string // debugging: this unit graph instead of asking cargo

	Dir string   // the working directory; default the process's
	Env []string // the environment cargo, rustc and build scripts see; default the process's

	Jobs        int    // default one per CPU
	KeepGoing   bool   // build what can be built after a failure
	Cutoff      string // interface (default), exact or off
	StrictSpans bool
	NoCache     bool // neither restore from nor store in the artifact cache
	// NoUnstable runs rustc as cargo does: no -Z flag, no RUSTC_BOOTSTRAP
	// (executables compiled and linked in one step; the interface cutoff,
	// which needs -Z flags, becomes exact).
	NoUnstable bool
	Timings    bool // write the HTML timing report
	Explain    bool // print why each action runs (-d explain)
	Verbose    int
	Quiet      bool
	// Doctests says the doctests run after the build (rbuild test without
	// --no-run): a lib they load is compiled where the cutoff would leave
	// it stale, before anything links it, instead of repaired after the
	// links (whose inputs that repair changed: the next build relinked
	// every executable above it).
	Doctests bool

	// Status is where progress, cargo-style lines and diagnostics go;
	// default stderr without a status line.
	Status *executor.Status
	Color  bool
	// Started is when the invocation began (the summary's time counts
	// from it); default when Open is called.
	Started time.Time
	// CommandLine is the user's command line, for the timing report.
	CommandLine []string
	// SnapshotKey, when set, lets a build that ran and failed nothing
	// leave a no-op snapshot under this key (see NoopHolds).
	SnapshotKey *[16]byte

	// MessageFormat is cargo's --message-format; the zero value is human.
	MessageFormat MessageFormat
	// Messages receives cargo's JSON records, one per line, when
	// MessageFormat.JSON is set (the process's stdout in the CLI).
	Messages io.Writer
}

// MessageFormat is cargo's --message-format, after its values were
// combined: human (zero), short, or json with its three modifiers.
type MessageFormat struct {
	JSON bool // records on Messages; everything for people on stderr
	// Short renders diagnostics in rustc's short form (short,
	// json-diagnostic-short).
	Short bool
	// ANSI keeps rustc's colours in a record's "rendered"
	// (json-diagnostic-rendered-ansi).
	ANSI bool
	// RenderDiagnostics prints diagnostics for people on stderr instead
	// of as compiler-message records (json-render-diagnostics).
	RenderDiagnostics bool
}

func (o *Options) setDefaults() error {
	if o.Dir == "" {
		d, err := os.Getwd()
		if err != nil {
			return err
		}
		o.Dir = d
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	if o.Jobs == 0 {
		o.Jobs = runtime.NumCPU()
	}
	if o.Cutoff == "" {
		o.Cutoff = "interface"
	}
	if o.NoUnstable && o.Cutoff == "interface" {
		o.Cutoff = "exact"
	}
	if o.Command == "" {
		o.Command = "build"
	}
	if o.Status == nil {
		o.Status = executor.NewStatus(os.Stderr, false, o.Color)
	}
	if o.Started.IsZero() {
		o.Started = time.Now()
	}
	return nil
}

// getenv reads a variable of the build's environment, which may not be
// the process's (bench builds each tool with its own target dir).
func (o *Options) getenv(name string) string {
	v, _ := cargometa.LookupEnv(o.Env, name)
	return v
}
