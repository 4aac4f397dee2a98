package graph

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
)

// WriteDot writes g as a Graphviz digraph: one node per action (boxes for
// compiles, ellipses for links, hexagons for build-script runs) and one
// edge per producer → consumer pair, labelled with what flows: dashed for
// metadata (.rmeta, the pipelined edge), solid for code (.rlib, .so,
// .rlink), dotted for build-script output. label names an action.
func WriteDot(out io.Writer, g *Graph, h Header, label func(*Action) string) error {
	w := bufio.NewWriter(out)
	w.WriteString(h.lines("//"))
	w.WriteString("digraph rbuild {\n  rankdir=LR;\n  node [fontsize=10, fontname=\"sans-serif\"];\n  edge [fontsize=8, fontname=\"sans-serif\"];\n")
	for _, id := range g.Order() {
		a := g.Actions[id]
		shape := "box"
		switch a.Kind {
		case Link:
			shape = "ellipse"
		case RunScript:
			shape = "hexagon"
		}
		fmt.Fprintf(w, "  a%d [shape=%s, label=%s];\n", a.ID, shape, dotString(label(a)))
	}
	type pair struct{ from, to ActionID }
	kinds := map[pair]map[string]bool{}
	for _, a := range g.Actions {
		for _, in := range a.Inputs {
			p := g.Files[in].Producer
			if p == NoAction {
				continue
			}
			k := pair{p, a.ID}
			if kinds[k] == nil {
				kinds[k] = map[string]bool{}
			}
			kinds[k][fileKind(g.Files[in].Path)] = true
		}
	}
	pairs := make([]pair, 0, len(kinds))
	for k := range kinds {
		pairs = append(pairs, k)
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].from != pairs[j].from {
			return pairs[i].from < pairs[j].from
		}
		return pairs[i].to < pairs[j].to
	})
	for _, k := range pairs {
		var names []string
		for n := range kinds[k] {
			names = append(names, n)
		}
		sort.Strings(names)
		style := "solid"
		switch {
		case len(names) == 1 && names[0] == "rmeta":
			style = "dashed"
		case len(names) == 1 && names[0] == "script output":
			style = "dotted"
		}
		fmt.Fprintf(w, "  a%d -> a%d [label=%s, style=%s];\n", k.from, k.to, dotString(strings.Join(names, ", ")), style)
	}
	w.WriteString("}\n")
	return w.Flush()
}

func fileKind(path string) string {
	switch ext := filepath.Ext(path); ext {
	case ".rmeta", ".rlib", ".so", ".rlink", ".a":
		return ext[1:]
	case "":
		switch filepath.Base(path) {
		case "output":
			return "script output"
		case "build-script-build":
			return "build script"
		}
	}
	return "file"
}

func dotString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
