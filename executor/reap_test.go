package executor

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Only processes in a recorded group that carry this jobs dir's marker
// are killed: a recycled group id, another target dir's job or a process
// that is not rbuild's is left alone.
func TestReapLeftoversKillsOnlyMarked(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	dir := filepath.Join(t.TempDir(), "jobs")
	other := filepath.Join(t.TempDir(), "jobs")
	start := func(env ...string) *exec.Cmd {
		cmd := exec.Command("sleep", "60")
		cmd.Env = append(os.Environ(), env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	ours := start(jobMarkerVar + "=" + jobMarker(dir))
	unmarked := start()
	foreign := start(jobMarkerVar + "=" + jobMarker(other))
	unrecorded := start(jobMarkerVar + "=" + jobMarker(dir))
	os.MkdirAll(dir, 0o755)
	for _, c := range []*exec.Cmd{ours, unmarked, foreign} {
		recordJob(dir, c.Process.Pid)
	}
	killed, err := reapLeftovers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Errorf("killed %d processes, want 1", killed)
	}
	exited := make(chan error, 1)
	go func() { exited <- ours.Wait() }()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Error("the marked process in a recorded group was not killed")
	}
	for name, c := range map[string]*exec.Cmd{"unmarked": unmarked, "foreign": foreign, "unrecorded": unrecorded} {
		if _, ok := procGroup(c.Process.Pid); !ok {
			t.Errorf("the %s process was killed", name)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the jobs dir keeps %d entries after the reap", len(ents))
	}
}
