package cargometa

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"rbuild/graph"
)

// GenOptions places a generated build (Ninja, Tup, build plan): its
// commands run in Base, paths under Base are written relative to it, and
// its artifacts go to OutDir, one directory per unit.
type GenOptions struct {
	Base   string
	OutDir string
}

// GenGraph describes the build as rules another build system can run: one
// rustc per unit, cargo's single-step commands (no -Z no-link split, no
// incremental directory, no JSON diagnostics), and build-script output
// taken from outs: the scripts ran when the rules were generated, and
// their cfgs, env, link flags and OUT_DIR are baked into the commands.
//
// Each unit writes to its own directory, its .rmeta to a subdirectory of
// it, and a compile gets one `-L dependency=` per directory holding a
// file of its exact view (ViewFiles). rustc lists those directories and
// finds only the files the rule declares as inputs (rustc-facts.md §7
// row 8), with no links to make: the dependency views of rbuild's own
// builds, made of the artifacts' own directories.
func (p *Plan) GenGraph(o GenOptions, outs BuildOutputs) (*graph.Graph, error) {
	units := p.genUnits()
	gen := map[string]string{}   // rbuild's artifact path → the generated build's
	exeAt := map[string]string{} // where cargo uplifts an executable → where the generated build puts it
	for _, u := range units {
		p.genLayout(u, o, gen)
		for _, up := range u.Uplifts {
			if up[0] == u.Exe {
				exeAt[up[1]] = gen[u.Exe]
			}
		}
	}
	rel := func(path string) string { return RelUnder(o.Base, path) }
	g := graph.New()
	for _, u := range units {
		c, err := p.CompileCommand(u, outs)
		if err != nil {
			return nil, err
		}
		view := p.ViewFiles(u)
		argv, err := p.genArgv(u, c, view, gen, rel)
		if err != nil {
			return nil, err
		}
		r := &graph.Rule{Argv: argv, Env: graph.SortEnv(p.genEnv(u, c.Env, exeAt)), Dir: o.Base,
			Depfile: rel(gen[u.DepInfo]), Description: "rustc " + u.Pkg.Name + " v" + u.Pkg.Version + " " + u.describe(),
			Meta: graph.NewRuleMeta(graph.RuleMeta{Package: u.Pkg.Name, Version: u.Pkg.Version, TargetKind: u.J.Target.Kind,
				Platform: platformOf(u), Mode: u.J.Mode})}
		var ins, outputs []string
		for _, f := range view {
			ins = append(ins, rel(gen[f]))
		}
		for _, f := range u.Main {
			outputs = append(outputs, rel(gen[f]))
		}
		a := &graph.Action{Name: u.Name(), Label: u.Label, Kind: graph.Compile, Data: r}
		if _, err := g.AddAction(a, ins, outputs, ""); err != nil {
			return nil, err
		}
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// genUnits are the units a generated build runs: everything the roots
// need, except build scripts (already run) and what only they need.
func (p *Plan) genUnits() []*Unit {
	need := map[*Unit]bool{}
	var walk func(u *Unit)
	walk = func(u *Unit) {
		if need[u] || u.IsRun || u.IsBuildScript || u.J.Mode == "doc" || u.J.Mode == "doctest" || u.J.Mode == "docscrape" {
			return
		}
		need[u] = true
		for _, d := range u.Deps {
			walk(d)
		}
	}
	for _, r := range p.Roots {
		walk(r)
	}
	var out []*Unit
	for _, u := range p.Units {
		if need[u] {
			out = append(out, u)
		}
	}
	return out
}

// genDir is a unit's directory in a generated build.
func genDir(u *Unit, o GenOptions) string {
	return filepath.Join(o.OutDir, u.CrateName+"-"+u.Hash)
}

// genLayout maps the unit's files to the generated build's: the .rmeta
// into the unit's rmeta/ subdirectory (a compile that needs only
// metadata lists that directory and sees no .rlib), executables cargo
// would uplift straight to OutDir/<name> (examples/<name>), the rest into
// the unit's directory under their usual names.
func (p *Plan) genLayout(u *Unit, o GenOptions, gen map[string]string) {
	dir := genDir(u, o)
	for _, f := range append(slices.Clone(u.Main), u.DepInfo) {
		gen[f] = filepath.Join(dir, filepath.Base(f))
	}
	if u.Rmeta != "" {
		gen[u.Rmeta] = filepath.Join(dir, "rmeta", filepath.Base(u.Rmeta))
	}
	for _, up := range u.Uplifts {
		if up[0] == u.Exe && !u.IsBuildScript {
			if r, err := filepath.Rel(u.UpliftDir, up[1]); err == nil && !strings.HasPrefix(r, "..") {
				// The executable's directory is its --out-dir: rustc's
				// temporary objects and the dep-info go there (named
				// with the unit's hash), and the generated build's
				// tools create it as an output's directory.
				gen[u.Exe] = filepath.Join(o.OutDir, r)
				gen[u.DepInfo] = filepath.Join(filepath.Dir(gen[u.Exe]), filepath.Base(u.DepInfo))
			}
		}
	}
}

// genArgv rewrites rbuild's command for the generated build's layout.
func (p *Plan) genArgv(u *Unit, c *Command, view []string, gen map[string]string, rel func(string) string) ([]string, error) {
	byBase := map[string]string{}
	var depDirs []string
	for _, f := range view {
		byBase[filepath.Base(f)] = gen[f]
		if d := rel(filepath.Dir(gen[f])); !slices.Contains(depDirs, d) {
			depDirs = append(depDirs, d)
		}
	}
	// A workspace member's crate root is passed relative to the
	// workspace root (c.Dir), as cargo does; file!() and panic messages
	// show it so. The generated command runs in base instead.
	src := *u.J.Target.SrcPath
	srcArg := RelUnder(c.Dir, src)
	argv := c.Argv
	out := make([]string, 0, len(argv)+len(depDirs))
	next := func(i int) string {
		if i+1 < len(argv) {
			return argv[i+1]
		}
		return ""
	}
	binDepInfo := false
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--error-format=json" || strings.HasPrefix(a, "--json="):
		case strings.HasPrefix(a, "--emit="):
			out = append(out, "--emit="+p.genEmit(u, gen, rel))
		case a == "-Z" && next(i) == "no-link":
			i++
		case a == "-Z" && next(i) == "binary-dep-depinfo":
			binDepInfo = true
			out = append(out, a, next(i))
			i++
		case a == "-C" && strings.HasPrefix(next(i), "incremental="):
			i++
		case a == "--out-dir":
			out = append(out, a, rel(filepath.Dir(gen[u.DepInfo])))
			i++
		case a == "-L" && next(i) == "dependency="+u.ViewDir:
			for _, d := range depDirs {
				out = append(out, "-L", "dependency="+d)
			}
			i++
		case a == "--extern" && strings.Contains(next(i), "="):
			name, path, _ := strings.Cut(next(i), "=")
			if filepath.Dir(path) == u.ViewDir {
				f, ok := byBase[filepath.Base(path)]
				if !ok {
					return nil, fmt.Errorf("gen: %s: --extern %s is not in its dependency view", u.Label, path)
				}
				path = rel(f)
			}
			out = append(out, a, name+"="+path)
			i++
		case a == srcArg && u.Local:
			out = append(out, rel(src))
		default:
			out = append(out, a)
		}
	}
	if !binDepInfo {
		// The crates rustc loaded go into the depfile: what
		// `ninja -t missingdeps` checks against the declared edges.
		out = append(out, "-Z", "binary-dep-depinfo")
	}
	return out, nil
}

// genEmit is the --emit list with the .rmeta (and an uplifted
// executable) at their generated paths; the rest follows --out-dir.
func (p *Plan) genEmit(u *Unit, gen map[string]string, rel func(string) string) string {
	emit := []string{"dep-info"}
	if u.Rmeta != "" {
		emit = append(emit, "metadata="+rel(gen[u.Rmeta]))
	}
	if !u.CheckMode {
		link := "link"
		if u.Exe != "" && filepath.Base(gen[u.Exe]) != filepath.Base(u.Exe) {
			link += "=" + rel(gen[u.Exe])
		}
		emit = append(emit, link)
	}
	return strings.Join(emit, ",")
}

// genEnv is the compile's environment without rbuild's own deps dir in
// LD_LIBRARY_PATH (proc macros are loaded by path in a generated build),
// and with CARGO_BIN_EXE_<name> naming the generated build's executable.
func (p *Plan) genEnv(u *Unit, env []string, exeAt map[string]string) []string {
	out := make([]string, 0, len(env))
	own := filepath.Join(p.hostProfDir(u), "deps")
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "CARGO_BIN_EXE_") && exeAt[v] != "" {
			kv = k + "=" + exeAt[v]
		}
		if v, ok := strings.CutPrefix(kv, "LD_LIBRARY_PATH="); ok {
			var keep []string
			for _, d := range filepath.SplitList(v) {
				if d != own && d != "" {
					keep = append(keep, d)
				}
			}
			if len(keep) == 0 {
				continue
			}
			kv = "LD_LIBRARY_PATH=" + strings.Join(keep, ":")
		}
		out = append(out, kv)
	}
	return out
}

// describe says which target of its package the unit builds: "(lib)",
// "(bin \"app\")", "(lib test)".
func (u *Unit) describe() string {
	k := u.Kind()
	var d string
	switch {
	case u.IsLib && u.TestMode:
		d = "lib test"
	case u.IsLib:
		d = "lib"
	case u.TestMode:
		d = k + " \"" + u.J.Target.Name + "\" test"
	default:
		d = k + " \"" + u.J.Target.Name + "\""
	}
	if u.CheckMode {
		d += " check"
	}
	return "(" + d + ")"
}

// RelUnder writes path relative to base when it lies below base.
func RelUnder(base, path string) string {
	if path == "" || base == "" {
		return path
	}
	if r, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
