package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"rbuild/cache/cachetest"
)

// TestTieredFillsFromRemote: what one machine publishes reaches another
// through the remote once Wait returns, and lands in that machine's store,
// so its next lookup is local.
func TestTieredFillsFromRemote(t *testing.T) {
	n := cachetest.StartNginx(t)
	r, w := newRemote(t, n.URL, false, 10*time.Second)
	ctx := context.Background()
	key := testKey("fill")
	files := map[string]string{"libx.rlib": "rlib", "build-script": "#!/bin/sh\n"}
	meta := []byte(`{"unit":"x"}`)

	a := NewTiered(openStore(t), r)
	if e, err := a.Publish(key, writeSources(t, files, "build-script"), meta, false); err != nil || e == nil {
		t.Fatalf("Publish = %v, %v", e, err)
	}
	a.Wait()
	if _, err := os.Stat(filepath.Join(n.Root, "ac", key)); err != nil {
		t.Fatalf("no action result on the remote after Wait: %v", err)
	}

	b := NewTiered(openStore(t), r)
	if b.Store() == a.Store() || b.Remote() != r {
		t.Fatal("Store and Remote do not give back the tiers")
	}
	e, remote, err := b.Lookup(ctx, key)
	if err != nil || !remote {
		t.Fatalf("Lookup in an empty store = %v, from remote %v, %v; want a remote hit", e, remote, err)
	}
	if !bytes.Equal(e.Meta, meta) {
		t.Errorf("Meta = %s, want %s", e.Meta, meta)
	}
	assertRestores(t, b.Store(), e, files)
	out := filepath.Join(t.TempDir(), "bs")
	if err := b.Store().Materialize(e, map[string]string{"build-script": out}); err != nil {
		t.Fatal(err)
	}
	assertMode(t, out, true)
	// The meta blob is the entry's meta, not one of its files.
	if len(e.Files) != len(files) {
		t.Errorf("entry has %d files, want %d: %+v", len(e.Files), len(files), e.Files)
	}

	e, remote, err = b.Lookup(ctx, key)
	if err != nil || remote {
		t.Errorf("second Lookup = %v, from remote %v, %v; want a local hit", e, remote, err)
	}
	assertEmpty(t, b.Store().root, "tmp")
	assertHealthy(t, r, w)
}

// TestTieredRemoteNotOurs: an action result rbuild would not have written,
// or whose blobs are gone, is a miss; nothing of it stays in the store and
// the remote stays on.
func TestTieredRemoteNotOurs(t *testing.T) {
	n := cachetest.StartNginx(t)
	r, w := newRemote(t, n.URL, false, 10*time.Second)
	ctx := context.Background()
	upload := func(data string) OutputFile {
		path, d := writeBlob(t, []byte(data))
		if err := r.PutBlob(ctx, d, path); err != nil {
			t.Fatal(err)
		}
		return OutputFile{Digest: d}
	}
	file, meta := upload("file"), upload(`{}`)
	named := func(of OutputFile, path string, exec bool) OutputFile {
		of.Path, of.Executable = path, exec
		return of
	}
	gone := OutputFile{Path: "f", Digest: Digest{Hash: testKey("never uploaded"), Size: 4}}

	for _, tc := range []struct {
		name string
		ar   *ActionResult
		hit  bool
	}{
		{"ours", &ActionResult{OutputFiles: []OutputFile{named(file, "f", true), named(meta, MetaBlob, false)}}, true},
		{"path with a slash", &ActionResult{OutputFiles: []OutputFile{named(file, "dir/f", false), named(meta, MetaBlob, false)}}, false},
		{"entry.json", &ActionResult{OutputFiles: []OutputFile{named(file, "entry.json", false), named(meta, MetaBlob, false)}}, false},
		{"dot", &ActionResult{OutputFiles: []OutputFile{named(file, ".", false), named(meta, MetaBlob, false)}}, false},
		{"dot dot", &ActionResult{OutputFiles: []OutputFile{named(file, "..", false), named(meta, MetaBlob, false)}}, false},
		{"no meta blob", &ActionResult{OutputFiles: []OutputFile{named(file, "f", false)}}, false},
		{"missing blob", &ActionResult{OutputFiles: []OutputFile{gone, named(meta, MetaBlob, false)}}, false},
		{"missing meta blob", &ActionResult{OutputFiles: []OutputFile{named(file, "f", false), named(gone, MetaBlob, false)}}, false},
		{"failed action", &ActionResult{OutputFiles: []OutputFile{named(file, "f", false), named(meta, MetaBlob, false)}, ExitCode: 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := testKey("not ours " + tc.name)
			if err := r.PutActionResult(ctx, key, tc.ar); err != nil {
				t.Fatal(err)
			}
			tt := NewTiered(openStore(t), r)
			e, remote, err := tt.Lookup(ctx, key)
			if tc.hit {
				if err != nil || !remote || len(e.Files) != 1 || string(e.Meta) != `{}` {
					t.Fatalf("Lookup = %+v, from remote %v, %v; want a hit with one file", e, remote, err)
				}
				assertRestores(t, tt.Store(), e, map[string]string{"f": "file"})
			} else {
				if !errors.Is(err, ErrMiss) || remote || e != nil {
					t.Fatalf("Lookup = %+v, from remote %v, %v; want ErrMiss", e, remote, err)
				}
				assertEmpty(t, tt.Store().root, "entries")
			}
			assertEmpty(t, tt.Store().root, "tmp")
		})
	}
	assertHealthy(t, r, w)
}

// TestTieredLocalOnly: without a remote, Tiered is the store.
func TestTieredLocalOnly(t *testing.T) {
	tt := NewTiered(openStore(t), nil)
	ctx := context.Background()
	key := testKey("local only")
	if _, remote, err := tt.Lookup(ctx, key); !errors.Is(err, ErrMiss) || remote {
		t.Errorf("Lookup = from remote %v, %v; want ErrMiss", remote, err)
	}
	files := map[string]string{"f": "data"}
	if e, err := tt.Publish(key, writeSources(t, files), []byte(`{}`), false); err != nil || e == nil {
		t.Fatalf("Publish = %v, %v", e, err)
	}
	tt.Wait()
	e, remote, err := tt.Lookup(ctx, key)
	if err != nil || remote {
		t.Fatalf("Lookup = from remote %v, %v; want a local hit", remote, err)
	}
	assertRestores(t, tt.Store(), e, files)
	if tt.Remote() != nil {
		t.Error("Remote() is not nil")
	}
}

// TestTieredPublishReplace: replace reaches the store; the new entry is
// uploaded, and one that lost to an existing entry is not.
func TestTieredPublishReplace(t *testing.T) {
	n := cachetest.StartNginx(t)
	p := cachetest.StartProxy(t, n.URL)
	r, w := newRemote(t, p.URL, false, 10*time.Second)
	tt := NewTiered(openStore(t), r)
	t.Cleanup(tt.Wait)
	key := testKey("replace")
	ctx := context.Background()

	publish := func(content string, replace bool) *Entry {
		t.Helper()
		e, err := tt.Publish(key, writeSources(t, map[string]string{"f": content}), []byte(`"`+content+`"`), replace)
		if err != nil {
			t.Fatal(err)
		}
		tt.Wait()
		return e
	}
	publish("first", false)
	before := p.Requests()
	if e := publish("second", false); e != nil {
		t.Fatalf("Publish over an entry = %+v, want nil", e)
	}
	if got := p.Requests(); got != before {
		t.Errorf("an entry that was not stored made %d requests", got-before)
	}
	if e := publish("third", true); e == nil {
		t.Fatal("Publish with replace = nil, want an entry")
	}
	other := NewTiered(openStore(t), r)
	e, remote, err := other.Lookup(ctx, key)
	if err != nil || !remote || string(e.Meta) != `"third"` {
		t.Fatalf("Lookup elsewhere = %+v, from remote %v, %v; want the replacing entry", e, remote, err)
	}
	assertRestores(t, other.Store(), e, map[string]string{"f": "third"})
	assertHealthy(t, r, w)
}

// TestTieredReadOnly: a read-only remote fills misses but gets nothing.
func TestTieredReadOnly(t *testing.T) {
	n := cachetest.StartNginx(t)
	p := cachetest.StartProxy(t, n.URL)
	ro, w := newRemote(t, p.URL, true, 10*time.Second)
	ctx := context.Background()

	tt := NewTiered(openStore(t), ro)
	if e, err := tt.Publish(testKey("ro"), writeSources(t, map[string]string{"f": "x"}), []byte(`{}`), false); err != nil || e == nil {
		t.Fatalf("Publish = %v, %v", e, err)
	}
	tt.Wait()
	if got := p.Requests(); got != 0 {
		t.Errorf("publishing with a read-only remote made %d requests", got)
	}

	rw, _ := newRemote(t, n.URL, false, 10*time.Second)
	key := testKey("from elsewhere")
	if err := rw.Put(ctx, key, writeSources(t, map[string]string{"g": "y"}), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	e, remote, err := tt.Lookup(ctx, key)
	if err != nil || !remote {
		t.Fatalf("Lookup = %v, from remote %v, %v; want a remote hit", e, remote, err)
	}
	assertRestores(t, tt.Store(), e, map[string]string{"g": "y"})
	assertHealthy(t, ro, w)
}

// TestTieredRemoteFault: the lookup that hits a fault fails (the remote
// reported it); after it the remote is left alone, and the build goes on
// with the local store.
func TestTieredRemoteFault(t *testing.T) {
	n := cachetest.StartNginx(t)
	p := cachetest.StartProxy(t, n.URL)
	r, w := newRemote(t, p.URL, false, 5*time.Second)
	tt := NewTiered(openStore(t), r)
	ctx := context.Background()
	p.SetFault(cachetest.Fault500)

	if _, remote, err := tt.Lookup(ctx, testKey("a")); !errors.Is(err, ErrRemoteDisabled) || remote {
		t.Fatalf("Lookup through a faulty remote = from remote %v, %v; want ErrRemoteDisabled", remote, err)
	}
	assertOneFault(t, r, w, "HTTP 500")
	p.SetFault(cachetest.FaultNone)
	before := p.Requests()
	if _, _, err := tt.Lookup(ctx, testKey("b")); !errors.Is(err, ErrMiss) {
		t.Errorf("Lookup after the fault = %v, want ErrMiss", err)
	}
	if e, err := tt.Publish(testKey("c"), writeSources(t, map[string]string{"f": "x"}), []byte(`{}`), false); err != nil || e == nil {
		t.Errorf("Publish after the fault = %v, %v; want a local entry", e, err)
	}
	tt.Wait()
	if got := p.Requests(); got != before {
		t.Errorf("%d requests after the fault", got-before)
	}
	assertEmpty(t, tt.Store().root, "tmp")
}

// TestTieredLocalCorrupt: a corrupt local entry is reported as such, not
// papered over from the remote: the build compiles and publishes over it.
func TestTieredLocalCorrupt(t *testing.T) {
	n := cachetest.StartNginx(t)
	p := cachetest.StartProxy(t, n.URL)
	r, _ := newRemote(t, p.URL, false, 10*time.Second)
	s := openStore(t)
	key := testKey("corrupt local")
	publish(t, s, key, map[string]string{"f": "data"})
	rewrite(t, filepath.Join(s.entryDir(key), "entry.json"), `"size":4`, `"size":5`)

	tt := NewTiered(s, r)
	if _, remote, err := tt.Lookup(context.Background(), key); !errors.Is(err, ErrCorrupt) || remote {
		t.Errorf("Lookup = from remote %v, %v; want ErrCorrupt", remote, err)
	}
	if got := p.Requests(); got != 0 {
		t.Errorf("a corrupt local entry made %d remote requests", got)
	}
}

// TestTieredUploads: Publish returns before its upload is done, at most
// maxUploads run at once, each sends its action result only after all its
// blobs are stored, and Wait returns once every upload is.
func TestTieredUploads(t *testing.T) {
	n := cachetest.StartNginx(t)
	target, err := url.Parse(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	gate := make(chan struct{})
	open := sync.OnceFunc(func() { close(gate) })
	var (
		mu             sync.Mutex
		inFlight, peak int
		early          []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPut {
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			mu.Unlock()
			defer func() {
				mu.Lock()
				inFlight--
				mu.Unlock()
			}()
			<-gate
			if strings.HasPrefix(req.URL.Path, "/ac/") {
				body, err := io.ReadAll(req.Body)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				req.Body = io.NopCloser(bytes.NewReader(body))
				ar, err := UnmarshalActionResult(body)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				for _, of := range ar.OutputFiles {
					if _, err := os.Stat(filepath.Join(n.Root, "cas", of.Digest.Hash)); err != nil {
						mu.Lock()
						early = append(early, req.URL.Path+" before "+of.Path)
						mu.Unlock()
					}
				}
			}
		}
		forward.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(open) // runs first: a failed test must not leave Close waiting on the gate
	r, w := newRemote(t, srv.URL, false, 10*time.Second)
	tt := NewTiered(openStore(t), r)
	t.Cleanup(tt.Wait)

	const entries = 3 * maxUploads
	var keys []string
	for i := range entries {
		key := testKey(fmt.Sprint("upload", i))
		keys = append(keys, key)
		files := map[string]string{"a.rlib": key, "a.d": "deps of " + key}
		if e, err := tt.Publish(key, writeSources(t, files), []byte(`{}`), false); err != nil || e == nil {
			t.Fatalf("Publish = %v, %v", e, err)
		}
	}
	// Publish returned with every upload held at the gate: they run in
	// the background, and only maxUploads of them get as far as a request.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := inFlight
		mu.Unlock()
		if got == maxUploads {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d uploads under way, want %d", got, maxUploads)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // room for an upload over the bound to start
	open()
	tt.Wait()

	mu.Lock()
	defer mu.Unlock()
	if peak != maxUploads {
		t.Errorf("%d uploads at once, want %d", peak, maxUploads)
	}
	for _, e := range early {
		t.Errorf("action result sent before its blob: %s", e)
	}
	for _, key := range keys {
		if _, err := os.Stat(filepath.Join(n.Root, "ac", key)); err != nil {
			t.Errorf("not uploaded by the time Wait returned: %v", err)
		}
	}
	assertHealthy(t, r, w)
}
