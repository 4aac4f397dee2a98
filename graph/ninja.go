package graph

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteNinja writes g (every action carrying a *Rule) as a Ninja file.
// Rules with a depfile use `deps = gcc`, so the sources rustc reports
// (and, with -Z binary-dep-depinfo, the crates it loaded) become implicit
// dependencies that `ninja -t missingdeps` can check against the declared
// edges. The file regenerates itself (`generator`, `restat`) when one of
// h.Sources changes.
func WriteNinja(out io.Writer, g *Graph, h Header) error {
	w := bufio.NewWriter(out)
	w.WriteString(h.lines("#"))
	w.WriteString(`# Run ninja in this file's directory: paths are relative to it.

ninja_required_version = 1.10

rule rustc
  command = $cmd
  description = $desc
  depfile = $depfile
  deps = gcc

rule cmd
  command = $cmd
  description = $desc

`)
	if h.Self != "" {
		w.WriteString(`rule regen
  command = $cmd
  description = Regenerating $out
  generator = 1
  restat = 1

`)
		fmt.Fprintf(w, "build %s: regen", ninjaPath(h.Self))
		if len(h.Sources) > 0 {
			w.WriteString(" |")
			for _, s := range h.Sources {
				w.WriteString(" " + ninjaPath(s))
			}
		}
		regen := ShellQuote(h.Regen)
		if h.RegenDir != "" && h.RegenDir != h.Base {
			regen = "cd " + QuoteArg(h.RegenDir) + " && " + regen
		}
		fmt.Fprintf(w, "\n  cmd = %s\n\n", ninjaValue(regen))
	}
	for _, id := range g.Order() {
		a := g.Actions[id]
		r := RuleOf(a)
		if r == nil {
			return fmt.Errorf("ninja: action %s has no command", a.Label)
		}
		rule := "cmd"
		if r.Depfile != "" {
			rule = "rustc"
		}
		w.WriteString("build")
		for _, o := range a.Outputs {
			w.WriteString(" " + ninjaPath(g.Files[o].Path))
		}
		w.WriteString(": " + rule)
		for _, in := range a.Inputs {
			w.WriteString(" " + ninjaPath(g.Files[in].Path))
		}
		fmt.Fprintf(w, "\n  cmd = %s\n  desc = %s\n", ninjaValue(r.commandLine(h.Base)), ninjaValue(r.Description))
		if r.Depfile != "" {
			fmt.Fprintf(w, "  depfile = %s\n", ninjaValue(r.Depfile))
		}
		w.WriteString("\n")
	}
	return w.Flush()
}

// ninjaPath escapes a path on a build line.
func ninjaPath(p string) string {
	return strings.NewReplacer("$", "$$", " ", "$ ", ":", "$:", "\n", "").Replace(p)
}

// ninjaValue escapes a variable's value.
func ninjaValue(v string) string {
	return strings.NewReplacer("$", "$$", "\n", " ").Replace(v)
}
