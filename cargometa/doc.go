// Package cargometa talks to cargo and rustc and turns cargo's answer into
// concrete work. It asks cargo for the unit graph (`--unit-graph`) and
// metadata, probes rustc, reads what the unit graph leaves out (rustflags,
// linker, [env], [lints], harness, profile inherits), and derives for every
// unit exactly the rustc command or build-script run cargo 1.95 would use
// (../shared/docs/cargo-units.md is the specification; a test compares the
// commands with `cargo build -v`).
//
// Key types: Query (what cargo and rustc said, cached between runs), Plan
// and Unit (per-unit directories, outputs, hashes, edges), Command, and
// BuildOutput (the build-script protocol). Plan.Graph hands the result to
// package graph.
//
// It must not schedule or run builds: it only computes.
package cargometa
