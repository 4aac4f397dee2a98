package cache

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"rbuild/cache/cachetest"
)

// warnings records what a Remote reports through warn.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) warn(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

func newRemote(t *testing.T, url string, readOnly bool, timeout time.Duration) (*Remote, *warnings) {
	t.Helper()
	w := &warnings{}
	r, err := NewRemote(url, RemoteOptions{ReadWrite: !readOnly, Timeout: timeout, Warn: w.warn})
	if err != nil {
		t.Fatal(err)
	}
	return r, w
}

// testKey makes a well-formed action key from a name.
func testKey(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// writeBlob writes data to a new file and returns its path and digest.
func writeBlob(t *testing.T, data []byte) (string, Digest) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := FileDigest(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, d
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// assertNothingAt checks that dst does not exist and that no temp file was
// left beside it.
func assertNothingAt(t *testing.T, dst string) {
	t.Helper()
	if _, err := os.Lstat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists after a failed download (err %v)", dst, err)
	}
	entries, err := os.ReadDir(filepath.Dir(dst))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in the download directory: %s", e.Name())
	}
}

func assertHealthy(t *testing.T, r *Remote, w *warnings) {
	t.Helper()
	if !r.Enabled() {
		t.Error("remote disabled, want enabled")
	}
	if msgs := w.list(); len(msgs) != 0 {
		t.Errorf("warned %q, want no warning", msgs)
	}
}

// assertOneFault checks the outcome of a fault: one single-line warning
// naming the remote, and the remote switched off.
func assertOneFault(t *testing.T, r *Remote, w *warnings, wantIn string) {
	t.Helper()
	msgs := w.list()
	if len(msgs) != 1 {
		t.Fatalf("warned %d times (%q), want once", len(msgs), msgs)
	}
	msg := msgs[0]
	t.Logf("warning: %s", msg)
	prefix := "remote cache " + r.URL() + ": "
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, "; continuing without it") || strings.Contains(msg, "\n") {
		t.Errorf("warning %q: want one line %q...%q", msg, prefix, "; continuing without it")
	}
	if !strings.Contains(msg, wantIn) {
		t.Errorf("warning %q does not mention %q", msg, wantIn)
	}
	if r.Enabled() {
		t.Error("remote still enabled after a fault")
	}
}

func TestNewRemote(t *testing.T) {
	for _, tc := range []struct {
		in, want  string
		allowHTTP bool
	}{
		{"http://127.0.0.1:1234", "http://127.0.0.1:1234/", false},
		{"http://127.0.0.1:1234/", "http://127.0.0.1:1234/", false},
		{"http://localhost:8080/c", "http://localhost:8080/c/", false},
		{"http://[::1]:8080/", "http://[::1]:8080/", false},
		{"https://cache.example:8080/bazel/cache", "https://cache.example:8080/bazel/cache/", false},
		{"http://cache.example/", "http://cache.example/", true},
	} {
		r, err := NewRemote(tc.in, RemoteOptions{AllowHTTP: tc.allowHTTP})
		if err != nil {
			t.Errorf("NewRemote(%q): %v", tc.in, err)
			continue
		}
		if r.URL() != tc.want {
			t.Errorf("NewRemote(%q).URL() = %q, want %q", tc.in, r.URL(), tc.want)
		}
		// Read-only unless asked: whoever writes decides what readers link.
		if !r.ReadOnly() || !r.Enabled() {
			t.Errorf("NewRemote(%q): ReadOnly %v Enabled %v, want both", tc.in, r.ReadOnly(), r.Enabled())
		}
	}
	if r, err := NewRemote("https://cache.example/", RemoteOptions{ReadWrite: true}); err != nil || r.ReadOnly() {
		t.Errorf("NewRemote with ReadWrite: %v, ReadOnly %v; want a writable remote", err, r != nil && r.ReadOnly())
	}
	for _, in := range []string{"", "127.0.0.1:8080", "cache.example", "ftp://cache.example/", "http:///cache", "http://h/?a=b", "http://h/#x", "http://h/%zz"} {
		if _, err := NewRemote(in, RemoteOptions{AllowHTTP: true}); err == nil {
			t.Errorf("NewRemote(%q) accepted a bad URL", in)
		}
	}
	// Plain http leaves the machine only when the user says so.
	for _, in := range []string{"http://cache.example/", "http://10.0.0.5:8080/", "http://127.0.0.1.example/"} {
		_, err := NewRemote(in, RemoteOptions{})
		if err == nil || !strings.Contains(err.Error(), "plain http") {
			t.Errorf("NewRemote(%q) without AllowHTTP: %v; want a refusal", in, err)
		}
	}
	// Credentials in a URL would be shown wherever the URL is.
	for _, in := range []string{"http://ci:s3cret@127.0.0.1/", "https://ci:s3cret@cache.example/", "https://s3cret@cache.example/", "http://ci:s3cret@h/%zz"} {
		_, err := NewRemote(in, RemoteOptions{})
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("NewRemote(%q): %v; want a refusal that does not show the secret", in, err)
		}
	}
}

func TestCredentials(t *testing.T) {
	c, err := ParseCredentials("ci:pa:ss\n")
	if err != nil || c.User != "ci" || c.password != "pa:ss" {
		t.Fatalf("ParseCredentials = %v, %v; want user ci, password pa:ss", c, err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		if out := fmt.Sprintf(verb, c) + fmt.Sprintf(verb, *c); strings.Contains(out, "pa:ss") {
			t.Errorf("Sprintf(%q) shows the password: %s", verb, out)
		}
	}
	for _, bad := range []string{"", "nocolon-secret", ":secret", "ci:secret\nmore"} {
		if _, err := ParseCredentials(bad); err == nil || (strings.Contains(bad, "secret") && strings.Contains(err.Error(), "secret")) {
			t.Errorf("ParseCredentials(%q): %v; want an error that does not quote it", bad, err)
		}
	}

	dir := t.TempDir()
	for _, tc := range []struct {
		perm os.FileMode
		ok   bool
	}{{0o600, true}, {0o400, true}, {0o640, false}, {0o644, false}, {0o604, false}} {
		p := filepath.Join(dir, fmt.Sprintf("creds-%o", tc.perm))
		writeFile(t, p, "ci:secret\n", tc.perm)
		c, err := ReadCredentialsFile(p)
		switch {
		case tc.ok && (err != nil || c.User != "ci" || c.password != "secret"):
			t.Errorf("ReadCredentialsFile(mode %#o) = %v, %v; want user ci", tc.perm, c, err)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "0600")):
			t.Errorf("ReadCredentialsFile(mode %#o): %v; want an error naming the file and 0600", tc.perm, err)
		case err != nil && strings.Contains(err.Error(), "secret"):
			t.Errorf("ReadCredentialsFile's error shows the secret: %v", err)
		}
	}
	if _, err := ReadCredentialsFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("ReadCredentialsFile of a missing file succeeded")
	}
	if _, err := ReadCredentialsFile(dir); err == nil {
		t.Error("ReadCredentialsFile of a directory succeeded")
	}
}

// TestRemoteAuth: against a real nginx that lets anyone read and only an
// authenticated user write. The writer's uploads land; a reader without
// credentials that tries to write is refused by the server, says so once,
// stops uploading and goes on reading; wrong credentials are the same.
func TestRemoteAuth(t *testing.T) {
	const user, secret = "ci", "n0t-Shown-anywhere"
	n := cachetest.StartNginxAuth(t, user, secret)
	ctx := context.Background()
	creds, err := ParseCredentials(user + ":" + secret)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(t, 4096)
	path, d := writeBlob(t, data)

	w := &warnings{}
	writer, err := NewRemote(n.URL, RemoteOptions{ReadWrite: true, Credentials: creds, Warn: w.warn})
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.PutBlob(ctx, d, path); err != nil {
		t.Fatalf("PutBlob with credentials: %v", err)
	}
	if err := writer.PutActionResult(ctx, testKey("auth"), sampleActionResult()); err != nil {
		t.Fatalf("PutActionResult with credentials: %v", err)
	}
	assertHealthy(t, writer, w)

	wrong, _ := ParseCredentials(user + ":guess")
	for name, c := range map[string]*Credentials{"no credentials": nil, "wrong password": wrong} {
		t.Run(name, func(t *testing.T) {
			w := &warnings{}
			r, err := NewRemote(n.URL, RemoteOptions{ReadWrite: true, Credentials: c, Warn: w.warn})
			if err != nil {
				t.Fatal(err)
			}
			other, od := writeBlob(t, randomBytes(t, 100))
			err = r.PutBlob(ctx, od, other)
			if !errors.Is(err, ErrWriteRefused) || errors.Is(err, ErrRemoteDisabled) {
				t.Errorf("PutBlob: %v; want ErrWriteRefused and not a fault", err)
			}
			if _, serr := os.Stat(filepath.Join(n.Root, "cas", od.Hash)); serr == nil {
				t.Error("the server stored a blob from a writer it refused")
			}
			msgs := w.list()
			if len(msgs) != 1 || !strings.Contains(msgs[0], "401") || !strings.Contains(msgs[0], "refuses uploads") ||
				strings.Contains(msgs[0], "\n") || strings.Contains(msgs[0], "guess") {
				t.Errorf("warned %q; want one line saying the server refuses uploads (401)", msgs)
			}
			// Refused once, it stops trying and says nothing more.
			if !r.ReadOnly() {
				t.Error("still uploading after the server refused")
			}
			if err := r.PutActionResult(ctx, testKey("auth"), &ActionResult{ExitCode: 9}); err != nil {
				t.Errorf("PutActionResult after the refusal: %v; want a quiet no-op", err)
			}
			if len(w.list()) != 1 {
				t.Errorf("warned again: %q", w.list())
			}
			// Reading is open to anyone, and goes on.
			if !r.Enabled() {
				t.Fatal("a refused upload switched the remote off")
			}
			if ar, err := r.GetActionResult(ctx, testKey("auth")); err != nil || ar == nil || ar.ExitCode != sampleActionResult().ExitCode {
				t.Errorf("GetActionResult after the refusal = %+v, %v; want the writer's entry", ar, err)
			}
			dst := filepath.Join(t.TempDir(), "out")
			if err := r.GetBlob(ctx, d, dst); err != nil {
				t.Errorf("GetBlob after the refusal: %v", err)
			}
		})
	}
}

func TestRemoteBlobRoundTrip(t *testing.T) {
	n := cachetest.StartNginx(t)
	p := cachetest.StartProxy(t, n.URL)
	r, w := newRemote(t, p.URL, false, 10*time.Second)
	ctx := context.Background()

	for _, size := range []int{0, 100, 3<<20 + 17} {
		data := randomBytes(t, size)
		path, d := writeBlob(t, data)
		if err := r.PutBlob(ctx, d, path); err != nil {
			t.Fatalf("PutBlob(%d bytes): %v", size, err)
		}
		if stored, err := os.ReadFile(filepath.Join(n.Root, "cas", d.Hash)); err != nil || !bytes.Equal(stored, data) {
			t.Fatalf("nginx stored %d bytes (err %v), want the %d uploaded", len(stored), err, size)
		}
		dst := filepath.Join(t.TempDir(), "out")
		if err := r.GetBlob(ctx, d, dst); err != nil {
			t.Fatalf("GetBlob(%d bytes): %v", size, err)
		}
		if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("GetBlob wrote %d bytes (err %v), want the %d uploaded", len(got), err, size)
		}
		// A large blob that is already there costs one HEAD, not an upload.
		if size >= headMinSize {
			before := p.Requests()
			if err := r.PutBlob(ctx, d, path); err != nil {
				t.Fatalf("second PutBlob: %v", err)
			}
			if got := p.Requests() - before; got != 1 {
				t.Errorf("second PutBlob of a present blob made %d requests, want 1 (HEAD)", got)
			}
		}
	}
	assertHealthy(t, r, w)
}

func TestRemoteActionResultRoundTrip(t *testing.T) {
	n := cachetest.StartNginx(t)
	r, w := newRemote(t, n.URL, false, 10*time.Second)
	ctx := context.Background()
	key := testKey("round trip")

	for _, ar := range []*ActionResult{sampleActionResult(), {ExitCode: 1, StderrRaw: []byte("error[E0308]\n")}, {}} {
		// The second and third PUT overwrite (nginx: 204 instead of 201).
		if err := r.PutActionResult(ctx, key, ar); err != nil {
			t.Fatalf("PutActionResult: %v", err)
		}
		got, err := r.GetActionResult(ctx, key)
		if err != nil {
			t.Fatalf("GetActionResult: %v", err)
		}
		if !reflect.DeepEqual(got, ar) {
			t.Errorf("GetActionResult = %+v, want %+v", got, ar)
		}
	}
	if _, err := os.Stat(filepath.Join(n.Root, "ac", key)); err != nil {
		t.Errorf("entry not stored where Bazel puts it: %v", err)
	}
	assertHealthy(t, r, w)
}

func TestRemotePathPrefix(t *testing.T) {
	n := cachetest.StartNginx(t)
	r, w := newRemote(t, strings.TrimSuffix(n.URL, "/")+"/team/cache", false, 10*time.Second)
	key := testKey("prefix")
	if err := r.PutActionResult(context.Background(), key, &ActionResult{ExitCode: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(n.Root, "team", "cache", "ac", key)); err != nil {
		t.Errorf("entry not under the URL's path prefix: %v", err)
	}
	if ar, err := r.GetActionResult(context.Background(), key); err != nil || ar == nil || ar.ExitCode != 7 {
		t.Errorf("GetActionResult = %+v, %v", ar, err)
	}
	assertHealthy(t, r, w)
}

func TestRemoteMiss(t *testing.T) {
	n := cachetest.StartNginx(t)
	r, w := newRemote(t, n.URL, false, 10*time.Second)
	ctx := context.Background()

	ar, err := r.GetActionResult(ctx, testKey("missing"))
	if ar != nil || err != nil {
		t.Errorf("GetActionResult of a missing key = %+v, %v; want nil, nil", ar, err)
	}
	dst := filepath.Join(t.TempDir(), "out")
	err = r.GetBlob(ctx, Digest{Hash: testKey("missing blob"), Size: 10}, dst)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("GetBlob of a missing blob: %v, want ErrNotFound", err)
	}
	assertNothingAt(t, dst)
	assertHealthy(t, r, w)
}

func TestRemoteReadOnly(t *testing.T) {
	n := cachetest.StartNginx(t)
	p := cachetest.StartProxy(t, n.URL)
	r, w := newRemote(t, p.URL, true, 10*time.Second)
	ctx := context.Background()

	if err := r.PutActionResult(ctx, testKey("ro"), sampleActionResult()); err != nil {
		t.Errorf("PutActionResult: %v", err)
	}
	path, d := writeBlob(t, randomBytes(t, 2<<20))
	if err := r.PutBlob(ctx, d, path); err != nil {
		t.Errorf("PutBlob: %v", err)
	}
	if entries, err := os.ReadDir(n.Root); err != nil || len(entries) != 0 {
		t.Errorf("read-only remote wrote to the server: %v (err %v)", entries, err)
	}
	if got := p.Requests(); got != 0 {
		t.Errorf("read-only uploads made %d requests, want 0", got)
	}
	// Reads still go out.
	if ar, err := r.GetActionResult(ctx, testKey("ro")); ar != nil || err != nil {
		t.Errorf("GetActionResult = %+v, %v; want a miss", ar, err)
	}
	assertHealthy(t, r, w)
}

func TestRemoteBadArguments(t *testing.T) {
	n := cachetest.StartNginx(t)
	p := cachetest.StartProxy(t, n.URL)
	r, w := newRemote(t, p.URL, false, 10*time.Second)
	ctx := context.Background()
	good := testKey("x")
	path, d := writeBlob(t, []byte("blob"))

	for _, key := range []string{"", "abc", strings.ToUpper(good), good[:63] + "/", "../../../../etc/passwd" + good[22:]} {
		if _, err := r.GetActionResult(ctx, key); err == nil {
			t.Errorf("GetActionResult(%q) accepted a malformed key", key)
		}
		if err := r.PutActionResult(ctx, key, &ActionResult{}); err == nil {
			t.Errorf("PutActionResult(%q) accepted a malformed key", key)
		}
	}
	if err := r.GetBlob(ctx, Digest{Hash: d.Hash, Size: -1}, filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("GetBlob accepted a negative size")
	}
	if err := r.PutBlob(ctx, Digest{Hash: "zz", Size: d.Size}, path); err == nil {
		t.Error("PutBlob accepted a malformed hash")
	}
	// The file no longer matching its digest is the caller's problem.
	if err := r.PutBlob(ctx, Digest{Hash: d.Hash, Size: d.Size + 1}, path); err == nil {
		t.Error("PutBlob accepted a file of the wrong size")
	}
	if err := r.PutBlob(ctx, d, filepath.Join(t.TempDir(), "gone")); err == nil {
		t.Error("PutBlob of a missing file succeeded")
	}
	if got := p.Requests(); got != 0 {
		t.Errorf("bad arguments made %d requests, want 0", got)
	}
	assertHealthy(t, r, w)
}

// TestRemoteCorruptBlob: a blob that does not match its digest (damaged
// on the server, or planted by someone who can write there) is never used:
// nothing it sent reaches dst, and it is a miss with one warning. It is not
// a fault: the other blobs, each checked the same way, are still worth
// fetching.
func TestRemoteCorruptBlob(t *testing.T) {
	n := cachetest.StartNginx(t)
	ctx := context.Background()
	data := randomBytes(t, 64<<10)
	path, d := writeBlob(t, data)
	up, _ := newRemote(t, n.URL, false, 10*time.Second)
	if err := up.PutBlob(ctx, d, path); err != nil {
		t.Fatal(err)
	}
	other := testKey("other")
	sameSize := append([]byte(nil), data...)
	sameSize[len(sameSize)/2] ^= 1
	if err := os.WriteFile(filepath.Join(n.Root, "cas", other), sameSize, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		d      Digest
		wantIn string
	}{
		{"wrong content", Digest{Hash: other, Size: d.Size}, "SHA-256"},
		{"wrong size", Digest{Hash: d.Hash, Size: d.Size + 1}, "bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := newRemote(t, n.URL, false, 10*time.Second)
			dst := filepath.Join(t.TempDir(), "out")
			err := r.GetBlob(ctx, tc.d, dst)
			if err == nil {
				t.Fatal("GetBlob succeeded")
			}
			if errors.Is(err, ErrRemoteDisabled) {
				t.Errorf("GetBlob: %v; want a miss, not a fault", err)
			}
			assertNothingAt(t, dst)
			msgs := w.list()
			if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "remote cache "+r.URL()+": ") ||
				!strings.Contains(msgs[0], tc.wantIn) || strings.Contains(msgs[0], "\n") {
				t.Errorf("warned %q; want one line naming the remote and %q", msgs, tc.wantIn)
			}
			if !r.Enabled() {
				t.Fatal("a blob that failed its digest switched the remote off")
			}
			good := filepath.Join(t.TempDir(), "good")
			if err := r.GetBlob(ctx, d, good); err != nil {
				t.Errorf("GetBlob of an intact blob after the mismatch: %v", err)
			}
		})
	}
}

// TestRemoteReuploadsCorruptBlob: a large blob is normally not sent again
// when the server has one of that size, but once this process saw it fail
// its digest, a writer's upload replaces it.
func TestRemoteReuploadsCorruptBlob(t *testing.T) {
	n := cachetest.StartNginx(t)
	ctx := context.Background()
	data := randomBytes(t, headMinSize+100)
	path, d := writeBlob(t, data)
	r, _ := newRemote(t, n.URL, false, 10*time.Second)
	if err := r.PutBlob(ctx, d, path); err != nil {
		t.Fatal(err)
	}
	stored := filepath.Join(n.Root, "cas", d.Hash)
	flipByte(t, stored)
	if err := r.GetBlob(ctx, d, filepath.Join(t.TempDir(), "out")); err == nil {
		t.Fatal("GetBlob of a tampered blob succeeded")
	}
	if err := r.PutBlob(ctx, d, path); err != nil {
		t.Fatalf("PutBlob after the mismatch: %v", err)
	}
	if got, err := os.ReadFile(stored); err != nil || !bytes.Equal(got, data) {
		t.Errorf("the server still holds the tampered blob (err %v)", err)
	}
}

func TestRemoteFaults(t *testing.T) {
	n := cachetest.StartNginx(t)
	ctx := context.Background()
	// Content for the truncation cases, stored straight into nginx.
	blobPath, blob := writeBlob(t, randomBytes(t, 256<<10))
	acKey := testKey("faults")
	up, _ := newRemote(t, n.URL, false, 10*time.Second)
	if err := up.PutBlob(ctx, blob, blobPath); err != nil {
		t.Fatal(err)
	}
	if err := up.PutActionResult(ctx, acKey, &ActionResult{StdoutRaw: randomBytes(t, 4096)}); err != nil {
		t.Fatal(err)
	}

	getAC := func(r *Remote, dst string) error {
		ar, err := r.GetActionResult(ctx, acKey)
		if ar != nil {
			t.Errorf("GetActionResult returned %+v along with error %v", ar, err)
		}
		return err
	}
	putAC := func(r *Remote, dst string) error { return r.PutActionResult(ctx, acKey, &ActionResult{}) }
	getBlob := func(r *Remote, dst string) error { return r.GetBlob(ctx, blob, dst) }
	putBlob := func(r *Remote, dst string) error { return r.PutBlob(ctx, blob, blobPath) }

	for _, tc := range []struct {
		name    string
		fault   cachetest.Fault
		timeout time.Duration
		op      func(r *Remote, dst string) error
		wantIn  string
	}{
		{"down", cachetest.FaultDown, 5 * time.Second, getAC, "connection refused"},
		{"down on upload", cachetest.FaultDown, 5 * time.Second, putBlob, "connection refused"},
		{"slow", cachetest.FaultSlow, 500 * time.Millisecond, getAC, "timed out after 500ms"},
		{"slow blob", cachetest.FaultSlow, 500 * time.Millisecond, getBlob, "timed out after 500ms"},
		{"500", cachetest.Fault500, 5 * time.Second, getAC, "HTTP 500"},
		{"500 on upload", cachetest.Fault500, 5 * time.Second, putAC, "HTTP 500"},
		{"truncated blob", cachetest.FaultTruncate, 5 * time.Second, getBlob, "truncated body"},
		{"truncated action result", cachetest.FaultTruncate, 5 * time.Second, getAC, "truncated body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := cachetest.StartProxy(t, n.URL)
			r, w := newRemote(t, p.URL, false, tc.timeout)
			p.SetFault(tc.fault)
			dst := filepath.Join(t.TempDir(), "out")

			start := time.Now()
			err := tc.op(r, dst)
			if err == nil {
				t.Fatal("no error through a faulty server")
			}
			if elapsed := time.Since(start); elapsed > tc.timeout+2*time.Second {
				t.Errorf("the failing call took %v with a %v timeout", elapsed, tc.timeout)
			}
			if !errors.Is(err, ErrRemoteDisabled) || !strings.Contains(err.Error(), r.URL()) {
				t.Errorf("error %q: want one that names the remote and matches ErrRemoteDisabled", err)
			}
			assertNothingAt(t, dst)
			assertOneFault(t, r, w, tc.wantIn)

			// Even with the server healthy again, nothing more goes out.
			p.SetFault(cachetest.FaultNone)
			before := p.Requests()
			for i, op := range []func(*Remote, string) error{getAC, putAC, getBlob, putBlob} {
				if err := op(r, dst); err != ErrRemoteDisabled {
					t.Errorf("call %d after the fault: %v, want ErrRemoteDisabled", i, err)
				}
			}
			if got := p.Requests(); got != before {
				t.Errorf("%d requests after the remote was disabled", got-before)
			}
			if len(w.list()) != 1 {
				t.Errorf("warned again: %q", w.list())
			}
		})
	}
}

// TestRemoteFaultConcurrent: calls racing into the same fault warn once.
func TestRemoteFaultConcurrent(t *testing.T) {
	n := cachetest.StartNginx(t)
	p := cachetest.StartProxy(t, n.URL)
	p.SetFault(cachetest.Fault500)
	r, w := newRemote(t, p.URL, false, 5*time.Second)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = r.GetActionResult(context.Background(), testKey("c"))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, ErrRemoteDisabled) {
			t.Errorf("call %d: %v, want an error matching ErrRemoteDisabled", i, err)
		}
	}
	assertOneFault(t, r, w, "HTTP 500")
}

// TestRemoteCallerCancel: the caller giving up says nothing about the
// server, so the remote stays on.
func TestRemoteCallerCancel(t *testing.T) {
	n := cachetest.StartNginx(t)
	p := cachetest.StartProxy(t, n.URL)
	p.SetFault(cachetest.FaultSlow)
	r, w := newRemote(t, p.URL, false, 10*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := r.GetActionResult(ctx, testKey("cancel")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GetActionResult: %v, want the caller's deadline", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("took %v to notice the caller's deadline", elapsed)
	}
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := r.GetBlob(done, Digest{Hash: testKey("b"), Size: 1}, filepath.Join(t.TempDir(), "x")); !errors.Is(err, context.Canceled) {
		t.Errorf("GetBlob with a cancelled context: %v, want context.Canceled", err)
	}
	assertHealthy(t, r, w)

	p.SetFault(cachetest.FaultNone)
	if ar, err := r.GetActionResult(context.Background(), testKey("cancel")); ar != nil || err != nil {
		t.Errorf("after the cancellations: %+v, %v; want a working miss", ar, err)
	}
}

func TestFileDigest(t *testing.T) {
	_, d := writeBlob(t, []byte("abc"))
	want := Digest{Hash: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Size: 3}
	if d != want {
		t.Errorf("FileDigest = %v, want %v", d, want)
	}
	if _, err := FileDigest(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("FileDigest of a missing file succeeded")
	}
}
