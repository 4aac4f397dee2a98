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
	if err != nil || len(rows) != 1+12 || strings.Join(rows[0], ",") != "scenario,tool,rep,seconds,compiled,cut_off,relinked" {
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
