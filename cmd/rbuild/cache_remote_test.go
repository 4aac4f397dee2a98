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

// The remote's writer and its secret in the trust tests. The secret is
// distinctive so that finding it anywhere is a leak, not a coincidence.
const (
	remoteUser   = "ci-writer"
	remoteSecret = "s3cr3t-Zq8wX1-never-printed"
)

// remoteEnvConfig writes a config whose [cache.remote] table is lines and
// returns the environment that uses it with a fresh, empty local cache.
func remoteEnvConfig(t *testing.T, lines ...string) []string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.toml")
	body := "[cache.remote]\ntimeout = \"2s\"\n" + strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return cacheEnv(t.TempDir(), "RBUILD_CONFIG="+cfg)
}

// credentialsFile writes user:password into a new file with mode perm.
func credentialsFile(t *testing.T, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rbuild-remote-credentials")
	if err := os.WriteFile(p, []byte(remoteUser+":"+remoteSecret+"\n"), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return p
}

// remoteLines are the lines of stderr about the remote cache.
func remoteLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "remote cache") {
			out = append(out, l)
		}
	}
	return out
}

// assertNoSecret fails if the secret is in the output, in `rbuild explain`
// or in any file under the workspace's target dir.
func assertNoSecret(t *testing.T, ws string, env []string, outputs ...string) {
	t.Helper()
	ex := rbuild(t, ws, env, "explain")
	for i, o := range append(outputs, ex.stdout, ex.stderr) {
		if strings.Contains(o, remoteSecret) {
			t.Errorf("output %d holds the remote's secret:\n%s", i, o)
		}
	}
	filepath.Walk(filepath.Join(ws, "target"), func(p string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		if data, err := os.ReadFile(p); err == nil && strings.Contains(string(data), remoteSecret) {
			t.Errorf("%s holds the remote's secret", p)
		}
		return nil
	})
}

// Acceptance (README "Threat model"): against a real nginx that lets
// anyone read but only an authenticated user write, a remote is read-only
// unless configured otherwise; credentials come from a private file or the
// environment and are never shown; a reader without them cannot write and
// is told so in one line; a tampered blob is refused and compiled instead;
// plain http to another host and credentials in the URL are refused.
func TestCacheRemoteTrust(t *testing.T) {
	nginx := cachetest.StartNginxAuth(t, remoteUser, remoteSecret)
	newWS := func() string {
		d := filepath.Join(t.TempDir(), "ws")
		registryWorkspace(t, d)
		return d
	}
	url := fmt.Sprintf("url = %q", nginx.URL)
	puts := func(n *cachetest.Nginx) int {
		data, _ := os.ReadFile(n.AccessLog)
		return strings.Count(string(data), "\"PUT ")
	}

	t.Run("writer with a credentials file", func(t *testing.T) {
		ws := newWS()
		env := remoteEnvConfig(t, url, `mode = "read-write"`, fmt.Sprintf("credentials-file = %q", credentialsFile(t, 0o600)))
		r := mustRbuild(t, ws, env, "build", "-v")
		if l := remoteLines(r.stderr); len(l) != 0 {
			t.Errorf("a writer with credentials warned:\n%s", strings.Join(l, "\n"))
		}
		if n := countFiles(filepath.Join(nginx.Root, "ac")); n != 4 {
			t.Fatalf("remote holds %d action results, want 4\n%s", n, r.stderr)
		}
		assertNoSecret(t, ws, env, r.stdout, r.stderr)
	})

	t.Run("writer with credentials from the environment", func(t *testing.T) {
		other := cachetest.StartNginxAuth(t, remoteUser, remoteSecret)
		ws := newWS()
		env := append(remoteEnvConfig(t, fmt.Sprintf("url = %q", other.URL), `mode = "read-write"`),
			"RBUILD_CACHE_REMOTE_CREDENTIALS="+remoteUser+":"+remoteSecret)
		r := mustRbuild(t, ws, env, "build", "-vv")
		if n := countFiles(filepath.Join(other.Root, "ac")); n != 4 {
			t.Fatalf("remote holds %d action results, want 4\n%s", n, r.stderr)
		}
		assertNoSecret(t, ws, env, r.stdout, r.stderr)
	})

	t.Run("read-only unless configured", func(t *testing.T) {
		empty := cachetest.StartNginxAuth(t, remoteUser, remoteSecret)
		ws := newWS()
		r := mustRbuild(t, ws, remoteEnvConfig(t, fmt.Sprintf("url = %q", empty.URL)), "build")
		if l := remoteLines(r.stderr); len(l) != 0 {
			t.Errorf("a remote without mode warned:\n%s", strings.Join(l, "\n"))
		}
		if n := puts(empty); n != 0 {
			t.Errorf("a remote without mode = \"read-write\" got %d uploads", n)
		}
	})

	t.Run("a reader without credentials cannot write", func(t *testing.T) {
		empty := cachetest.StartNginxAuth(t, remoteUser, remoteSecret)
		ws := newWS()
		r := mustRbuild(t, ws, remoteEnvConfig(t, fmt.Sprintf("url = %q", empty.URL), `mode = "read-write"`), "build")
		l := remoteLines(r.stderr)
		t.Logf("%s", strings.Join(l, "\n"))
		if len(l) != 1 || !strings.Contains(l[0], "401") || !strings.Contains(l[0], "upload") {
			t.Errorf("want one warning line that the server refused the upload (401), got:\n%s", strings.Join(l, "\n"))
		}
		if n := countFiles(empty.Root); n != 0 {
			t.Errorf("the server took %d files from a writer without credentials", n)
		}
		runRegapp(t, ws, "target")
	})

	t.Run("tampered blob", func(t *testing.T) {
		// itoa is looked up first (it has no build script), so a remote
		// that turned off at the mismatch would serve nothing after it.
		// A server of its own, filled by a plain writer: this is about
		// what a reader checks, whoever wrote.
		open := cachetest.StartNginx(t)
		openURL := fmt.Sprintf("url = %q", open.URL)
		mustRbuild(t, newWS(), remoteEnvConfig(t, openURL, `mode = "read-write"`), "build")
		blob := tamperedItoa(t, open)
		ws := newWS()
		r := mustRbuild(t, ws, remoteEnvConfig(t, openURL), "build")
		l := remoteLines(r.stderr)
		t.Logf("%s", strings.Join(l, "\n"))
		if len(l) != 1 || !strings.Contains(l[0], "SHA-256") || !strings.Contains(l[0], blob) {
			t.Errorf("want one warning line about the tampered blob %s, got:\n%s", blob, strings.Join(l, "\n"))
		}
		if c := lastCounts(t, ws); c.Remote != 3 {
			t.Errorf("%d units restored from the remote, want the 3 intact ones\n%s", c.Remote, r.stderr)
		}
		for label, note := range explained(t, ws) {
			if strings.HasPrefix(label, "itoa") && strings.Contains(note, "restored") {
				t.Errorf("itoa: %s; want it compiled", note)
			}
		}
		runRegapp(t, ws, "target")
	})

	refused := func(t *testing.T, env []string, wantIn ...string) {
		t.Helper()
		ws := newWS()
		r := rbuild(t, ws, env, "build")
		if r.code == 0 {
			t.Fatalf("build succeeded; want a config error\n%s", r.stderr)
		}
		t.Logf("%s", r.stderr)
		for _, w := range wantIn {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("error does not mention %q:\n%s", w, r.stderr)
			}
		}
		if strings.Contains(r.stderr+r.stdout, remoteSecret) {
			t.Errorf("the error shows the secret:\n%s", r.stderr)
		}
	}
	t.Run("credentials file open to others", func(t *testing.T) {
		p := credentialsFile(t, 0o644)
		refused(t, remoteEnvConfig(t, url, `mode = "read-write"`, fmt.Sprintf("credentials-file = %q", p)), p, "0600")
	})
	t.Run("credentials in the URL", func(t *testing.T) {
		u := strings.Replace(nginx.URL, "http://", "http://"+remoteUser+":"+remoteSecret+"@", 1)
		refused(t, remoteEnvConfig(t, fmt.Sprintf("url = %q", u)), "credentials", "RBUILD_CACHE_REMOTE_CREDENTIALS")
	})
	t.Run("plain http to another host", func(t *testing.T) {
		far := `url = "http://cache.example.invalid:8080/"`
		refused(t, remoteEnvConfig(t, far), "allow-http")
		ws := newWS()
		mustRbuild(t, ws, remoteEnvConfig(t, far, "allow-http = true"), "build")
	})
}

// tamperedItoa flips a byte of the itoa rlib blob on the server and
// returns its hash. The rlib is the one blob that is an ar archive with a
// member named after itoa's codegen unit ("itoa-<hash>.itoa.…").
func tamperedItoa(t *testing.T, n *cachetest.Nginx) string {
	t.Helper()
	blobs, _ := filepath.Glob(filepath.Join(n.Root, "cas", "*"))
	var found []string
	for _, b := range blobs {
		data, err := os.ReadFile(b)
		if err == nil && strings.HasPrefix(string(data), "!<arch>\n") && strings.Contains(string(data), "itoa-") {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d itoa rlibs among the %d blobs on the server, want 1", len(found), len(blobs))
	}
	data, err := os.ReadFile(found[0])
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	if err := os.WriteFile(found[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Base(found[0])
}
