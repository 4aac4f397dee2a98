package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var executableLine = regexp.MustCompile(`(?m)^\s+Executable (.+) \((.+)\)$`)

// `test --no-run` lists the test executables as cargo does: the same
// descriptions in the same order, each naming a file that exists.
func TestTestNoRunListsExecutables(t *testing.T) {
	for _, name := range []string{"bintests", "procmacro"} {
		t.Run(name, func(t *testing.T) {
			ws := copyWorkspace(t, name)
			cmd := exec.Command("cargo", "test", "--no-run")
			cmd.Dir = ws
			cmd.Env = append(cleanEnv(), "CARGO_TARGET_DIR="+filepath.Join(t.TempDir(), "ct"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("cargo test --no-run: %v\n%s", err, out)
			}
			want := executableDescriptions(t, string(out), "")
			r := mustRbuild(t, ws, nil, "test", "--no-run")
			got := executableDescriptions(t, r.stderr, ws)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("Executable lines:\n got  %q\n want %q (cargo)", got, want)
			}
		})
	}
}

// executableDescriptions returns what each Executable line says before
// its path; with dir set, each path must exist there.
func executableDescriptions(t *testing.T, out, dir string) []string {
	t.Helper()
	var descs []string
	for _, m := range executableLine.FindAllStringSubmatch(out, -1) {
		descs = append(descs, m[1])
		if dir == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, m[2])); err != nil || st.Mode()&0o111 == 0 {
			t.Errorf("Executable %s: %s is not an executable file (%v)", m[1], m[2], err)
		}
	}
	if strings.Contains(out, "Running") && !strings.Contains(out, "Running `") {
		t.Errorf("--no-run ran something:\n%s", out)
	}
	return descs
}
