package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// --no-unstable: rustc runs exactly as under cargo — cargo's commands (an
// executable compiled and linked in one step), no -Z flag, no
// RUSTC_BOOTSTRAP in its environment — and the binaries print what
// cargo's print, also after an edit (the cutoff is exact).
func TestNoUnstable(t *testing.T) {
	for _, name := range []string{"chain", "buildscript"} {
		t.Run(name, func(t *testing.T) {
			ws := copyWorkspace(t, name)
			ct := filepath.Join(t.TempDir(), "ct")
			cargoBuild := func() string {
				c := exec.Command("cargo", "build", "-v")
				c.Dir, c.Env = ws, append(cleanEnv(), "CARGO_TARGET_DIR="+ct)
				out, err := c.CombinedOutput()
				if err != nil {
					t.Fatalf("cargo: %v\n%s", err, out)
				}
				return string(out)
			}
			logf := filepath.Join(t.TempDir(), "rustc.log")
			wrapper := filepath.Join(t.TempDir(), "log-rustc.sh")
			script := fmt.Sprintf("#!/bin/sh\necho \"BOOTSTRAP=${RUSTC_BOOTSTRAP-unset} $*\" >> %q\nexec \"$@\"\n", logf)
			if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			env := []string{"RUSTC_WRAPPER=" + wrapper}
			theirs := runningLines(cargoBuild(), ct)
			r := mustRbuild(t, ws, env, "build", "-v", "--no-unstable", "--color", "never")
			ours := runningLines(strings.ReplaceAll(r.stderr, wrapper+" ", ""), filepath.Join(ws, "target", "rbuild"))
			if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
				t.Errorf("commands differ\n--- rbuild\n%s\n--- cargo\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
			}
			compiles := 0
			for _, l := range calls(t, logf) {
				if !strings.Contains(l, "--crate-name") || strings.Contains(l, "--crate-name ___") {
					// rustc -vV and the probes; cargo's own probe during
					// the unit-graph query (--unit-graph is unstable, so
					// that query sets RUSTC_BOOTSTRAP for cargo).
					continue
				}
				compiles++
				if !strings.HasPrefix(l, "BOOTSTRAP=unset ") || strings.Contains(l, " -Z") {
					t.Errorf("rustc ran with RUSTC_BOOTSTRAP or a -Z flag: %s", l)
				}
			}
			if compiles == 0 {
				t.Fatal("the wrapper saw no compile")
			}
			exe := map[string]string{"chain": "app", "buildscript": "genapp"}[name]
			if got, want := runProgram(t, filepath.Join(ws, "target", "debug", exe)), runProgram(t, filepath.Join(ct, "debug", exe)); got != want {
				t.Errorf("%s prints %q, cargo's %q", exe, got, want)
			}
			// An edit deep down: everything above it is rebuilt, as by cargo.
			lib := map[string]string{"chain": "a/src/lib.rs", "buildscript": "gen/src/lib.rs"}[name]
			src := filepath.Join(ws, lib)
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(src, append(data, "\npub fn no_unstable_probe() -> u32 { 7 }\n"...), 0o644); err != nil {
				t.Fatal(err)
			}
			cargoBuild()
			mustRbuild(t, ws, env, "build", "--no-unstable")
			if got, want := runProgram(t, filepath.Join(ws, "target", "debug", exe)), runProgram(t, filepath.Join(ct, "debug", exe)); got != want {
				t.Errorf("after the edit %s prints %q, cargo's %q", exe, got, want)
			}
			os.Remove(logf)
			mustRbuild(t, ws, env, "build", "--no-unstable")
			if n := compilesIn(calls(t, logf)); n != 0 {
				t.Errorf("no-op ran %d compiles", n)
			}
		})
	}
}

// `[build] unstable = false` in rbuild's config is --no-unstable for every
// build.
func TestNoUnstableFromConfig(t *testing.T) {
	ws := copyWorkspace(t, "chain")
	config := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(config, []byte("[build]\nunstable = false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := mustRbuild(t, ws, []string{"RBUILD_CONFIG=" + config}, "build", "-v")
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "Running `") && strings.Contains(l, "--crate-name") && strings.Contains(l, " -Z") {
			t.Errorf("a -Z flag although the config says unstable = false: %s", l)
		}
	}
	if !strings.Contains(r.stderr, "--crate-name app") {
		t.Fatalf("no compile of app seen:\n%s", r.stderr)
	}
}
