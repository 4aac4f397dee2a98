package cutoff

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Crate is what a lib crate's compile left that a dependent compile can
// observe (design.md "Interface fingerprint"; the conditions behind each
// part are in rustc-facts.md §1–§6).
type Crate struct {
	// Key covers the crate's own compile: its command line and rbuild's
	// environment, and what it consumed of its dependencies (their
	// interface fingerprints, exact hashes of proc macros and build-script
	// output). A dependent sees everything a dependency exports through it.
	Key Hash
	// Sources are the dep-info inputs (absolute paths, dep-info order).
	Sources []string
	// PkgDir anchors module paths: file!() and panic locations embed them.
	PkgDir string
	// EnvDeps are the `# env-dep:` lines (env!/option_env! values).
	EnvDeps []EnvDep
	// Externs names the dependency crates rustc actually loaded (file
	// names of -Z binary-dep-depinfo entries): a private body that starts
	// using an --extern crate changes what every executable must link
	// (rustc-facts.md row 15).
	Externs []string
	// Strict makes kept fn items position-sensitive (no stale panic
	// locations or line!() values in dependents, fewer cutoffs).
	Strict bool
}

// Fingerprinter computes a crate's interface fingerprint. The token
// skeleton is today's implementation; a public-API hash computed by rustc
// itself (the upstream "relink, don't rebuild" work) can replace it.
type Fingerprinter interface {
	Fingerprint(c *Crate, h *Hasher) (Hash, error)
}

// SkeletonFingerprinter fingerprints a crate by the token skeleton of its
// module files plus the raw content of every other file rustc read.
type SkeletonFingerprinter struct{}

func (SkeletonFingerprinter) Fingerprint(c *Crate, h *Hasher) (Hash, error) {
	var modules []SkeletonFile
	var raw []string
	srcs := make([][]byte, len(c.Sources))
	for i, p := range c.Sources {
		if filepath.Ext(p) != ".rs" {
			continue
		}
		// A .rs that is not a regular file (a FIFO, a device) is never
		// read here: it is stamped below as a raw input, without opening.
		if st, err := os.Stat(p); err == nil && !st.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return Hash{}, fmt.Errorf("interface of %s: %w", c.PkgDir, err)
		}
		srcs[i] = data
	}
	for i, p := range c.Sources {
		if srcs[i] == nil || !isModuleFile(p, i, c.PkgDir, srcs) {
			st, err := h.Stamp(p)
			if err != nil {
				return Hash{}, err
			}
			raw = append(raw, p, st.Hash.String())
			continue
		}
		rel, _ := filepath.Rel(c.PkgDir, p)
		modules = append(modules, SkeletonFile{Path: rel, Src: srcs[i]})
	}
	sk, err := CrateSkeleton(modules, SkeletonOptions{Strict: c.Strict})
	if err != nil {
		return Hash{}, fmt.Errorf("interface of %s: %w", c.PkgDir, err)
	}
	env, externs := c.envAndExterns()
	return HashStrings([]string{"iface-v1", c.Key.String(), sk.Hash.String()}, raw, env, externs), nil
}

// envAndExterns lists the env-dep values and the loaded crates (sorted)
// in the form both fingerprinters hash.
func (c *Crate) envAndExterns() (env, externs []string) {
	for _, e := range c.EnvDeps {
		env = append(env, e.Name, fmt.Sprint(e.Set), e.Value)
	}
	externs = slices.Clone(c.Externs)
	slices.Sort(externs)
	return env, externs
}

// ExactFingerprinter fingerprints a crate by the exact content of every
// file rustc read. For crates whose sources do not change in place (a
// registry's), a skeleton would only cost time: it is never compared
// across an edit.
type ExactFingerprinter struct{}

func (ExactFingerprinter) Fingerprint(c *Crate, h *Hasher) (Hash, error) {
	files := make([]string, 0, 2*len(c.Sources))
	for _, p := range c.Sources {
		st, err := h.Stamp(p)
		if err != nil {
			return Hash{}, err
		}
		files = append(files, p, st.Hash.String())
	}
	env, externs := c.envAndExterns()
	return HashStrings([]string{"exact-v1", c.Key.String()}, files, env, externs), nil
}

// isModuleFile tells whether source i is a module of the crate (its
// skeleton is what dependents see) rather than a file spliced in by
// include!/include_str!/include_bytes! (hashed raw: its tokens may land
// anywhere, in a body or an item; rustc-facts.md row 27). The crate root
// (the first dep-info entry) is a module. Another .rs file counts as one
// only if it lies in the package and no source names it in a string
// literal: include!("x.rs") and #[path = "x.rs"] both do, and the latter
// only costs a cutoff. Files outside the package (OUT_DIR) are generated
// for include!.
func isModuleFile(path string, i int, pkgDir string, srcs [][]byte) bool {
	if i == 0 {
		return true
	}
	if rel, err := filepath.Rel(pkgDir, path); err != nil || strings.HasPrefix(rel, "..") {
		return false
	}
	needle := []byte(filepath.Base(path) + `"`)
	for _, s := range srcs {
		if s != nil && bytes.Contains(s, needle) {
			return false
		}
	}
	return true
}
