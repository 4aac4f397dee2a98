package executor

import (
	"container/heap"

	"rbuild/graph"
)

// readyList holds the actions whose freshness check has not started: in
// the order they became ready until the run queue first fills
// (runQueue.waitRoom), then highest priority first, as the run queue
// orders commands. While the queue is full the checks wait, and the one
// made next must be the one the dispatcher would have picked among them.
type readyList struct {
	h readyHeap
}

type readyHeap struct {
	a    []*graph.Action
	prio []int64 // nil: in arrival order
}

func (l *readyList) len() int { return len(l.h.a) }

func (l *readyList) push(a *graph.Action) {
	if l.h.prio == nil {
		l.h.a = append(l.h.a, a)
		return
	}
	heap.Push(&l.h, a)
}

func (l *readyList) pop() *graph.Action {
	if l.h.prio == nil {
		a := l.h.a[0]
		l.h.a[0] = nil
		l.h.a = l.h.a[1:]
		return a
	}
	return heap.Pop(&l.h).(*graph.Action)
}

// byPriority orders what is held, and what comes, by prio from now on.
func (l *readyList) byPriority(prio []int64) {
	if l.h.prio != nil || prio == nil {
		return
	}
	l.h.prio = prio
	heap.Init(&l.h)
}

func (h readyHeap) Len() int { return len(h.a) }
func (h readyHeap) Less(i, j int) bool {
	pi, pj := h.prio[h.a[i].ID], h.prio[h.a[j].ID]
	if pi != pj {
		return pi > pj
	}
	return h.a[i].ID < h.a[j].ID
}
func (h readyHeap) Swap(i, j int) { h.a[i], h.a[j] = h.a[j], h.a[i] }
func (h *readyHeap) Push(x any)   { h.a = append(h.a, x.(*graph.Action)) }
func (h *readyHeap) Pop() any {
	old := h.a
	x := old[len(old)-1]
	old[len(old)-1] = nil
	h.a = old[:len(old)-1]
	return x
}
