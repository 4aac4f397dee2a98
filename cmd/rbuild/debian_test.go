package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The Debian-crates workspace (scripts/debian-workspace.sh): real crates
// from /usr/share/cargo/registry, ≥ 60 units, memchr and regex-syntax as
// editable path members.

var (
	debianOnce sync.Once
	debianDir  string
	debianErr  string
)

// debianWorkspace assembles the workspace once per test binary and returns
// a fresh copy. Without the Debian crates it skips, unless the run promised
// them (make test sets RBUILD_REQUIRE_DEBIAN=1 after installing them).
func debianWorkspace(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat("/usr/share/cargo/registry"); err != nil {
		if os.Getenv("RBUILD_REQUIRE_DEBIAN") != "" {
			t.Fatal("Debian crates missing: run scripts/install-test-deps.sh (make test does)")
		}
		t.Skip("Debian crates not installed (scripts/install-test-deps.sh)")
	}
	debianOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rbuild-debws")
		if err != nil {
			debianErr = err.Error()
			return
		}
		debianDir = filepath.Join(dir, "ws")
		out, err := exec.Command(filepath.Join(repoRoot(t), "scripts", "debian-workspace.sh"), debianDir).CombinedOutput()
		if err != nil {
			debianErr = err.Error() + "\n" + string(out)
		}
	})
	if debianErr != "" {
		t.Fatalf("debian-workspace.sh: %s", debianErr)
	}
	dst := filepath.Join(t.TempDir(), "ws")
	if out, err := exec.Command("cp", "-r", debianDir, dst).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	os.RemoveAll(filepath.Join(dst, "target"))
	return dst
}

// debianRuns are the binaries and arguments whose output is compared.
var debianRuns = [][]string{{"rgmini"}, {"jsontool"}, {"cli"}, {"cli", "--name", "rbuild", "-t", "2", "-u", "1", "2", "39"}}

func TestDebianWorkspace(t *testing.T) {
	t.Parallel()
	dir := debianWorkspace(t)
	r := mustRbuild(t, dir, nil, "build", "-v")
	if !strings.Contains(r.stderr, "Running `") {
		t.Fatal("-v printed no commands")
	}
	units := strings.Count(r.stderr, "Running `")
	if units < 60 {
		t.Fatalf("only %d actions ran: the workspace should have ≥ 60 units", units)
	}
	debianRunsMatchCargo(t, dir)
	r = mustRbuild(t, dir, nil, "build")
	if strings.Contains(r.stderr, "Compiling") {
		t.Errorf("second build compiled something:\n%s", r.stderr)
	}
	// memchr's own test suite takes minutes unoptimised: leave it out, as
	// scripts/README.md explains; everything else runs.
	// (cargo's test run is made where cargo's clean build of these
	// sources is: it compiles the test targets only.)
	args := []string{"test", "--workspace", "--exclude", "memchr"}
	if failure := cleanCargoTest(t, dir, append(args[1:], "-q")...); failure != "" {
		t.Fatalf("cargo test fails here too: %s", failure)
	}
	r = mustRbuild(t, dir, nil, args...)
	if n := strings.Count(r.stdout, "test result: ok"); n < 5 {
		t.Errorf("rbuild test: %d test executables passed, want ≥ 5\n%s", n, r.stdout)
	}
}

// debianRunsMatchCargo checks that every Debian run prints the same with
// rbuild's binaries as with those of a clean cargo build of dir's sources.
func debianRunsMatchCargo(t *testing.T, dir string) {
	t.Helper()
	cargoDir := cleanCargo(t, dir)
	for _, run := range debianRuns {
		got := runProgramIn(t, dir, filepath.Join(dir, "target", "debug", run[0]), run[1:]...)
		want := runProgramIn(t, dir, filepath.Join(cargoDir, run[0]), run[1:]...)
		if got != want {
			t.Errorf("%v: rbuild %q, cargo %q", run, got, want)
		}
	}
}

func runProgramIn(t testing.TB, dir, path string, args ...string) string {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run %s: %v\n%s", path, err, out)
	}
	return string(out)
}
