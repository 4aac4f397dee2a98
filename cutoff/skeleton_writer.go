package cutoff

// The writer of the normalized skeleton: skeletonWriter's output, the
// header and the dropped-body marker, and the rendering of attributes and
// tokens in the canonical form RenderSkeleton documents (CrateSkeleton
// hashes it). The item walker (skeleton_items.go) drives it.

import (
	"strconv"
	"strings"
)

// skeletonHeader starts every rendering, so a change of these rules never
// makes an old hash match.
const skeletonHeader = "rbuild skeleton v1\n"

// droppedBody replaces a dropped body. `…` cannot occur in Rust source
// outside literals and comments, so no kept body renders like it.
const droppedBody = "{…}\n"

// skeletonWriter renders a crate's files.
type skeletonWriter struct {
	facts         *crateFacts
	strict        bool
	out           []byte
	kept, dropped int
	// decisions records each body decision, for tests and debugging.
	decisions []bodyDecision
	// crateKeepAll is a crate-wide reason to keep every body found while
	// rendering (a non-inert inner attribute at the top of a file, which
	// may be the crate root; a non-inert attribute on `mod m;`).
	crateKeepAll string
}

type bodyDecision struct {
	Fn     string // file:line name
	Reason string // "" when dropped
	body   FnBody
}

// emitItem renders the item's attributes and its tokens up to end.
func (w *skeletonWriter) emitItem(f *sourceFile, h itemHead, end int, pos bool) {
	w.emitAttrs(f, h.attrs, h.docs, pos)
	w.emitRange(f, h.attrsEnd, end, h.docs, pos)
}

// emitAttrs renders attributes; doc comments only when docs (a macro can
// read them). An attribute's own tokens are all rendered.
func (w *skeletonWriter) emitAttrs(f *sourceFile, attrs []attrSpan, docs, pos bool) {
	for _, a := range attrs {
		if isDoc(f.toks[a.from]) && !docs {
			continue
		}
		for k := a.from; k <= a.to; k++ {
			w.emitToken(f.toks[k], pos)
		}
	}
}

// emitRange renders tokens [from, to). Doc comments are rendered when docs,
// or inside a macro invocation's token tree, which the macro can read.
func (w *skeletonWriter) emitRange(f *sourceFile, from, to int, docs, pos bool) {
	macroEnd := -1
	for k := from; k < to; k++ {
		t := f.toks[k]
		if k > macroEnd && isOpenDelim(t) && f.opensMacroTree(k) {
			macroEnd = f.partner[k]
		}
		if isDoc(t) && !docs && k > macroEnd {
			continue
		}
		w.emitToken(t, pos)
	}
}

func (w *skeletonWriter) emitToken(t Token, pos bool) {
	if pos {
		w.out = append(w.out, '@')
		w.out = strconv.AppendInt(w.out, int64(t.Line), 10)
		w.out = append(w.out, ':')
		w.out = strconv.AppendInt(w.out, int64(t.Col), 10)
		w.out = append(w.out, ' ')
	}
	w.out = append(w.out, t.Text...)
	switch {
	case isDoc(t) && strings.HasPrefix(t.Text, "//"), // a line doc comment runs to the end of the line
		isPunct(t, ";"), isPunct(t, "{"), isPunct(t, "}"):
		w.out = append(w.out, '\n')
	default:
		w.out = append(w.out, ' ')
	}
}
