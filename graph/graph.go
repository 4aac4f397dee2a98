package graph

import (
	"fmt"
	"strings"
)

// FileID and ActionID are dense indices; hot paths never compare strings.
type (
	FileID   int32
	ActionID int32
)

// NoAction marks a source file: nothing in the graph produces it.
const NoAction ActionID = -1

type Kind int

const (
	Compile   Kind = iota // rustc producing a library, binary, test or check output
	RunScript             // running a build script
	Link                  // rustc -Z link-only: objects and rlibs into an executable
)

func (k Kind) String() string {
	switch k {
	case RunScript:
		return "run"
	case Link:
		return "link"
	}
	return "compile"
}

// File is one path the graph knows. Early files (a lib's .rmeta) become
// available while their producer is still running: rustc announces them,
// and compiles that only need metadata start then (pipelining).
type File struct {
	Path     string
	Producer ActionID
	Early    bool
}

// Action is one process run: its declared input and output files. Data is
// the producer's payload (the cargo unit), opaque here.
type Action struct {
	ID      ActionID
	Name    string // stable identity across runs
	Label   string // what users see
	Kind    Kind
	Inputs  []FileID
	Outputs []FileID
	Data    any
}

type Graph struct {
	Files     []File
	Actions   []*Action
	byPath    map[string]FileID
	consumers [][]ActionID
}

func New() *Graph { return &Graph{byPath: map[string]FileID{}} }

// File interns a path.
func (g *Graph) File(path string) FileID {
	if id, ok := g.byPath[path]; ok {
		return id
	}
	id := FileID(len(g.Files))
	g.Files = append(g.Files, File{Path: path, Producer: NoAction})
	g.byPath[path] = id
	return id
}

// Lookup finds a path's id.
func (g *Graph) Lookup(path string) (FileID, bool) {
	id, ok := g.byPath[path]
	return id, ok
}

// AddAction adds an action whose outputs this graph then attributes to it.
// Two actions writing one file is an error naming both.
func (g *Graph) AddAction(a *Action, inputs []string, outputs []string, early string) (*Action, error) {
	a.ID = ActionID(len(g.Actions))
	seen := map[FileID]bool{}
	for _, p := range inputs {
		id := g.File(p)
		if !seen[id] {
			seen[id] = true
			a.Inputs = append(a.Inputs, id)
		}
	}
	for _, p := range outputs {
		id := g.File(p)
		f := &g.Files[id]
		if f.Producer != NoAction && f.Producer != a.ID {
			return nil, fmt.Errorf("two actions write %s: %s and %s", p, g.Actions[f.Producer].Label, a.Label)
		}
		if f.Producer == a.ID {
			continue
		}
		f.Producer = a.ID
		f.Early = p == early
		a.Outputs = append(a.Outputs, id)
	}
	g.Actions = append(g.Actions, a)
	g.consumers = nil
	return a, nil
}

// Consumers lists, per file, the actions that read it.
func (g *Graph) Consumers(f FileID) []ActionID {
	if g.consumers == nil {
		g.consumers = make([][]ActionID, len(g.Files))
		for _, a := range g.Actions {
			for _, in := range a.Inputs {
				g.consumers[in] = append(g.consumers[in], a.ID)
			}
		}
	}
	return g.consumers[f]
}

// Validate checks that every input is either a source or produced, and
// that there is no cycle. Errors name the files and actions involved.
func (g *Graph) Validate() error {
	state := make([]int8, len(g.Actions))
	var stack []ActionID
	var visit func(a ActionID) error
	visit = func(a ActionID) error {
		switch state[a] {
		case 1:
			var names []string
			start := 0
			for i, s := range stack {
				if s == a {
					start = i
				}
			}
			for _, s := range stack[start:] {
				names = append(names, g.Actions[s].Label)
			}
			return fmt.Errorf("dependency cycle: %s -> %s", strings.Join(names, " -> "), g.Actions[a].Label)
		case 2:
			return nil
		}
		state[a] = 1
		stack = append(stack, a)
		for _, in := range g.Actions[a].Inputs {
			if p := g.Files[in].Producer; p != NoAction {
				if err := visit(p); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[a] = 2
		return nil
	}
	for i := range g.Actions {
		if err := visit(ActionID(i)); err != nil {
			return err
		}
	}
	return nil
}

// Order returns actions in a dependency-respecting order (inputs first),
// ties broken by id so the result is deterministic.
func (g *Graph) Order() []ActionID {
	indeg := make([]int, len(g.Actions))
	for _, a := range g.Actions {
		for _, in := range a.Inputs {
			if g.Files[in].Producer != NoAction {
				indeg[a.ID]++
			}
		}
	}
	// The lowest ready id first, from a heap: sorting the ready list at
	// every step was quadratic in a wide graph (the scale benchmark's
	// 100k actions: most of a full build's own CPU).
	ready := &idHeap{}
	for i, d := range indeg {
		if d == 0 {
			ready.push(ActionID(i))
		}
	}
	out := make([]ActionID, 0, len(g.Actions))
	for len(*ready) > 0 {
		a := ready.pop()
		out = append(out, a)
		for _, o := range g.Actions[a].Outputs {
			for _, c := range g.Consumers(o) {
				indeg[c]--
				if indeg[c] == 0 {
					ready.push(c)
				}
			}
		}
	}
	return out
}

// idHeap is a min-heap of action ids.
type idHeap []ActionID

func (h *idHeap) push(a ActionID) {
	*h = append(*h, a)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[p] <= q[i] {
			break
		}
		q[p], q[i] = q[i], q[p]
		i = p
	}
}

func (h *idHeap) pop() ActionID {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(q) && q[l] < q[m] {
			m = l
		}
		if r := l + 1; r < len(q) && q[r] < q[m] {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// Ancestors marks the given actions and every action they depend on,
// directly or through files.
func (g *Graph) Ancestors(roots []ActionID) []bool {
	mark := make([]bool, len(g.Actions))
	stack := append([]ActionID{}, roots...)
	for len(stack) > 0 {
		a := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if mark[a] {
			continue
		}
		mark[a] = true
		for _, in := range g.Actions[a].Inputs {
			if p := g.Files[in].Producer; p != NoAction && !mark[p] {
				stack = append(stack, p)
			}
		}
	}
	return mark
}

// Subgraph copies the actions keep selects, in order, with their files;
// the copies share Data with the originals.
func (g *Graph) Subgraph(keep []bool) (*Graph, error) {
	sub := New()
	for _, a := range g.Actions {
		if !keep[a.ID] {
			continue
		}
		ins := make([]string, len(a.Inputs))
		for i, f := range a.Inputs {
			ins[i] = g.Files[f].Path
		}
		outs := make([]string, len(a.Outputs))
		early := ""
		for i, f := range a.Outputs {
			outs[i] = g.Files[f].Path
			if g.Files[f].Early {
				early = outs[i]
			}
		}
		c := &Action{Name: a.Name, Label: a.Label, Kind: a.Kind, Data: a.Data}
		if _, err := sub.AddAction(c, ins, outs, early); err != nil {
			return nil, err
		}
	}
	return sub, nil
}
