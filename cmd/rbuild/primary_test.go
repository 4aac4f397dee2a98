package main

import (
	"path/filepath"
	"testing"
)

// CARGO_PRIMARY_PACKAGE is not part of a command's key (rust-analyzer
// switches between `-p x` and `--workspace`; neither may recompile), but
// a crate that reads it records it as an env-dep and must still be
// recompiled when it flips. Each build's program output equals a clean
// cargo build's (cargo itself keeps the stale answer: its fingerprint
// does not see the variables it sets).
func TestPrimaryPackageSwitch(t *testing.T) {
	ws := copyWorkspace(t, "primary")
	clean := map[string]string{}
	for _, sel := range [][]string{{"--workspace"}, {"-p", "app"}, {"--workspace"}, {"-p", "app"}} {
		want, ok := clean[sel[0]]
		if !ok {
			want = runProgram(t, filepath.Join(cleanCargo(t, ws, append([]string{"-q"}, sel...)...), "app"))
			clean[sel[0]] = want
		}
		mustRbuild(t, ws, nil, append([]string{"build"}, sel...)...)
		if got := runProgram(t, filepath.Join(ws, "target", "debug", "app")); got != want {
			t.Fatalf("after build %v: app prints %q, cargo's %q", sel, got, want)
		}
	}
	// A package that does not read it is not recompiled by the switch.
	ws2 := copyWorkspace(t, "chain")
	mustRbuild(t, ws2, nil, "build", "--workspace")
	r := mustRbuild(t, ws2, nil, "build", "-p", "app")
	if c := lastCounts(t, ws2); c.Compiled != 0 {
		t.Errorf("-p app after --workspace compiled %d units:\n%s", c.Compiled, r.stderr)
	}
}
