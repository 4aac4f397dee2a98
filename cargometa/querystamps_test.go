package cargometa

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// queryWorkspace is a workspace with a member glob, a binary with an
// explicit target path, a crate with a build script, a subdirectory of
// src/bin and of tests without main.rs (no target yet), configs that
// include another file, an optional path dependency outside the
// workspace that is not enabled, and (set up by some cases) a package
// outside it patched in that does not match (yet): cargo reads all of
// these.
var queryWorkspace = map[string]string{
	"ws/Cargo.toml":             "[workspace]\nresolver = \"2\"\nmembers = [\"app\", \"crates/*\"]\n",
	"ws/.cargo/config.toml":     "include = [\"extra.toml\"]\n",
	"ws/.cargo/extra.toml":      "[profile.dev]\nopt-level = 0\n",
	"ws/my-config.toml":         "[profile.dev]\ndebug-assertions = true\n",
	"ws/app/Cargo.toml":         "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nlib1 = { path = \"../crates/lib1\" }\nopt = { path = \"../../opt\", optional = true }\n\n[[bin]]\nname = \"tool\"\npath = \"tools/tool.rs\"\n",
	"ws/app/src/main.rs":        "fn main() { println!(\"{}\", lib1::value()); }\n",
	"ws/app/tools/tool.rs":      "fn main() {}\n",
	"ws/app/src/bin/sub/x.rs":   "pub fn helper() {}\n",
	"ws/app/tests/t/x.rs":       "pub fn helper() {}\n",
	"ws/crates/lib1/Cargo.toml": "[package]\nname = \"lib1\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
	"ws/crates/lib1/src/lib.rs": "pub fn value() -> u32 { 1 }\n",
	"ws/crates/lib1/build.rs":   "fn main() {}\n",
	"opt/Cargo.toml":            "[package]\nname = \"opt\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
	"opt/src/lib.rs":            "",
	"patched/src/lib.rs":        "",
	"solo/Cargo.toml":           "[package]\nname = \"solo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
	"solo/src/main.rs":          "fn main() { println!(\"{}\", file!()); }\n",
}

// The query's stamps change exactly when cargo's answer (unit graph,
// metadata, rustc probes, or an error) can: a crate root's or build
// script's content is not part of it, their coming and going is, and so
// is every file cargo reads to find the workspace, its members, targets,
// dependencies and configuration. Real cargo is the oracle: for each
// edit, the test asks it again and compares.
func TestQueryStampsFollowCargo(t *testing.T) {
	if _, err := exec.LookPath("cargo"); err != nil {
		t.Skip("no cargo")
	}
	write := func(root, rel, text string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	appendTo := func(root, rel, text string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		write(root, rel, string(data)+text)
	}
	remove := func(root, rel string) {
		t.Helper()
		if err := os.RemoveAll(filepath.Join(root, rel)); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		cwd  string   // relative to the temp root; ws by default
		args []string // cargo flags of the request
		// registry: app depends on cfg-if from Debian's crates, patched
		// with a path package of a version that does not match (yet)
		registry bool
		setup    func(root string)
		edit     func(root string)
		// changed: whether the stamps must change. Where they must not,
		// cargo's answer must be the same; where they must, it differs,
		// unless conservative (a content stamp changes on any edit).
		changed, conservative bool
	}{
		{name: "lib.rs content", edit: func(r string) { appendTo(r, "ws/crates/lib1/src/lib.rs", "pub fn more() {}\n") }},
		{name: "main.rs content", edit: func(r string) { appendTo(r, "ws/app/src/main.rs", "// more\n") }},
		{name: "build.rs content", edit: func(r string) {
			write(r, "ws/crates/lib1/build.rs", "fn main() { println!(\"cargo::rerun-if-changed=build.rs\"); }\n")
		}},
		{name: "explicit target content", edit: func(r string) { appendTo(r, "ws/app/tools/tool.rs", "// more\n") }},
		{name: "lib.rs removed", changed: true, edit: func(r string) { remove(r, "ws/crates/lib1/src/lib.rs") }},
		{name: "build.rs removed", changed: true, edit: func(r string) { remove(r, "ws/crates/lib1/build.rs") }},
		{name: "build.rs appears", changed: true, edit: func(r string) { write(r, "ws/app/build.rs", "fn main() {}\n") }},
		{name: "build.rs turns into a directory", changed: true, edit: func(r string) {
			remove(r, "ws/crates/lib1/build.rs")
			write(r, "ws/crates/lib1/build.rs/x", "")
		}},
		{name: "explicit target removed", changed: true, edit: func(r string) { remove(r, "ws/app/tools/tool.rs") }},
		{name: "src/bin/x.rs appears", changed: true, edit: func(r string) { write(r, "ws/app/src/bin/x.rs", "fn main() {}\n") }},
		{name: "src/bin/sub/main.rs appears", changed: true, edit: func(r string) { write(r, "ws/app/src/bin/sub/main.rs", "fn main() {}\n") }},
		{name: "tests/t/main.rs appears", changed: true, edit: func(r string) { write(r, "ws/app/tests/t/main.rs", "#[test]\nfn t() {}\n") }},
		{name: "manifest", changed: true, edit: func(r string) { appendTo(r, "ws/app/Cargo.toml", "\n[features]\nextra = []\n") }},
		{name: "lockfile", changed: true, conservative: true, edit: func(r string) { appendTo(r, "ws/Cargo.lock", "\n") }},
		{name: "config", changed: true, edit: func(r string) {
			write(r, "ws/.cargo/config.toml", "include = [\"extra.toml\"]\n[profile.dev]\nopt-level = 1\n")
		}},
		{name: "config in a parent directory", changed: true, edit: func(r string) { write(r, ".cargo/config.toml", "[profile.dev]\noverflow-checks = false\n") }},
		{name: "included config", changed: true, edit: func(r string) { write(r, "ws/.cargo/extra.toml", "[profile.dev]\nopt-level = 2\n") }},
		{name: "--config file", args: []string{"--config", "my-config.toml"}, changed: true, edit: func(r string) {
			write(r, "ws/my-config.toml", "[profile.dev]\ndebug-assertions = false\n")
		}},
		{name: "new member in a glob", changed: true, edit: func(r string) {
			write(r, "ws/crates/lib2/Cargo.toml", "[package]\nname = \"lib2\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
			write(r, "ws/crates/lib2/src/lib.rs", "")
		}},
		{name: "optional dependency not enabled", changed: true, edit: func(r string) {
			appendTo(r, "opt/Cargo.toml", "nosuch = { path = \"../nosuch\" }\n")
		}},
		{name: "unused [patch] in the manifest", registry: true, changed: true, setup: func(r string) {
			appendTo(r, "ws/Cargo.toml", "\n[patch.crates-io]\ncfg-if = { path = \"../patched\" }\n")
		}, edit: func(r string) { write(r, "patched/Cargo.toml", patchedManifest("1.0.0")) }},
		{name: "unused [patch] in a config", registry: true, changed: true, setup: func(r string) {
			appendTo(r, "ws/.cargo/config.toml", "\n[patch.crates-io]\ncfg-if = { path = \"../patched\" }\n")
		}, edit: func(r string) { write(r, "patched/Cargo.toml", patchedManifest("1.0.0")) }},
		{name: "workspace root above", cwd: "solo", changed: true, edit: func(r string) {
			write(r, "Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"solo\"]\n")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for rel, text := range queryWorkspace {
				write(root, rel, text)
			}
			if c.registry {
				if _, err := os.Stat(debianCfgIf); err != nil {
					t.Skip("Debian crates not installed (scripts/install-test-deps.sh)")
				}
				appendTo(root, "ws/.cargo/config.toml", "[source.crates-io]\nreplace-with = \"debian\"\n[source.debian]\ndirectory = \"/usr/share/cargo/registry\"\n")
				appendTo(root, "ws/app/Cargo.toml", "\n[dependencies.cfg-if]\nversion = \"1\"\n")
				write(root, "patched/Cargo.toml", patchedManifest("0.1.0"))
			}
			if c.setup != nil {
				c.setup(root)
			}
			cwd := filepath.Join(root, "ws")
			if c.cwd != "" {
				cwd = filepath.Join(root, c.cwd)
			}
			// A file written moments before the query, or by it (cargo
			// writes Cargo.lock), is stamped as racy (cutoff.Racy) and
			// would count as changed: the first answer makes the
			// lockfile, then the tree is dated back as a checkout is.
			cargoAnswer(t, cwd, c.args)
			ageTree(t, root)
			before, q := cargoAnswer(t, cwd, c.args)
			if q == nil {
				t.Fatalf("cargo failed on the workspace as written: %s", before)
			}
			for _, st := range q.Stamps {
				if st.Changed() {
					t.Fatalf("%s changed with nothing edited", st.Path)
				}
			}
			c.edit(root)
			var changed []string
			for _, st := range q.Stamps {
				if st.Changed() {
					changed = append(changed, st.Path)
				}
			}
			after, _ := cargoAnswer(t, cwd, c.args)
			switch {
			case !c.changed && len(changed) > 0:
				t.Errorf("cargo's answer cannot have changed, yet stamps did: %v", changed)
			case c.changed && len(changed) == 0:
				t.Errorf("no stamp changed (cargo's answer did: %v)", after != before)
			}
			if answerChanged := after != before; answerChanged != c.changed && !(c.conservative && !answerChanged) {
				t.Errorf("cargo's answer changed: %v, the case says %v: the case proves nothing\n%s", answerChanged, c.changed, after)
			}
		})
	}
}

const debianCfgIf = "/usr/share/cargo/registry/cfg-if-1.0.0"

func patchedManifest(version string) string {
	return "[package]\nname = \"cfg-if\"\nversion = \"" + version + "\"\nedition = \"2018\"\n"
}

// cargoAnswer asks cargo as rbuild does and returns what it answered (or
// its error) as text, with the query.
func cargoAnswer(t *testing.T, cwd string, args []string) (string, *Query) {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR", "RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "RUSTC", "RUSTC_WRAPPER", "RUSTC_BOOTSTRAP", "CARGO_BUILD_TARGET":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "CARGO_NET_OFFLINE=true")
	cfg, err := LoadConfig(cwd, env)
	if err != nil {
		t.Fatal(err)
	}
	q, err := RunQuery(&Request{Command: "build", Args: args, Cwd: cwd, Env: env}, cfg)
	if err != nil {
		return "error: " + err.Error(), nil
	}
	data, err := json.Marshal([]any{q.Graph, q.Meta, q.Rustc, q.Targets})
	if err != nil {
		t.Fatal(err)
	}
	return string(data), q
}

// ageTree dates every file and directory below dir a minute back.
func ageTree(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Minute)
	if err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, old, old)
	}); err != nil {
		t.Fatal(err)
	}
}
