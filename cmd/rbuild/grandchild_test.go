package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive: pid runs (a zombie nobody reaps counts as dead) and is the
// process we think (its cmdline names want).
func alive(pid int, want string) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
		return false
	}
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.Contains(string(cmdline), want)
}

// kill -9 of rbuild while a build script runs: the build script dies
// with rbuild (Pdeathsig), but what it started lives on in the job's
// process group. The next build must kill it before building: it may
// still write into target/ under that build.
func TestKill9BuildScriptGrandchild(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("needs /proc")
	}
	dir := filepath.Join(t.TempDir(), "gc")
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	pidFile := filepath.Join(t.TempDir(), "grandchild.pid")
	files := map[string]string{
		"Cargo.toml": "[package]\nname = \"gc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
		"src/lib.rs": "pub fn f() {}\n",
		// With GC_HANG set, start a long-running grandchild, say its pid,
		// and hang: rbuild is killed while the build script runs.
		"build.rs": `use std::process::Command;
fn main() {
    println!("cargo::rerun-if-env-changed=GC_HANG");
    if let Ok(pidfile) = std::env::var("GC_HANG") {
        let child = Command::new("sleep").arg("3600").spawn().unwrap();
        std::fs::write(&pidfile, child.id().to_string()).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(rbuildBin, "build")
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "GC_HANG="+pidFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	deadline := time.Now().Add(3 * time.Minute)
	for pid == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the build script did not start its grandchild within 3 minutes")
		}
		time.Sleep(100 * time.Millisecond)
		if data, err := os.ReadFile(pidFile); err == nil && len(data) > 0 {
			pid, _ = strconv.Atoi(string(data))
		}
	}
	t.Cleanup(func() {
		if alive(pid, "sleep") {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	time.Sleep(300 * time.Millisecond)
	if !alive(pid, "sleep") {
		t.Skip("the grandchild died with rbuild: nothing to reap here")
	}
	r := mustRbuild(t, dir, nil, "build")
	if !strings.Contains(r.stderr, "left running") {
		t.Errorf("the next build did not say it killed leftovers:\n%s", r.stderr)
	}
	if alive(pid, "sleep") {
		t.Fatalf("the build script's grandchild (sleep, pid %d) still runs after the next build", pid)
	}
}
