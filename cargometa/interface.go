package cargometa

// EnableInterfaceCutoff marks the lib units whose dependents' compiles may
// be judged by the unit's interface fingerprint rather than its exact
// output (Unit.Interface), and makes their commands carry what that needs.
// Left out, because a dependent there sees more than the interface
// (rustc-facts.md §1, rows 6, 28, 29):
//   - proc macros, build scripts and every crate linked into one: the
//     .so / executable embeds the crate's code and runs it at build time;
//   - dylibs and crates without an rmeta (their dependents link them);
//   - crates built for a fat or thin LTO unit, whose codegen sees bodies.
func (p *Plan) EnableInterfaceCutoff() {
	if p.NoUnstable {
		return // its fingerprints need -Z binary-dep-depinfo
	}
	host := map[*Unit]bool{}
	var mark func(u *Unit)
	mark = func(u *Unit) {
		for _, d := range u.Deps {
			if !host[d] && !d.IsRun {
				host[d] = true
				mark(d)
			}
		}
	}
	for _, u := range p.Units {
		if (u.IsBuildScript && !u.IsRun) || u.IsProcMacro || u.LTO == ltoRun {
			mark(u)
		}
	}
	for _, u := range p.Units {
		u.Interface = u.IsLib && u.Linkable && !u.IsProcMacro && u.Rmeta != "" && !host[u] &&
			u.J.Mode != "doc" && !u.TestMode
	}
}
