package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Every testdata workspace: rbuild's binaries print what cargo's print.
func TestWorkspacesMatchCargo(t *testing.T) {
	for _, ws := range []string{"chain", "diamond", "buildscript", "procmacro", "features", "links", "bintests"} {
		t.Run(ws, func(t *testing.T) {
			t.Parallel()
			dir := copyWorkspace(t, ws)
			mustRbuild(t, dir, nil, "build")
			cargoDir := cleanCargo(t, dir)
			ours := executables(t, filepath.Join(dir, "target", "debug"))
			theirs := executables(t, cargoDir)
			if strings.Join(ours, ",") != strings.Join(theirs, ",") {
				t.Fatalf("binaries: rbuild %v, cargo %v", ours, theirs)
			}
			if len(ours) == 0 {
				t.Fatal("no binaries built")
			}
			for _, b := range ours {
				got := runProgram(t, filepath.Join(dir, "target", "debug", b))
				want := runProgram(t, filepath.Join(cargoDir, b))
				if got != want {
					t.Errorf("%s: rbuild's binary printed %q, cargo's %q", b, got, want)
				}
			}
		})
	}
}

// rbuild test passes where cargo test passes and fails where it fails.
func TestTestLikeCargo(t *testing.T) {
	for _, tc := range []struct {
		ws   string
		pass bool
	}{{"bintests", true}, {"chain", true}, {"links", true}, {"diamond", true}, {"buildscript", true},
		{"procmacro", true}, {"features", true}, {"failingtest", false}} {
		t.Run(tc.ws, func(t *testing.T) {
			t.Parallel()
			dir := copyWorkspace(t, tc.ws)
			cmd := exec.Command("cargo", "test", "-q")
			cmd.Dir = dir
			cmd.Env = append(cleanEnv(), "CARGO_TARGET_DIR="+filepath.Join(t.TempDir(), "ct"))
			cargoErr := cmd.Run()
			if (cargoErr == nil) != tc.pass {
				t.Fatalf("fixture broken: cargo test error = %v, want pass=%v", cargoErr, tc.pass)
			}
			r := rbuild(t, dir, nil, "test")
			if tc.pass && r.code != 0 {
				t.Fatalf("rbuild test failed (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
			}
			if !tc.pass && r.code != 101 {
				t.Fatalf("rbuild test: exit %d, want 101\n%s%s", r.code, r.stdout, r.stderr)
			}
			if tc.pass && !strings.Contains(r.stdout, "test result: ok") {
				t.Fatalf("no test ran:\n%s", r.stdout)
			}
		})
	}
}

// A second build with nothing changed starts no rustc and no cargo; touching
// a source file or reverting an edit compiles nothing.
func TestNoopStartsNoProcess(t *testing.T) {
	dir := copyWorkspace(t, "buildscript")
	tools := t.TempDir()
	rustc, rustcLog := countingTool(t, tools, "rustc", realRustc(t))
	realCargo, err := exec.LookPath("cargo")
	if err != nil {
		t.Fatal(err)
	}
	countingTool(t, tools, "cargo", realCargo)
	cargoLog := filepath.Join(tools, "cargo.calls")
	env := []string{"RUSTC=" + rustc, "PATH=" + tools + ":" + os.Getenv("PATH")}

	mustRbuild(t, dir, env, "build")
	if n := compilesIn(calls(t, rustcLog)); n == 0 {
		t.Fatal("the counting RUSTC saw no compile: rbuild does not honour RUSTC")
	}
	if len(calls(t, cargoLog)) == 0 {
		t.Fatal("the counting cargo saw no call")
	}
	reset := func() { os.Remove(rustcLog); os.Remove(cargoLog) }

	reset()
	mustRbuild(t, dir, env, "build")
	if c := calls(t, rustcLog); len(c) != 0 {
		t.Errorf("no-op build ran rustc %d times: %v", len(c), c)
	}
	if c := calls(t, cargoLog); len(c) != 0 {
		t.Errorf("no-op build ran cargo %d times: %v", len(c), c)
	}

	src := filepath.Join(dir, "gen", "src", "lib.rs")
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(src, later, later); err != nil {
		t.Fatal(err)
	}
	reset()
	mustRbuild(t, dir, env, "build")
	if n := compilesIn(calls(t, rustcLog)); n != 0 {
		t.Errorf("touch: %d rustc compiles, want 0", n)
	}

	orig, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	edited := append([]byte("pub fn edited_then_reverted() {}\n"), orig...)
	os.WriteFile(src, edited, 0o644)
	reset()
	mustRbuild(t, dir, env, "build")
	if n := compilesIn(calls(t, rustcLog)); n == 0 {
		t.Fatal("an edit compiled nothing")
	}
	os.WriteFile(src, orig, 0o644)
	mustRbuild(t, dir, env, "build") // back to the original: gen recompiles once
	reset()
	os.WriteFile(src, edited, 0o644)
	os.WriteFile(src, orig, 0o644)
	mustRbuild(t, dir, env, "build")
	if n := compilesIn(calls(t, rustcLog)); n != 0 {
		t.Errorf("edit then revert: %d rustc compiles, want 0", n)
	}
	// The build script's inputs: data/input.txt touched → nothing reruns.
	data := filepath.Join(dir, "gen", "data", "input.txt")
	os.Chtimes(data, later.Add(time.Minute), later.Add(time.Minute))
	reset()
	r := mustRbuild(t, dir, env, "build")
	if n := compilesIn(calls(t, rustcLog)); n != 0 || strings.Contains(r.stderr, "Compiling") {
		t.Errorf("touching a rerun-if-changed input: %d compiles\n%s", n, r.stderr)
	}
}

// A build script input change reruns the script and rebuilds what it feeds.
func TestBuildScriptInputChange(t *testing.T) {
	dir := copyWorkspace(t, "buildscript")
	mustRbuild(t, dir, nil, "build")
	bin := executables(t, filepath.Join(dir, "target", "debug"))[0]
	before := runProgram(t, filepath.Join(dir, "target", "debug", bin))
	data := filepath.Join(dir, "gen", "data", "input.txt")
	old, _ := os.ReadFile(data)
	os.WriteFile(data, append(old, []byte("\nextra_line = 99\n")...), 0o644)
	mustRbuild(t, dir, nil, "build")
	after := runProgram(t, filepath.Join(dir, "target", "debug", bin))
	cargoDir := cleanCargo(t, dir)
	want := runProgram(t, filepath.Join(cargoDir, bin))
	if after != want {
		t.Fatalf("after editing the script's input: rbuild %q, cargo %q (before: %q)", after, want, before)
	}
}

// A build script that rebuilds a native library prints what it printed
// before: the library's new content alone must rebuild the rlib that
// bundles it (rustc's dep-info does not name it) and relink the binary.
// Then a rerun that leaves the library as it was rebuilds nothing more.
func TestNativeLibraryEdit(t *testing.T) {
	dir := copyWorkspace(t, "links")
	mustRbuild(t, dir, nil, "build")
	src := filepath.Join(dir, "sysadd", "csrc", "add.c")
	old, _ := os.ReadFile(src)
	os.WriteFile(src, []byte(strings.Replace(string(old), "return a * b;", "return a * b + 1;", 1)), 0o644)
	mustRbuild(t, dir, nil, "build")
	want := runProgram(t, filepath.Join(cleanCargo(t, dir), "linkapp"))
	if got := runProgram(t, filepath.Join(dir, "target", "debug", "linkapp")); got != want {
		t.Fatalf("after editing the C library: rbuild's linkapp prints %q, cargo's %q", got, want)
	}
	os.WriteFile(src, []byte(strings.Replace(string(old), "return a * b;", "return a * b + 1; ", 1)+"\n"), 0o644)
	r := mustRbuild(t, dir, nil, "build", "-v")
	if n := strings.Count(r.stderr, "--crate-name sysadd "); n != 0 {
		t.Errorf("a build script rerun that left the library alone recompiled sysadd %d times:\n%s", n, r.stderr)
	}
}

func TestCheckAndRun(t *testing.T) {
	dir := copyWorkspace(t, "chain")
	r := mustRbuild(t, dir, nil, "check")
	if !strings.Contains(r.stderr, "Checking") {
		t.Errorf("check printed no Checking line:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "target", "debug", "app")); err == nil {
		t.Error("check produced a binary")
	}
	r = mustRbuild(t, dir, nil, "run", "-q", "--bin", "app")
	want := runProgram(t, filepath.Join(dir, "target", "debug", "app"))
	if r.stdout != want || want == "" {
		t.Errorf("rbuild run printed %q, the binary prints %q", r.stdout, want)
	}
}

func TestExplain(t *testing.T) {
	dir := copyWorkspace(t, "chain")
	mustRbuild(t, dir, nil, "build")
	src := filepath.Join(dir, "b", "src", "lib.rs")
	data, _ := os.ReadFile(src)
	os.WriteFile(src, append([]byte("// leading comment shifts every span\n"), data...), 0o644)
	mustRbuild(t, dir, nil, "build")
	out := mustRbuild(t, dir, nil, "explain").stdout
	for _, want := range []string{"ran     b v0.1.0 (lib): input " + src + " changed", "skipped a v0.1.0 (lib): up to date"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
}

// Bad input gives a short error naming the cause, never a Go panic.
func TestBadInput(t *testing.T) {
	short := func(t *testing.T, r result, want string) {
		t.Helper()
		if r.code == 0 {
			t.Fatalf("exit 0, want failure\n%s", r.stderr)
		}
		if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") {
			t.Fatalf("Go panic:\n%s", r.stderr)
		}
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("error does not name the cause %q:\n%s", want, r.stderr)
		}
	}
	t.Run("malformed unit graph", func(t *testing.T) {
		dir := copyWorkspace(t, "chain")
		for name, body := range map[string]string{
			"truncated": `{"version":1,"units":[{"pkg_id":`,
			"wrong":     `{"version":1,"units":[{"pkg_id":"x","target":{"kind":["lib"],"name":"a","src_path":"/x.rs"},"mode":"build","dependencies":[{"index":7}]}],"roots":[0]}`,
			"version":   `{"version":2,"units":[],"roots":[]}`,
			"type":      `{"version":"one"}`,
		} {
			f := filepath.Join(t.TempDir(), name+".json")
			os.WriteFile(f, []byte(body), 0o644)
			r := rbuild(t, dir, nil, "build", "--unit-graph", f)
			short(t, r, f)
			if lines := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; lines > 2 {
				t.Errorf("%s: %d lines of error:\n%s", name, lines, r.stderr)
			}
		}
	})
	t.Run("failing build script", func(t *testing.T) {
		r := rbuild(t, copyWorkspace(t, "badbuildscript"), nil, "build")
		short(t, r, "failed to run custom build command for `bad")
	})
	t.Run("compile error", func(t *testing.T) {
		r := rbuild(t, copyWorkspace(t, "compileerror"), nil, "build")
		short(t, r, "could not compile `broken` (lib) due to 1 previous error")
		short(t, r, "error[E0308]")
	})
	t.Run("missing cargo", func(t *testing.T) {
		r := rbuild(t, copyWorkspace(t, "chain"), []string{"PATH=/nonexistent", "CARGO=", "RUSTC=" + realRustc(t)}, "build")
		short(t, r, "cannot run cargo")
	})
	t.Run("missing rustc", func(t *testing.T) {
		r := rbuild(t, copyWorkspace(t, "chain"), []string{"RUSTC=/nonexistent/rustc"}, "build")
		short(t, r, "/nonexistent/rustc")
	})
	t.Run("unknown flag", func(t *testing.T) {
		r := rbuild(t, copyWorkspace(t, "chain"), nil, "build", "--frobnicate")
		short(t, r, "--frobnicate")
	})
}

// A corrupt log costs rebuilds, never a wrong result or an error.
func TestCorruptLog(t *testing.T) {
	dir := copyWorkspace(t, "chain")
	mustRbuild(t, dir, nil, "build")
	logf := filepath.Join(dir, "target", "rbuild", "log")
	data, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(data) / 2; i < len(data); i += 7 {
		data[i] ^= 0x5a
	}
	os.WriteFile(logf, data, 0o644)
	mustRbuild(t, dir, nil, "build")
	got := runProgram(t, filepath.Join(dir, "target", "debug", "app"))
	want := runProgram(t, filepath.Join(cleanCargo(t, dir), "app"))
	if got != want {
		t.Fatalf("after a corrupt log: %q, cargo %q", got, want)
	}
	os.WriteFile(logf, []byte("garbage"), 0o644)
	r := mustRbuild(t, dir, nil, "build")
	if !strings.Contains(r.stderr, "warning") {
		t.Errorf("no warning about the garbage log:\n%s", r.stderr)
	}
}

// kill -9 at several points of a build: the next build is correct.
func TestKill9MidBuild(t *testing.T) {
	dir := copyWorkspace(t, "links")
	cargoDir := cleanCargo(t, dir)
	want := runProgram(t, filepath.Join(cargoDir, "linkapp"))
	for _, delay := range []time.Duration{150 * time.Millisecond, 400 * time.Millisecond, 900 * time.Millisecond} {
		os.RemoveAll(filepath.Join(dir, "target"))
		cmd := exec.Command(rbuildBin, "build")
		cmd.Dir = dir
		cmd.Env = cleanEnv()
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		mustRbuild(t, dir, nil, "build")
		if got := runProgram(t, filepath.Join(dir, "target", "debug", "linkapp")); got != want {
			t.Fatalf("after kill -9 at %v: %q, cargo %q", delay, got, want)
		}
	}
}

// Ctrl-C: rbuild stops its children, exits 130, and the next build is correct.
func TestCtrlC(t *testing.T) {
	dir := copyWorkspace(t, "diamond")
	want := runProgram(t, filepath.Join(cleanCargo(t, dir), "diamond"))
	cmd := exec.Command(rbuildBin, "build", "-j", "2")
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 130) {
			t.Errorf("exit after Ctrl-C: %v, want 130", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("rbuild did not stop within 10s of Ctrl-C")
	}
	time.Sleep(200 * time.Millisecond)
	if out, _ := exec.Command("pgrep", "-f", dir).Output(); len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("processes left running after Ctrl-C: %s", out)
	}
	mustRbuild(t, dir, nil, "build")
	if got := runProgram(t, filepath.Join(dir, "target", "debug", "diamond")); got != want {
		t.Fatalf("after Ctrl-C: %q, cargo %q", got, want)
	}
}

// After `target/` is deleted, cargo's answer comes from the per-user query
// cache: the clean build starts no cargo. A changed manifest still asks
// cargo.
func TestCleanBuildReusesQuery(t *testing.T) {
	dir := copyWorkspace(t, "chain")
	tools := t.TempDir()
	realCargo, err := exec.LookPath("cargo")
	if err != nil {
		t.Fatal(err)
	}
	_, cargoLog := countingTool(t, tools, "cargo", realCargo)
	env := []string{"PATH=" + tools + ":" + os.Getenv("PATH"), "RBUILD_CACHE_DIR=" + t.TempDir()}
	mustRbuild(t, dir, env, "build")
	if len(calls(t, cargoLog)) == 0 {
		t.Fatal("the counting cargo saw no call")
	}
	os.Remove(cargoLog)
	os.RemoveAll(filepath.Join(dir, "target"))
	mustRbuild(t, dir, env, "build")
	if c := calls(t, cargoLog); len(c) != 0 {
		t.Errorf("clean build ran cargo %d times: %v", len(c), c)
	}
	if out := runProgram(t, filepath.Join(dir, "target", "debug", "app")); out != "chain: 42\nextra: 47\n" {
		t.Errorf("app printed %q", out)
	}
	manifest := filepath.Join(dir, "app", "Cargo.toml")
	data, _ := os.ReadFile(manifest)
	os.WriteFile(manifest, append(data, "\n# changed\n"...), 0o644)
	os.RemoveAll(filepath.Join(dir, "target"))
	mustRbuild(t, dir, env, "build")
	if len(calls(t, cargoLog)) == 0 {
		t.Error("a changed manifest did not ask cargo")
	}
}
