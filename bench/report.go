package bench

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"rbuild/internal/atomicfile"
)

// Report is what `rbuild bench` found, in every output form.
type Report struct {
	Workspace string        `json:"workspace"`
	Profile   string        `json:"profile"`
	Reps      int           `json:"reps"`
	Tools     []string      `json:"tools"`
	Crate     *builtinCrate `json:"crate,omitempty"`
	Scenarios []scenario    `json:"scenarios"`
	Samples   []benchSample `json:"samples"`
	Summary   []Summary     `json:"summary"`
}

// Summary is one scenario and tool over all reps. Ratio is its
// median time over the first tool's.
type Summary struct {
	Scenario string  `json:"scenario"`
	Tool     string  `json:"tool"`
	Median   float64 `json:"median_seconds"`
	Min      float64 `json:"min_seconds"`
	Max      float64 `json:"max_seconds"`
	Compiled int     `json:"compiled"`
	CutOff   int     `json:"cut_off"`
	Relinked int     `json:"relinked"`
	// Of a test scenario: test executables linked and run.
	TestsLinked int     `json:"tests_linked"`
	TestsRun    int     `json:"tests_run"`
	Ratio       float64 `json:"ratio"`
}

func (r *benchRun) report() *Report {
	rep := &Report{Workspace: r.root, Profile: r.opt.Profile, Reps: r.opt.Reps, Crate: r.crate,
		Scenarios: r.scenarios, Samples: r.samples}
	for _, t := range r.tools {
		rep.Tools = append(rep.Tools, t.Name)
	}
	rep.summarize()
	return rep
}

func (rep *Report) summarize() {
	rep.Summary = nil
	for _, sc := range rep.Scenarios {
		var base float64
		for i, tool := range rep.Tools {
			var secs []float64
			var comp, cut, rel, tl, tr []int
			for _, s := range rep.Samples {
				if s.Scenario == sc.Name && s.Tool == tool {
					secs = append(secs, s.Seconds)
					comp, cut, rel = append(comp, s.Compiled), append(cut, s.CutOff), append(rel, s.Relinked)
					tl, tr = append(tl, s.TestsLinked), append(tr, s.TestsRun)
				}
			}
			if len(secs) == 0 {
				continue
			}
			m := median(secs)
			if i == 0 {
				base = m
			}
			sum := Summary{Scenario: sc.Name, Tool: tool, Median: m, Min: slices.Min(secs), Max: slices.Max(secs),
				Compiled: medianInt(comp), CutOff: medianInt(cut), Relinked: medianInt(rel),
				TestsLinked: medianInt(tl), TestsRun: medianInt(tr)}
			if base > 0 {
				sum.Ratio = m / base
			}
			rep.Summary = append(rep.Summary, sum)
		}
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// medianInt is the lower median: a count that some rep really had.
func medianInt(xs []int) int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func (rep *Report) isCargo(tool string) bool { return strings.HasPrefix(tool, "cargo") }

// hasTests: the report has test-loop rows, and so the test columns.
func (rep *Report) hasTests() bool { return slices.ContainsFunc(rep.Scenarios, scenario.isTest) }

func (rep *Report) isTest(name string) bool {
	i := slices.IndexFunc(rep.Scenarios, func(sc scenario) bool { return sc.Name == name })
	return i >= 0 && rep.Scenarios[i].isTest()
}

// markdown is the report printed on stdout.
func (rep *Report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## rbuild bench: %s, profile %s, %d rep(s)\n\n", filepath.Base(rep.Workspace), rep.Profile, rep.Reps)
	if c := rep.Crate; c != nil {
		fmt.Fprintf(&b, "Edited crate: **%s** (%s): %d of the build's other %d packages depend on it, more than on any other path package.\n\n",
			c.Name, c.Root, c.Dependents, c.Packages-1)
	}
	tests := rep.hasTests()
	testCols, testRule := "", ""
	if tests {
		testCols, testRule = " test exes linked | test exes run |", "---:|---:|"
	}
	fmt.Fprintf(&b, "| scenario | tool | median | min | max | compiled | cut off | relinked |%s vs %s |\n", testCols, rep.Tools[0])
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|" + testRule + "---:|\n")
	for _, s := range rep.Summary {
		cut, rel := strconv.Itoa(s.CutOff), strconv.Itoa(s.Relinked)
		if rep.isCargo(s.Tool) {
			cut, rel = "–", "–"
		}
		testVals := ""
		if tests && rep.isTest(s.Scenario) {
			testVals = fmt.Sprintf(" %d | %d |", s.TestsLinked, s.TestsRun)
		} else if tests {
			testVals = " – | – |"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %s | %s |%s %s |\n", s.Scenario, s.Tool,
			secs(s.Median), secs(s.Min), secs(s.Max), s.Compiled, cut, rel, testVals, ratio(s.Ratio))
	}
	b.WriteString("\nScenarios:\n")
	for _, sc := range rep.Scenarios {
		fmt.Fprintf(&b, "- **%s**: %s\n", sc.Name, sc.What)
	}
	b.WriteString("\ncompiled: units rustc compiled (cargo: its non-fresh compiler artifacts; rbuild: its build record), " +
		"cut off: compiles skipped because their dependencies' interface did not change, relinked: executables only re-linked.\n")
	if tests {
		b.WriteString("\ntest:* rows time the whole `cargo test` / `rbuild test` after the edit, to the last test's result. " +
			"test exes linked: test executables written (cargo: compiled and linked; rbuild: linked or relinked); " +
			"test exes run: the \"Running\" lines (doctests not counted).\n")
	}
	return b.String()
}

func secs(s float64) string {
	if s < 0.1 {
		return fmt.Sprintf("%.3fs", s)
	}
	return fmt.Sprintf("%.2fs", s)
}

func ratio(r float64) string {
	if r == 0 {
		return "–"
	}
	if r < 0.1 {
		return fmt.Sprintf("%.3f×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}

// write puts bench.md, bench.csv (one row per measured build), bench.json
// and bench.svg in dir.
func (rep *Report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	var c bytes.Buffer
	w := csv.NewWriter(&c)
	w.Write([]string{"scenario", "tool", "rep", "seconds", "compiled", "cut_off", "relinked", "tests_linked", "tests_run"})
	for _, s := range rep.Samples {
		w.Write([]string{s.Scenario, s.Tool, strconv.Itoa(s.Rep), strconv.FormatFloat(s.Seconds, 'f', 4, 64),
			strconv.Itoa(s.Compiled), strconv.Itoa(s.CutOff), strconv.Itoa(s.Relinked),
			strconv.Itoa(s.TestsLinked), strconv.Itoa(s.TestsRun)})
	}
	w.Flush()
	for name, data := range map[string][]byte{"bench.md": []byte(rep.markdown()), "bench.json": append(js, '\n'),
		"bench.csv": c.Bytes(), "bench.svg": []byte(rep.svg())} {
		if err := atomicfile.Write(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (rep *Report) files(dir string) []string {
	var out []string
	for _, n := range []string{"bench.md", "bench.csv", "bench.json", "bench.svg"} {
		out = append(out, filepath.Join(dir, n))
	}
	return out
}

// Tool colours of the chart, in --tools order.
var svgColors = []string{"#7f8c8d", "#c0392b", "#95a5a6", "#e67e22", "#2980b9", "#27ae60"}

// svg draws the medians as grouped bars: one group per scenario, one bar
// per tool, the ratio to the first tool above each other bar.
func (rep *Report) svg() string {
	const (
		left, top, plotH, barW, gap = 64, 48, 260, 26, 34
	)
	nt := len(rep.Tools)
	groupW := nt*barW + gap
	width := left + len(rep.Scenarios)*groupW + 20
	height := top + plotH + 90
	maxV := 0.0
	for _, s := range rep.Summary {
		maxV = max(maxV, s.Median)
	}
	step := niceStep(maxV / 5)
	axisMax := math.Max(step, math.Ceil(maxV/step)*step)
	y := func(v float64) float64 { return top + plotH - v/axisMax*plotH }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="15" font-weight="bold">%s</text>`+"\n", left,
		html.EscapeString(fmt.Sprintf("rbuild bench: %s, profile %s, median of %d", filepath.Base(rep.Workspace), rep.Profile, rep.Reps)))
	decimals := max(0, int(-math.Floor(math.Log10(step))))
	for k := 0; float64(k)*step <= axisMax+step/2; k++ {
		v := float64(k) * step
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, width-10, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y(v)+4, strconv.FormatFloat(v, 'f', decimals, 64)+"s")
	}
	for gi, sc := range rep.Scenarios {
		gx := left + gi*groupW + gap/2
		for ti, tool := range rep.Tools {
			i := slices.IndexFunc(rep.Summary, func(s Summary) bool { return s.Scenario == sc.Name && s.Tool == tool })
			if i < 0 {
				continue
			}
			s := rep.Summary[i]
			x := gx + ti*barW
			h := float64(top+plotH) - y(s.Median)
			fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s</title></rect>`+"\n",
				x, y(s.Median), barW-4, math.Max(h, 0.5), svgColors[ti%len(svgColors)],
				html.EscapeString(fmt.Sprintf("%s, %s: median %s, %d compiled", sc.Name, tool, secs(s.Median), s.Compiled)))
			label := secs(s.Median)
			if ti > 0 {
				label = ratio(s.Ratio)
			}
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="middle" font-size="10">%s</text>`+"\n",
				x+(barW-4)/2, y(s.Median)-4, html.EscapeString(label))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", gx+nt*barW/2, top+plotH+18, html.EscapeString(sc.Name))
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333"/>`+"\n", left, width-10, top+plotH, top+plotH)
	for ti, tool := range rep.Tools {
		lx := left + ti*130
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`+"\n", lx, top+plotH+40, svgColors[ti%len(svgColors)])
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", lx+16, top+plotH+51, html.EscapeString(tool))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">%s</text>`+"\n", left, top+plotH+76,
		html.EscapeString(fmt.Sprintf("bar labels: time relative to %s (lower is faster)", rep.Tools[0])))
	b.WriteString("</svg>\n")
	return b.String()
}

// niceStep rounds a raw axis step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}
