package graph

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// ruleGraph is a lib (with an env value holding a newline, like a package
// description), a proc macro and a bin reading both: the shapes the
// writers have to get right.
func ruleGraph(t *testing.T) *Graph {
	t.Helper()
	g := New()
	add := func(name string, ins, outs []string, r *Rule) {
		if _, err := g.AddAction(&Action{Name: name, Label: name, Data: r}, ins, outs, ""); err != nil {
			t.Fatal(err)
		}
	}
	add("lib", nil, []string{"out/a-1/liba-1.rlib", "out/a-1/rmeta/liba-1.rmeta"}, &Rule{
		Argv: []string{"rustc", "--crate-name", "a", "a/src/lib.rs", "--cfg", `feature="std"`},
		Env:  []string{"CARGO_PKG_DESCRIPTION=two\nlines $HOME 100%", "CARGO_PKG_NAME=a"}, Dir: "/ws",
		Depfile: "out/a-1/a-1.d", Description: "rustc a v0.1.0 (lib)",
		Meta: &RuleMeta{Package: "a", Version: "0.1.0", TargetKind: []string{"lib"}, Mode: "build"}})
	add("pm", nil, []string{"out/pm-2/libpm-2.so"}, &Rule{
		Argv: []string{"rustc", "--crate-name", "pm", "/registry/pm-1.0/src/lib.rs"}, Dir: "/ws",
		Depfile: "out/pm-2/pm-2.d", Description: "rustc pm v1.0.0 (proc-macro)",
		Meta: &RuleMeta{Package: "pm", Version: "1.0.0", TargetKind: []string{"proc-macro"}, Mode: "build"}})
	add("bin", []string{"out/a-1/liba-1.rlib", "out/pm-2/libpm-2.so"}, []string{"out/app"}, &Rule{
		Argv: []string{"rustc", "--crate-name", "app", "app/src/main.rs", "--extern", "a=out/a-1/liba-1.rlib"},
		Dir:  "/ws", Depfile: "out/app-3.d", Description: `rustc app v0.1.0 (bin "app")`,
		Meta: &RuleMeta{Package: "app", Version: "0.1.0", TargetKind: []string{"bin"}, Mode: "build",
			Links: map[string]string{"out/bin/app": "out/app"}}})
	return g
}

func ruleHeader() Header {
	return Header{Tool: "rbuild test", Regen: []string{"rbuild", "gen", "x"}, Base: "/ws",
		Self: "build.ninja", Sources: []string{"Cargo.toml", "/ws/Cargo.lock"}}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./graph -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./graph -update rewrites it):\n%s", name, got)
	}
}

func TestWriters(t *testing.T) {
	for _, c := range []struct {
		file  string
		write func(*bytes.Buffer, *Graph) error
	}{
		{"rules.ninja", func(b *bytes.Buffer, g *Graph) error { return WriteNinja(b, g, ruleHeader()) }},
		{"Tupfile", func(b *bytes.Buffer, g *Graph) error { return WriteTup(b, g, ruleHeader()) }},
		{"plan.json", func(b *bytes.Buffer, g *Graph) error { return WriteBuildPlan(b, g, ruleHeader()) }},
		{"rules.dot", func(b *bytes.Buffer, g *Graph) error {
			return WriteDot(b, g, ruleHeader(), func(a *Action) string { return a.Label })
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			var first, second bytes.Buffer
			if err := c.write(&first, ruleGraph(t)); err != nil {
				t.Fatal(err)
			}
			if err := c.write(&second, ruleGraph(t)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Error("two writes of the same graph differ")
			}
			golden(t, c.file, first.Bytes())
		})
	}
}

func TestTupRejectsUnnameablePaths(t *testing.T) {
	g := New()
	g.AddAction(&Action{Name: "x", Label: "x", Data: &Rule{Argv: []string{"true"}}}, nil, []string{"out dir/x"}, "")
	err := WriteTup(&bytes.Buffer{}, g, Header{})
	if err == nil || !strings.Contains(err.Error(), `"out dir/x"`) {
		t.Errorf("a path with a space: %v", err)
	}
}

// The newline trick must give the shell the value back exactly.
func TestCommandLineKeepsNewlines(t *testing.T) {
	r := &Rule{Argv: []string{"printenv", "V"}, Env: []string{"V=a\n\"b\" $x `y` \\z\n"}}
	line := r.commandLine("")
	if strings.Contains(line, "\n") {
		t.Fatalf("command line holds a newline: %q", line)
	}
	out, err := execShell(line)
	if err != nil {
		t.Fatal(err)
	}
	if out != "a\n\"b\" $x `y` \\z\n\n" {
		t.Errorf("printenv printed %q", out)
	}
}
