package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadScenarios(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "src"), 0o755)
	os.WriteFile(filepath.Join(root, "src", "lib.rs"), []byte("fn helper() -> u32 {\n    1\n}\n"), 0o644)
	good := `
[[scenario]]
name = "body"
file = "src/lib.rs"
insert_after = '^fn helper'
line = "    let _x = {n};"

[[scenario]]
name = "rename"
description = "rename the helper"
file = "src/lib.rs"
replace = "helper"
with = "helper2"

[[scenario]]
name = "comment"
file = "src/lib.rs"
append_comment = true

[[scenario]]
name = "touch"
file = "src/lib.rs"
touch = true
command = "test"

[[scenario]]
name = "noop"
`
	f := filepath.Join(root, "good.toml")
	os.WriteFile(f, []byte(good), 0o644)
	got, err := readScenarios(f, root)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range got {
		kinds = append(kinds, s.Name+":"+s.Edit.Kind)
	}
	if want := "body:insert-after rename:replace comment:append-comment touch:touch noop:noop"; strings.Join(kinds, " ") != want {
		t.Errorf("got %s, want %s", strings.Join(kinds, " "), want)
	}
	if got[3].Command != "test" || got[3].isTest() == got[0].isTest() {
		t.Errorf("command: %q, %q", got[3].Command, got[0].Command)
	}
	if got[1].What != "rename the helper" || !strings.Contains(got[0].What, "src/lib.rs") {
		t.Errorf("descriptions: %q, %q", got[0].What, got[1].What)
	}

	for _, tt := range []struct{ name, toml, want string }{
		{"syntax", "[[scenario]\nname=1", "scenario file"},
		{"unknown key", "[[scenario]]\nname = \"a\"\nfile = \"src/lib.rs\"\ntouch = true\ntuoch = 1", `unknown key "scenario.tuoch"`},
		{"empty", "", "no [[scenario]] tables"},
		{"no name", "[[scenario]]\ntouch = true\nfile = \"src/lib.rs\"", "scenario 1: no name"},
		{"twice", "[[scenario]]\nname = \"a\"\n[[scenario]]\nname = \"a\"", `scenario "a": the name is used twice`},
		{"two edits", "[[scenario]]\nname = \"a\"\nfile = \"src/lib.rs\"\ntouch = true\nappend_comment = true", "one edit per scenario, got append_comment and touch"},
		{"no edit", "[[scenario]]\nname = \"a\"\nfile = \"src/lib.rs\"", "file without an edit"},
		{"no file", "[[scenario]]\nname = \"a\"\ntouch = true", "touch needs a file"},
		{"missing file", "[[scenario]]\nname = \"a\"\nfile = \"src/nope.rs\"\ntouch = true", "src/nope.rs: no such file"},
		{"absolute", "[[scenario]]\nname = \"a\"\nfile = \"/etc/passwd\"\ntouch = true", "want a path relative to the workspace root"},
		{"no match", "[[scenario]]\nname = \"a\"\nfile = \"src/lib.rs\"\ninsert_after = 'fn nothere'\nline = \"x\"", "/fn nothere/ matches no line of src/lib.rs"},
		{"bad regex", "[[scenario]]\nname = \"a\"\nfile = \"src/lib.rs\"\ninsert_after = '('\nline = \"x\"", "insert_after: error parsing regexp"},
		{"no line", "[[scenario]]\nname = \"a\"\nfile = \"src/lib.rs\"\ninsert_after = 'fn'", "insert_after needs the line"},
		{"stray with", "[[scenario]]\nname = \"a\"\nfile = \"src/lib.rs\"\ntouch = true\nwith = \"x\"", "with is only for replace"},
		{"bad command", "[[scenario]]\nname = \"a\"\nfile = \"src/lib.rs\"\ntouch = true\ncommand = \"run\"", `command "run": want "build" or "test"`},
		{"replace absent", "[[scenario]]\nname = \"a\"\nfile = \"src/lib.rs\"\nreplace = \"nothere\"", `replace: "nothere" is not in src/lib.rs`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(root, "bad.toml")
			os.WriteFile(f, []byte(tt.toml), 0o644)
			_, err := readScenarios(f, root)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestEditApplyAndRevert(t *testing.T) {
	root := t.TempDir()
	lib := filepath.Join(root, "lib.rs")
	orig := "fn a() {\n    1;\n}\n"
	os.WriteFile(lib, []byte(orig), 0o640)
	for _, tt := range []struct {
		e    fileEdit
		want string
	}{
		{fileEdit{Kind: "insert-after", File: "lib.rs", Pattern: `^fn a`, Line: "    let _x = {n};"}, "fn a() {\n    let _x = 7;\n    1;\n}\n"},
		{fileEdit{Kind: "insert-at", File: "lib.rs", Offset: 8, Text: " let _y = {n}u32;"}, "fn a() { let _y = 7u32;\n    1;\n}\n"},
		{fileEdit{Kind: "replace", File: "lib.rs", Old: "1;", New: "{n};"}, "fn a() {\n    7;\n}\n"},
		{fileEdit{Kind: "append-comment", File: "lib.rs"}, orig + "// rbuild bench edit 7\n"},
		{fileEdit{Kind: "append", File: "lib.rs", Text: "pub fn b{n}() {}\n"}, orig + "pub fn b7() {}\n"},
		{fileEdit{Kind: "touch", File: "lib.rs"}, orig},
	} {
		ed := &fileEditor{root: root, pending: filepath.Join(root, "pending.json")}
		if err := ed.apply(tt.e, 7); err != nil {
			t.Fatalf("%s: %v", tt.e.Kind, err)
		}
		if got := string(readFile(t, lib)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.e.Kind, got, tt.want)
		}
		if _, err := os.Stat(ed.pending); err != nil {
			t.Errorf("%s: no pending-edit record while applied: %v", tt.e.Kind, err)
		}
		// A bench killed here: the next one finds the record and undoes it.
		next := &fileEditor{root: root, pending: ed.pending}
		restored, err := next.restorePending()
		if err != nil || restored != lib {
			t.Fatalf("%s: restorePending = %q, %v", tt.e.Kind, restored, err)
		}
		if got := string(readFile(t, lib)); got != orig {
			t.Errorf("%s: after restore got %q", tt.e.Kind, got)
		}
		if st, _ := os.Stat(lib); st.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v after restore", tt.e.Kind, st.Mode())
		}
		if _, err := os.Stat(ed.pending); !os.IsNotExist(err) {
			t.Errorf("%s: pending record left after revert", tt.e.Kind)
		}
	}
	os.WriteFile(filepath.Join(root, "pending.json"), []byte("{garbage"), 0o644)
	ed := &fileEditor{root: root, pending: filepath.Join(root, "pending.json")}
	if _, err := ed.restorePending(); err == nil || !strings.Contains(err.Error(), "unreadable") {
		t.Errorf("corrupt pending record: got %v", err)
	}
}
