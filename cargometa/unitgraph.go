package cargometa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// UnitGraph is cargo's `--unit-graph` JSON, version 1 (cargo-units.md §2).
// Unit indices are identities: two units may be byte-identical apart from
// their dependencies, so nothing here ever deduplicates by content.
type UnitGraph struct {
	Version int         `json:"version"`
	Units   []*UnitJSON `json:"units"`
	Roots   []int       `json:"roots"`
}

type UnitJSON struct {
	PkgID    string          `json:"pkg_id"`
	Target   TargetJSON      `json:"target"`
	Profile  ProfileJSON     `json:"profile"`
	Platform *string         `json:"platform"`
	Mode     string          `json:"mode"`
	Features []string        `json:"features"`
	IsStd    bool            `json:"is_std,omitempty"`
	Deps     []UnitDepJSON   `json:"dependencies"`
	Extra    json.RawMessage `json:"-"`
}

type TargetJSON struct {
	Kind             []string `json:"kind"`
	CrateTypes       []string `json:"crate_types"`
	Name             string   `json:"name"`
	SrcPath          *string  `json:"src_path"`
	Edition          string   `json:"edition"`
	RequiredFeatures []string `json:"required-features,omitempty"`
	Doc              bool     `json:"doc"`
	Doctest          bool     `json:"doctest"`
	Test             bool     `json:"test"`
}

type ProfileJSON struct {
	Name            string    `json:"name"`
	OptLevel        string    `json:"opt_level"`
	LTO             string    `json:"lto"`
	CodegenBackend  *string   `json:"codegen_backend"`
	CodegenUnits    *int      `json:"codegen_units"`
	Debuginfo       Debuginfo `json:"debuginfo"`
	SplitDebuginfo  *string   `json:"split_debuginfo"`
	DebugAssertions bool      `json:"debug_assertions"`
	OverflowChecks  bool      `json:"overflow_checks"`
	Rpath           bool      `json:"rpath"`
	Incremental     bool      `json:"incremental"`
	Panic           string    `json:"panic"`
	Strip           Strip     `json:"strip"`
	Rustflags       []string  `json:"rustflags,omitempty"`
}

type UnitDepJSON struct {
	Index       int    `json:"index"`
	ExternCrate string `json:"extern_crate_name"`
	Public      bool   `json:"public"`
	Noprelude   bool   `json:"noprelude"`
}

// Debuginfo is 0/1/2 or a string such as "line-tables-only"; "0" means none.
type Debuginfo string

func (d *Debuginfo) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Debuginfo(s)
		return nil
	}
	if string(b) == "null" {
		*d = "0"
		return nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return fmt.Errorf("debuginfo: want a number or string, got %s", b)
	}
	*d = Debuginfo(strconv.Itoa(n))
	return nil
}

func (d Debuginfo) MarshalJSON() ([]byte, error) { return json.Marshal(string(d)) }

// Strip is {"deferred": X} or {"resolved": X} with X "None" or {"Named": "debuginfo"}.
// Only X matters; Value is "" for None.
type Strip struct{ Value string }

func (s *Strip) UnmarshalJSON(b []byte) error {
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(b, &outer); err != nil {
		return fmt.Errorf("strip: %w", err)
	}
	for _, raw := range outer {
		var name string
		if json.Unmarshal(raw, &name) == nil {
			if name != "None" {
				s.Value = name
			}
			return nil
		}
		var named struct{ Named string }
		if err := json.Unmarshal(raw, &named); err != nil {
			return fmt.Errorf("strip: %w", err)
		}
		s.Value = named.Named
	}
	return nil
}

func (s Strip) MarshalJSON() ([]byte, error) {
	if s.Value == "" {
		return []byte(`{"resolved":"None"}`), nil
	}
	return json.Marshal(map[string]any{"resolved": map[string]string{"Named": s.Value}})
}

// ParseUnitGraph decodes and validates a unit graph. Errors name what is wrong
// so a hand-written or truncated file gives a one-line diagnosis.
func ParseUnitGraph(data []byte) (*UnitGraph, error) {
	var g UnitGraph
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("not a valid unit graph: %w", jsonErr(data, err))
	}
	if err := g.check(); err != nil {
		return nil, err
	}
	return &g, nil
}

// check validates what the plan relies on: a cached query's graph gets the
// same checks as cargo's answer (a corrupt cache file once indexed past
// Units, found by FuzzDecodeQuery).
func (g *UnitGraph) check() error {
	if g.Version != 1 {
		return fmt.Errorf("unit graph version %d is not supported (want 1)", g.Version)
	}
	if len(g.Units) == 0 {
		return fmt.Errorf("unit graph has no units")
	}
	for i, u := range g.Units {
		if u == nil {
			return fmt.Errorf("unit %d is null", i)
		}
		if u.PkgID == "" || u.Target.Name == "" || len(u.Target.Kind) == 0 || u.Mode == "" {
			return fmt.Errorf("unit %d: missing pkg_id, target.name, target.kind or mode", i)
		}
		if u.Target.SrcPath == nil {
			return fmt.Errorf("unit %d (%s): no src_path (metabuild is not supported)", i, u.Target.Name)
		}
		for _, d := range u.Deps {
			if d.Index < 0 || d.Index >= len(g.Units) {
				return fmt.Errorf("unit %d (%s): dependency index %d out of range", i, u.Target.Name, d.Index)
			}
		}
	}
	for _, r := range g.Roots {
		if r < 0 || r >= len(g.Units) {
			return fmt.Errorf("root index %d out of range", r)
		}
	}
	return nil
}

// jsonErr adds a line:column to syntax errors.
func jsonErr(data []byte, err error) error {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
		return fmt.Errorf("field %q: %s is not a valid %s (line %d)", e.Field, e.Value, e.Type, lineOf(data, off))
	}
	if off >= 0 {
		return fmt.Errorf("%w (line %d)", err, lineOf(data, off))
	}
	return err
}

func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}
