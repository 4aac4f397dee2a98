package cutoff

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is a Rust lexer, written after rustc_lexer (rustc 1.95) so that
// token boundaries agree with rustc's: the skeleton (skeleton.go) decides
// what a dependent can observe from tokens, and a wrong boundary (a `"` taken
// for the start of a string, a lifetime taken for a char) would shift every
// later decision. Unlike rustc_lexer it glues multi-character operators
// (`::`, `->`, `!=`, `..=`, `>>=`) into one token, like rustc's parser does,
// and it lexes the `0` of `x.0.1` as a tuple index, not as the float `0.1`.

// TokenKind classifies a Rust token.
type TokenKind uint8

const (
	TokIdent    TokenKind = iota + 1 // identifier or keyword; a raw identifier keeps its `r#`
	TokLifetime                      // 'a, 'static, '_, 'r#a
	TokChar                          // 'x', '\'', b'x' (suffix included)
	TokString                        // "…", b"…", c"…", r#"…"#, br"…", cr"…" (suffix included)
	TokNumber                        // 1, 0x1F_u8, 1.5e-3f64, 1. (suffix included)
	TokPunct                         // ; , ( ) … and glued operators such as :: -> => != ..= <<=
	TokComment                       // plain line or block comment, and a leading shebang line
	TokOuterDoc                      // /// and /** */: an outer #[doc] attribute
	TokInnerDoc                      // //! and /*! */: an inner #![doc] attribute
)

var tokenKindNames = [...]string{"invalid", "ident", "lifetime", "char", "string", "number", "punct", "comment", "outer doc", "inner doc"}

func (k TokenKind) String() string {
	if int(k) < len(tokenKindNames) {
		return tokenKindNames[k]
	}
	return fmt.Sprintf("TokenKind(%d)", k)
}

// Token is one lexeme of a Rust source file. Text is exactly as written
// (a line comment's text stops before the newline).
type Token struct {
	Kind TokenKind
	Text string
	Off  int // byte offset in the file
	Line int // 1-based
	Col  int // 1-based, counting Unicode scalar values as rustc's spans do
}

// LexError is a source file rustc would not lex either.
type LexError struct {
	Path      string
	Line, Col int
	Msg       string
}

func (e *LexError) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg) }

// LexRust splits a Rust source file into tokens, comments included.
// path only names the file in errors.
func LexRust(path string, src []byte) ([]Token, error) {
	// About one token per 5 bytes of real Rust: one allocation, mostly.
	l := &rustLexer{path: path, src: string(src), line: 1, col: 1, toks: make([]Token, 0, len(src)/5+16)}
	if err := l.run(); err != nil {
		return nil, err
	}
	return l.toks, nil
}

type rustLexer struct {
	path string
	src  string
	pos  int
	line int
	col  int
	toks []Token
	// Where the token being lexed starts.
	start, startLine, startCol int
	// afterDot: the last non-comment token was `.`, so a number is a tuple index.
	afterDot bool
}

func (l *rustLexer) run() error {
	if !utf8.ValidString(l.src) {
		bad := 0
		for bad < len(l.src) {
			r, w := utf8.DecodeRuneInString(l.src[bad:])
			if r == utf8.RuneError && w == 1 {
				break
			}
			bad += w
		}
		l.advance(bad)
		return l.errorf("invalid UTF-8")
	}
	if strings.HasPrefix(l.src, "\uFEFF") {
		l.pos = len("\uFEFF") // a byte order mark is not part of the first line's columns
	}
	if l.atShebang() {
		l.begin()
		l.advance(lineEnd(l.src, l.pos) - l.pos)
		l.emit(TokComment)
	}
	for l.pos < len(l.src) {
		if err := l.next(); err != nil {
			return err
		}
	}
	return nil
}

// atShebang reports whether the file starts with a `#!` line that is not an
// inner attribute: like rustc, `#!` counts as an attribute only when the next
// token other than whitespace and plain comments is `[`.
func (l *rustLexer) atShebang() bool {
	if !strings.HasPrefix(l.src[l.pos:], "#!") {
		return false
	}
	k := l.pos + 2
	for k < len(l.src) {
		r, w := utf8.DecodeRuneInString(l.src[k:])
		switch {
		case isRustWhitespace(r):
			k += w
		case strings.HasPrefix(l.src[k:], "//") && commentKind(l.src[k:]) == TokComment:
			k = lineEnd(l.src, k)
		case strings.HasPrefix(l.src[k:], "/*") && commentKind(l.src[k:]) == TokComment:
			end, ok := blockCommentEnd(l.src, k)
			if !ok {
				return true
			}
			k = end
		default:
			return l.src[k] != '['
		}
	}
	return true
}

func (l *rustLexer) next() error {
	l.begin()
	c := l.src[l.pos]
	r, w := rune(c), 1
	if c >= utf8.RuneSelf {
		r, w = utf8.DecodeRuneInString(l.src[l.pos:])
	}
	switch {
	case isRustWhitespace(r):
		l.advance(w)
		return nil
	case c == '/' && l.peek(1) == '/':
		l.advance(lineEnd(l.src, l.pos) - l.pos)
		l.emit(commentKind(l.src[l.start:]))
		return nil
	case c == '/' && l.peek(1) == '*':
		end, ok := blockCommentEnd(l.src, l.pos)
		if !ok {
			return l.errorf("unterminated block comment")
		}
		l.advance(end - l.pos)
		l.emit(commentKind(l.src[l.start:]))
		return nil
	case c == '\'':
		return l.lifetimeOrChar()
	case c == '"':
		return l.quotedString(0)
	case c >= '0' && c <= '9':
		l.number()
		return nil
	case isIdentStart(r):
		return l.identOrPrefixedLiteral()
	default:
		return l.punct()
	}
}

// lifetimeOrChar follows rustc_lexer: after `'`, an identifier that is not
// closed by `'` right after its first character is a lifetime ('a, 'static),
// otherwise it is a char literal: 'a', an escaped quote, '\u{1F600}'.
func (l *rustLexer) lifetimeOrChar() error {
	first, w := l.runeAt(l.pos + 1)
	second := l.peek(1 + w)
	if second != '\'' && (isIdentStart(first) || (first >= '0' && first <= '9')) {
		if first == 'r' && second == '#' {
			if third, _ := l.runeAt(l.pos + 3); isIdentStart(third) {
				l.advance(3)
				l.eatIdentContinue()
				l.emit(TokLifetime)
				return nil
			}
		}
		l.advance(1 + w)
		l.eatIdentContinue()
		if l.peek(0) == '\'' { // 'ab' is a (bad) char literal, as for rustc
			l.advance(1)
			l.eatSuffix()
			l.emit(TokChar)
			return nil
		}
		l.emit(TokLifetime)
		return nil
	}
	return l.singleQuoted(1)
}

// singleQuoted lexes a char or byte char literal whose opening quote ends
// prefixLen bytes after the token start (1 for 'x', 2 for b'x').
func (l *rustLexer) singleQuoted(prefixLen int) error {
	l.advance(prefixLen)
	first, w := l.runeAt(l.pos)
	if first != '\\' && w > 0 && l.peek(w) == '\'' { // also ''' (rustc's rule)
		l.advance(w + 1)
		l.eatSuffix()
		l.emit(TokChar)
		return nil
	}
	for {
		r, w := l.runeAt(l.pos)
		switch {
		case w == 0 || r == '/' || (r == '\n' && l.peek(1) != '\''):
			return l.errorAtStart("unterminated character literal")
		case r == '\'':
			l.advance(1)
			l.eatSuffix()
			l.emit(TokChar)
			return nil
		case r == '\\':
			l.advance(1)
			if _, w2 := l.runeAt(l.pos); w2 > 0 {
				l.advance(w2)
			}
		default:
			l.advance(w)
		}
	}
}

// quotedString lexes "…", whose opening quote is prefixLen bytes after the
// token start (b"…", c"…").
func (l *rustLexer) quotedString(prefixLen int) error {
	k := l.pos + prefixLen + 1
	for k < len(l.src) && l.src[k] != '"' {
		if l.src[k] == '\\' {
			k++ // the escaped byte cannot end the string; later bytes of a multi-byte rune never match
		}
		k++
	}
	if k >= len(l.src) {
		return l.errorAtStart("unterminated string literal")
	}
	l.advance(k + 1 - l.pos)
	l.eatSuffix()
	l.emit(TokString)
	return nil
}

// rawString lexes r"…", r#"…"# (any number of #) whose `r` is at l.pos+prefixLen.
func (l *rustLexer) rawString(prefixLen int) error {
	k := l.pos + prefixLen + 1
	hashes := 0
	for k < len(l.src) && l.src[k] == '#' {
		hashes++
		k++
	}
	if k >= len(l.src) || l.src[k] != '"' {
		return l.errorAtStart("invalid raw string: only `#` may come between `r` and `\"`")
	}
	closing := "\"" + strings.Repeat("#", hashes)
	i := strings.Index(l.src[k+1:], closing)
	if i < 0 {
		return l.errorAtStart("unterminated raw string")
	}
	l.advance(k + 1 + i + len(closing) - l.pos)
	l.eatSuffix()
	l.emit(TokString)
	return nil
}

// isRawStringStart reports whether src[k] (just after an `r`) begins the
// `#…#"` or `"` of a raw string.
func (l *rustLexer) isRawStringStart(k int) bool {
	for k < len(l.src) && l.src[k] == '#' {
		k++
	}
	return k < len(l.src) && l.src[k] == '"'
}

func (l *rustLexer) identOrPrefixedLiteral() error {
	switch l.peek(0) {
	case 'r':
		if l.peek(1) == '"' || (l.peek(1) == '#' && l.isRawStringStart(l.pos+1)) {
			return l.rawString(0)
		}
		if l.peek(1) == '#' {
			if r, _ := l.runeAt(l.pos + 2); isIdentStart(r) {
				l.advance(2) // raw identifier r#match: an identifier, never a keyword
				l.eatIdentContinue()
				l.emit(TokIdent)
				return nil
			}
			return l.errorAtStart("invalid raw identifier or raw string")
		}
	case 'b':
		switch {
		case l.peek(1) == '"':
			return l.quotedString(1)
		case l.peek(1) == '\'':
			return l.singleQuoted(2)
		case l.peek(1) == 'r' && (l.peek(2) == '"' || l.peek(2) == '#'):
			return l.rawString(1)
		}
	case 'c':
		switch {
		case l.peek(1) == '"':
			return l.quotedString(1)
		case l.peek(1) == 'r' && (l.peek(2) == '"' || l.peek(2) == '#'):
			return l.rawString(1)
		}
	}
	l.eatIdentContinue()
	l.emit(TokIdent)
	return nil
}

// number follows rustc_lexer's number(): a base prefix, digits, then a
// fraction only if `.` is not followed by `.` or an identifier (`1..2`,
// `1.max(2)`), an exponent, and a suffix. After a `.` token it lexes a
// tuple index: digits and suffix only, so `x.0.1` is x . 0 . 1.
func (l *rustLexer) number() {
	if l.afterDot {
		l.eatDigits(isDecimalDigit)
		l.eatSuffix()
		l.emit(TokNumber)
		return
	}
	first := l.peek(0)
	l.advance(1)
	if first == '0' {
		switch l.peek(0) {
		case 'b', 'o':
			l.advance(1)
			l.eatDigits(isDecimalDigit)
		case 'x':
			l.advance(1)
			l.eatDigits(isHexDigit)
		default:
			l.eatDigits(isDecimalDigit)
		}
	} else {
		l.eatDigits(isDecimalDigit)
	}
	switch c := l.peek(0); {
	case c == '.' && l.peek(1) != '.' && !l.identStartAt(l.pos+1):
		l.advance(1)
		if d := l.peek(0); d >= '0' && d <= '9' {
			l.eatDigits(isDecimalDigit)
			if e := l.peek(0); e == 'e' || e == 'E' {
				l.advance(1)
				l.eatExponent()
			}
		}
	case c == 'e' || c == 'E':
		l.advance(1)
		l.eatExponent()
	}
	l.eatSuffix()
	l.emit(TokNumber)
}

func (l *rustLexer) eatExponent() {
	if c := l.peek(0); c == '+' || c == '-' {
		l.advance(1)
	}
	l.eatDigits(isDecimalDigit)
}

func (l *rustLexer) eatDigits(digit func(byte) bool) {
	for l.pos < len(l.src) && (l.src[l.pos] == '_' || digit(l.src[l.pos])) {
		l.advance(1)
	}
}

const singlePunct = ";,.(){}[]@#~?:$=!<>-&|+*/^%"

// gluedLen is the length of the operator at the start of s, gluing what
// rustc's parser glues: .. ... ..= :: -> => == != <= >= << >> <<= >>=
// && || and the compound assignments += -= *= /= %= ^= &= |=.
func gluedLen(s string) int {
	var next, third byte
	if len(s) > 1 {
		next = s[1]
	}
	if len(s) > 2 {
		third = s[2]
	}
	switch s[0] {
	case '.':
		if next == '.' {
			if third == '.' || third == '=' {
				return 3
			}
			return 2
		}
	case '<', '>':
		if next == s[0] {
			if third == '=' {
				return 3
			}
			return 2
		}
		if next == '=' {
			return 2
		}
	case ':':
		if next == ':' {
			return 2
		}
	case '-', '=':
		if next == '>' || next == '=' {
			return 2
		}
	case '&', '|':
		if next == s[0] || next == '=' {
			return 2
		}
	case '!', '+', '*', '/', '%', '^':
		if next == '=' {
			return 2
		}
	}
	return 1
}

func (l *rustLexer) punct() error {
	rest := l.src[l.pos:]
	if strings.IndexByte(singlePunct, rest[0]) < 0 {
		r, _ := utf8.DecodeRuneInString(rest)
		return l.errorf("unknown start of token %q", r)
	}
	l.advance(gluedLen(rest))
	l.emit(TokPunct)
	return nil
}

func (l *rustLexer) begin() { l.start, l.startLine, l.startCol = l.pos, l.line, l.col }

func (l *rustLexer) emit(kind TokenKind) {
	l.toks = append(l.toks, Token{Kind: kind, Text: l.src[l.start:l.pos], Off: l.start, Line: l.startLine, Col: l.startCol})
	switch kind {
	case TokComment, TokOuterDoc, TokInnerDoc:
	default:
		l.afterDot = kind == TokPunct && l.src[l.start:l.pos] == "."
	}
}

// advance moves n bytes on (never into the middle of a rune), keeping line
// and column: a column counts runes, i.e. bytes that are not continuation bytes.
func (l *rustLexer) advance(n int) {
	end := min(l.pos+n, len(l.src))
	for i := l.pos; i < end; i++ {
		switch b := l.src[i]; {
		case b == '\n':
			l.line++
			l.col = 1
		case b&0xC0 != 0x80:
			l.col++
		}
	}
	l.pos = end
}

func (l *rustLexer) peek(k int) byte {
	if l.pos+k < len(l.src) {
		return l.src[l.pos+k]
	}
	return 0
}

// runeAt decodes the rune at byte offset k; width 0 means end of input.
func (l *rustLexer) runeAt(k int) (rune, int) {
	if k >= len(l.src) {
		return 0, 0
	}
	if c := l.src[k]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(l.src[k:])
}

func (l *rustLexer) identStartAt(k int) bool {
	r, w := l.runeAt(k)
	return w > 0 && isIdentStart(r)
}

func (l *rustLexer) eatIdentContinue() {
	for {
		r, w := l.runeAt(l.pos)
		if w == 0 || !isIdentContinue(r) {
			return
		}
		l.advance(w)
	}
}

// eatSuffix eats a literal suffix (1u8, 1.0f64, "…"suffix), as rustc_lexer does.
func (l *rustLexer) eatSuffix() {
	if l.identStartAt(l.pos) {
		l.eatIdentContinue()
	}
}

func (l *rustLexer) errorf(format string, args ...any) error {
	return &LexError{Path: l.path, Line: l.line, Col: l.col, Msg: fmt.Sprintf(format, args...)}
}

// errorAtStart reports an unterminated token where it starts, which is
// where a reader looks for the missing quote.
func (l *rustLexer) errorAtStart(msg string) error {
	return &LexError{Path: l.path, Line: l.startLine, Col: l.startCol, Msg: msg}
}

// commentKind classifies a comment starting at s[0]: `///` and `//!` are
// doc comments but `////` is not; `/**` and `/*!` are, but `/***` and
// `/**/` are not (rustc_lexer's rules).
func commentKind(s string) TokenKind {
	if len(s) < 3 {
		return TokComment
	}
	var fourth byte
	if len(s) > 3 {
		fourth = s[3]
	}
	switch {
	case s[2] == '!':
		return TokInnerDoc
	case s[1] == '/' && s[2] == '/' && fourth != '/':
		return TokOuterDoc
	case s[1] == '*' && s[2] == '*' && fourth != '*' && fourth != '/':
		return TokOuterDoc
	}
	return TokComment
}

// blockCommentEnd returns the offset just past the block comment starting
// at s[k] ("/*"), honouring nesting.
func blockCommentEnd(s string, k int) (int, bool) {
	depth := 0
	for i := k; i+1 < len(s); {
		switch {
		case s[i] == '/' && s[i+1] == '*':
			depth++
			i += 2
		case s[i] == '*' && s[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				return i, true
			}
		default:
			i++
		}
	}
	return len(s), false
}

func lineEnd(s string, k int) int {
	if i := strings.IndexByte(s[k:], '\n'); i >= 0 {
		return k + i
	}
	return len(s)
}

// isRustWhitespace is rustc_lexer's is_whitespace (Pattern_White_Space).
func isRustWhitespace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u200E', '\u200F', '\u2028', '\u2029':
		return true
	}
	return false
}

func isIdentStart(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
	}
	return unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_ID_Start, r)
}

func isIdentContinue(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
	}
	return isIdentStart(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc, unicode.Other_ID_Continue)
}

func isDecimalDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDecimalDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
