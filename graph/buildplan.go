package graph

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// BuildPlan is cargo's legacy `--build-plan` JSON (removed from cargo in
// 1.93): invocations in dependency order, each naming the invocations it
// depends on by index, and the files the plan was derived from.
type BuildPlan struct {
	Invocations []Invocation `json:"invocations"`
	Inputs      []string     `json:"inputs"`
}

// Invocation is one process of a build plan. Paths in Outputs and Links
// are absolute; Args may hold paths relative to Cwd.
type Invocation struct {
	PackageName    string            `json:"package_name"`
	PackageVersion string            `json:"package_version"`
	TargetKind     []string          `json:"target_kind"`
	Kind           *string           `json:"kind"` // target triple, null for the host
	CompileMode    string            `json:"compile_mode"`
	Deps           []int             `json:"deps"`
	Outputs        []string          `json:"outputs"`
	Links          map[string]string `json:"links"`
	Program        string            `json:"program"`
	Args           []string          `json:"args"`
	Env            map[string]string `json:"env"`
	Cwd            string            `json:"cwd"`
}

// WriteBuildPlan writes g (every action carrying a *Rule) as a build plan.
// A rule's depfile is listed among its outputs, as cargo listed
// everything rustc writes.
func WriteBuildPlan(out io.Writer, g *Graph, h Header) error {
	abs := func(p string) string {
		if filepath.IsAbs(p) || h.Base == "" {
			return p
		}
		return filepath.Join(h.Base, p)
	}
	plan := BuildPlan{Invocations: []Invocation{}, Inputs: []string{}}
	index := map[ActionID]int{}
	for _, id := range g.Order() {
		a := g.Actions[id]
		r := RuleOf(a)
		if r == nil || len(r.Argv) == 0 {
			return fmt.Errorf("build plan: action %s has no command", a.Label)
		}
		m := r.Info()
		inv := Invocation{PackageName: m.Package, PackageVersion: m.Version, TargetKind: m.TargetKind,
			CompileMode: m.Mode, Deps: []int{}, Outputs: []string{}, Links: map[string]string{},
			Program: r.Argv[0], Args: r.Argv[1:], Env: map[string]string{}, Cwd: r.Dir}
		if inv.Cwd == "" {
			inv.Cwd = h.Base
		}
		if m.Platform != "" {
			inv.Kind = &m.Platform
		}
		seen := map[int]bool{}
		for _, in := range a.Inputs {
			if p := g.Files[in].Producer; p != NoAction && !seen[index[p]] {
				seen[index[p]] = true
				inv.Deps = append(inv.Deps, index[p])
			}
		}
		for _, o := range a.Outputs {
			inv.Outputs = append(inv.Outputs, abs(g.Files[o].Path))
		}
		if r.Depfile != "" {
			inv.Outputs = append(inv.Outputs, abs(r.Depfile))
		}
		for l, f := range m.Links {
			inv.Links[abs(l)] = abs(f)
		}
		for _, kv := range r.Env {
			k, v, _ := strings.Cut(kv, "=")
			inv.Env[k] = v
		}
		index[id] = len(plan.Invocations)
		plan.Invocations = append(plan.Invocations, inv)
	}
	for _, s := range h.Sources {
		plan.Inputs = append(plan.Inputs, abs(s))
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(plan)
}
