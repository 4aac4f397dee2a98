package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rbuild/build"
	"rbuild/cache/cachetest"
)

// remoteConfig writes an rbuild config naming a remote cache and returns
// the environment that uses it with a fresh, empty local cache.
func remoteEnv(t *testing.T, url, mode string) []string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.toml")
	body := fmt.Sprintf("[cache.remote]\nurl = %q\nmode = %q\ntimeout = \"1s\"\n", url, mode)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return cacheEnv(t.TempDir(), "RBUILD_CONFIG="+cfg)
}

func lastCounts(t *testing.T, dir string) build.Counts {
	t.Helper()
	c, err := build.ReadCounts(filepath.Join(dir, "target"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func countFiles(dir string) int {
	n := 0
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// Acceptance: the remote tier on the Bazel HTTP cache protocol, against a
// real nginx with WebDAV. An empty local cache and a warm remote restore
// what a warm local cache would; a remote that is down, slow, failing or
// cut short costs one warning line and the build goes on locally.
func TestCacheRemote(t *testing.T) {
	nginx := cachetest.StartNginx(t)
	proxy := cachetest.StartProxy(t, nginx.URL)
	newWS := func() string {
		d := filepath.Join(t.TempDir(), "ws")
		registryWorkspace(t, d)
		return d
	}

	// Warm the remote from one machine…
	first := newWS()
	mustRbuild(t, first, remoteEnv(t, proxy.URL, "read-write"), "build")
	stored := lastCounts(t, first).Compiled
	if n := countFiles(filepath.Join(nginx.Root, "ac")); n != 4 {
		t.Fatalf("remote holds %d action results after the first build, want 4 (one per registry crate)", n)
	}
	// …and restore on a "fresh machine": same hits as a warm local cache.
	second := newWS()
	r := mustRbuild(t, second, remoteEnv(t, proxy.URL, "read-write"), "build")
	c := lastCounts(t, second)
	if c.Restored != 4 || c.Remote != 4 {
		t.Fatalf("fresh local cache + warm remote: %d restored (%d remote), want 4 and 4 (first build compiled %d)\n%s",
			c.Restored, c.Remote, stored, r.stderr)
	}
	runRegapp(t, second, "target")

	for _, f := range []cachetest.Fault{cachetest.FaultDown, cachetest.FaultSlow, cachetest.Fault500, cachetest.FaultTruncate} {
		t.Run(f.String(), func(t *testing.T) {
			proxy.SetFault(f)
			defer proxy.SetFault(cachetest.FaultNone)
			ws := newWS()
			r := mustRbuild(t, ws, remoteEnv(t, proxy.URL, "read-write"), "build")
			var warnings []string
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.Contains(l, "remote cache") {
					warnings = append(warnings, l)
				}
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "continuing without it") {
				t.Errorf("want one warning line about the remote, got %d:\n%s", len(warnings), strings.Join(warnings, "\n"))
			}
			if c := lastCounts(t, ws); c.Remote != 0 {
				t.Errorf("%d units restored from a faulty remote", c.Remote)
			}
			runRegapp(t, ws, "target")
		})
	}

	// Read-only: restores, never writes.
	empty := cachetest.StartNginx(t)
	ro := newWS()
	mustRbuild(t, ro, remoteEnv(t, empty.URL, "read-only"), "build")
	if n := countFiles(empty.Root); n != 0 {
		t.Errorf("a read-only remote got %d files", n)
	}
	ro2 := newWS()
	mustRbuild(t, ro2, remoteEnv(t, proxy.URL, "read-only"), "build")
	if c := lastCounts(t, ro2); c.Remote != 4 {
		t.Errorf("read-only remote: %d restored from it, want 4", c.Remote)
	}
}
