package cargometa

// Fuzz targets for every parser of what cargo, rustc, build scripts and the
// query cache hand rbuild. The properties: no panic and no hang on any
// input; where a parser has an encoder, what decodes encodes to something
// that decodes to the same encoding; what parses is also fed to its
// consumers (a unit graph or cached query to NewPlan and Graph, a build
// plan to the generators) so that a value the parser lets through cannot
// crash the code that trusts it. The seed corpora in testdata/fuzz/ are
// real outputs of cargo 1.95 and rustc 1.95 on testdata/workspaces
// (`make fuzz` runs each target; scripts/fuzz.sh lists them).

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rbuild/graph"
)

// fuzzRustcVV and fuzzProbe are rustc 1.95's `-vV` and target-info probe
// output on x86_64 Linux.
const fuzzRustcVV = "rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc\ncommit-hash: 59807616e1fa2540724bfbac14d7976d7e4a3860\n" +
	"commit-date: 2026-04-14\nhost: x86_64-unknown-linux-gnu\nrelease: 1.95.0\nLLVM version: 22.1.2\n"

const fuzzProbe = "___\nlib___.rlib\nlib___.so\nlib___.so\nlib___.a\nlib___.so\n/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu\n" +
	"off\npacked\nunpacked\n___\ndebug_assertions\npanic=\"unwind\"\ntarget_arch=\"x86_64\"\ntarget_os=\"linux\"\nunix\n"

// fuzzQuery is the rest of a query around a fuzzed unit graph: one
// package for each package id the graph names, the probes of each
// platform it names, so that NewPlan gets past its lookups.
func fuzzQuery(g *UnitGraph) *Query {
	ti, sysroot, _ := parseTargetInfo(fuzzProbe, "", nil, "probe")
	q := &Query{Graph: g, Meta: &Metadata{WorkspaceRoot: "/ws"},
		Rustc: &RustcInfo{Path: "/bin/rustc", VV: fuzzRustcVV, Host: "x86_64-unknown-linux-gnu", Release: "1.95.0",
			Sysroot: sysroot, CfgText: ti.CfgText, SplitDebug: ti.SplitDebug},
		Targets: map[string]*TargetInfo{}}
	seen := map[string]bool{}
	for i, u := range g.Units {
		if !seen[u.PkgID] {
			seen[u.PkgID] = true
			name := u.Target.Name
			q.Meta.Packages = append(q.Meta.Packages, &Package{ID: u.PkgID, Name: name, Version: "0.1.0",
				ManifestPath: "/ws/" + name + "/Cargo.toml"})
			if i%2 == 0 {
				q.Meta.WorkspaceMembers = append(q.Meta.WorkspaceMembers, u.PkgID)
			}
		}
		if u.Platform != nil {
			t := *ti
			t.Triple = *u.Platform
			q.Targets[*u.Platform] = &t
		}
	}
	return q
}

// planAndGraph runs what a build does with a query: the plan, its graph,
// and the generators over that graph.
func planAndGraph(t *testing.T, q *Query) {
	p, err := NewPlan(q, &Config{}, []string{"PATH=/bin"}, "/ws", "/ws/target", 2, false)
	if err != nil {
		return
	}
	g, err := p.Graph()
	if err != nil {
		return
	}
	writeGenerators(g)
}

func writeGenerators(g *graph.Graph) {
	h := graph.Header{Tool: "rbuild fuzz", Regen: []string{"rbuild", "gen", "ninja"}, Base: "/ws", Self: "/ws/build.ninja"}
	_ = graph.WriteNinja(io.Discard, g, h)
	_ = graph.WriteTup(io.Discard, g, h)
	_ = graph.WriteBuildPlan(io.Discard, g, h)
	_ = graph.WriteDot(io.Discard, g, h, func(a *graph.Action) string { return a.Name })
}

// noHang makes a fuzz input that runs longer than a few seconds a crash
// (the fuzzer keeps the input that killed its worker); without it a hang
// only stalls the fuzzer.
func noHang(t *testing.T) {
	timer := time.AfterFunc(10*time.Second, func() { panic("fuzz input hangs: " + t.Name()) })
	t.Cleanup(func() { timer.Stop() })
}

// addFiles seeds f with the files matching pattern (relative to the package).
func addFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// jsonStable checks the JSON round trip: what decoded re-encodes, and that
// encoding decodes to a value with the same encoding.
func jsonStable[T any](t *testing.T, v *T, decode func([]byte) (*T, error)) {
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("decoded value does not encode: %v", err)
	}
	again, err := decode(enc)
	if err != nil {
		t.Fatalf("re-encoding %s does not decode: %v", enc, err)
	}
	enc2, _ := json.Marshal(again)
	if !bytes.Equal(enc, enc2) {
		t.Fatalf("round trip differs:\n%s\n%s", enc, enc2)
	}
}

func FuzzParseUnitGraph(f *testing.F) {
	f.Add([]byte(`{"version":1,"units":[{"pkg_id":"a 0.1.0 (path+file:///ws/a)","target":{"kind":["lib"],"crate_types":["lib"],` +
		`"name":"a","src_path":"/ws/a/src/lib.rs","edition":"2021"},"profile":{"name":"dev","opt_level":"0","lto":"false",` +
		`"debuginfo":2,"strip":{"resolved":"None"}},"platform":null,"mode":"build","features":[],"dependencies":[{"index":0}]}],"roots":[0]}`))
	f.Add([]byte(`{"version":1,"units":[null],"roots":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		noHang(t)
		g, err := ParseUnitGraph(data)
		if err != nil {
			return
		}
		jsonStable(t, g, ParseUnitGraph)
		planAndGraph(t, fuzzQuery(g))
	})
}

func FuzzReadBuildPlan(f *testing.F) {
	f.Add([]byte(`{"invocations":[{"program":"rustc","args":["a.rs"],"cwd":"/w","outputs":["/w/a","/w/a.d"],"deps":[],` +
		`"links":{"/w/b":"/w/a"},"env":{"K":"V"}}],"inputs":["/w/Cargo.toml"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsReadBuildPlan(t, data)
		g, plan, err := ReadBuildPlan(data)
		if err != nil {
			return
		}
		enc, err := json.Marshal(plan)
		if err != nil {
			t.Fatalf("plan does not encode: %v", err)
		}
		g2, plan2, err := ReadBuildPlan(enc)
		if err != nil {
			t.Fatalf("re-encoded plan %s does not read: %v", enc, err)
		}
		if enc2, _ := json.Marshal(plan2); !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip differs:\n%s\n%s", enc, enc2)
		}
		if len(g.Actions) != len(g2.Actions) {
			t.Fatalf("round trip has %d actions, not %d", len(g2.Actions), len(g.Actions))
		}
		writeGenerators(g)
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`{"packages":[{"name":"a","id":"a","features":{"x":["y"]},"targets":[{"kind":["lib"]}]}],"workspace_root":"/w"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			return
		}
		jsonStable(t, m, ParseMetadata)
		for _, p := range m.Packages {
			_ = p.FeatureNames()
			_ = sourceMutability(str(p.Source))
		}
	})
}

// FuzzLoadConfig reads fuzzed .cargo/config.toml files (a workspace's and
// CARGO_HOME's) and asks every question a build asks of them.
func FuzzLoadConfig(f *testing.F) {
	for _, s := range []string{
		"[build]\nrustflags = [\"-Cdebuginfo=1\"]\ntarget-dir = \"t\"\nrustc-wrapper = \"w\"\nrustdoc = \"rd\"\nrustdocflags = \"--cfg x\"\n",
		"[target.'cfg(unix)']\nrustflags = [\"-Ctarget-cpu=native\"]\nlinker = \"cc\"\n[target.x86_64-unknown-linux-gnu]\nlinker = \"/bin/cc\"\n",
		"[env]\nA = \"1\"\nB = { value = \"rel\", relative = true, force = true }\n",
		"[target.'cfg(all(unix, not(windows)))']\nlinker = \"a\"\n[target.'cfg(target_os = \"linux\")']\nlinker = \"b\"\n",
	} {
		f.Add([]byte(s), []byte(""))
	}
	ti, _, _ := parseTargetInfo(fuzzProbe, "", nil, "probe")
	cfgs := ParseCfgList(ti.CfgText)
	dir := f.TempDir()
	ws, home := filepath.Join(dir, "ws"), filepath.Join(dir, "home")
	for _, d := range []string{filepath.Join(ws, ".cargo"), home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, wsConfig, homeConfig []byte) {
		if err := os.WriteFile(filepath.Join(ws, ".cargo", "config.toml"), wsConfig, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, "config.toml"), homeConfig, 0o644); err != nil {
			t.Fatal(err)
		}
		env := []string{"CARGO_HOME=" + home}
		c, err := LoadConfig(ws, env)
		if err != nil {
			return
		}
		triple := "x86_64-unknown-linux-gnu"
		_, _, _ = c.String("build", "target")
		_, _, _ = c.StringList("build", "target")
		_, _ = c.Rustflags(env, triple, cfgs)
		_, _ = c.Rustdocflags(env, triple)
		_, _ = c.Linker(env, triple, cfgs, ws)
		_, _ = c.Wrapper(env, ws)
		_, _ = c.Env()
		_, _ = c.TargetDir(env, ws)
		_, _ = c.Rustdoc(env, ws)
	})
}

// FuzzManifestFacts reads a fuzzed Cargo.toml as a package's and as the
// workspace root's manifest.
func FuzzManifestFacts(f *testing.F) {
	f.Add([]byte("[package]\nname = \"a-b\"\n[lib]\nharness = false\n[[test]]\nname = \"t\"\nharness = false\n" +
		"[lints.rust]\nunsafe_code = { level = \"forbid\", priority = -1 }\n[lints.clippy]\nall = \"warn\"\n" +
		"[profile.custom]\ninherits = \"release\"\n[profile.loop]\ninherits = \"loop\"\n"))
	f.Add([]byte("[package]\nname = \"a\"\n[lints]\nworkspace = true\n[workspace.lints.rust]\nunused = \"deny\"\n"))
	dir := f.TempDir()
	path := filepath.Join(dir, "Cargo.toml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var lints map[string]any
		if w, err := ReadWorkspaceFacts(dir); err == nil {
			lints = w.Lints
			for name := range w.Inherits {
				_ = w.ProfileRoot(name)
			}
		}
		_, _ = ReadManifestFacts(path, "a-b", lints)
	})
}

// FuzzRustcVV: `rustc -vV`'s host and release are single trimmed lines.
func FuzzRustcVV(f *testing.F) {
	f.Add(fuzzRustcVV)
	f.Fuzz(func(t *testing.T, out string) {
		host, release := parseVV(out)
		for _, s := range []string{host, release} {
			if strings.ContainsAny(s, "\n") || s != strings.TrimSpace(s) {
				t.Fatalf("field %q is not one trimmed line", s)
			}
		}
	})
}

// FuzzTargetInfo: the target-info probe's output, and the cfgs in it.
func FuzzTargetInfo(f *testing.F) {
	f.Add(fuzzProbe)
	f.Fuzz(func(t *testing.T, out string) {
		ti, _, err := parseTargetInfo(out, "", nil, "probe")
		if err != nil {
			return
		}
		if len(ti.FileNames) != 6 {
			t.Fatalf("%d file names", len(ti.FileNames))
		}
		_ = ParseCfgList(ti.CfgText)
	})
}

// FuzzParseCfgList: `rustc --print cfg` lines; printing what parsed and
// parsing it again gives the same cfgs.
func FuzzParseCfgList(f *testing.F) {
	f.Add("unix\ntarget_os=\"linux\"\nk=\"a\"b\"\n\n  x  \n=\n")
	f.Fuzz(func(t *testing.T, out string) {
		cfgs := ParseCfgList(out)
		var b strings.Builder
		for _, c := range cfgs {
			if c.Name == "" && !c.HasValue {
				t.Fatalf("empty cfg from %q", out)
			}
			b.WriteString(c.String() + "\n")
		}
		again := ParseCfgList(b.String())
		if len(again) != len(cfgs) {
			t.Fatalf("%q: %d cfgs, printed and parsed again %d", out, len(cfgs), len(again))
		}
		for i := range cfgs {
			if again[i] != cfgs[i] {
				t.Fatalf("%q: cfg %d is %+v, printed and parsed again %+v", out, i, cfgs[i], again[i])
			}
		}
	})
}

// FuzzMatchCfg: the cfg(...) expressions of Cargo.toml's and config's
// [target.'cfg(..)'] tables, against a cfg list.
func FuzzMatchCfg(f *testing.F) {
	for _, s := range []string{`cfg(unix)`, `cfg(all(unix, not(target_os = "windows")))`, `cfg(any())`, `cfg(all(),)`,
		`cfg(r#true)`, `cfg(target_feature = "\u{61}\x41")`, `cfg(not(any(windows, target_env = "msvc")))`, `cfg(`, `cfg(a="`} {
		f.Add(s, "unix\ntarget_os=\"linux\"\n")
	}
	f.Fuzz(func(t *testing.T, expr, cfgText string) {
		_, err := MatchCfg(expr, ParseCfgList(cfgText))
		if err != nil {
			if _, ok := err.(*CfgExprError); !ok {
				t.Fatalf("error %v is not a *CfgExprError", err)
			}
		}
	})
}

func FuzzParseBuildOutput(f *testing.F) {
	f.Add([]byte("cargo:rustc-cfg=has_foo\ncargo::rustc-check-cfg=cfg(has_foo)\ncargo:rustc-env=GEN=1\n"+
		"cargo:rustc-link-lib=static=x\ncargo:rustc-link-search=native=/o\ncargo:rustc-flags=-l y -L /p\n"+
		"cargo:rustc-link-arg-bin=app=-s\ncargo:rerun-if-changed=build.rs\ncargo::metadata=k=v\ncargo:key=val\n"+
		"cargo:warning=w\ncargo::error=e\n"), true)
	f.Fuzz(func(t *testing.T, stdout []byte, allowNewSyntax bool) {
		out, err := ParseBuildOutput(stdout, "pkg@0.1.0", allowNewSyntax)
		if err != nil {
			if _, ok := err.(*BuildOutputError); !ok {
				t.Fatalf("error %v is not a *BuildOutputError", err)
			}
			return
		}
		for _, a := range out.LinkArgs {
			_ = a.Target.String()
			_ = a.AppliesTo("bin", "app", []string{"bin"}, false)
		}
		for _, p := range out.LibPaths {
			_ = StripLinkKind(p)
		}
	})
}

// FuzzDecodeQuery: a cached query (target/rbuild/query/*.json, or the
// per-user copy) that decodes must make a plan or an error, never a panic.
func FuzzDecodeQuery(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		noHang(t)
		q, err := DecodeQuery(data)
		if err != nil {
			return
		}
		enc, err := q.Encode()
		if err != nil {
			t.Fatalf("decoded query does not encode: %v", err)
		}
		q2, err := DecodeQuery(enc)
		if err != nil {
			t.Fatalf("re-encoded query does not decode: %v", err)
		}
		if enc2, _ := q2.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip differs:\n%s\n%s", enc, enc2)
		}
		planAndGraph(t, q)
	})
}
