package cargometa

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Cfg is one line of `rustc --print=cfg`: `unix` (HasValue=false) or
// `target_os="linux"` (Name="target_os", Value="linux", HasValue=true).
type Cfg struct {
	Name, Value string
	HasValue    bool
}

func (c Cfg) String() string {
	if c.HasValue {
		return c.Name + `="` + c.Value + `"`
	}
	return c.Name
}

// ParseCfgList parses the output of `rustc --print=cfg`, one cfg a line, in
// order. rustc prints values verbatim between the quotes, without escaping
// (`--cfg 'k="a\"b"'` prints `k="a"b"`), so the value is everything between
// the first `="` and the line's last `"`. Blank lines are skipped.
func ParseCfgList(printCfgOutput string) []Cfg {
	var out []Cfg
	for line := range strings.SplitSeq(printCfgOutput, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, rest, ok := strings.Cut(line, "=")
		if !ok {
			out = append(out, Cfg{Name: line})
			continue
		}
		rest = strings.TrimSpace(rest)
		if len(rest) >= 2 && rest[0] == '"' && rest[len(rest)-1] == '"' {
			rest = rest[1 : len(rest)-1]
		}
		out = append(out, Cfg{Name: strings.TrimSpace(name), Value: rest, HasValue: true})
	}
	return out
}

// CfgExprError describes a malformed cfg expression.
type CfgExprError struct {
	Expr string // the whole input
	Pos  int    // byte offset of the problem in Expr
	Msg  string
}

func (e *CfgExprError) Error() string {
	return fmt.Sprintf("invalid cfg expression `%s`: %s (at offset %d)", e.Expr, e.Msg, e.Pos)
}

// MatchCfg parses "cfg(all(unix, not(target_os = \"windows\")))" (the outer
// cfg(...) required) and evaluates it against cfgs.
//
// The grammar is cargo's (cargo-platform): all(...)/any(...) take zero or
// more comma-separated expressions with an optional trailing comma (empty
// all() is true, empty any() is false), not(...) exactly one; a predicate is
// an identifier (ASCII letters, digits, '_'; `r#name` raw identifiers mean
// `name`) optionally followed by `= "string"`; bare `true`/`false` are
// literals. Differences from cargo, which only accepts ' ' as whitespace and
// takes a string's bytes up to the next '"' verbatim: any ASCII whitespace is
// allowed between tokens (also around the outer `cfg`, `(`, `)`), and string
// literals take Rust's escapes (\" \\ \n \r \t \0 \' \xHH \u{H…}). Both only
// matter for inputs cargo would reject or that no real target has.
func MatchCfg(expr string, cfgs []Cfg) (bool, error) {
	e, err := parseCfgKey(expr)
	if err != nil {
		return false, err
	}
	return e.eval(cfgs), nil
}

type cfgOp uint8

const (
	opPred cfgOp = iota
	opAll
	opAny
	opNot
	opTrue
	opFalse
)

type cfgExpr struct {
	op   cfgOp
	pred Cfg
	args []*cfgExpr
}

func (e *cfgExpr) eval(cfgs []Cfg) bool {
	switch e.op {
	case opAll:
		for _, a := range e.args {
			if !a.eval(cfgs) {
				return false
			}
		}
		return true
	case opAny:
		for _, a := range e.args {
			if a.eval(cfgs) {
				return true
			}
		}
		return false
	case opNot:
		return !e.args[0].eval(cfgs)
	case opTrue:
		return true
	case opFalse:
		return false
	}
	for _, c := range cfgs {
		if c == e.pred {
			return true
		}
	}
	return false
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokComma
	tokEquals
	tokIdent
	tokString
)

func (k tokKind) String() string {
	return [...]string{"end of input", "`(`", "`)`", "`,`", "`=`", "an identifier", "a string"}[k]
}

type token struct {
	kind tokKind
	pos  int
	text string // identifier name (without r#) or unescaped string
	raw  bool   // r#ident
}

type cfgParser struct {
	src string
	pos int
	tok token // current (peeked) token
}

func parseCfgKey(src string) (*cfgExpr, error) {
	p := &cfgParser{src: src}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokIdent || p.tok.raw || p.tok.text != "cfg" {
		return nil, p.errf(p.tok.pos, "expected `cfg(...)`, found %s", p.describe())
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	if err := p.eat(tokLParen); err != nil {
		return nil, err
	}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.eat(tokRParen); err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.errf(p.tok.pos, "unexpected content `%s` after the cfg expression", p.src[p.tok.pos:])
	}
	return e, nil
}

func (p *cfgParser) errf(pos int, format string, args ...any) error {
	return &CfgExprError{Expr: p.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *cfgParser) describe() string {
	switch p.tok.kind {
	case tokIdent:
		return "identifier `" + p.tok.text + "`"
	case tokString:
		return "string " + strconv.Quote(p.tok.text)
	}
	return p.tok.kind.String()
}

// eat consumes a token of kind k or fails.
func (p *cfgParser) eat(k tokKind) error {
	if p.tok.kind != k {
		return p.errf(p.tok.pos, "expected %s, found %s", k, p.describe())
	}
	return p.next()
}

func (p *cfgParser) expr() (*cfgExpr, error) {
	if p.tok.kind != tokIdent {
		return nil, p.errf(p.tok.pos, "expected a cfg expression, found %s", p.describe())
	}
	name, raw := p.tok.text, p.tok.raw
	if err := p.next(); err != nil {
		return nil, err
	}
	if !raw {
		switch name {
		case "all", "any":
			e := &cfgExpr{op: opAll}
			if name == "any" {
				e.op = opAny
			}
			if err := p.eat(tokLParen); err != nil {
				return nil, err
			}
			for p.tok.kind != tokRParen {
				a, err := p.expr()
				if err != nil {
					return nil, err
				}
				e.args = append(e.args, a)
				if p.tok.kind != tokComma {
					break
				}
				if err := p.next(); err != nil {
					return nil, err
				}
			}
			if err := p.eat(tokRParen); err != nil {
				return nil, err
			}
			return e, nil
		case "not":
			if err := p.eat(tokLParen); err != nil {
				return nil, err
			}
			a, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.eat(tokRParen); err != nil {
				return nil, err
			}
			return &cfgExpr{op: opNot, args: []*cfgExpr{a}}, nil
		}
	}
	if p.tok.kind == tokEquals {
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.kind != tokString {
			return nil, p.errf(p.tok.pos, "expected a string after `%s =`, found %s", name, p.describe())
		}
		val := p.tok.text
		if err := p.next(); err != nil {
			return nil, err
		}
		return &cfgExpr{op: opPred, pred: Cfg{Name: name, Value: val, HasValue: true}}, nil
	}
	if !raw && name == "true" {
		return &cfgExpr{op: opTrue}, nil
	}
	if !raw && name == "false" {
		return &cfgExpr{op: opFalse}, nil
	}
	return &cfgExpr{op: opPred, pred: Cfg{Name: name}}, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentRest(c byte) bool { return isIdentStart(c) || ('0' <= c && c <= '9') }

// next scans the token at p.pos into p.tok.
func (p *cfgParser) next() error {
	s := p.src
	for p.pos < len(s) {
		switch s[p.pos] {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			p.pos++
			continue
		}
		break
	}
	start := p.pos
	p.tok = token{pos: start}
	if start >= len(s) {
		p.tok.kind = tokEOF
		return nil
	}
	c := s[start]
	switch {
	case c == '(':
		p.tok.kind, p.pos = tokLParen, start+1
	case c == ')':
		p.tok.kind, p.pos = tokRParen, start+1
	case c == ',':
		p.tok.kind, p.pos = tokComma, start+1
	case c == '=':
		p.tok.kind, p.pos = tokEquals, start+1
	case c == '"':
		return p.scanString()
	case isIdentStart(c):
		i := start
		if c == 'r' && i+1 < len(s) && s[i+1] == '#' {
			if i+2 >= len(s) || !isIdentStart(s[i+2]) {
				return p.errf(i, "expected an identifier after `r#`")
			}
			p.tok.raw = true
			i += 2
		}
		j := i
		for j < len(s) && isIdentRest(s[j]) {
			j++
		}
		p.tok.kind, p.tok.text, p.pos = tokIdent, s[i:j], j
	default:
		r, _ := utf8.DecodeRuneInString(s[start:])
		return p.errf(start, "unexpected character %q", r)
	}
	return nil
}

func (p *cfgParser) scanString() error {
	s := p.src
	start := p.pos
	i := start + 1
	// Fast path: no escapes.
	if j := strings.IndexAny(s[i:], "\"\\"); j >= 0 && s[i+j] == '"' {
		p.tok.kind, p.tok.text, p.pos = tokString, s[i:i+j], i+j+1
		return nil
	}
	var b strings.Builder
	for i < len(s) {
		c := s[i]
		switch c {
		case '"':
			p.tok.kind, p.tok.text, p.pos = tokString, b.String(), i+1
			return nil
		case '\\':
			if i+1 >= len(s) {
				return p.errf(start, "unterminated string")
			}
			esc := s[i+1]
			i += 2
			switch esc {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '0':
				b.WriteByte(0)
			case '\\', '"', '\'':
				b.WriteByte(esc)
			case '\n': // line continuation: skip the newline and following whitespace
				for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
					i++
				}
			case 'x':
				if i+2 > len(s) {
					return p.errf(i-2, "invalid \\x escape in string")
				}
				v, err := strconv.ParseUint(s[i:i+2], 16, 8)
				if err != nil || v > 0x7f {
					return p.errf(i-2, "invalid \\x escape in string (must be \\x00 to \\x7f)")
				}
				b.WriteByte(byte(v))
				i += 2
			case 'u':
				end := strings.IndexByte(s[i:], '}')
				if i >= len(s) || s[i] != '{' || end < 2 || end > 7 {
					return p.errf(i-2, "invalid \\u{...} escape in string")
				}
				v, err := strconv.ParseUint(strings.ReplaceAll(s[i+1:i+end], "_", ""), 16, 32)
				if err != nil || v > utf8.MaxRune || (v >= 0xd800 && v <= 0xdfff) {
					return p.errf(i-2, "invalid \\u{...} escape in string")
				}
				b.WriteRune(rune(v))
				i += end + 1
			default:
				return p.errf(i-2, "unknown escape `\\%c` in string", esc)
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return p.errf(start, "unterminated string")
}
