package cargometa

import "strings"

// rbuild runs every compile with RUSTC_BOOTSTRAP=1 (for -Z no-link,
// -Z link-only and the cutoff's -Z flags). That makes a stable rustc
// behave as a nightly one in two ways cargo's rustc does not: it accepts
// #![feature] and it mangles symbols v0 (`_R…`) where stable uses legacy
// (`_ZN…`), so backtraces, perf and crash reports would read differently.
// On a stable or beta toolchain, unless the user asked for nightly
// behaviour themselves (their own RUSTC_BOOTSTRAP), each compile gets
// both back: no feature is allowed and the mangling is legacy. With these
// flags a binary is byte-identical to one rustc built without
// RUSTC_BOOTSTRAP (checked on rustc 1.95).

// stableDefaults are those flags, or nil where none are needed. They go
// before the user's rustflags, which may override them.
func (p *Plan) stableDefaults() []string {
	if !p.pinStable {
		return nil
	}
	return []string{"-Z", "allow-features=", "-Z", "unstable-options", "-C", "symbol-mangling-version=legacy"}
}

// pinStableDefaults: the toolchain is not a nightly one and the user's
// environment does not make it behave as one.
func pinStableDefaults(release string, env []string) bool {
	if strings.Contains(release, "-nightly") || strings.Contains(release, "-dev") {
		return false
	}
	switch v, _ := LookupEnv(env, "RUSTC_BOOTSTRAP"); v {
	case "", "0", "-1":
		return true
	}
	return false
}
