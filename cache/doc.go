// Package cache is rbuild's per-user artifact cache: compile outputs stored
// by action key, shared by every workspace of a user, and an optional remote
// tier that speaks the Bazel HTTP remote cache protocol.
//
// Layout under the cache root (one version directory, so a format change
// never misreads an old cache):
//
//	v1/lock                 readers (copy-out, publish) take it shared, prune/clear exclusive
//	v1/entries/ab/<key>/    one entry: entry.json plus its files, by name
//	v1/tmp/                 entries being published; renamed into entries/ whole
//	v1/trash/               entries being deleted: renamed here first
//	v1/size                 approximate total bytes, for the automatic trim
//
// The rules come from cargo's discussion of a per-user cache (seed 001):
//   - Lookups take no lock. An entry appears by one rename of a complete
//     directory, so a reader sees all of it or nothing; if it vanishes under
//     a reader, the copy-out fails and the caller builds instead.
//   - Two builds publishing one key both build it; the second rename fails
//     and that builder deletes its copy.
//   - Prune and clear take the lock exclusively, so they never delete an
//     entry while a build copies it out; they rename victims into trash/ and
//     delete them after releasing the lock.
//   - Every file carries its SHA-256; materializing checks it, and a
//     mismatch drops the entry (ErrCorrupt) instead of using it.
//   - Last use is the mtime of entry.json, refreshed at most hourly.
//   - Everything is its owner's alone (directories 0700, files 0600 or
//     0700): entries hold paths, environment values and compiled code.
//
// The local Store, the Remote and Tiered (the store with the remote
// behind it) are each a Tier: Get an entry's files and meta by key, Put
// one. One conformance suite holds all of them to that contract. Tiered is
// what a build uses: a local miss is filled from the remote into a local
// entry (a blob named MetaBlob carries the meta), and what is published
// locally is uploaded in the background, blobs before the action result
// that names them; Wait at the build's end lets the uploads finish. A
// remote is read-only unless opened read-write, sends credentials only as
// given (never from its URL), and never lets a downloaded blob that fails
// its digest into the store (README "Threat model").
//
// What it must not do: decide what may be cached or compute keys. Keys and
// the entry's Meta are the caller's; this package stores and checks bytes.
package cache
