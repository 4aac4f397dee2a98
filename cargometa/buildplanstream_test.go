package cargometa

import (
	"bytes"
	"strings"
	"testing"

	"rbuild/graph"
)

// sameAsReadBuildPlan checks that the stream reader makes what
// ReadBuildPlan makes of data: the same graph, or the same error.
func sameAsReadBuildPlan(t *testing.T, data []byte) {
	t.Helper()
	want, _, wantErr := ReadBuildPlan(data)
	got, err := ReadBuildPlanFrom(bytes.NewReader(data))
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%s\n  stream error %v\n  want         %v", data, err, wantErr)
	}
	if err != nil {
		return
	}
	if g, w := planText(t, got), planText(t, want); g != w {
		t.Fatalf("%s\n  stream made\n%s\n  want\n%s", data, g, w)
	}
}

// planText is a graph as the build-plan writer writes it, with each
// action's name, label and inputs.
func planText(t *testing.T, g *graph.Graph) string {
	t.Helper()
	var b strings.Builder
	if err := graph.WriteBuildPlan(&b, g, graph.Header{Tool: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range g.Actions {
		b.WriteString("\n" + a.Name + " | " + a.Label + " |")
		for _, in := range a.Inputs {
			b.WriteString(" " + g.Files[in].Path)
		}
	}
	return b.String()
}

func TestReadBuildPlanFrom(t *testing.T) {
	two := `{"invocations":[` + goodInvocation + `,
	 {"package_name":"b","package_version":"0.1.0","target_kind":["bin"],"compile_mode":"build","deps":[0],
	  "outputs":["/t/b"],"links":{"/t/out/b":"/t/b"},"program":"rustc","args":[],"cwd":"/ws"}],
	 "inputs":["/ws/Cargo.toml"]}`
	unnamed := `{"program":"/bin/sh","args":["-c","x"],"cwd":"/w","outputs":["/w/o.d","/w/o"],"deps":[0,0]}`
	for _, plan := range []string{
		two,
		`{"invocations":[]}`,
		`{"inputs":null,"other":{"x":[1,2]},"invocations":[` + goodInvocation + `,` + unnamed + `]}`,
		`{"Invocations":[` + goodInvocation + `]} `,
		// What the stream leaves to ReadBuildPlan: a second list of
		// invocations (the last one counts), something after the
		// object, a null invocation, a missing field, a mistake.
		`{"invocations":[` + goodInvocation + `],"invocations":[]}`,
		`{"invocations":[]} x`,
		`{"invocations":[null]}`,
		`{"invocations":null}`,
		`{"invocations":[{"program":"p","args":[],"cwd":"/w"}]}`,
		`{"invocations":[` + goodInvocation + `,` + goodInvocation + `]}`,
		`{"invocations":[],"inputs":"x"}`,
		`{"invocations":[`,
		`[]`,
		``,
	} {
		sameAsReadBuildPlan(t, []byte(plan))
	}
}
