package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// Tools that run $CARGO (cargo-nextest among them) must get from
// CARGO=rbuild what they get from cargo. The invocations below are
// exactly nextest's (github.com/nextest-rs/nextest):
//
//   - cargo-nextest/src/dispatch/helpers.rs, acquire_graph_data:
//     $CARGO --color=C metadata [--manifest-path P] --format-version=1
//     --all-features --filter-platform TRIPLE [--frozen] [--locked]
//     [--offline] [--quiet] [--config K=V]… (CARGO_TARGET_DIR set for
//     --target-dir);
//   - cargo-nextest/src/dispatch/helpers.rs, locate_workspace_root:
//     $CARGO --color=C locate-project [--manifest-path P] --workspace
//     --message-format=plain;
//   - cargo-nextest/src/dispatch/core/base.rs, compute_binary_list, with
//     the arguments of cargo-nextest/src/cargo_cli.rs (CargoCli):
//     $CARGO --color=C test [--manifest-path P] --no-run --message-format
//     json-render-diagnostics (or a json-… combination) then the build
//     scope (--package, --workspace, --exclude, --all, --lib, --bin,
//     --bins, --example, --examples, --test, --tests, --bench, --benches,
//     --all-targets, --features, --all-features, --no-default-features),
//     [--jobs N] [--release] [--profile NAME] [--target T] [--target-dir
//     D] [--unit-graph] [--timings[=FMTS]] [--frozen] [--locked]
//     [--offline] [--quiet] [--config K=V]… [--verbose]…
//     [--ignore-rust-version] [--future-incompat-report] [-Z FLAG]….
//
// From the test run's stdout nextest keeps the compiler-artifact records
// with profile.test and an executable (nextest-runner/src/list/
// binary_list.rs, process_artifact) and runs each with --list.

// nxTestBinary is what nextest takes from a compiler-artifact record.
type nxTestBinary struct {
	PackageID, Name, Kind string
	Executable            string
}

// nxTestBinaries reads a --message-format json stream as nextest does:
// every line must be a JSON record (nothing else may be on stdout); the
// test binaries are the compiler artifacts with profile.test and an
// executable.
func nxTestBinaries(t *testing.T, who, stdout string) []nxTestBinary {
	t.Helper()
	var out []nxTestBinary
	for _, line := range strings.Split(strings.TrimRight(stdout, "\n"), "\n") {
		if line == "" {
			continue
		}
		var rec struct {
			Reason    string `json:"reason"`
			PackageID string `json:"package_id"`
			Target    struct {
				Kind []string `json:"kind"`
				Name string   `json:"name"`
			} `json:"target"`
			Profile struct {
				Test bool `json:"test"`
			} `json:"profile"`
			Executable *string `json:"executable"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%s: a line of stdout that is not a JSON record: %q (%v)", who, line, err)
		}
		if rec.Reason != "compiler-artifact" || !rec.Profile.Test || rec.Executable == nil {
			continue
		}
		out = append(out, nxTestBinary{rec.PackageID, rec.Target.Name, strings.Join(rec.Target.Kind, ","), *rec.Executable})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.PackageID+a.Kind+a.Name < b.PackageID+b.Kind+b.Name
	})
	return out
}

func TestNextestInvocations(t *testing.T) {
	for _, ws := range []string{"bintests", "procmacro"} {
		t.Run(ws, func(t *testing.T) { nextestOn(t, ws) })
	}
}

func nextestOn(t *testing.T, ws string) {
	dir := copyWorkspace(t, ws)
	cargoTarget := filepath.Join(t.TempDir(), "ct")
	asTool := []string{"CARGO=" + rbuildBin}
	cargoEnv := []string{"CARGO_TARGET_DIR=" + cargoTarget}

	// locate-project and metadata go to cargo unchanged.
	for _, args := range [][]string{
		{"--color=never", "locate-project", "--workspace", "--message-format=plain"},
		{"--color=never", "metadata", "--format-version=1", "--all-features", "--filter-platform", hostTriple(t)},
		{"--color=never", "metadata", "--format-version=1", "--all-features", "--filter-platform", hostTriple(t),
			"--locked", "--quiet", "--config", "build.incremental=false"},
	} {
		want := runIn(t, "cargo", dir, nil, args...)
		got := runIn(t, rbuildBin, dir, asTool, args...)
		if got.code != 0 || got.code != want.code || got.stdout != want.stdout {
			t.Fatalf("CARGO=rbuild %v: exit %d (cargo %d), output equal to cargo's: %v\n%s", args, got.code, want.code,
				got.stdout == want.stdout, got.stderr)
		}
	}

	// The test build, as nextest runs it by default and with options.
	for _, args := range [][]string{
		{"--color=never", "test", "--no-run", "--message-format", "json-render-diagnostics"},
		{"--color=never", "test", "--manifest-path", filepath.Join(dir, "Cargo.toml"), "--no-run", "--message-format",
			"json-render-diagnostics,json-diagnostic-short", "--workspace", "--all-targets", "--jobs", "2",
			"--locked", "--quiet", "--config", "build.incremental=false", "--ignore-rust-version", "--future-incompat-report"},
	} {
		want := runIn(t, "cargo", dir, cargoEnv, args...)
		if want.code != 0 {
			t.Fatalf("cargo %v: exit %d\n%s", args, want.code, want.stderr)
		}
		got := runIn(t, rbuildBin, dir, asTool, args...)
		if got.code != 0 {
			t.Fatalf("CARGO=rbuild %v: exit %d\n%s", args, got.code, got.stderr)
		}
		wantBins := nxTestBinaries(t, "cargo", want.stdout)
		gotBins := nxTestBinaries(t, "rbuild", got.stdout)
		ids := func(bs []nxTestBinary) (out []string) {
			for _, b := range bs {
				out = append(out, b.PackageID+" "+b.Kind+" "+b.Name)
			}
			return out
		}
		if len(wantBins) == 0 {
			t.Fatalf("cargo %v: no test binaries", args)
		}
		if !reflect.DeepEqual(ids(gotBins), ids(wantBins)) {
			t.Fatalf("%v: rbuild's test binaries\n  %s\ncargo's\n  %s", args,
				strings.Join(ids(gotBins), "\n  "), strings.Join(ids(wantBins), "\n  "))
		}
		for i, b := range gotBins {
			if !strings.HasPrefix(b.Executable, dir) {
				t.Errorf("%s: executable %s outside the workspace's target dir", b.Name, b.Executable)
			}
			gotList := nxList(t, dir, b.Executable)
			wantList := nxList(t, dir, wantBins[i].Executable)
			if gotList != wantList {
				t.Errorf("%s --list:\n%s\ncargo's:\n%s", b.Executable, gotList, wantList)
			}
		}
	}
}

// nxList runs a test binary with --list as nextest does: with the
// toolchain's target libdir on the dynamic library path (a proc macro's
// unit tests link libstd's dylib).
func nxList(t *testing.T, dir, exe string) string {
	t.Helper()
	libdir, err := exec.Command("rustc", "--print", "target-libdir").Output()
	if err != nil {
		t.Fatalf("rustc --print target-libdir: %v", err)
	}
	cmd := exec.Command(exe, "--list")
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "LD_LIBRARY_PATH="+strings.TrimSpace(string(libdir)))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s --list: %v\n%s", exe, err, out)
	}
	return string(out)
}

// `cargo rbuild …`: cargo runs cargo-rbuild (a symlink to rbuild, as
// `make install` puts it) with the extra word "rbuild".
func TestCargoRbuild(t *testing.T) {
	bin := t.TempDir()
	if err := os.Symlink(rbuildBin, filepath.Join(bin, "cargo-rbuild")); err != nil {
		t.Fatal(err)
	}
	pathEnv := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	dir := copyWorkspace(t, "chain")
	r := runIn(t, "cargo", dir, pathEnv, "rbuild", "build")
	if r.code != 0 || !strings.Contains(r.stderr, "rbuild: ") {
		t.Fatalf("cargo rbuild build: exit %d, no rbuild summary:\n%s", r.code, r.stderr)
	}
	want := runProgram(t, filepath.Join(cleanCargo(t, dir), "app"))
	if got := runProgram(t, filepath.Join(dir, "target", "debug", "app")); got != want {
		t.Fatalf("app built by cargo rbuild prints %q, cargo's %q", got, want)
	}
	// Global flags and a command rbuild hands to cargo.
	r = runIn(t, "cargo", dir, pathEnv, "rbuild", "-q", "build")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("cargo rbuild -q build: exit %d, stderr %q", r.code, r.stderr)
	}
	got := runIn(t, "cargo", dir, pathEnv, "rbuild", "metadata", "--format-version", "1")
	wantMeta := runIn(t, "cargo", dir, nil, "metadata", "--format-version", "1")
	if got.code != 0 || got.stdout != wantMeta.stdout {
		t.Fatalf("cargo rbuild metadata: exit %d, equal to cargo metadata: %v\n%s", got.code, got.stdout == wantMeta.stdout, got.stderr)
	}
}

// Commands rbuild does not implement go to the real cargo unchanged, also
// when CARGO is rbuild itself (no loop) and when it is not set.
func TestPassthrough(t *testing.T) {
	dir := copyWorkspace(t, "chain")
	for _, env := range [][]string{nil, {"CARGO=" + rbuildBin}} {
		for _, args := range [][]string{
			{"metadata", "--format-version", "1"},
			{"locate-project"},
			{"pkgid", "-p", "b"},
			{"tree", "--offline"},
			{"no-such-command"},
			{"build", "--message-format", "json,human"}, // rbuild's own, with cargo's error
		} {
			want := runIn(t, "cargo", dir, nil, args...)
			got := runIn(t, rbuildBin, dir, env, args...)
			if got.code != want.code || got.stdout != want.stdout || got.stderr != want.stderr {
				t.Errorf("%v rbuild %v: exit %d, stdout %q, stderr %q\ncargo: exit %d, stdout %q, stderr %q",
					env, args, got.code, head(got.stdout, 3), got.stderr, want.code, head(want.stdout, 3), want.stderr)
			}
		}
		// --version: cargo's line first (what tools parse), then rbuild's.
		want := runIn(t, "cargo", dir, nil, "--version").stdout
		got := runIn(t, rbuildBin, dir, env, "--version").stdout
		if !strings.HasPrefix(got, want) || !strings.Contains(got, "\nrbuild "+version+"\n") {
			t.Errorf("rbuild --version: %q, want cargo's %q then rbuild's", got, want)
		}
	}
}

// Global flags before the subcommand and cargo's CARGO_TERM_* variables,
// NO_COLOR and CLICOLOR_FORCE: rbuild does as cargo does, including its
// errors (text and exit code).
func TestGlobalFlagsAndTermEnv(t *testing.T) {
	dir := copyWorkspace(t, "chain")
	cargoEnv := []string{"CARGO_TARGET_DIR=" + filepath.Join(t.TempDir(), "ct")}
	runIn(t, "cargo", dir, cargoEnv, "build")
	mustRbuild(t, dir, nil, "build")
	// Unset what decides colours, then set what a case asks for.
	base := []string{"NO_COLOR=", "CLICOLOR_FORCE=", "CARGO_TERM_COLOR=auto", "CARGO_TERM_VERBOSE=false", "CARGO_TERM_QUIET=false"}
	type tc struct {
		env  []string
		args []string
	}
	colored := func(s string) bool { return strings.Contains(s, "\x1b[") }
	for _, c := range []tc{
		{nil, []string{"build"}},
		{[]string{"CLICOLOR_FORCE=1"}, []string{"build"}},
		{[]string{"CLICOLOR_FORCE=1", "NO_COLOR=1"}, []string{"build"}},
		{[]string{"CARGO_TERM_COLOR=always"}, []string{"build"}},
		{[]string{"CARGO_TERM_COLOR=always", "NO_COLOR=1"}, []string{"build"}},
		{[]string{"CARGO_TERM_COLOR=always"}, []string{"--color", "never", "build"}},
		{[]string{"CARGO_TERM_COLOR=always"}, []string{"build", "--color=never"}},
		{nil, []string{"--color", "always", "build"}},
		{[]string{"CARGO_TERM_COLOR="}, []string{"--color", "always", "build"}},
		{[]string{"CARGO_TERM_VERBOSE=true", "CARGO_TERM_QUIET=true"}, []string{"-q", "build"}},
		{[]string{"CARGO_TERM_QUIET=true"}, []string{"build"}},
		{[]string{"CARGO_TERM_QUIET=true"}, []string{"-v", "build"}},
		{nil, []string{"-q", "build"}},
		{nil, []string{"--quiet", "--locked", "--offline", "--config", "build.incremental=true", "build"}},
		{[]string{"CARGO_TERM_VERBOSE=true"}, []string{"-q", "build"}},
	} {
		env := append(append([]string{}, base...), c.env...)
		want := runIn(t, "cargo", dir, append(env, cargoEnv...), c.args...)
		got := runIn(t, rbuildBin, dir, env, c.args...)
		if got.code != want.code || colored(got.stderr) != colored(want.stderr) || (got.stderr == "") != (want.stderr == "") {
			t.Errorf("%v rbuild %v: exit %d, coloured %v, stderr %q\ncargo: exit %d, coloured %v, stderr %q", c.env, c.args,
				got.code, colored(got.stderr), got.stderr, want.code, colored(want.stderr), want.stderr)
		}
	}
	// Verbose: cargo's -v and CARGO_TERM_VERBOSE print each command; so does
	// rbuild's (a build that runs something: a fresh target dir).
	for _, c := range []tc{{nil, []string{"-v", "build"}}, {[]string{"CARGO_TERM_VERBOSE=true"}, []string{"build"}}} {
		env := append(append([]string{"CARGO_TARGET_DIR=" + filepath.Join(t.TempDir(), "t")}, base...), c.env...)
		if r := runIn(t, rbuildBin, dir, env, c.args...); r.code != 0 || !strings.Contains(r.stderr, "Running `") {
			t.Errorf("%v rbuild %v: exit %d, no commands shown:\n%s", c.env, c.args, r.code, r.stderr)
		}
	}
	// Errors: exactly cargo's text and exit code.
	for _, c := range []tc{
		{nil, []string{"build", "--message-format", "bogus"}},
		{nil, []string{"build", "--message-format=json,foo"}},
		{nil, []string{"build", "--message-format", "human,json"}},
		{nil, []string{"test", "--message-format", "json", "--message-format", "short"}},
		{nil, []string{"run", "--message-format", "json-diagnostic-rendered-ansi,short"}},
		{nil, []string{"check", "--message-format", "human,,short"}},
		{nil, []string{"build", "--message-format"}},
		{nil, []string{"--color", "bogus", "build"}},
		{nil, []string{"build", "--color", "ALWAYS"}},
		{nil, []string{"--color"}},
		{nil, []string{"-v", "-q", "build"}},
		{nil, []string{"build", "-j", "0"}},
		{nil, []string{"build", "-j", "x"}},
		{nil, []string{"-C", "a", "build"}},
		{nil, []string{"--manifest-path", "Cargo.toml", "build"}},
		{[]string{"CARGO_TERM_COLOR=bogus"}, []string{"build"}},
		{[]string{"CARGO_TERM_COLOR="}, []string{"build"}},
		{[]string{"CARGO_TERM_VERBOSE=yes"}, []string{"build"}},
		{[]string{"CARGO_TERM_QUIET=1"}, []string{"-v", "build"}},
		{[]string{"CARGO_TERM_VERBOSE=true", "CARGO_TERM_QUIET=true"}, []string{"build"}},
	} {
		env := append(append([]string{}, base...), c.env...)
		want := runIn(t, "cargo", dir, append(env, cargoEnv...), c.args...)
		got := runIn(t, rbuildBin, dir, env, c.args...)
		if want.code == 0 {
			t.Fatalf("cargo %v %v succeeded: not an error case", c.env, c.args)
		}
		if got.code != want.code || got.stderr != want.stderr || got.stdout != "" {
			t.Errorf("%v rbuild %v: exit %d, stderr:\n%s\ncargo: exit %d, stderr:\n%s", c.env, c.args, got.code, got.stderr,
				want.code, want.stderr)
		}
	}
	// -C DIR on the nightly channel with -Z unstable-options, and
	// --target-dir. (The override is cargo's own, for its tests: this
	// stable toolchain then takes -Z in every call rbuild makes.)
	nightly := []string{"__CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS=nightly"}
	target := filepath.Join(t.TempDir(), "elsewhere")
	r := runIn(t, rbuildBin, t.TempDir(), nightly, "-Z", "unstable-options", "-C", dir, "build", "--target-dir", target)
	if r.code != 0 {
		t.Fatalf("rbuild -Z unstable-options -C DIR build --target-dir T: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(target, "debug", "app")); err != nil {
		t.Fatalf("--target-dir: %v", err)
	}
}

// In JSON mode stdout holds records only: rbuild's own lines go to
// stderr, as cargo's do; what `rbuild run` runs keeps its stdout.
func TestMessageFormatStdout(t *testing.T) {
	dir := copyWorkspace(t, "chain")
	for _, args := range [][]string{
		{"build", "--message-format=json"},
		{"check", "--message-format", "json-diagnostic-short", "-v"},
		{"test", "--no-run", "--message-format", "json-render-diagnostics", "--timings"},
	} {
		r := mustRbuild(t, dir, nil, args...)
		nxTestBinaries(t, "rbuild", r.stdout) // fails on a line that is not JSON
	}
	want := runProgram(t, filepath.Join(cleanCargo(t, dir), "app"))
	r := mustRbuild(t, dir, nil, "run", "--message-format=json")
	var records, program []string
	for _, l := range strings.SplitAfter(r.stdout, "\n") {
		if strings.HasPrefix(l, "{") {
			records = append(records, l)
		} else if l != "" {
			program = append(program, l)
		}
	}
	if strings.Join(program, "") != want || len(records) == 0 {
		t.Fatalf("rbuild run --message-format=json: %d records, the program's output %q, want %q", len(records),
			strings.Join(program, ""), want)
	}
}

// cargo's errors reach the user whole: a malformed manifest gives exactly
// what cargo prints (the location and the source line), in JSON mode too.
func TestCargoErrorsWhole(t *testing.T) {
	dir := copyWorkspace(t, "chain")
	manifest := filepath.Join(dir, "a", "Cargo.toml")
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(manifest, bytes.Replace(data, []byte(`version = "0.1.0"`), []byte(`version = 0.1.0`), 1), 0o644)
	for _, args := range [][]string{{"build"}, {"build", "--message-format=json"}, {"test"}, {"check", "-q"}} {
		want := runIn(t, "cargo", dir, nil, args...)
		got := runIn(t, rbuildBin, dir, nil, args...)
		if want.code == 0 || !strings.Contains(want.stderr, "Cargo.toml:") {
			t.Fatalf("cargo %v: exit %d, no location in its error:\n%s", args, want.code, want.stderr)
		}
		if got.code != want.code || got.stderr != want.stderr || got.stdout != want.stdout {
			t.Errorf("rbuild %v: exit %d, stderr:\n%s\ncargo: exit %d, stderr:\n%s", args, got.code, got.stderr, want.code, want.stderr)
		}
	}
}
