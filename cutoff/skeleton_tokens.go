package cutoff

// The token stream the skeleton works on: a file lexed by LexRust
// (rustlex.go) with its plain comments dropped and each delimiter paired
// with its partner (sourceFile), and the predicates on tokens that every
// stage uses.

import (
	"fmt"
	"strings"
)

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

func hasPunct(toks []Token, text string) bool {
	for _, t := range toks {
		if isPunct(t, text) {
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
