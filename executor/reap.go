package executor

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Jobs that outlive a killed rbuild. Each job runs in its own process
// group, and its direct child has Pdeathsig, so a kill -9 of rbuild kills
// rustc or the build script; but what a build script started (cc, a
// test server, a sleep) lives on in that group, reparented to init, and
// may still write into target/ under the next build. Once rbuild is dead
// nothing of it can act (a subreaper dies with it too), so the next Run
// does: every job's process group is recorded in JobsDir while it runs,
// and a group still recorded when Run starts was left by a killed rbuild.
//
// A process is killed only if it is in such a group and carries this
// target dir's marker in its environment (RBUILD_JOB, set for every job
// and inherited by what it starts): a recycled group id or a process that
// is not ours is left alone. One that cleared its environment escapes.

// jobMarkerVar is set in every job's environment.
const jobMarkerVar = "RBUILD_JOB"

// jobMarker is the marker's value for a jobs dir: one target dir's jobs.
func jobMarker(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return hex.EncodeToString(sum[:8])
}

// recordJob notes a running job's process group; the returned func
// forgets it once the job has ended.
func recordJob(dir string, pgid int) func() {
	path := filepath.Join(dir, strconv.Itoa(pgid))
	// Best effort: a job that cannot be recorded still runs; only the
	// clean-up after a kill -9 of rbuild would miss it.
	os.WriteFile(path, nil, 0o644)
	return func() { os.Remove(path) }
}

// reapLeftovers kills what jobs of a killed rbuild left running and
// forgets their groups. It returns how many processes it killed.
func reapLeftovers(dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("jobs dir: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("jobs dir: %w", err)
	}
	groups := map[int]bool{}
	for _, e := range ents {
		if g, err := strconv.Atoi(e.Name()); err == nil && g > 1 {
			groups[g] = true
		}
	}
	killed := 0
	if len(groups) > 0 {
		mark := []byte(jobMarkerVar + "=" + jobMarker(dir) + "\x00")
		procs, _ := os.ReadDir("/proc")
		for _, p := range procs {
			pid, err := strconv.Atoi(p.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			if g, ok := procGroup(pid); !ok || !groups[g] {
				continue
			}
			env, err := os.ReadFile("/proc/" + p.Name() + "/environ")
			if err != nil || !(bytes.HasPrefix(env, mark) || bytes.Contains(env, append([]byte{0}, mark...))) {
				continue
			}
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed++
			}
		}
	}
	for _, e := range ents {
		os.Remove(filepath.Join(dir, e.Name()))
	}
	return killed, nil
}

// procGroup reads a process's group id from /proc/<pid>/stat: the fifth
// field, counted after the command name (which may hold spaces and
// parentheses, hence the last ')').
func procGroup(pid int) (int, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 3 {
		return 0, false
	}
	g, err := strconv.Atoi(f[2])
	return g, err == nil
}
