package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// rustup picks the toolchain from rust-toolchain(.toml) in the directory
// cargo runs in or any above it: a file appearing in a parent directory
// changes cargo's answer, and rbuild's cached query must not hide it.
func TestQueryCacheFollowsToolchainFiles(t *testing.T) {
	if _, err := exec.LookPath("rustup"); err != nil {
		t.Skip("no rustup: toolchain files mean nothing")
	}
	outer := t.TempDir()
	ws := filepath.Join(outer, "chain")
	if out, err := exec.Command("cp", "-r", filepath.Join(repoRoot(t), "testdata", "workspaces", "chain"), ws).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	env := []string{"RUSTUP_AUTO_INSTALL=0"}
	mustRbuild(t, ws, env, "build")
	toolchain := filepath.Join(outer, "rust-toolchain.toml")
	if err := os.WriteFile(toolchain, []byte("[toolchain]\nchannel = \"rbuild-test-no-such-toolchain\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := runIn(t, "cargo", ws, append(env, "CARGO_TARGET_DIR="+filepath.Join(t.TempDir(), "ct")), "build")
	if c.code == 0 {
		t.Fatal("cargo built with a toolchain file naming no installed toolchain: the test proves nothing")
	}
	if r := rbuild(t, ws, env, "build"); r.code == 0 {
		t.Errorf("rbuild built from its cached query although %s names another toolchain (cargo: exit %d)", toolchain, c.code)
	}
	os.Remove(toolchain)
	mustRbuild(t, ws, env, "build")
}

// A query cached by one rbuild is not used by another (other code may
// read or derive it differently): each asks cargo itself.
func TestQueryCacheIsPerRbuild(t *testing.T) {
	ws := copyWorkspace(t, "chain")
	tools := t.TempDir()
	realCargo, err := exec.LookPath("cargo")
	if err != nil {
		t.Fatal(err)
	}
	countingTool(t, tools, "cargo", realCargo)
	cargoLog := filepath.Join(tools, "cargo.calls")
	env := []string{"PATH=" + tools + ":" + os.Getenv("PATH")}
	other := filepath.Join(t.TempDir(), "rbuild-other")
	data, err := os.ReadFile(rbuildBin)
	if err != nil {
		t.Fatal(err)
	}
	// One byte more: another build of rbuild, as far as anyone can tell.
	if err := os.WriteFile(other, append(data, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	mustRbuild(t, ws, env, "build")
	os.Remove(cargoLog)
	mustRbuild(t, ws, env, "build", "-v") // -v: no snapshot; the cached query
	if n := len(calls(t, cargoLog)); n != 0 {
		t.Fatalf("the same rbuild asked cargo again (%d calls): the test proves nothing", n)
	}
	r := runIn(t, other, ws, env, "build", "-v")
	if r.code != 0 {
		t.Fatalf("the other rbuild failed:\n%s", r.stderr)
	}
	if len(calls(t, cargoLog)) == 0 {
		t.Error("another rbuild used the query the first one cached")
	}
}

// A file saved while cargo answers may hold what cargo never saw, and its
// stamp, taken after, would hide that from every later build: here a new
// binary appears while cargo computes the unit graph (a cargo wrapper
// plays the user). The next build must ask cargo again and build it.
func TestQueryCacheFileSavedDuringQuery(t *testing.T) {
	ws := copyWorkspace(t, "chain")
	tools := t.TempDir()
	realCargo, err := exec.LookPath("cargo")
	if err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(tools, "save-during-query")
	late := filepath.Join(ws, "app", "src", "bin", "late.rs")
	script := fmt.Sprintf(`#!/bin/sh
%q "$@"; rc=$?
case "$*" in *--unit-graph*)
  if [ -e %q ]; then rm %q; mkdir -p %q; echo 'fn main() { println!("late"); }' > %q; fi;;
esac
exit $rc
`, realCargo, marker, marker, filepath.Dir(late), late)
	if err := os.WriteFile(filepath.Join(tools, "cargo"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + tools + ":" + os.Getenv("PATH")}
	mustRbuild(t, ws, env, "build")
	// A manifest edit makes the next build ask cargo; the wrapper adds
	// the binary as cargo answers.
	manifest := filepath.Join(ws, "app", "Cargo.toml")
	data, _ := os.ReadFile(manifest)
	os.WriteFile(manifest, append(data, "\n# edited\n"...), 0o644)
	os.WriteFile(marker, nil, 0o644)
	mustRbuild(t, ws, env, "build")
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the wrapper never ran the unit-graph query: the test proves nothing")
	}
	if _, err := os.Stat(filepath.Join(ws, "target", "debug", "late")); err == nil {
		t.Fatal("the build that asked cargo already built the binary saved during the query: the test proves nothing")
	}
	mustRbuild(t, ws, env, "build")
	if out := runProgram(t, filepath.Join(ws, "target", "debug", "late")); out != "late\n" {
		t.Errorf("late printed %q", out)
	}
}
