package cargometa

import (
	"encoding/json"
	"io"
	"strings"

	"rbuild/graph"
)

// ReadBuildPlanFrom reads a build plan as ReadBuildPlan does, as a
// stream: each invocation becomes its action as it is decoded, and
// neither the file nor the decoded plan is ever held whole. A full build
// of rbuild bench --scale's 100k invocations held both (a 42 MB file and
// its decoded copy) while it made the graph, more than the graph itself.
//
// A plan the stream cannot take as it is — anything decodePlanFast would
// leave to decodePlan — is read again from the start by ReadBuildPlan,
// which names the field of its mistake.
func ReadBuildPlanFrom(r io.ReadSeeker) (*graph.Graph, error) {
	if g, ok := streamPlan(r); ok {
		return g, nil
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	g, _, err := ReadBuildPlan(data)
	return g, err
}

// streamInvocation is decodePlanFast's invocation: required fields are
// told missing apart from empty.
type streamInvocation struct {
	graph.Invocation
	Outputs *[]string `json:"outputs"`
	Program *string   `json:"program"`
	Args    *[]string `json:"args"`
	Cwd     *string   `json:"cwd"`
}

// invocation is the invocation at index i, if it is one.
func (raw *streamInvocation) invocation(i int) (graph.Invocation, bool) {
	if raw.Outputs == nil || raw.Program == nil || raw.Args == nil || raw.Cwd == nil {
		return graph.Invocation{}, false
	}
	inv := raw.Invocation
	inv.Outputs, inv.Program, inv.Args, inv.Cwd = *raw.Outputs, *raw.Program, *raw.Args, *raw.Cwd
	return inv, checkInvocation(&inv, i) == nil
}

// streamPlan decodes what json.Unmarshal into decodePlanFast's types
// would accept, and nothing else: one object whose keys match
// "invocations" (exactly once, an array) and "inputs" (an array of
// strings or null) regardless of case, any other key ignored, nothing
// after it.
func streamPlan(r io.Reader) (*graph.Graph, bool) {
	dec := json.NewDecoder(r)
	if !wantDelim(dec, '{') {
		return nil, false
	}
	b := newPlanBuilder()
	invocations := false
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return nil, false
		}
		switch {
		case strings.EqualFold(key, "invocations"):
			if invocations || !wantDelim(dec, '[') {
				return nil, false
			}
			invocations = true
			for i := 0; dec.More(); i++ {
				var raw streamInvocation
				if dec.Decode(&raw) != nil {
					return nil, false
				}
				inv, ok := raw.invocation(i)
				if !ok || b.add(inv, i) != nil {
					return nil, false
				}
			}
			if !wantDelim(dec, ']') {
				return nil, false
			}
		case strings.EqualFold(key, "inputs"):
			var inputs []string
			if dec.Decode(&inputs) != nil {
				return nil, false
			}
		default:
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil, false
			}
		}
	}
	if !wantDelim(dec, '}') {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF || !invocations {
		return nil, false
	}
	if b.g.Validate() != nil {
		return nil, false
	}
	return b.g, true
}

func wantDelim(dec *json.Decoder, d json.Delim) bool {
	t, err := dec.Token()
	return err == nil && t == d
}
