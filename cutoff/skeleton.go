package cutoff

import (
	"fmt"

	"github.com/zeebo/xxh3"
)

// The skeleton is the part of a crate's interface fingerprint that comes
// from its sources (design.md, "Interface fingerprint"): every token of
// every file, comments and whitespace dropped, except the bodies of fns that
// no dependent can observe, which become a fixed marker. Every signature
// stays, private ones too (rows 18-19: v0 mangling does not encode types), and
// so does every non-fn item, attribute, macro definition and literal.
//
// Which bodies may go is decided in one place, starting at
// crateFacts.whyKeepBody (skeleton_rules.go); the item walker
// (skeleton_items.go) only finds fns and renders tokens. The rules are
// rustc-facts.md §4; "row N" in these files is a row of its §2 table.
// Whenever the structure is not understood (unbalanced delimiters, an
// unknown token where an item must start) the skeleton fails and the caller
// falls back to no cutoff; a body is never dropped on a guess.
//
// What no token-level rule can see, and the caller must cover otherwise:
// a macro or derive from another crate whose expansion defines a
// macro_rules! with a hard-coded allowlisted name (vec, println) or imports
// one; an f16/f128 type reached through an alias defined in another crate
// (so: local crates are fingerprinted exactly when any crate of the build
// opens the f16/f128 feature gate; cmd/rbuild's halfFloatEnabled).
//
// This file holds the entry points (CrateSkeleton, RenderSkeleton,
// FnBodies, and renderCrate behind them). The other files, by stage:
//   - skeleton_tokens.go: a file lexed (rustlex.go), comments dropped,
//     delimiters paired; predicates on tokens;
//   - skeleton_syntax.go: token-level readers of Rust syntax (attributes,
//     visibility, generic parameters, where a header or an item ends);
//   - skeleton_facts.go: the crate-wide facts the rules need, collected
//     from all files before any body is judged;
//   - skeleton_items.go: the item walker (fns, impls, traits, mods, extern
//     blocks, macro items);
//   - skeleton_rules.go: the elision rules, which bodies are interface;
//   - skeleton_writer.go: the normalized rendering that CrateSkeleton hashes.

// SkeletonFile is one Rust source file of a crate.
type SkeletonFile struct {
	Path string // as it is hashed, e.g. "src/lib.rs" (file!() and panic locations embed it)
	Src  []byte
}

// SkeletonOptions selects the span policy (rustc-facts.md §4, "Spans").
type SkeletonOptions struct {
	// Strict renders the line:column of every token of every fn item whose
	// body is kept (and of item-level macro invocations and other items that
	// contain fns), so moving such code changes the hash: sound for panic
	// locations, line!() and debug line tables in dependents (rows 30-32).
	// The default accepts their staleness, as upstream RDR does.
	Strict bool
}

// Skeleton is the hash of a crate's skeleton and how many fn bodies it kept
// and dropped. Only fns the rules judged count: those of modules, impls,
// traits; fns inside macro invocations or inside other bodies are kept
// with their surroundings and not counted.
type Skeleton struct {
	Hash          Hash
	Kept, Dropped int
}

// CrateSkeleton hashes the skeleton of a crate made of files, in the given order.
func CrateSkeleton(files []SkeletonFile, opt SkeletonOptions) (Skeleton, error) {
	w, err := renderCrate(files, opt)
	if err != nil {
		return Skeleton{}, err
	}
	return Skeleton{Hash: Hash(xxh3.Hash128(w.out).Bytes()), Kept: w.kept, Dropped: w.dropped}, nil
}

// RenderSkeleton returns the canonical text that CrateSkeleton hashes:
// tokens separated by a space, or by a newline after `;`, `{`, `}` and line
// doc comments; in strict mode a positioned token is preceded by "@line:col ".
func RenderSkeleton(files []SkeletonFile, opt SkeletonOptions) (string, error) {
	w, err := renderCrate(files, opt)
	if err != nil {
		return "", err
	}
	return string(w.out), nil
}

func renderCrate(files []SkeletonFile, opt SkeletonOptions) (*skeletonWriter, error) {
	parsed := make([]*sourceFile, len(files))
	for i, f := range files {
		sf, err := newSourceFile(f)
		if err != nil {
			return nil, fmt.Errorf("skeleton: %w", err)
		}
		parsed[i] = sf
	}
	facts := collectCrateFacts(parsed)
	for {
		w := &skeletonWriter{facts: facts, strict: opt.Strict, out: []byte(skeletonHeader)}
		for _, f := range parsed {
			if err := w.file(f); err != nil {
				return nil, fmt.Errorf("skeleton: %w", err)
			}
		}
		if w.crateKeepAll == "" || facts.keepAll != "" {
			return w, nil
		}
		// A file showed a crate-wide reason to keep every body after
		// earlier files had dropped some: render the crate again.
		facts.keepAll = w.crateKeepAll
	}
}

// FnBody is one fn body the elision rules judged: where it is, and why the
// crate's interface includes it ("" when the skeleton drops it, so that an
// edit inside it leaves the interface fingerprint unchanged).
type FnBody struct {
	Path   string // as in SkeletonFile.Path
	Line   int    // of the fn's name
	Name   string
	Public bool   // declared with some form of pub
	Open   int    // byte offset of the body's `{`
	Keep   string // the reason the body is kept, or ""
}

// FnBodies lists the fn bodies of a crate in source order, with the
// decision the skeleton takes for each: how `rbuild bench` finds an edit
// that does, or does not, change a crate's interface.
func FnBodies(files []SkeletonFile, opt SkeletonOptions) ([]FnBody, error) {
	w, err := renderCrate(files, opt)
	if err != nil {
		return nil, err
	}
	out := make([]FnBody, len(w.decisions))
	for i, d := range w.decisions {
		out[i] = d.body
	}
	return out, nil
}
