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
