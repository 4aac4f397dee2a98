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

	// Interface cutoff (lib compiles and their dependents).
	//
	// Ifaces holds, for each dependency file judged by its producer's
	// interface, that fingerprint; Deps keeps the exact stamp (what the
	// compile was built against: a later mismatch makes it stale).
	Ifaces []Fingerprint `json:"if,omitempty"`
	// Iface is this crate's own interface fingerprint.
	Iface *Hash `json:"iface,omitempty"`
	// Epoch lists the exact hashes of this crate's .rmeta and .rlib over
	// its builds since one last removed an exported symbol: a dependent
	// compiled against any of them still links (rustc-facts.md §5).
	Epoch []Hash `json:"epoch,omitempty"`
}

// Fingerprint is a dependency file's interface fingerprint.
type Fingerprint struct {
	Path string `json:"p"`
	Hash Hash   `json:"h"`
}

// IfaceOf returns the recorded fingerprint for path.
func (r *Record) IfaceOf(path string) (Hash, bool) {
	for _, f := range r.Ifaces {
		if f.Path == path {
			return f.Hash, true
		}
	}
	return Hash{}, false
}

// DepHash returns the recorded exact hash of dependency file path.
func (r *Record) DepHash(path string) (Hash, bool) {
	for _, s := range r.Deps {
		if s.Path == path {
			return s.Hash, true
		}
	}
	return Hash{}, false
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
