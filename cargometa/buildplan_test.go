package cargometa

import (
	"strings"
	"testing"

	"rbuild/graph"
)

const goodInvocation = `{"package_name":"a","package_version":"0.1.0","target_kind":["lib"],"kind":null,
 "compile_mode":"build","deps":[],"outputs":["/t/liba.rlib","/t/a.d"],"links":{},"program":"rustc",
 "args":["--crate-name","a"],"env":{"K":"V"},"cwd":"/ws"}`

func TestReadBuildPlan(t *testing.T) {
	plan := `{"invocations":[` + goodInvocation + `,
	 {"package_name":"b","package_version":"0.1.0","target_kind":["bin"],"compile_mode":"build","deps":[0],
	  "outputs":["/t/b"],"links":{"/t/out/b":"/t/b"},"program":"rustc","args":[],"cwd":"/ws"}],
	 "inputs":["/ws/Cargo.toml"]}`
	g, p, err := ReadBuildPlan([]byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Actions) != 2 || len(p.Inputs) != 1 {
		t.Fatalf("%d actions, inputs %v", len(g.Actions), p.Inputs)
	}
	b := g.Actions[1]
	var ins, outs []string
	for _, f := range b.Inputs {
		ins = append(ins, g.Files[f].Path)
	}
	for _, f := range b.Outputs {
		outs = append(outs, g.Files[f].Path)
	}
	// The dependency's dep-info is its depfile, not something b reads.
	if strings.Join(ins, " ") != "/t/liba.rlib" || strings.Join(outs, " ") != "/t/b /t/out/b" {
		t.Errorf("b reads %v, writes %v", ins, outs)
	}
	if r := graph.RuleOf(g.Actions[0]); r.Depfile != "/t/a.d" || strings.Join(r.Env, " ") != "K=V" || r.Dir != "/ws" {
		t.Errorf("rule of a: %+v", r)
	}
}

func TestReadBuildPlanErrors(t *testing.T) {
	with := func(field, value string) string {
		inv := strings.Replace(goodInvocation, `"`+field+`":`, `"`+field+`":`+value+`,"was_`+field+`":`, 1)
		return `{"invocations":[` + inv + `]}`
	}
	for _, c := range []struct{ plan, want string }{
		{`{"invocations": [`, "not a JSON object: line 1: unexpected end of JSON input"},
		{"{\n\"invocations\": [}", "line 2: invalid character '}'"},
		{`[]`, "not a JSON object"},
		{`{}`, "invocations: missing"},
		{`{"invocations": {}}`, "invocations: want an array of objects"},
		{`{"invocations": [3]}`, "invocations[0]: want an object"},
		{`{"invocations": [], "inputs": "x"}`, "inputs: want an array of strings"},
		{with("args", `"--crate-name a"`), `invocations[0].args: want an array of strings, got "--crate-name a"`},
		{with("program", `7`), "invocations[0].program: want a string, got 7"},
		{with("env", `{"K":1}`), "invocations[0].env: want an object of strings"},
		{with("deps", `[0]`), "invocations[0].deps[0]: 0 is not an earlier invocation"},
		{with("deps", `["x"]`), "invocations[0].deps: want an array of invocation indices"},
		{with("outputs", `[]`), "invocations[0].outputs: empty"},
		{with("outputs", `["rel/x"]`), `invocations[0].outputs[0]: want an absolute path, got "rel/x"`},
		{with("cwd", `"ws"`), `invocations[0].cwd: want an absolute path, got "ws"`},
		{with("links", `{"/t/x":"rel"}`), "invocations[0].links: want absolute paths"},
		{with("kind", `{"t":1}`), "invocations[0].kind: want a target triple or null"},
		{strings.Replace(with("program", `null`), `"was_program":"rustc",`, "", 1), "invocations[0].program: missing"},
		{`{"invocations":[` + goodInvocation + `,` + goodInvocation + `]}`, "invocations[1]: two actions write /t/liba.rlib"},
	} {
		_, _, err := ReadBuildPlan([]byte(c.plan))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\n  error %v\n  want  %s", c.plan, err, c.want)
		}
	}
}
