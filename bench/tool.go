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

// sample is one timed build: its wall time and what it rebuilt.
type sample struct {
	Seconds  float64 `json:"seconds"`
	Compiled int     `json:"compiled"`
	CutOff   int     `json:"cut_off"`
	Relinked int     `json:"relinked"`
}

func (t *benchTool) env() []string {
	env := append(slices.Clone(t.baseEnv), "CARGO_TARGET_DIR="+t.targetDir)
	if t.noIncr {
		env = append(env, "CARGO_INCREMENTAL=0")
	}
	return env
}

// build runs one build in root and measures it. cargo's units compiled
// are its compiler artifacts that were not fresh; rbuild's come from the
// counts its build records.
func (t *benchTool) build(ctx context.Context, root string, profileArgs []string) (sample, error) {
	var cmd *exec.Cmd
	if t.rbuild {
		cmd = exec.CommandContext(ctx, t.self, append([]string{"build", "--color", "never"}, profileArgs...)...)
	} else {
		cmd = exec.CommandContext(ctx, "cargo", append([]string{"build", "--message-format=json-render-diagnostics"}, profileArgs...)...)
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
		return s, fmt.Errorf("%s build failed (%v):\n%s", t.Name, err, lastLines(stderr.String(), 20))
	}
	if t.rbuild {
		c, err := build.ReadCounts(t.targetDir, start)
		if err != nil {
			return s, fmt.Errorf("%s build: %w", t.Name, err)
		}
		s.Compiled, s.CutOff, s.Relinked = c.Compiled, c.CutOff, c.Relinked
		return s, nil
	}
	s.Compiled = cargoCompiled(stdout.Bytes())
	return s, nil
}

// cargoCompiled counts the compiler-artifact messages with "fresh": false
// in cargo's JSON messages.
func cargoCompiled(stdout []byte) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for sc.Scan() {
		var m struct {
			Reason string `json:"reason"`
			Fresh  *bool  `json:"fresh"`
		}
		if json.Unmarshal(sc.Bytes(), &m) == nil && m.Reason == "compiler-artifact" && m.Fresh != nil && !*m.Fresh {
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
