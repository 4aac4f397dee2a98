package cargometa

import (
	"strings"
)

// LinkCommand is the second half of a SplitLink unit: rustc -Z link-only on
// the compile's .rlink. The .rlink fixes the output path, crate type and
// the rlibs to link (by their paths in the unit's view, so the link action
// refreshes the view first); everything else that shapes the link comes
// from this command line and must repeat the compile's flags
// (rustc-facts.md §8): codegen options, native search paths and libs,
// --test and --target. -C save-temps keeps the objects for the next link.
func (p *Plan) LinkCommand(u *Unit, compile *Command) *Command {
	argv := append([]string{}, p.rustcPrefix(u)...)
	argv = append(argv, "-Z", "link-only", u.Rlink, "-C", "save-temps",
		"--error-format=json", p.jsonFlag())
	args := rustcArgs(p, u, compile)
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-C" || a == "-L" || a == "-l" || a == "--target":
			if i+1 < len(args) && keepForLink(a, args[i+1]) {
				argv = append(argv, a, args[i+1])
			}
			i++
		case strings.HasPrefix(a, "-C") || strings.HasPrefix(a, "-L") || strings.HasPrefix(a, "-l") || strings.HasPrefix(a, "--target="):
			if keepForLink(a[:2], a[2:]) {
				argv = append(argv, a)
			}
		case a == "--test":
			argv = append(argv, a)
		}
	}
	return &Command{Argv: argv, Env: compile.Env, Unset: compile.Unset, Dir: compile.Dir}
}

// rustcArgs is the compile's argv after the wrapper(s) and rustc.
func rustcArgs(p *Plan, u *Unit, c *Command) []string {
	return c.Argv[len(p.rustcPrefix(u)):]
}

// keepForLink drops what belongs to the compile only: its identity and
// incremental state (the .rlink already carries them) and the dependency
// view (the .rlink names each rlib).
func keepForLink(flag, val string) bool {
	switch flag {
	case "-C":
		name, _, _ := strings.Cut(val, "=")
		// symbol-mangling-version was applied by the compile; legacy
		// needs -Z unstable-options, which a link does not get.
		return name != "metadata" && name != "extra-filename" && name != "incremental" && name != "symbol-mangling-version"
	case "-L":
		return !strings.HasPrefix(val, "dependency=")
	}
	return true
}
