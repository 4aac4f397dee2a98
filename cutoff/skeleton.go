package cutoff

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/zeebo/xxh3"
)

// The skeleton is the part of a crate's interface fingerprint that comes
// from its sources (design.md, "Interface fingerprint"): every token of
// every file, comments and whitespace dropped, except the bodies of fns that
// no dependent can observe, which become a fixed marker. Every signature
// stays, private ones too (rows 18-19: v0 mangling does not encode types), and
// so does every non-fn item, attribute, macro definition and literal.
//
// Which bodies may go is decided in one section, starting at
// crateFacts.whyKeepBody; the item walker after it only finds fns and
// renders tokens. The rules are rustc-facts.md §4; "row N" below is a row of
// its §2 table. Whenever the structure is not understood (unbalanced
// delimiters, an unknown token where an item must start) the skeleton fails
// and the caller falls back to no cutoff; a body is never dropped on a guess.
//
// What no token-level rule can see, and the caller must cover otherwise:
// a macro or derive from another crate whose expansion defines a
// macro_rules! with a hard-coded allowlisted name (vec, println) or imports
// one; an f16/f128 type reached through an alias defined in another crate
// (so: local crates are fingerprinted exactly when any crate of the build
// opens the f16/f128 feature gate; cmd/rbuild's halfFloatEnabled).

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

// skeletonHeader starts every rendering, so a change of these rules never
// makes an old hash match.
const skeletonHeader = "rbuild skeleton v1\n"

// droppedBody replaces a dropped body. `…` cannot occur in Rust source
// outside literals and comments, so no kept body renders like it.
const droppedBody = "{…}\n"

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

// The elision rules (rustc-facts.md §4), all of them from here to the item
// walker: whyKeepBody and the lists it uses, then the crate-wide facts that
// rules 3 and 6 depend on.

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

// crateFacts are what the rules need to know about the whole crate, from
// all its files, before any body is judged.
type crateFacts struct {
	macros        map[string]bool // rule 6: allowlisted names that still mean the std macro here
	shadowedNames map[string]bool // names that a `use` item or a macro definition may rebind
	allowlistGone string          // why no bare macro name can be trusted in this crate, or ""
	stdRenamed    string          // why std::, core::, alloc:: may name another crate anywhere, or ""
	stdShadows    []scopedDecl    // scopes in which std, core or alloc may name a local item
	tainted       map[string]bool // names that may mean f16, f128 or an `impl Trait` type (rule 3)
	keepAll       string          // crate-wide reason to keep every body, or ""
}

// scopedDecl is a declaration's scope: the group (its opening delimiter's
// index, -1 for the file) directly containing it.
type scopedDecl struct {
	f    *sourceFile
	open int
}

// encloses reports whether the scope contains token k of file f.
func (d scopedDecl) encloses(f *sourceFile, k int) bool {
	return d.f == f && (d.open < 0 || (d.open < k && k < f.partner[d.open]))
}

// useItem is the tokens after `use` up to the `;`, and where it is.
type useItem struct {
	scopedDecl
	toks []Token
	// moduleScopes are the groups whose items are in scope at the use
	// item: its own, and the enclosing blocks up to its module's body (or
	// the file, -1).
	moduleScopes []int
}

// typeAlias is `type name = rhs;`, also an associated type.
type typeAlias struct {
	name string
	rhs  []Token
}

func collectCrateFacts(files []*sourceFile) *crateFacts {
	c := &crateFacts{shadowedNames: map[string]bool{}, tainted: setOf("f16", "f128")}
	var uses []useItem
	var aliases []typeAlias
	localDecls := map[string][]scopedDecl{} // mod and enum names, for glob imports
	externNames := map[string]bool{}        // extern crate names and renames
	for _, f := range files {
		var groups []int // open delimiters around token k
		for k, t := range f.toks {
			scope := scopedDecl{f, -1}
			if len(groups) > 0 {
				scope.open = groups[len(groups)-1]
			}
			switch {
			case isOpenDelim(t):
				groups = append(groups, k)
			case isCloseDelim(t) && len(groups) > 0:
				groups = groups[:len(groups)-1]
			case isPunct(t, "!"):
				c.foreignMacroArguments(f, k)
			}
			if t.Kind != TokIdent {
				continue
			}
			next := f.tok(k + 1)
			switch identName(t) {
			case "macro_rules": // rule 6, row 9: a crate-local macro shadows a std name
				if !isPunct(next, "!") {
					break
				}
				if name := f.tok(k + 2); name.Kind == TokIdent {
					c.shadowedNames[identName(name)] = true
				} else {
					c.dropAllowlist(f, k, "macro_rules! with a computed name")
				}
			case "macro":
				if next.Kind == TokIdent {
					c.shadowedNames[identName(next)] = true
				} else if isPunct(next, "$") {
					c.dropAllowlist(f, k, "macro with a computed name")
				}
			case "use":
				if !isPunct(next, "<") { // not precise capturing (impl Trait + use<'a>)
					uses = append(uses, useItem{scope, f.toks[k+1 : f.statementEnd(k+1)], f.moduleScopes(groups)})
				}
			case "extern":
				if isKeyword(next, "crate") {
					c.externCrate(f, k, externNames)
				}
			case "type":
				if a, ok := f.typeAlias(k); ok {
					aliases = append(aliases, a)
				}
			case "include":
				// An included file is hashed raw by the caller (§5), but it
				// may define macros that shadow allowlisted names here.
				if isPunct(next, "!") {
					c.dropAllowlist(f, k, "include! may define macros")
				}
			}
			if next.Kind != TokIdent {
				continue
			}
			if isAnyKeyword(t, "mod", "struct", "enum", "union", "trait", "type") && stdCrates[identName(next)] {
				c.stdShadows = append(c.stdShadows, scope)
			}
			if isAnyKeyword(t, "mod", "enum") {
				localDecls[identName(next)] = append(localDecls[identName(next)], scope)
			}
		}
	}
	c.useItems(uses, localDecls, externNames)
	c.taint(aliases, uses)
	c.macros = map[string]bool{}
	if c.allowlistGone == "" {
		for name := range macroAllowlist {
			if !c.shadowedNames[name] {
				c.macros[name] = true
			}
		}
	}
	return c
}

func (c *crateFacts) dropAllowlist(f *sourceFile, k int, why string) {
	if c.allowlistGone == "" {
		c.allowlistGone = fmt.Sprintf("%s:%d: %s", f.path, f.tok(k).Line, why)
	}
}

// stdPathAt reports whether a path starting with std, core or alloc at
// token k of f names one of those crates: nothing renamed to these names
// for the crate (extern crate x as std) or in an enclosing scope (mod std,
// use x as core).
func (c *crateFacts) stdPathAt(f *sourceFile, k int) bool {
	if c.stdRenamed != "" {
		return false
	}
	for _, d := range c.stdShadows {
		if d.encloses(f, k) {
			return false
		}
	}
	return true
}

// useItems applies rule 6's shadowing to `use` items: a name a use item
// imports is not trusted, and a glob import that may reach another crate
// (first segment other than crate/self/super/std/core/alloc) may import
// any name, so it empties the allowlist.
//
// Two refinements of §4, both sound: a use item whose path starts with
// std, core or alloc imports only those crates' own items, so it shadows
// only what it renames (`as`); and a glob whose first segment is a module
// or enum declared in the same scope of the same file (`use Kind::*`) is
// local: its macros are crate-local, seen by the other rules.
func (c *crateFacts) useItems(uses []useItem, localDecls map[string][]scopedDecl, externNames map[string]bool) {
	leaves := map[string]int{} // names use items import
	for _, u := range uses {
		first := u.firstSegment()
		for i, t := range u.toks {
			if t.Kind != TokIdent {
				continue
			}
			if i+1 == len(u.toks) || isPunct(u.toks[i+1], ",") || isPunct(u.toks[i+1], "}") || isKeyword(u.toks[i+1], "as") {
				leaves[identName(t)]++
			}
			if i > 0 && isKeyword(u.toks[i-1], "as") && stdCrates[identName(t)] && !(first.Kind == TokIdent && stdCrates[first.Text]) {
				c.stdShadows = append(c.stdShadows, u.scopedDecl) // use x as std
			}
		}
	}
	for _, u := range uses {
		first := u.firstSegment()
		at := u.open + 1 // a token inside the scope of the use item
		fromStd := first.Kind == TokIdent && stdCrates[first.Text] && c.stdPathAt(u.f, at)
		for i, t := range u.toks {
			if t.Kind == TokIdent && (!fromStd || (i > 0 && isKeyword(u.toks[i-1], "as"))) {
				c.shadowedNames[identName(t)] = true
			}
		}
		if !hasPunct(u.toks, "*") {
			continue
		}
		name := identName(first)
		switch {
		case isAnyKeyword(first, "crate", "self", "super"), fromStd:
		case isPunct(first, "$") && isKeyword(u.toks[1], "crate"): // $crate in a macro definition
		case first.Kind == TokIdent && !externNames[name] && leaves[name] == 0 && u.declaresLocally(localDecls[name]):
		default:
			if c.allowlistGone == "" {
				c.allowlistGone = "glob import use " + tokenText(u.toks)
			}
		}
	}
}

// firstSegment is the use item's first path token after an optional `::`.
func (u useItem) firstSegment() Token {
	if len(u.toks) > 1 && isPunct(u.toks[0], "::") {
		return u.toks[1]
	}
	if len(u.toks) > 0 {
		return u.toks[0]
	}
	return Token{}
}

// declaresLocally reports whether one of decls is in scope at the use item.
func (u useItem) declaresLocally(decls []scopedDecl) bool {
	for _, d := range decls {
		if d.f == u.f && slices.Contains(u.moduleScopes, d.open) {
			return true
		}
	}
	return false
}

// moduleScopes lists groups, innermost first, up to and including the
// body of the innermost `mod m {…}`, or else ending with the file (-1).
func (f *sourceFile) moduleScopes(groups []int) []int {
	var scopes []int
	for i := len(groups) - 1; i >= 0; i-- {
		g := groups[i]
		scopes = append(scopes, g)
		if f.isPunct(g, "{") && f.tok(g-1).Kind == TokIdent && isKeyword(f.tok(g-2), "mod") {
			return scopes
		}
	}
	return append(scopes, -1)
}

// externCrate handles `extern crate x [as y];` at k: `#[macro_use]` on a
// crate other than std/core/alloc imports all its macros (rule 6), and a
// crate renamed to std/core/alloc puts that name in the extern prelude.
func (c *crateFacts) externCrate(f *sourceFile, k int, externNames map[string]bool) {
	name := f.tok(k + 2)
	externNames[identName(name)] = true
	if as := f.tok(k + 4); isKeyword(f.tok(k+3), "as") {
		externNames[identName(as)] = true
		if stdCrates[identName(as)] && !stdCrates[name.Text] && c.stdRenamed == "" {
			c.stdRenamed = fmt.Sprintf("%s:%d: extern crate %s as %s", f.path, name.Line, name.Text, as.Text)
		}
	}
	if !stdCrates[name.Text] && f.hasMacroUse(k) {
		c.dropAllowlist(f, k, "#[macro_use] extern crate "+name.Text)
	}
}

// hasMacroUse reports whether an attribute of the item at k mentions macro_use.
func (f *sourceFile) hasMacroUse(k int) bool {
	j := k - 1
	if f.isPunct(j, ")") && isKeyword(f.tok(f.partner[j]-1), "pub") {
		j = f.partner[j] - 2
	} else if isKeyword(f.tok(j), "pub") {
		j--
	}
	for j >= 0 {
		switch t := f.tok(j); {
		case isDoc(t):
			j--
		case isPunct(t, "]") && f.isPunct(f.partner[j]-1, "#"):
			for _, a := range f.toks[f.partner[j]:j] {
				if isKeyword(a, "macro_use") {
					return true
				}
			}
			j = f.partner[j] - 2
		default:
			return false
		}
	}
	return false
}

// foreignMacroArguments: a macro that is not std's may define a macro
// whose name it is given (`define!(vec)`), so an allowlisted name written
// in its arguments, other than as an invocation (`vec![…]`) or inside an
// attribute (`#[cfg(test)]` in cfg_if!), is no longer trusted. More
// conservative than §4.
func (c *crateFacts) foreignMacroArguments(f *sourceFile, k int) {
	path, ok := macroPathBefore(f.toks, k)
	if !ok {
		return
	}
	last := path[len(path)-1]
	if last == "macro_rules" || (len(path) == 1 && macroAllowlist[last]) || stdCrates[path[0]] {
		return
	}
	open := k + 1
	if f.tok(open).Kind == TokIdent {
		open++
	}
	if !isOpenDelim(f.tok(open)) {
		return
	}
	for m := open + 1; m < f.partner[open]; m++ {
		t := f.toks[m]
		if isPunct(t, "#") && f.isPunct(m+1, "[") {
			m = f.partner[m+1]
			continue
		}
		if t.Kind == TokIdent && (macroAllowlist[identName(t)] || shadowableInertAttrs[identName(t)]) && !f.isPunct(m+1, "!") {
			c.shadowedNames[identName(t)] = true
		}
	}
}

// typeAlias reads `type name … = rhs;` at k. With generic defaults
// (`type A<T = u8> = …`) rhs starts early: a superset, which is safe.
func (f *sourceFile) typeAlias(k int) (typeAlias, bool) {
	name := f.tok(k + 1)
	if name.Kind != TokIdent {
		return typeAlias{}, false
	}
	end := f.statementEnd(k + 2)
	for j := k + 2; j < end; j++ {
		if f.isPunct(j, "=") {
			return typeAlias{name: identName(name), rhs: f.toks[j+1 : end]}, true
		}
	}
	return typeAlias{}, false
}

// taint closes the tainted set over type aliases (`type H = f16;`, `type
// Fut = impl Future;`) and the names imported or renamed by use items
// that mention a tainted name (`use half::f16 as H;`).
func (c *crateFacts) taint(aliases []typeAlias, uses []useItem) {
	mentions := func(toks []Token) bool {
		for _, t := range toks {
			if t.Kind == TokIdent && (c.tainted[identName(t)] || t.Text == "impl") {
				return true
			}
		}
		return false
	}
	for changed := true; changed; {
		changed = false
		for _, a := range aliases {
			if !c.tainted[a.name] && mentions(a.rhs) {
				c.tainted[a.name], changed = true, true
			}
		}
		for _, u := range uses {
			if !mentions(u.toks) {
				continue
			}
			for i, t := range u.toks { // the imported names: the last segment of each path
				leaf := i+1 == len(u.toks) || isPunct(u.toks[i+1], ",") || isPunct(u.toks[i+1], "}")
				if t.Kind == TokIdent && leaf && !c.tainted[identName(t)] {
					c.tainted[identName(t)], changed = true, true
				}
			}
		}
	}
}

// statementEnd returns the index of the `;` ending the statement or item
// that continues at j, or of the delimiter closing the enclosing group.
func (f *sourceFile) statementEnd(j int) int {
	for k := j; k < len(f.toks); k++ {
		t := f.toks[k]
		switch {
		case isPunct(t, ";"), isCloseDelim(t):
			return k
		case isOpenDelim(t):
			k = f.partner[k]
		}
	}
	return len(f.toks)
}

func hasPunct(toks []Token, text string) bool {
	for _, t := range toks {
		if isPunct(t, text) {
			return true
		}
	}
	return false
}

// The item walker: finds fns and renders every token. It makes no elision
// decision itself (rule 4 excepted, which is its structure).

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

// sourceFile is a lexed file without its plain comments, with each
// delimiter's partner.
type sourceFile struct {
	path    string
	toks    []Token
	partner []int // index of the matching delimiter, -1 for other tokens
}

func newSourceFile(sf SkeletonFile) (*sourceFile, error) {
	all, err := LexRust(sf.Path, sf.Src)
	if err != nil {
		return nil, err
	}
	f := &sourceFile{path: sf.Path, toks: all[:0]} // filtered in place
	for _, t := range all {
		if t.Kind != TokComment {
			f.toks = append(f.toks, t)
		}
	}
	f.partner = make([]int, len(f.toks))
	var open []int
	for i, t := range f.toks {
		f.partner[i] = -1
		if t.Kind != TokPunct {
			continue
		}
		switch t.Text {
		case "(", "[", "{":
			open = append(open, i)
		case ")", "]", "}":
			if len(open) == 0 {
				return nil, f.errorf(i, "unmatched %q", t.Text)
			}
			o := open[len(open)-1]
			open = open[:len(open)-1]
			if closerOf[f.toks[o].Text] != t.Text {
				return nil, f.errorf(i, "%q does not close %q of line %d", t.Text, f.toks[o].Text, f.toks[o].Line)
			}
			f.partner[o], f.partner[i] = i, o
		}
	}
	if len(open) > 0 {
		return nil, f.errorf(open[len(open)-1], "unclosed %q", f.toks[open[len(open)-1]].Text)
	}
	return f, nil
}

var closerOf = map[string]string{"(": ")", "[": "]", "{": "}"}

func (f *sourceFile) errorf(i int, format string, args ...any) error {
	t := f.tok(i)
	if i >= len(f.toks) && len(f.toks) > 0 {
		t = f.toks[len(f.toks)-1]
	}
	return fmt.Errorf("%s:%d:%d: %s", f.path, t.Line, t.Col, fmt.Sprintf(format, args...))
}

// tok returns token i, or a zero Token past either end.
func (f *sourceFile) tok(i int) Token {
	if i < 0 || i >= len(f.toks) {
		return Token{}
	}
	return f.toks[i]
}

func (f *sourceFile) isPunct(i int, text string) bool { return isPunct(f.tok(i), text) }

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

func isPunct(t Token, text string) bool { return t.Kind == TokPunct && t.Text == text }

// isKeyword matches an identifier exactly; a raw identifier (r#fn) is never a keyword.
func isKeyword(t Token, text string) bool { return t.Kind == TokIdent && t.Text == text }

func isAnyKeyword(t Token, texts ...string) bool {
	for _, s := range texts {
		if isKeyword(t, s) {
			return true
		}
	}
	return false
}

func hasKeyword(toks []Token, text string) bool {
	for _, t := range toks {
		if isKeyword(t, text) {
			return true
		}
	}
	return false
}

func isDoc(t Token) bool { return t.Kind == TokOuterDoc || t.Kind == TokInnerDoc }

func isOpenDelim(t Token) bool {
	return t.Kind == TokPunct && (t.Text == "(" || t.Text == "[" || t.Text == "{")
}

func isCloseDelim(t Token) bool {
	return t.Kind == TokPunct && (t.Text == ")" || t.Text == "]" || t.Text == "}")
}

// identName is an identifier without its raw prefix: r#impl names impl.
func identName(t Token) string { return strings.TrimPrefix(t.Text, "r#") }

func tokenText(toks []Token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.Text)
		if b.Len() > 80 {
			b.WriteString(" …")
			break
		}
	}
	return b.String()
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
