// Package bench is `rbuild bench`: it measures edits as users make them,
// rebuilt by cargo and by rbuild in turn (A B A B) in separate target
// dirs, and writes the report. Scenarios are the built-in set, chosen from
// the workspace's plan (the path package with the most dependents), or a
// TOML file. Every edit is reverted, also after an interrupted run.
//
// It takes explicit Options: it parses no flag and never changes its own
// process's environment; the tools run as child processes with their own.
package bench
