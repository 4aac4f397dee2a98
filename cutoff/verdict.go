package cutoff

import (
	"path/filepath"
	"strings"
)

// Current is what an action would be run with now.
type Current struct {
	Cmd  Hash
	Deps []Stamp // declared inputs, hashed now
	// Iface gives, for dependency files judged by their producer's
	// interface, the fingerprint now: an exact change with an equal
	// fingerprint does not make the action run.
	Iface   map[string]Hash
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
	// CutOff lists the dependency files whose content changed while their
	// interface did not: the action was skipped because of the cutoff.
	CutOff []string
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
	v := Verdict{}
	for _, s := range cur.Deps {
		oh, ok := old[s.Path]
		if !ok {
			return Verdict{Run: true, Reason: "set of dependencies changed"}, nil
		}
		if oh == s.Hash {
			continue
		}
		fp, judged := cur.Iface[s.Path]
		if was, recorded := prev.IfaceOf(s.Path); judged && recorded && was == fp {
			v.CutOff = append(v.CutOff, s.Path)
			continue
		}
		if judged {
			return Verdict{Run: true, Reason: "interface of " + filepath.Base(s.Path) + " changed"}, nil
		}
		return Verdict{Run: true, Reason: "dependency " + filepath.Base(s.Path) + " changed"}, nil
	}
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
	if len(v.CutOff) > 0 {
		names := make([]string, len(v.CutOff))
		for i, p := range v.CutOff {
			names[i] = filepath.Base(p)
		}
		v.Reason = "interface of " + strings.Join(names, ", ") + " unchanged"
	}
	return v, nil
}
