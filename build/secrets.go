package build

import "rbuild/cargometa"

// childEnv is the environment cargo, rustc, build scripts, rustdoc and the
// programs rbuild runs get: the build's, without rbuild's own secrets. A
// build script runs arbitrary code; the remote cache's credentials are
// rbuild's to use, not its to hand on.
func childEnv(env []string) []string { return cargometa.WithoutVar(env, CredentialsEnv) }
