package executor

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"rbuild/graph"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const msec = time.Millisecond

// pipelinedBuild is a build with every kind of span: b starts on a's
// .rmeta, app's compile on b's, the link waits for every rlib; c is quick
// and off the critical path; x was up to date and d cut off.
func pipelinedBuild() *Timings {
	const (
		a graph.ActionID = iota
		s
		b
		c
		app
		link
		x
		d
	)
	return &Timings{
		Command: "rbuild build --timings",
		Started: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		Setup:   42 * msec, Wall: 910 * msec, Jobs: 2,
		Spans: []Span{
			{Action: a, Label: "a v0.1.0 (lib)", Outcome: Compiled, Start: 0, Early: 150 * msec, End: 400 * msec,
				Output: "target/rbuild/debug/a/liba.rlib", Mtime: 1_700_000_000_400_000_000, CmdHash: 0xa},
			{Action: x, Label: "x v1.0.0 (lib)", Outcome: Fresh, Start: 5 * msec, End: 5 * msec, Reason: "up to date"},
			{Action: s, Label: "b v0.1.0 (build script run)", Kind: graph.RunScript, Outcome: ScriptRan, Start: 10 * msec,
				End: 50 * msec, Output: "target/rbuild/debug/b-run/output", Mtime: 1_700_000_000_050_000_000, CmdHash: 0x5},
			{Action: c, Label: "c v0.1.0 (lib)", Outcome: Compiled, Start: 155 * msec, Early: 200 * msec, End: 250 * msec,
				Inputs: []Input{{a, true}}, Output: "target/rbuild/debug/c/libc.rlib", Mtime: 3, CmdHash: 0xc},
			{Action: b, Label: "b v0.1.0 (lib) </script><b>&amp;", Outcome: Compiled, Start: 160 * msec, Early: 300 * msec,
				End: 500 * msec, Inputs: []Input{{a, true}, {s, false}}, Output: "target/rbuild/debug/b/libb.rlib",
				Mtime: 4, CmdHash: 0xb},
			{Action: app, Label: "app v0.1.0 (bin)", Outcome: Compiled, Start: 310 * msec, End: 600 * msec,
				Inputs: []Input{{b, true}, {c, true}}, Output: "target/rbuild/debug/app/app.rlink", Mtime: 5, CmdHash: 0xa99},
			{Action: d, Label: "d v0.1.0 (lib)", Outcome: CutOff, Start: 520 * msec, End: 520 * msec,
				Inputs: []Input{{b, true}}, Reason: "interface of b unchanged"},
			{Action: link, Label: "app v0.1.0 (bin link)", Kind: graph.Link, Outcome: Linked, Start: 605 * msec,
				End: 900 * msec, Inputs: []Input{{app, false}, {a, false}, {b, false}, {c, false}},
				Output: "target/debug/app", Mtime: 6, CmdHash: 0xffffffffffffffff},
		},
	}
}

func TestCriticalPath(t *testing.T) {
	tm := pipelinedBuild()
	var got []string
	for i, on := range tm.CriticalPath() {
		if on {
			got = append(got, tm.Spans[i].Label)
		}
	}
	want := []string{"a v0.1.0 (lib)", "b v0.1.0 (lib) </script><b>&amp;", "app v0.1.0 (bin)", "app v0.1.0 (bin link)"}
	if !slices.Equal(got, want) {
		t.Errorf("critical path\n got %q\nwant %q", got, want)
	}
}

// A repaired action has two spans; a consumer depends on the one whose
// output it could have read, not on one that came later.
func TestCriticalPathTakesTheSpanAvailableThen(t *testing.T) {
	tm := &Timings{Spans: []Span{
		{Action: 0, Label: "up, cut off", Outcome: CutOff, Start: 10 * msec, End: 10 * msec},
		{Action: 1, Label: "mid", Outcome: Compiled, Start: 20 * msec, End: 100 * msec, Inputs: []Input{{0, true}}},
		{Action: 0, Label: "up, repaired", Outcome: Compiled, Start: 120 * msec, Early: 150 * msec, End: 200 * msec},
		{Action: 2, Label: "top", Outcome: Compiled, Start: 210 * msec, End: 300 * msec, Inputs: []Input{{0, true}, {1, false}}},
	}}
	crit := tm.CriticalPath()
	if want := []bool{false, false, true, true}; !slices.Equal(crit, want) {
		t.Errorf("critical path %v, want %v", crit, want)
	}
}

func TestConcurrency(t *testing.T) {
	got := pipelinedBuild().Concurrency()
	want := []Step{{0, 1}, {10 * msec, 2}, {50 * msec, 1}, {155 * msec, 2}, {160 * msec, 3}, {250 * msec, 2},
		{310 * msec, 3}, {400 * msec, 2}, {500 * msec, 1}, {600 * msec, 0}, {605 * msec, 1}, {900 * msec, 0}}
	if !slices.Equal(got, want) {
		t.Errorf("concurrency\n got %v\nwant %v", got, want)
	}
}

func TestSlowestAndCounts(t *testing.T) {
	tm := pipelinedBuild()
	var got []string
	for _, i := range tm.Slowest(3) {
		got = append(got, tm.Spans[i].Label)
	}
	if want := []string{"a v0.1.0 (lib)", "b v0.1.0 (lib) </script><b>&amp;", "app v0.1.0 (bin link)"}; !slices.Equal(got, want) {
		t.Errorf("slowest %q, want %q", got, want)
	}
	want := Counts{Compiled: 4, Linked: 1, Scripts: 1, CutOff: 1, Fresh: 1}
	if c := tm.Counts(); c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
}

func TestTimingReport(t *testing.T) {
	var first, second bytes.Buffer
	if err := WriteTimingReport(&first, pipelinedBuild()); err != nil {
		t.Fatal(err)
	}
	if err := WriteTimingReport(&second, pipelinedBuild()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("two writes of the same timings differ")
	}
	page := first.String()
	// The label's "</script>" must stay inside the JSON.
	if n, want := strings.Count(page, "</script>"), strings.Count(reportPage, "</script>"); n != want {
		t.Errorf("page has %d </script> tags, the template %d: data escaped its block", n, want)
	}
	_, rest, _ := strings.Cut(page, `<script type="application/json" id="timing-data">`)
	raw, _, _ := strings.Cut(rest, "</script>")
	var d reportData
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		t.Fatalf("embedded data: %v\n%s", err, raw)
	}
	if d.Bars[4].Label != "b v0.1.0 (lib) </script><b>&amp;" || !d.Bars[4].Critical || d.Bars[4].Early != 300 {
		t.Errorf("bar of b came back as %+v", d.Bars[4])
	}
	if len(d.Bars) != 8 || d.Counts.CutOff != 1 || len(d.Slowest) != 6 || d.Jobs != 2 {
		t.Errorf("data: %d bars, counts %+v, %d slowest", len(d.Bars), d.Counts, len(d.Slowest))
	}
	for _, banned := range []string{"http://", "https://", "@import", "<link", " src="} {
		if strings.Contains(strings.ReplaceAll(page, "http://www.w3.org/2000/svg", ""), banned) {
			t.Errorf("page refers to something outside it: %q", banned)
		}
	}
	golden(t, "timings.html", first.Bytes())
}

// Timeline is fed from concurrent Prepare and Finished calls; Timings
// resolves labels, edges and outputs from the graph.
func TestTimelineRecordsRunsAndDecisions(t *testing.T) {
	dir := t.TempDir()
	g := graph.New()
	add := func(name string, kind graph.Kind, ins, outs []string, early string) *graph.Action {
		a, err := g.AddAction(&graph.Action{Name: name, Label: name, Kind: kind}, ins, outs, early)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	lib := filepath.Join(dir, "liba.rlib")
	meta := filepath.Join(dir, "liba.rmeta")
	a := add("a", graph.Compile, nil, []string{lib, meta}, meta)
	b := add("b", graph.Compile, []string{meta}, []string{filepath.Join(dir, "libb.rlib")}, "")
	l := add("app", graph.Link, []string{lib}, []string{filepath.Join(dir, "app")}, "")
	if err := os.WriteFile(lib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	zero := time.Now()
	tl := NewTimeline(g, zero, true)
	tl.Ran(a, Compiled, &Result{Start: zero, Early: zero.Add(20 * msec), End: zero.Add(50 * msec)}, [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
	tl.Skipped(b, CutOff, "interface of a unchanged")
	tl.Ran(l, Relinked, &Result{Start: zero.Add(60 * msec), End: zero.Add(90 * msec)}, [16]byte{})
	if !tl.RanAny() {
		t.Error("RanAny after two runs")
	}
	tm := tl.Timings(func(a *graph.Action) string { return "<" + a.Name + ">" },
		func(p string) string { return strings.TrimPrefix(p, dir+"/") })
	if len(tm.Spans) != 3 {
		t.Fatalf("%d spans", len(tm.Spans))
	}
	sa, sb, sl := tm.Spans[0], tm.Spans[1], tm.Spans[2]
	st, _ := os.Stat(lib)
	if sa.Label != "<a>" || sa.Early != 20*msec || sa.End != 50*msec || sa.Output != "liba.rlib" ||
		sa.Mtime != st.ModTime().UnixNano() || sa.CmdHash != 0x0102030405060708 {
		t.Errorf("a: %+v", sa)
	}
	if sb.Outcome != CutOff || sb.Start != sb.End || sb.Reason != "interface of a unchanged" ||
		!slices.Equal(sb.Inputs, []Input{{a.ID, true}}) || sb.Output != "" {
		t.Errorf("b: %+v", sb)
	}
	// The link's output does not exist: its mtime is the end of the run.
	if sl.Outcome != Relinked || sl.Mtime != zero.Add(90*msec).UnixNano() || !slices.Equal(sl.Inputs, []Input{{a.ID, false}}) {
		t.Errorf("link: %+v", sl)
	}

	quiet := NewTimeline(g, zero, false)
	quiet.Skipped(b, Fresh, "up to date")
	if quiet.RanAny() || len(quiet.Timings(func(*graph.Action) string { return "" }, nil).Spans) != 0 {
		t.Error("a timeline without skips recorded one")
	}
	var none *Timeline
	none.Ran(a, Compiled, &Result{}, [16]byte{})
	none.Skipped(a, Fresh, "")
	if none.RanAny() {
		t.Error("nil timeline")
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./executor -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./executor -update rewrites it)", name)
	}
}
