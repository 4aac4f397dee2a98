package bench

import (
	"reflect"
	"testing"
)

// After a revert every measured loop rebuilds, untimed: a row of one loop
// must not time what the other loop's last edit left to compile.
func TestRebuildsAfterCoverBothLoops(t *testing.T) {
	build := scenario{Name: "leaf"}
	test := scenario{Name: "test:leaf", Command: "test"}
	opt := &Options{Profile: "release", TestArgs: []string{"--workspace"}}
	cases := []struct {
		scenarios []scenario
		after     scenario
		want      []benchCommand
	}{
		{[]scenario{build, test}, build, []benchCommand{{"build", []string{"--release"}}, {"test", []string{"--no-run", "--release", "--workspace"}}}},
		{[]scenario{build, test}, test, []benchCommand{{"test", []string{"--no-run", "--release", "--workspace"}}, {"build", []string{"--release"}}}},
		{[]scenario{build}, build, []benchCommand{{"build", []string{"--release"}}}},
		{[]scenario{test}, test, []benchCommand{{"test", []string{"--no-run", "--release", "--workspace"}}}},
	}
	for _, c := range cases {
		r := &benchRun{opt: opt, scenarios: c.scenarios}
		if got := r.rebuildsAfter(c.after); !reflect.DeepEqual(got, c.want) {
			t.Errorf("loops %v, after %s: %v, want %v", c.scenarios, c.after.Name, got, c.want)
		}
	}
}
