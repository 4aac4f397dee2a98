package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Doctests: `rbuild test --doc` (and the doctests after `rbuild test`)
// against cargo's on the same workspace, judged by what rustdoc reports:
// each "Doc-tests NAME" and its passed/failed/ignored/filtered totals,
// and the exit code.

// cargoRun runs cargo in dir with its own target dir.
func cargoRun(t testing.TB, dir, targetDir string, args ...string) result {
	t.Helper()
	return runIn(t, "cargo", dir, []string{"CARGO_TARGET_DIR=" + targetDir}, args...)
}

var (
	docTestsLine = regexp.MustCompile(`(?m)^\s+Doc-tests (\S+)$`)
	resultLine   = regexp.MustCompile(`(?m)^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored; \d+ measured; (\d+) filtered out`)
)

// doctestReport is what a run said of its doctests: the libs in order
// (stderr) and each rustdoc's totals (stdout), "passed/failed/ignored/filtered".
type doctestReport struct {
	libs, totals []string
}

func reportOf(r result) doctestReport {
	var d doctestReport
	for _, m := range docTestsLine.FindAllStringSubmatch(r.stderr, -1) {
		d.libs = append(d.libs, m[1])
	}
	// Unit tests print totals too; rustdoc's are the last len(libs).
	all := resultLine.FindAllStringSubmatch(r.stdout, -1)
	for _, m := range all[max(0, len(all)-len(d.libs)):] {
		d.totals = append(d.totals, strings.Join(m[1:], "/"))
	}
	return d
}

func sameDoctests(t *testing.T, what string, rb, cg result) doctestReport {
	t.Helper()
	r, c := reportOf(rb), reportOf(cg)
	if rb.code != cg.code || !slices.Equal(r.libs, c.libs) || !slices.Equal(r.totals, c.totals) {
		t.Fatalf("%s: rbuild (exit %d) %v %v, cargo (exit %d) %v %v\nrbuild stdout:\n%s\nrbuild stderr:\n%s",
			what, rb.code, r.libs, r.totals, cg.code, c.libs, c.totals, rb.stdout, rb.stderr)
	}
	if len(r.libs) == 0 || len(r.libs) != len(r.totals) {
		t.Fatalf("%s: no doctest report: %v %v\n%s%s", what, r.libs, r.totals, rb.stdout, rb.stderr)
	}
	return r
}

// rustdocArgv is the `-v` rustdoc command line with the parts that differ
// by design (target dir layout, hashes) made equal.
func rustdocArgv(t *testing.T, stderr string, depDirs ...string) string {
	t.Helper()
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "Running `") && strings.Contains(l, "rustdoc ") {
			for _, d := range depDirs {
				l = strings.ReplaceAll(l, d, "DEPS")
			}
			return regexp.MustCompile(`-[0-9a-f]{16}`).ReplaceAllString(l, "")
		}
	}
	t.Fatalf("no rustdoc command in:\n%s", stderr)
	return ""
}

func TestDoctestWorkspace(t *testing.T) {
	dir := copyWorkspace(t, "doctests")
	ctd := filepath.Join(t.TempDir(), "cargo-target")
	want := cargoRun(t, dir, ctd, "test", "--doc", "--offline")

	t.Run("doc", func(t *testing.T) {
		got := rbuild(t, dir, nil, "test", "--doc", "--offline")
		r := sameDoctests(t, "test --doc", got, want)
		if r.totals[len(r.totals)-1] != "2/1/1/0" || got.code != 101 {
			t.Fatalf("dtlib's doctests: %v, exit %d; want 2 passed, 1 failed, 1 ignored, exit 101", r.totals, got.code)
		}
		if !strings.Contains(got.stdout+got.stderr, "E0308") || !strings.Contains(got.stderr, "doctest failed, to rerun pass `-p dtlib --doc`") {
			t.Fatalf("the doctest that does not compile is not reported as cargo does:\n%s%s", got.stdout, got.stderr)
		}
	})
	t.Run("argv", func(t *testing.T) {
		c := cargoRun(t, dir, ctd, "test", "--doc", "--offline", "-p", "dtlib", "-v")
		r := rbuild(t, dir, nil, "test", "--doc", "--offline", "-p", "dtlib", "-v")
		view, _ := filepath.Glob(filepath.Join(dir, "target", "rbuild", "debug", "views", "doctest-dtlib-*"))
		if len(view) != 1 {
			t.Fatalf("want one doctest view for dtlib, got %v", view)
		}
		ca := rustdocArgv(t, c.stderr, filepath.Join(ctd, "debug", "deps"))
		ra := rustdocArgv(t, r.stderr, view[0])
		if ca != ra {
			t.Fatalf("rustdoc command differs\ncargo:  %s\nrbuild: %s", ca, ra)
		}
	})
	t.Run("filter", func(t *testing.T) {
		// The filter and the arguments after -- reach the harness (--test-args).
		args := []string{"test", "--doc", "--offline", "answer", "--", "--exact", "--skip", "nothing"}
		sameDoctests(t, "test --doc answer", rbuild(t, dir, nil, args...), cargoRun(t, dir, ctd, args...))
	})
	t.Run("after unit tests", func(t *testing.T) {
		all := cargoRun(t, dir, ctd, "test", "--offline")
		got := rbuild(t, dir, nil, "test", "--offline")
		sameDoctests(t, "test", got, all)
		if u, d := strings.Index(got.stderr, "Running unittests"), strings.Index(got.stderr, "Doc-tests"); u < 0 || d < u {
			t.Fatalf("doctests must run after the unit tests:\n%s", got.stderr)
		}
	})
	t.Run("stale lib repaired", func(t *testing.T) {
		// dtbase changes but not its interface: dtlib is cut off, and its
		// rlib records dtbase's old crate hash. rustdoc loads both, so the
		// build must repair dtlib first (rustdoc would stop with E0460).
		src := filepath.Join(dir, "dtbase", "src", "lib.rs")
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(src, bytes.Replace(data, []byte("    40\n"), []byte("    20 + 20\n"), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		got := rbuild(t, dir, nil, "test", "--doc", "--offline")
		if strings.Contains(got.stdout+got.stderr, "E0460") || !strings.Contains(got.stderr, "1 repaired") {
			t.Fatalf("stale dtlib was not repaired before rustdoc loaded it:\n%s%s", got.stdout, got.stderr)
		}
		sameDoctests(t, "test --doc after an edit", got, cargoRun(t, dir, ctd, "test", "--doc", "--offline"))
	})
}

// doctestCrates are Debian-packaged crates whose doctests compile offline
// with what /usr/share/cargo/registry holds and pass under cargo 1.95
// (install-test-deps.sh installs them). crunchy and unicase have build
// scripts; unicase's emits the cfgs its doctests are compiled with;
// crunchy's doctests are all ignored, termcolor's in part. Few doctests
// each, to keep the test short.
var doctestCrates = []string{"adler", "cfg-if", "crunchy", "fnv", "ident_case", "itoa", "rustc-demangle",
	"scopeguard", "semver", "stable_deref_trait", "termcolor", "unicase", "unicode-width"}

func TestDoctestDebian(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/share/cargo/registry"); err != nil {
		if os.Getenv("RBUILD_REQUIRE_DEBIAN") != "" {
			t.Fatal("Debian crates missing: run scripts/install-test-deps.sh (make test does)")
		}
		t.Skip("Debian crates not installed (scripts/install-test-deps.sh)")
	}
	dir := filepath.Join(t.TempDir(), "ws")
	script := filepath.Join(repoRoot(t), "scripts", "doctest-workspace.sh")
	if out, err := exec.Command(script, append([]string{dir}, doctestCrates...)...).CombinedOutput(); err != nil {
		t.Fatalf("doctest-workspace.sh: %v\n%s", err, out)
	}
	want := cargoRun(t, dir, filepath.Join(t.TempDir(), "cargo-target"), "test", "--doc")
	got := rbuild(t, dir, nil, "test", "--doc")
	r := sameDoctests(t, "test --doc", got, want)
	if len(r.libs) != len(doctestCrates) {
		t.Fatalf("want the doctests of %d crates, got %v", len(doctestCrates), r.libs)
	}
	for i, lib := range r.libs {
		t.Logf("%-20s passed/failed/ignored/filtered: rbuild %s, cargo %s", lib, r.totals[i], reportOf(want).totals[i])
	}
}
