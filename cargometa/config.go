package cargometa

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is the merged cargo configuration (.cargo/config.toml in cwd and
// every ancestor, then $CARGO_HOME/config.toml, each over the files it
// includes), reduced to what changes
// commands but is missing from the unit graph (cargo-units.md §12).
type Config struct {
	// Files lists every config path looked at, present or not, included
	// ones too, so a cache keyed on them notices a config file appearing.
	Files  []string
	layers []configLayer // highest priority first
}

type configLayer struct {
	path string // the config file
	root string // the directory that contains its .cargo/ dir
	data map[string]any
}

// LoadConfig reads the config hierarchy seen from cwd.
func LoadConfig(cwd string, env []string) (*Config, error) {
	c := &Config{}
	seen := map[string]bool{}
	add := func(dir string) error {
		// cargo reads config when both exist (and warns): either one
		// appearing or changing changes what it reads.
		names := []string{filepath.Join(dir, "config"), filepath.Join(dir, "config.toml")}
		c.Files = append(c.Files, names...)
		for _, p := range names {
			if data, err := os.ReadFile(p); err == nil {
				return c.addLayer(p, data, seen)
			}
		}
		return nil
	}
	for dir := cwd; ; dir = filepath.Dir(dir) {
		if err := add(filepath.Join(dir, ".cargo")); err != nil {
			return nil, err
		}
		if dir == filepath.Dir(dir) {
			break
		}
	}
	home := lookup(env, "CARGO_HOME")
	if home == "" {
		if h, err := os.UserHomeDir(); err == nil {
			home = filepath.Join(h, ".cargo")
		}
	}
	if home != "" {
		if err := add(home); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// addLayer adds a config file read from path, then the files its include
// key names: cargo merges them under the file that includes them, a later
// one over an earlier one, each with its own includes under it. Relative
// paths inside an included file resolve against the parent of its
// directory, as in any config file.
func (c *Config) addLayer(path string, data []byte, seen map[string]bool) error {
	if seen[path] {
		return nil
	}
	seen[path] = true
	var m map[string]any
	if err := toml.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("read cargo config %s: %w", path, err)
	}
	c.layers = append(c.layers, configLayer{path: path, root: filepath.Dir(filepath.Dir(path)), data: m})
	includes, err := configIncludes(m, path)
	if err != nil {
		return err
	}
	for i := len(includes) - 1; i >= 0; i-- {
		inc := includes[i]
		c.Files = append(c.Files, inc.path)
		data, err := os.ReadFile(inc.path)
		if err != nil {
			if inc.optional && os.IsNotExist(err) {
				continue
			}
			return fmt.Errorf("failed to load config include `%s` from `%s`: %w", inc.name, path, err)
		}
		if err := c.addLayer(inc.path, data, seen); err != nil {
			return err
		}
	}
	return nil
}

type configInclude struct {
	name, path string // as written; resolved
	optional   bool
}

// configIncludes reads a config file's include key: a list of paths, or
// of tables with a path and optional = true for a file that may be
// missing, each relative to the including file's directory and ending in
// .toml.
func configIncludes(m map[string]any, path string) ([]configInclude, error) {
	v, ok := m["include"]
	if !ok {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("cargo config %s: include must be a list of strings or a list of tables", path)
	}
	var out []configInclude
	for _, e := range list {
		var inc configInclude
		switch x := e.(type) {
		case string:
			inc.name = x
		case map[string]any:
			name, ok := x["path"].(string)
			if !ok {
				return nil, fmt.Errorf("cargo config %s: an include table needs a path string", path)
			}
			inc.name = name
			if o, ok := x["optional"]; ok {
				if inc.optional, ok = o.(bool); !ok {
					return nil, fmt.Errorf("cargo config %s: include optional must be a boolean", path)
				}
			}
		default:
			return nil, fmt.Errorf("cargo config %s: include must be a list of strings or a list of tables", path)
		}
		if !strings.HasSuffix(inc.name, ".toml") {
			return nil, fmt.Errorf("expected a config include path ending with `.toml`, but found `%s` from `%s`", inc.name, path)
		}
		inc.path = inc.name
		if !filepath.IsAbs(inc.path) {
			inc.path = filepath.Join(filepath.Dir(path), inc.path)
		}
		out = append(out, inc)
	}
	return out, nil
}

// value finds a dotted key in the highest-priority layer that has it.
func (c *Config) value(keys ...string) (any, configLayer, bool) {
	for _, l := range c.layers {
		if v, ok := dig(l.data, keys); ok {
			return v, l, true
		}
	}
	return nil, configLayer{}, false
}

func dig(m map[string]any, keys []string) (any, bool) {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = mm[k]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// String returns a string value and the directory relative paths in it resolve against.
func (c *Config) String(keys ...string) (string, string, error) {
	v, l, ok := c.value(keys...)
	if !ok {
		return "", "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", "", fmt.Errorf("cargo config %s: %s must be a string", l.path, strings.Join(keys, "."))
	}
	return s, l.root, nil
}

// StringList reads a string-or-array value; arrays from all layers are
// concatenated lowest priority first, as cargo merges them.
func (c *Config) StringList(keys ...string) ([]string, bool, error) {
	var out []string
	found := false
	for i := len(c.layers) - 1; i >= 0; i-- {
		l := c.layers[i]
		v, ok := dig(l.data, keys)
		if !ok {
			continue
		}
		found = true
		switch x := v.(type) {
		case string:
			out = append(out, strings.Fields(x)...)
		case []any:
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, false, fmt.Errorf("cargo config %s: %s must hold strings", l.path, strings.Join(keys, "."))
				}
				out = append(out, s)
			}
		default:
			return nil, false, fmt.Errorf("cargo config %s: %s must be a string or array", l.path, strings.Join(keys, "."))
		}
	}
	return out, found, nil
}

// Rustflags computes a compile kind's flags from the first source that has
// any (cargo-units.md §12.1): CARGO_ENCODED_RUSTFLAGS, RUSTFLAGS,
// target.<triple>.rustflags + matching target.'cfg(..)'.rustflags, build.rustflags.
func (c *Config) Rustflags(env []string, triple string, cfgs []Cfg) ([]string, error) {
	if v, ok := lookupOK(env, "CARGO_ENCODED_RUSTFLAGS"); ok {
		if v == "" {
			return nil, nil
		}
		return strings.Split(v, "\x1f"), nil
	}
	if v, ok := lookupOK(env, "RUSTFLAGS"); ok {
		return strings.Fields(v), nil
	}
	var flags []string
	found := false
	if v, ok := lookupOK(env, "CARGO_TARGET_"+envName(triple)+"_RUSTFLAGS"); ok {
		flags, found = append(flags, strings.Fields(v)...), true
	}
	f, ok, err := c.StringList("target", triple, "rustflags")
	if err != nil {
		return nil, err
	}
	flags, found = append(flags, f...), found || ok
	for _, key := range c.cfgTargetKeys() {
		match, err := MatchCfg(key, cfgs)
		if err != nil {
			return nil, fmt.Errorf("cargo config target.%q: %w", key, err)
		}
		if !match {
			continue
		}
		f, ok, err := c.StringList("target", key, "rustflags")
		if err != nil {
			return nil, err
		}
		flags, found = append(flags, f...), found || ok
	}
	if found {
		return flags, nil
	}
	if v, ok := lookupOK(env, "CARGO_BUILD_RUSTFLAGS"); ok {
		return strings.Fields(v), nil
	}
	f, _, err = c.StringList("build", "rustflags")
	return f, err
}

// cfgTargetKeys lists the `cfg(...)` keys of [target], sorted as cargo sorts them.
func (c *Config) cfgTargetKeys() []string {
	set := map[string]bool{}
	for _, l := range c.layers {
		t, _ := l.data["target"].(map[string]any)
		for k := range t {
			if strings.HasPrefix(k, "cfg(") {
				set[k] = true
			}
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Linker returns the configured linker for a compile kind, or "".
func (c *Config) Linker(env []string, triple string, cfgs []Cfg, cwd string) (string, error) {
	if v := lookup(env, "CARGO_TARGET_"+envName(triple)+"_LINKER"); v != "" {
		return resolveConfigPath(v, cwd), nil
	}
	s, root, err := c.String("target", triple, "linker")
	if err != nil || s != "" {
		return resolveConfigPath(s, root), err
	}
	var found, foundKey string
	for _, key := range c.cfgTargetKeys() {
		s, root, err := c.String("target", key, "linker")
		if err != nil {
			return "", err
		}
		if s == "" {
			continue
		}
		if ok, err := MatchCfg(key, cfgs); err != nil || !ok {
			continue
		}
		if found != "" {
			return "", fmt.Errorf("cargo config: several linkers match: target.%q and target.%q", foundKey, key)
		}
		found, foundKey = resolveConfigPath(s, root), key
	}
	return found, nil
}

// Wrapper returns RUSTC_WRAPPER or build.rustc-wrapper ("" when none).
func (c *Config) Wrapper(env []string, cwd string) (string, error) {
	if v, ok := lookupOK(env, "RUSTC_WRAPPER"); ok {
		return resolveConfigPath(v, cwd), nil
	}
	s, root, err := c.String("build", "rustc-wrapper")
	return resolveConfigPath(s, root), err
}

// ConfigEnv is one [env] entry.
type ConfigEnv struct {
	Name, Value string
	Force       bool
}

// Env returns the [env] table with relative values resolved (§7).
func (c *Config) Env() ([]ConfigEnv, error) {
	seen := map[string]bool{}
	var out []ConfigEnv
	for _, l := range c.layers {
		t, _ := l.data["env"].(map[string]any)
		names := make([]string, 0, len(t))
		for k := range t {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if seen[k] {
				continue
			}
			seen[k] = true
			e := ConfigEnv{Name: k}
			switch v := t[k].(type) {
			case string:
				e.Value = v
			case map[string]any:
				s, ok := v["value"].(string)
				if !ok {
					return nil, fmt.Errorf("cargo config %s: env.%s needs a string `value`", l.path, k)
				}
				e.Value = s
				e.Force, _ = v["force"].(bool)
				if rel, _ := v["relative"].(bool); rel {
					e.Value = filepath.Join(l.root, s)
				}
			default:
				return nil, fmt.Errorf("cargo config %s: env.%s must be a string or table", l.path, k)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// TargetDir returns CARGO_TARGET_DIR or build.target-dir, resolved, or "".
func (c *Config) TargetDir(env []string, cwd string) (string, error) {
	if v := lookup(env, "CARGO_TARGET_DIR"); v != "" {
		if !filepath.IsAbs(v) {
			v = filepath.Join(cwd, v)
		}
		return v, nil
	}
	if v := lookup(env, "CARGO_BUILD_TARGET_DIR"); v != "" {
		if !filepath.IsAbs(v) {
			v = filepath.Join(cwd, v)
		}
		return v, nil
	}
	s, root, err := c.String("build", "target-dir")
	if err != nil || s == "" {
		return "", err
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(root, s)
	}
	return s, nil
}

// resolveConfigPath: a value containing '/' is relative to base; a bare name stays.
func resolveConfigPath(v, base string) string {
	if v == "" || !strings.ContainsRune(v, '/') || filepath.IsAbs(v) {
		return v
	}
	return filepath.Join(base, v)
}

func envName(s string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(s))
}

// Rustdocflags are the extra flags cargo gives rustdoc for triple, in its
// order of precedence: CARGO_ENCODED_RUSTDOCFLAGS, RUSTDOCFLAGS,
// target.<triple>.rustdocflags (cfg() keys have none), then
// build.rustdocflags (target_info.rs extra_args with Flags::Rustdoc).
func (c *Config) Rustdocflags(env []string, triple string) ([]string, error) {
	if v, ok := lookupOK(env, "CARGO_ENCODED_RUSTDOCFLAGS"); ok {
		if v == "" {
			return nil, nil
		}
		return strings.Split(v, "\x1f"), nil
	}
	if v, ok := lookupOK(env, "RUSTDOCFLAGS"); ok {
		return strings.Fields(v), nil
	}
	var flags []string
	if v, ok := lookupOK(env, "CARGO_TARGET_"+envName(triple)+"_RUSTDOCFLAGS"); ok {
		flags = append(flags, strings.Fields(v)...)
	}
	f, _, err := c.StringList("target", triple, "rustdocflags")
	if err != nil {
		return nil, err
	}
	if flags = append(flags, f...); len(flags) > 0 {
		return flags, nil
	}
	if v, ok := lookupOK(env, "CARGO_BUILD_RUSTDOCFLAGS"); ok {
		return strings.Fields(v), nil
	}
	f, _, err = c.StringList("build", "rustdocflags")
	return f, err
}

// Rustdoc is the rustdoc cargo would run, when the user chose one:
// RUSTDOC, else build.rustdoc; "" means the toolchain's (RustcInfo.Rustdoc).
func (c *Config) Rustdoc(env []string, cwd string) (string, error) {
	if v := lookup(env, "RUSTDOC"); v != "" {
		return resolveConfigPath(v, cwd), nil
	}
	s, root, err := c.String("build", "rustdoc")
	if err != nil || s == "" {
		return "", err
	}
	return resolveConfigPath(s, root), nil
}
