package cutoff

// Token-level readers of Rust syntax on a sourceFile, used by the item
// walker and the rules: attributes, visibility, generic parameters, where an
// item's header or the item ends, macro token trees, attribute arguments.

// attributes collects the outer (or, with inner, the inner) attributes and
// doc comments starting at i.
func (f *sourceFile) attributes(i, end int, inner bool) ([]attrSpan, int, error) {
	var attrs []attrSpan
	for i < end {
		t := f.tok(i)
		switch {
		case t.Kind == TokInnerDoc && inner, t.Kind == TokOuterDoc && !inner:
			attrs = append(attrs, attrSpan{i, i})
			i++
		case isPunct(t, "#") && f.isPunct(i+1, "!") && f.isPunct(i+2, "["):
			if !inner {
				return nil, 0, f.errorf(i, "inner attribute after items")
			}
			attrs = append(attrs, attrSpan{i, f.partner[i+2]})
			i = f.partner[i+2] + 1
		case isPunct(t, "#") && f.isPunct(i+1, "[") && !inner:
			attrs = append(attrs, attrSpan{i, f.partner[i+1]})
			i = f.partner[i+1] + 1
		case t.Kind == TokInnerDoc:
			return nil, 0, f.errorf(i, "inner doc comment after items")
		default:
			return attrs, i, nil
		}
	}
	return attrs, i, nil
}

// skipVisibility skips `pub`, `pub(crate)`, `pub(self)`, `pub(super)`, `pub(in path)`.
func (f *sourceFile) skipVisibility(i int) int {
	if !isKeyword(f.tok(i), "pub") {
		return i
	}
	if f.isPunct(i+1, "(") && isAnyKeyword(f.tok(i+2), "crate", "self", "super", "in") {
		return f.partner[i+1] + 1
	}
	return i + 1
}

// genericParams reads the parameter list whose `<` is at open, returning
// the index of its closing `>` and whether any parameter is a type or
// const parameter (one not starting with a lifetime, attributes skipped).
func (f *sourceFile) genericParams(open, end int) (int, bool, error) {
	depth, paramStart, hasType := 0, false, false
	for k := open; k < end; k++ {
		t := f.toks[k]
		if depth == 1 && paramStart {
			if isPunct(t, "#") && f.isPunct(k+1, "[") {
				k = f.partner[k+1]
				continue
			}
			paramStart = false
			if t.Kind != TokLifetime && !isPunct(t, ">") {
				hasType = true
			}
		}
		if isOpenDelim(t) {
			k = f.partner[k]
			continue
		}
		if depth == 1 && isPunct(t, ",") {
			paramStart = true
		}
		depth += angleDelta(t)
		switch {
		case depth < 0:
			return 0, false, f.errorf(k, "unbalanced %q in generic parameters", t.Text)
		case depth == 0:
			return k, hasType, nil
		case k == open:
			paramStart = true
		}
	}
	return 0, false, f.errorf(open, "unclosed generic parameters")
}

// headerEnd returns the index of the `{` or `;` that ends an fn, impl or
// trait header starting at j: the first at angle-bracket depth 0; other
// groups (parameters, array lengths, const arguments) are skipped.
func (f *sourceFile) headerEnd(j, end int) (int, error) {
	depth := 0
	for k := j; k < end; k++ {
		t := f.toks[k]
		switch {
		case depth == 0 && (isPunct(t, "{") || isPunct(t, ";")):
			return k, nil
		case isOpenDelim(t):
			k = f.partner[k]
		default:
			if depth += angleDelta(t); depth < 0 {
				return 0, f.errorf(k, "unbalanced %q", t.Text)
			}
		}
	}
	return 0, f.errorf(j, "expected `{` or `;`")
}

// itemEnd returns the index after the item whose tail starts at j: after
// the first `;` at depth 0 or, when braceEnds, the first top-level {…}
// group (angle brackets counted, so `S<{ N }>` is no body).
func (f *sourceFile) itemEnd(j, end int, braceEnds bool) (int, error) {
	depth := 0
	for k := j; k < end; k++ {
		t := f.toks[k]
		switch {
		case depth == 0 && isPunct(t, ";"):
			return k + 1, nil
		case depth == 0 && braceEnds && isPunct(t, "{"):
			return f.partner[k] + 1, nil
		case isOpenDelim(t):
			k = f.partner[k]
		case braceEnds:
			if depth += angleDelta(t); depth < 0 {
				return 0, f.errorf(k, "unbalanced %q", t.Text)
			}
		}
	}
	return 0, f.errorf(j, "item without an end")
}

// containsFnItem reports whether [from, to) contains `fn name`.
func (f *sourceFile) containsFnItem(from, to int) bool {
	for k := from; k+1 < to; k++ {
		if isKeyword(f.toks[k], "fn") && f.toks[k+1].Kind == TokIdent {
			return true
		}
	}
	return false
}

// opensMacroTree reports whether the delimiter at k opens a macro's token
// tree: `m!(`, `macro_rules! m {`, `macro m(…) {`.
func (f *sourceFile) opensMacroTree(k int) bool {
	prev := f.tok(k - 1)
	switch {
	case isPunct(prev, "!"):
		return true
	case prev.Kind == TokIdent:
		return f.isPunct(k-2, "!") || isKeyword(f.tok(k-2), "macro")
	case isPunct(prev, ")"):
		o := f.partner[k-1]
		return f.tok(o-1).Kind == TokIdent && isKeyword(f.tok(o-2), "macro")
	}
	return false
}

// angleDelta is how a token changes the angle-bracket depth of a type.
func angleDelta(t Token) int {
	if t.Kind != TokPunct {
		return 0
	}
	switch t.Text {
	case "<", "<=":
		return 1
	case "<<", "<<=":
		return 2
	case ">", ">=":
		return -1
	case ">>", ">>=":
		return -2
	}
	return 0
}

// splitAttrArgs splits `( a , b(c, d) , e )` into [a] [b(c, d)] [e].
func splitAttrArgs(args []Token) ([][]Token, bool) {
	if len(args) < 2 || !isPunct(args[0], "(") || !isPunct(args[len(args)-1], ")") {
		return nil, false
	}
	inner := args[1 : len(args)-1]
	var parts [][]Token
	depth, start := 0, 0
	for k, t := range inner {
		switch {
		case isOpenDelim(t):
			depth++
		case isCloseDelim(t):
			depth--
		case depth == 0 && isPunct(t, ","):
			parts = append(parts, inner[start:k])
			start = k + 1
		}
	}
	if depth != 0 {
		return nil, false
	}
	return append(parts, inner[start:]), true
}
