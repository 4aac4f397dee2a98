package build

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"rbuild/executor"
	"rbuild/graph"
	"rbuild/internal/atomicfile"
)

// durationHistory remembers how long each action took, per user rather
// than per target dir, so that a clean build (target/ deleted) and another
// workspace using the same registry crates (whose action names carry
// path-independent metadata hashes) schedule by measured cost. It is a
// hint: a missing, stale or corrupt file only costs scheduling quality.
//
// Every build that runs something reads it, so it is plain lines, not
// JSON: at its cap (20k entries, 1.2 MB) decoding and rewriting JSON took
// ~50 ms of CPU per build, 8 % of a one-crate edit's whole build.
type durationHistory struct {
	path string
	load sync.Once // the file is read only when something is scheduled
	mu   sync.Mutex
	old  map[string][2]int64 // action name → total, early (µs)
	new  map[string][2]int64
}

// historyCap bounds the file: entries not refreshed by the latest build
// are dropped beyond it.
const historyCap = 20000

// historyFile is the file's name in the per-user dir; historyHeader its
// first line (a file without it is from another version and ignored).
const (
	historyFile   = "durations"
	historyHeader = "rbuild durations 1"
)

func newDurationHistory(getenv func(string) string) *durationHistory {
	h := &durationHistory{old: map[string][2]int64{}, new: map[string][2]int64{}}
	if dir := userCacheDir(getenv); dir != "" {
		h.path = filepath.Join(dir, historyFile)
	}
	return h
}

func (h *durationHistory) read() {
	h.load.Do(func() {
		if h.path == "" {
			return
		}
		if data, err := os.ReadFile(h.path); err == nil {
			h.old = parseHistory(data)
		}
	})
}

// parseHistory reads lines of "TOTAL EARLY NAME" (microseconds) after the
// header; a line that does not parse is skipped, a missing header drops
// everything.
func parseHistory(data []byte) map[string][2]int64 {
	m := map[string][2]int64{}
	header, rest, _ := bytes.Cut(data, []byte("\n"))
	if string(header) != historyHeader {
		return m
	}
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		total, line, ok1 := cutInt(line)
		early, name, ok2 := cutInt(line)
		if !ok1 || !ok2 || len(name) == 0 || total < 0 || early < 0 {
			continue
		}
		m[string(name)] = [2]int64{total, early}
	}
	return m
}

// cutInt parses the decimal number before the first space of b.
func cutInt(b []byte) (int64, []byte, bool) {
	num, rest, ok := bytes.Cut(b, []byte(" "))
	if !ok {
		return 0, nil, false
	}
	n, err := strconv.ParseInt(string(num), 10, 64)
	return n, rest, err == nil
}

// cost estimates a; actions never seen get a typical cost for their kind.
func (h *durationHistory) cost(a *graph.Action) executor.Cost {
	h.read()
	if d, ok := h.old[a.Name]; ok {
		return executor.Cost{Total: time.Duration(d[0]) * time.Microsecond, Early: time.Duration(d[1]) * time.Microsecond}
	}
	if a.Kind == graph.RunScript {
		return executor.Cost{Total: 30 * time.Millisecond}
	}
	return executor.Cost{Total: 400 * time.Millisecond, Early: 200 * time.Millisecond}
}

func (h *durationHistory) record(a *graph.Action, r *executor.Result) {
	if h.path == "" || strings.Contains(a.Name, "\n") {
		return // kept nowhere
	}
	d := [2]int64{r.End.Sub(r.Start).Microseconds(), 0}
	if !r.Early.IsZero() {
		d[1] = r.Early.Sub(r.Start).Microseconds()
	}
	h.mu.Lock()
	h.new[a.Name] = d
	h.mu.Unlock()
}

// save merges this build's durations into the file; a concurrent rbuild
// sees the old or the new file. A build whose durations are all close to
// the recorded ones leaves the file alone: the order they give is the
// same, and most edit-build loops rewrite nothing.
func (h *durationHistory) save() {
	if h.path == "" || len(h.new) == 0 {
		return
	}
	h.read()
	changed := false
	for k, v := range h.new {
		if w, ok := h.old[k]; !ok || !similarDuration(v[0], w[0]) || !similarDuration(v[1], w[1]) {
			changed = true
			break
		}
	}
	if !changed {
		return
	}
	var w bytes.Buffer
	fmt.Fprintln(&w, historyHeader)
	kept := 0
	for k, v := range h.old {
		if kept >= historyCap-len(h.new) {
			break
		}
		if _, ok := h.new[k]; !ok {
			fmt.Fprintf(&w, "%d %d %s\n", v[0], v[1], k)
			kept++
		}
	}
	for k, v := range h.new {
		fmt.Fprintf(&w, "%d %d %s\n", v[0], v[1], k)
	}
	atomicfile.Write(h.path, w.Bytes(), 0o644)
}

// similarDuration says two measurements of one action (µs) schedule
// alike: within a quarter of each other, or 20 ms.
func similarDuration(a, b int64) bool {
	d := max(a-b, b-a)
	return d <= 20_000 || d*4 <= max(a, b)
}
