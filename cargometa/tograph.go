package cargometa

import (
	"rbuild/graph"
)

// Graph turns the plan into a file-level build graph. A compile names
// exactly the dependency files it reads: a dependency's .rmeta where
// metadata suffices (§9), its .rlib/.so otherwise, and every transitive
// .rlib when it links. Edges to binaries are dropped (P12): integration
// tests need them only when they run.
func (p *Plan) Graph() (*graph.Graph, error) {
	g := graph.New()
	for _, u := range p.Units {
		if u.J.Mode == "doc" || u.J.Mode == "doctest" || u.J.Mode == "docscrape" {
			continue
		}
		a := &graph.Action{Name: u.Name(), Label: u.Label, Data: u}
		var ins, outs []string
		early := ""
		if u.IsRun {
			a.Kind = graph.RunScript
			if s := u.ScriptUnit(); s != nil {
				ins = append(ins, s.Exe)
			}
			for _, d := range u.Deps {
				if d.IsRun {
					ins = append(ins, d.RunOutputFile())
				}
			}
			outs = append(outs, u.RunOutputFile())
		} else {
			a.Kind = graph.Compile
			ins = p.compileInputs(u)
			outs = append(outs, u.Main...)
			outs = append(outs, u.DepInfo)
			for _, up := range u.Uplifts {
				outs = append(outs, up[1])
			}
			if u.J.Mode == "build" && u.Rmeta != "" {
				early = u.Rmeta
			}
		}
		if _, err := g.AddAction(a, ins, outs, early); err != nil {
			return nil, err
		}
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

func (p *Plan) compileInputs(u *Unit) []string {
	var ins []string
	for _, d := range u.Deps {
		switch {
		case d.IsRun:
			continue
		case !d.Linkable || d.J.Mode == "doc":
			continue // bins for integration tests: needed only at run time
		case OnlyNeedsRmeta(u, d) || d.CheckMode:
			ins = append(ins, d.Rmeta)
		default:
			ins = append(ins, d.Linkables...)
		}
	}
	if u.ReqUpstream && !u.CheckMode {
		seen := map[*Unit]bool{}
		var walk func(x *Unit)
		walk = func(x *Unit) {
			for _, d := range x.Deps {
				if d.IsRun || !d.Linkable || seen[d] {
					continue
				}
				seen[d] = true
				ins = append(ins, d.Linkables...)
				if !d.IsProcMacro {
					walk(d)
				}
			}
		}
		walk(u)
	}
	for _, r := range u.ToLink {
		ins = append(ins, r.RunOutputFile())
	}
	for _, r := range u.Plugins {
		ins = append(ins, r.RunOutputFile())
	}
	return ins
}
