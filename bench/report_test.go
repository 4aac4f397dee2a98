package bench

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateBenchGolden = flag.Bool("update", false, "rewrite bench/testdata/*.golden")

// fixedReport is a report with made-up numbers, for the output formats.
func fixedReport() *Report {
	rep := &Report{Workspace: "/tmp/ws", Profile: "dev", Reps: 3, Tools: []string{"cargo", "rbuild"},
		Crate: &builtinCrate{Name: "memchr", Dependents: 12, Packages: 40, Root: "crates/memchr/src/lib.rs"},
		Scenarios: []scenario{
			{Name: "noop", What: "no change"},
			{Name: "private-body", What: "a statement added to fn `sub` <private>"},
		}}
	add := func(sc, tool string, secs float64, comp, cut, rel int) {
		for rep1 := 1; rep1 <= 3; rep1++ {
			rep.Samples = append(rep.Samples, benchSample{Scenario: sc, Tool: tool, Rep: rep1,
				sample: sample{Seconds: secs * (0.9 + 0.1*float64(rep1)), Compiled: comp, CutOff: cut, Relinked: rel}})
		}
	}
	add("noop", "cargo", 0.06, 0, 0, 0)
	add("noop", "rbuild", 0.004, 0, 0, 0)
	add("private-body", "cargo", 8.2, 17, 0, 0)
	add("private-body", "rbuild", 1.1, 1, 12, 4)
	rep.summarize()
	return rep
}

func TestBenchReportFormats(t *testing.T) {
	rep := fixedReport()
	if s := rep.Summary[3]; math.Abs(s.Median-1.21) > 1e-9 || math.Abs(s.Min-1.1) > 1e-9 || s.Compiled != 1 || s.CutOff != 12 {
		t.Errorf("summary of private-body/rbuild: %+v", s)
	}
	if r := rep.Summary[3].Ratio; r < 0.134 || r > 0.135 {
		t.Errorf("ratio %v, want 1.21/9.02", r)
	}
	golden(t, "report.md.golden", rep.markdown())
	golden(t, "report.svg.golden", rep.svg())
	// The chart is well-formed XML with one bar per scenario and tool.
	dec := xml.NewDecoder(strings.NewReader(rep.svg()))
	bars := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("svg: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			for _, a := range se.Attr {
				if a.Name.Local == "fill" && a.Value != "white" {
					bars++
				}
			}
		}
	}
	if bars != 4+2 { // 4 bars and 2 legend swatches
		t.Errorf("svg has %d coloured rects, want 6", bars)
	}
	dir := t.TempDir()
	if err := rep.write(dir); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(readFile(t, filepath.Join(dir, "bench.csv"))))).ReadAll()
	if err != nil || len(rows) != 1+12 || strings.Join(rows[0], ",") != "scenario,tool,rep,seconds,compiled,cut_off,relinked,tests_linked,tests_run" {
		t.Errorf("bench.csv: %v %v", err, rows)
	}
	var back Report
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "bench.json")), &back); err != nil || len(back.Samples) != 12 || len(back.Summary) != 4 {
		t.Errorf("bench.json: %v, %d samples, %d summaries", err, len(back.Samples), len(back.Summary))
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateBenchGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/rbuild -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestBenchReportTestLoop: a report with test-loop rows has the test
// columns, filled for test rows only, and says what they count.
func TestBenchReportTestLoop(t *testing.T) {
	rep := fixedReport()
	rep.Scenarios = append(rep.Scenarios, scenario{Name: "test:private-body", What: "the private-body edit, then the tests", Command: "test"})
	for rep1 := 1; rep1 <= 3; rep1++ {
		rep.Samples = append(rep.Samples,
			benchSample{Scenario: "test:private-body", Tool: "cargo", Rep: rep1,
				sample: sample{Seconds: 12 + float64(rep1), Compiled: 21, TestsLinked: 6, TestsRun: 6}},
			benchSample{Scenario: "test:private-body", Tool: "rbuild", Rep: rep1,
				sample: sample{Seconds: 3 + float64(rep1), Compiled: 2, CutOff: 14, Relinked: 7, TestsLinked: 5, TestsRun: 6}})
	}
	rep.summarize()
	s := rep.Summary[len(rep.Summary)-1]
	if s.Scenario != "test:private-body" || s.Tool != "rbuild" || s.TestsLinked != 5 || s.TestsRun != 6 || math.Abs(s.Ratio-5.0/14) > 1e-9 {
		t.Errorf("summary of test:private-body/rbuild: %+v", s)
	}
	golden(t, "report-tests.md.golden", rep.markdown())
}

func TestTestsRun(t *testing.T) {
	stderr := "   Compiling x v0.1.0\n     Running `rustc --crate-name x`\n" +
		"     Running unittests src/lib.rs (target/debug/deps/x-1)\n" +
		"     Running tests/it.rs (target/debug/deps/it-2)\n   Doc-tests x\n"
	if n := testsRun([]byte(stderr)); n != 2 {
		t.Errorf("testsRun = %d, want 2", n)
	}
}

func TestCargoCompiledCountsTests(t *testing.T) {
	out := `{"reason":"compiler-artifact","fresh":false,"profile":{"test":false},"executable":null}
running 1 test
{"reason":"compiler-artifact","fresh":false,"profile":{"test":true},"executable":"/t/x-1"}
{"reason":"compiler-artifact","fresh":true,"profile":{"test":true},"executable":"/t/y-1"}
{"reason":"compiler-artifact","fresh":false,"profile":{"test":false},"executable":"/t/bin"}
`
	if c, tests := cargoCompiled([]byte(out)); c != 3 || tests != 1 {
		t.Errorf("cargoCompiled = %d compiled, %d tests; want 3, 1", c, tests)
	}
}

// TestTestLoopCommands: the timed test run takes every test argument;
// the build after the revert only cargo's, with --no-run.
func TestTestLoopCommands(t *testing.T) {
	o := &Options{Profile: "release", TestArgs: []string{"--workspace", "--exclude", "memchr", "--", "--skip", "slow"}}
	sc := scenario{Name: "test:leaf", Command: "test"}
	if sub, args := o.command(sc, true); sub != "test" || strings.Join(args, " ") != "--release --workspace --exclude memchr -- --skip slow" {
		t.Errorf("timed: %s %v", sub, args)
	}
	if sub, args := o.command(sc, false); sub != "test" || strings.Join(args, " ") != "--no-run --release --workspace --exclude memchr" {
		t.Errorf("untimed: %s %v", sub, args)
	}
	if sub, args := o.command(scenario{Name: "leaf"}, true); sub != "build" || strings.Join(args, " ") != "--release" {
		t.Errorf("build: %s %v", sub, args)
	}
	o.Loops = []string{"test"}
	if o.wantLoop(scenario{Name: "leaf"}) || !o.wantLoop(sc) {
		t.Errorf("--loop test: wantLoop wrong")
	}
}
