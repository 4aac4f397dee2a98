package build

import (
	"encoding/json"
	"os"
	"path/filepath"
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

func newDurationHistory(getenv func(string) string) *durationHistory {
	h := &durationHistory{old: map[string][2]int64{}, new: map[string][2]int64{}}
	if dir := userCacheDir(getenv); dir != "" {
		h.path = filepath.Join(dir, "durations.json")
	}
	return h
}

func (h *durationHistory) read() {
	h.load.Do(func() {
		if h.path == "" {
			return
		}
		if data, err := os.ReadFile(h.path); err == nil {
			if json.Unmarshal(data, &h.old) != nil {
				h.old = map[string][2]int64{}
			}
		}
	})
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
	if h.path == "" {
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
// sees the old or the new file.
func (h *durationHistory) save() {
	if h.path == "" || len(h.new) == 0 {
		return
	}
	h.read()
	merged := make(map[string][2]int64, len(h.old)+len(h.new))
	for k, v := range h.old {
		if len(merged) >= historyCap-len(h.new) {
			break
		}
		merged[k] = v
	}
	for k, v := range h.new {
		merged[k] = v
	}
	data, err := json.Marshal(merged)
	if err != nil {
		return
	}
	atomicfile.Write(h.path, data, 0o644)
}
