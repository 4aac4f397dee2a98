package cargometa

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A config file's include key (stable since cargo 1.94) merges other
// files under it, as cargo 1.95 does (each outcome below checked against
// `cargo metadata`'s target_directory): the including file wins, a later
// include wins over an earlier one, an included file's includes sit under
// it, paths are relative to the including file's directory, relative
// values in an included file to the parent of its own directory. Every
// included file is in Files, so the query cache notices its edits.
func TestConfigInclude(t *testing.T) {
	ws := t.TempDir()
	home := t.TempDir()
	env := []string{"CARGO_HOME=" + home}
	write := func(rel, text string) {
		t.Helper()
		p := filepath.Join(ws, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	targetDir := func() (string, *Config, error) {
		c, err := LoadConfig(ws, env)
		if err != nil {
			return "", nil, err
		}
		td, err := c.TargetDir(env, ws)
		return td, c, err
	}
	write(".cargo/e1.toml", "[build]\ntarget-dir = \"e1\"\nrustflags = [\"--cfg\", \"e1\"]\n")
	write(".cargo/e2.toml", "include = [\"nested.toml\"]\n[build]\ntarget-dir = \"e2\"\n")
	write(".cargo/nested.toml", "[build]\ntarget-dir = \"nested\"\nrustflags = [\"--cfg\", \"nested\"]\n")
	write("sub/e3.toml", "[build]\ntarget-dir = \"e3\"\n")
	for _, c := range []struct{ config, want string }{
		{"include = [\"e1.toml\", \"e2.toml\"]\n[build]\ntarget-dir = \"main\"\n", "main"},
		{"include = [\"e1.toml\", \"e2.toml\"]\n", "e2"},
		{"include = [\"e2.toml\", \"e1.toml\"]\n", "e1"},
		{"include = [\"e1.toml\", { path = \"nested.toml\" }]\n", "nested"},
		{"include = [\"../sub/e3.toml\"]\n", "e3"},
		{"include = [{ path = \"missing.toml\", optional = true }]\n", ""},
	} {
		write(".cargo/config.toml", c.config)
		td, _, err := targetDir()
		if err != nil {
			t.Errorf("%q: %v", c.config, err)
			continue
		}
		if want := filepath.Join(ws, c.want); c.want != "" && td != want {
			t.Errorf("%q: target dir %s, want %s", c.config, td, want)
		}
		if c.want == "" && td != "" {
			t.Errorf("%q: target dir %s, want none", c.config, td)
		}
	}

	write(".cargo/config.toml", "include = [\"e1.toml\", \"e2.toml\", { path = \"opt.toml\", optional = true }]\n")
	_, cfg, err := targetDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"e1.toml", "e2.toml", "nested.toml", "opt.toml"} {
		if !slices.Contains(cfg.Files, filepath.Join(ws, ".cargo", f)) {
			t.Errorf("Files lacks %s: %v", f, cfg.Files)
		}
	}
	flags, _, err := cfg.StringList("build", "rustflags")
	// Priority, highest first: config.toml, e2, nested (under e2), e1;
	// lists merge lowest first.
	if err != nil || strings.Join(flags, " ") != "--cfg e1 --cfg nested" {
		t.Errorf("rustflags %q (%v), want the lower priority first: --cfg e1 --cfg nested", flags, err)
	}

	for _, bad := range []string{
		"include = [\"missing.toml\"]\n",
		"include = [\"e1.txt\"]\n",
		"include = \"e1.toml\"\n",
	} {
		write(".cargo/config.toml", bad)
		if _, _, err := targetDir(); err == nil {
			t.Errorf("%q: no error (cargo refuses it)", bad)
		}
	}

	// A cycle ends.
	write(".cargo/config.toml", "include = [\"a.toml\"]\n")
	write(".cargo/a.toml", "include = [\"config.toml\"]\n[build]\ntarget-dir = \"a\"\n")
	if td, _, err := targetDir(); err != nil || td != filepath.Join(ws, "a") {
		t.Errorf("include cycle: %s, %v", td, err)
	}
}

// Where .cargo/config and .cargo/config.toml both exist, cargo 1.95
// reads config ("warning: both … exist. Using …/config"); both are in
// Files, so either one changing asks cargo again.
func TestConfigWithoutExtensionWins(t *testing.T) {
	ws := t.TempDir()
	env := []string{"CARGO_HOME=" + t.TempDir()}
	if err := os.MkdirAll(filepath.Join(ws, ".cargo"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, td := range map[string]string{"config": "noext", "config.toml": "toml"} {
		if err := os.WriteFile(filepath.Join(ws, ".cargo", name), []byte("[build]\ntarget-dir = \""+td+"\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := LoadConfig(ws, env)
	if err != nil {
		t.Fatal(err)
	}
	if td, err := c.TargetDir(env, ws); err != nil || td != filepath.Join(ws, "noext") {
		t.Errorf("target dir %s (%v), want %s as cargo", td, err, filepath.Join(ws, "noext"))
	}
	for _, name := range []string{"config", "config.toml"} {
		if !slices.Contains(c.Files, filepath.Join(ws, ".cargo", name)) {
			t.Errorf("Files lacks .cargo/%s: %v", name, c.Files)
		}
	}
}
