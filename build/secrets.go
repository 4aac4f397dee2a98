package build

import "strings"

// childEnv is the environment cargo, rustc, build scripts, rustdoc and the
// programs rbuild runs get: the build's, without rbuild's own secrets. A
// build script runs arbitrary code; the remote cache's credentials are
// rbuild's to use, not its to hand on.
func childEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, CredentialsEnv+"=") {
			out = append(out, kv)
		}
	}
	return out
}
