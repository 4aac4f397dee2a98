package cargometa

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Command is one process to run. Env holds only the variables rbuild sets on
// top of the inherited environment (they are what the action key hashes);
// Unset names inherited variables to remove.
type Command struct {
	Argv  []string
	Env   []string
	Unset []string
	Dir   string
}

// FullEnv is the environment the command really runs with: base without
// the unset and overridden variables, then Env.
func (c *Command) FullEnv(base []string) []string {
	return MergeEnv(base, c.Env, c.Unset)
}

// MergeEnv applies set (KEY=VALUE, later wins) and unset (names) to base.
func MergeEnv(base, set, unset []string) []string {
	if len(set) == 0 && len(unset) == 0 {
		// Shared, not copied: every ready action of a build holds its
		// environment until a job slot frees (thousands, in a wide build
		// plan). Clipped, so an append copies.
		return slices.Clip(base)
	}
	drop := make(map[string]bool, len(set)+len(unset))
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		drop[k] = true
	}
	for _, k := range unset {
		drop[k] = true
	}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}

// BuildOutputs gives the parsed output of a finished build-script run.
type BuildOutputs func(run *Unit) (*BuildOutput, error)

// CompileCommand builds the rustc invocation for a compile unit exactly as
// cargo 1.95 would (cargo-units.md §6.2, steps 1–45), with rbuild's own
// directories and hashes. outs must answer for every run unit in u.ToLink.
func (p *Plan) CompileCommand(u *Unit, outs BuildOutputs) (*Command, error) {
	j := u.J
	prof := j.Profile
	a := make([]string, 0, 64)
	add := func(s ...string) { a = append(a, s...) }

	cwd, srcArg := p.CompileDir(u)
	add("--crate-name", u.CrateName, "--edition="+j.Target.Edition)
	if j.Target.Edition == "future" {
		add("-Z", "unstable-options")
	}
	add(srcArg, "--error-format=json", p.jsonFlag())
	if !u.TestMode {
		for _, t := range j.Target.CrateTypes {
			add("--crate-type", t)
		}
	}
	switch {
	case u.SplitLink:
		add("--emit=dep-info,link", "-Z", "no-link")
	case u.CheckMode:
		add("--emit=dep-info,metadata")
	case !u.ReqUpstream:
		add("--emit=dep-info,metadata,link")
	default:
		add("--emit=dep-info,link")
	}
	if u.Interface {
		// The interface fingerprint needs the crates rustc loaded; and
		// optimised code must not inline this crate's bodies into its
		// dependents (rustc-facts.md rows 2–3) unless incremental.
		add("-Z", "binary-dep-depinfo")
		if prof.OptLevel != "0" && !prof.Incremental {
			add("-Z", "cross-crate-inline-threshold=never")
		}
	}
	if (u.ForHost && !u.IsBuildScript) || (slices.Contains(j.Target.CrateTypes, "dylib") && !u.Primary) {
		add("-C", "prefer-dynamic")
	}
	if prof.OptLevel != "0" {
		add("-C", "opt-level="+prof.OptLevel)
	}
	if prof.Panic != "unwind" && prof.Panic != "" {
		add("-C", "panic="+prof.Panic)
		if prof.Panic == "immediate-abort" {
			add("-Z", "unstable-options")
		}
	}
	add(ltoArgs(u)...)
	if prof.CodegenBackend != nil {
		add("-Z", "codegen-backend="+*prof.CodegenBackend)
	}
	if prof.CodegenUnits != nil {
		add("-C", fmt.Sprintf("codegen-units=%d", *prof.CodegenUnits))
	}
	if prof.Debuginfo != "0" && prof.Debuginfo != "" {
		add("-C", "debuginfo="+string(prof.Debuginfo))
		if prof.SplitDebuginfo != nil && slices.Contains(p.splitDebug(u), *prof.SplitDebuginfo) {
			add("-C", "split-debuginfo="+*prof.SplitDebuginfo)
		}
	}
	add(p.stableDefaults()...)
	add(u.Facts.LintArgs...)
	add(prof.Rustflags...)
	da, oc := prof.DebugAssertions, prof.OverflowChecks
	if prof.OptLevel != "0" {
		if da {
			add("-C", "debug-assertions=on")
			if !oc {
				add("-C", "overflow-checks=off")
			}
		} else if oc {
			add("-C", "overflow-checks=on")
		}
	} else if !da {
		add("-C", "debug-assertions=off")
		if oc {
			add("-C", "overflow-checks=on")
		}
	} else if !oc {
		add("-C", "overflow-checks=off")
	}
	if u.TestMode {
		if u.Facts.NoHarness[u.Kind()+":"+j.Target.Name] {
			add("--cfg", "test")
		} else {
			add("--test")
			if prof.Panic == "abort" {
				add("-Z", "panic-abort-tests")
			}
		}
	}
	add(featureCfgArgs(u)...)
	add("-C", "metadata="+u.Hash)
	if filepath.Base(u.DepInfo) != u.CrateName+".d" {
		add("-C", "extra-filename=-"+u.Hash)
	}
	if prof.Rpath {
		add("-C", "rpath")
	}
	add("--out-dir", u.OutDir)
	if plat := platformOf(u); plat != "" {
		add("--target", plat)
	}
	if l := p.Linker[platformOf(u)]; l != "" {
		add("-C", "linker="+l)
	}
	if prof.Incremental {
		add("-C", "incremental="+filepath.Join(u.ProfDir, "incremental"))
	}
	if prof.Strip.Value != "" {
		add("-C", "strip="+prof.Strip.Value)
	}
	// Where cargo passes its shared deps dir (and each dependency's file
	// there), rbuild passes the unit's exact view (view.go).
	add("-L", "dependency="+p.DepDir(u))
	for i, d := range u.Deps {
		if !d.Linkable || d.J.Mode == "doc" {
			continue
		}
		name := u.DepEdges[i].ExternCrate
		prefix := ""
		if u.DepEdges[i].Noprelude {
			prefix = "noprelude:"
		}
		for _, f := range viewFile(u, d) {
			if !p.SharedDeps {
				f = filepath.Join(u.ViewDir, filepath.Base(f))
			}
			add("--extern", prefix+name+"="+f)
		}
	}
	if u.IsProcMacro {
		add("--extern", "proc_macro")
	}
	if !u.Local {
		add("--cap-lints", p.CapLints)
	}
	if p.RemapWorkspace && u.Local {
		// Relocatable: the checkout's absolute path stays out of the
		// artifacts (debug info's compilation dir, the rmeta's file
		// names, hence the crate hash), so identical crates in two
		// checkouts build identical files (config cache.relocatable).
		add("--remap-path-prefix=" + p.WsRoot + "=.")
	}
	add(u.Rustflags...)

	env, err := p.compileEnv(u)
	if err != nil {
		return nil, err
	}
	// Steps 41–45: what this unit's and its dependencies' build scripts said.
	var own, other []string
	for _, r := range u.ToLink {
		bo, err := outs(r)
		if err != nil {
			return nil, err
		}
		for _, lp := range bo.LibPaths {
			if strings.HasPrefix(StripLinkKind(lp), r.OutDirEnv()) {
				own = append(own, lp)
			} else {
				other = append(other, lp)
			}
		}
	}
	for _, lp := range append(own, other...) {
		add("-L", lp)
	}
	passLinks := u.IsLib || !p.pkgHasLib(u.Pkg)
	for _, r := range u.ToLink {
		bo, _ := outs(r)
		same := r.J.PkgID == u.J.PkgID
		if same && passLinks {
			for _, l := range bo.LibLinks {
				add("-l", l)
			}
		}
		for _, la := range bo.LinkArgs {
			if same && la.AppliesTo(u.Kind(), j.Target.Name, j.Target.CrateTypes, u.TestMode) {
				add("-C", "link-arg="+la.Arg)
			} else if !same && la.Target == LinkCdylib && la.AppliesTo(u.Kind(), j.Target.Name, j.Target.CrateTypes, u.TestMode) {
				add("-C", "link-arg="+la.Arg)
			}
		}
	}
	for _, r := range u.OwnRuns {
		bo, _ := outs(r)
		for _, c := range bo.Cfgs {
			add("--cfg", c)
		}
		for _, c := range bo.CheckCfgs {
			add("--check-cfg", c)
		}
		for _, kv := range bo.Env {
			env = setEnv(env, kv[0], kv[1])
		}
	}
	ld := []string{filepath.Join(p.hostProfDir(u), "deps")}
	for _, r := range u.Plugins {
		bo, err := outs(r)
		if err != nil {
			return nil, err
		}
		for _, lp := range bo.LibPaths {
			if s := StripLinkKind(lp); strings.HasPrefix(s, p.hostProfDir(u)) && !slices.Contains(ld, s) {
				ld = append(ld, s)
			}
		}
	}
	env = setEnv(env, "LD_LIBRARY_PATH", p.dylibPath(ld[:1], ld[1:]))
	env = p.applyConfigEnv(env)
	// -Z no-link / link-only (and the cutoff's -Z flags) need it on stable,
	// as in Firefox's build. Every compile gets it, not just those using -Z
	// flags, so that all crates of a build agree on rustc's defaults; the
	// defaults it changes are pinned back to stable's (stableDefaults).
	// Build-script runs keep the user's env.
	if !p.NoUnstable {
		env = setEnv(env, "RUSTC_BOOTSTRAP", "1")
	}
	argv := append(p.rustcPrefix(u), a...)
	return &Command{Argv: argv, Env: env, Dir: cwd}, nil
}

// DepDir is the `-L dependency=` directory of u's compile: its view or,
// with SharedDeps, the deps/ dir where every library's outputs live.
func (p *Plan) DepDir(u *Unit) string {
	if p.SharedDeps {
		return filepath.Join(u.ProfDir, "deps")
	}
	return u.ViewDir
}

func (p *Plan) rustcPrefix(u *Unit) []string {
	var pre []string
	if p.Wrapper != "" {
		pre = append(pre, p.Wrapper)
	}
	if p.WsWrapper != "" && p.members[u.J.PkgID] {
		pre = append(pre, p.WsWrapper)
	}
	return append(pre, p.Q.Rustc.Path)
}

func (p *Plan) pkgHasLib(pk *Package) bool {
	for _, t := range pk.Targets {
		switch t.Kind[0] {
		case "bin", "test", "bench", "example", "custom-build":
		default:
			return true
		}
	}
	return false
}

// hostProfDir is rbuild's profile dir for host units of u's profile.
func (p *Plan) hostProfDir(u *Unit) string {
	return filepath.Join(p.RbuildDir, ProfileDir(u.J.Profile.Name))
}

// dylibPath puts front first in LD_LIBRARY_PATH unless the inherited value
// already starts with it, then appends extra (§7).
func (p *Plan) dylibPath(front, extra []string) string {
	var cur []string
	for _, x := range filepath.SplitList(lookup(p.BaseEnv, "LD_LIBRARY_PATH")) {
		if x != "" {
			cur = append(cur, x)
		}
	}
	parts := cur
	if len(cur) < len(front) || !slices.Equal(cur[:len(front)], front) {
		parts = append(append([]string{}, front...), cur...)
	}
	return strings.Join(append(parts, extra...), ":")
}

func setEnv(env []string, k, v string) []string {
	for i, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); name == k {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

// CompileDir is where u's rustc runs, and the crate root as passed to it:
// like cargo, the workspace root and a relative path for a path package
// inside it (the paths in its dep-info are then relative to that root),
// else the package's directory and an absolute path.
func (p *Plan) CompileDir(u *Unit) (dir, src string) {
	src = *u.J.Target.SrcPath
	if u.Local {
		if rel, err := filepath.Rel(p.WsRoot, src); err == nil && !strings.HasPrefix(rel, "..") {
			return p.WsRoot, rel
		}
	}
	return filepath.Dir(u.Pkg.ManifestPath), src
}

// featureCfgArgs are the unit's features as cfgs and the check-cfg that
// declares every feature of its package, as cargo passes them to rustc
// and rustdoc alike.
func featureCfgArgs(u *Unit) []string {
	var args []string
	for _, f := range u.J.Features {
		args = append(args, "--cfg", `feature="`+f+`"`)
	}
	names := u.Pkg.FeatureNames()
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = `"` + n + `"`
	}
	return append(args, "--check-cfg", "cfg(docsrs,test)", "--check-cfg", "cfg(feature, values("+strings.Join(quoted, ", ")+"))")
}
