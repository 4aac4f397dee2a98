// Package log is rbuild's persistent build state, in the spirit of ninja's
// .ninja_log and .ninja_deps: for every action it remembers the state after
// that action's last successful run, so the next build can decide what is
// up to date.
//
// What it owns:
//   - the state directory's "log" file: an append-only sequence of
//     checksummed records (format documented in log.go), compacted by
//     rewriting it (temp file + fsync + rename) when enough of it is dead;
//   - the state directory's "lock" file: an flock-based one-writer lock, so
//     that two rbuild processes never append to the same log; it holds the
//     holder's pid for "waiting for pid N" messages;
//   - recovery: a torn or corrupt tail (kill -9, power loss) is cut off at
//     the last good record; an unrecognisable file is moved aside to
//     "log.corrupt" and the build starts from an empty state with a warning.
//
// What it must not do: interpret payloads. A Record's Payload is opaque
// bytes encoded by the caller (fingerprints, outputs, timings, ...). This
// package never decodes, compares semantically, or versions them; it only
// stores the latest payload per action name and returns it byte for byte.
// Deciding whether an action is dirty is the caller's job.
//
// Key types:
//   - Record: an action name plus its opaque payload.
//   - Log: the open, locked state. Open loads it; Get/Actions read the
//     in-memory index; Put/Invalidate append one record each with a single
//     write(2) (no fsync: a process crash keeps page-cache writes, and a
//     torn tail is repaired on the next Open); Close compacts if worthwhile
//     and releases the lock. Log is safe for concurrent use.
package log
