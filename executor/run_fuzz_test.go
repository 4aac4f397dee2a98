package executor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"rbuild/graph"
)

// Scheduler-only: random graphs of pipelined "crates" whose Work postpones
// and reruns at random, the way the interface cutoff's repairs do. The
// executor must never prepare or run an action while that action is still
// being prepared or running: a second Prepare would rebuild the dependency
// view under the first one's rustc.

type fuzzWork struct {
	t       *testing.T
	g       *graph.Graph
	dir     string
	mu      sync.Mutex
	rng     *rand.Rand
	state   []int // 0 idle, 1 preparing, 2 running
	laters  int
	closure [][]graph.ActionID
	errs    []string
}

func (w *fuzzWork) Prepare(ctx context.Context, a *graph.Action) (*Cmd, error) {
	w.mu.Lock()
	if w.state[a.ID] != 0 {
		w.errs = append(w.errs, fmt.Sprintf("%s prepared while %s", a.Name, []string{"", "preparing", "running"}[w.state[a.ID]]))
	}
	w.state[a.ID] = 1
	roll := w.rng.IntN(10)
	var l *Later
	if w.laters < 40 && roll < 3 && len(w.closure[a.ID]) > 0 {
		w.laters++
		l = &Later{}
		for _, p := range w.closure[a.ID] {
			if w.rng.IntN(3) == 0 {
				if w.rng.IntN(2) == 0 {
					l.Rerun = append(l.Rerun, p)
				} else {
					l.After = append(l.After, p)
				}
			}
		}
	}
	skip := roll == 9
	pause := w.rng.IntN(5)
	w.mu.Unlock()
	if l != nil {
		w.mu.Lock()
		w.state[a.ID] = 0
		w.mu.Unlock()
		return nil, l
	}
	if skip {
		for _, o := range a.Outputs {
			os.WriteFile(w.g.Files[o].Path, nil, 0o644)
		}
		w.mu.Lock()
		w.state[a.ID] = 0
		w.mu.Unlock()
		return nil, nil
	}
	w.mu.Lock()
	w.state[a.ID] = 2
	w.mu.Unlock()
	rmeta, rlib := w.g.Files[a.Outputs[0]].Path, w.g.Files[a.Outputs[1]].Path
	script := fmt.Sprintf(`touch %s; printf '{"$message_type":"artifact","artifact":"%s","emit":"metadata"}\n' >&2; sleep 0.0%d; touch %s`,
		rmeta, rmeta, pause, rlib)
	return &Cmd{Argv: []string{"sh", "-c", script}, Env: os.Environ(), Dir: w.dir, Rustc: true, What: a.Name}, nil
}

func (w *fuzzWork) Finished(a *graph.Action, c *Cmd, r *Result) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state[a.ID] != 2 {
		w.errs = append(w.errs, fmt.Sprintf("%s finished while not running", a.Name))
	}
	w.state[a.ID] = 0
	return nil
}

func TestRunNeverPreparesAnActiveAction(t *testing.T) {
	if testing.Short() {
		t.Skip("scheduler fuzz")
	}
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			dir := t.TempDir()
			rng := rand.New(rand.NewPCG(seed, 7))
			g := graph.New()
			const n = 18
			var closure [][]graph.ActionID
			for i := 0; i < n; i++ {
				seen := map[int]bool{}
				var ins []string
				var cl []graph.ActionID
				for j := 0; j < i; j++ {
					if rng.IntN(4) == 0 {
						seen[j] = true
						for _, p := range closure[j] {
							seen[int(p)] = true
						}
					}
				}
				for j := range seen {
					ins = append(ins, filepath.Join(dir, fmt.Sprintf("lib%d.rmeta", j)))
					cl = append(cl, graph.ActionID(j))
				}
				name := fmt.Sprint(i)
				rmeta := filepath.Join(dir, "lib"+name+".rmeta")
				a, err := g.AddAction(&graph.Action{Name: name, Label: name}, ins,
					[]string{rmeta, filepath.Join(dir, "lib"+name+".rlib")}, rmeta)
				if err != nil {
					t.Fatal(err)
				}
				if a.ID != graph.ActionID(i) {
					t.Fatalf("action %d has id %d", i, a.ID)
				}
				closure = append(closure, cl)
			}
			if err := g.Validate(); err != nil {
				t.Fatal(err)
			}
			w := &fuzzWork{t: t, g: g, dir: dir, rng: rng, state: make([]int, n), closure: closure}
			if _, err := Run(context.Background(), g, w, Options{Jobs: 3}); err != nil {
				t.Fatal(err)
			}
			for _, e := range w.errs {
				t.Error(e)
			}
		})
	}
}
