package build

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"rbuild/cargometa"
	"rbuild/cutoff"
	"rbuild/executor"
	"rbuild/graph"
)

// scriptOutputs holds what build-script runs printed, parsed: from this
// session's builds, or the `output` file an earlier build left.
type scriptOutputs struct {
	mu sync.Mutex
	m  map[*cargometa.Unit]*cargometa.BuildOutput
}

func newScriptOutputs() *scriptOutputs {
	return &scriptOutputs{m: map[*cargometa.Unit]*cargometa.BuildOutput{}}
}

func (o *scriptOutputs) get(r *cargometa.Unit) (*cargometa.BuildOutput, error) {
	o.mu.Lock()
	bo, ok := o.m[r]
	o.mu.Unlock()
	if ok {
		return bo, nil
	}
	data, err := os.ReadFile(r.RunOutputFile())
	if err != nil {
		return nil, fmt.Errorf("build script output of %s: %w", r.Label, err)
	}
	bo, err = cargometa.ParseBuildOutput(data, r.Pkg.Name+"@"+r.Pkg.Version, allowNewSyntax(r.Pkg))
	if err != nil {
		return nil, err
	}
	o.set(r, bo)
	return bo, nil
}

func (o *scriptOutputs) set(r *cargometa.Unit, bo *cargometa.BuildOutput) {
	o.mu.Lock()
	o.m[r] = bo
	o.mu.Unlock()
}

// finishRun keeps what a build script printed, as cargo does in its
// out dir, and records what it read: its rerun-if-changed paths and
// variables, or every file of a local package that names none.
func (w *work) finishRun(u *cargometa.Unit, res *executor.Result, env []string, rec *cutoff.Record) error {
	if err := os.WriteFile(u.RunOutputFile(), res.Stdout, 0o644); err != nil {
		return err
	}
	os.WriteFile(filepath.Join(u.OutDir, "stderr"), res.Stderr, 0o644)
	os.WriteFile(filepath.Join(u.OutDir, "root-output"), []byte(u.OutDirEnv()), 0o644)
	id := u.Pkg.Name + "@" + u.Pkg.Version
	bo, err := cargometa.ParseBuildOutput(res.Stdout, id, allowNewSyntax(u.Pkg))
	if err != nil {
		return err
	}
	if u.Local || w.opt.Verbose >= 2 {
		for _, m := range bo.Warnings {
			w.opt.Status.Verb("warning", id+": "+m)
		}
	}
	if len(bo.Errors) > 0 {
		for _, m := range bo.Errors {
			w.opt.Status.Verb("error", id+": "+m)
		}
		os.Remove(u.RunOutputFile())
		return fmt.Errorf("build script of %s logged errors", u.Label)
	}
	w.outputs.set(u, bo)
	pkgDir := filepath.Dir(u.Pkg.ManifestPath)
	var inputs []string
	if len(bo.RerunIfChanged) > 0 {
		for _, p := range bo.RerunIfChanged {
			if !filepath.IsAbs(p) {
				p = filepath.Join(pkgDir, p)
			}
			inputs = append(inputs, expandDir(p)...)
		}
	} else if u.Local {
		// No rerun-if-changed: like cargo, any file of the package counts.
		inputs = packageFiles(pkgDir)
	}
	for _, p := range inputs {
		rec.Inputs = append(rec.Inputs, w.hasher.InputStamp(p, res.Start))
	}
	for _, name := range bo.RerunIfEnvChanged {
		v, ok := cargometa.LookupEnv(env, name)
		rec.EnvDeps = append(rec.EnvDeps, cutoff.EnvDep{Name: name, Value: v, Set: ok})
	}
	return nil
}

// expandDir lists the files below a rerun-if-changed directory, or the path
// itself for a file (missing paths too: their appearance must trigger).
func expandDir(p string) []string {
	st, err := os.Stat(p)
	if err != nil || !st.IsDir() {
		return []string{p}
	}
	var out []string
	filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err == nil {
			out = append(out, path) // directories too: their listing is stamped
		}
		return nil
	})
	return out
}

// packageFiles lists a package's files, skipping target dirs, hidden dirs
// and nested packages.
func packageFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && path != dir {
			name := d.Name()
			if name == "target" || strings.HasPrefix(name, ".") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "Cargo.toml")); err == nil {
				return filepath.SkipDir
			}
		}
		out = append(out, path)
		return nil
	})
	return out
}

// allowNewSyntax: `cargo::` directives need rust-version ≥ 1.77 (P4).
func allowNewSyntax(p *cargometa.Package) bool {
	if p.RustVersion == nil {
		return true
	}
	parts := strings.SplitN(*p.RustVersion, ".", 3)
	if len(parts) < 2 {
		return true
	}
	major, _ := strconv.Atoi(parts[0])
	minor, _ := strconv.Atoi(parts[1])
	return major > 1 || (major == 1 && minor >= 77)
}

// appendOutDirStamps adds to a's dependencies the files that build
// scripts left in OUT_DIR and that a's command may read without rustc
// naming them in its dep-info: a native library that a compile bundles
// into its rlib (its own package's runs), or that a link, or a compile
// that links, finds on a search path (every run that reaches it), and a
// header a build script finds through a dependency's DEP_* variable.
// Cargo reruns everything downstream of a build script that ran; this is
// its exact-content version: a rerun that left the files alone costs
// nothing, one that changed a library rebuilds what bundles or links it.
func (w *work) appendOutDirStamps(deps []cutoff.Stamp, a *graph.Action) ([]cutoff.Stamp, error) {
	u, ok := unitStep(a)
	if !ok || u.IsBuildScript {
		return deps, nil
	}
	var runs []*cargometa.Unit
	switch {
	case u.IsRun:
		for _, d := range u.Deps {
			if d.IsRun {
				runs = append(runs, d)
			}
		}
	case linksNative(a, u):
		runs = u.ToLink
	default:
		runs = u.OwnRuns
	}
	for _, r := range runs {
		var files []string
		filepath.WalkDir(r.OutDirEnv(), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		for _, f := range files { // WalkDir's order: sorted, so stable across builds
			st, err := w.hasher.Refresh(f)
			if err != nil {
				return nil, err
			}
			deps = append(deps, st)
		}
	}
	return deps, nil
}

// linksNative: a's command runs the linker (a link, or a compile that is
// not split from its link), which reads native libraries from every
// search path the build scripts gave.
func linksNative(a *graph.Action, u *cargometa.Unit) bool {
	if a.Kind == graph.Link {
		return true
	}
	if u.SplitLink || u.CheckMode {
		return false
	}
	if u.Executable || u.IsProcMacro || u.TestMode || !u.IsLib {
		return true
	}
	for _, t := range u.J.Target.CrateTypes {
		if t != "lib" && t != "rlib" {
			return true
		}
	}
	return false
}
