package cargometa

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"rbuild/graph"
)

// ReadBuildPlan parses a build plan in cargo's legacy `--build-plan` JSON
// format (graph.BuildPlan) and returns it as a graph of rules. Every
// mistake is reported with the field it is in:
// `invocations[3].args: want an array of strings`.
func ReadBuildPlan(data []byte) (*graph.Graph, *graph.BuildPlan, error) {
	plan, ok := decodePlanFast(data)
	if !ok {
		var err error
		if plan, err = decodePlan(data); err != nil {
			return nil, nil, err
		}
	}
	g, err := planGraph(plan)
	if err != nil {
		return nil, nil, err
	}
	return g, plan, nil
}

// decodePlanFast decodes a well-formed plan in one pass, into the types
// themselves: decodePlan's field-by-field decoding, which can say where
// a mistake is, costs five times the allocations (the scale benchmark's
// 100k invocations). Anything it cannot accept as decodePlan would, it
// leaves to decodePlan. Its one leniency: encoding/json matches a
// field's name regardless of case.
func decodePlanFast(data []byte) (*graph.BuildPlan, bool) {
	var plan struct {
		Invocations []struct {
			graph.Invocation
			// Required fields: missing and null are told apart from
			// empty.
			Outputs *[]string `json:"outputs"`
			Program *string   `json:"program"`
			Args    *[]string `json:"args"`
			Cwd     *string   `json:"cwd"`
		} `json:"invocations"`
		Inputs []string `json:"inputs"`
	}
	if json.Unmarshal(data, &plan) != nil || plan.Invocations == nil {
		return nil, false
	}
	out := &graph.BuildPlan{Invocations: make([]graph.Invocation, len(plan.Invocations)), Inputs: plan.Inputs}
	for i, raw := range plan.Invocations {
		if raw.Outputs == nil || raw.Program == nil || raw.Args == nil || raw.Cwd == nil {
			return nil, false
		}
		inv := raw.Invocation
		inv.Outputs, inv.Program, inv.Args, inv.Cwd = *raw.Outputs, *raw.Program, *raw.Args, *raw.Cwd
		if checkInvocation(&inv, i) != nil {
			return nil, false
		}
		out.Invocations[i] = inv
	}
	return out, true
}

// decodePlan decodes a plan field by field, naming the field of the
// first mistake.
func decodePlan(data []byte) (*graph.BuildPlan, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", jsonProblem(data, err))
	}
	plan := &graph.BuildPlan{}
	raw, ok := top["invocations"]
	if !ok {
		return nil, errors.New("invocations: missing")
	}
	var invs []json.RawMessage
	if err := json.Unmarshal(raw, &invs); err != nil {
		return nil, errors.New("invocations: want an array of objects")
	}
	if in, ok := top["inputs"]; ok {
		if err := json.Unmarshal(in, &plan.Inputs); err != nil {
			return nil, errors.New("inputs: want an array of strings")
		}
	}
	for i, r := range invs {
		inv, err := decodeInvocation(r, len(plan.Invocations))
		if errors.Is(err, errNotObject) {
			return nil, fmt.Errorf("invocations[%d]: want an object", i)
		}
		if err != nil {
			return nil, fmt.Errorf("invocations[%d].%w", i, err)
		}
		plan.Invocations = append(plan.Invocations, inv)
	}
	return plan, nil
}

var errNotObject = errors.New("want an object")

// field is one invocation field: where it goes and how it is described.
type field struct {
	name     string
	into     any
	want     string
	required bool
}

func decodeInvocation(raw json.RawMessage, index int) (graph.Invocation, error) {
	var inv graph.Invocation
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return inv, errNotObject
	}
	fields := []field{
		{"package_name", &inv.PackageName, "a string", false},
		{"package_version", &inv.PackageVersion, "a string", false},
		{"target_kind", &inv.TargetKind, "an array of strings", false},
		{"kind", &inv.Kind, "a target triple or null", false},
		{"compile_mode", &inv.CompileMode, "a string", false},
		{"deps", &inv.Deps, "an array of invocation indices", false},
		{"outputs", &inv.Outputs, "an array of paths", true},
		{"links", &inv.Links, "an object mapping link paths to output paths", false},
		{"program", &inv.Program, "a string", true},
		{"args", &inv.Args, "an array of strings", true},
		{"env", &inv.Env, "an object of strings", false},
		{"cwd", &inv.Cwd, "a string", true},
	}
	for _, f := range fields {
		v, ok := obj[f.name]
		if !ok || string(v) == "null" {
			if f.required {
				return inv, fmt.Errorf("%s: missing (want %s)", f.name, f.want)
			}
			continue
		}
		if err := json.Unmarshal(v, f.into); err != nil {
			return inv, fmt.Errorf("%s: want %s, got %s", f.name, f.want, abbreviate(v))
		}
	}
	return inv, checkInvocation(&inv, index)
}

// checkInvocation checks what the types do not: invocation index of the
// plan names an earlier one as each dependency, a program, absolute paths.
func checkInvocation(inv *graph.Invocation, index int) error {
	switch {
	case inv.Program == "":
		return errors.New("program: empty")
	case !filepath.IsAbs(inv.Cwd):
		return fmt.Errorf("cwd: want an absolute path, got %q", inv.Cwd)
	case len(inv.Outputs) == 0:
		return errors.New("outputs: empty (an invocation must write something)")
	}
	for j, d := range inv.Deps {
		if d < 0 || d >= index {
			return fmt.Errorf("deps[%d]: %d is not an earlier invocation", j, d)
		}
	}
	for j, o := range inv.Outputs {
		if !filepath.IsAbs(o) {
			return fmt.Errorf("outputs[%d]: want an absolute path, got %q", j, o)
		}
	}
	for l, f := range inv.Links {
		if !filepath.IsAbs(l) || !filepath.IsAbs(f) {
			return fmt.Errorf("links: want absolute paths, got %q -> %q", l, f)
		}
	}
	return nil
}

// planGraph makes one action per invocation (planBuilder.add).
func planGraph(plan *graph.BuildPlan) (*graph.Graph, error) {
	b := newPlanBuilder()
	for i, inv := range plan.Invocations {
		if err := b.add(inv, i); err != nil {
			return nil, err
		}
	}
	if err := b.g.Validate(); err != nil {
		return nil, err
	}
	return b.g, nil
}

// planBuilder makes a graph of a plan one invocation at a time, in order:
// a plan read as a stream (ReadBuildPlanFrom) is never held whole.
type planBuilder struct {
	g *graph.Graph
	// strs interns what invocations repeat (a package's directory,
	// program, environment): the decoder makes a string of each.
	strs map[string]string
}

func newPlanBuilder() *planBuilder {
	return &planBuilder{g: graph.New(), strs: map[string]string{}}
}

func (b *planBuilder) intern(s string) string {
	if t, ok := b.strs[s]; ok {
		return t
	}
	b.strs[s] = s
	return s
}

// planNamePrefix makes an invocation's action name from its first output.
const planNamePrefix = "plan:"

// add makes invocation i's action. It reads every output of the
// invocations it depends on (the plan says no more), and writes its
// outputs and links; a dep-info output (`.d`) is its depfile, whose
// sources then decide freshness.
func (b *planBuilder) add(inv graph.Invocation, i int) error {
	g := b.g
	meta := graph.RuleMeta{Package: b.intern(inv.PackageName), Version: b.intern(inv.PackageVersion),
		TargetKind: inv.TargetKind, Mode: b.intern(inv.CompileMode), Links: inv.Links}
	if inv.Kind != nil {
		meta.Platform = b.intern(*inv.Kind)
	}
	r := &graph.Rule{Argv: make([]string, 0, 1+len(inv.Args)), Dir: b.intern(inv.Cwd), Meta: graph.NewRuleMeta(meta)}
	r.Argv = append(append(r.Argv, b.intern(inv.Program)), inv.Args...)
	if len(inv.Env) > 0 {
		r.Env = make([]string, 0, len(inv.Env))
		for k, v := range inv.Env {
			r.Env = append(r.Env, b.intern(k+"="+v))
		}
		graph.SortEnv(r.Env)
	}
	// The name is the first output behind a prefix; the output's path
	// is that part of it, one string for both.
	name := planNamePrefix + inv.Outputs[0]
	first := name[len(planNamePrefix):]
	shared := func(p string) string {
		if p == first {
			return first
		}
		return p
	}
	// A dependency's action writes the outputs it reads: the
	// dependency's outputs but its depfile, and its links.
	var ins []string
	for _, d := range inv.Deps {
		for _, o := range g.Actions[d].Outputs {
			ins = append(ins, g.Files[o].Path)
		}
	}
	r.Depfile = shared(depfileOf(inv))
	outs := make([]string, 0, len(inv.Outputs)+len(inv.Links))
	for _, o := range inv.Outputs {
		if o != r.Depfile {
			outs = append(outs, shared(o))
		}
	}
	links := make([]string, 0, len(inv.Links))
	for l := range inv.Links {
		links = append(links, l)
	}
	sort.Strings(links)
	outs = append(outs, links...)
	kind := strings.Join(inv.TargetKind, ",")
	if inv.CompileMode != "" && inv.CompileMode != "build" {
		kind += " " + inv.CompileMode
	}
	label := fmt.Sprintf("%s v%s (%s)", inv.PackageName, inv.PackageVersion, kind)
	if inv.PackageName == "" {
		label = fmt.Sprintf("invocation %d (%s)", i, filepath.Base(inv.Program))
	}
	r.Description = label
	a := &graph.Action{Name: name, Label: label, Kind: graph.Compile, Data: r}
	if _, err := g.AddAction(a, ins, outs, ""); err != nil {
		return fmt.Errorf("invocations[%d]: %w", i, err)
	}
	return nil
}

// depfileOf is the invocation's first `.d` output: rustc's dep-info.
func depfileOf(inv graph.Invocation) string {
	for _, o := range inv.Outputs {
		if strings.HasSuffix(o, ".d") {
			return o
		}
	}
	return ""
}

// jsonProblem adds the line of a syntax error.
func jsonProblem(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:se.Offset], []byte("\n"))
		return fmt.Errorf("line %d: %w", line, err)
	}
	return err
}

func abbreviate(v json.RawMessage) string {
	s := string(v)
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}
