package main

// Cargo's --message-format and terminal settings (--color, -v, -q and
// their CARGO_TERM_* variables), with cargo 1.95's rules and error texts.

import (
	"fmt"
	"os"
	"strings"

	"github.com/mattn/go-isatty"

	"rbuild/build"
)

var messageFormats = []string{"human", "short", "json", "json-diagnostic-short",
	"json-diagnostic-rendered-ansi", "json-render-diagnostics"}

// clapError is cargo's answer to a value its argument parser rejects
// (exit status 1).
func clapError(msg string) error {
	return &cargoStyleError{code: 1, msg: msg + "\n\nFor more information, try '--help'."}
}

func badMessageFormat(v string) error {
	possible := "\n  [possible values: " + strings.Join(messageFormats, ", ") + "]"
	if v == "" {
		return clapError("a value is required for '--message-format <FMT>' but none was supplied" + possible)
	}
	return clapError(fmt.Sprintf("invalid value '%s' for '--message-format <FMT>'%s", v, possible))
}

// parseMessageFormat combines the values of every --message-format flag
// as cargo does: each flag may hold several, comma-separated, matched
// without regard to case; json, human and short are kinds (at most one),
// the json-* values modify json (and imply it).
func parseMessageFormat(values []string) (build.MessageFormat, error) {
	var f build.MessageFormat
	var parts []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			lp := strings.ToLower(p)
			known := false
			for _, m := range messageFormats {
				known = known || lp == m
			}
			if !known {
				return f, badMessageFormat(p)
			}
			parts = append(parts, lp)
		}
	}
	twoKinds := &cargoStyleError{code: 101, msg: "cannot specify two kinds of `message-format` arguments"}
	kind := "" // human, short or json once one was given
	for _, p := range parts {
		switch p {
		case "human", "short", "json":
			if kind != "" {
				return f, twoKinds
			}
			kind = p
		default: // a json modifier
			if kind != "" && kind != "json" {
				return f, twoKinds
			}
			kind = "json"
			switch p {
			case "json-diagnostic-short":
				f.Short = true
			case "json-diagnostic-rendered-ansi":
				f.ANSI = true
			case "json-render-diagnostics":
				f.RenderDiagnostics = true
			}
		}
	}
	f.JSON = kind == "json"
	f.Short = f.Short || kind == "short"
	return f, nil
}

// envBool reads a CARGO_TERM_* switch as cargo does: true, false or unset.
func envBool(name string) (bool, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return false, nil
	}
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &cargoStyleError{code: 101,
		msg: fmt.Sprintf("error in environment variable `%s`: provided string was not `true` or `false`", name)}
}

// applyTerm settles verbosity and colour: the flags first, then
// CARGO_TERM_VERBOSE, CARGO_TERM_QUIET and CARGO_TERM_COLOR, as cargo.
func (o *options) applyTerm() error {
	verbose, err := envBool("CARGO_TERM_VERBOSE")
	if err != nil {
		return err
	}
	quiet, err := envBool("CARGO_TERM_QUIET")
	if err != nil {
		return err
	}
	switch {
	case o.verbose > 0 && o.quiet:
		return &cargoStyleError{code: 101, msg: "cannot set both --verbose and --quiet"}
	case o.verbose > 0 || o.quiet:
	case verbose && quiet:
		return &cargoStyleError{code: 101, msg: "cannot set both `term.verbose` and `term.quiet`"}
	case verbose:
		o.verbose = 1
	case quiet:
		o.quiet = true
	}
	if o.color == "" {
		c, ok := os.LookupEnv("CARGO_TERM_COLOR")
		if !ok {
			c = "auto"
		}
		o.color = c
	}
	switch o.color {
	case "auto", "always", "never":
	default:
		return &cargoStyleError{code: 101,
			msg: fmt.Sprintf("argument for --color must be auto, always, or never, but found `%s`", o.color)}
	}
	return nil
}

// useColor says whether rbuild colours what it writes to stderr: with
// --color auto (or no choice), as cargo decides (anstream's rules):
// NO_COLOR set and not empty means no, then CLICOLOR_FORCE set and not
// empty means yes, CLICOLOR=0 no, else only on a terminal that is not
// TERM=dumb (or with CLICOLOR set, or in CI).
func useColor(o *options) bool {
	switch o.color {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	if os.Getenv("CLICOLOR_FORCE") != "" {
		return true
	}
	clicolor, clicolorSet := os.LookupEnv("CLICOLOR")
	if clicolorSet && clicolor == "0" {
		return false
	}
	if !isatty.IsTerminal(os.Stderr.Fd()) {
		return false
	}
	term, termSet := os.LookupEnv("TERM")
	_, ci := os.LookupEnv("CI")
	return (termSet && term != "dumb") || clicolorSet || ci
}

// exportTerm hands the settled terminal settings to the cargo rbuild runs
// (and to what that runs): a CARGO_TERM_* variable that is set is set to
// what the flags made of it, so that cargo cannot refuse a value the flags
// overrode (CARGO_TERM_COLOR= with --color always, say).
func (o *options) exportTerm() {
	set := func(name, v string) {
		if _, ok := os.LookupEnv(name); ok {
			os.Setenv(name, v)
		}
	}
	set("CARGO_TERM_COLOR", o.color)
	set("CARGO_TERM_VERBOSE", fmt.Sprint(o.verbose > 0))
	set("CARGO_TERM_QUIET", fmt.Sprint(o.quiet))
}
