// Package graph is rbuild's build graph IR: files are nodes, actions are
// edges with explicit inputs and outputs. A library compile has two outputs
// that appear at different times — the early `.rmeta` (pipelining) and the
// `.rlib` — so dependents that need only metadata name the `.rmeta` file and
// links name the `.rlib`. Build-script runs output a file (their captured
// stdout) that the compiles they configure consume.
//
// It owns validation (cycles, two actions writing one file) and, later, the
// writers for Ninja, Tup, build-plan JSON and Graphviz. It must not know
// about cargo's JSON or run processes: Action.Data carries the producer's
// payload opaquely.
package graph
