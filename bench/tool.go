package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"rbuild/build"
)

// benchTool is one way of building the workspace that the bench compares.
type benchTool struct {
	Name      string
	rbuild    bool // else cargo
	noIncr    bool // CARGO_INCREMENTAL=0
	targetDir string
	self      string   // the rbuild executable
	baseEnv   []string // the environment it runs in, before its own target dir
}

// ToolNames are the tools Options.Tools may name.
var ToolNames = []string{"cargo", "rbuild", "cargo-noincr", "rbuild-noincr"}

// parseTools reads --tools: each tool builds into its own target dir under
// base, so that one's state never helps or hinders another.
func parseTools(list []string, base, self string, env []string) ([]*benchTool, error) {
	var out []*benchTool
	seen := map[string]bool{}
	for _, name := range list {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if seen[name] {
			return nil, fmt.Errorf("--tools: %s is listed twice", name)
		}
		seen[name] = true
		t := &benchTool{Name: name, targetDir: filepath.Join(base, name), self: self, baseEnv: env}
		switch name {
		case "cargo":
		case "rbuild":
			t.rbuild = true
		case "cargo-noincr":
			t.noIncr = true
		case "rbuild-noincr":
			t.rbuild, t.noIncr = true, true
		default:
			return nil, fmt.Errorf("--tools: unknown tool %q (want a comma-separated list of %s)", name, strings.Join(ToolNames, ", "))
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--tools: no tool given")
	}
	return out, nil
}

// sample is one timed build or test run: its wall time and what it
// rebuilt. The test counts are for test runs only.
type sample struct {
	Seconds  float64 `json:"seconds"`
	Compiled int     `json:"compiled"`
	CutOff   int     `json:"cut_off"`
	Relinked int     `json:"relinked"`
	// TestsLinked: test executables written (cargo: compiled and linked;
	// rbuild: linked or relinked); TestsRun: test executables run, the
	// "Running" lines (doctests are not counted).
	TestsLinked int `json:"tests_linked"`
	TestsRun    int `json:"tests_run"`
}

func (t *benchTool) env() []string {
	env := append(slices.Clone(t.baseEnv), "CARGO_TARGET_DIR="+t.targetDir)
	if t.noIncr {
		env = append(env, "CARGO_INCREMENTAL=0")
	}
	return env
}

// run runs `cargo SUB ARGS` or `rbuild SUB ARGS` (SUB is build or test)
// in root and measures it to its end: for test, the last test's result.
// cargo's units compiled are its compiler artifacts that were not fresh;
// rbuild's come from the counts its build records.
func (t *benchTool) run(ctx context.Context, root, sub string, args []string) (sample, error) {
	var cmd *exec.Cmd
	if t.rbuild {
		cmd = exec.CommandContext(ctx, t.self, append([]string{sub, "--color", "never"}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, "cargo", append([]string{sub, "--message-format=json-render-diagnostics"}, args...)...)
	}
	cmd.Dir, cmd.Env = root, t.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	s := sample{Seconds: time.Since(start).Seconds()}
	if err != nil {
		if ctx.Err() != nil {
			return s, ctx.Err()
		}
		return s, fmt.Errorf("%s %s failed (%v):\n%s", t.Name, sub, err, lastLines(stderr.String(), 20))
	}
	s.TestsRun = testsRun(stderr.Bytes())
	if t.rbuild {
		c, err := build.ReadCounts(t.targetDir, start)
		if err != nil {
			return s, fmt.Errorf("%s %s: %w", t.Name, sub, err)
		}
		s.Compiled, s.CutOff, s.Relinked, s.TestsLinked = c.Compiled, c.CutOff, c.Relinked, c.TestsLinked
		return s, nil
	}
	s.Compiled, s.TestsLinked = cargoCompiled(stdout.Bytes())
	return s, nil
}

// cargoCompiled counts the compiler-artifact messages with "fresh": false
// in cargo's JSON messages, and among them the test executables. A test
// run's stdout also holds the tests' own output, which is no JSON.
func cargoCompiled(stdout []byte) (compiled, tests int) {
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for sc.Scan() {
		var m struct {
			Reason  string `json:"reason"`
			Fresh   *bool  `json:"fresh"`
			Profile struct {
				Test bool `json:"test"`
			} `json:"profile"`
			Executable *string `json:"executable"`
		}
		if json.Unmarshal(sc.Bytes(), &m) == nil && m.Reason == "compiler-artifact" && m.Fresh != nil && !*m.Fresh {
			compiled++
			if m.Profile.Test && m.Executable != nil {
				tests++
			}
		}
	}
	return compiled, tests
}

// testsRun counts the test executables a test run ran: cargo's and
// rbuild's "     Running unittests src/lib.rs (…)" lines. A command line
// shown with -v ("Running `rustc …`") is no test.
func testsRun(stderr []byte) int {
	n := 0
	for _, line := range strings.Split(string(stderr), "\n") {
		rest, ok := strings.CutPrefix(strings.TrimLeft(line, " "), "Running ")
		if ok && !strings.HasPrefix(rest, "`") {
			n++
		}
	}
	return n
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
