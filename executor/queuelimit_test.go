package executor

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"rbuild/graph"
)

// limitWork prepares commands that the artifact cache's hook (Fetch)
// "restores": no process runs. It counts the prepared commands that wait
// for a job slot.
type limitWork struct {
	mu                 sync.Mutex
	waiting, mostWaits int
	finished           []string
}

func (w *limitWork) Prepare(ctx context.Context, a *graph.Action) (*Cmd, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waiting++
	w.mostWaits = max(w.mostWaits, w.waiting)
	return &Cmd{Argv: []string{"false"}, Fetch: func(context.Context) *Result {
		w.mu.Lock()
		w.waiting--
		w.mu.Unlock()
		return &Result{}
	}}, nil
}

func (w *limitWork) Finished(a *graph.Action, c *Cmd, r *Result) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.finished = append(w.finished, a.Name)
	return nil
}

// Beyond queueLimit prepared commands, ready actions wait unprepared; once
// the queue has room, the next check is the ready action of highest
// priority: the head of a chain that became ready after fifty loners
// runs among the first, not after them.
func TestRunQueueLimit(t *testing.T) {
	defer func(n int, d time.Duration) { queueLimit, holdBack = n, d }(queueLimit, holdBack)
	queueLimit = 4
	// The order by priority, not the hold-back's timing.
	holdBack = time.Minute
	g := graph.New()
	for i := 0; i < 50; i++ {
		if _, err := g.AddAction(&graph.Action{Name: fmt.Sprintf("loner%02d", i)}, nil, []string{fmt.Sprintf("l%d", i)}, ""); err != nil {
			t.Fatal(err)
		}
	}
	var ins []string
	for i := 0; i < 5; i++ {
		out := fmt.Sprintf("x%d", i)
		if _, err := g.AddAction(&graph.Action{Name: fmt.Sprintf("chain%d", i)}, ins, []string{out}, ""); err != nil {
			t.Fatal(err)
		}
		ins = []string{out}
	}
	w := &limitWork{}
	st, err := Run(context.Background(), g, w, Options{Jobs: 1})
	if err != nil || st.Ran != len(g.Actions) {
		t.Fatalf("ran %d of %d: %v", st.Ran, len(g.Actions), err)
	}
	// Each of the checks running at once (two) may add one past the limit.
	if w.mostWaits > queueLimit+2 {
		t.Errorf("%d prepared commands waited at once, want at most %d", w.mostWaits, queueLimit+2)
	}
	for i, name := range w.finished {
		if name == "chain0" {
			if i > 2 {
				t.Errorf("the chain's head ran %dth: %v", i+1, w.finished)
			}
			return
		}
	}
	t.Fatalf("chain0 never ran: %v", w.finished)
}
