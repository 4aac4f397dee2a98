package bench

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"rbuild/cargometa"
)

// The scale DAG is a function of its seed, every action reads only
// earlier ones, and the build plan and the build.ninja written from it
// hold the same N actions with the same commands.
func TestGenerateScale(t *testing.T) {
	a, b := GenerateScale(500, 7), GenerateScale(500, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two DAGs from one seed differ")
	}
	if reflect.DeepEqual(a, GenerateScale(500, 8)) {
		t.Fatal("two seeds gave the same DAG")
	}
	edges := 0
	for i, deps := range a.Deps {
		seen := map[int]bool{}
		for _, j := range deps {
			if j >= i || seen[j] {
				t.Fatalf("action %d reads %v: want distinct earlier actions", i, deps)
			}
			seen[j] = true
		}
		edges += len(deps)
	}
	if edges < 500 || edges > 1500 {
		t.Errorf("%d edges among 500 actions: want about 1.5 per action", edges)
	}

	root := t.TempDir()
	if err := a.WritePlan(root); err != nil {
		t.Fatal(err)
	}
	if err := a.WriteNinja(root); err != nil {
		t.Fatal(err)
	}
	if err := a.WriteSources(root); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	g, plan, err := cargometa.ReadBuildPlan(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Actions) != 500 {
		t.Fatalf("the plan has %d actions, want 500", len(g.Actions))
	}
	ninja, err := os.ReadFile(filepath.Join(root, "build.ninja"))
	if err != nil {
		t.Fatal(err)
	}
	for i, inv := range plan.Invocations {
		cmd := inv.Args[len(inv.Args)-1]
		if !strings.Contains(string(ninja), "\n  cmd = "+cmd+"\n") {
			t.Fatalf("build.ninja has no action with invocation %d's command %q", i, cmd)
		}
	}
	if n := strings.Count(string(ninja), "\nbuild "); n != 500 {
		t.Errorf("build.ninja has %d build statements, want 500", n)
	}
	if _, err := os.Stat(filepath.Join(root, scaleSource(499))); err != nil {
		t.Error(err)
	}
}

func TestScaleExponent(t *testing.T) {
	rep := &ScaleReport{Rows: []ScaleRow{{N: 1000, Tool: "a", NoopMS: 10}, {N: 10000, Tool: "a", NoopMS: 100}, {N: 100000, Tool: "a", NoopMS: 1000},
		{N: 1000, Tool: "b", NoopMS: 10}, {N: 100000, Tool: "b", NoopMS: 100000}}}
	got := rep.exponent(func(r ScaleRow) float64 { return r.NoopMS })
	if d := got["a"] - 1; d > 1e-9 || d < -1e-9 {
		t.Errorf("linear growth: exponent %v, want 1", got["a"])
	}
	if d := got["b"] - 2; d > 1e-9 || d < -1e-9 {
		t.Errorf("quadratic growth: exponent %v, want 2", got["b"])
	}
}
