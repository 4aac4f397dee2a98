package executor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"rbuild/graph"
)

// Scheduler-only tests: actions are shell commands standing in for rustc.

type fakeWork struct {
	mu       sync.Mutex
	cmds     map[string]*Cmd
	skip     map[string]bool
	finished []string
	started  map[string]time.Time
	ended    map[string]time.Time
}

func (w *fakeWork) Prepare(ctx context.Context, a *graph.Action) (*Cmd, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.skip[a.Name] {
		return nil, nil
	}
	return w.cmds[a.Name], nil
}

func (w *fakeWork) Finished(a *graph.Action, c *Cmd, r *Result) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.finished = append(w.finished, a.Name)
	w.started[a.Name], w.ended[a.Name] = r.Start, r.End
	return nil
}

// chain builds a graph from "name: inputs -> outputs" specs; a trailing '!'
// on an output marks it early (announced by the command on stderr).
func buildGraph(t *testing.T, dir string, specs map[string][2][]string, cmds map[string]string) (*graph.Graph, *fakeWork) {
	t.Helper()
	g := graph.New()
	w := &fakeWork{cmds: map[string]*Cmd{}, skip: map[string]bool{}, started: map[string]time.Time{}, ended: map[string]time.Time{}}
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	// deterministic ids
	for i := 0; i < len(names); i++ {
		for j := i + 1; j < len(names); j++ {
			if names[j] < names[i] {
				names[i], names[j] = names[j], names[i]
			}
		}
	}
	for _, n := range names {
		var ins, outs []string
		early := ""
		for _, f := range specs[n][0] {
			ins = append(ins, filepath.Join(dir, f))
		}
		for _, f := range specs[n][1] {
			if strings.HasSuffix(f, "!") {
				f = strings.TrimSuffix(f, "!")
				early = filepath.Join(dir, f)
			}
			outs = append(outs, filepath.Join(dir, f))
		}
		if _, err := g.AddAction(&graph.Action{Name: n, Label: n}, ins, outs, early); err != nil {
			t.Fatal(err)
		}
		script := strings.ReplaceAll(cmds[n], "$D", dir)
		w.cmds[n] = &Cmd{Argv: []string{"sh", "-c", script}, Env: os.Environ(), Dir: dir, Rustc: true, What: "could not compile " + n}
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return g, w
}

func TestRunOrderAndPipelining(t *testing.T) {
	dir := t.TempDir()
	// a announces its rmeta early, then takes a while to finish its rlib;
	// b needs only the rmeta, so it must start before a ends; c links both rlibs.
	art := func(f string) string {
		return fmt.Sprintf(`printf '{"$message_type":"artifact","artifact":"$D/%s","emit":"metadata"}\n' >&2`, f)
	}
	g, w := buildGraph(t, dir, map[string][2][]string{
		"a": {nil, {"a.rmeta!", "a.rlib"}},
		"b": {{"a.rmeta"}, {"b.rmeta!", "b.rlib"}},
		"c": {{"a.rlib", "b.rlib"}, {"c"}},
	}, map[string]string{
		"a": "touch $D/a.rmeta; " + art("a.rmeta") + "; sleep 0.6; touch $D/a.rlib",
		"b": "touch $D/b.rmeta; " + art("b.rmeta") + "; touch $D/b.rlib",
		"c": "touch $D/c",
	})
	stats, err := Run(context.Background(), g, w, Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Ran != 3 {
		t.Fatalf("stats %+v", stats)
	}
	if !w.started["b"].Before(w.ended["a"]) {
		t.Errorf("b did not start on a's early rmeta: b started %v, a ended %v", w.started["b"], w.ended["a"])
	}
	if w.started["c"].Before(w.ended["a"]) || w.started["c"].Before(w.ended["b"]) {
		t.Error("c started before its rlibs were done")
	}
}

// chainAndLoner: the chain x1 → x2 → x3 and a lone y.
func chainAndLoner(t *testing.T, dir string) (*graph.Graph, *fakeWork) {
	return buildGraph(t, dir, map[string][2][]string{
		"x1": {nil, {"x1"}}, "x2": {{"x1"}, {"x2"}}, "x3": {{"x2"}, {"x3"}},
		"y": {nil, {"y"}},
	}, map[string]string{
		"x1": "touch $D/x1", "x2": "touch $D/x2", "x3": "touch $D/x3", "y": "touch $D/y",
	})
}

func TestRunJobLimitAndPriority(t *testing.T) {
	dir := t.TempDir()
	// With -j1: the chain x1 → x2 → x3 is longer than the lone y, so x1 goes first.
	g, w := chainAndLoner(t, dir)
	if _, err := Run(context.Background(), g, w, Options{Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	if w.finished[0] != "x1" {
		t.Errorf("order %v: the head of the longest chain should run first", w.finished)
	}
	for i := 1; i < len(w.finished); i++ {
		if w.started[w.finished[i]].Before(w.ended[w.finished[i-1]]) {
			t.Errorf("-j1 ran %s and %s at once", w.finished[i-1], w.finished[i])
		}
	}
}

func TestRunFailFastAndKeepGoing(t *testing.T) {
	specs := map[string][2][]string{
		"bad": {nil, {"bad"}}, "dep": {{"bad"}, {"dep"}},
		"ok1": {nil, {"ok1"}}, "ok2": {{"ok1"}, {"ok2"}},
	}
	cmds := map[string]string{"bad": "echo boom >&2; exit 3", "dep": "touch $D/dep",
		"ok1": "sleep 0.3; touch $D/ok1", "ok2": "touch $D/ok2"}
	for _, keep := range []bool{false, true} {
		dir := t.TempDir()
		g, w := buildGraph(t, dir, specs, cmds)
		stats, err := Run(context.Background(), g, w, Options{Jobs: 2, KeepGoing: keep})
		if err == nil || stats.Failed != 1 {
			t.Fatalf("keep=%v: err %v stats %+v", keep, err, stats)
		}
		ran := strings.Join(w.finished, ",")
		if strings.Contains(ran, "dep") {
			t.Errorf("keep=%v: a dependent of the failure ran", keep)
		}
		if keep != strings.Contains(ran, "ok2") {
			t.Errorf("keep-going=%v but ok2 ran=%v (%s)", keep, !keep, ran)
		}
	}
}

func TestRunSkipsUpToDate(t *testing.T) {
	dir := t.TempDir()
	g, w := buildGraph(t, dir, map[string][2][]string{"a": {nil, {"a"}}, "b": {{"a"}, {"b"}}},
		map[string]string{"a": "exit 1", "b": "touch $D/b"})
	w.skip["a"] = true
	stats, err := Run(context.Background(), g, w, Options{Jobs: 2})
	if err != nil || stats.UpToDate != 1 || stats.Ran != 1 {
		t.Fatalf("err %v stats %+v", err, stats)
	}
}

func TestRunCancel(t *testing.T) {
	dir := t.TempDir()
	g, w := buildGraph(t, dir, map[string][2][]string{"slow": {nil, {"slow"}}},
		map[string]string{"slow": "sleep 30"})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := Run(ctx, g, w, Options{Jobs: 1})
	if err == nil {
		t.Fatal("cancelled build reported success")
	}
	if time.Since(t0) > 5*time.Second {
		t.Fatalf("cancel took %v: children not killed", time.Since(t0))
	}
}

func TestRunPriorityByCost(t *testing.T) {
	dir := t.TempDir()
	// Same graph as above, but y is known to take far longer than the whole
	// x chain: with costs, y goes first.
	g, w := chainAndLoner(t, dir)
	cost := func(a *graph.Action) Cost {
		if a.Name == "y" {
			return Cost{Total: 10 * time.Second}
		}
		return Cost{Total: time.Second}
	}
	// The order by priority, not the hold-back's timing: wait for every
	// check however slow the machine.
	defer func(d time.Duration) { holdBack = d }(holdBack)
	holdBack = time.Minute
	if _, err := Run(context.Background(), g, w, Options{Jobs: 1, Cost: cost}); err != nil {
		t.Fatal(err)
	}
	if w.finished[0] != "y" {
		t.Errorf("order %v: the costliest chain should run first", w.finished)
	}
}

func TestCriticalPathUsesEarlyOutputs(t *testing.T) {
	dir := t.TempDir()
	// a's consumer b needs only a's early rmeta, announced after 1s of a's
	// 10s: a's path is max(10, 1+b) = 10 for a short b, 1+20 = 21 for a long b.
	g, _ := buildGraph(t, dir, map[string][2][]string{
		"a": {nil, {"a.rmeta!", "a.rlib"}},
		"b": {{"a.rmeta"}, {"b"}},
	}, map[string]string{"a": "true", "b": "true"})
	for _, tc := range []struct {
		b    time.Duration
		want int64
	}{{time.Second, int64(10 * time.Second)}, {20 * time.Second, int64(21 * time.Second)}} {
		prio := longestChain(g, func(x *graph.Action) Cost {
			if x.Name == "a" {
				return Cost{Total: 10 * time.Second, Early: time.Second}
			}
			return Cost{Total: tc.b}
		})
		var a *graph.Action
		for _, x := range g.Actions {
			if x.Name == "a" {
				a = x
			}
		}
		if prio[a.ID] != tc.want {
			t.Errorf("b=%v: prio(a) = %v, want %v", tc.b, time.Duration(prio[a.ID]), time.Duration(tc.want))
		}
	}
}

func TestCriticalPathBreaksTiesByDependents(t *testing.T) {
	dir := t.TempDir()
	// a and b head chains of the same length; a has two consumers, b one.
	g, _ := buildGraph(t, dir, map[string][2][]string{
		"a": {nil, {"a.out"}},
		"b": {nil, {"b.out"}},
		"c": {{"a.out"}, {"c.out"}},
		"d": {{"a.out"}, {"d.out"}},
		"e": {{"b.out"}, {"e.out"}},
	}, map[string]string{"a": "true", "b": "true", "c": "true", "d": "true", "e": "true"})
	prio := criticalPath(g, nil)
	id := func(name string) graph.ActionID {
		for _, x := range g.Actions {
			if x.Name == name {
				return x.ID
			}
		}
		t.Fatalf("no action %s", name)
		return 0
	}
	if prio[id("a")] <= prio[id("b")] {
		t.Errorf("prio(a) = %d, prio(b) = %d: the chain with more dependents should go first", prio[id("a")], prio[id("b")])
	}
	if prio[id("b")] <= prio[id("c")] {
		t.Errorf("prio(b) = %d, prio(c) = %d: a longer chain must still outrank more dependents", prio[id("b")], prio[id("c")])
	}
}

// laterWork postpones chosen actions once, through Later.
type laterWork struct {
	*fakeWork
	g       *graph.Graph
	later   map[string]*Later
	prepped map[string]int
}

func (w *laterWork) Prepare(ctx context.Context, a *graph.Action) (*Cmd, error) {
	w.mu.Lock()
	w.prepped[a.Name]++
	l := w.later[a.Name]
	delete(w.later, a.Name)
	w.mu.Unlock()
	if l != nil {
		return nil, l
	}
	return w.fakeWork.Prepare(ctx, a)
}

func TestRunLaterRerunsAndWaits(t *testing.T) {
	dir := t.TempDir()
	// x1 → x2 → y: y first asks for x1 and x2 to run again (a repair),
	// which must happen in order, then runs itself. z waits for y.
	g, fw := buildGraph(t, dir, map[string][2][]string{
		"x1": {nil, {"x1"}}, "x2": {{"x1"}, {"x2"}}, "y": {{"x2"}, {"y"}}, "z": {nil, {"z"}},
	}, map[string]string{
		"x1": "echo . >> $D/x1.log; touch $D/x1", "x2": "echo . >> $D/x2.log; touch $D/x2",
		"y": "touch $D/y", "z": "touch $D/z",
	})
	id := func(name string) graph.ActionID {
		for _, a := range g.Actions {
			if a.Name == name {
				return a.ID
			}
		}
		t.Fatalf("no action %s", name)
		return 0
	}
	w := &laterWork{fakeWork: fw, g: g, prepped: map[string]int{}, later: map[string]*Later{
		"y": {Rerun: []graph.ActionID{id("x2"), id("x1")}},
		"z": {After: []graph.ActionID{id("y")}},
	}}
	stats, err := Run(context.Background(), g, w, Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"x1.log", "x2.log"} {
		data, _ := os.ReadFile(filepath.Join(dir, f))
		if len(data) != 4 {
			t.Errorf("%s: ran %d times, want 2", f, len(data)/2)
		}
	}
	order := strings.Join(w.finished, " ")
	if !strings.HasSuffix(order, "x1 x2 y z") {
		t.Errorf("finish order %q: the repair must run x1 then x2, then y, then z", order)
	}
	if w.prepped["y"] != 2 || w.prepped["z"] != 2 {
		t.Errorf("prepared y %d, z %d times; want 2 each", w.prepped["y"], w.prepped["z"])
	}
	if stats.Ran != 6 || stats.NotRun != 0 {
		t.Errorf("stats %+v", stats)
	}
}

// A Cmd's Fetch (the artifact cache) makes the outputs instead of the
// process; a nil answer runs the process after all. Scheduler-only: the
// commands are shell stand-ins.
func TestRunFetch(t *testing.T) {
	dir := t.TempDir()
	g, w := buildGraph(t, dir, map[string][2][]string{"a": {nil, {"a"}}, "b": {{"a"}, {"b"}}},
		map[string]string{"a": "exit 1", "b": "touch $D/b"})
	w.cmds["a"].Fetch = func(ctx context.Context) *Result {
		os.WriteFile(filepath.Join(dir, "a"), nil, 0o644)
		return &Result{Start: time.Now(), End: time.Now()}
	}
	fetchedB := false
	w.cmds["b"].Fetch = func(ctx context.Context) *Result { fetchedB = true; return nil }
	stats, err := Run(context.Background(), g, w, Options{Jobs: 2})
	if err != nil || stats.Ran != 2 {
		t.Fatalf("err %v stats %+v", err, stats)
	}
	if !fetchedB {
		t.Error("b's Fetch was not asked")
	}
	if _, err := os.Stat(filepath.Join(dir, "b")); err != nil {
		t.Error("b's command did not run after its Fetch declined")
	}
	if len(w.finished) != 2 {
		t.Errorf("finished %v", w.finished)
	}
}
