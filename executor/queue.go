package executor

import (
	"container/heap"
	mathbits "math/bits"
	"sync"
	"time"

	"rbuild/graph"
)

// Cost is what an action is expected to take: Total until it exits, Early
// until it announces its early output (a lib's .rmeta; 0 if it has none).
type Cost struct {
	Total, Early time.Duration
}

// criticalPath gives each action the expected time from its start to the
// end of the longest chain of consumers below it, so that the dispatcher
// starts the work the build's end waits on first. A consumer of an early
// output can start once that output is announced, not when its producer
// exits. Without cost estimates (cost nil) every action costs one unit:
// the longest chain counted in actions. Equal chains are ordered by how
// many actions depend on each, directly or not: the order a build without
// recorded durations (they all cost the same there) falls back on.
func criticalPath(g *graph.Graph, cost func(*graph.Action) Cost) []int64 {
	prio := longestChain(g, cost)
	deps := dependentCounts(g)
	for i := range prio {
		prio[i] = prio[i]<<dependentBits | int64(min(deps[i], 1<<dependentBits-1))
	}
	return prio
}

// dependentBits is the room the tie-breaking count takes in a priority.
const dependentBits = 12

// exactDependentsMax is the largest graph whose dependents are counted
// exactly: the count keeps a bit set of n bits per action, n²/8 bytes in
// all (2 MB here; at the scale benchmark's 100k actions it was 1.25 GB).
const exactDependentsMax = 4096

// dependentCounts is, for each action, the number of actions that consume
// its outputs, directly or through others. Above exactDependentsMax
// actions it is an upper bound: the number of paths to them (an action
// reached two ways counts twice), capped where priorities cap it.
func dependentCounts(g *graph.Graph) []int {
	n := len(g.Actions)
	if n > exactDependentsMax {
		return dependentPaths(g)
	}
	words := (n + 63) / 64
	below := make([][]uint64, n)
	counts := make([]int, n)
	order := g.Order()
	for i := len(order) - 1; i >= 0; i-- {
		a := g.Actions[order[i]]
		set := make([]uint64, words)
		for _, o := range a.Outputs {
			for _, c := range g.Consumers(o) {
				set[c/64] |= 1 << (c % 64)
				for w, bits := range below[c] {
					set[w] |= bits
				}
			}
		}
		below[a.ID] = set
		for _, bits := range set {
			counts[a.ID] += mathbits.OnesCount64(bits)
		}
	}
	return counts
}

func dependentPaths(g *graph.Graph) []int {
	const limit = 1<<dependentBits - 1
	counts := make([]int, len(g.Actions))
	seenBy := make([]graph.ActionID, len(g.Actions)) // seenBy[c] == a+1: c consumes two of a's outputs
	order := g.Order()
	for i := len(order) - 1; i >= 0; i-- {
		a := g.Actions[order[i]]
		sum := 0
		for _, o := range a.Outputs {
			for _, c := range g.Consumers(o) {
				if seenBy[c] != a.ID+1 {
					seenBy[c] = a.ID + 1
					sum = min(limit, sum+1+counts[c])
				}
			}
		}
		counts[a.ID] = sum
	}
	return counts
}

func longestChain(g *graph.Graph, cost func(*graph.Action) Cost) []int64 {
	prio := make([]int64, len(g.Actions))
	order := g.Order()
	for i := len(order) - 1; i >= 0; i-- {
		a := g.Actions[order[i]]
		c := Cost{Total: 1}
		if cost != nil {
			c = cost(a)
		}
		total := int64(max(c.Total, 1))
		best := total
		for _, o := range a.Outputs {
			ready := total
			if g.Files[o].Early && c.Early > 0 {
				ready = int64(min(c.Early, c.Total))
			}
			for _, cons := range g.Consumers(o) {
				best = max(best, ready+prio[cons])
			}
		}
		prio[a.ID] = best
	}
	return prio
}

type queued struct {
	a   *graph.Action
	cmd *Cmd
}

// runQueue holds commands waiting for a job slot, highest priority first.
type runQueue struct {
	mu        sync.Mutex
	cond      *sync.Cond
	items     queuedHeap
	closed    bool
	limit     int // commands that may wait (waitRoom)
	preparing int // freshness checks in flight: their commands may outrank what is queued
	// priorities computes the heap's order on the first push: a build
	// that runs nothing (the no-op) never pays for it, nor for the cost
	// estimates behind it.
	priorities func() []int64
}

// queueLimit is how many prepared commands may wait for a job slot. Each
// holds what its action's record will be made of (its inputs' stamps,
// the command); without a limit, every ready action of a wide graph
// waited prepared (up to 43% of rbuild bench --scale's actions at once:
// 3.5 MB of a 10k-action build's peak RSS). A queue this long always
// has what a freed slot runs next.
// A variable only so that a test can see a short queue fill.
var queueLimit = 256

func newRunQueue(priorities func() []int64) *runQueue {
	q := &runQueue{priorities: priorities, limit: queueLimit}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// preparingStarted and preparingDone bracket a freshness check; push or
// preparingDone ends it.
func (q *runQueue) preparingStarted() {
	q.mu.Lock()
	q.preparing++
	q.mu.Unlock()
}

func (q *runQueue) preparingDone() {
	q.mu.Lock()
	q.preparing--
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *runQueue) push(a *graph.Action, c *Cmd) {
	q.mu.Lock()
	if q.items.prio == nil {
		q.items.prio = q.priorities()
	}
	heap.Push(&q.items, queued{a, c})
	q.preparing--
	q.mu.Unlock()
	q.cond.Broadcast()
}

// holdBack is how long wait holds a queued command back for checks in
// flight; a variable only so that a test on a loaded machine (or under
// -race) can wait for every check and test the order itself.
var holdBack = time.Millisecond

// wait blocks until an item is queued (true) or the queue is closed (false).
// While freshness checks are in flight it holds back for up to a
// millisecond, so that a higher-priority command about to be queued is not
// overtaken by whichever check happened to finish first.
func (q *runQueue) wait() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items.q) == 0 && !q.closed {
		q.cond.Wait()
	}
	// A full queue holds back for nothing: the checks wait for room.
	for deadline := time.Now().Add(holdBack); q.preparing > 0 && len(q.items.q) > 0 && len(q.items.q) < q.limit && time.Now().Before(deadline); {
		q.mu.Unlock()
		time.Sleep(200 * time.Microsecond)
		q.mu.Lock()
	}
	return len(q.items.q) > 0
}

func (q *runQueue) pop() queued {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.cond.Broadcast() // room (waitRoom)
	return heap.Pop(&q.items).(queued)
}

// waitRoom blocks while the queue holds its limit of commands, and says
// whether it did: the next check is then picked by priority.
func (q *runQueue) waitRoom() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	waited := false
	for len(q.items.q) >= q.limit && !q.closed {
		waited = true
		q.cond.Wait()
	}
	return waited
}

// priorityList is the queue's priorities by action, nil before the first
// command came.
func (q *runQueue) priorityList() []int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.items.prio
}

func (q *runQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

type queuedHeap struct {
	q    []queued
	prio []int64
}

func (h queuedHeap) Len() int { return len(h.q) }
func (h queuedHeap) Less(i, j int) bool {
	pi, pj := h.prio[h.q[i].a.ID], h.prio[h.q[j].a.ID]
	if pi != pj {
		return pi > pj
	}
	return h.q[i].a.ID < h.q[j].a.ID
}
func (h queuedHeap) Swap(i, j int) { h.q[i], h.q[j] = h.q[j], h.q[i] }
func (h *queuedHeap) Push(x any)   { h.q = append(h.q, x.(queued)) }
func (h *queuedHeap) Pop() any {
	old := h.q
	x := old[len(old)-1]
	// Cleared: the slot past the end would keep the command (and what
	// it holds) alive until a push reused it.
	old[len(old)-1] = queued{}
	h.q = old[:len(old)-1]
	return x
}
