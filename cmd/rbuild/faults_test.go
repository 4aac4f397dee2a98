package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Trust under faults (issue 16): two rbuilds at once on one target dir or
// one cache, and a disk that fills up in the middle of a build.

// background is an rbuild started without waiting for it: the test reads
// its stderr as it comes to start something else at the right moment.
type background struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	seen   chan struct{} // closed when stderr has shown the awaited text
	read   chan struct{} // closed when stderr is at its end
}

// startRbuild starts rbuild in dir; await is the stderr text whose first
// appearance closes seen ("" never does).
func startRbuild(t *testing.T, dir string, env []string, await string, args ...string) *background {
	t.Helper()
	b := &background{seen: make(chan struct{}), read: make(chan struct{})}
	b.cmd = exec.Command(rbuildBin, args...)
	b.cmd.Dir = dir
	b.cmd.Env = append(cleanEnv(), env...)
	b.cmd.Stdout = &lockedWriter{&b.mu, &b.stdout}
	pipe, err := b.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.cmd.Process.Kill() })
	go func() {
		defer close(b.read)
		r := bufio.NewReader(pipe)
		found := false
		for {
			line, err := r.ReadString('\n')
			b.mu.Lock()
			b.stderr.WriteString(line)
			b.mu.Unlock()
			if !found && await != "" && strings.Contains(line, await) {
				found = true
				close(b.seen)
			}
			if err != nil {
				return
			}
		}
	}()
	return b
}

// awaitText waits for the awaited text on stderr; it fails the test if the
// process ends or a minute passes first.
func (b *background) awaitText(t *testing.T, what string) {
	t.Helper()
	select {
	case <-b.seen:
	case <-b.read:
		r := b.wait(t)
		t.Fatalf("rbuild ended (exit %d) before printing %s:\n%s", r.code, what, r.stderr)
	case <-time.After(time.Minute):
		t.Fatalf("no %s after a minute:\n%s", what, b.stderrSoFar())
	}
}

func (b *background) stderrSoFar() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stderr.String()
}

func (b *background) exited() bool {
	select {
	case <-b.read:
		return true
	default:
		return false
	}
}

func (b *background) wait(t *testing.T) result {
	t.Helper()
	<-b.read
	err := b.cmd.Wait()
	r := result{stdout: b.stdout.String(), stderr: b.stderrSoFar()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("rbuild: %v", err)
	}
	return r
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

const targetDirBlocking = "    Blocking waiting for file lock on build directory (held by pid "

// Acceptance (issue 16): two `rbuild build` in one workspace at once. The
// second waits for the first's lock on the target dir and says so, as
// cargo does; both succeed, the second finds everything built, and the
// binaries are what cargo builds.
func TestTwoBuildsOneTargetDir(t *testing.T) {
	dir := copyWorkspace(t, "links")
	// The first holds the lock from before its first Compiling line to
	// its end; the slowed decision about the binary keeps it for two
	// seconds more, however fast the machine.
	first := startRbuild(t, dir, []string{"RBUILD_TEST_SLOW_DECISION=linkapp=2s"}, "Compiling", "build")
	first.awaitText(t, "Compiling line")
	second := startRbuild(t, dir, nil, "", "build")
	r2 := second.wait(t)
	r1 := first.wait(t)
	if r1.code != 0 || r2.code != 0 {
		t.Fatalf("exit %d and %d\nfirst:\n%s\nsecond:\n%s", r1.code, r2.code, r1.stderr, r2.stderr)
	}
	if strings.Contains(r1.stderr, "Blocking") {
		t.Errorf("the first build, started alone, waited:\n%s", r1.stderr)
	}
	want := fmt.Sprintf("%s%d)\n", targetDirBlocking, first.cmd.Process.Pid)
	if n := strings.Count(r2.stderr, "Blocking"); n != 1 || !strings.Contains(r2.stderr, want) {
		t.Errorf("the second build printed %d Blocking lines, want one %q:\n%s", n, want, r2.stderr)
	}
	if strings.Contains(r2.stderr, "Compiling") {
		t.Errorf("the second build compiled after the first had built everything:\n%s", r2.stderr)
	}
	cargoDir := cleanCargo(t, dir)
	got := runProgram(t, filepath.Join(dir, "target", "debug", "linkapp"))
	if want := runProgram(t, filepath.Join(cargoDir, "linkapp")); got != want {
		t.Errorf("linkapp printed %q, cargo's %q", got, want)
	}
}

// Acceptance (issue 16): two builds in two workspaces share one per-user
// cache at once; then prune and clear, which need the cache to themselves,
// wait for a reader of it and say so once, as cargo does for its locks.
// (TestCacheConcurrentBuildsWithPrune runs builds and prunes in loops; this
// one pins what the waiting command prints.)
func TestTwoBuildsOneCache(t *testing.T) {
	cacheDir := t.TempDir()
	env := cacheEnv(cacheDir)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	registryWorkspace(t, a)
	registryWorkspace(t, b)
	ra := startRbuild(t, a, env, "", "build")
	rb := startRbuild(t, b, env, "", "build")
	for _, r := range []result{ra.wait(t), rb.wait(t)} {
		if r.code != 0 || strings.Contains(r.stderr, "warning") || strings.Contains(r.stderr, "Blocking") {
			t.Errorf("build sharing the cache: exit %d\n%s", r.code, r.stderr)
		}
	}
	runRegapp(t, a, "target")
	runRegapp(t, b, "target")
	if v := mustRbuildCache(t, env, "verify"); !strings.Contains(v, "checked 4 entries: 0 dropped") {
		t.Errorf("verify after two builds at once: %s", v)
	}

	// A build copying entries out holds the cache's lock shared: the test
	// takes it the same way, for as long as it likes.
	const blocking = "    Blocking waiting for file lock on artifact cache\n"
	for _, cmd := range [][]string{{"prune", "--max-size", "0"}, {"clear"}} {
		f, err := os.OpenFile(filepath.Join(cacheDir, "artifacts", "v1", "lock"), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
			t.Fatal(err)
		}
		p := startRbuild(t, t.TempDir(), env, "Blocking", append([]string{"cache"}, cmd...)...)
		p.awaitText(t, "Blocking line")
		time.Sleep(300 * time.Millisecond)
		if p.exited() {
			t.Errorf("cache %s finished while the cache was locked", cmd[0])
		}
		f.Close() // releases the lock
		r := p.wait(t)
		if r.code != 0 || r.stderr != blocking || !strings.HasPrefix(r.stdout, "removed ") {
			t.Errorf("cache %s under a reader: exit %d, stdout %q, stderr %q; want one %q", cmd[0], r.code, r.stdout, r.stderr, blocking)
		}
	}
	if s := mustRbuildCache(t, env, "stats"); !strings.Contains(s, "entries:   0\n") {
		t.Errorf("stats after prune and clear:\n%s", s)
	}
	// Nobody holds it: no Blocking line.
	if r := rbuild(t, t.TempDir(), env, "cache", "clear"); r.code != 0 || r.stderr != "" {
		t.Errorf("cache clear, unlocked: exit %d, stderr %q", r.code, r.stderr)
	}
}

// mountTmpfs mounts a tmpfs of the given size (mount's notation: 8m) on a
// new directory, unmounted when the test ends. Only root may mount: the
// test is skipped where mounting is not permitted.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := strings.ToLower(string(out))
		if strings.Contains(msg, "permission denied") || strings.Contains(msg, "not permitted") || strings.Contains(msg, "only root") {
			t.Skipf("mount -t tmpfs not permitted here: %s", out)
		}
		t.Fatalf("mount -t tmpfs: %v\n%s", err, out)
	}
	// Registered after t.TempDir's removal, so it runs before it.
	t.Cleanup(func() {
		for range 50 {
			// A process of the build may still be letting go of a file.
			if exec.Command("umount", dir).Run() == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

func remountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s: %v %s", dir, err, out)
	}
}

// checkFullDiskFailure checks how a build that ran out of space ended: a
// failure, no panic, and rbuild's own closing lines (after the last
// "could not compile", if any) few and naming the cause.
func checkFullDiskFailure(t *testing.T, r result) {
	t.Helper()
	if r.code != 101 {
		t.Errorf("exit %d, want 101", r.code)
	}
	if strings.Contains(r.stderr, "panic: ") || strings.Contains(r.stderr, "goroutine ") {
		t.Errorf("a panic:\n%s", r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "error: ") || !strings.Contains(last, "no space left on device") {
		t.Errorf("last line %q does not say the disk is full", last)
	}
	own := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "error: could not compile") {
			own = len(lines) - i
		}
	}
	if own > 2 {
		t.Errorf("%d lines after the last failed action's, want at most two", own)
	}
	warnings := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "warning:") {
			warnings++
			if !strings.Contains(l, "artifact cache") {
				t.Errorf("warning beyond the failure: %s", l)
			}
		}
	}
	if warnings > 1 {
		t.Errorf("%d warnings, want at most one (the artifact cache's)", warnings)
	}
	if t.Failed() {
		t.Logf("stderr of the build that ran out of space:\n%s", r.stderr)
	}
}

// Acceptance (issue 16): the target dir and the cache on a disk that
// fills up part way through a build. The build fails with a short error
// naming the cause; with space freed the next build succeeds and its
// binary is cargo's, the one after is a no-op, and the cache verifies
// clean. The sizes stop the build at different points (a build script's
// link, a library's compile or archive, the binary): the workspace needs
// about 15 MB of target dir and 3.5 MB of cache.
func TestFullDisk(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "ws")
	registryWorkspace(t, ws)
	cargoDir := cleanCargo(t, ws)
	want := runProgram(t, filepath.Join(cargoDir, "regapp"))
	for _, size := range []string{"3m", "7m", "11m"} {
		t.Run(size, func(t *testing.T) {
			fs := mountTmpfs(t, size)
			target := filepath.Join(fs, "target")
			env := cacheEnv(filepath.Join(fs, "cache"), "CARGO_TARGET_DIR="+target)
			checkFullDiskFailure(t, rbuild(t, ws, env, "build"))

			remountTmpfs(t, fs, "100m")
			r := mustRbuild(t, ws, env, "build")
			if strings.Contains(r.stderr, "warning") {
				t.Errorf("the build after space was freed warned:\n%s", r.stderr)
			}
			if got := runProgram(t, filepath.Join(target, "debug", "regapp")); got != want {
				t.Errorf("regapp printed %q, cargo's %q", got, want)
			}
			r = mustRbuild(t, ws, env, "build")
			if strings.Contains(r.stderr, "Compiling") || strings.Contains(r.stderr, "Restored") || strings.Contains(r.stderr, "warning") {
				t.Errorf("the build after was not a no-op:\n%s", r.stderr)
			}
			if v := mustRbuildCache(t, env, "verify"); !strings.Contains(v, " 0 dropped") {
				t.Errorf("verify: %s", v)
			}
		})
	}
}

// Acceptance (issue 16): only the cache's disk is full (a small tmpfs,
// one with no space at all, one with no inode left); the target dir has
// room. Storing fails, the build does not: one warning line, the binary
// right, and what did get stored verifies clean.
func TestFullDiskCacheOnly(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "ws")
	registryWorkspace(t, ws)
	for _, tc := range []struct {
		name, size string
		filler     int64 // bytes written to the tmpfs before the build
	}{
		{"small", "1m", 0},
		{"full", "256k", 256 << 10},
		// No inode left: the cache's directories cannot be made.
		{"no inodes", "256k,nr_inodes=2", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := mountTmpfs(t, tc.size)
			if tc.filler > 0 {
				f, err := os.Create(filepath.Join(fs, "filler"))
				if err != nil {
					t.Fatal(err)
				}
				f.Write(make([]byte, tc.filler)) // fills it: ENOSPC expected
				f.Close()
			}
			os.RemoveAll(filepath.Join(ws, "target"))
			env := cacheEnv(filepath.Join(fs, "cache"))
			r := mustRbuild(t, ws, env, "build")
			var warnings []string
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.HasPrefix(l, "warning:") {
					warnings = append(warnings, l)
				}
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "no space left on device") {
				t.Errorf("want one warning naming the full disk, got %d:\n%s", len(warnings), r.stderr)
			}
			runRegapp(t, ws, "target")
			if _, err := os.Stat(filepath.Join(fs, "cache", "artifacts")); err != nil {
				return // no cache made, none to verify
			}
			if v := mustRbuildCache(t, env, "verify"); !strings.Contains(v, " 0 dropped") {
				t.Errorf("verify: %s", v)
			}
		})
	}
}
