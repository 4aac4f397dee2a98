package graph

import (
	"sort"
	"strings"
)

// Rule is an action as another build system runs it: one process, its
// exact environment and the files it reads and writes (the Action's
// inputs and outputs). Generators and build-plan importers put a *Rule in
// Action.Data; the writers in this package turn a graph of them into Ninja,
// Tup or build-plan files.
type Rule struct {
	Argv []string
	// Env holds only the variables set on top of the inherited
	// environment, KEY=VALUE, sorted.
	Env []string
	Dir string // where the command runs
	// Depfile is the dep-info file the command writes (make syntax), for
	// tools that read one; it is not among the action's outputs.
	Depfile string
	// Description is what a build shows while the rule runs.
	Description string
	// Meta is the rest of what a build plan says of the invocation; nil
	// when it says nothing more (a plan of plain commands). It is apart
	// because a build holds every rule to the end and reads little of
	// it: inline, its empty fields were half of each rule (96 of 192
	// bytes; 9.6 MB of rbuild bench --scale's 100k-action build).
	Meta *RuleMeta
}

// RuleMeta is what a build-plan consumer wants to know about an
// invocation beyond its command.
type RuleMeta struct {
	Package    string
	Version    string
	TargetKind []string
	Platform   string // target triple, "" for the host
	Mode       string // build, test, check
	// Links are hard links to make after the command, link → file.
	Links map[string]string
}

// RuleOf returns the action's rule, or nil.
func RuleOf(a *Action) *Rule {
	r, _ := a.Data.(*Rule)
	return r
}

// Info is the rule's metadata; all of it zero when the rule has none.
func (r *Rule) Info() RuleMeta {
	if r.Meta == nil {
		return RuleMeta{}
	}
	return *r.Meta
}

// NewRuleMeta returns m, or nil when m is all zero (nil slices and map
// included: an empty one is kept, so that a plan written again says []
// where it said []).
func NewRuleMeta(m RuleMeta) *RuleMeta {
	if m.Package == "" && m.Version == "" && m.TargetKind == nil && m.Platform == "" && m.Mode == "" && m.Links == nil {
		return nil
	}
	return &m
}

// SortEnv sorts KEY=VALUE entries by key, for deterministic output.
func SortEnv(env []string) []string {
	sort.Slice(env, func(i, j int) bool {
		ki, _, _ := strings.Cut(env[i], "=")
		kj, _, _ := strings.Cut(env[j], "=")
		return ki < kj
	})
	return env
}

// ShellQuote renders argv for a POSIX shell, quoting only what needs it
// (the way cargo's -v prints commands).
func ShellQuote(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = QuoteArg(a)
	}
	return strings.Join(parts, " ")
}

// QuoteArg quotes one shell word.
func QuoteArg(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=/,.+", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// commandLine is the rule as one shell command: the variables as
// assignments in front of the program, after a cd if the rule runs
// elsewhere than base.
func (r *Rule) commandLine(base string) string {
	var b, vars strings.Builder
	for _, kv := range r.Env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.Contains(v, "\n") {
			// Neither Ninja nor Tup can put a newline on a command
			// line (package descriptions have them), so the shell
			// makes one: NL holds a newline, the value is spliced
			// from double-quoted pieces around ${NL}.
			if !strings.Contains(b.String(), "NL=") {
				b.WriteString("NL=`printf '\\nx'`; NL=${NL%x}; ")
			}
			parts := strings.Split(v, "\n")
			for i, p := range parts {
				parts[i] = dquote(p)
			}
			vars.WriteString(k + "=\"" + strings.Join(parts, "${NL}") + "\" ")
			continue
		}
		vars.WriteString(k + "=" + QuoteArg(v) + " ")
	}
	if r.Dir != "" && r.Dir != base {
		b.WriteString("cd " + QuoteArg(r.Dir) + " && ")
	}
	b.WriteString(vars.String())
	b.WriteString(ShellQuote(r.Argv))
	return b.String()
}

// dquote escapes text for the inside of a double-quoted shell word.
func dquote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(s)
}

// Header is what every generated file starts with: who wrote it and the
// command that writes it again.
type Header struct {
	Tool  string   // "rbuild 0.1.0"
	Regen []string // argv that regenerates the file
	// RegenDir is where Regen must run, if not in Base.
	RegenDir string
	// Base is the directory the file's relative paths are relative to;
	// rules whose Dir differs change into theirs first.
	Base string
	// Self is the generated file's path as written in it, and Sources the
	// files it was derived from (manifests, lockfile, configs, files the
	// build scripts named): Ninja regenerates Self when one changes.
	Self    string
	Sources []string
}

func (h Header) lines(comment string) string {
	return comment + " Generated by " + h.Tool + ". Do not edit: regenerate with\n" +
		comment + "   " + ShellQuote(h.Regen) + "\n"
}
