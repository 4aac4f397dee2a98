package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"rbuild/cache/cachetest"
)

// The one contract of every Tier, run against each (as buildkit runs one
// suite against each content store): the local store, the real nginx
// remote, and Tiered both ways round (one Tiered, and one publishing for a
// second with its own empty store to fetch).

func TestStoreTier(t *testing.T) {
	testTier(t, func(t *testing.T) tierCase {
		s := openStore(t)
		return tierCase{Tier: s, stored: func(t *testing.T, key string, f File) []string {
			return []string{filepath.Join(s.entryDir(key), f.Name)}
		}}
	})
}

func TestRemoteTier(t *testing.T) {
	testTier(t, func(t *testing.T) tierCase {
		n := cachetest.StartNginx(t)
		r, _ := newRemote(t, n.URL, false, 10*time.Second)
		return tierCase{Tier: r, stored: func(t *testing.T, key string, f File) []string {
			return []string{nginxBlob(n, f)}
		}}
	})
}

func TestTieredTier(t *testing.T) {
	testTier(t, func(t *testing.T) tierCase {
		n := cachetest.StartNginx(t)
		r, _ := newRemote(t, n.URL, false, 10*time.Second)
		tt := NewTiered(openStore(t), r)
		// Registered after nginx's, so it runs first: no upload outlives
		// the server.
		t.Cleanup(tt.Wait)
		return tierCase{Tier: tt, stored: func(t *testing.T, key string, f File) []string {
			tt.Wait()
			return []string{filepath.Join(tt.Store().entryDir(key), f.Name), nginxBlob(n, f)}
		}}
	})
}

// TestTieredRelayTier publishes through one Tiered and reads through
// another with an empty store of its own, so every Get is a local miss
// filled from the remote: the path a second machine takes.
func TestTieredRelayTier(t *testing.T) {
	testTier(t, func(t *testing.T) tierCase {
		n := cachetest.StartNginx(t)
		r, _ := newRemote(t, n.URL, false, 10*time.Second)
		rl := &relay{pub: NewTiered(openStore(t), r), sub: NewTiered(openStore(t), r)}
		return tierCase{Tier: rl, stored: func(t *testing.T, key string, f File) []string {
			return []string{nginxBlob(n, f)}
		}}
	})
}

// relay is a Tier that puts through pub and gets through sub.
type relay struct {
	mu  sync.Mutex
	pub *Tiered
	sub *Tiered
}

// Put waits for the upload, so that a Get after it finds the entry. Puts
// take turns: a Put that loses the local race uploads nothing, and only
// the winner's Wait would tell when the entry is on the remote; Tiered's
// Wait must not overlap a Publish either. Gets still race with all this.
func (r *relay) Put(ctx context.Context, key string, files map[string]string, meta []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.pub.Put(ctx, key, files, meta)
	r.pub.Wait()
	return err
}

func (r *relay) Get(ctx context.Context, key, dir string) (*Entry, error) {
	return r.sub.Get(ctx, key, dir)
}

func nginxBlob(n *cachetest.Nginx, f File) string {
	return filepath.Join(n.Root, "cas", f.SHA256)
}

// tierCase is one tier under test and where it keeps its copies.
type tierCase struct {
	Tier
	// stored lists every place the tier keeps file f of key's entry, for
	// the corruption test to damage them all.
	stored func(t *testing.T, key string, f File) []string
}

// content is what a test puts: files (name → bytes), the executable ones,
// and meta.
type content struct {
	files map[string]string
	exec  []string
	meta  string
}

// records are the File records a tier must return for c.
func (c content) records() []File {
	var out []File
	for name, data := range c.files {
		sum := sha256.Sum256([]byte(data))
		out = append(out, File{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Executable: slices.Contains(c.exec, name)})
	}
	sortFiles(out)
	return out
}

func (c content) put(t *testing.T, tier Tier, key string) {
	t.Helper()
	if err := tier.Put(context.Background(), key, writeSources(t, c.files, c.exec...), []byte(c.meta)); err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
}

// matches says how e and dir differ from c ("" if they do not).
func (c content) matches(e *Entry, key, dir string) string {
	if e.Key != key {
		return fmt.Sprintf("key %s, want %s", e.Key, key)
	}
	if string(e.Meta) != c.meta {
		return fmt.Sprintf("meta %s, want %s", e.Meta, c.meta)
	}
	got := slices.Clone(e.Files)
	sortFiles(got)
	if want := c.records(); !slices.Equal(got, want) {
		return fmt.Sprintf("files %+v, want %+v", got, want)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	if len(ents) != len(c.files) {
		return fmt.Sprintf("%d names in %s, want %d", len(ents), dir, len(c.files))
	}
	for name, want := range c.files {
		path := filepath.Join(dir, name)
		if e.Path(name) != path {
			return fmt.Sprintf("Path(%q) = %s, want %s", name, e.Path(name), path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err.Error()
		}
		if string(data) != want {
			return fmt.Sprintf("%s holds %q, want %q", name, data, want)
		}
		st, err := os.Stat(path)
		if err != nil {
			return err.Error()
		}
		if exec := st.Mode().Perm()&0o111 != 0; exec != slices.Contains(c.exec, name) {
			return fmt.Sprintf("%s has mode %v", name, st.Mode())
		}
	}
	return ""
}

// get fetches key into a new directory and checks it holds exactly c.
func (c content) get(t *testing.T, tier Tier, key string) {
	t.Helper()
	dir := t.TempDir()
	e, err := tier.Get(context.Background(), key, dir)
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	if why := c.matches(e, key, dir); why != "" {
		t.Errorf("Get %s: %s", key, why)
	}
}

func testTier(t *testing.T, newTier func(t *testing.T) tierCase) {
	ctx := context.Background()
	// Meta as json.Marshal writes it: compact, which every tier keeps as is.
	sample := content{
		files: map[string]string{
			"libfoo.rlib":  "rlib bytes\x00\x01\x02\xff",
			"foo.d":        "dep info\n",
			"build-script": "#!/bin/sh\necho hi\n",
			"empty":        "",
		},
		exec: []string{"build-script"},
		meta: `{"unit":"foo","inputs":[{"path":"src/lib.rs"}]}`,
	}

	t.Run("miss", func(t *testing.T) {
		tc := newTier(t)
		dir := t.TempDir()
		e, err := tc.Get(ctx, testKey("never stored"), dir)
		if !errors.Is(err, ErrMiss) || e != nil {
			t.Errorf("Get of an unknown key = %v, %v; want ErrMiss", e, err)
		}
		assertEmpty(t, dir)
	})

	t.Run("round trip", func(t *testing.T) {
		tc := newTier(t)
		key := testKey("round trip")
		sample.put(t, tc, key)
		sample.get(t, tc, key)
		// A second Get finds it as well (a tier that moves what it
		// serves, or fills a cache on the way, must still hold it).
		sample.get(t, tc, key)
	})

	t.Run("put twice", func(t *testing.T) {
		tc := newTier(t)
		key := testKey("put twice")
		sample.put(t, tc, key)
		sample.put(t, tc, key)
		sample.get(t, tc, key)

		// Two puts of one key that differ: the tier keeps either, but
		// whole. Which one stays differs by tier (the local store keeps
		// the first, the remote the last).
		other := content{files: map[string]string{"libfoo.rlib": "other bytes", "x": "more"}, meta: `{"unit":"other"}`}
		other.put(t, tc, key)
		dir := t.TempDir()
		e, err := tc.Get(ctx, key, dir)
		if err != nil {
			t.Fatalf("Get after the second put: %v", err)
		}
		first, second := sample.matches(e, key, dir), other.matches(e, key, dir)
		if first != "" && second != "" {
			t.Errorf("Get returned neither put whole: unlike the first, %s; unlike the second, %s", first, second)
		}
	})

	t.Run("corrupt", func(t *testing.T) {
		for _, damage := range []struct {
			name string
			do   func(t *testing.T, path string)
		}{
			{"flipped byte", flipByte},
			{"truncated", func(t *testing.T, path string) {
				if err := os.Truncate(path, 3); err != nil {
					t.Fatal(err)
				}
			}},
		} {
			t.Run(damage.name, func(t *testing.T) {
				tc := newTier(t)
				key := testKey("corrupt " + damage.name)
				c := content{files: map[string]string{
					"lib.rlib": "good content, long enough: " + damage.name,
					"lib.d":    "deps",
				}, meta: `{}`}
				c.put(t, tc, key)
				i := slices.IndexFunc(c.records(), func(f File) bool { return f.Name == "lib.rlib" })
				paths := tc.stored(t, key, c.records()[i])
				if len(paths) == 0 {
					t.Fatal("the tier keeps no copy to damage")
				}
				for _, p := range paths {
					damage.do(t, p)
				}
				// Twice: the first sees the damage, the second whatever
				// the tier made of it (dropped, refetched, switched off).
				for try := 1; try <= 2; try++ {
					dir := t.TempDir()
					e, err := tc.Get(ctx, key, dir)
					if err == nil {
						t.Fatalf("Get #%d of a damaged entry succeeded: %+v", try, e)
					}
					t.Logf("Get #%d: %v", try, err)
					assertEmpty(t, dir)
				}
			})
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		tc := newTier(t)
		key := testKey("concurrent")
		const n = 8
		srcs := make([]map[string]string, n)
		for i := range srcs {
			srcs[i] = writeSources(t, sample.files, sample.exec...)
		}
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			mu    sync.Mutex
			fails []string
		)
		fail := func(format string, args ...any) {
			mu.Lock()
			fails = append(fails, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
		dirs := make([][]string, n)
		for i := range n {
			for range 3 {
				dirs[i] = append(dirs[i], t.TempDir())
			}
		}
		for i := range n {
			wg.Go(func() {
				<-start
				// Readers before and after this goroutine's put, so that
				// gets race with puts of other goroutines.
				for j, dir := range dirs[i] {
					if j == 1 {
						if err := tc.Put(ctx, key, srcs[i], []byte(sample.meta)); err != nil {
							fail("put %d: %v", i, err)
						}
					}
					e, err := tc.Get(ctx, key, dir)
					switch {
					case errors.Is(err, ErrMiss) && j == 0:
					case err != nil:
						fail("get %d.%d: %v", i, j, err)
					default:
						if why := sample.matches(e, key, dir); why != "" {
							fail("get %d.%d: %s", i, j, why)
						}
					}
				}
			})
		}
		close(start)
		wg.Wait()
		for _, f := range fails {
			t.Error(f)
		}
		sample.get(t, tc, key)
	})

	t.Run("invalid keys", func(t *testing.T) {
		tc := newTier(t)
		good := testKey("x")
		src := writeSources(t, map[string]string{"f": "data"})
		for _, key := range []string{
			"",
			"abc",
			strings.ToUpper(good),
			good[:63] + "g",
			good[:63] + "/",
			"../../../../etc/passwd" + good[22:],
			good + "/../" + good,
		} {
			dir := t.TempDir()
			if e, err := tc.Get(ctx, key, dir); err == nil || errors.Is(err, ErrMiss) || e != nil {
				t.Errorf("Get(%q) = %v, %v; want an invalid-key error", key, e, err)
			}
			if err := tc.Put(ctx, key, src, []byte(`{}`)); err == nil {
				t.Errorf("Put(%q) accepted a malformed key", key)
			}
			assertEmpty(t, dir)
		}
		// Refusing them is not a fault: the tier works on.
		if _, err := tc.Get(ctx, testKey("after"), t.TempDir()); !errors.Is(err, ErrMiss) {
			t.Errorf("Get after the malformed keys = %v, want ErrMiss", err)
		}
		content{files: map[string]string{"f": "data"}, meta: `{}`}.put(t, tc, good)
		content{files: map[string]string{"f": "data"}, meta: `{}`}.get(t, tc, good)
	})
}
