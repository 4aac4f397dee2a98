package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"rbuild/cutoff"
)

// The cached query (cargo's unit graph and metadata) is asked again when
// a file cargo reads to answer changes, and only then: an edit of a crate
// root or of a build script is not one (cargo finds them by existence),
// their coming and going is. Where cargo is not asked, rbuild's own
// freshness still rebuilds what the edit touched: each build prints what
// cargo's build of the same tree prints.
func TestQueryCacheAsksCargoOnlyWhenItsAnswerCanChange(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "qc")
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
	appendTo := func(rel, text string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(ws, rel))
		if err != nil {
			t.Fatal(err)
		}
		write(rel, string(data)+text)
	}
	main := func(word string) string {
		return "fn main() {\n    println!(\"" + word + " {} build {} debug-assertions {}\", lib1::value(), " +
			"option_env!(\"FROM_BUILD\").unwrap_or(\"none\"), cfg!(debug_assertions));\n}\n"
	}
	buildRS := func(v string) string {
		return "fn main() {\n    println!(\"cargo::rerun-if-changed=build.rs\");\n    println!(\"cargo::rustc-env=FROM_BUILD=" + v + "\");\n}\n"
	}
	write("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"lib1\", \"app\"]\n")
	write("lib1/Cargo.toml", "[package]\nname = \"lib1\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
	write("lib1/src/lib.rs", "pub fn value() -> u32 { 1 }\n")
	write("app/Cargo.toml", "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nlib1 = { path = \"../lib1\" }\n")
	write("app/src/main.rs", main("value"))

	tools := t.TempDir()
	realCargo, err := exec.LookPath("cargo")
	if err != nil {
		t.Fatal(err)
	}
	_, cargoLog := countingTool(t, tools, "cargo", realCargo)
	env := []string{"PATH=" + tools + ":" + os.Getenv("PATH")}
	// With no Cargo.lock, the first query writes one, and a file written
	// while cargo answers asks cargo again next time (cutoff.Racy): a
	// checkout has its lockfile already.
	if r := runIn(t, realCargo, ws, nil, "generate-lockfile", "--offline"); r.code != 0 {
		t.Fatalf("cargo generate-lockfile: %s", r.stderr)
	}
	cargoTarget := filepath.Join(t.TempDir(), "ct")

	steps := []struct {
		name  string
		edit  func()
		asked bool
		// the programs to run and what they print (cargo's build prints
		// the same)
		want map[string]string
	}{
		{"first build", func() {}, true, map[string]string{"app": "value 1 build none debug-assertions true\n"}},
		{"nothing changed", func() {}, false, nil},
		{"lib.rs content", func() { write("lib1/src/lib.rs", "/// Two now.\npub fn value() -> u32 { 2 }\n") }, false,
			map[string]string{"app": "value 2 build none debug-assertions true\n"}},
		{"main.rs content", func() { write("app/src/main.rs", main("VALUE")) }, false,
			map[string]string{"app": "VALUE 2 build none debug-assertions true\n"}},
		{"build.rs appears", func() { write("app/build.rs", buildRS("one")) }, true,
			map[string]string{"app": "VALUE 2 build one debug-assertions true\n"}},
		{"build.rs content", func() { write("app/build.rs", buildRS("two")) }, false,
			map[string]string{"app": "VALUE 2 build two debug-assertions true\n"}},
		{"build.rs removed", func() { os.Remove(filepath.Join(ws, "app", "build.rs")) }, true,
			map[string]string{"app": "VALUE 2 build none debug-assertions true\n"}},
		{"src/bin/extra.rs appears", func() { write("app/src/bin/extra.rs", "fn main() { println!(\"extra {}\", lib1::value()); }\n") }, true,
			map[string]string{"extra": "extra 2\n"}},
		{"src/bin/sub/ appears without main.rs", func() { write("app/src/bin/sub/helper.rs", "pub fn word() -> &'static str { \"sub\" }\n") }, true, nil},
		{"src/bin/sub/main.rs appears", func() {
			write("app/src/bin/sub/main.rs", "mod helper;\nfn main() { println!(\"{}\", helper::word()); }\n")
		}, true,
			map[string]string{"sub": "sub\n"}},
		{"manifest", func() { appendTo("app/Cargo.toml", "\n[features]\nloud = []\n") }, true, nil},
		{"lockfile", func() { appendTo("Cargo.lock", "\n") }, true, nil},
		{"config appears", func() { write(".cargo/config.toml", "[profile.dev]\ndebug-assertions = false\n") }, true,
			map[string]string{"app": "VALUE 2 build none debug-assertions false\n"}},
		{"config content", func() { write(".cargo/config.toml", "[profile.dev]\ndebug-assertions = true\n") }, true,
			map[string]string{"app": "VALUE 2 build none debug-assertions true\n"}},
	}
	for _, s := range steps {
		s.edit()
		// Saved moments before the build that asks cargo, a file's stamp
		// is not trusted (cutoff.Racy): the next build would ask again.
		time.Sleep(cutoff.FineRacyWindow)
		os.Remove(cargoLog)
		mustRbuild(t, ws, env, "build")
		if n := len(calls(t, cargoLog)); (n > 0) != s.asked {
			t.Errorf("%s: cargo asked %d times, want asked: %v", s.name, n, s.asked)
		}
		if len(s.want) == 0 {
			continue
		}
		cargoDir := cargo(t, ws, cargoTarget, "build")
		for prog, want := range s.want {
			got := runProgram(t, filepath.Join(ws, "target", "debug", prog))
			fromCargo := runProgram(t, filepath.Join(cargoDir, prog))
			if got != want || fromCargo != want {
				t.Errorf("%s: %s printed %q, cargo's %q, want %q", s.name, prog, got, fromCargo, want)
			}
		}
	}

	// A crate root saved by rename (as editors and rbuild bench do) just
	// before a build that asks cargo for another reason was there when
	// cargo looked: the next build must not ask again for it.
	appendTo("app/Cargo.toml", "quiet = []\n")
	time.Sleep(cutoff.FineRacyWindow) // the manifest is not what is racy here
	tmp := filepath.Join(ws, "app", "src", ".main.rs.swp")
	if err := os.WriteFile(tmp, []byte(main("RENAMED")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(ws, "app", "src", "main.rs")); err != nil {
		t.Fatal(err)
	}
	for i, asked := range []bool{true, false} {
		os.Remove(cargoLog)
		mustRbuild(t, ws, env, "build")
		if n := len(calls(t, cargoLog)); (n > 0) != asked {
			t.Errorf("main.rs saved by rename before a query, build %d: cargo asked %d times, want asked: %v", i+1, n, asked)
		}
		time.Sleep(cutoff.FineRacyWindow)
	}
	if got := runProgram(t, filepath.Join(ws, "target", "debug", "app")); got != "RENAMED 2 build none debug-assertions true\n" {
		t.Errorf("after the rename, app printed %q", got)
	}
}
