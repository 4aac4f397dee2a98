package cutoff

// The item walker: finds fns and renders every token. It makes no elision
// decision itself (rule 4 excepted, which is its structure). It walks a
// file's tokens into items (fns, impls, traits, mods, extern blocks, macro
// invocations and definitions, and the other items, verbatim), carrying what
// an enclosing item imposes (itemScope), asks whyKeepBody about each fn body
// and hands the tokens to the writer (skeleton_writer.go).

import (
	"fmt"
	"strconv"
)

// itemScope is what an enclosing impl, trait, module or extern block
// imposes on the items inside it.
type itemScope struct {
	generic    string  // every fn here is generic: a trait, an impl with type/const parameters
	keepAll    string  // keep every body here: a non-inert attribute on an enclosing item
	docs       bool    // doc comments here are visible to a macro
	implHeader []Token // the enclosing impl's header, for Self
}

// itemHead is an item's attributes, visibility and qualifiers.
type itemHead struct {
	start    int // first token (first attribute)
	attrs    []attrSpan
	attrsEnd int    // first token after the attributes
	kwAt     int    // the item keyword (fn, impl, …) or the macro path
	nonInert string // the first attribute that is not inert, or ""
	docs     bool   // the item's doc comments are visible to a macro
	isConst  bool
	isAsync  bool // async or gen
}

// attrSpan is one attribute: tokens from..to inclusive; a doc comment is one token.
type attrSpan struct{ from, to int }

// fnFacts is what the elision rules look at for a fn with a body.
type fnFacts struct {
	f          *sourceFile
	head       *itemHead
	scope      *itemScope
	typeParams bool    // a type or const parameter on the fn itself
	sig        []Token // from `fn` up to the body
	bodyOpen   int     // the body's `{`
	bodyClose  int     // the body's `}`
}

func (w *skeletonWriter) file(f *sourceFile) error {
	w.out = append(w.out, "file "...)
	w.out = strconv.AppendQuote(w.out, f.path)
	w.out = append(w.out, '\n')
	return w.items(f, 0, len(f.toks), itemScope{}, true)
}

// items renders the items in [i, end): a file, or the inside of a module,
// impl, trait or extern block, starting with its inner attributes.
func (w *skeletonWriter) items(f *sourceFile, i, end int, sc itemScope, fileTop bool) error {
	inner, i, err := f.attributes(i, end, true)
	if err != nil {
		return err
	}
	if bad := w.facts.firstNonInert(f, inner); bad != "" {
		reason := "inner attribute " + bad
		switch {
		case fileTop && w.crateKeepAll == "":
			w.crateKeepAll = f.path + ": " + reason // this file may be the crate root
		case !fileTop && sc.keepAll == "":
			sc.keepAll = reason
		}
		sc.docs = true
	}
	w.emitAttrs(f, inner, sc.docs, false)
	for i < end {
		if i, err = w.item(f, i, end, sc); err != nil {
			return err
		}
	}
	return nil
}

// item renders the item starting at i and returns the index after it.
func (w *skeletonWriter) item(f *sourceFile, i, end int, sc itemScope) (int, error) {
	h := itemHead{start: i}
	var err error
	if h.attrs, i, err = f.attributes(i, end, false); err != nil {
		return 0, err
	}
	h.attrsEnd = i
	if i >= end {
		if len(h.attrs) > 0 {
			return 0, f.errorf(h.start, "attribute or doc comment without an item")
		}
		return i, nil
	}
	h.nonInert = w.facts.firstNonInert(f, h.attrs)
	h.docs = sc.docs || h.nonInert != ""
	i = f.skipVisibility(i)
	i = f.qualifiers(i, &h)
	h.kwAt = i
	t, next := f.tok(i), f.tok(i+1)
	switch {
	case isKeyword(t, "fn"):
		return w.fnItem(f, h, sc, end)
	case isKeyword(t, "impl"):
		return w.implBlock(f, h, sc, end)
	case isKeyword(t, "trait"):
		return w.traitItem(f, h, sc, end)
	case isKeyword(t, "mod"):
		return w.modItem(f, h, sc, end)
	case isKeyword(t, "extern") && (isPunct(next, "{") || (next.Kind == TokString && f.isPunct(i+2, "{"))):
		return w.externBlock(f, h, sc, end)
	case isKeyword(t, "extern") && isKeyword(next, "crate"),
		isKeyword(t, "use"), isKeyword(t, "type"), isKeyword(t, "static"),
		isKeyword(t, "const") && (next.Kind == TokIdent || isPunct(next, "_")):
		return w.plainItem(f, h, end, false)
	case isKeyword(t, "struct"), isKeyword(t, "enum"), isKeyword(t, "union") && next.Kind == TokIdent:
		return w.plainItem(f, h, end, true)
	case isKeyword(t, "macro") && next.Kind == TokIdent:
		return w.macro2Item(f, h, end)
	case isPunct(t, ";"):
		w.emitItem(f, h, i+1, false)
		return i + 1, nil
	case t.Kind == TokIdent || isPunct(t, "::"):
		return w.macroItem(f, h, end)
	}
	return 0, f.errorf(i, "unexpected %q where an item must start", t.Text)
}

// qualifiers skips fn/impl/trait qualifiers (default, const, async, gen,
// unsafe, safe, auto, extern "ABI") and records const and async.
func (f *sourceFile) qualifiers(i int, h *itemHead) int {
	for {
		t, next := f.tok(i), f.tok(i+1)
		switch {
		case isKeyword(t, "const") && isAnyKeyword(next, "fn", "async", "unsafe", "extern", "safe", "gen"):
			h.isConst = true
		case isKeyword(t, "async") && isAnyKeyword(next, "fn", "unsafe", "extern", "safe", "gen"),
			isKeyword(t, "gen") && isAnyKeyword(next, "fn", "unsafe", "extern", "safe"):
			h.isAsync = true
		case isKeyword(t, "unsafe") && isAnyKeyword(next, "fn", "impl", "trait", "extern", "auto", "mod", "static", "safe"),
			isKeyword(t, "safe") && isAnyKeyword(next, "fn", "static"),
			isKeyword(t, "default") && isAnyKeyword(next, "fn", "const", "async", "unsafe", "extern", "impl", "type", "safe", "gen"),
			isKeyword(t, "auto") && isKeyword(next, "trait"):
		case isKeyword(t, "extern") && next.Kind == TokString && !f.isPunct(i+2, "{"):
			i++ // the ABI string; the block form is an extern block
		case isKeyword(t, "extern") && isAnyKeyword(next, "fn", "unsafe", "safe"):
		default:
			return i
		}
		i++
	}
}

func (w *skeletonWriter) fnItem(f *sourceFile, h itemHead, sc itemScope, end int) (int, error) {
	name := f.tok(h.kwAt + 1)
	if name.Kind != TokIdent {
		return 0, f.errorf(h.kwAt, "fn without a name")
	}
	j := h.kwAt + 2
	typeParams := false
	if f.isPunct(j, "<") {
		close, hasType, err := f.genericParams(j, end)
		if err != nil {
			return 0, err
		}
		typeParams, j = hasType, close+1
	}
	if !f.isPunct(j, "(") {
		return 0, f.errorf(j, "fn %s: expected parameters", name.Text)
	}
	open, err := f.headerEnd(f.partner[j]+1, end)
	if err != nil {
		return 0, err
	}
	if f.isPunct(open, ";") { // no body: a required trait method or a foreign fn
		w.emitItem(f, h, open+1, false)
		return open + 1, nil
	}
	close := f.partner[open]
	fn := &fnFacts{f: f, head: &h, scope: &sc, typeParams: typeParams, sig: f.toks[h.kwAt:open], bodyOpen: open, bodyClose: close}
	reason := w.facts.whyKeepBody(fn)
	pub := false
	for _, t := range f.toks[h.attrsEnd:h.kwAt] {
		pub = pub || (t.Kind == TokIdent && t.Text == "pub")
	}
	w.decisions = append(w.decisions, bodyDecision{Fn: fmt.Sprintf("%s:%d %s", f.path, name.Line, name.Text), Reason: reason,
		body: FnBody{Path: f.path, Line: name.Line, Name: name.Text, Public: pub, Open: f.toks[open].Off, Keep: reason}})
	if reason == "" {
		w.emitItem(f, h, open, false)
		w.out = append(w.out, droppedBody...)
		w.dropped++
		return close + 1, nil
	}
	// Doc comments inside a kept body stay: an attribute macro on a
	// body-local item could read them (more conservative than §4).
	w.emitItem(f, h, open, w.strict)
	w.emitRange(f, open, close+1, true, w.strict)
	w.kept++
	return close + 1, nil
}

func (w *skeletonWriter) implBlock(f *sourceFile, h itemHead, sc itemScope, end int) (int, error) {
	j := h.kwAt + 1
	inner := sc
	if f.isPunct(j, "<") {
		close, hasType, err := f.genericParams(j, end)
		if err != nil {
			return 0, err
		}
		if hasType && inner.generic == "" {
			inner.generic = "method of a generic impl" // rule 1, row 10
		}
		j = close + 1
	}
	open, err := f.headerEnd(j, end)
	if err != nil {
		return 0, err
	}
	if !f.isPunct(open, "{") {
		return 0, f.errorf(open, "impl without a body")
	}
	header := f.toks[h.kwAt:open]
	if hasKeyword(header, "const") && inner.generic == "" {
		inner.generic = "method of a const impl" // `impl const Trait`: its methods are const fns (rule 3)
	}
	return w.container(f, h, inner, open, header)
}

func (w *skeletonWriter) traitItem(f *sourceFile, h itemHead, sc itemScope, end int) (int, error) {
	j := h.kwAt + 2
	if f.isPunct(j, "<") {
		close, _, err := f.genericParams(j, end)
		if err != nil {
			return 0, err
		}
		j = close + 1
	}
	open, err := f.headerEnd(j, end)
	if err != nil {
		return 0, err
	}
	if f.isPunct(open, ";") { // trait alias
		w.emitItem(f, h, open+1, false)
		return open + 1, nil
	}
	inner := sc
	if inner.generic == "" {
		inner.generic = "trait method (default body)" // rule 1, row 10
	}
	return w.container(f, h, inner, open, nil)
}

func (w *skeletonWriter) modItem(f *sourceFile, h itemHead, sc itemScope, end int) (int, error) {
	if f.tok(h.kwAt+1).Kind != TokIdent {
		return 0, f.errorf(h.kwAt, "mod without a name")
	}
	after := h.kwAt + 2
	if f.isPunct(after, ";") {
		// The module's file is rendered on its own, without this attribute:
		// keep every body of the crate (rule 2).
		if h.nonInert != "" && w.crateKeepAll == "" {
			w.crateKeepAll = fmt.Sprintf("%s:%d: attribute %s on a module file", f.path, f.tok(h.kwAt).Line, h.nonInert)
		}
		w.emitItem(f, h, after+1, false)
		return after + 1, nil
	}
	if !f.isPunct(after, "{") {
		return 0, f.errorf(after, "mod: expected `;` or `{`")
	}
	inner := sc
	inner.generic, inner.implHeader = "", nil
	return w.container(f, h, inner, after, nil)
}

func (w *skeletonWriter) externBlock(f *sourceFile, h itemHead, sc itemScope, end int) (int, error) {
	open := h.kwAt + 1
	if !f.isPunct(open, "{") {
		open++
	}
	inner := sc
	if inner.keepAll == "" {
		inner.keepAll = "fn in an extern block" // foreign fns have no bodies
	}
	return w.container(f, h, inner, open, nil)
}

// container renders an impl, trait, module or extern block whose `{` is
// at open, and the items inside it under scope inner.
func (w *skeletonWriter) container(f *sourceFile, h itemHead, inner itemScope, open int, implHeader []Token) (int, error) {
	if h.nonInert != "" && inner.keepAll == "" {
		inner.keepAll = "enclosing item has attribute " + h.nonInert // rule 2
	}
	inner.docs = h.docs
	if implHeader != nil {
		inner.implHeader = implHeader
	}
	close := f.partner[open]
	w.emitItem(f, h, open+1, false)
	if err := w.items(f, open+1, close, inner, false); err != nil {
		return 0, err
	}
	w.emitToken(f.toks[close], false)
	return close + 1, nil
}

// plainItem renders an item without fn bodies of its own (struct, enum,
// union, const, static, type, use, extern crate) verbatim. braceEnds: the
// item ends with its first top-level {…} group (struct, enum, union).
func (w *skeletonWriter) plainItem(f *sourceFile, h itemHead, end int, braceEnds bool) (int, error) {
	after, err := f.itemEnd(h.kwAt+1, end, braceEnds)
	if err != nil {
		return 0, err
	}
	// Fns inside (in a const block, say) have kept bodies: strict mode
	// positions them.
	w.emitItem(f, h, after, w.strict && f.containsFnItem(h.kwAt, after))
	return after, nil
}

// macroItem renders an item-level macro invocation (`m!(…);`, `a::m!{…}`,
// `macro_rules! m {…}`) verbatim, doc comments included: rule 4.
func (w *skeletonWriter) macroItem(f *sourceFile, h itemHead, end int) (int, error) {
	j := h.kwAt
	isDefinition := isKeyword(f.tok(j), "macro_rules")
	if f.isPunct(j, "::") {
		j++
	}
	for {
		if f.tok(j).Kind != TokIdent {
			return 0, f.errorf(j, "unexpected %q where an item must start", f.tok(j).Text)
		}
		j++
		if !f.isPunct(j, "::") {
			break
		}
		j++
	}
	if !f.isPunct(j, "!") {
		return 0, f.errorf(h.kwAt, "unexpected %q where an item must start", f.tok(h.kwAt).Text)
	}
	j++
	if f.tok(j).Kind == TokIdent { // macro_rules! name
		j++
	}
	if !isOpenDelim(f.tok(j)) || j >= end {
		return 0, f.errorf(j, "macro invocation: expected a delimited token tree")
	}
	after := f.partner[j] + 1
	if f.isPunct(after, ";") && after < end {
		after++
	}
	// Strict: fns that the invocation expands to take their spans from it.
	// A macro definition's tokens expand at the call site (row 33).
	pos := w.strict && !isDefinition
	w.emitAttrs(f, h.attrs, h.docs, pos)
	w.emitRange(f, h.attrsEnd, after, true, pos)
	return after, nil
}

// macro2Item renders a `macro name(…) {…}` or `macro name {…}` definition.
func (w *skeletonWriter) macro2Item(f *sourceFile, h itemHead, end int) (int, error) {
	j := h.kwAt + 2
	if f.isPunct(j, "(") {
		j = f.partner[j] + 1
	}
	if !f.isPunct(j, "{") || j >= end {
		return 0, f.errorf(j, "macro: expected `{`")
	}
	after := f.partner[j] + 1
	w.emitAttrs(f, h.attrs, h.docs, false)
	w.emitRange(f, h.attrsEnd, after, true, false)
	return after, nil
}
