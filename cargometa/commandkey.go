package cargometa

// rustcJSON is what cargo asks rustc to report on stderr: diagnostics
// rendered with colours (stripped again where colour is off), artifact
// notices (pipelining) and future-incompatibility reports.
const rustcJSON = "--json=diagnostic-rendered-ansi,artifacts,future-incompat"

// shortSuffix makes rustc render diagnostics in its short form, as cargo
// asks for --message-format short and json-diagnostic-short.
const shortSuffix = ",diagnostic-short"

func (p *Plan) jsonFlag() string {
	if p.ShortDiagnostics {
		return rustcJSON + shortSuffix
	}
	return rustcJSON
}

// KeyArgv is argv as the build log and the artifact cache key it: the
// form diagnostics are rendered in changes no output, so switching
// --message-format must not rebuild (cargo's fingerprint ignores it too).
func KeyArgv(argv []string) []string {
	for i, a := range argv {
		if a == rustcJSON+shortSuffix {
			out := append([]string(nil), argv...)
			out[i] = rustcJSON
			return out
		}
	}
	return argv
}

// KeyEnv is a command's own environment as the build log and the
// artifact cache key it. CARGO_PRIMARY_PACKAGE says whether the user
// named the package (-p, or --workspace): rustc's output does not depend
// on it unless the crate reads it, and then rustc lists it as an env-dep
// in the dep-info, which the record checks on its own. Keyed on it,
// every switch between `-p x` and `--workspace` (rust-analyzer makes
// both) would recompile the package and its build script; cargo's
// fingerprint leaves it out too.
// The result is a new slice, the caller's to sort.
func KeyEnv(env []string) []string { return WithoutVar(env, "CARGO_PRIMARY_PACKAGE") }
