package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var crateNameArg = regexp.MustCompile(`--crate-name (\S+)`)

// checkUnits lists, from -v output, each compile as "crate" or "crate
// --test", sorted: which targets were checked, and which as tests.
func checkUnits(out string) []string {
	var units []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.Contains(l, "Running `") || !strings.Contains(l, "--emit=dep-info,metadata") {
			continue
		}
		m := crateNameArg.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		u := m[1]
		if strings.Contains(l, " --test ") {
			u += " --test"
		}
		units = append(units, u)
	}
	slices.Sort(units)
	return units
}

// `check --all-targets` (rust-analyzer's command), `--tests` and
// `--profile test` check some targets twice, once as a test; cargo's unit
// graph calls both "check". rbuild must check the same targets as tests
// as cargo does, with --test (cfg(test) code and dev-dependencies).
func TestCheckTestUnitsMatchCargo(t *testing.T) {
	for _, args := range [][]string{
		{"--all-targets"},
		{"--tests"},
		{"--lib", "--tests"},
		{"--profile", "test"},
		{"--bins"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ws := copyWorkspace(t, "bintests")
			cmd := exec.Command("cargo", append([]string{"check", "-v"}, args...)...)
			cmd.Dir = ws
			cmd.Env = append(cleanEnv(), "CARGO_TARGET_DIR="+filepath.Join(t.TempDir(), "ct"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("cargo check: %v\n%s", err, out)
			}
			want := checkUnits(string(out))
			r := mustRbuild(t, ws, nil, append([]string{"check", "-v"}, args...)...)
			if got := checkUnits(r.stderr); !slices.Equal(got, want) {
				t.Errorf("checked units:\n got  %q\n want %q (cargo)", got, want)
			}
			if !slices.ContainsFunc(want, func(s string) bool { return strings.HasSuffix(s, "--test") }) && args[0] != "--bins" {
				t.Errorf("cargo checked nothing as a test: the case proves nothing")
			}
		})
	}
}
