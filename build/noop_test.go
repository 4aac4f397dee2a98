package build

import (
	"bytes"
	"context"
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

// planWorkspace writes a build plan of two invocations: out1 from
// src.txt (its dep-info names the source), out2 from out1; its sources
// and the plan dated ten seconds back. It returns the directory and the
// plan's path.
func planWorkspace(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("src.txt", "one\n")
	inv := func(cmd string, deps string, outs ...string) string {
		for i, o := range outs {
			outs[i] = `"` + filepath.Join(dir, o) + `"`
		}
		return `{"deps":[` + deps + `],"outputs":[` + strings.Join(outs, ",") + `],"program":"/bin/sh","args":["-c","` + cmd + `"],"cwd":"` + dir + `"}`
	}
	write("plan.json", `{"invocations":[`+
		inv(`cat src.txt > out1 && echo 'out1: src.txt' > out1.d`, "", "out1", "out1.d")+","+
		inv(`cat out1 out1 > out2`, "0", "out2")+`]}`)
	old := time.Now().Add(-10 * time.Second)
	for _, f := range []string{"src.txt", "plan.json"} {
		os.Chtimes(filepath.Join(dir, f), old, old)
	}
	return dir, filepath.Join(dir, "plan.json")
}

func buildPlanOnce(t *testing.T, opt Options, plan string) *Result {
	t.Helper()
	return buildOpened(t, func(ctx context.Context) (*Session, error) { return OpenBuildPlan(ctx, opt, plan) })
}

// A build plan's no-op snapshot (the cargo path's, noop.go) must never
// hide a change the full path would see: an edited source (named by a
// dep-info), a deleted output or dep-info, an edited plan; and it is not
// written over a source saved while the build ran (the racily-clean rule).
func TestPlanSnapshot(t *testing.T) {
	env := testEnv(t)
	quiet := func() *executor.Status { return executor.NewStatus(&bytes.Buffer{}, false, false) }
	for _, tt := range []struct {
		name   string
		change func(dir, plan string)
		ran    int // invocations the build after the change runs
	}{
		{"edit source", func(dir, _ string) { os.WriteFile(filepath.Join(dir, "src.txt"), []byte("two\n"), 0o644) }, 2},
		{"replace source by rename", func(dir, _ string) {
			p := filepath.Join(dir, "src.txt")
			os.WriteFile(p+".tmp", []byte("two\n"), 0o644)
			os.Rename(p+".tmp", p)
		}, 2},
		{"delete output", func(dir, _ string) { os.Remove(filepath.Join(dir, "out2")) }, 1},
		{"delete dep-info", func(dir, _ string) { os.Remove(filepath.Join(dir, "out1.d")) }, 1},
		{"edit plan", func(_, plan string) {
			data, _ := os.ReadFile(plan)
			os.WriteFile(plan, bytes.Replace(data, []byte("cat out1 out1"), []byte("cat out1 out1 out1"), 1), 0o644)
		}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, plan := planWorkspace(t)
			key := SnapshotKey([]string{"build", "--build-plan", plan}, env, dir)
			opt := func() Options { return Options{Dir: dir, Env: env, Status: quiet(), SnapshotKey: &key} }
			if res := buildPlanOnce(t, opt(), plan); res.Stats.Ran != 2 {
				t.Fatalf("first build ran %d, want 2", res.Stats.Ran)
			}
			if PlanNoopHolds(opt(), plan, key) {
				t.Fatal("a build that ran something left a snapshot")
			}
			if res := buildPlanOnce(t, opt(), plan); res.Stats.Ran != 0 {
				t.Fatalf("second build ran %d, want 0", res.Stats.Ran)
			}
			if !PlanNoopHolds(opt(), plan, key) {
				t.Fatal("a no-op build with old sources left no snapshot")
			}
			if !PlanNoopHolds(opt(), plan, key) {
				t.Fatal("the snapshot does not hold twice")
			}
			tt.change(dir, plan)
			if PlanNoopHolds(opt(), plan, key) {
				t.Fatal("the snapshot holds after the change")
			}
			if res := buildPlanOnce(t, opt(), plan); res.Stats.Ran != tt.ran {
				t.Errorf("the build after the change ran %d, want %d", res.Stats.Ran, tt.ran)
			}
		})
	}

	t.Run("racy source", func(t *testing.T) {
		dir, plan := planWorkspace(t)
		key := SnapshotKey([]string{"build", "--build-plan", plan}, env, dir)
		buildPlanOnce(t, Options{Dir: dir, Env: env, Status: quiet()}, plan)
		// Saved "during" the next build, after it read it: same bytes, a
		// fresh mtime. Recorded, its stat would hide a later edit within
		// the same mtime tick.
		src := filepath.Join(dir, "src.txt")
		started := time.Now()
		os.WriteFile(src, []byte("one\n"), 0o644)
		if res := buildPlanOnce(t, Options{Dir: dir, Env: env, Status: quiet(), SnapshotKey: &key, Started: started}, plan); res.Stats.Ran != 0 {
			t.Fatalf("ran %d, want 0 (same bytes)", res.Stats.Ran)
		}
		if PlanNoopHolds(Options{Dir: dir, Env: env, Status: quiet()}, plan, key) {
			t.Error("a snapshot was written although src.txt was saved after the build started")
		}
	})
}

// The per-user duration history serves cargo builds' scheduling: a build
// plan's invocations (scheduled without costs) are not written to it, so
// that a large plan does not push every workspace's durations out.
func TestPlanBuildKeepsNoDurations(t *testing.T) {
	env := testEnv(t)
	cacheDir := t.TempDir()
	env = append(env, "RBUILD_CACHE_DIR="+cacheDir)
	dir, plan := planWorkspace(t)
	if res := buildPlanOnce(t, Options{Dir: dir, Env: env, Status: executor.NewStatus(&bytes.Buffer{}, false, false)}, plan); res.Stats.Ran != 2 {
		t.Fatalf("ran %d, want 2", res.Stats.Ran)
	}
	if _, err := os.Stat(filepath.Join(cacheDir, historyFile)); err == nil {
		t.Error("a build plan's build wrote a duration history")
	}
}
