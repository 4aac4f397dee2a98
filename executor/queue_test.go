package executor

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"rbuild/graph"
)

// randomGraph is n actions, each reading the outputs of up to three
// random earlier ones.
func randomGraph(t *testing.T, n int, seed uint64) *graph.Graph {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	g := graph.New()
	for i := 0; i < n; i++ {
		seen := map[string]bool{}
		var ins []string
		for k := r.IntN(4); k > 0 && i > 0; k-- {
			if in := fmt.Sprintf("o%d", r.IntN(i)); !seen[in] {
				seen[in] = true
				ins = append(ins, in)
			}
		}
		if _, err := g.AddAction(&graph.Action{Name: fmt.Sprint(i)}, ins, []string{fmt.Sprintf("o%d", i)}, ""); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

// Above exactDependentsMax actions the dependents are counted by paths,
// in memory linear in the graph: an upper bound of the exact count, equal
// to it where no action is reached two ways, and capped as priorities
// cap it.
func TestDependentPathsBoundExactCount(t *testing.T) {
	const limit = 1<<dependentBits - 1
	for seed := uint64(1); seed <= 5; seed++ {
		g := randomGraph(t, 600, seed)
		exact, paths := dependentCounts(g), dependentPaths(g)
		for i := range exact {
			if paths[i] < min(exact[i], limit) || paths[i] > limit {
				t.Fatalf("seed %d, action %d: %d paths, %d dependents", seed, i, paths[i], exact[i])
			}
			if exact[i] <= 1 && paths[i] != exact[i] {
				t.Fatalf("seed %d, action %d: %d paths, %d dependents", seed, i, paths[i], exact[i])
			}
		}
	}
	// A large graph takes the path count: its priorities come in linear
	// time and memory.
	g := randomGraph(t, 3*exactDependentsMax, 9)
	if got, want := dependentCounts(g), dependentPaths(g); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Error("a graph above exactDependentsMax is not counted by paths")
	}
}
