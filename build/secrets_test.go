package build

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rbuild/executor"
)

// The remote cache's credentials reach no process a build starts: not
// cargo (whose probes run through the same RUSTC_WRAPPER), not rustc.
func TestCredentialsNotHandedOn(t *testing.T) {
	ws := chainWorkspace(t)
	dump := filepath.Join(t.TempDir(), "env.txt")
	wrapper := filepath.Join(t.TempDir(), "dump-env.sh")
	script := fmt.Sprintf("#!/bin/sh\nenv >> %q\nexec \"$@\"\n", dump)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	const secret = "rbuild-test-s3cret"
	env := append(testEnv(t), "RUSTC_WRAPPER="+wrapper, CredentialsEnv+"=ci:"+secret)
	buildOnce(t, Options{Dir: ws, Env: env, Status: executor.NewStatus(&bytes.Buffer{}, false, false)})
	data, err := os.ReadFile(dump)
	if err != nil || !strings.Contains(string(data), "RUSTC_WRAPPER") {
		t.Fatalf("the wrapper dumped no environment (%v)", err)
	}
	if strings.Contains(string(data), secret) {
		t.Errorf("a process the build started saw %s", CredentialsEnv)
	}
}
