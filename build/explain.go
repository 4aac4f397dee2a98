package build

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"rbuild/internal/atomicfile"
)

// Explain records: every verdict's reason is written where it is made
// (work.go, interface.go) and kept, per build, in target/rbuild/
// last-build.json for `rbuild explain`, beside the build's counts.

// ExplainEntry is what `rbuild explain` says of one action of the last build.
type ExplainEntry struct {
	Label  string `json:"label"`
	Action string `json:"action"`
	Ran    bool   `json:"ran"`
	Reason string `json:"reason"`
	Cache  string `json:"cache,omitempty"` // what the artifact cache did, or why not
}

func explainPath(targetDir string) string {
	return filepath.Join(targetDir, "rbuild", "last-build.json")
}

// countsPath holds the counts of the last build, which `rbuild bench` reads.
func countsPath(targetDir string) string {
	return filepath.Join(targetDir, "rbuild", "last-build-counts.json")
}

func (s *Session) writeExplain(w *work) error {
	w.mu.Lock()
	data, err := json.MarshalIndent(w.explain, "", " ")
	w.mu.Unlock()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(explainPath(s.targetDir), data, 0o644); err != nil {
		return err
	}
	if data, err = json.Marshal(w.counts()); err != nil {
		return err
	}
	return atomicfile.Write(countsPath(s.targetDir), data, 0o644)
}

// ReadExplain reads what the last build in targetDir said of each action.
func ReadExplain(targetDir string) ([]ExplainEntry, error) {
	data, err := os.ReadFile(explainPath(targetDir))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("no build to explain yet in %s (run `rbuild build` first)", targetDir)
		}
		return nil, err
	}
	var entries []ExplainEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("read %s: %w", explainPath(targetDir), err)
	}
	return entries, nil
}
