package cutoff

import (
	"encoding/json"
	"fmt"
)

// Record is what rbuild remembers about an action after a successful run;
// the log stores it as an opaque payload.
type Record struct {
	Cmd     Hash     `json:"cmd"`           // argv, cwd and the environment rbuild set
	Deps    []Stamp  `json:"deps"`          // declared input files (other actions' outputs)
	Inputs  []Stamp  `json:"in,omitempty"`  // discovered inputs: dep-info files, rerun-if-changed
	EnvDeps []EnvDep `json:"env,omitempty"` // env vars the action read, with their values
	Outputs []Stamp  `json:"out"`
	Start   int64    `json:"t0"`
	End     int64    `json:"t1"`
}

func (r *Record) Encode() []byte {
	b, _ := json.Marshal(r)
	return b
}

func DecodeRecord(b []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return &r, nil
}

// Stamps lists every file stamp in the record, to seed a Hasher.
func (r *Record) Stamps() []Stamp {
	out := make([]Stamp, 0, len(r.Deps)+len(r.Inputs)+len(r.Outputs))
	out = append(out, r.Deps...)
	out = append(out, r.Inputs...)
	return append(out, r.Outputs...)
}
