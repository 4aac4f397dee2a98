package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rbuild/bench"
)

// TestBenchDebian runs `rbuild bench --reps 1` with the built-in
// scenarios on the Debian-crates workspace, both loops, and checks the
// report's structure and that its counts are plausible (never its times).
// The test loop leaves memchr's own tests out: its exhaustive suite runs
// for minutes in a debug build, whoever builds it.
func TestBenchDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("bench: minutes")
	}
	dir := debianWorkspace(t)
	out := filepath.Join(t.TempDir(), "report")
	r := mustRbuild(t, dir, nil, "bench", "--reps", "1", "--out", out, "--test-args", "--workspace --exclude memchr")
	var rep bench.Report
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "bench.json")), &rep); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range rep.Scenarios {
		names = append(names, s.Name)
	}
	if want := "noop touch comment private-body public-signature leaf test:private-body test:public-signature test:leaf"; strings.Join(names, " ") != want {
		t.Fatalf("scenarios %v, want %s", names, want)
	}
	if rep.Crate == nil || rep.Crate.Dependents < 5 {
		t.Fatalf("edited crate %+v: want a path package with many dependents", rep.Crate)
	}
	if len(rep.Samples) != 18 || len(rep.Summary) != 18 {
		t.Fatalf("%d samples, %d summary rows; want 18 each", len(rep.Samples), len(rep.Summary))
	}
	get := func(sc, tool string) bench.Summary {
		i := slices.IndexFunc(rep.Summary, func(s bench.Summary) bool { return s.Scenario == sc && s.Tool == tool })
		if i < 0 {
			t.Fatalf("no summary for %s/%s", sc, tool)
		}
		return rep.Summary[i]
	}
	for _, s := range rep.Summary {
		if s.Median <= 0 || s.Ratio <= 0 {
			t.Errorf("%s/%s: median %v, ratio %v", s.Scenario, s.Tool, s.Median, s.Ratio)
		}
		if !strings.Contains(r.stdout, "| "+s.Scenario+" | "+s.Tool+" |") {
			t.Errorf("markdown on stdout has no row for %s/%s", s.Scenario, s.Tool)
		}
	}
	check := func(what string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("implausible: %s\n%s", what, r.stdout)
		}
	}
	check("noop compiles nothing", get("noop", "cargo").Compiled == 0 && get("noop", "rbuild").Compiled == 0)
	check("a touch makes cargo recompile, not rbuild", get("touch", "cargo").Compiled >= 1 && get("touch", "rbuild").Compiled == 0)
	pb, pc := get("private-body", "rbuild"), get("private-body", "cargo")
	check("private-body: rbuild compiles the crate, cuts off and relinks", pb.Compiled == 1 && pb.CutOff >= 1 && pb.Relinked >= 1)
	check("private-body: cargo recompiles every dependent", pc.Compiled >= rep.Crate.Dependents)
	cb := get("comment", "rbuild")
	check("comment: rbuild compiles the crate and cuts off", cb.Compiled == 1 && cb.CutOff >= 1)
	check("public-signature: rbuild recompiles dependents", get("public-signature", "rbuild").Compiled > 1)
	check("leaf: one unit each", get("leaf", "cargo").Compiled == 1 && get("leaf", "rbuild").Compiled == 1)
	tb, tc := get("test:private-body", "rbuild"), get("test:private-body", "cargo")
	check("test:private-body: rbuild compiles memchr, cuts off, relinks test executables", tb.Compiled >= 1 && tb.CutOff >= 1 && tb.TestsLinked >= 1)
	check("test:private-body: cargo recompiles every dependent", tc.Compiled >= rep.Crate.Dependents && tc.TestsLinked >= 1)
	for _, sc := range []string{"test:private-body", "test:public-signature", "test:leaf"} {
		b, c := get(sc, "rbuild"), get(sc, "cargo")
		check(sc+": rbuild runs every test executable cargo runs", b.TestsRun >= 1 && b.TestsRun == c.TestsRun)
	}
	check("build rows count no tests", get("private-body", "rbuild").TestsRun == 0)
	check("the markdown has the test columns", strings.Contains(r.stdout, "| test exes linked | test exes run |"))
	check("the report names the private fn", strings.Contains(r.stdout, "**private-body**: a statement added to fn `"))
	for _, f := range []string{"bench.md", "bench.csv", "bench.svg"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// Every edit was reverted.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".rs") && strings.Contains(string(readFile(t, p)), "rbuild_bench") {
			t.Errorf("%s still holds a bench edit", p)
		}
		if err == nil && d.IsDir() && d.Name() == "target" {
			return filepath.SkipDir
		}
		return nil
	})
}

func TestBenchBadInput(t *testing.T) {
	dir := copyWorkspace(t, "chain")
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--reps", "0"}, 2, "--reps: want at least 1"},
		{[]string{"--tools", "cargo,make"}, 2, `unknown tool "make"`},
		{[]string{"--loop", "deploy"}, 2, `--loop: unknown loop "deploy"`},
		{[]string{"--frobnicate"}, 2, "flag provided but not defined"},
		{[]string{"--scenarios", "nope.toml"}, 101, "scenario file nope.toml"},
	} {
		r := rbuild(t, dir, nil, append([]string{"bench"}, tt.args...)...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("bench %v: exit %d, stderr %q; want exit %d and %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
}

// TestBenchScale runs `rbuild bench --scale` on a small DAG: both tools
// build all of it, then find nothing to do (the harness checks both),
// and the report has a row per tool with plausible figures.
func TestBenchScale(t *testing.T) {
	requireTool(t, "ninja")
	out := filepath.Join(t.TempDir(), "scale")
	r := mustRbuild(t, t.TempDir(), nil, "bench", "--scale", "40,80", "--reps", "2", "--out", out)
	var rep bench.ScaleReport
	if err := json.Unmarshal(readFile(t, filepath.Join(out, "scale.json")), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 4 {
		t.Fatalf("%d rows, want 4 (2 sizes × rbuild, ninja):\n%s", len(rep.Rows), r.stdout)
	}
	for _, row := range rep.Rows {
		if row.FullSeconds <= 0 || row.NoopMS <= 0 || len(row.NoopAll) != 2 || row.FullRSSMB <= 0 {
			t.Errorf("implausible row %+v", row)
		}
		if !strings.Contains(r.stdout, fmt.Sprintf("| %d | %s |", row.N, row.Tool)) {
			t.Errorf("markdown on stdout has no row for %d/%s:\n%s", row.N, row.Tool, r.stdout)
		}
	}
	if _, ok := rep.NoopExponent["rbuild"]; !ok {
		t.Errorf("no exponent for rbuild: %+v", rep)
	}
	for _, bad := range [][]string{{"--scale", "10,x"}, {"--scale", "0"}} {
		if r := rbuild(t, t.TempDir(), nil, append([]string{"bench"}, bad...)...); r.code != 2 {
			t.Errorf("bench %v: exit %d, want 2\n%s", bad, r.code, r.stderr)
		}
	}
}
