package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"rbuild/cargometa"
	"rbuild/cutoff"
	"rbuild/executor"
	"rbuild/graph"
)

var genFormats = []string{"ninja", "tup", "build-plan", "dot"}

// gen writes the build as rules for another build system. Build scripts
// are built and run first (by rbuild, in its own target dir) and their
// output is baked into the rules; see cargometa.GenGraph.
func gen(ctx context.Context, o *options, args []string) error {
	// The generated commands are cargo's, without rbuild's cutoff flags.
	o.cutoff = "exact"
	s, err := newSession(ctx, o)
	if err != nil {
		return err
	}
	defer s.close()
	// Generated rules are made from the views (GenGraph rewrites them).
	s.plan.SharedDeps = false
	out := o.output
	if out == "" {
		switch o.genFormat {
		case "ninja":
			out = filepath.Join(s.plan.WsRoot, "build.ninja")
		case "tup":
			out = filepath.Join(s.plan.WsRoot, "Tupfile")
		default:
			out = "-"
		}
	}
	base := s.plan.WsRoot
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
		RegenDir: s.cwd, Base: base}
	if o.genFormat == "dot" {
		return writeGenerated(out, func(w io.Writer) error { return graph.WriteDot(w, s.graph, h, actionLabel) })
	}
	w, err := runBuildScripts(ctx, s)
	if err != nil {
		return err
	}
	genDir := o.genDir
	if genDir == "" {
		genDir = filepath.Join(s.targetDir, "rbuild", "gen-"+o.genFormat, cargometa.ProfileDir(o.profileName()))
	}
	if genDir, err = filepath.Abs(genDir); err != nil {
		return err
	}
	if o.genFormat == "tup" && cargometa.RelUnder(base, genDir) == genDir {
		return fmt.Errorf("gen tup: the artifact directory %s is outside %s, where Tup can write (use --gen-dir)", genDir, base)
	}
	g, err := s.plan.GenGraph(cargometa.GenOptions{Base: base, OutDir: genDir}, w.buildOutput)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	h.Sources = genSources(s, w)
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

// runBuildScripts builds and runs every build script of the build (and
// what they need), as `rbuild build` would, and returns the work that
// holds their outputs.
func runBuildScripts(ctx context.Context, s *session) (*work, error) {
	var runs []graph.ActionID
	for _, a := range s.graph.Actions {
		if a.Kind == graph.RunScript {
			runs = append(runs, a.ID)
		}
	}
	sub, err := s.graph.Subgraph(s.graph.Ancestors(runs))
	if err != nil {
		return nil, err
	}
	s.graph = sub
	w := newWork(s)
	s.work = w
	_, err = executor.Run(ctx, sub, w, executor.Options{Jobs: s.opt.jobs, KeepGoing: s.opt.keepGoing,
		Status: s.status, Color: s.color, Verbose: s.opt.verbose > 0, Cost: w.history.cost})
	s.status.Done()
	w.flushParked()
	w.history.save()
	if err != nil {
		return nil, fmt.Errorf("gen: running the build scripts: %w", err)
	}
	return w, nil
}

// genSources are the files a generated file depends on: what keys cargo's
// answer (manifests, lockfile, configs, toolchain, target directories),
// and every input of the build scripts and their runs. Crate roots are
// left out: cargo cares whether they exist, not what they say.
func genSources(s *session, w *work) []string {
	set := map[string]bool{}
	for _, st := range s.plan.Q.Stamps {
		switch filepath.Base(st.Path) {
		case "lib.rs", "main.rs", "build.rs":
			if !st.Dir {
				continue
			}
		}
		if !st.Missing {
			set[st.Path] = true
		}
	}
	for _, a := range s.graph.Actions {
		rec, ok := s.log.Get(a.Name)
		if !ok {
			continue
		}
		r, err := cutoff.DecodeRecord(rec.Payload)
		if err != nil {
			continue
		}
		for _, in := range r.Inputs {
			if !w.isToolchainFile(in.Path) {
				set[in.Path] = true
			}
		}
	}
	var out []string
	for p := range set {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
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
	if err := writeFileAtomic(out, buf.Bytes()); err != nil {
		return fmt.Errorf("gen: write %s: %w", out, err)
	}
	return nil
}
