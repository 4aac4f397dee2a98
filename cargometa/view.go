package cargometa

// ViewFiles lists the dependency artifacts u's rustc may open, each once:
// the files passed with --extern and, transitively, what those crates'
// metadata refers to. The compile sees them through u.ViewDir, a directory
// of links to exactly these files. rustc looks for a crate's dependencies
// by listing the `-L dependency=` directory and loads any copy whose crate
// hash matches, silently (rustc-facts.md rows 34–35): a shared deps/ would
// let an older artifact, or an old .rlib beside a new .rmeta, stand in.
// An exact view also makes the files rustc reads the files the graph
// declares.
//
// A compile that links (binaries, tests, proc macros, build scripts,
// dylibs) needs every transitive .rlib; a pipelined lib or check compile
// needs .rmeta files. Proc macros are entered as their .so, never walked
// into: rustc does not load a proc macro's own dependencies.
func (p *Plan) ViewFiles(u *Unit) []string {
	seen := map[*Unit]bool{}
	var files []string
	var walk func(x *Unit)
	walk = func(x *Unit) {
		for _, d := range x.Deps {
			if d.IsRun || !d.Linkable || d.J.Mode == "doc" || seen[d] {
				continue
			}
			seen[d] = true
			files = append(files, viewFile(u, d)...)
			if !d.IsProcMacro {
				walk(d)
			}
		}
	}
	walk(u)
	return files
}

// ReadsRlibs tells whether u's compile needs its dependencies' .rlib
// files: it links (or, split, makes the objects for a link), rather than
// only needing their metadata.
func (u *Unit) ReadsRlibs() bool { return u.ReqUpstream && !u.CheckMode }

// viewFile is what of dep d the compile of u reads.
func viewFile(u, d *Unit) []string {
	switch {
	case d.CheckMode:
		return []string{d.Rmeta}
	case !u.ReadsRlibs() && d.Rmeta != "" && OnlyNeedsRmeta(u, d):
		return []string{d.Rmeta}
	}
	return d.Linkables
}
