package graph

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteTup writes g (every action carrying a *Rule) as a Tupfile, one rule
// per action in dependency order (Tup wants a generated file declared
// before a rule reads it). Inputs are exactly the generated files the
// command reads; Tup finds the sources itself and rejects any read of a
// generated file that is not declared, which is what makes the file a
// proof of exact inputs. The depfile is an ordinary output here.
func WriteTup(out io.Writer, g *Graph, h Header) error {
	w := bufio.NewWriter(out)
	w.WriteString(h.lines("#"))
	w.WriteString("# Run `tup` in this file's directory (after `tup init` at the root of\n" +
		"# the tree). Tup cannot regenerate this file: re-run the command above\n" +
		"# when a manifest, Cargo.lock or a build script's input changes.\n\n")
	for _, id := range g.Order() {
		a := g.Actions[id]
		r := RuleOf(a)
		if r == nil {
			return fmt.Errorf("tup: action %s has no command", a.Label)
		}
		w.WriteString(":")
		for _, in := range a.Inputs {
			p, err := tupPath(g.Files[in].Path)
			if err != nil {
				return err
			}
			w.WriteString(" " + p)
		}
		desc := strings.ReplaceAll(r.Description, "^", "")
		fmt.Fprintf(w, " |> ^o %s^ %s |>", tupText(desc), tupText(r.commandLine(h.Base)))
		outs := make([]string, 0, len(a.Outputs)+1)
		for _, o := range a.Outputs {
			outs = append(outs, g.Files[o].Path)
		}
		if r.Depfile != "" {
			outs = append(outs, r.Depfile)
		}
		for _, o := range outs {
			p, err := tupPath(o)
			if err != nil {
				return err
			}
			w.WriteString(" " + p)
		}
		w.WriteString("\n")
	}
	return w.Flush()
}

// tupText escapes text in a rule's command: % starts Tup's substitutions.
func tupText(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// tupPath checks a path Tup can name: inputs and outputs are separated by
// spaces and cannot quote.
func tupPath(p string) (string, error) {
	if strings.ContainsAny(p, " \t|%{}") {
		return "", fmt.Errorf("tup: cannot name the path %q (Tup paths cannot hold spaces, |, %%, { or })", p)
	}
	return p, nil
}
