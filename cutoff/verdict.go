package cutoff

import (
	"path/filepath"
)

// Current is what an action would be run with now.
type Current struct {
	Cmd     Hash
	Deps    []Stamp  // declared inputs, hashed now
	Outputs []string // files the action must leave
	Env     func(name string) (string, bool)
}

// Verdict says whether an action runs, and why: the reason is produced here,
// at the decision, so `rbuild explain` can never drift from the logic.
type Verdict struct {
	Run    bool
	Reason string
	// Restamped is true when some stamp changed but its content did not
	// (a touch): the record should be rewritten with the new stamps.
	Restamped bool
}

// Decide compares the previous record with the current state. The order of
// checks gives the most useful first reason: command, then dependencies,
// then sources, then env, then outputs.
func Decide(prev *Record, cur *Current, h *Hasher) (Verdict, error) {
	if prev == nil {
		return Verdict{Run: true, Reason: "no record of a previous run"}, nil
	}
	if prev.Cmd != cur.Cmd {
		return Verdict{Run: true, Reason: "command or environment changed"}, nil
	}
	old := make(map[string]Hash, len(prev.Deps))
	for _, s := range prev.Deps {
		old[s.Path] = s.Hash
	}
	if len(prev.Deps) != len(cur.Deps) {
		return Verdict{Run: true, Reason: "set of dependencies changed"}, nil
	}
	for _, s := range cur.Deps {
		if oh, ok := old[s.Path]; !ok || oh != s.Hash {
			return Verdict{Run: true, Reason: "dependency " + filepath.Base(s.Path) + " changed"}, nil
		}
	}
	v := Verdict{}
	for _, s := range prev.Inputs {
		now, err := h.Stamp(s.Path)
		if err != nil {
			return Verdict{}, err
		}
		if now.Size < 0 {
			return Verdict{Run: true, Reason: "input " + s.Path + " was deleted"}, nil
		}
		if now.Hash != s.Hash {
			return Verdict{Run: true, Reason: "input " + s.Path + " changed"}, nil
		}
		if now.Mtime != s.Mtime || now.Size != s.Size {
			v.Restamped = true
		}
	}
	for _, e := range prev.EnvDeps {
		val, set := cur.Env(e.Name)
		if set != e.Set || val != e.Value {
			return Verdict{Run: true, Reason: "environment variable " + e.Name + " changed"}, nil
		}
	}
	recorded := make(map[string]Stamp, len(prev.Outputs))
	for _, s := range prev.Outputs {
		recorded[s.Path] = s
	}
	for _, p := range cur.Outputs {
		now, err := h.Stamp(p)
		if err != nil {
			return Verdict{}, err
		}
		r, ok := recorded[p]
		switch {
		case now.Size < 0:
			return Verdict{Run: true, Reason: "output " + p + " is missing"}, nil
		case !ok || now.Hash != r.Hash:
			return Verdict{Run: true, Reason: "output " + p + " was modified"}, nil
		case now.Mtime != r.Mtime:
			v.Restamped = true
		}
	}
	v.Reason = "up to date"
	return v, nil
}
