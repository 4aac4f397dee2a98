package cargometa

import (
	"os"
	"path/filepath"
	"strings"

	"rbuild/cutoff"

	"github.com/BurntSushi/toml"
)

// collectStamps lists what cargo's answer depends on, each path stamped
// only as deeply as cargo reads it:
//
//   - content: the manifests of path packages; those of the path
//     dependencies, [patch] and [replace] entries (in manifests and
//     configs) and path overrides the resolve left out (an optional
//     dependency not enabled: cargo still reads it to resolve Cargo.lock;
//     a patch that matches nothing yet); the workspace root's; every
//     Cargo.toml above the directory cargo runs in or above a path package
//     (cargo looks up there for the workspace root); Cargo.lock; config
//     files, present or not, and the files they include; --config files;
//     toolchain files; the rustc binary; a --unit-graph file;
//   - listing: the target auto-discovery directories of path packages
//     (src/bin, tests, examples, benches), and the directories a glob in
//     workspace.members or default-members lists;
//   - presence: what cargo finds by its existence, never reading it:
//     src/lib.rs, src/main.rs, build.rs, main.rs in each subdirectory of
//     an auto-discovery directory, and every target's source file. An
//     edit of a crate root or build script is the business of its compile
//     (rbuild's own freshness), not of cargo's answer.
func (q *Query) collectStamps(cfg *Config, req *Request) ([]cutoff.Stamp, error) {
	s := &stampSet{seen: map[string]bool{}}
	root := q.Meta.WorkspaceRoot
	for _, p := range cfg.Files {
		s.content(p)
	}
	for _, p := range configArgFiles(req) {
		s.content(p)
	}
	s.content(filepath.Join(root, "Cargo.lock"))
	s.content(q.Rustc.Path)
	for _, p := range toolchainFiles(req, q.Rustc.Sysroot) {
		s.content(p)
	}
	if req.UnitGraphFile != "" {
		s.content(req.UnitGraphFile)
	}
	manifests := []string{filepath.Join(root, "Cargo.toml")}
	above := []string{req.Cwd, root}
	for _, p := range q.Meta.Packages {
		if p.Source != nil {
			continue // registry and git sources are immutable
		}
		dir := filepath.Dir(p.ManifestPath)
		manifests = append(manifests, p.ManifestPath)
		above = append(above, filepath.Dir(dir))
		s.presence(filepath.Join(dir, "build.rs"))
		s.presence(filepath.Join(dir, "src", "lib.rs"))
		s.presence(filepath.Join(dir, "src", "main.rs"))
		for _, d := range []string{"src/bin", "tests", "examples", "benches"} {
			s.discoveryDir(filepath.Join(dir, d))
		}
		for _, t := range p.Targets {
			if t.SrcPath != "" {
				s.presence(t.SrcPath)
			}
		}
	}
	for _, d := range above {
		for ; d != "" && d != "."; d = filepath.Dir(d) {
			s.content(filepath.Join(d, "Cargo.toml"))
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	// [patch] tables and path overrides (paths = [...]) in config files
	// name packages too, relative to the directory holding .cargo/.
	for _, l := range cfg.layers {
		if patch, ok := l.data["patch"].(map[string]any); ok {
			for _, t := range patch {
				for _, d := range pathDeps(t, l.root) {
					manifests = append(manifests, filepath.Join(d, "Cargo.toml"))
				}
			}
		}
		if paths, ok := l.data["paths"].([]any); ok {
			for _, p := range paths {
				if d, ok := p.(string); ok && d != "" {
					if !filepath.IsAbs(d) {
						d = filepath.Join(l.root, d)
					}
					manifests = append(manifests, filepath.Join(d, "Cargo.toml"))
				}
			}
		}
	}
	// The manifests, and those of the path dependencies they name that
	// the resolve left out, transitively.
	parsed := map[string]bool{}
	for len(manifests) > 0 {
		m := manifests[0]
		manifests = manifests[1:]
		if parsed[m] {
			continue
		}
		parsed[m] = true
		s.content(m)
		deps, globs := manifestPaths(m)
		for _, d := range deps {
			manifests = append(manifests, filepath.Join(d, "Cargo.toml"))
		}
		for _, g := range globs {
			s.memberGlob(filepath.Dir(m), g)
		}
	}
	return s.stamps, s.err
}

// stampSet stamps each path once, the first way it is asked for.
type stampSet struct {
	seen   map[string]bool
	stamps []cutoff.Stamp
	err    error
}

func (s *stampSet) add(path string, stamp func(string) (cutoff.Stamp, error)) {
	if s.seen[path] || s.err != nil {
		return
	}
	s.seen[path] = true
	st, err := stamp(path)
	if err != nil {
		s.err = err
		return
	}
	s.stamps = append(s.stamps, st)
}

func (s *stampSet) content(path string)  { s.add(path, cutoff.StampPath) }
func (s *stampSet) presence(path string) { s.add(path, cutoff.PresenceStamp) }

// listing stamps a directory's entries; one that cannot be listed is
// stamped as missing: any change of that makes cargo's answer differ.
func (s *stampSet) listing(dir string) {
	s.add(dir, func(p string) (cutoff.Stamp, error) {
		st, err := cutoff.StampPath(p)
		if err != nil {
			return cutoff.Stamp{Path: p, Size: -1}, nil
		}
		return st, nil
	})
}

// discoveryDir stamps a target auto-discovery directory: its listing
// (src/bin/x.rs appearing is a new target) and whether each subdirectory
// holds a main.rs (src/bin/x/main.rs is one too, even when src/bin/x/
// was there before).
func (s *stampSet) discoveryDir(dir string) {
	s.listing(dir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() {
			s.presence(filepath.Join(dir, e.Name(), "main.rs"))
		}
	}
}

// memberGlob stamps the listing of every directory that expanding a
// workspace members glob (relative to the workspace root) reads: a new
// directory there is a new member. A member's own manifest is stamped as
// a path package's.
func (s *stampSet) memberGlob(root, pattern string) {
	if filepath.IsAbs(pattern) {
		root = "/"
	}
	dirs := []string{root}
	parts := strings.Split(filepath.ToSlash(pattern), "/")
	for i, part := range parts {
		if !strings.ContainsAny(part, "*?[") {
			for j := range dirs {
				dirs[j] = filepath.Join(dirs[j], part)
			}
			continue
		}
		var next []string
		for _, d := range dirs {
			s.listing(d)
			if i == len(parts)-1 {
				continue
			}
			ents, err := os.ReadDir(d)
			if err != nil {
				continue
			}
			for _, e := range ents {
				if ok, _ := filepath.Match(part, e.Name()); ok && e.IsDir() {
					next = append(next, filepath.Join(d, e.Name()))
				}
			}
		}
		dirs = next
	}
}

// manifestPaths reads a manifest for the directories of the path
// dependencies it names (every dependency table, target-specific ones,
// [workspace.dependencies], [patch.*] and [replace]) and its workspace
// members globs. A manifest that cannot be read names nothing: cargo
// says what is wrong with it when asked.
func manifestPaths(manifest string) (deps, globs []string) {
	data, err := os.ReadFile(manifest)
	if err != nil {
		return nil, nil
	}
	var m map[string]any
	if toml.Unmarshal(data, &m) != nil {
		return nil, nil
	}
	dir := filepath.Dir(manifest)
	table := func(t any) {
		deps = append(deps, pathDeps(t, dir)...)
	}
	depTables := func(t map[string]any) {
		for _, k := range []string{"dependencies", "dev-dependencies", "dev_dependencies", "build-dependencies", "build_dependencies"} {
			table(t[k])
		}
	}
	depTables(m)
	if targets, ok := m["target"].(map[string]any); ok {
		for _, t := range targets {
			if t, ok := t.(map[string]any); ok {
				depTables(t)
			}
		}
	}
	if patch, ok := m["patch"].(map[string]any); ok {
		for _, t := range patch {
			table(t)
		}
	}
	table(m["replace"])
	if ws, ok := m["workspace"].(map[string]any); ok {
		table(ws["dependencies"])
		for _, k := range []string{"members", "default-members"} {
			list, _ := ws[k].([]any)
			for _, e := range list {
				if g, ok := e.(string); ok && strings.ContainsAny(g, "*?[") {
					globs = append(globs, g)
				}
			}
		}
	}
	return deps, globs
}

// pathDeps lists the directories of a dependency table's path entries.
func pathDeps(t any, dir string) []string {
	tab, ok := t.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for _, d := range tab {
		spec, ok := d.(map[string]any)
		if !ok {
			continue
		}
		if p, ok := spec["path"].(string); ok && p != "" {
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			out = append(out, filepath.Clean(p))
		}
	}
	return out
}

// configArgFiles are the files --config arguments name: cargo reads an
// argument as a config file when a file of that name exists relative to
// the directory it runs in, else as KEY=VALUE.
func configArgFiles(req *Request) []string {
	var out []string
	for i, a := range req.Args {
		v, ok := strings.CutPrefix(a, "--config=")
		if !ok {
			if a != "--config" || i+1 >= len(req.Args) {
				continue
			}
			v = req.Args[i+1]
		}
		if v == "" {
			continue
		}
		p := v
		if !filepath.IsAbs(p) {
			p = filepath.Join(req.Cwd, p)
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			out = append(out, p)
		}
	}
	return out
}
