// Package executor runs a build graph: at most -j processes at once (a GNU
// make jobserver is shared with rustc and build scripts), highest-priority
// ready command first, dependents that need only metadata released when
// rustc announces the .rmeta (pipelining), diagnostics forwarded like
// cargo's, a one-line status on a terminal, fail-fast or --keep-going, and
// Ctrl-C that stops every child process group. A Timeline kept by the
// caller's Work records what ran when; its Timings are written as the
// --timings HTML report (timings_report.go) and as a .ninja_log
// (ninjalog.go).
//
// It must not decide whether an action runs: the Work interface it defines
// answers that (Prepare returns nil for "up to date"), and records results.
package executor
