package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The artifact cache's end-to-end tests: real crates from Debian's
// registry, real rustc, one cache shared by several checkouts.

// cacheEnv turns the cache on (the suite runs with it off) in dir.
func cacheEnv(dir string, extra ...string) []string {
	return append([]string{"RBUILD_CACHE=on", "RBUILD_CACHE_DIR=" + dir}, extra...)
}

// registryWorkspace writes a small workspace at dir whose binary uses four
// crates from Debian's registry (memchr has a build script).
func registryWorkspace(t testing.TB, dir string) {
	t.Helper()
	if _, err := os.Stat("/usr/share/cargo/registry/itoa-1.0.1"); err != nil {
		if os.Getenv("RBUILD_REQUIRE_DEBIAN") != "" {
			t.Fatal("Debian crates missing: run scripts/install-test-deps.sh (make test does)")
		}
		t.Skip("Debian crates not installed (scripts/install-test-deps.sh)")
	}
	files := map[string]string{
		".cargo/config.toml": "[source.crates-io]\nreplace-with = \"debian\"\n\n[source.debian]\ndirectory = \"/usr/share/cargo/registry\"\n\n[net]\noffline = true\n",
		"Cargo.toml":         "[package]\nname = \"regapp\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nitoa = \"1\"\nfnv = \"1\"\nmemchr = \"2\"\ncfg-if = \"1\"\n",
		"src/main.rs": `use std::collections::HashMap;
fn main() {
    let mut buf = itoa::Buffer::new();
    let mut m: HashMap<&str, usize, fnv::FnvBuildHasher> = HashMap::default();
    m.insert(buf.format(4096u32), memchr::memchr(b'z', b"xyz").unwrap_or(99));
    cfg_if::cfg_if! { if #[cfg(unix)] { let os = "unix"; } else { let os = "other"; } }
    println!("{:?} {}", m, os);
}
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const regappOutput = "{\"4096\": 2} unix\n"

// explained reads the last build's explanation: label → cache note.
func explained(t testing.TB, dir string) map[string]string {
	t.Helper()
	notes := map[string]string{}
	for _, e := range lastExplain(t, dir) {
		if e.Cache != "" {
			notes[e.Label] = e.Cache
		}
	}
	return notes
}

func runRegapp(t testing.TB, dir, targetDir string) {
	t.Helper()
	out, err := exec.Command(filepath.Join(dir, targetDir, "debug", "regapp")).CombinedOutput()
	if err != nil || string(out) != regappOutput {
		t.Fatalf("regapp in %s: %v, output %q, want %q", dir, err, out, regappOutput)
	}
}

// Acceptance: a second checkout at another path compiles no eligible
// registry unit, and its binaries equal those of a build without cache.
func TestCacheTwoCheckouts(t *testing.T) {
	t.Parallel()
	first := debianWorkspace(t)
	second := debianWorkspace(t)
	env := cacheEnv(t.TempDir())
	t0 := time.Now()
	mustRbuild(t, first, env, "build")
	firstTime := time.Since(t0)
	stored := 0
	for _, note := range explained(t, first) {
		if strings.HasPrefix(note, "miss") {
			stored++
		}
	}
	if stored < 20 {
		t.Fatalf("first checkout stored %d entries, want the registry crates (≥ 20)", stored)
	}
	t0 = time.Now()
	r := mustRbuild(t, second, env, "build")
	secondTime := time.Since(t0)
	restored := 0
	for label, note := range explained(t, second) {
		switch {
		case note == "restored from the cache":
			restored++
		case strings.HasPrefix(note, "not cached"):
		default:
			t.Errorf("%s: eligible but %q", label, note)
		}
	}
	if restored != stored {
		t.Errorf("second checkout restored %d units, the first stored %d\n%s", restored, stored, r.stderr)
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("%d restored from cache", restored)) {
		t.Errorf("summary does not count the restored units:\n%s", lastLinesOf([]byte(r.stderr), 3))
	}
	t.Logf("clean build: first checkout %.2fs, second %.2fs (%.2f×), %d units restored",
		firstTime.Seconds(), secondTime.Seconds(), secondTime.Seconds()/firstTime.Seconds(), restored)

	// The same checkout built without the cache: byte-identical binaries.
	mustRbuild(t, second, []string{"CARGO_TARGET_DIR=" + filepath.Join(second, "nocache")}, "build", "--no-cache")
	for _, bin := range []string{"rgmini", "jsontool", "cli"} {
		a, err1 := os.ReadFile(filepath.Join(second, "target", "debug", bin))
		b, err2 := os.ReadFile(filepath.Join(second, "nocache", "debug", bin))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if string(a) != string(b) {
			t.Errorf("%s built from the cache differs from %s built without it", bin, bin)
		}
	}
}

// Acceptance: a flipped byte in a cached rlib is detected, the entry
// dropped, the unit compiled, and the build correct.
func TestCacheCorruptEntry(t *testing.T) {
	cacheDir := t.TempDir()
	env := cacheEnv(cacheDir)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	registryWorkspace(t, a)
	registryWorkspace(t, b)
	mustRbuild(t, a, env, "build")
	rlibs, _ := filepath.Glob(filepath.Join(cacheDir, "artifacts", "v1", "entries", "*", "*", "libitoa-*.rlib"))
	if len(rlibs) != 1 {
		t.Fatalf("want one cached itoa rlib, found %v", rlibs)
	}
	data, err := os.ReadFile(rlibs[0])
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(rlibs[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := mustRbuild(t, b, env, "build")
	if !strings.Contains(r.stderr, "artifact cache: dropped the entry for itoa") {
		t.Errorf("no warning about the corrupt entry:\n%s", r.stderr)
	}
	notes := explained(t, b)
	if n := notes["itoa v1.0.1 (lib)"]; !strings.HasPrefix(n, "corrupt entry dropped") {
		t.Errorf("itoa: %q, want compiled after the corrupt entry was dropped", n)
	}
	if n := notes["fnv v1.0.7 (lib)"]; n != "restored from the cache" {
		t.Errorf("fnv: %q, want restored", n)
	}
	runRegapp(t, b, "target")
	v := mustRbuildCache(t, env, "verify")
	if !strings.Contains(v, "0 dropped") {
		t.Errorf("verify after the rebuild: %s", v)
	}
}

func mustRbuildCache(t testing.TB, env []string, args ...string) string {
	t.Helper()
	r := rbuild(t, t.TempDir(), env, append([]string{"cache"}, args...)...)
	if r.code != 0 {
		t.Fatalf("rbuild cache %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// Acceptance: four builds in four workspaces share one cache, ten times
// over, while a prune empties it in a loop: every build succeeds, every
// binary is right, and the cache verifies clean.
func TestCacheConcurrentBuildsWithPrune(t *testing.T) {
	t.Parallel()
	env := cacheEnv(t.TempDir())
	var dirs []string
	for i := range 4 {
		d := filepath.Join(t.TempDir(), fmt.Sprintf("ws%d", i))
		registryWorkspace(t, d)
		dirs = append(dirs, d)
	}
	stop := make(chan struct{})
	var pruneWG sync.WaitGroup
	pruneWG.Add(1)
	prunes := 0
	go func() {
		defer pruneWG.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			r := rbuild(t, t.TempDir(), env, "cache", "prune", "--max-size", "0")
			if r.code != 0 {
				t.Errorf("prune: exit %d: %s", r.code, r.stderr)
				return
			}
			prunes++
			time.Sleep(50 * time.Millisecond)
		}
	}()
	for round := range 10 {
		var wg sync.WaitGroup
		errs := make([]string, len(dirs))
		for i, d := range dirs {
			os.RemoveAll(filepath.Join(d, "target"))
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rbuild(t, d, env, "build")
				if r.code != 0 {
					errs[i] = fmt.Sprintf("round %d, ws%d: exit %d\n%s", round, i, r.code, r.stderr)
				}
			}()
		}
		wg.Wait()
		for _, e := range errs {
			if e != "" {
				t.Fatal(e)
			}
		}
		for _, d := range dirs {
			runRegapp(t, d, "target")
		}
	}
	close(stop)
	pruneWG.Wait()
	if prunes == 0 {
		t.Fatal("the prune loop never ran")
	}
	if v := mustRbuildCache(t, env, "verify"); !strings.Contains(v, " 0 dropped") {
		t.Errorf("verify: %s", v)
	}
	t.Logf("40 builds alongside %d prunes", prunes)
}

// Acceptance: prune --max-size brings the cache under the bound, oldest
// entries first; stats and clear say what is there.
func TestCachePruneAndClear(t *testing.T) {
	cacheDir := t.TempDir()
	env := cacheEnv(cacheDir)
	ws := filepath.Join(t.TempDir(), "ws")
	registryWorkspace(t, ws)
	mustRbuild(t, ws, env, "build")
	stats := mustRbuildCache(t, env, "stats")
	if !strings.Contains(stats, "entries:   4\n") {
		t.Fatalf("stats after one build of four registry crates:\n%s", stats)
	}
	out := mustRbuildCache(t, env, "prune", "--max-size", "100K")
	if !strings.Contains(out, "removed") {
		t.Fatalf("prune: %s", out)
	}
	var left int64
	filepath.Walk(filepath.Join(cacheDir, "artifacts", "v1", "entries"), func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			left += info.Size()
		}
		return nil
	})
	if left > 100<<10 {
		t.Errorf("%d bytes left after prune --max-size 100K", left)
	}
	mustRbuildCache(t, env, "clear")
	if stats := mustRbuildCache(t, env, "stats"); !strings.Contains(stats, "entries:   0\n") {
		t.Errorf("stats after clear:\n%s", stats)
	}
	r := rbuild(t, t.TempDir(), env, "cache", "prune", "--max-size", "lots")
	if r.code != 2 || !strings.Contains(r.stderr, "not a size") {
		t.Errorf("bad --max-size: exit %d, %s", r.code, r.stderr)
	}
	r = rbuild(t, t.TempDir(), env, "cache", "prune", "--bogus")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown option "--bogus"`) {
		t.Errorf("prune --bogus: exit %d, %s", r.code, r.stderr)
	}
}

// The automatic trim: a build that leaves the cache above cache.max-size
// prunes it to cache.trim-to, least recently used first; below the mark
// nothing goes. (The four crates' entries take about 3.4 MB, memchr's
// 3.2 MB of it.)
func TestCacheAutomaticTrim(t *testing.T) {
	for _, tc := range []struct {
		maxSize, trimTo string
		atMost          int64
		entries         int
	}{{"1M", "300K", 300 << 10, -1}, {"10M", "8M", 10 << 20, 4}} {
		cacheDir := t.TempDir()
		cfg := filepath.Join(t.TempDir(), "config.toml")
		body := fmt.Sprintf("[cache]\nmax-size = %q\ntrim-to = %q\n", tc.maxSize, tc.trimTo)
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		env := cacheEnv(cacheDir, "RBUILD_CONFIG="+cfg)
		ws := filepath.Join(t.TempDir(), "ws")
		registryWorkspace(t, ws)
		mustRbuild(t, ws, env, "build")
		entries := filepath.Join(cacheDir, "artifacts", "v1", "entries")
		var left int64
		filepath.Walk(entries, func(_ string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				left += info.Size()
			}
			return nil
		})
		n, _ := filepath.Glob(filepath.Join(entries, "*", "*"))
		if left > tc.atMost || (tc.entries >= 0 && len(n) != tc.entries) {
			t.Errorf("max-size %s, trim-to %s: %d entries, %d bytes left after the build", tc.maxSize, tc.trimTo, len(n), left)
		}
		runRegapp(t, ws, "target")
	}
}
