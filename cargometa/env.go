package cargometa

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// pkgEnv is what cargo sets for every rustc and build script of a package (§7).
func (p *Plan) pkgEnv(u *Unit) []string {
	pk := u.Pkg
	ver := pk.Version
	core, _, _ := strings.Cut(ver, "+")
	core, pre, _ := strings.Cut(core, "-")
	parts := strings.SplitN(core, ".", 3)
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	return []string{
		"CARGO=" + p.Cargo,
		"CARGO_MANIFEST_DIR=" + filepath.Dir(pk.ManifestPath),
		"CARGO_MANIFEST_PATH=" + pk.ManifestPath,
		"CARGO_PKG_VERSION=" + ver,
		"CARGO_PKG_VERSION_MAJOR=" + parts[0],
		"CARGO_PKG_VERSION_MINOR=" + parts[1],
		"CARGO_PKG_VERSION_PATCH=" + parts[2],
		"CARGO_PKG_VERSION_PRE=" + pre,
		"CARGO_PKG_AUTHORS=" + strings.Join(pk.Authors, ":"),
		"CARGO_PKG_NAME=" + pk.Name,
		"CARGO_PKG_DESCRIPTION=" + str(pk.Description),
		"CARGO_PKG_HOMEPAGE=" + str(pk.Homepage),
		"CARGO_PKG_REPOSITORY=" + str(pk.Repository),
		"CARGO_PKG_LICENSE=" + str(pk.License),
		"CARGO_PKG_LICENSE_FILE=" + str(pk.LicenseFile),
		"CARGO_PKG_RUST_VERSION=" + str(pk.RustVersion),
		"CARGO_PKG_README=" + str(pk.Readme),
	}
}

func (p *Plan) compileEnv(u *Unit) ([]string, error) {
	env := p.pkgEnv(u)
	if u.Executable {
		env = append(env, "CARGO_BIN_NAME="+u.J.Target.Name)
	}
	env = append(env, "CARGO_CRATE_NAME="+u.CrateName)
	if u.Primary {
		env = append(env, "CARGO_PRIMARY_PACKAGE=1")
	}
	if k := u.Kind(); k == "test" || k == "bench" {
		env = append(env, "CARGO_TARGET_TMPDIR="+u.TmpDir)
		for _, t := range u.Pkg.Targets {
			if t.Kind[0] == "bin" {
				v := filepath.Join(u.UpliftDir, t.Name)
				if u.CheckMode {
					v = "placeholder:" + t.Name
				}
				env = append(env, "CARGO_BIN_EXE_"+t.Name+"="+v)
			}
		}
	}
	for _, d := range u.Deps {
		if d.IsRun {
			env = append(env, "OUT_DIR="+d.OutDirEnv())
			break
		}
	}
	return env, nil
}

// applyConfigEnv adds [env] entries cargo applies last, only for names not
// already set (by cargo, or inherited unless force).
func (p *Plan) applyConfigEnv(env []string) []string {
	set := map[string]bool{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	for _, e := range p.ConfigEnv {
		if set[e.Name] {
			continue
		}
		if _, inherited := lookupOK(p.BaseEnv, e.Name); inherited && !e.Force {
			continue
		}
		env = append(env, e.Name+"="+e.Value)
	}
	return env
}

// RunCommand builds a build-script run (§8.2, §8.3). outs must answer for
// the run units it depends on (their `links` metadata becomes DEP_*).
func (p *Plan) RunCommand(u *Unit, outs BuildOutputs) (*Command, error) {
	script := u.ScriptUnit()
	if script == nil {
		return nil, fmt.Errorf("build script of %s is overridden in config (links override): not supported yet", u.Pkg.Name)
	}
	prof := u.J.Profile
	env := p.pkgEnv(u)
	host := p.Q.Rustc.Host
	target := ShortTargetName(platformOf(u))
	if target == "" {
		target = host
	}
	debug := "true"
	if prof.Debuginfo == "0" || prof.Debuginfo == "" {
		debug = "false"
	}
	profile := "debug"
	if p.Q.Workspace != nil && p.Q.Workspace.ProfileRoot(prof.Name) == "release" {
		profile = "release"
	}
	jobs := p.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	env = append(env,
		"OUT_DIR="+u.OutDirEnv(),
		"TARGET="+target,
		"HOST="+host,
		"NUM_JOBS="+strconv.Itoa(jobs),
		"OPT_LEVEL="+prof.OptLevel,
		"DEBUG="+debug,
		"PROFILE="+profile,
		"RUSTC="+p.Q.Rustc.Path,
		"RUSTDOC="+p.Q.Rustc.Rustdoc,
		"CARGO_ENCODED_RUSTFLAGS="+strings.Join(u.Rustflags, "\x1f"),
	)
	if l := p.Linker[platformOf(u)]; l != "" {
		env = append(env, "RUSTC_LINKER="+l)
	}
	if p.Wrapper != "" {
		env = append(env, "RUSTC_WRAPPER="+p.Wrapper)
	}
	if p.WsWrapper != "" && p.members[u.J.PkgID] {
		env = append(env, "RUSTC_WORKSPACE_WRAPPER="+p.WsWrapper)
	}
	if l := str(u.Pkg.Links); l != "" {
		env = append(env, "CARGO_MANIFEST_LINKS="+l)
	}
	for _, f := range u.J.Features {
		env = append(env, "CARGO_FEATURE_"+envName(f)+"=1")
	}
	env = append(env, p.cfgEnv(u)...)
	for _, d := range u.Deps {
		if !d.IsRun {
			continue
		}
		links := str(d.Pkg.Links)
		if links == "" {
			continue
		}
		bo, err := outs(d)
		if err != nil {
			return nil, err
		}
		for _, kv := range bo.Metadata {
			env = append(env, "DEP_"+envName(links)+"_"+envName(kv[0])+"="+kv[1])
		}
	}
	hostProf := p.hostProfDir(u)
	ld := []string{hostProf, filepath.Join(hostProf, "deps"),
		filepath.Join(p.Q.Rustc.Sysroot, "lib", "rustlib", host, "lib")}
	var extra []string
	for _, r := range u.Plugins {
		bo, err := outs(r)
		if err != nil {
			return nil, err
		}
		for _, lp := range bo.LibPaths {
			if s := StripLinkKind(lp); strings.HasPrefix(s, hostProf) {
				extra = append(extra, s)
			}
		}
	}
	env = append(env, "LD_LIBRARY_PATH="+p.dylibPath(ld, extra))
	env = p.applyConfigEnv(env)
	unset := []string{"RUSTFLAGS"}
	if p.Wrapper == "" {
		unset = append(unset, "RUSTC_WRAPPER")
	}
	if p.WsWrapper == "" || !p.members[u.J.PkgID] {
		unset = append(unset, "RUSTC_WORKSPACE_WRAPPER")
	}
	return &Command{Argv: []string{script.Exe}, Env: env, Unset: unset, Dir: filepath.Dir(u.Pkg.ManifestPath)}, nil
}

// cfgEnv turns the probe's cfgs into CARGO_CFG_* (§8.3): those of the
// platform the script runs for, not the host it runs on.
func (p *Plan) cfgEnv(u *Unit) []string {
	vals := map[string][]string{}
	var order []string
	put := func(k string, v *string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
			vals[k] = []string{}
		}
		if v != nil {
			vals[k] = append(vals[k], *v)
		}
	}
	for _, c := range p.cfgs[platformOf(u)] {
		if c.Name == "debug_assertions" || c.Name == "proc_macro" || c.Name == "feature" {
			continue
		}
		if c.HasValue {
			v := c.Value
			put(c.Name, &v)
		} else {
			put(c.Name, nil)
		}
	}
	if u.J.Profile.DebugAssertions {
		put("debug_assertions", nil)
	}
	feats := strings.Join(u.J.Features, ",")
	put("feature", &feats)
	sort.Strings(order)
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, "CARGO_CFG_"+envName(k)+"="+strings.Join(vals[k], ","))
	}
	return out
}

// RunEnv is what cargo adds when it runs a built binary or test (cargo run,
// cargo test): package variables, the build script's rustc-env, and library
// paths for dylibs and native libraries built into the target dir.
func (p *Plan) RunEnv(u *Unit, outs BuildOutputs) ([]string, error) {
	env := p.pkgEnv(u)
	var extra []string
	for _, r := range u.ToLink {
		bo, err := outs(r)
		if err != nil {
			return nil, err
		}
		for _, lp := range bo.LibPaths {
			if s := StripLinkKind(lp); strings.HasPrefix(s, p.TargetDir) {
				extra = append(extra, s)
			}
		}
	}
	for _, r := range u.OwnRuns {
		bo, err := outs(r)
		if err != nil {
			return nil, err
		}
		for _, kv := range bo.Env {
			env = setEnv(env, kv[0], kv[1])
		}
	}
	triple := ShortTargetName(platformOf(u))
	if triple == "" {
		triple = p.Q.Rustc.Host
	}
	front := []string{filepath.Join(u.ProfDir, "deps"), filepath.Join(p.Q.Rustc.Sysroot, "lib", "rustlib", triple, "lib")}
	env = append(env, "LD_LIBRARY_PATH="+p.dylibPath(append(extra, front...), nil))
	return p.applyConfigEnv(env), nil
}
