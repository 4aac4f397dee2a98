package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"rbuild/cargometa"
	"rbuild/cutoff"
)

// builtinCrate is the crate the built-in scenarios edit, and why.
type builtinCrate struct {
	Name       string `json:"name"`
	Dependents int    `json:"dependents"` // packages that depend on it, directly or not
	Packages   int    `json:"packages"`   // packages in the build
	Root       string `json:"root"`       // its crate root, relative to the workspace
}

// builtinScenarios chooses the standard edits in the path package whose
// lib has the most transitive dependents: there a private edit costs cargo
// the most and the cutoff saves the most. The plan's lib compile must
// have been built (its dep-info says which files rustc read).
func builtinScenarios(p *cargometa.Plan) (builtinCrate, []scenario, error) {
	lib, n, total := mostDepended(p)
	if lib == nil {
		return builtinCrate{}, nil, fmt.Errorf("no path package with a library in this workspace: write a scenario file (--scenarios)")
	}
	rel := func(path string) string {
		r, err := filepath.Rel(p.WsRoot, path)
		if err != nil {
			return path
		}
		return r
	}
	crate := builtinCrate{Name: lib.Pkg.Name, Dependents: n, Packages: total, Root: rel(*lib.J.Target.SrcPath)}
	out := []scenario{
		{Name: "noop", What: "no change: the cost of finding that nothing changed", Edit: fileEdit{Kind: "noop"}},
		{Name: "touch", What: "touch " + crate.Root + ": a newer file, the same bytes", Edit: fileEdit{Kind: "touch", File: crate.Root}},
		{Name: "comment", What: "append a comment to " + crate.Root, Edit: fileEdit{Kind: "append-comment", File: crate.Root}},
	}
	priv, ok, err := privateBody(p, lib, rel)
	if err != nil {
		return crate, nil, err
	}
	if ok {
		out = append(out, priv)
	}
	out = append(out, scenario{Name: "public-signature",
		What: "add a documented `pub fn` to " + crate.Root + ": the public interface changes, every dependent recompiles",
		Edit: fileEdit{Kind: "append", File: crate.Root, Text: "\n/// Added by `rbuild bench`.\npub fn rbuild_bench_api_{n}() {}\n"}})
	if leaf, ok := leafScenario(p, lib, rel); ok {
		out = append(out, leaf)
	}
	return crate, append(out, testLoop(out)...), nil
}

// testLoop is the test loop's share of the built-in set: the edits that
// change code (below, in the public interface, in a leaf), each followed
// by `cargo test` / `rbuild test`, timed to the last test's result.
func testLoop(build []scenario) []scenario {
	var out []scenario
	for _, sc := range build {
		switch sc.Name {
		case "private-body", "public-signature", "leaf":
			sc.Name, sc.Command = "test:"+sc.Name, "test"
			sc.What = "the " + strings.TrimPrefix(sc.Name, "test:") + " edit, then the tests: `cargo test` / `rbuild test` to the last test's result"
			out = append(out, sc)
		}
	}
	return out
}

// mostDepended returns the lib unit of a path package with the most
// packages depending on it, their number and the number of packages.
func mostDepended(p *cargometa.Plan) (*cargometa.Unit, int, int) {
	pkgs := map[string]bool{}
	var best *cargometa.Unit
	bestN := -1
	for _, u := range p.Units {
		pkgs[u.J.PkgID] = true
	}
	for _, u := range p.Units {
		if !u.Local || !u.IsLib || u.IsRun || u.IsBuildScript || u.TestMode || u.J.Mode != "build" {
			continue
		}
		n := len(dependentPackages(u))
		if n > bestN || (n == bestN && u.Pkg.Name < best.Pkg.Name) {
			best, bestN = u, n
		}
	}
	return best, bestN, len(pkgs)
}

func dependentPackages(u *cargometa.Unit) map[string]bool {
	seen := map[*cargometa.Unit]bool{}
	pkgs := map[string]bool{}
	var walk func(x *cargometa.Unit)
	walk = func(x *cargometa.Unit) {
		for _, d := range x.Dependents {
			if seen[d] {
				continue
			}
			seen[d] = true
			if d.J.PkgID != u.J.PkgID {
				pkgs[d.J.PkgID] = true
			}
			walk(d)
		}
	}
	walk(u)
	return pkgs
}

// privateBody finds the first fn, in the order rustc read the crate's
// files, that is private and whose body is no part of the crate's
// interface: the edit RDR exists for. A crate without one has no such
// scenario.
func privateBody(p *cargometa.Plan, lib *cargometa.Unit, rel func(string) string) (scenario, bool, error) {
	files, err := crateSources(p, lib)
	if err != nil {
		return scenario{}, false, err
	}
	var skel []cutoff.SkeletonFile
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return scenario{}, false, fmt.Errorf("private-body scenario: %w", err)
		}
		skel = append(skel, cutoff.SkeletonFile{Path: f, Src: data})
	}
	bodies, err := cutoff.FnBodies(skel, cutoff.SkeletonOptions{})
	if err != nil {
		return scenario{}, false, fmt.Errorf("private-body scenario: %w", err)
	}
	src := map[string][]byte{}
	for _, f := range skel {
		src[f.Path] = f.Src
	}
	// A private fn first; else a pub one whose body is still no part of
	// the interface (not generic, not inline): RDR treats both alike.
	for _, wantPub := range []bool{false, true} {
		for _, b := range bodies {
			data := src[b.Path]
			if b.Public != wantPub || b.Keep != "" || afterTestCfg(data, b.Open) || opensWithInnerAttr(data, b.Open) {
				continue
			}
			vis := "private"
			if b.Public {
				vis = "public (the crate has no private fn outside its interface)"
			}
			where := fmt.Sprintf("%s:%d", rel(b.Path), b.Line)
			return scenario{Name: "private-body",
				What: fmt.Sprintf("a statement added to fn `%s` (%s): %s, and its body is no part of %s's interface (not generic, not inline, not const)", b.Name, where, vis, lib.Pkg.Name),
				Edit: fileEdit{Kind: "insert-at", File: rel(b.Path), Offset: b.Open + 1, Text: " let _rbuild_bench = {n}u32;"}}, true, nil
		}
	}
	return scenario{}, false, nil
}

// crateSources lists the Rust files rustc read for the unit's last
// compile, in its order (the crate root first), within the package.
func crateSources(p *cargometa.Plan, u *cargometa.Unit) ([]string, error) {
	di, err := cutoff.ReadDepInfo(u.DepInfo)
	if err != nil {
		return nil, fmt.Errorf("sources of %s (is it built?): %w", u.Pkg.Name, err)
	}
	dir := filepath.Dir(u.Pkg.ManifestPath) + string(filepath.Separator)
	cwd, _ := p.CompileDir(u)
	var out []string
	for _, f := range di.Paths(cwd) {
		if strings.HasSuffix(f, ".rs") && strings.HasPrefix(f, dir) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sources of %s: its dep-info %s names no file of the package", u.Pkg.Name, u.DepInfo)
	}
	return out, nil
}

// afterTestCfg: a `#[cfg(test)]` before off in the file; what follows is
// usually test code, which a normal build does not compile.
func afterTestCfg(data []byte, off int) bool {
	return bytes.Contains(data[:off], []byte("#[cfg(test)]"))
}

// opensWithInnerAttr: the body starts with `#![...]`, before which no
// statement may go.
func opensWithInnerAttr(data []byte, open int) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data[open+1:], " \t\r\n"), []byte("#!"))
}

// leafScenario edits the main fn of a binary of the workspace, preferring
// one built on the edited crate: only that binary recompiles.
func leafScenario(p *cargometa.Plan, lib *cargometa.Unit, rel func(string) string) (scenario, bool) {
	dependents := dependentPackages(lib)
	var bins []*cargometa.Unit
	for _, u := range p.Units {
		if u.Local && u.Kind() == "bin" && !u.TestMode && !u.IsBuildScript && u.J.Mode == "build" {
			bins = append(bins, u)
		}
	}
	slices.SortFunc(bins, func(a, b *cargometa.Unit) int {
		if da, db := dependents[a.J.PkgID], dependents[b.J.PkgID]; da != db {
			if da {
				return -1
			}
			return 1
		}
		return strings.Compare(a.J.Target.Name, b.J.Target.Name)
	})
	for _, u := range bins {
		data, err := os.ReadFile(*u.J.Target.SrcPath)
		if err != nil {
			continue
		}
		bodies, err := cutoff.FnBodies([]cutoff.SkeletonFile{{Path: *u.J.Target.SrcPath, Src: data}}, cutoff.SkeletonOptions{})
		if err != nil {
			continue
		}
		for _, b := range bodies {
			if b.Name == "main" && !opensWithInnerAttr(data, b.Open) {
				return scenario{Name: "leaf",
					What: fmt.Sprintf("a statement added to fn main of binary %s (%s:%d): nothing depends on it", u.J.Target.Name, rel(b.Path), b.Line),
					Edit: fileEdit{Kind: "insert-at", File: rel(b.Path), Offset: b.Open + 1, Text: " let _rbuild_bench = {n}u32;"}}, true
			}
		}
	}
	return scenario{}, false
}
