package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The strongest check of cargometa: every command rbuild runs equals the one
// `cargo build -v` runs, once target directories and hashes are normalized
// (cargo-units.md §14 did the same with the Python prototype).
func TestCommandsMatchCargo(t *testing.T) {
	for _, tc := range []struct{ ws, cmd string }{
		{"links", "build"}, {"procmacro", "build"}, {"buildscript", "build"}, {"features", "build"},
		{"bintests", "test"}, {"chain", "check"}, {"diamond", "build --release"},
	} {
		t.Run(tc.ws+" "+tc.cmd, func(t *testing.T) {
			t.Parallel()
			dir := copyWorkspace(t, tc.ws)
			args := strings.Fields(tc.cmd)
			ct := filepath.Join(t.TempDir(), "ct")
			cargoArgs := append(append([]string{}, args...), "-v")
			if args[0] == "test" {
				cargoArgs = append(cargoArgs, "--no-run")
			}
			c := exec.Command("cargo", cargoArgs...)
			c.Dir = dir
			c.Env = append(cleanEnv(), "CARGO_TARGET_DIR="+ct)
			out, err := c.CombinedOutput()
			if err != nil {
				t.Fatalf("cargo: %v\n%s", err, out)
			}
			theirs := runningLines(string(out), ct)
			r := mustRbuild(t, dir, nil, append(cargoArgs, "--color", "never")...)
			ours := runningLines(r.stderr, filepath.Join(dir, "target", "rbuild"))
			if len(theirs) == 0 {
				t.Fatal("no commands seen in cargo's output")
			}
			if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
				t.Errorf("commands differ\n--- rbuild\n%s\n--- cargo\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
			}
		})
	}
}

var (
	hexHash  = regexp.MustCompile(`[0-9a-f]{16}`)
	rustcBin = regexp.MustCompile("^\\S*/rustc ")
	viewDir  = regexp.MustCompile(`/views/[^/ ]+`)
	outDir   = regexp.MustCompile(`--out-dir (\S+)/(deps|examples|bins/[^/ ]+)`)
)

// runningLines extracts "Running `…`" commands, normalized and sorted.
func runningLines(out, targetDir string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		cmd, ok := strings.CutPrefix(l, "Running `")
		if !ok {
			continue
		}
		cmd = strings.TrimSuffix(cmd, "`")
		if strings.Contains(cmd, " -Z link-only ") {
			continue // the second half of rbuild's split executables
		}
		cmd = strings.ReplaceAll(cmd, " -Z no-link", "")
		cmd = strings.ReplaceAll(cmd, " -Z binary-dep-depinfo", "")
		cmd = strings.ReplaceAll(cmd, " -Z cross-crate-inline-threshold=never", "")
		// stable rustc's defaults, pinned under RUSTC_BOOTSTRAP=1
		// (cargometa/stable.go): the same binary as cargo's.
		cmd = strings.ReplaceAll(cmd, " -Z allow-features= -Z unstable-options -C symbol-mangling-version=legacy", "")
		cmd = strings.ReplaceAll(cmd, targetDir, "$T")
		// rbuild's deliberate layout differences: each compile's exact
		// dependency view stands for cargo's shared deps dir, and each
		// executable has its own directory.
		cmd = viewDir.ReplaceAllString(cmd, "/deps")
		cmd = outDir.ReplaceAllString(cmd, "--out-dir $1/OUT")
		cmd = hexHash.ReplaceAllString(cmd, "H")
		cmd = rustcBin.ReplaceAllString(cmd, "rustc ")
		lines = append(lines, cmd)
	}
	sort.Strings(lines)
	return lines
}
