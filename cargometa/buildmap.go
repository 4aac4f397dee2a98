package cargometa

import (
	"sort"
	"strconv"
	"strings"
)

// buildScriptMap computes which build-script runs reach a unit (cargo-units.md
// §8.6): ToLink feeds -L (and, from the unit's own package, -l and link
// args); Plugins feeds LD_LIBRARY_PATH.
func (p *Plan) buildScriptMap(u *Unit, done map[*Unit]bool) {
	if done[u] {
		return
	}
	done[u] = true
	seen := map[*Unit]bool{}
	add := func(r *Unit) {
		if !seen[r] {
			seen[r] = true
			u.ToLink = append(u.ToLink, r)
		}
	}
	if !u.IsBuildScript {
		for _, d := range u.Deps {
			if d.IsRun && d.J.PkgID == u.J.PkgID {
				u.OwnRuns = append(u.OwnRuns, d)
				add(d)
			}
		}
	}
	deps := append([]*Unit(nil), u.Deps...)
	sort.SliceStable(deps, func(i, j int) bool { return pkgLess(deps[i].Pkg, deps[j].Pkg) })
	pseen := map[*Unit]bool{}
	for _, d := range deps {
		p.buildScriptMap(d, done)
		if d.ForHost {
			for _, r := range d.ToLink {
				if !pseen[r] {
					pseen[r] = true
					u.Plugins = append(u.Plugins, r)
				}
			}
		} else if d.Linkable {
			for _, r := range d.ToLink {
				add(r)
			}
		}
	}
}

// pkgLess orders packages like cargo's PackageId: name, semver version, source.
func pkgLess(a, b *Package) bool {
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	if c := compareSemver(a.Version, b.Version); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}

func compareSemver(a, b string) int {
	a, _, _ = strings.Cut(a, "+")
	b, _, _ = strings.Cut(b, "+")
	ac, apre, _ := strings.Cut(a, "-")
	bc, bpre, _ := strings.Cut(b, "-")
	ap, bp := strings.Split(ac, "."), strings.Split(bc, ".")
	for i := 0; i < 3; i++ {
		var x, y int
		if i < len(ap) {
			x, _ = strconv.Atoi(ap[i])
		}
		if i < len(bp) {
			y, _ = strconv.Atoi(bp[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "":
		return 1
	case bpre == "":
		return -1
	}
	return comparePre(apre, bpre)
}

func comparePre(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, xerr := strconv.Atoi(as[i])
		y, yerr := strconv.Atoi(bs[i])
		switch {
		case xerr == nil && yerr == nil:
			if x != y {
				if x < y {
					return -1
				}
				return 1
			}
		case xerr == nil:
			return -1
		case yerr == nil:
			return 1
		default:
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		}
	}
	return len(as) - len(bs)
}
