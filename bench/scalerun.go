package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"rbuild/internal/atomicfile"
)

// ScaleOptions say what `rbuild bench --scale` measures. The caller
// parses flags; RunScale reads no flag and changes no variable of its own
// process.
type ScaleOptions struct {
	Sizes    []int     // numbers of actions
	Reps     int       // timed no-op builds per size and tool
	Jobs     int       // -j of both tools
	Seed     uint64    // the DAGs' seed
	Out      string    // the trees and the report; default $TMPDIR/rbuild-scale
	Self     string    // the rbuild executable
	Ninja    string    // the ninja executable; default "ninja"
	Env      []string  // the tools' environment; default the process's
	Stdout   io.Writer // the markdown report
	Progress io.Writer // one line per build
}

// ScaleRow is one size and tool.
type ScaleRow struct {
	N    int    `json:"n"`
	Tool string `json:"tool"`
	// FullSeconds is the clean build; its peak RSS FullRSSMB.
	FullSeconds float64 `json:"full_seconds"`
	FullRSSMB   float64 `json:"full_rss_mb"`
	// FirstNoopMS is the first build after the clean one (rbuild's takes
	// the slow path there and leaves its no-op snapshot).
	FirstNoopMS float64 `json:"first_noop_ms"`
	// NoopMS is the median of the timed no-op builds after it; their
	// peak RSS NoopRSSMB (the median too).
	NoopMS    float64   `json:"noop_ms"`
	NoopRSSMB float64   `json:"noop_rss_mb"`
	NoopAll   []float64 `json:"noop_all_ms"`
}

// ScaleReport is what RunScale found.
type ScaleReport struct {
	Seed uint64     `json:"seed"`
	Jobs int        `json:"jobs"`
	Reps int        `json:"reps"`
	Rows []ScaleRow `json:"rows"`
	// Exponents: per tool, the least-squares slope of log(no-op time)
	// over log(N): 1 is linear.
	NoopExponent map[string]float64 `json:"noop_exponent"`
	FullExponent map[string]float64 `json:"full_exponent"`
	RSSNote      string             `json:"rss_note,omitempty"`
}

// scaleTool is rbuild or ninja building one tree.
type scaleTool struct {
	name string
	root string
	argv []string
	env  []string
	// timeCmd is GNU time, which measures the peak RSS: wait4's maxrss of
	// a child Go starts counts the Go parent's own RSS (the child shares
	// its memory until exec), GNU time's child starts from a small one.
	timeCmd string
}

// run builds once and returns the wall time, the peak RSS (the tool's or
// its largest child's) and what it printed.
func (t *scaleTool) run(ctx context.Context) (time.Duration, float64, string, error) {
	argv := t.argv
	rssFile := filepath.Join(filepath.Dir(t.root), t.name+".maxrss")
	if t.timeCmd != "" {
		argv = append([]string{t.timeCmd, "-o", rssFile, "-f", "%M"}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = t.root, t.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return took, 0, "", ctx.Err()
		}
		return took, 0, "", fmt.Errorf("%s in %s failed (%v):\n%s", t.name, t.root, err, lastLines(out.String(), 20))
	}
	var rss float64
	if t.timeCmd != "" {
		data, err := os.ReadFile(rssFile)
		if err != nil {
			return took, 0, "", err
		}
		kb, err := strconv.ParseFloat(strings.TrimSpace(lastLines(string(data), 1)), 64)
		if err != nil {
			return took, 0, "", fmt.Errorf("%s: peak RSS from %s: %w", t.name, t.timeCmd, err)
		}
		rss = kb / 1024
	} else if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return took, rss, out.String(), nil
}

// RunScale generates, for each size, the same DAG for rbuild and for
// ninja in trees of their own, builds each clean, then times no-op builds
// A B A B … (the order swapped every rep), and reports side by side.
func RunScale(ctx context.Context, opt ScaleOptions) error {
	if opt.Reps < 1 {
		return &usageError{fmt.Errorf("--reps: want at least 1, got %d", opt.Reps)}
	}
	if len(opt.Sizes) == 0 {
		return &usageError{errors.New("--scale: no size given")}
	}
	for _, n := range opt.Sizes {
		if n < 1 {
			return &usageError{fmt.Errorf("--scale: want sizes of at least 1, got %d", n)}
		}
	}
	if opt.Jobs < 1 {
		opt.Jobs = 2
	}
	if opt.Ninja == "" {
		opt.Ninja = "ninja"
	}
	ninja, err := exec.LookPath(opt.Ninja)
	if err != nil {
		return fmt.Errorf("bench --scale needs ninja: %w", err)
	}
	if opt.Env == nil {
		opt.Env = os.Environ()
	}
	// The trees' logs stay in the trees.
	opt.Env = slices.DeleteFunc(slices.Clone(opt.Env), func(kv string) bool {
		return strings.HasPrefix(kv, "CARGO_TARGET_DIR=") || strings.HasPrefix(kv, "CARGO_BUILD_TARGET_DIR=")
	})
	if opt.Out == "" {
		opt.Out = filepath.Join(os.TempDir(), "rbuild-scale")
	}
	if opt.Out, err = filepath.Abs(opt.Out); err != nil {
		return err
	}
	rep := &ScaleReport{Seed: opt.Seed, Jobs: opt.Jobs, Reps: opt.Reps}
	timeCmd, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		timeCmd, rep.RSSNote = "", "no /usr/bin/time: peak RSS includes this bench's own (wait4's maxrss after Go's vfork)"
	}
	say := func(verb, text string) { fmt.Fprintf(opt.Progress, "%12s %s\n", verb, text) }
	j := strconv.Itoa(opt.Jobs)
	for _, n := range opt.Sizes {
		dag := GenerateScale(n, opt.Seed)
		dir := filepath.Join(opt.Out, strconv.Itoa(n))
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		tools := []*scaleTool{
			{name: "rbuild", root: filepath.Join(dir, "rbuild"), argv: []string{opt.Self, "build", "--build-plan", "plan.json", "-j", j}, env: opt.Env, timeCmd: timeCmd},
			{name: "ninja", root: filepath.Join(dir, "ninja"), argv: []string{ninja, "-j", j}, env: opt.Env, timeCmd: timeCmd},
		}
		for _, t := range tools {
			if err := dag.WriteSources(t.root); err != nil {
				return err
			}
		}
		if err := dag.WritePlan(tools[0].root); err != nil {
			return err
		}
		if err := dag.WriteNinja(tools[1].root); err != nil {
			return err
		}
		say("Generated", fmt.Sprintf("%d actions in %s", n, dir))
		rows := make([]ScaleRow, len(tools))
		for i, t := range tools {
			rows[i] = ScaleRow{N: n, Tool: t.name}
			took, rss, out, err := t.run(ctx)
			if err != nil {
				return err
			}
			if err := checkRan(t.name, out, n); err != nil {
				return err
			}
			rows[i].FullSeconds, rows[i].FullRSSMB = took.Seconds(), rss
			say("Built", fmt.Sprintf("%d actions with %s: %.2fs, peak RSS %.1f MB", n, t.name, took.Seconds(), rss))
		}
		for i, t := range tools {
			took, _, out, err := t.run(ctx)
			if err != nil {
				return err
			}
			if err := checkRan(t.name, out, 0); err != nil {
				return err
			}
			rows[i].FirstNoopMS = ms(took)
		}
		rss := make([][]float64, len(tools))
		for r := 0; r < opt.Reps; r++ {
			for k := range tools {
				i := k
				if r%2 == 1 {
					i = len(tools) - 1 - k
				}
				took, mb, out, err := tools[i].run(ctx)
				if err != nil {
					return err
				}
				if err := checkRan(tools[i].name, out, 0); err != nil {
					return err
				}
				rows[i].NoopAll = append(rows[i].NoopAll, ms(took))
				rss[i] = append(rss[i], mb)
			}
		}
		for i := range tools {
			rows[i].NoopMS, rows[i].NoopRSSMB = median(rows[i].NoopAll), median(rss[i])
			say("No-op", fmt.Sprintf("%d actions with %s: first %.1f ms, median %.1f ms, peak RSS %.1f MB",
				n, tools[i].name, rows[i].FirstNoopMS, rows[i].NoopMS, rows[i].NoopRSSMB))
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	rep.NoopExponent = rep.exponent(func(r ScaleRow) float64 { return r.NoopMS })
	rep.FullExponent = rep.exponent(func(r ScaleRow) float64 { return r.FullSeconds })
	md := rep.Markdown()
	fmt.Fprint(opt.Stdout, md)
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(opt.Out, "scale.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(opt.Out, "scale.md"), []byte(md), 0o644); err != nil {
		return err
	}
	say("Wrote", filepath.Join(opt.Out, "scale.md")+", "+filepath.Join(opt.Out, "scale.json"))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// checkRan makes sure a build did what it was timed for: all n actions,
// or none (rbuild's no-op snapshot says "nothing changed").
func checkRan(tool, out string, n int) error {
	switch {
	case tool == "ninja" && n == 0 && !strings.Contains(out, "no work to do"):
		return fmt.Errorf("ninja's no-op build did something:\n%s", lastLines(out, 10))
	case tool == "rbuild" && !strings.Contains(out, fmt.Sprintf("(%d of ", n)) && (n > 0 || !strings.Contains(out, "(nothing changed)")):
		return fmt.Errorf("rbuild's build did not run %d actions:\n%s", n, lastLines(out, 10))
	}
	return nil
}

// exponent fits log(y) = a + b·log(N) by least squares for each tool and
// returns b; with fewer than two sizes there is none.
func (rep *ScaleReport) exponent(y func(ScaleRow) float64) map[string]float64 {
	out := map[string]float64{}
	byTool := map[string][][2]float64{}
	for _, r := range rep.Rows {
		if v := y(r); v > 0 {
			byTool[r.Tool] = append(byTool[r.Tool], [2]float64{math.Log(float64(r.N)), math.Log(v)})
		}
	}
	for tool, pts := range byTool {
		if len(pts) < 2 {
			continue
		}
		var sx, sy, sxx, sxy float64
		for _, p := range pts {
			sx, sy, sxx, sxy = sx+p[0], sy+p[1], sxx+p[0]*p[0], sxy+p[0]*p[1]
		}
		k := float64(len(pts))
		if d := k*sxx - sx*sx; d != 0 {
			out[tool] = (k*sxy - sx*sy) / d
		}
	}
	return out
}

// Markdown is the report's table and exponents.
func (rep *ScaleReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| N | tool | full build | peak RSS (full) | first no-op | no-op (median of %d) | peak RSS (no-op) |\n", rep.Reps)
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.Rows {
		fmt.Fprintf(&b, "| %d | %s | %.1f s | %.1f MB | %.0f ms | %.1f ms | %.1f MB |\n",
			r.N, r.Tool, r.FullSeconds, r.FullRSSMB, r.FirstNoopMS, r.NoopMS, r.NoopRSSMB)
	}
	tools := []string{}
	for _, r := range rep.Rows {
		if !slices.Contains(tools, r.Tool) {
			tools = append(tools, r.Tool)
		}
	}
	if len(rep.NoopExponent) > 0 {
		b.WriteString("\nGrowth with N (least-squares exponent of time over N; 1 is linear):")
		for _, t := range tools {
			fmt.Fprintf(&b, " %s no-op N^%.2f, full build N^%.2f;", t, rep.NoopExponent[t], rep.FullExponent[t])
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n-j %d, seed %d; peak RSS: GNU time's maximum resident set size (the tool's, or its largest child's if larger).\n", rep.Jobs, rep.Seed)
	if rep.RSSNote != "" {
		b.WriteString("Peak RSS: " + rep.RSSNote + ".\n")
	}
	return b.String()
}
