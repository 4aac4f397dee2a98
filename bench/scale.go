package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"rbuild/graph"
)

// The scale benchmark's build: a random DAG of N trivial actions, the
// same for rbuild (a build plan) and for ninja (a build.ninja). Action i
// reads its own source src/<i/1000>/<i> and the outputs of up to three
// random earlier actions, and writes out/<i/1000>/<i> (their checksums,
// so a changed input changes the output) and out/…/<i>.d, the dep-info
// that names its source: the one way a build plan learns of a source
// (ninja, which ignores the .d, lists it as an explicit input). Every
// action is one `/bin/sh -c` with one cksum: the same processes for both
// tools.

// ScaleDAG is one generated DAG: for each action, the earlier actions it
// reads.
type ScaleDAG struct {
	Deps [][]int
}

// GenerateScale makes the DAG of n actions from seed: the same seed, the
// same DAG.
func GenerateScale(n int, seed uint64) *ScaleDAG {
	r := rand.New(rand.NewPCG(seed, 0x5ca1e))
	d := &ScaleDAG{Deps: make([][]int, n)}
	for i := 1; i < n; i++ {
		k := r.IntN(min(3, i) + 1)
		for len(d.Deps[i]) < k {
			j := r.IntN(i)
			dup := false
			for _, x := range d.Deps[i] {
				dup = dup || x == j
			}
			if !dup {
				d.Deps[i] = append(d.Deps[i], j)
			}
		}
	}
	return d
}

func scaleSource(i int) string { return fmt.Sprintf("src/%03d/%d", i/1000, i) }
func scaleOutput(i int) string { return fmt.Sprintf("out/%03d/%d", i/1000, i) }

// Command is action i's shell command, relative to the tree's root.
func (d *ScaleDAG) Command(i int) string {
	var b strings.Builder
	b.WriteString("cksum " + scaleSource(i))
	for _, j := range d.Deps[i] {
		b.WriteString(" " + scaleOutput(j))
	}
	out := scaleOutput(i)
	fmt.Fprintf(&b, " > %s && echo '%s: %s' > %s.d", out, out, scaleSource(i), out)
	return b.String()
}

// WriteSources writes the N source files under root.
func (d *ScaleDAG) WriteSources(root string) error {
	for i := range d.Deps {
		p := filepath.Join(root, scaleSource(i))
		if i%1000 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("source %d\n", i)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WritePlan writes the DAG as a build plan for `rbuild build --build-plan`
// to root/plan.json; root must be absolute.
func (d *ScaleDAG) WritePlan(root string) error {
	plan := graph.BuildPlan{Invocations: make([]graph.Invocation, len(d.Deps)), Inputs: []string{}}
	for i := range d.Deps {
		out := filepath.Join(root, scaleOutput(i))
		plan.Invocations[i] = graph.Invocation{Deps: append([]int{}, d.Deps[i]...), Outputs: []string{out, out + ".d"},
			Program: "/bin/sh", Args: []string{"-c", d.Command(i)}, Cwd: root}
	}
	data, err := json.Marshal(plan)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "plan.json"), data, 0o644)
}

// WriteNinja writes the DAG as root/build.ninja.
func (d *ScaleDAG) WriteNinja(root string) error {
	f, err := os.Create(filepath.Join(root, "build.ninja"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.WriteString("rule sh\n  command = $cmd\n\n")
	for i := range d.Deps {
		fmt.Fprintf(w, "build %s: sh %s", scaleOutput(i), scaleSource(i))
		for _, j := range d.Deps[i] {
			w.WriteString(" " + scaleOutput(j))
		}
		// No '$' in a command: nothing to escape.
		fmt.Fprintf(w, "\n  cmd = %s\n", d.Command(i))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
