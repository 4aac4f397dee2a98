package build

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"rbuild/executor"
	"rbuild/graph"
)

// A build whose durations are close to the recorded ones leaves the file
// alone; one that measured something new or far off rewrites it.
func TestDurationHistoryRewritesOnlyWhatChanged(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "RBUILD_CACHE_DIR" {
			return dir
		}
		return ""
	}
	path := filepath.Join(dir, historyFile)
	build := func(d time.Duration) {
		h := newDurationHistory(getenv)
		a := &graph.Action{Name: "build:cli-0123:cli"}
		h.cost(a)
		start := time.Unix(100, 0)
		h.record(a, &executor.Result{Start: start, End: start.Add(d)})
		h.save()
	}
	build(time.Second)
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("first build saved nothing: %v", err)
	}
	if got := parseHistory(first)["build:cli-0123:cli"]; got != [2]int64{1e6, 0} {
		t.Fatalf("saved %v, want 1 s", got)
	}
	os.Chtimes(path, time.Unix(1, 0), time.Unix(1, 0))
	build(1100 * time.Millisecond)
	if st, _ := os.Stat(path); !st.ModTime().Equal(time.Unix(1, 0)) {
		t.Error("a build 10 % slower rewrote the history")
	}
	build(2 * time.Second)
	second, _ := os.ReadFile(path)
	if got := parseHistory(second)["build:cli-0123:cli"]; got != [2]int64{2e6, 0} {
		t.Fatalf("after a build twice as slow the history has %v, want 2 s", got)
	}
}
