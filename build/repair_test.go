package build

import (
	"slices"
	"testing"

	"rbuild/cargometa"
	"rbuild/graph"
)

// repairChain is y → x → c, three lib compiles; each reads the .rmeta of
// everything below it, as a dependency view does.
func repairChain(t *testing.T) (*work, map[string]graph.ActionID) {
	t.Helper()
	g := graph.New()
	ids := map[string]graph.ActionID{}
	add := func(name string, ins ...string) {
		var paths []string
		for _, in := range ins {
			paths = append(paths, "/t/lib"+in+".rmeta")
		}
		a, err := g.AddAction(&graph.Action{Name: name, Label: name, Kind: graph.Compile, Data: &cargometa.Unit{}},
			paths, []string{"/t/lib" + name + ".rmeta"}, "")
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = a.ID
	}
	add("y")
	add("x", "y")
	add("c", "x", "y")
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return &work{g: g, cut: newCutoffState(g)}, ids
}

func names(ids map[string]graph.ActionID, list []graph.ActionID) []string {
	var out []string
	for _, id := range list {
		for n, v := range ids {
			if v == id {
				out = append(out, n)
			}
		}
	}
	return out
}

// The race that a repair must not lose: c decides to compile while y is
// being repaired (or has been asked to be, and not started yet). c must
// wait for y rather than link y's files mid-replacement, and x, compiled
// against the old y, must be repaired too.
func TestRepairsWaitForCratesInFlux(t *testing.T) {
	for _, tc := range []struct {
		name        string
		set         func(w *work, id map[string]graph.ActionID)
		rerun, busy []string
	}{
		{"nothing stale", func(w *work, id map[string]graph.ActionID) {}, nil, nil},
		{"y stale", func(w *work, id map[string]graph.ActionID) { w.cut.stale[id["y"]] = true }, []string{"y", "x"}, nil},
		{"y being repaired", func(w *work, id map[string]graph.ActionID) { w.cut.repairing[id["y"]] = true }, []string{"x"}, []string{"y"}},
		{"y asked for, not started", func(w *work, id map[string]graph.ActionID) { w.cut.force[id["y"]] = true }, []string{"y", "x"}, nil},
		{"x being repaired", func(w *work, id map[string]graph.ActionID) { w.cut.repairing[id["x"]] = true }, nil, []string{"x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, id := repairChain(t)
			tc.set(w, id)
			rerun, busy := w.cut.repairs(w.g.Actions[id["c"]])
			if got := names(id, rerun); !slices.Equal(got, tc.rerun) {
				t.Errorf("rerun %v, want %v", got, tc.rerun)
			}
			if got := names(id, busy); !slices.Equal(got, tc.busy) {
				t.Errorf("busy %v, want %v", got, tc.busy)
			}
			for _, n := range tc.rerun {
				if !w.cut.force[id[n]] {
					t.Errorf("%s not marked for repair", n)
				}
			}
		})
	}
}

// A skip judged the files a repair is about to replace: it is decided
// again once the repair is done (or started, if only asked for).
func TestSkipWaitsForRepairInFlux(t *testing.T) {
	w, id := repairChain(t)
	c := w.g.Actions[id["c"]]
	if l := w.cut.inFluxLocked(c); l != nil {
		t.Fatalf("nothing in flux, got %+v", l)
	}
	w.cut.repairing[id["y"]] = true
	w.cut.force[id["x"]] = true
	l := w.cut.inFluxLocked(c)
	if l == nil || !slices.Equal(names(id, l.After), []string{"y"}) || !slices.Equal(names(id, l.Rerun), []string{"x"}) {
		t.Fatalf("got %+v, want After [y], Rerun [x]", l)
	}
}

// An input found missing while a repair of its producer is under way (the
// repair removed the stale rlib; rustc has not written the new one yet)
// is in flux: the decision waits for the repair instead of failing.
func TestMissingInputWaitsForRepair(t *testing.T) {
	w, id := repairChain(t)
	c := w.g.Actions[id["c"]]
	if l := w.cut.inFlux(c); l != nil {
		t.Fatalf("nothing in flux, got %+v: a missing input must be an error", l)
	}
	w.cut.repairing[id["x"]] = true
	if l := w.cut.inFlux(c); l == nil || !slices.Equal(names(id, l.After), []string{"x"}) {
		t.Fatalf("got %+v, want After [x]", l)
	}
}
