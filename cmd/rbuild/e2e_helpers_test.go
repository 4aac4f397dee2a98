package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// rbuildBin is built once per test binary: the e2e tests run the real
// entry point the way a user does.
var rbuildBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rbuild-e2e")
	if err != nil {
		panic(err)
	}
	rbuildBin = filepath.Join(dir, "rbuild")
	// Per-user state (durations, later the artifact cache) stays out of
	// the developer's home.
	os.Setenv("RBUILD_CACHE_DIR", filepath.Join(dir, "cache"))
	// The artifact cache would let one test's build restore what another
	// compiled and change what tests count; its own tests turn it on.
	os.Setenv("RBUILD_CACHE", "off")
	os.Setenv("RBUILD_CONFIG", filepath.Join(dir, "no-config.toml"))
	out, err := exec.Command("go", "build", "-o", rbuildBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build rbuild: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot(t testing.TB) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(wd))
}

// copyWorkspace copies testdata/workspaces/<name> into a fresh temp dir.
func copyWorkspace(t testing.TB, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	src := filepath.Join(repoRoot(t), "testdata", "workspaces", name)
	if out, err := exec.Command("cp", "-r", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("copy %s: %v %s", name, err, out)
	}
	ageTree(t, dst)
	return dst
}

// ageTree dates every file and directory below dir a minute back, as a
// checkout is when a developer builds it: a file written moments before
// a build may have changed after rbuild read it (cutoff.Racy), so
// rbuild would not trust its stamps and ask cargo, or stat everything,
// once more than the tests count.
func ageTree(t testing.TB, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Minute)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// rbuild runs the rbuild binary in dir with extra env entries.
func rbuild(t testing.TB, dir string, env []string, args ...string) result {
	t.Helper()
	return runIn(t, rbuildBin, dir, env, args...)
}

// runIn runs prog (rbuild, cargo, …) in dir with the clean environment
// plus env, and returns its output and exit code; only a failure to
// start it fails the test.
func runIn(t testing.TB, prog, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", prog, err)
	}
	return r
}

// hostTriple is rustc's host, the one platform whose std is installed
// where the tests run.
func hostTriple(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("rustc", "-vV").Output()
	if err != nil {
		t.Fatalf("rustc -vV: %v", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if h, ok := strings.CutPrefix(l, "host: "); ok {
			return strings.TrimSpace(h)
		}
	}
	t.Fatal("rustc -vV names no host")
	return ""
}

func mustRbuild(t testing.TB, dir string, env []string, args ...string) result {
	t.Helper()
	r := rbuild(t, dir, env, args...)
	if r.code != 0 {
		t.Fatalf("rbuild %s in %s: exit %d\n%s%s", strings.Join(args, " "), dir, r.code, r.stdout, r.stderr)
	}
	return r
}

// cleanEnv drops variables from the developer's shell that would change
// what cargo or rustc do.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "CARGO_TARGET_DIR" || k == "RUSTFLAGS" || k == "RUSTC" || k == "RUSTC_WRAPPER" ||
			k == "CARGO_BUILD_TARGET_DIR" || k == "CARGO_ENCODED_RUSTFLAGS" || k == "RUSTC_BOOTSTRAP" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// cargoBuild builds dir with cargo into targetDir and returns the profile dir.
func cargo(t testing.TB, dir, targetDir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("cargo", args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "CARGO_TARGET_DIR="+targetDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cargo %v in %s: %v\n%s", args, dir, err, out)
	}
	return filepath.Join(targetDir, "debug")
}

// executables lists the executable files directly in dir (not .so files).
func executables(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || info.Mode()&0o111 == 0 || strings.Contains(e.Name(), ".") {
			continue
		}
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func runProgram(t testing.TB, path string, args ...string) string {
	t.Helper()
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("run %s: %v\n%s", path, err, out)
	}
	return string(out)
}

// realRustc finds the toolchain's rustc binary behind the rustup proxy.
func realRustc(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("rustc", "--print", "sysroot").Output()
	if err != nil {
		t.Fatalf("rustc --print sysroot: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "bin", "rustc")
}

// countingTool writes a wrapper script that logs each call and execs the
// real program; it returns the script and its log.
func countingTool(t testing.TB, dir, name, real string) (string, string) {
	t.Helper()
	logf := filepath.Join(dir, name+".calls")
	script := filepath.Join(dir, name)
	body := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %q\nexec %q \"$@\"\n", logf, real)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	ageTree(t, script) // a RUSTC written moments before a build is not trusted (cutoff.Racy)
	return script, logf
}

func calls(t testing.TB, logf string) []string {
	data, err := os.ReadFile(logf)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// compilesIn counts rustc calls that compiled something (not -vV probes).
func compilesIn(lines []string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, "--crate-name") && !strings.Contains(l, "___") {
			n++
		}
	}
	return n
}
