package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"rbuild/build"
)

// options are the parsed command line. Cargo's selection and profile flags
// are kept verbatim in cargoArgs so cargo resolves them exactly as it would.
type options struct {
	cmd           string
	cargoArgs     []string // passed to cargo for the unit graph
	featureArgs   []string // passed to cargo metadata too
	manifestPath  string
	jobs          int
	verbose       int
	quiet         bool
	keepGoing     bool
	noCache       bool // --no-cache: neither restore from nor store in the artifact cache
	noUnstable    bool // --no-unstable: cargo's rustc commands, no -Z flag, no RUSTC_BOOTSTRAP
	unitGraphFile string
	explain       bool // -d explain
	color         string
	noRun         bool     // test --no-run
	bin           string   // run --bin
	example       string   // run --example
	trailing      []string // after --
	testFilter    []string // test TESTNAME
	release       bool
	profile       string
	cutoff        string // interface (default), exact or off
	strictSpans   bool
	genFormat     string // gen FORMAT
	output        string // gen -o
	genDir        string // gen --gen-dir
	buildPlan     string // build --build-plan FILE
	timings       bool   // --timings: write the HTML timing report
	messageFormat build.MessageFormat
	targetDir     string // --target-dir, absolute
}

// flagSpec says how a cargo flag is passed on.
type flagSpec struct {
	takesValue bool
	feature    bool // also for cargo metadata
	only       string
}

var cargoFlags = map[string]flagSpec{
	"-p": {takesValue: true}, "--package": {takesValue: true},
	"--workspace": {}, "--all": {}, "--exclude": {takesValue: true},
	"--lib": {}, "--bins": {}, "--bin": {takesValue: true},
	"--doc":      {}, // test: only the doctests (cargo's unit graph then holds nothing else)
	"--examples": {}, "--example": {takesValue: true},
	"--tests": {}, "--test": {takesValue: true},
	"--benches": {}, "--bench": {takesValue: true}, "--all-targets": {},
	"-r": {}, "--release": {}, "--profile": {takesValue: true},
	"-F": {takesValue: true, feature: true}, "--features": {takesValue: true, feature: true},
	"--all-features": {feature: true}, "--no-default-features": {feature: true},
	"--locked": {feature: true}, "--offline": {feature: true}, "--frozen": {feature: true},
	"--config": {takesValue: true, feature: true}, "-Z": {takesValue: true, feature: true},
	"--target": {takesValue: true}, // not for cargo metadata, which rejects it (its superset of packages is fine)

	// Accepted, passed on to cargo.
	"--ignore-rust-version": {},
}

// withMessageFormat are the commands that take cargo's --message-format.
var withMessageFormat = []string{"build", "check", "test", "run"}

func parseArgs(args []string) (*options, error) {
	o := &options{cutoff: "interface"}
	var messageFormats []string
	if len(args) == 0 {
		return nil, fmt.Errorf("no command given")
	}
	o.cmd = args[0]
	args = args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			o.trailing = append(o.trailing, args[i+1:]...)
			break
		}
		name, val, hasVal := strings.Cut(a, "=")
		if !strings.HasPrefix(a, "--") {
			name, val, hasVal = a, "", false
			// -pfoo, -j4, -Fx style short flags with attached values
			if len(a) > 2 && a[0] == '-' && a[1] != '-' && strings.ContainsRune("pjFZ", rune(a[1])) {
				name, val, hasVal = a[:2], a[2:], true
			}
		}
		value := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", name)
			}
			i++
			return args[i], nil
		}
		switch name {
		case "-j", "--jobs":
			v, err := value()
			if err != nil {
				return nil, err
			}
			n, err := parseJobs(v)
			if err != nil {
				return nil, err
			}
			o.jobs = n
			continue
		case "-v", "--verbose":
			o.verbose++
			continue
		case "-vv", "-vvv":
			o.verbose += len(name) - 1
			continue
		case "-q", "--quiet":
			o.quiet = true
			continue
		case "--keep-going":
			o.keepGoing = true
			continue
		case "--no-cache":
			o.noCache = true
			continue
		case "--no-unstable":
			o.noUnstable = true
			continue
		case "--unit-graph":
			v, err := value()
			if err != nil {
				return nil, err
			}
			o.unitGraphFile = v
			continue
		case "-d":
			v, err := value()
			if err != nil {
				return nil, err
			}
			if v != "explain" {
				return nil, fmt.Errorf("-d: only `-d explain` is supported")
			}
			o.explain = true
			continue
		case "--cutoff":
			v, err := value()
			if err != nil {
				return nil, err
			}
			if v != "interface" && v != "exact" && v != "off" {
				return nil, fmt.Errorf("--cutoff: want interface, exact or off")
			}
			o.cutoff = v
			continue
		case "--strict-spans":
			o.strictSpans = true
			continue
		case "--timings":
			if !slices.Contains([]string{"build", "check", "test", "run"}, o.cmd) {
				return nil, fmt.Errorf("--timings is only for `rbuild build`, `check`, `test` and `run`")
			}
			if hasVal && val != "html" {
				return nil, fmt.Errorf("--timings: the report is HTML; want --timings or --timings=html, got %q", val)
			}
			o.timings = true
			continue
		case "--color":
			// As cargo's parser: any case passes here, and applyTerm
			// then refuses all but lower case, as cargo does.
			possible := "\n  [possible values: auto, always, never]"
			if !hasVal && i+1 >= len(args) {
				return nil, clapError("a value is required for '--color <WHEN>' but none was supplied" + possible)
			}
			v, _ := value()
			if !slices.ContainsFunc([]string{"auto", "always", "never"}, func(c string) bool { return strings.EqualFold(c, v) }) {
				return nil, clapError(fmt.Sprintf("invalid value '%s' for '--color <WHEN>'%s", v, possible))
			}
			o.color = v
			continue
		case "--message-format":
			if !slices.Contains(withMessageFormat, o.cmd) {
				return nil, fmt.Errorf("--message-format is only for `rbuild build`, `check`, `test` and `run`")
			}
			if !hasVal && i+1 >= len(args) {
				return nil, badMessageFormat("")
			}
			v, _ := value()
			messageFormats = append(messageFormats, v)
			continue
		case "--target-dir":
			v, err := value()
			if err != nil {
				return nil, err
			}
			abs, err := filepath.Abs(v)
			if err != nil {
				return nil, fmt.Errorf("--target-dir %s: %w", v, err)
			}
			o.targetDir = abs
			continue
		case "--future-incompat-report":
			// Accepted for tools that pass it; rbuild writes no such report.
			continue
		case "--no-run":
			if o.cmd != "test" {
				return nil, fmt.Errorf("--no-run is only for `rbuild test`")
			}
			o.noRun = true
			continue
		case "-o", "--output", "--gen-dir":
			if o.cmd != "gen" {
				return nil, fmt.Errorf("%s is only for `rbuild gen`", name)
			}
			v, err := value()
			if err != nil {
				return nil, err
			}
			if name == "--gen-dir" {
				o.genDir = v
			} else {
				o.output = v
			}
			continue
		case "--build-plan":
			if o.cmd != "build" {
				return nil, fmt.Errorf("--build-plan is only for `rbuild build`")
			}
			v, err := value()
			if err != nil {
				return nil, err
			}
			o.buildPlan = v
			continue
		case "--manifest-path":
			v, err := value()
			if err != nil {
				return nil, err
			}
			o.manifestPath = v
			o.cargoArgs = append(o.cargoArgs, "--manifest-path", v)
			o.featureArgs = append(o.featureArgs, "--manifest-path", v)
			continue
		}
		spec, ok := cargoFlags[name]
		if !ok {
			if !strings.HasPrefix(a, "-") && (o.cmd == "test") {
				o.testFilter = append(o.testFilter, a)
				continue
			}
			if !strings.HasPrefix(a, "-") && o.cmd == "gen" && o.genFormat == "" {
				o.genFormat = a
				continue
			}
			return nil, fmt.Errorf("unknown flag %q for `rbuild %s` (see `rbuild help`)", a, o.cmd)
		}
		pass := []string{name}
		if spec.takesValue {
			v, err := value()
			if err != nil {
				return nil, err
			}
			pass = append(pass, v)
			switch name {
			case "--bin":
				o.bin = v
			case "--example":
				o.example = v
			case "--profile":
				o.profile = v
			}
		}
		if name == "-r" || name == "--release" {
			o.release = true
		}
		o.cargoArgs = append(o.cargoArgs, pass...)
		if spec.feature {
			o.featureArgs = append(o.featureArgs, pass...)
		}
	}
	var err error
	if o.messageFormat, err = parseMessageFormat(messageFormats); err != nil {
		return nil, err
	}
	if err := o.applyTerm(); err != nil {
		return nil, err
	}
	if o.timings && o.buildPlan != "" {
		return nil, fmt.Errorf("--timings does not apply to --build-plan builds yet")
	}
	if o.cmd == "gen" && !slices.Contains(genFormats, o.genFormat) {
		return nil, fmt.Errorf("gen: want one of %s, got %q", strings.Join(genFormats, ", "), o.genFormat)
	}
	return o, nil
}

// profileName is the profile cargo will use for this command line.
func (o *options) profileName() string {
	switch {
	case o.profile != "":
		return o.profile
	case o.release:
		return "release"
	case o.cmd == "test":
		return "test" // cargo test's profile (it inherits dev)
	}
	return "dev"
}

// parseJobs reads -j as cargo does: a positive number, a negative one
// (that many fewer than the CPUs, at least one) or "default".
func parseJobs(v string) (int, error) {
	if v == "default" {
		return runtime.NumCPU(), nil
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return 0, &cargoStyleError{code: 101, msg: fmt.Sprintf("could not parse `%s`. Number of parallel jobs should be `default` or a number.", v)}
	case n == 0:
		return 0, &cargoStyleError{code: 101, msg: "jobs may not be 0"}
	case n < 0:
		return max(runtime.NumCPU()+n, 1), nil
	}
	return n, nil
}

// applyTargetDir does --target-dir as cargo does, through the variable
// that ranks just below it (CARGO_TARGET_DIR): cargo, rbuild's own lookup
// of the target dir and everything they run then agree.
func (o *options) applyTargetDir() {
	if o.targetDir != "" {
		os.Setenv("CARGO_TARGET_DIR", o.targetDir)
	}
}
