package cargometa

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// ManifestFacts is what rbuild needs from a package's Cargo.toml that neither
// the unit graph nor `cargo metadata` carries (cargo-units.md §2.5).
type ManifestFacts struct {
	LintArgs  []string        // §6.2 step 18, already ordered
	NoHarness map[string]bool // "kind:name" of targets with harness = false
}

type rawManifest struct {
	Package struct {
		Name string `toml:"name"`
	} `toml:"package"`
	Lints     map[string]any `toml:"lints"`
	Lib       *rawTarget     `toml:"lib"`
	Bins      []rawTarget    `toml:"bin"`
	Tests     []rawTarget    `toml:"test"`
	Benches   []rawTarget    `toml:"bench"`
	Examples  []rawTarget    `toml:"example"`
	Workspace *struct {
		Lints map[string]any `toml:"lints"`
	} `toml:"workspace"`
	Profile map[string]struct {
		Inherits string `toml:"inherits"`
	} `toml:"profile"`
}

type rawTarget struct {
	Name    string `toml:"name"`
	Harness *bool  `toml:"harness"`
}

func readManifest(path string) (*rawManifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m rawManifest
	if err := toml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &m, nil
}

// ReadManifestFacts reads one package manifest; wsLints is the workspace
// root's [workspace.lints] for `lints.workspace = true`.
func ReadManifestFacts(manifestPath string, pkgName string, wsLints map[string]any) (*ManifestFacts, error) {
	m, err := readManifest(manifestPath)
	if err != nil {
		return nil, err
	}
	f := &ManifestFacts{NoHarness: map[string]bool{}}
	noHarness := func(kind string, ts []rawTarget) {
		for _, t := range ts {
			if t.Harness != nil && !*t.Harness {
				f.NoHarness[kind+":"+t.Name] = true
			}
		}
	}
	if m.Lib != nil {
		name := m.Lib.Name
		if name == "" {
			name = strings.ReplaceAll(pkgName, "-", "_")
		}
		noHarness("lib", []rawTarget{{Name: name, Harness: m.Lib.Harness}})
	}
	noHarness("bin", m.Bins)
	noHarness("test", m.Tests)
	noHarness("bench", m.Benches)
	noHarness("example", m.Examples)

	lints := m.Lints
	if w, ok := lints["workspace"].(bool); ok && w {
		lints = wsLints
	}
	f.LintArgs, err = lintArgs(lints)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", manifestPath, err)
	}
	return f, nil
}

// lintArgs turns [lints] into rustc flags ordered by (priority, reverse name);
// the `cargo` tool's lints are cargo's own and never reach rustc.
func lintArgs(lints map[string]any) ([]string, error) {
	type lint struct {
		name, level string
		priority    int64
	}
	var all []lint
	var checkCfg []string
	for tool, v := range lints {
		if tool == "cargo" || tool == "workspace" {
			continue
		}
		table, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("[lints.%s] must be a table", tool)
		}
		for name, cfg := range table {
			full := name
			if tool != "rust" {
				full = tool + "::" + name
			}
			l := lint{name: full}
			switch c := cfg.(type) {
			case string:
				l.level = c
			case map[string]any:
				l.level, _ = c["level"].(string)
				l.priority, _ = c["priority"].(int64)
				if tool == "rust" && name == "unexpected_cfgs" {
					if cc, ok := c["check-cfg"].([]any); ok {
						for _, e := range cc {
							if s, ok := e.(string); ok {
								checkCfg = append(checkCfg, s)
							}
						}
					}
				}
			default:
				return nil, fmt.Errorf("lint %s: want a level or a table", full)
			}
			switch l.level {
			case "forbid", "deny", "warn", "allow":
			default:
				return nil, fmt.Errorf("lint %s: unknown level %q", full, l.level)
			}
			all = append(all, l)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].priority != all[j].priority {
			return all[i].priority < all[j].priority
		}
		return all[i].name > all[j].name
	})
	var args []string
	for _, l := range all {
		args = append(args, "--"+l.level+"="+l.name)
	}
	for _, c := range checkCfg {
		args = append(args, "--check-cfg", c)
	}
	return args, nil
}

// WorkspaceFacts reads the root manifest: [workspace.lints] and custom
// profiles' `inherits` (for PROFILE and the output directory name).
type WorkspaceFacts struct {
	Lints    map[string]any
	Inherits map[string]string
}

func ReadWorkspaceFacts(root string) (*WorkspaceFacts, error) {
	m, err := readManifest(filepath.Join(root, "Cargo.toml"))
	if err != nil {
		return nil, err
	}
	w := &WorkspaceFacts{Inherits: map[string]string{}}
	if m.Workspace != nil {
		w.Lints = m.Workspace.Lints
	}
	for name, p := range m.Profile {
		if p.Inherits != "" {
			w.Inherits[name] = p.Inherits
		}
	}
	return w, nil
}

// ProfileRoot resolves a profile name to "debug" or "release" behaviour.
func (w *WorkspaceFacts) ProfileRoot(name string) string {
	for i := 0; i < 16; i++ {
		switch name {
		case "dev", "test":
			return "debug"
		case "release", "bench":
			return "release"
		}
		next, ok := w.Inherits[name]
		if !ok {
			return "debug"
		}
		name = next
	}
	return "debug"
}

// ProfileDir is the directory name for a profile: debug, release or the custom name.
func ProfileDir(name string) string {
	switch name {
	case "dev", "test":
		return "debug"
	case "release", "bench":
		return "release"
	}
	return name
}
