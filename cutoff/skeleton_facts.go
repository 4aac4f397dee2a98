package cutoff

// The crate-wide facts the elision rules depend on (rules 3 and 6),
// collected from all files of a crate before any body is judged: which
// allowlisted macro names still mean std's macro, which names a `use`
// item, a macro definition or an extern crate may rebind, where std, core
// or alloc may name something else, and which names may mean f16, f128 or
// an `impl Trait` type.

import (
	"fmt"
	"slices"
)

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
