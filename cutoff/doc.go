// Package cutoff decides whether an action must run, and says why.
//
// An action's key is everything its result can depend on: the command line
// and the environment rbuild sets, the content of every declared input
// (other actions' outputs: a dependency's .rmeta for a compile, its .rlib
// for a link, a build script's output), the content of every discovered
// input (rustc's dep-info: sources, include!d files; a build script's
// rerun-if-changed paths), the value of every environment variable the
// action read, and the outputs it left. Content means an xxh3 hash; a
// file's size and mtime are only a fast path for reusing the hash recorded
// last time. So touching a file, or reverting an edit, runs nothing.
//
// Because a dependent consumes the *content* of its dependency's output, a
// dependency that re-runs but produces byte-identical output does not make
// its dependents run: exact early cutoff, as Go's build IDs have done for
// years. The interface fingerprint (a crate's observable API, so that a
// private body edit does not cascade) will plug in at the same place: the
// fingerprint a dependent consumes for a .rmeta.
//
// Key types: Hash, Stamp, Hasher (content hashes with the mtime fast path),
// Record (what the log stores per action), Verdict (run or not, and the
// reason, produced at the decision so explanations cannot drift), DepInfo.
//
// It must not touch the build's persistent state: the caller loads and
// stores Records through package log.
package cutoff
