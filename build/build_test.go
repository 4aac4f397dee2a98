package build

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rbuild/executor"
)

// testEnv is the process's environment without what would change cargo's
// or rustc's behaviour, with per-user state kept in the test's own dirs.
func testEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR", "RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "RUSTC",
			"RUSTC_WRAPPER", "RUSTC_BOOTSTRAP", "RBUILD_CACHE", "RBUILD_CACHE_DIR", "RBUILD_CONFIG":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "RBUILD_CACHE=off", "RBUILD_CACHE_DIR="+t.TempDir(),
		"RBUILD_CONFIG="+filepath.Join(t.TempDir(), "none.toml"))
}

// chainWorkspace copies testdata/workspaces/chain (a -> b -> c -> app).
func chainWorkspace(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "chain")
	if out, err := exec.Command("cp", "-r", filepath.Join("..", "testdata", "workspaces", "chain"), dst).CombinedOutput(); err != nil {
		t.Fatalf("copy chain: %v %s", err, out)
	}
	return dst
}

// buildOnce opens the workspace, builds everything and closes it, as a
// program using this package would.
func buildOnce(t *testing.T, opt Options) *Result {
	t.Helper()
	return buildOpened(t, func(ctx context.Context) (*Session, error) { return Open(ctx, opt) })
}

// buildOpened builds everything in the session open makes, and closes it.
func buildOpened(t *testing.T, open func(context.Context) (*Session, error)) *Result {
	t.Helper()
	ctx := context.Background()
	s, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Build(ctx, Everything)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return res
}

func runOutput(t *testing.T, exe string) string {
	t.Helper()
	out, err := exec.Command(exe).CombinedOutput()
	if err != nil {
		t.Fatalf("run %s: %v\n%s", exe, err, out)
	}
	return string(out)
}

// cargoOutput builds ws with cargo into its own target dir and returns
// what its app prints.
func cargoOutput(t *testing.T, ws string, env []string) string {
	t.Helper()
	td := t.TempDir()
	cmd := exec.Command("cargo", "build", "-q")
	cmd.Dir, cmd.Env = ws, append(env, "CARGO_TARGET_DIR="+td)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cargo build: %v\n%s", err, out)
	}
	return runOutput(t, filepath.Join(td, "debug", "app"))
}

// A program drives whole builds through this package alone, without the
// CLI: a clean build, a private edit at the bottom of the chain (one
// compile, the rest cut off, one relink) and a no-op; after each, the
// binary prints what cargo's build of the same sources prints.
func TestBuildThroughPackage(t *testing.T) {
	if _, err := exec.LookPath("cargo"); err != nil {
		t.Skip("no cargo")
	}
	ws := chainWorkspace(t)
	env := testEnv(t)
	var log bytes.Buffer
	opt := Options{Dir: ws, Env: env, Status: executor.NewStatus(&log, false, false)}
	app := filepath.Join(ws, "target", "debug", "app")

	res := buildOnce(t, opt)
	if res.Stats.Failed != 0 || res.Counts.Compiled < 4 || res.Counts.CutOff != 0 {
		t.Fatalf("clean build: %+v %+v\n%s", res.Stats, res.Counts, log.String())
	}
	if got, want := runOutput(t, app), cargoOutput(t, ws, env); got != want {
		t.Fatalf("clean build: app printed %q, cargo's %q", got, want)
	}

	lib := filepath.Join(ws, "a", "src", "lib.rs")
	src, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), "    x * 2\n", "    x * 2 + 1\n", 1)
	if edited == string(src) {
		t.Fatal("a/src/lib.rs has no `x * 2` body to edit")
	}
	if err := os.WriteFile(lib, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	res = buildOnce(t, opt)
	if c := res.Counts; c.Compiled != 1 || c.CutOff != 3 || c.Relinked != 1 {
		t.Fatalf("private edit: %+v, want 1 compiled, 3 cut off, 1 relinked\n%s", c, log.String())
	}
	if got, want := runOutput(t, app), cargoOutput(t, ws, env); got != want {
		t.Fatalf("private edit: app printed %q, cargo's %q", got, want)
	}
	entries, err := ReadExplain(filepath.Join(ws, "target"))
	if err != nil || !slices.Equal(entries, res.Verdicts) || len(entries) != len(res.Graph.Actions) {
		t.Fatalf("explain: %d entries, %v; want the build's %d verdicts, one per action", len(entries), err, len(res.Verdicts))
	}

	res = buildOnce(t, opt)
	// Still stale (cut off, not repaired), the three are counted as cut off.
	if c := res.Counts; res.Stats.Ran != 0 || c.Compiled != 0 || c.Relinked != 0 || c.Repaired != 0 {
		t.Fatalf("no-op: %+v %+v", res.Stats, res.Counts)
	}
}

// A compile error is a failed build: the error wraps
// executor.ErrBuildFailed and the Result names the failed action.
func TestBuildReportsFailures(t *testing.T) {
	if _, err := exec.LookPath("cargo"); err != nil {
		t.Skip("no cargo")
	}
	ws := chainWorkspace(t)
	lib := filepath.Join(ws, "b", "src", "lib.rs")
	src, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, append(src, []byte("\nfn broken() -> u32 { \"no\" }\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	ctx := context.Background()
	s, err := Open(ctx, Options{Dir: ws, Env: testEnv(t), Status: executor.NewStatus(&log, false, false)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Build(ctx, Everything)
	if !errors.Is(err, executor.ErrBuildFailed) {
		t.Fatalf("error %v, want a failed build\n%s", err, log.String())
	}
	if res == nil || res.Stats.Failed != 1 || len(res.Failed) != 1 || !strings.HasPrefix(res.Failed[0], "b v0.1.0 (lib") {
		t.Fatalf("result %+v; want b's compile as the one failure", res)
	}
	if !strings.Contains(log.String(), "mismatched types") {
		t.Errorf("rustc's diagnostic was not reported:\n%s", log.String())
	}
}
