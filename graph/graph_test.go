package graph

import (
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
