package cutoff

// The elision rules (rustc-facts.md §4), all of them in this file:
// whyKeepBody, which the item walker asks about every fn body it finds, and
// the lists and attribute, macro and signature checks it uses. The
// crate-wide facts that rules 3 and 6 depend on are in skeleton_facts.go.

import "strings"

// whyKeepBody holds every elision rule. It returns "" when the body of fn
// may be replaced by the marker, else the reason to keep it.
//
// Rule 4 (never drop inside a macro invocation, rows 8 and 9) is structural:
// the item walker treats a macro's token tree as opaque, so no fn written
// there reaches this function. Fns nested in a kept body are kept with it.
func (c *crateFacts) whyKeepBody(fn *fnFacts) string {
	if c.keepAll != "" {
		return c.keepAll
	}
	// Rule 1, rows 10-11: a generic body is instantiated, i.e. compiled, in
	// the dependent. Trait default methods and methods of an impl with a
	// type or const parameter are generic even without parameters of their own.
	if fn.scope.generic != "" {
		return fn.scope.generic
	}
	if fn.typeParams {
		return "type or const parameter"
	}
	// Rule 1 (argument position) and rule 3 (return position, row 23): `impl
	// Trait` makes a fn generic, or leaks the body's hidden type (its size).
	if hasKeyword(fn.sig, "impl") {
		return "impl Trait in the signature"
	}
	// Rule 1 and 3 again, for what a macro in the signature may expand to
	// (an `impl Trait` type, say): more conservative than §4.
	if name := firstMacro(fn.sig, 0, len(fn.sig)); name != "" {
		return "macro " + name + "! in the signature"
	}
	// Rule 2, rows 7-8: #[inline], cfg_attr(…, inline), attribute macros (which
	// may add #[inline] or rewrite the body), on the fn or on an enclosing
	// impl, trait or module (or crate).
	if fn.scope.keepAll != "" {
		return fn.scope.keepAll
	}
	if fn.head.nonInert != "" {
		return "attribute " + fn.head.nonInert
	}
	// Rule 3, row 23: const fns are evaluated in dependents, async fns leak
	// their future's size (gen fns would too).
	if fn.head.isConst {
		return "const fn"
	}
	if fn.head.isAsync {
		return "async fn"
	}
	// Rule 3, row 5: a fn with f16/f128 in its signature is always
	// cross-crate-inlinable. tainted also holds type aliases and `use`
	// renames that reach f16, f128 or `impl Trait` (TAIT), and Self counts
	// when the enclosing impl's header mentions one of them.
	if name := c.taintedMention(fn); name != "" {
		return "signature mentions " + name
	}
	return c.bodyReason(fn.f, fn.bodyOpen, fn.bodyClose)
}

// bodyReason applies rules 5 and 6 to the tokens of a body.
func (c *crateFacts) bodyReason(f *sourceFile, open, close int) string {
	for k := open + 1; k < close; k++ {
		t := f.toks[k]
		switch {
		// Rule 5, rows 20, 23, 25: an item that is not local to the body:
		// impl blocks (also of traits for outside types, and impl
		// disambiguators), macro definitions, extern blocks and crates,
		// modules. r#impl is an identifier, but r#macro_rules may still
		// define a macro.
		case t.Kind == TokIdent && (bodyLeakingKeywords[t.Text] || identName(t) == "macro_rules"):
			return "body contains " + t.Text
		// Rule 5: #[no_mangle]/#[export_name]/#[used]/#[link_section]/
		// #[macro_export] make a body-local item global, and #[derive]
		// writes impls. More conservative than §4: any attribute that is
		// not inert (#[inline], an attribute macro) keeps the body too.
		case isPunct(t, "#"):
			a := k + 1
			if f.isPunct(a, "!") {
				a++
			}
			if !f.isPunct(a, "[") {
				continue
			}
			content := f.toks[a+1 : f.partner[a]]
			inert, leaks := c.judgeAttr(content)
			if leaks || !inert || hasKeyword(content, "derive") {
				return "body contains attribute #[" + tokenText(content) + "]"
			}
		// Rule 6, rows 8-9: a macro that is not known to expand to code
		// that only affects a's own object (a crate-local macro may expand
		// to an impl with #[inline] methods).
		case isPunct(t, "!"):
			if path, ok := macroPathBefore(f.toks, k); ok && !c.macroAllowed(path, f, k) {
				return "body invokes " + strings.Join(path, "::") + "!"
			}
		}
	}
	return ""
}

// bodyLeakingKeywords are rule 5's items that escape a body.
var bodyLeakingKeywords = setOf("impl", "macro_rules", "macro", "extern", "mod")

// macroAllowlist is rule 6's list (§4.6): std macros whose expansion stays
// in the body. `thread_local!` only defines body-local statics (row 26).
var macroAllowlist = setOf(
	"assert", "assert_eq", "assert_ne", "debug_assert", "debug_assert_eq", "debug_assert_ne",
	"panic", "unreachable", "unimplemented", "todo",
	"format", "format_args", "print", "println", "eprint", "eprintln", "write", "writeln",
	"vec", "matches", "cfg", "line", "file", "column", "module_path", "concat", "stringify",
	"env", "option_env", "include_str", "include_bytes", "dbg", "thread_local",
)

var stdCrates = setOf("std", "core", "alloc")

// macroAllowed applies rule 6 to the invocation whose `!` is token k of f,
// path being its segments ("" first for a leading `::`). A bare name must
// still be on the crate's allowlist (not shadowed); a qualified one must
// start with std, core or alloc (optionally `::`) naming the real crate there.
func (c *crateFacts) macroAllowed(path []string, f *sourceFile, k int) bool {
	if len(path) == 1 {
		return c.macros[path[0]]
	}
	if path[0] == "" {
		path = path[1:]
	}
	return len(path) >= 2 && stdCrates[path[0]] && macroAllowlist[path[len(path)-1]] && c.stdPathAt(f, k)
}

// Attributes (rule 2). inertAttrs cannot make a body inlinable or rewrite
// the item they sit on, and no macro can hide behind these names (built-in
// attributes cannot be shadowed). inline is handled apart: only
// #[inline(never)] is inert. cfg_attr is inert when every attribute it
// applies is; unsafe(…) when its content is.
var inertAttrs = setOf(
	"doc", "allow", "warn", "deny", "forbid", "expect", "must_use", "deprecated",
	"cold", "track_caller", "cfg", "no_mangle", "export_name",
	"repr", "non_exhaustive", "path", "macro_use", "macro_export", "automatically_derived",
	"ignore", "should_panic", "link", "link_name",
	// crate-level: they change no fn body's visibility to dependents
	"no_std", "no_implicit_prelude", "feature", "recursion_limit", "type_length_limit",
	"crate_type", "crate_name", "windows_subsystem", "no_main", "no_builtins", "no_core",
	// stability attributes (std and crates built as part of it)
	"stable", "unstable",
)

// shadowableInertAttrs are built-in attribute macros that a crate may
// shadow by importing another macro of the same name (`use tokio::test;`):
// inert only while the crate has no `use` or glob import that could do so.
// #[test] and #[bench] fns are referenced by the harness inside the crate
// only. Builtin derives only add impls whose bodies come from the kept
// type definition, and do not read doc comments.
var shadowableInertAttrs = setOf("test", "bench")

var builtinDerives = setOf("Debug", "Clone", "Copy", "PartialEq", "Eq", "PartialOrd", "Ord", "Hash", "Default")

// toolAttrNamespaces are tool attributes (#[rustfmt::skip], #[clippy::…]):
// reserved namespaces that no macro can use.
var toolAttrNamespaces = setOf("rustfmt", "clippy", "diagnostic", "rust_analyzer")

// leakingAttrs make a body-local item a global symbol (rule 5).
var leakingAttrs = setOf("no_mangle", "export_name", "used", "link_section", "macro_export")

// judgeAttr classifies the content of one #[…] (between the brackets).
func (c *crateFacts) judgeAttr(toks []Token) (inert, leaks bool) {
	if len(toks) == 0 || toks[0].Kind != TokIdent {
		return false, false // #[::path], malformed: not trusted
	}
	name := toks[0].Text // a raw identifier never matches: #[r#inline] is not trusted
	if len(toks) > 1 && isPunct(toks[1], "::") {
		return toolAttrNamespaces[name], false
	}
	args := toks[1:]
	switch name {
	case "inline":
		return len(args) == 3 && isPunct(args[0], "(") && isKeyword(args[1], "never") && isPunct(args[2], ")"), false
	case "cfg_attr":
		parts, ok := splitAttrArgs(args)
		if !ok || len(parts) == 0 {
			return false, false
		}
		inert = true
		for _, p := range parts[1:] {
			if len(p) == 0 {
				continue
			}
			in, lk := c.judgeAttr(p)
			inert, leaks = inert && in, leaks || lk
		}
		return inert, leaks
	case "unsafe":
		parts, ok := splitAttrArgs(args)
		if !ok || len(parts) != 1 {
			return false, false
		}
		return c.judgeAttr(parts[0])
	case "derive":
		parts, ok := splitAttrArgs(args)
		if !ok || c.shadowed("derive") {
			return false, false
		}
		for _, p := range parts {
			if len(p) == 0 {
				continue
			}
			if len(p) != 1 || !builtinDerives[p[0].Text] || c.shadowed(p[0].Text) {
				return false, false
			}
		}
		return true, false
	}
	leaks = leakingAttrs[name]
	inert = inertAttrs[name] || (shadowableInertAttrs[name] && !c.shadowed(name))
	return inert, leaks
}

// firstNonInert returns the first attribute in attrs that is not inert
// (rule 2), as text, or "".
func (c *crateFacts) firstNonInert(f *sourceFile, attrs []attrSpan) string {
	for _, a := range attrs {
		if isDoc(f.toks[a.from]) {
			continue
		}
		open := a.from + 1
		if f.isPunct(open, "!") {
			open++
		}
		content := f.toks[open+1 : a.to]
		if inert, _ := c.judgeAttr(content); !inert {
			return "#[" + tokenText(content) + "]"
		}
	}
	return ""
}

// nonMacroKeywords can stand before a `!` that is a unary not (`if !x`,
// `return !x`, `&mut !x`): they are keywords in every edition, so no macro
// has their name. Edition-dependent keywords (async, await, dyn, try) are
// not listed: `try!` is a 2015 macro.
var nonMacroKeywords = setOf(
	"as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if",
	"impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
	"static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while",
	"abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield",
)

// macroPathBefore returns the path of the macro invoked by the `!` at k
// ("" first for a leading `::`), or false when that `!` is not a macro
// invocation (`!x`, `if !x`, `a != b` is one `!=` token).
func macroPathBefore(toks []Token, k int) ([]string, bool) {
	at := func(i int) Token {
		if i < 0 || i >= len(toks) {
			return Token{}
		}
		return toks[i]
	}
	name := at(k - 1)
	if name.Kind != TokIdent || nonMacroKeywords[name.Text] {
		return nil, false
	}
	s := k - 1
	for isPunct(at(s-1), "::") && at(s-2).Kind == TokIdent {
		s -= 2
	}
	var path []string
	if isPunct(at(s-1), "::") {
		if at(s-2).Kind == TokPunct && (at(s-2).Text == ">" || at(s-2).Text == ">>") {
			return []string{"<…>", name.Text}, true // <T as Tr>::m!: never allowlisted
		}
		path = append(path, "")
	}
	for i := s; i < k; i += 2 {
		path = append(path, toks[i].Text)
	}
	return path, true
}

// firstMacro returns the path of the first macro invoked in toks[from:to], or "".
func firstMacro(toks []Token, from, to int) string {
	for k := from; k < to; k++ {
		if isPunct(toks[k], "!") {
			if path, ok := macroPathBefore(toks, k); ok {
				return strings.Join(path, "::")
			}
		}
	}
	return ""
}

// shadowed reports whether name may not mean the built-in macro of that name.
func (c *crateFacts) shadowed(name string) bool {
	return c.allowlistGone != "" || c.shadowedNames[name]
}

// taintedMention returns a name in fn's signature that may mean f16, f128
// or an `impl Trait` type alias, or "".
func (c *crateFacts) taintedMention(fn *fnFacts) string {
	usesSelf := false
	for _, t := range fn.sig {
		if t.Kind != TokIdent {
			continue
		}
		if c.tainted[identName(t)] {
			return t.Text
		}
		usesSelf = usesSelf || t.Text == "Self" || t.Text == "self"
	}
	if usesSelf {
		for _, t := range fn.scope.implHeader {
			if t.Kind == TokIdent && c.tainted[identName(t)] {
				return "Self (impl of " + t.Text + ")"
			}
		}
	}
	return ""
}
