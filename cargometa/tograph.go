package cargometa

import (
	"fmt"

	"rbuild/graph"
)

// Graph turns the plan into a file-level build graph. A compile names
// exactly the dependency files it reads (ViewFiles): .rmeta files where
// metadata suffices (§9), .rlib/.so files when it links. An executable is
// a compile and a link action (Unit.SplitLink). Edges to binaries are
// dropped (P12): integration tests need them only when they run.
func (p *Plan) Graph() (*graph.Graph, error) {
	g := graph.New()
	names := map[string]*Unit{} // the log's keys: one unit each (host and target copies differ by hash)
	for _, u := range p.Units {
		if u.J.Mode == "doc" || u.J.Mode == "doctest" || u.J.Mode == "docscrape" {
			continue
		}
		if o := names[u.Name()]; o != nil {
			return nil, fmt.Errorf("units %d and %d have one name, %s", o.Index, u.Index, u.Name())
		}
		names[u.Name()] = u
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
		} else if u.SplitLink {
			// The compile makes objects and the .rlink; the link turns
			// them and every transitive .rlib into the executable.
			a.Kind = graph.Compile
			ins = p.compileInputs(u)
			outs = append(outs, u.Rlink, u.DepInfo)
			link := &graph.Action{Name: u.LinkName(), Label: u.Label, Kind: graph.Link, Data: u}
			if _, err := g.AddAction(link, append([]string{u.Rlink}, p.ViewFiles(u)...), finalOutputs(u), ""); err != nil {
				return nil, err
			}
		} else {
			a.Kind = graph.Compile
			ins = p.compileInputs(u)
			outs = append(finalOutputs(u), u.DepInfo)
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

// finalOutputs: the unit's artifacts and their uplifted copies.
func finalOutputs(u *Unit) []string {
	outs := append([]string{}, u.Main...)
	for _, up := range u.Uplifts {
		outs = append(outs, up[1])
	}
	return outs
}

func (p *Plan) compileInputs(u *Unit) []string {
	ins := p.ViewFiles(u)
	for _, r := range u.ToLink {
		ins = append(ins, r.RunOutputFile())
	}
	for _, r := range u.Plugins {
		ins = append(ins, r.RunOutputFile())
	}
	return ins
}
