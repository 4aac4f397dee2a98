package build

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rbuild/executor"
)

// ageSources dates every file and directory of ws outside target/ ten
// seconds back, as if the last save was well before the next build.
func ageSources(t *testing.T, ws string) {
	t.Helper()
	old := time.Now().Add(-10 * time.Second)
	err := filepath.WalkDir(ws, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "target" {
			return filepath.SkipDir
		}
		// Directories too: the query stamps their listings.
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A file saved while a no-op build runs (its mtime at or after the
// build's start) may have changed after the build read it: the build must
// leave no snapshot, or that edit would be hidden from every later no-op
// (git's racily-clean rule).
func TestSnapshotNotWrittenOverRacyInput(t *testing.T) {
	ws := chainWorkspace(t)
	env := testEnv(t)
	quiet := func() *executor.Status { return executor.NewStatus(&bytes.Buffer{}, false, false) }
	buildOnce(t, Options{Dir: ws, Env: env, Status: quiet()})
	key := SnapshotKey([]string{"build"}, env, ws)

	ageSources(t, ws)
	buildOnce(t, Options{Dir: ws, Env: env, Status: quiet(), SnapshotKey: &key})
	if !NoopHolds(Options{Dir: ws, Env: env, Status: quiet()}, key) {
		t.Fatal("a no-op build with old sources left no snapshot")
	}

	// Saved "during" the next build: same bytes, a fresh mtime.
	src := filepath.Join(ws, "b", "src", "lib.rs")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	buildOnce(t, Options{Dir: ws, Env: env, Status: quiet(), SnapshotKey: &key, Started: started})
	if NoopHolds(Options{Dir: ws, Env: env, Status: quiet()}, key) {
		t.Error("a snapshot was written although b/src/lib.rs was saved after the build started")
	}
}

// rbuild's own config file is an input of every build (cache.relocatable
// changes the commands): a change to it must break the no-op snapshot.
func TestSnapshotFollowsUserConfig(t *testing.T) {
	ws := chainWorkspace(t)
	config := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(config, []byte("[cache]\nenabled = false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range testEnv(t) {
		if !strings.HasPrefix(kv, "RBUILD_CONFIG=") && !strings.HasPrefix(kv, "RBUILD_CACHE=") {
			env = append(env, kv)
		}
	}
	env = append(env, "RBUILD_CONFIG="+config)
	quiet := func() *executor.Status { return executor.NewStatus(&bytes.Buffer{}, false, false) }
	buildOnce(t, Options{Dir: ws, Env: env, Status: quiet()})
	key := SnapshotKey([]string{"build"}, env, ws)
	old := time.Now().Add(-10 * time.Second)
	ageSources(t, ws)
	os.Chtimes(config, old, old)
	buildOnce(t, Options{Dir: ws, Env: env, Status: quiet(), SnapshotKey: &key})
	if !NoopHolds(Options{Dir: ws, Env: env, Status: quiet()}, key) {
		t.Fatal("no snapshot to begin with")
	}
	if err := os.WriteFile(config, []byte("[cache]\nenabled = false\nrelocatable = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(config, old.Add(time.Second), old.Add(time.Second))
	if NoopHolds(Options{Dir: ws, Env: env, Status: quiet()}, key) {
		t.Error("the snapshot still holds after the config file changed")
	}
}
