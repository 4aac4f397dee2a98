package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"rbuild/build"
)

// TestTimingsReport builds the chain workspace with --timings, clean and
// after a private edit in its bottom crate (three compiles cut off, one
// relink), and has the real Chromium render each report: the page must
// say it rendered (data-status="ok"), draw one bar per action, show no
// error and log no uncaught exception; a screenshot must show the bars.
// The .ninja_log of each build is checked against the v5 format, and
// ninja 1.11 (which reads v5) must read and keep it.
func TestTimingsReport(t *testing.T) {
	requireTool(t, "chromium")
	dir := copyWorkspace(t, "chain")
	os.RemoveAll(filepath.Join(dir, "target")) // a clean build, whatever the source tree holds

	report := timingsBuild(t, dir)
	n := actionCount(t, dir)
	dom := renderReport(t, report)
	checkRendered(t, dom, n)
	checkNinjaLog(t, dir, n)
	t.Run("ninja restat keeps the log", func(t *testing.T) { ninjaRestat(t, dir) })

	src := filepath.Join(dir, "a", "src", "lib.rs")
	body := string(readFile(t, src))
	if !strings.Contains(body, "x * 2\n") {
		t.Fatal("a/src/lib.rs has no `x * 2` to edit")
	}
	if err := os.WriteFile(src, []byte(strings.Replace(body, "x * 2\n", "x * 2 + 1\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	second := timingsBuild(t, dir)
	if second == report {
		t.Fatalf("the second build wrote over the first report %s", report)
	}
	dom = renderReport(t, second)
	checkRendered(t, dom, n)
	for outcome, want := range map[string]int{"compile": 1, "cutoff": 3, "relink": 1, "fresh": 0} {
		if got := strings.Count(dom, `data-outcome="`+outcome+`"`); got != want {
			t.Errorf("after the edit: %d %s bars, want %d", got, outcome, want)
		}
	}
	if !strings.Contains(dom, `class="bar critical"`) {
		t.Error("no bar is on the critical path")
	}
	checkNinjaLog(t, dir, 2) // a's compile and the relink

	screenshot(t, second)

	// A report that cannot be written is a warning, not a failed build.
	timings := filepath.Join(dir, "target", "rbuild", "timings")
	if err := os.RemoveAll(timings); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(timings, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := mustRbuild(t, dir, nil, "build", "--timings")
	if !strings.Contains(r.stderr, "warning: write timing report:") || strings.Contains(r.stderr, "Timing report saved") {
		t.Errorf("unwritable report dir:\n%s", r.stderr)
	}
}

// A failed build still gets its report: what finished, and where it stopped.
func TestTimingsReportOfFailedBuild(t *testing.T) {
	requireTool(t, "chromium")
	dir := copyWorkspace(t, "compileerror")
	r := rbuild(t, dir, nil, "build", "--timings")
	if r.code != 101 {
		t.Fatalf("compileerror built with exit %d:\n%s", r.code, r.stderr)
	}
	m := reportLine.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no `Timing report saved to` line after the failure:\n%s", r.stderr)
	}
	checkRendered(t, renderReport(t, m[1]), 0)
}

func TestTimingsFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"build", "--timings"}, true},
		{[]string{"build", "--timings=html"}, true},
		{[]string{"check", "--timings"}, true},
		{[]string{"test", "--timings", "--no-run"}, true},
		{[]string{"run", "--timings", "--bin", "app"}, true},
		{[]string{"build", "--timings=json"}, false},
		{[]string{"gen", "ninja", "--timings"}, false},
		{[]string{"explain", "--timings"}, false},
		{[]string{"build", "--build-plan", "plan.json", "--timings"}, false},
	} {
		o, err := parseArgs(c.args)
		if ok := err == nil && o.timings; ok != c.ok {
			t.Errorf("%q: timings %v, error %v", c.args, ok, err)
		}
	}
}

var reportLine = regexp.MustCompile(`(?m)^ +Timing report saved to (.+/target/rbuild/timings/rbuild-timing-\d{8}T\d{6}(?:-\d+)?\.html)$`)

func timingsBuild(t *testing.T, dir string) string {
	t.Helper()
	r := mustRbuild(t, dir, nil, "build", "--timings")
	m := reportLine.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no `Timing report saved to` line:\n%s", r.stderr)
	}
	if !strings.HasPrefix(m[1], dir) {
		t.Errorf("report %s is outside the workspace %s", m[1], dir)
	}
	return m[1]
}

// actionCount is the number of actions of the last build, from its explain file.
func actionCount(t *testing.T, dir string) int {
	t.Helper()
	var entries []build.ExplainEntry
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "rbuild", "last-build.json")), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) < 5 {
		t.Fatalf("chain has %d actions, want at least a, b, c, app and its link", len(entries))
	}
	return len(entries)
}

func chromium(t *testing.T, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-background-networking", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, "chromium", append(base, args...)...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, lastLinesOf(se.Bytes(), 30))
	}
	return so.String(), se.String()
}

// renderReport returns the DOM after the page's script ran, failing on
// any exception the browser logged.
func renderReport(t *testing.T, report string) string {
	t.Helper()
	dom, log := chromium(t, "--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+report)
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "Uncaught") {
			t.Errorf("%s: the browser logged %s", filepath.Base(report), line)
		}
	}
	return dom
}

var (
	bodyTag   = regexp.MustCompile(`<body[^>]*>`)
	errorsPre = regexp.MustCompile(`<pre id="errors"[^>]*>([^<]*)</pre>`)
)

func checkRendered(t *testing.T, dom string, bars int) {
	t.Helper()
	body := bodyTag.FindString(dom)
	if !strings.Contains(body, `data-status="ok"`) {
		t.Errorf("page did not render: %s", body)
	}
	if want := `data-bars="` + strconv.Itoa(bars) + `"`; !strings.Contains(body, want) {
		t.Errorf("page drew the wrong number of bars, want %s: %s", want, body)
	}
	if m := errorsPre.FindStringSubmatch(dom); m == nil {
		t.Error("page has no #errors element")
	} else if strings.TrimSpace(m[1]) != "" {
		t.Errorf("page shows errors: %s", m[1])
	}
}

// checkNinjaLog reads target/rbuild/.ninja_log by the v5 rules (ninja's
// BuildLog::Load, ninjatracing's read_targets): one line per process of
// the last build, in order of end time, each output a file of the
// workspace with its mtime.
func checkNinjaLog(t *testing.T, dir string, want int) {
	t.Helper()
	data := string(readFile(t, filepath.Join(dir, "target", "rbuild", ".ninja_log")))
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	if lines[0] != "# ninja log v5" || !strings.HasSuffix(data, "\n") {
		t.Fatalf(".ninja_log is not a v5 log:\n%s", data)
	}
	if len(lines)-1 != want {
		t.Errorf(".ninja_log has %d entries, want %d:\n%s", len(lines)-1, want, data)
	}
	hash := regexp.MustCompile(`^[0-9a-f]{16}$`)
	lastEnd := 0
	for _, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			t.Errorf("%q: %d fields, want 5", line, len(f))
			continue
		}
		start, err1 := strconv.Atoi(f[0])
		end, err2 := strconv.Atoi(f[1])
		mtime, err3 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || start < 0 || end < start || end < lastEnd {
			t.Errorf("%q: bad times (or ends before the line above)", line)
		}
		lastEnd = end
		if !hash.MatchString(f[4]) {
			t.Errorf("%q: hash is not 16 hex digits", line)
		}
		if filepath.IsAbs(f[3]) {
			t.Errorf("%q: output not relative to the workspace", line)
		}
		st, err := os.Stat(filepath.Join(dir, f[3]))
		if err != nil {
			t.Errorf("%q: %v", line, err)
		} else if st.ModTime().UnixNano() != mtime {
			t.Errorf("%q: mtime %d, the file's is %d", line, mtime, st.ModTime().UnixNano())
		}
	}
}

// ninjaRestat has the real ninja load the log and write it back with the
// outputs' mtimes. Ninja 1.11 reads v5 (later versions discard it, so
// there is nothing to check with them); a log it did not accept comes
// back missing or changed.
func ninjaRestat(t *testing.T, dir string) {
	requireTool(t, "ninja")
	out, err := exec.Command("ninja", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.TrimSpace(string(out)); !strings.HasPrefix(v, "1.10.") && !strings.HasPrefix(v, "1.11.") {
		t.Skipf("ninja %s reads only its own newer log versions", v)
	}
	work := t.TempDir()
	orig := readFile(t, filepath.Join(dir, "target", "rbuild", ".ninja_log"))
	// Outputs are relative to the workspace root: ninja stats them from
	// its working directory.
	if err := os.Symlink(filepath.Join(dir, "target"), filepath.Join(work, "target")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, ".ninja_log"), orig, 0o644); err != nil {
		t.Fatal(err)
	}
	tool(t, work, "ninja", "-t", "restat")
	back, err := os.ReadFile(filepath.Join(work, ".ninja_log"))
	if err != nil {
		t.Fatalf("ninja dropped the log: %v", err)
	}
	if got, want := normalLog(t, back), normalLog(t, orig); got != want {
		t.Errorf("ninja -t restat changed the log:\n%s\nwas\n%s", got, want)
	}
}

// normalLog puts a log's entries in order (ninja writes them in hash-map
// order) and its hashes in one form (ninja drops leading zeros).
func normalLog(t *testing.T, b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, line := range lines[1:] {
		f := strings.Split(line, "\t")
		h, err := strconv.ParseUint(f[len(f)-1], 16, 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		f[len(f)-1] = strconv.FormatUint(h, 16)
		lines[i+1] = strings.Join(f, "\t")
	}
	slices.Sort(lines[1:])
	return strings.Join(lines, "\n")
}

// screenshot renders the report at 1400×900 and looks for the colours of
// a compile bar and of a link bar in the picture.
func screenshot(t *testing.T, report string) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "shot.png")
	chromium(t, "--screenshot="+shot, "--window-size=1400,900", "file://"+report)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1400 || b.Dy() != 900 {
		t.Errorf("screenshot is %v, want 1400×900", b.Size())
	}
	compile := countColor(img, 0x3c, 0x6f, 0xd6)
	link := countColor(img, 0xe6, 0x96, 0x2a)
	if compile < 100 || link < 100 {
		t.Errorf("screenshot shows %d pixels of compile blue and %d of link orange, want bars of both", compile, link)
	}
}

func countColor(img image.Image, r, g, b uint8) int {
	near := func(x uint32, want uint8) bool { d := int(x>>8) - int(want); return d >= -6 && d <= 6 }
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, r) && near(pg, g) && near(pb, b) {
				n++
			}
		}
	}
	return n
}
