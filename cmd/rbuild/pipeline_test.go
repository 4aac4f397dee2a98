package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"rbuild/build"
)

// A dependent whose dependency's interface changed is decided on the
// dependency's .rmeta and starts while the dependency still generates
// code, as cargo's pipelining starts it (build/interface.go
// decisionFingerprint). Before, it waited for the dependency's codegen to
// end: 0.6 s of memchr's on the critical path of the Debian workspace's
// release build, the most of what made a public edit there 1.07× cargo.
// A skip still waits for the dependency to finish (its exported symbols
// decide it). In the pipeline workspace heavy generates code for about
// half a second after its .rmeta; both builds must print what cargo's
// build of the same sources prints.
func TestPipelinedDecision(t *testing.T) {
	t.Parallel()
	dir := copyWorkspace(t, "pipeline")
	mustRbuild(t, dir, nil, "build")

	applyEdit(t, dir, edit{"heavy/src/lib.rs", "// 600 steps",
		"/// Added: heavy's interface changes.\npub fn added() -> u32 {\n    1\n}\n\n// 600 steps"})
	mustRbuild(t, dir, nil, "build")
	if r := explainOf(t, dir, "light v0.1.0 (lib)"); !r.Ran || !strings.Contains(r.Reason, "interface of") {
		t.Fatalf("light after a public edit of heavy: ran %v (%s), want a compile for heavy's interface", r.Ran, r.Reason)
	}
	log := ninjaLogTimes(t, dir)
	heavy, light := log["libheavy"], log["liblight"]
	if heavy == [2]int{} || light == [2]int{} {
		t.Fatalf("no rlib of heavy or light in the build's .ninja_log: %v", log)
	}
	if light[0] >= heavy[1] {
		t.Errorf("light's compile started at %d ms, after heavy's ended (%d ms): it waited for heavy's codegen", light[0], heavy[1])
	}
	pipeMatchesCargo(t, dir)

	applyEdit(t, dir, edit{"heavy/src/lib.rs", "    3\n", "    4\n"})
	mustRbuild(t, dir, nil, "build")
	if r := explainOf(t, dir, "light v0.1.0 (lib)"); r.Ran || !strings.Contains(r.Reason, "interface of heavy unchanged") {
		t.Fatalf("light after a private edit of heavy: ran %v (%s), want it cut off", r.Ran, r.Reason)
	}
	pipeMatchesCargo(t, dir)
}

// explainOf is the last build's explain entry of the action labelled so.
func explainOf(t *testing.T, dir, label string) build.ExplainEntry {
	t.Helper()
	for _, e := range lastExplain(t, dir) {
		if e.Label == label {
			return e
		}
	}
	t.Fatalf("%s is not in the last build's explain", label)
	return build.ExplainEntry{}
}

// ninjaLogTimes maps the crate name of each rlib in the last build's
// .ninja_log ("libheavy") to its start and end in milliseconds.
func ninjaLogTimes(t *testing.T, dir string) map[string][2]int {
	t.Helper()
	out := map[string][2]int{}
	for _, line := range strings.Split(string(readFile(t, filepath.Join(dir, "target", "rbuild", ".ninja_log"))), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 5 || !strings.HasSuffix(f[3], ".rlib") {
			continue
		}
		start, err1 := strconv.Atoi(f[0])
		end, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			t.Fatalf(".ninja_log line %q", line)
		}
		name, _, _ := strings.Cut(filepath.Base(f[3]), "-")
		out[name] = [2]int{start, end}
	}
	return out
}

func pipeMatchesCargo(t *testing.T, dir string) {
	t.Helper()
	got := runProgram(t, filepath.Join(dir, "target", "debug", "pipe"))
	if want := runProgram(t, filepath.Join(cleanCargo(t, dir), "pipe")); got != want {
		t.Fatalf("pipe prints %q, cargo's build of the same sources %q", got, want)
	}
}
