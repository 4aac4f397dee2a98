package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	"--examples": {}, "--example": {takesValue: true},
	"--tests": {}, "--test": {takesValue: true},
	"--benches": {}, "--bench": {takesValue: true}, "--all-targets": {},
	"-r": {}, "--release": {}, "--profile": {takesValue: true},
	"-F": {takesValue: true, feature: true}, "--features": {takesValue: true, feature: true},
	"--all-features": {feature: true}, "--no-default-features": {feature: true},
	"--locked": {feature: true}, "--offline": {feature: true}, "--frozen": {feature: true},
	"--config": {takesValue: true, feature: true}, "-Z": {takesValue: true, feature: true},
}

func parseArgs(args []string) (*options, error) {
	o := &options{color: "auto", cutoff: "interface"}
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
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("-j: want a positive number, got %q", v)
			}
			o.jobs = n
			continue
		case "-v", "--verbose":
			o.verbose++
			continue
		case "-vv":
			o.verbose += 2
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
			v, err := value()
			if err != nil {
				return nil, err
			}
			if v != "auto" && v != "always" && v != "never" {
				return nil, fmt.Errorf("--color: want auto, always or never")
			}
			o.color = v
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
	}
	return "dev"
}
