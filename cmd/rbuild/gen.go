package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"rbuild/build"
	"rbuild/cargometa"
	"rbuild/graph"
	"rbuild/internal/atomicfile"
)

var genFormats = []string{"ninja", "tup", "build-plan", "dot"}

// gen writes the build as rules for another build system. Build scripts
// are built and run first (by rbuild, in its own target dir) and their
// output is baked into the rules; see cargometa.GenGraph.
func gen(ctx context.Context, o *options, args []string) error {
	// The generated commands are cargo's, without rbuild's cutoff flags.
	o.cutoff = "exact"
	s, err := build.Open(ctx, o.buildOptions(nil))
	if err != nil {
		return err
	}
	defer s.Close()
	plan := s.Plan()
	// Generated rules are made from the views (GenGraph rewrites them).
	plan.SharedDeps = false
	out := o.output
	if out == "" {
		switch o.genFormat {
		case "ninja":
			out = filepath.Join(plan.WsRoot, "build.ninja")
		case "tup":
			out = filepath.Join(plan.WsRoot, "Tupfile")
		default:
			out = "-"
		}
	}
	base := plan.WsRoot
	if out != "-" {
		if out, err = filepath.Abs(out); err != nil {
			return err
		}
		base = filepath.Dir(out)
	}
	exe, err := os.Executable()
	if err != nil {
		exe = "rbuild"
	}
	h := graph.Header{Tool: "rbuild " + version, Regen: append([]string{exe}, regenArgs(args, out, base)...),
		RegenDir: s.Dir(), Base: base}
	if o.genFormat == "dot" {
		return writeGenerated(out, func(w io.Writer) error { return graph.WriteDot(w, s.Graph(), h, build.ActionLabel) })
	}
	// Build scripts are built and run first (by rbuild, in its own target
	// dir) and their output is baked into the rules.
	res, err := s.Build(ctx, build.BuildScripts)
	if err != nil {
		return fmt.Errorf("gen: running the build scripts: %w", err)
	}
	genDir := o.genDir
	if genDir == "" {
		genDir = filepath.Join(s.TargetDir(), "rbuild", "gen-"+o.genFormat, cargometa.ProfileDir(o.profileName()))
	}
	if genDir, err = filepath.Abs(genDir); err != nil {
		return err
	}
	if o.genFormat == "tup" && cargometa.RelUnder(base, genDir) == genDir {
		return fmt.Errorf("gen tup: the artifact directory %s is outside %s, where Tup can write (use --gen-dir)", genDir, base)
	}
	g, err := plan.GenGraph(cargometa.GenOptions{Base: base, OutDir: genDir}, s.BuildOutputs())
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	h.Sources = s.GenSources(res.Graph)
	switch o.genFormat {
	case "ninja":
		h.Self = cargometa.RelUnder(base, out)
		return writeGenerated(out, func(w io.Writer) error { return graph.WriteNinja(w, g, h) })
	case "tup":
		return writeGenerated(out, func(w io.Writer) error { return graph.WriteTup(w, g, h) })
	}
	return writeGenerated(out, func(w io.Writer) error { return graph.WriteBuildPlan(w, g, h) })
}

// regenArgs is the command line that wrote the file, with -o absolute
// (a regeneration may run elsewhere).
func regenArgs(args []string, out, base string) []string {
	var re []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o" || a == "--output":
			i++
			continue
		case strings.HasPrefix(a, "--output="):
			continue
		}
		re = append(re, a)
	}
	if out != "-" {
		re = append(re, "-o", out)
	}
	return re
}

// writeGenerated writes a generated file, or stdout for "-". An unchanged
// file is left alone, so Ninja's restat sees that a regeneration changed
// nothing.
func writeGenerated(out string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	if out == "-" {
		_, err := os.Stdout.Write(buf.Bytes())
		return err
	}
	if old, err := os.ReadFile(out); err == nil && bytes.Equal(old, buf.Bytes()) {
		return nil
	}
	if err := atomicfile.Write(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("gen: write %s: %w", out, err)
	}
	return nil
}
