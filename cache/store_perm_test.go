package cache

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"rbuild/cache/cachetest"
)

// assertPrivate checks that nothing under dir is open to group or others:
// directories 0700, files 0600 (0700 when executable). An entry's meta
// holds paths and environment values, and its files are the user's
// compiled code.
func assertPrivate(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n++
		perm := info.Mode().Perm()
		switch {
		case d.IsDir() && perm != 0o700:
			t.Errorf("directory %s has mode %#o, want 0700", p, perm)
		case !d.IsDir() && perm != 0o600 && perm != 0o700:
			t.Errorf("file %s has mode %#o, want 0600 (0700 if executable)", p, perm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("only %d files under %s: nothing was stored?", n, dir)
	}
}

// TestStorePrivate: with a umask that would leave files world-readable, an
// entry published locally and one fetched from the remote are both the
// owner's alone, and so are the lock and size files.
func TestStorePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	files := map[string]string{"libx.rlib": "rlib", "build-script": "#!/bin/sh\n"}
	meta := []byte(`{"env":"SECRET_PATH=/home/me"}`)

	local := openStore(t)
	if _, err := local.Publish(testKey("private"), writeSources(t, files, "build-script"), meta, false); err != nil {
		t.Fatal(err)
	}
	// v1 and below are rbuild's; the directory above may be the user's.
	assertPrivate(t, filepath.Join(local.Dir(), "v1"))

	n := cachetest.StartNginx(t)
	r, _ := newRemote(t, n.URL, false, 10*time.Second)
	up := NewTiered(openStore(t), r)
	if _, err := up.Publish(testKey("fetched"), writeSources(t, files, "build-script"), meta, false); err != nil {
		t.Fatal(err)
	}
	up.Wait()
	down := NewTiered(openStore(t), r)
	if _, remote, err := down.Lookup(context.Background(), testKey("fetched")); err != nil || !remote {
		t.Fatalf("Lookup = from remote %v, %v; want a remote hit", remote, err)
	}
	assertPrivate(t, filepath.Join(down.Store().Dir(), "v1"))
}

// TestStoreOpenTightens: a cache made world-readable by an older rbuild is
// closed to others when it is opened.
func TestStoreOpenTightens(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "v1", "entries"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "v1"), 0o755)
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o700 {
		t.Errorf("after Open, the cache's v1 has mode %#o, want 0700", perm)
	}
}
