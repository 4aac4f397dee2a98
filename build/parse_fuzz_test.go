package build

// Fuzz targets for the files the build driver reads back: the per-user
// duration history, the meta of an artifact-cache entry (local or from the
// remote's meta blob), rbuild's config file, and the no-op snapshot's
// replays with the diagnostics files they name. Seeds (testdata/fuzz/)
// are files rbuild wrote building testdata/workspaces and Debian's
// registry crates.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rbuild/cutoff"
	"rbuild/executor"
	"rbuild/graph"
)

// FuzzDurationHistory reads a fuzzed duration history, schedules with it,
// records a build and saves: the saved file must hold the recorded
// duration (or one close to it that was there) and every other entry it
// kept from the old one.
func FuzzDurationHistory(f *testing.F) {
	f.Add([]byte(historyHeader + "\n1200 600 build-a-0123\n30 0 run-b-4567\n"))
	f.Add([]byte(historyHeader + "\n-1 9223372036854775807 x\n1000000 1000 fuzz\n"))
	f.Add([]byte(historyHeader + "\n999999 999 fuzz\n12 x y\n"))
	dir := f.TempDir()
	getenv := func(k string) string {
		if k == "RBUILD_CACHE_DIR" {
			return dir
		}
		return ""
	}
	path := filepath.Join(dir, historyFile)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		h := newDurationHistory(getenv)
		for name := range parseHistory(data) {
			h.cost(&graph.Action{Name: name})
		}
		h.cost(&graph.Action{Name: "fuzz", Kind: graph.RunScript})
		start := time.Unix(100, 0)
		h.record(&graph.Action{Name: "fuzz"}, &executor.Result{Start: start, Early: start.Add(time.Millisecond), End: start.Add(time.Second)})
		h.save()
		saved, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("history not saved: %v", err)
		}
		got := parseHistory(saved)
		want := [2]int64{1e6, 1e3}
		if d, ok := got["fuzz"]; !ok || (d != want && (!bytes.Equal(saved, data) || !similarDuration(d[0], want[0]) || !similarDuration(d[1], want[1]))) {
			t.Fatalf("saved history has %v for the recorded action %v", d, want)
		}
		for k, v := range got {
			if w, ok := h.old[k]; k != "fuzz" && (!ok || w != v) {
				t.Fatalf("saved %q = %v, read %v", k, v, w)
			}
		}
	})
}

// FuzzCacheMeta: an entry's meta as fetch reads it; what decodes
// re-encodes stably, its dep-info restored for the target dir parses or
// errs, and its diagnostics parse.
func FuzzCacheMeta(f *testing.F) {
	f.Add([]byte(`{"unit":"a v0.1.0 (lib)","inputs":[{"path":"/r/a/src/lib.rs","hash":"000102030405060708090a0b0c0d0e0f"}],` +
		`"env_deps":[{"Name":"A","Value":"1","Set":true}],"dep_info":"$TARGET/debug/deps/a.d: /r/a/src/lib.rs\n",` +
		`"diagnostics":["{\"$message_type\":\"diagnostic\",\"level\":\"warning\",\"message\":\"m\",\"rendered\":\"r\"}"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m cacheMeta
		if json.Unmarshal(data, &m) != nil {
			return
		}
		enc, err := json.Marshal(&m)
		if err != nil {
			t.Fatalf("meta does not encode: %v", err)
		}
		var m2 cacheMeta
		if err := json.Unmarshal(enc, &m2); err != nil {
			t.Fatalf("re-encoded meta %s does not decode: %v", enc, err)
		}
		if enc2, _ := json.Marshal(&m2); !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip differs:\n%s\n%s", enc, enc2)
		}
		_, _ = cutoff.ParseDepInfo([]byte(strings.ReplaceAll(m.DepInfo, targetVar, "/t/target")))
		for _, line := range m.Diagnostics {
			executor.ParseRustcLine([]byte(line))
		}
	})
}

// FuzzUserConfig: rbuild's config.toml; a config that loads answers
// every question a build asks of it.
func FuzzUserConfig(f *testing.F) {
	f.Add([]byte("[cache]\nenabled = true\ndir = \"/c\"\nmax-size = \"10G\"\ntrim-to = \"8GiB\"\nbuild-scripts = true\n" +
		"proc-macros = true\nrelocatable = true\ndeny = [\"openssl-sys\"]\n[cache.remote]\nurl = \"http://127.0.0.1:9092/c\"\n" +
		"mode = \"read-only\"\ntimeout = \"5s\"\n"))
	f.Add([]byte("[cache]\nmax-size = \"1.5 TB\"\n"))
	path := filepath.Join(f.TempDir(), "config.toml")
	getenv := func(k string) string {
		if k == "RBUILD_CONFIG" {
			return path
		}
		return ""
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := LoadUserConfig(getenv)
		if err != nil {
			return
		}
		_ = c.Cache.IsEnabled()
		_ = c.Cache.Directory()
		if _, err := c.Cache.Limits(); err != nil {
			t.Fatalf("loaded config's limits fail: %v", err)
		}
		if _, err := c.Cache.Remote.timeout(); err != nil {
			t.Fatalf("loaded config's timeout fails: %v", err)
		}
	})
}

// FuzzReplays: a no-op snapshot's .replay file, and a diagnostics file
// it names (rustc's JSON lines, kept per action).
func FuzzReplays(f *testing.F) {
	f.Add([]byte(`[{"file":"x","subject":"`+"`a` (lib)"+`"}]`), []byte(`{"$message_type":"diagnostic","level":"warning","message":"m","rendered":"r"}`+"\n"))
	f.Add([]byte(`[]`), []byte("not json\n{\"level\":\"error\"}\r\n"))
	dir := f.TempDir()
	snap, diags := filepath.Join(dir, "snap"), filepath.Join(dir, "diags")
	f.Fuzz(func(t *testing.T, replay, lines []byte) {
		if err := os.WriteFile(replaysFile(snap), replay, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _ = readReplays(snap)
		if err := os.WriteFile(diags, lines, 0o644); err != nil {
			t.Fatal(err)
		}
		got := loadDiagnostics(diags)
		want := 0
		for l := range bytes.SplitSeq(lines, []byte("\n")) {
			if executor.ParseRustcLine(l).Kind == executor.MsgDiagnostic {
				want++
			}
		}
		if len(got) != want {
			t.Fatalf("loadDiagnostics found %d diagnostics, the lines hold %d", len(got), want)
		}
	})
}
