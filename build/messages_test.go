package build

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rbuild/executor"
)

type record struct {
	Reason    string `json:"reason"`
	PackageID string `json:"package_id"`
	Target    struct {
		Name string   `json:"name"`
		Kind []string `json:"kind"`
	} `json:"target"`
	Message struct {
		Level    string `json:"level"`
		Message  string `json:"message"`
		Rendered string `json:"rendered"`
	} `json:"message"`
	Filenames  []string `json:"filenames"`
	Executable *string  `json:"executable"`
	Fresh      bool     `json:"fresh"`
	Success    bool     `json:"success"`
}

// jsonBuild builds ws with --message-format json and returns its records.
func jsonBuild(t *testing.T, ws string, env []string, format MessageFormat) []record {
	t.Helper()
	var out, errs bytes.Buffer
	format.JSON = true
	buildOnce(t, Options{Dir: ws, Env: env, MessageFormat: format, Messages: &out,
		Status: executor.NewStatus(&errs, false, false)})
	var recs []record
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not a JSON line: %q (%v)", line, err)
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 || recs[len(recs)-1].Reason != "build-finished" || !recs[len(recs)-1].Success {
		t.Fatalf("stream does not end in a successful build-finished:\n%s", out.String())
	}
	return recs
}

// freshness maps "target (kind)" of each compiler-artifact to its fresh.
func freshness(t *testing.T, recs []record) map[string]bool {
	t.Helper()
	m := map[string]bool{}
	for _, r := range recs {
		if r.Reason != "compiler-artifact" {
			continue
		}
		key := r.Target.Name + " (" + r.Target.Kind[0] + ")"
		if _, dup := m[key]; dup {
			t.Errorf("two compiler-artifact records for %s", key)
		}
		m[key] = r.Fresh
	}
	return m
}

func warnings(recs []record) []string {
	var w []string
	for _, r := range recs {
		if r.Reason == "compiler-message" && r.Message.Level == "warning" {
			w = append(w, r.Target.Name+": "+r.Message.Message)
		}
	}
	return w
}

// The records of a clean build, a no-op and a private edit: every unit
// yields its artifact, a skipped one fresh, a relinked binary not; a
// warning of a unit that was not recompiled is replayed, in JSON and for
// people.
func TestMessageRecordsAndReplay(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "procmacro")
	if out, err := exec.Command("cp", "-r", filepath.Join("..", "testdata", "workspaces", "procmacro"), ws).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	lib := filepath.Join(ws, "hello", "src", "lib.rs")
	src, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	warned := append(src, "\nfn unused_helper() -> u32 { 1 }\n"...)
	if err := os.WriteFile(lib, warned, 0o644); err != nil {
		t.Fatal(err)
	}
	env := testEnv(t)
	want := []string{"hello: function `unused_helper` is never used"}

	recs := jsonBuild(t, ws, env, MessageFormat{})
	fresh := freshness(t, recs)
	if len(fresh) != 4 {
		t.Fatalf("want 4 artifacts (pmhelp, derive_hello, hello, greet), got %v", fresh)
	}
	for k, f := range fresh {
		if f {
			t.Errorf("clean build: %s is fresh", k)
		}
	}
	if got := warnings(recs); !slices.Equal(got, want) {
		t.Errorf("clean build warnings: got %q, want %q", got, want)
	}
	for _, r := range recs {
		if r.Reason == "compiler-message" && strings.Contains(r.Message.Rendered, "\x1b[") {
			t.Errorf("json without ansi: rendered has colours: %q", r.Message.Rendered)
		}
		if r.Reason == "compiler-artifact" && r.Target.Name == "greet" {
			if r.Executable == nil || *r.Executable != filepath.Join(ws, "target", "debug", "greet") {
				t.Errorf("greet's executable: %v", r.Executable)
			}
		}
		if r.Reason == "compiler-artifact" && r.Target.Name == "derive_hello" {
			if len(r.Filenames) != 1 || !strings.HasSuffix(r.Filenames[0], ".so") {
				t.Errorf("proc macro filenames: %q", r.Filenames)
			}
		}
	}

	recs = jsonBuild(t, ws, env, MessageFormat{ANSI: true})
	for k, f := range freshness(t, recs) {
		if !f {
			t.Errorf("no-op: %s is not fresh", k)
		}
	}
	if got := warnings(recs); !slices.Equal(got, want) {
		t.Errorf("no-op: the warning was not replayed: got %q, want %q", got, want)
	}

	// A private body edit: hello recompiles, greet only relinks.
	if err := os.WriteFile(lib, []byte(strings.Replace(string(warned), "fn unused_helper() -> u32 { 1 }", "fn unused_helper() -> u32 { 3 }", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	recs = jsonBuild(t, ws, env, MessageFormat{})
	fresh = freshness(t, recs)
	if fresh["hello (lib)"] || fresh["greet (bin)"] || !fresh["derive_hello (proc-macro)"] {
		t.Errorf("private edit: want hello and greet not fresh, derive_hello fresh; got %v", fresh)
	}
	if got := warnings(recs); !slices.Equal(got, want) {
		t.Errorf("private edit warnings: got %q, want %q", got, want)
	}

	// For people: the replayed warning and cargo's count line, on
	// stderr; from the build, then from the no-op snapshot it left.
	key := SnapshotKey([]string{"build"}, env, ws)
	ageSources(t, ws) // saved long enough before the build for a snapshot
	var errs bytes.Buffer
	buildOnce(t, Options{Dir: ws, Env: env, Status: executor.NewStatus(&errs, false, false), SnapshotKey: &key})
	var snapErrs bytes.Buffer
	if !NoopHolds(Options{Dir: ws, Env: env, Status: executor.NewStatus(&snapErrs, false, false)}, key) {
		t.Fatal("the no-op left no snapshot that holds")
	}
	for _, out := range []string{errs.String(), snapErrs.String()} {
		for _, w := range []string{"warning: function `unused_helper` is never used", "warning: `hello` (lib) generated 1 warning"} {
			if !strings.Contains(out, w) {
				t.Errorf("human no-op: %q not replayed:\n%s", w, out)
			}
		}
	}
	if snapErrs.String() != errs.String() {
		t.Errorf("the snapshot shows\n%s\nwhere the build showed\n%s", snapErrs.String(), errs.String())
	}
}

// A rustc that crashes mid-build (here: half a diagnostic on stderr, then
// SIGSEGV) leaves the JSON stream line-valid, ending in a failed
// build-finished.
func TestMessagesWhenRustcCrashes(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "procmacro")
	if out, err := exec.Command("cp", "-r", filepath.Join("..", "testdata", "workspaces", "procmacro"), ws).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	wrapper := filepath.Join(t.TempDir(), "crash-hello.sh")
	script := "#!/bin/sh\ncase \" $* \" in *' --crate-name hello '*)\n" +
		"  printf '{\"$message_type\":\"diagnostic\",\"message\":\"half' >&2\n  kill -SEGV $$;;\nesac\nexec \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	s, err := Open(context.Background(), Options{Dir: ws, Env: append(testEnv(t), "RUSTC_WRAPPER="+wrapper),
		MessageFormat: MessageFormat{JSON: true}, Messages: &out, Status: executor.NewStatus(&errs, false, false)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Build(context.Background(), Everything); err == nil {
		t.Fatalf("the build succeeded although rustc crashed:\n%s", errs.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("not a JSON line: %q", l)
		}
	}
	var last record
	json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if last.Reason != "build-finished" || last.Success {
		t.Errorf("last record %q, want a failed build-finished:\n%s", lines[len(lines)-1], out.String())
	}
	if !strings.Contains(errs.String(), "could not compile `hello`") {
		t.Errorf("no could-not-compile line on stderr:\n%s", errs.String())
	}
}
