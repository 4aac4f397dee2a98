package graph

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestGraphEdgesAndOrder(t *testing.T) {
	g := New()
	a, _ := g.AddAction(&Action{Name: "a", Label: "a"}, []string{"a.rs"}, []string{"a.rmeta", "a.rlib"}, "a.rmeta")
	b, _ := g.AddAction(&Action{Name: "b", Label: "b"}, []string{"b.rs", "a.rmeta"}, []string{"b.rlib"}, "")
	c, _ := g.AddAction(&Action{Name: "c", Label: "c"}, []string{"a.rlib", "b.rlib"}, []string{"c"}, "")
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	rmeta, _ := g.Lookup("a.rmeta")
	if f := g.Files[rmeta]; f.Producer != a.ID || !f.Early {
		t.Errorf("a.rmeta: %+v", f)
	}
	if cons := g.Consumers(rmeta); len(cons) != 1 || cons[0] != b.ID {
		t.Errorf("consumers of a.rmeta: %v", cons)
	}
	src, _ := g.Lookup("a.rs")
	if g.Files[src].Producer != NoAction {
		t.Error("a source has a producer")
	}
	order := g.Order()
	if len(order) != 3 || order[0] != a.ID || order[1] != b.ID || order[2] != c.ID {
		t.Errorf("order %v", order)
	}
}

func TestGraphErrors(t *testing.T) {
	g := New()
	g.AddAction(&Action{Name: "a", Label: "foo (lib)"}, nil, []string{"out"}, "")
	if _, err := g.AddAction(&Action{Name: "b", Label: "bar (lib)"}, nil, []string{"out"}, ""); err == nil ||
		!strings.Contains(err.Error(), "two actions write out: foo (lib) and bar (lib)") {
		t.Errorf("duplicate output: %v", err)
	}
	g = New()
	g.AddAction(&Action{Name: "x", Label: "x"}, []string{"y.out"}, []string{"x.out"}, "")
	g.AddAction(&Action{Name: "y", Label: "y"}, []string{"x.out"}, []string{"y.out"}, "")
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), "dependency cycle: x -> y -> x") {
		t.Errorf("cycle: %v", err)
	}
}

// Order is the topological order that always takes the lowest ready id:
// checked against a plain quadratic reference on random graphs.
func TestOrderLowestReadyFirst(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 300; n += 37 {
		g := New()
		for i := 0; i < n; i++ {
			var ins []string
			for k := 0; k < 3 && i > 0; k++ {
				ins = append(ins, fmt.Sprintf("o%d", r.IntN(i)))
			}
			slices.Sort(ins)
			ins = slices.Compact(ins)
			if _, err := g.AddAction(&Action{Name: fmt.Sprint(i)}, ins, []string{fmt.Sprintf("o%d", i)}, ""); err != nil {
				t.Fatal(err)
			}
		}
		var want []ActionID
		done := make([]bool, n)
		for len(want) < n {
			for _, a := range g.Actions {
				ready := !done[a.ID]
				for _, in := range a.Inputs {
					if p := g.Files[in].Producer; p != NoAction && !done[p] {
						ready = false
					}
				}
				if ready {
					want = append(want, a.ID)
					done[a.ID] = true
					break
				}
			}
		}
		if got := g.Order(); !slices.Equal(got, want) {
			t.Fatalf("n=%d: Order() = %v, want %v", n, got, want)
		}
	}
}
