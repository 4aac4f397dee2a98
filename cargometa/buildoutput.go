package cargometa

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// LinkArgTarget says which targets of a package a build-script link argument
// is meant for (cargo's LinkArgTarget).
type LinkArgTarget int

const (
	LinkAll       LinkArgTarget = iota // rustc-link-arg
	LinkCdylib                         // rustc-link-arg-cdylib / rustc-cdylib-link-arg
	LinkBins                           // rustc-link-arg-bins
	LinkSingleBin                      // rustc-link-arg-bin=NAME=ARG
	LinkTests                          // rustc-link-arg-tests
	LinkBenches                        // rustc-link-arg-benches
	LinkExamples                       // rustc-link-arg-examples
)

func (t LinkArgTarget) String() string {
	switch t {
	case LinkAll:
		return "all"
	case LinkCdylib:
		return "cdylib"
	case LinkBins:
		return "bins"
	case LinkSingleBin:
		return "bin"
	case LinkTests:
		return "tests"
	case LinkBenches:
		return "benches"
	case LinkExamples:
		return "examples"
	}
	return fmt.Sprintf("LinkArgTarget(%d)", int(t))
}

// LinkArg is one `rustc-link-arg*` directive, passed to rustc as
// `-C link-arg=<Arg>` for the targets it applies to.
type LinkArg struct {
	Target LinkArgTarget
	Bin    string // bin name, only for LinkSingleBin
	Arg    string
}

// BuildOutput is the parsed stdout of a build script (cargo's BuildOutput).
// Every list keeps the order of the script's output.
type BuildOutput struct {
	LibPaths          []string // rustc-link-search values verbatim (incl. KIND= prefix), also -L from rustc-flags
	LibLinks          []string // rustc-link-lib values verbatim, also -l from rustc-flags
	LinkArgs          []LinkArg
	Cfgs              []string
	CheckCfgs         []string
	Env               [][2]string // rustc-env K=V
	Metadata          [][2]string // cargo::metadata=K=V and old-syntax cargo:K=V
	RerunIfChanged    []string
	RerunIfEnvChanged []string
	Warnings          []string
	Errors            []string // cargo::error= (the build fails after the script finishes)
}

// reservedOldPrefixes are the `cargo:` (single colon) keys that are
// directives; anything else after `cargo:` is metadata. No key may ever be
// added to this list (cargo keeps it frozen for compatibility), which is why
// `cargo:error=` is metadata.
var reservedOldPrefixes = [...]string{
	"rustc-flags=",
	"rustc-link-lib=",
	"rustc-link-search=",
	"rustc-link-arg-cdylib=",
	"rustc-cdylib-link-arg=",
	"rustc-link-arg-bins=",
	"rustc-link-arg-bin=",
	"rustc-link-arg-tests=",
	"rustc-link-arg-benches=",
	"rustc-link-arg-examples=",
	"rustc-link-arg=",
	"rustc-cfg=",
	"rustc-check-cfg=",
	"rustc-env=",
	"warning=",
	"rerun-if-changed=",
	"rerun-if-env-changed=",
}

func hasReservedPrefix(data string) bool {
	for _, p := range reservedOldPrefixes {
		if strings.HasPrefix(data, p) {
			return true
		}
	}
	return false
}

// BuildOutputError is returned by ParseBuildOutput for output cargo rejects.
type BuildOutputError struct {
	Pkg    string // "name@version"
	LineNo int    // 1-based line number in stdout
	Line   string // the offending line (trimmed)
	Msg    string
}

func (e *BuildOutputError) Error() string {
	return fmt.Sprintf("invalid output in build script of `%s` (line %d: `%s`): %s", e.Pkg, e.LineNo, e.Line, e.Msg)
}

// ParseBuildOutput parses a build script's stdout. pkg is "name@version" for
// messages. allowNewSyntax=false (package rust-version < 1.77) makes any
// `cargo::` line an error like cargo's.
//
// It follows cargo's BuildOutput::parse: lines are split on '\n', lines that
// are not valid UTF-8 are skipped, each line is trimmed, lines not starting
// with `cargo:` are ignored, and values have trailing whitespace trimmed.
// Differences, all left to the caller: the OUT_DIR rewrite for a moved target
// dir is not done; `rustc-link-arg-{bins,bin,tests,benches,examples}` are not
// checked against the package's targets (cargo fails when the package has no
// such target, and warns for cdylib args without a cdylib target); and
// `rustc-env=RUSTC_BOOTSTRAP=…` is always an error (cargo downgrades it to a
// warning on nightly or when $RUSTC_BOOTSTRAP names the crate).
//
// An old-syntax line that is not a reserved directive and has no '='
// (`cargo:foo`, or a bare `cargo:`) is an error, as in cargo ≥ 1.77, which
// parses it as metadata and requires KEY=VALUE.
func ParseBuildOutput(stdout []byte, pkg string, allowNewSyntax bool) (*BuildOutput, error) {
	out := &BuildOutput{}
	lineNo := 0
	for len(stdout) > 0 || lineNo == 0 {
		lineNo++
		var raw []byte
		if i := bytes.IndexByte(stdout, '\n'); i >= 0 {
			raw, stdout = stdout[:i], stdout[i+1:]
		} else {
			raw, stdout = stdout, nil
		}
		if !utf8.Valid(raw) {
			continue
		}
		line := strings.TrimSpace(string(raw))
		fail := func(format string, args ...any) error {
			return &BuildOutputError{Pkg: pkg, LineNo: lineNo, Line: line, Msg: fmt.Sprintf(format, args...)}
		}

		var key, value string
		oldSyntax := false
		if data, ok := strings.CutPrefix(line, "cargo::"); ok {
			if !allowNewSyntax {
				hint := ""
				if hasReservedPrefix(data) {
					hint = fmt.Sprintf(" (switch to the old `cargo:%s` syntax)", data)
				} else if md, ok := strings.CutPrefix(data, "metadata="); ok {
					hint = fmt.Sprintf(" (switch to the old `cargo:%s` syntax)", md)
				}
				return nil, fail("the `cargo::` syntax for build script output instructions was added in Rust 1.77.0, but the minimum supported Rust version of `%s` is older%s", pkg, hint)
			}
			k, v, ok := strings.Cut(data, "=")
			if !ok {
				return nil, fail("expected a line with `cargo::KEY=VALUE` with an `=` character, but none was found")
			}
			key, value = k, trimRight(v)
		} else if data, ok := strings.CutPrefix(line, "cargo:"); ok {
			oldSyntax = true
			if hasReservedPrefix(data) {
				k, v, _ := strings.Cut(data, "=") // reserved prefixes end in '='
				key, value = k, trimRight(v)
			} else {
				key, value = "metadata", data
			}
		} else {
			continue
		}

		syntax := "cargo::"
		if oldSyntax {
			syntax = "cargo:"
		}
		switch key {
		case "rustc-flags":
			paths, links, err := parseRustcFlags(value)
			if err != nil {
				return nil, fail("%v", err)
			}
			out.LibPaths = append(out.LibPaths, paths...)
			out.LibLinks = append(out.LibLinks, links...)
		case "rustc-link-lib":
			out.LibLinks = append(out.LibLinks, value)
		case "rustc-link-search":
			out.LibPaths = append(out.LibPaths, value)
		case "rustc-link-arg-cdylib", "rustc-cdylib-link-arg":
			out.LinkArgs = append(out.LinkArgs, LinkArg{Target: LinkCdylib, Arg: value})
		case "rustc-link-arg-bins":
			out.LinkArgs = append(out.LinkArgs, LinkArg{Target: LinkBins, Arg: value})
		case "rustc-link-arg-bin":
			bin, arg, ok := strings.Cut(value, "=")
			if !ok {
				return nil, fail("the instruction should have the form %srustc-link-arg-bin=BIN=ARG", syntax)
			}
			out.LinkArgs = append(out.LinkArgs, LinkArg{Target: LinkSingleBin, Bin: bin, Arg: arg})
		case "rustc-link-arg-tests":
			out.LinkArgs = append(out.LinkArgs, LinkArg{Target: LinkTests, Arg: value})
		case "rustc-link-arg-benches":
			out.LinkArgs = append(out.LinkArgs, LinkArg{Target: LinkBenches, Arg: value})
		case "rustc-link-arg-examples":
			out.LinkArgs = append(out.LinkArgs, LinkArg{Target: LinkExamples, Arg: value})
		case "rustc-link-arg":
			out.LinkArgs = append(out.LinkArgs, LinkArg{Target: LinkAll, Arg: value})
		case "rustc-cfg":
			out.Cfgs = append(out.Cfgs, value)
		case "rustc-check-cfg":
			out.CheckCfgs = append(out.CheckCfgs, value)
		case "rustc-env":
			k, v, ok := strings.Cut(value, "=")
			if !ok {
				return nil, fail("variable rustc-env has no value: %s", value)
			}
			if k == "RUSTC_BOOTSTRAP" {
				return nil, fail("cannot set `RUSTC_BOOTSTRAP=%s`: crates cannot set `RUSTC_BOOTSTRAP` themselves, as doing so would subvert the stability guarantees of Rust", v)
			}
			out.Env = append(out.Env, [2]string{k, v})
		case "error": // only reachable with the new syntax
			out.Errors = append(out.Errors, value)
		case "warning":
			out.Warnings = append(out.Warnings, value)
		case "rerun-if-changed":
			out.RerunIfChanged = append(out.RerunIfChanged, value)
		case "rerun-if-env-changed":
			out.RerunIfEnvChanged = append(out.RerunIfEnvChanged, value)
		case "metadata":
			k, v, ok := strings.Cut(value, "=")
			if !ok {
				want := "cargo::metadata=KEY=VALUE"
				if oldSyntax {
					want = "cargo:KEY=VALUE"
				}
				return nil, fail("expected a line with `%s` with an `=` character, but none was found", want)
			}
			out.Metadata = append(out.Metadata, [2]string{k, trimRight(v)})
		default:
			return nil, fail("unknown key: `%s`", key)
		}
	}
	return out, nil
}

// parseRustcFlags splits a rustc-flags value; only -l and -L (with or
// without a space before the value) are allowed.
func parseRustcFlags(value string) (paths, links []string, err error) {
	fields := strings.FieldsFunc(value, unicode.IsSpace)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if !strings.HasPrefix(f, "-l") && !strings.HasPrefix(f, "-L") {
			return nil, nil, fmt.Errorf("only `-l` and `-L` flags are allowed in rustc-flags: `%s`", value)
		}
		flag, v := f[:2], f[2:]
		if v == "" {
			if i+1 >= len(fields) {
				return nil, nil, fmt.Errorf("flag %s in rustc-flags has no value: `%s`", flag, value)
			}
			i++
			v = fields[i]
		}
		if flag == "-l" {
			links = append(links, v)
		} else {
			paths = append(paths, v)
		}
	}
	return paths, links, nil
}

func trimRight(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }

// AppliesTo tells whether a link arg from the target's OWN package applies to
// a target (cargo's LinkArgTarget::applies_to, §8.5). kind is the target kind
// ("lib", "bin", "test", "bench", "example", "custom-build"; a lib may also be
// given by a crate-type kind such as "rlib" or "cdylib"), crateTypes its crate
// types, and testMode whether the unit is compiled in a test mode (`--test`,
// bench, `check --test`, doctest). Args from other packages only reach a
// target when a.Target == LinkCdylib and AppliesTo is true.
func (a LinkArg) AppliesTo(kind string, name string, crateTypes []string, testMode bool) bool {
	switch a.Target {
	case LinkAll:
		return true
	case LinkCdylib:
		return !testMode && isLibKind(kind) && (kind == "cdylib" || contains(crateTypes, "cdylib"))
	case LinkBins:
		return kind == "bin"
	case LinkSingleBin:
		return kind == "bin" && name == a.Bin
	case LinkTests:
		return kind == "test"
	case LinkBenches:
		return kind == "bench"
	case LinkExamples:
		// Only executable examples (crate type bin, the default).
		if kind != "example" {
			return false
		}
		for _, ct := range crateTypes {
			if ct != "bin" {
				return false
			}
		}
		return true
	}
	return false
}

func isLibKind(kind string) bool {
	switch kind {
	case "lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro":
		return true
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// StripLinkKind removes a native=/crate=/dependency=/framework=/all= prefix
// from a rustc-link-search value.
func StripLinkKind(p string) string {
	for _, k := range [...]string{"native=", "crate=", "dependency=", "framework=", "all="} {
		if rest, ok := strings.CutPrefix(p, k); ok {
			return rest
		}
	}
	return p
}
