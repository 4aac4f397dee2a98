package cargometa

import (
	"slices"
	"strings"
)

// CachePolicy is what the user lets into the per-user artifact cache
// beyond the default (rbuild's config file, [cache]).
type CachePolicy struct {
	BuildScripts bool     // build-script compiles
	ProcMacros   bool     // proc-macro compiles
	Deny         []string // package names never cached
	// Relocatable: path packages are built relocatable (Plan.RemapWorkspace),
	// so crates built on them are the same in every identical checkout.
	Relocatable bool
}

// Cacheable says whether u's compile may be restored from, and stored in,
// the artifact cache, and why (or why not), in words for `rbuild explain`.
// The rules follow cargo's discussion of a per-user cache (seed 001):
// only packages from immutable sources, whose every dependency is
// immutable too (a path dependency's artifacts embed its checkout's
// absolute paths, so every crate built on it differs per checkout,
// unless the policy makes path packages relocatable); no
// linked outputs unless allowed (the key does not cover the system
// linker), and no code run at build time unless allowed.
func (p *Plan) Cacheable(u *Unit, pol CachePolicy) (bool, string) {
	switch {
	case u.IsRun:
		return false, "build-script runs are not cached"
	case u.J.IsStd:
		return false, "standard library unit"
	case slices.Contains(pol.Deny, u.Pkg.Name):
		return false, "package denied by cache.deny"
	case u.TestMode || u.Executable || u.SplitLink:
		return false, "executables are not cached (linked by the system linker)"
	case u.IsBuildScript && !pol.BuildScripts:
		return false, "build-script compiles need cache.build-scripts = true"
	case u.IsProcMacro && !pol.ProcMacros:
		return false, "proc macros need cache.proc-macros = true"
	case !u.IsBuildScript && !u.IsProcMacro && !onlyRustLibs(u):
		return false, "linked library types (dylib, cdylib, staticlib) are not cached"
	}
	if why := mutableSource(u); why != "" {
		return false, why
	}
	if d := p.mutableDep(u); d != nil {
		if pol.Relocatable {
			return true, "immutable source, built on path package " + d.Pkg.Name + " (relocatable)"
		}
		return false, "depends on path package " + d.Pkg.Name + " v" + d.Pkg.Version + ", whose artifacts embed this checkout's path (cache.relocatable = true shares them)"
	}
	return true, "immutable source: " + sourceKind(u.J.PkgID)
}

// mutableSource is "" for a unit whose package comes from an immutable
// source. The package's source (cargo metadata) is asked, not the unit's
// package id: for git, only the source names the locked commit.
func mutableSource(u *Unit) string {
	src := u.J.PkgID
	if u.Pkg != nil && u.Pkg.Source != nil {
		src = *u.Pkg.Source
	}
	return sourceMutability(src)
}

func onlyRustLibs(u *Unit) bool {
	for _, t := range u.J.Target.CrateTypes {
		if t != "lib" && t != "rlib" {
			return false
		}
	}
	return true
}

// sourceMutability is "" for a source whose packages cannot change under
// a given name and version: a registry (crates.io, a sparse index, or a
// directory source replacing one, as Debian's) or git at a locked commit
// ("git+URL?branch=x#<commit>"); else why not.
func sourceMutability(src string) string {
	switch {
	case strings.HasPrefix(src, "registry+"), strings.HasPrefix(src, "sparse+"):
		return ""
	case strings.HasPrefix(src, "git+"):
		if i := strings.LastIndex(src, "#"); i >= 0 && isCommit(src[i+1:]) {
			return ""
		}
		return "git source without a locked commit"
	case strings.HasPrefix(src, "path+"):
		return "path package: its sources can change"
	}
	return "unknown source kind"
}

func sourceKind(pkgID string) string {
	kind, _, _ := strings.Cut(pkgID, "+")
	return kind
}

func isCommit(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// mutableDep finds a dependency of u, at any depth, from a mutable source.
// Build-script runs count through their script: what they emit goes into
// the key, but a script built from a path crate is still a path artifact.
func (p *Plan) mutableDep(u *Unit) *Unit {
	seen := map[*Unit]bool{}
	var walk func(x *Unit) *Unit
	walk = func(x *Unit) *Unit {
		for _, d := range x.Deps {
			if seen[d] {
				continue
			}
			seen[d] = true
			if !d.J.IsStd && mutableSource(d) != "" {
				return d
			}
			if m := walk(d); m != nil {
				return m
			}
		}
		return nil
	}
	return walk(u)
}
