package cutoff

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// lexed renders tokens as "kind:text" lines for comparison.
func lexed(t *testing.T, src string) []string {
	t.Helper()
	toks, err := LexRust("lib.rs", []byte(src))
	if err != nil {
		t.Fatalf("LexRust(%q): %v", src, err)
	}
	out := make([]string, len(toks))
	for i, tk := range toks {
		out[i] = tk.Kind.String() + ":" + tk.Text
	}
	return out
}

func TestLexRustTokens(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"raw identifiers are identifiers", `r#match r#fn fn`, []string{"ident:r#match", "ident:r#fn", "ident:fn"}},
		{"lifetime next to char", `'a 'a' 'static '_ 'r#fn`, []string{"lifetime:'a", "char:'a'", "lifetime:'static", "lifetime:'_", "lifetime:'r#fn"}},
		{"generic lifetime then char", `<'a>('b')`, []string{"punct:<", "lifetime:'a", "punct:>", "punct:(", "char:'b'", "punct:)"}},
		{"escaped quote char", `'\'' '\\' '"'`, []string{`char:'\''`, `char:'\\'`, `char:'"'`}},
		{"unicode escape char", `'\u{1F600}' '😀' b'x' b'\''`, []string{`char:'\u{1F600}'`, "char:'😀'", "char:b'x'", `char:b'\''`}},
		{"string with escapes", `"a\"b\\" x`, []string{`string:"a\"b\\"`, "ident:x"}},
		{"comment markers inside strings", `"/* not a comment" "// nor this"`, []string{`string:"/* not a comment"`, `string:"// nor this"`}},
		{"raw string with quote-hash inside", `r##"a "# b"## c`, []string{`string:r##"a "# b"##`, "ident:c"}},
		{"raw strings", `r"x\" r#"y"#`, []string{`string:r"x\"`, `string:r#"y"#`}},
		{"byte and c strings", `b"x" br#"y"# c"z" cr"w" b"\"" `, []string{`string:b"x"`, `string:br#"y"#`, `string:c"z"`, `string:cr"w"`, `string:b"\""`}},
		{"literal suffixes", `"x"suf 1u8 1.5f32 0x1F_u16 1e10 1.0e-3_f64 2.`, []string{`string:"x"suf`, "number:1u8", "number:1.5f32", "number:0x1F_u16", "number:1e10", "number:1.0e-3_f64", "number:2."}},
		{"ranges and method calls are not floats", `1..2 1.max(2) 1..=3`, []string{"number:1", "punct:..", "number:2", "number:1", "punct:.", "ident:max", "punct:(", "number:2", "punct:)", "number:1", "punct:..=", "number:3"}},
		{"binary octal underscores", `0b1010_1010 0o777 1_000_000`, []string{"number:0b1010_1010", "number:0o777", "number:1_000_000"}},
		{"tuple index", `x.0.1 y.1`, []string{"ident:x", "punct:.", "number:0", "punct:.", "number:1", "ident:y", "punct:.", "number:1"}},
		{"float after range is a float", `0..1.5`, []string{"number:0", "punct:..", "number:1.5"}},
		{"glued punctuation", `a::b->c=>d!=e..=f<<=g>>=h`, []string{"ident:a", "punct:::", "ident:b", "punct:->", "ident:c", "punct:=>", "ident:d", "punct:!=", "ident:e", "punct:..=", "ident:f", "punct:<<=", "ident:g", "punct:>>=", "ident:h"}},
		{"not-equal vs macro bang", `x!=y m!(z) !a`, []string{"ident:x", "punct:!=", "ident:y", "ident:m", "punct:!", "punct:(", "ident:z", "punct:)", "punct:!", "ident:a"}},
		{"nested block comment", "a /* x /* y */ z */ b", []string{"ident:a", "comment:/* x /* y */ z */", "ident:b"}},
		{"doc comments", "/// outer\n//! inner\n/** block */ /*! iblock */", []string{"outer doc:/// outer", "inner doc://! inner", "outer doc:/** block */", "inner doc:/*! iblock */"}},
		{"plain comments that look like docs", "//// four\n/***/ /**/ /*** x */ //", []string{"comment://// four", "comment:/***/", "comment:/**/", "comment:/*** x */", "comment://"}},
		{"shebang", "#!/usr/bin/env run-cargo-script\nfn main() {}", []string{"comment:#!/usr/bin/env run-cargo-script", "ident:fn", "ident:main", "punct:(", "punct:)", "punct:{", "punct:}"}},
		{"inner attribute is no shebang", "#![allow(x)]", []string{"punct:#", "punct:!", "punct:[", "ident:allow", "punct:(", "ident:x", "punct:)", "punct:]"}},
		{"inner attribute after comment is no shebang", "#! // c\n[x]", []string{"punct:#", "punct:!", "comment:// c", "punct:[", "ident:x", "punct:]"}},
		{"byte order mark", "\uFEFFfn", []string{"ident:fn"}},
		{"unicode identifier", "größe", []string{"ident:größe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lexed(t, tt.src)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("LexRust(%q)\n got %q\nwant %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestLexRustPositions(t *testing.T) {
	toks, err := LexRust("lib.rs", []byte("fn a() {\n\tlet é = \"x\ny\"; z\n}"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{"fn": {1, 1}, "let": {2, 2}, "=": {2, 8}, "z": {3, 5}, "}": {4, 1}}
	for _, tk := range toks {
		if w, ok := want[tk.Text]; ok && (tk.Line != w[0] || tk.Col != w[1]) {
			t.Errorf("%q at %d:%d, want %d:%d", tk.Text, tk.Line, tk.Col, w[0], w[1])
		}
	}
}

func TestLexRustErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unterminated string", "fn a() {}\nlet s = \"abc", "lib.rs:2:9: unterminated string"},
		{"unterminated raw string", "\n\nr##\"abc\"#", "lib.rs:3:1: unterminated raw string"},
		{"unterminated block comment", "a\n/* /* */", "lib.rs:2:1"},
		{"unterminated char", "'\\u{1", "lib.rs:1:1: unterminated character"},
		{"bad raw string delimiter", `r##x"`, "lib.rs:1:1: invalid raw"},
		{"invalid utf-8", "fn \xff", "lib.rs:1:4: invalid UTF-8"},
		{"unknown character", "a € b", "lib.rs:1:3: unknown start of token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LexRust("lib.rs", []byte(tt.src))
			var le *LexError
			if err == nil || !errors.As(err, &le) {
				t.Fatalf("LexRust(%q) = %v, want a *LexError", tt.src, err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("LexRust(%q) = %q, want prefix %q", tt.src, err, tt.want)
			}
		})
	}
}

// FuzzLexRust: no panics, and the tokens are in order, do not overlap and
// are the source text at their offsets.
func FuzzLexRust(f *testing.F) {
	for _, s := range []string{
		"fn main() { println!(\"hi\"); }", `r##"a"# "##`, "'a' 'b '\\'' b'x'", "/* /* */ */ //! x\n/// y",
		"#!/bin/sh\n", "x.0.1 1e 0x 1..2", "br#\"x\"# cr\"y\" c\"z\"", "'", "\"", "r#", "/*", "'\\", "\uFEFF#![a]",
	} {
		f.Add([]byte(s))
	}
	for _, p := range skeletonPairs { // structured seeds, so mutations reach the skeleton's item walker
		f.Add([]byte(p.before))
		f.Add([]byte(p.after))
	}
	if sample, err := os.ReadFile("testdata/skeleton/sample.rs"); err == nil {
		f.Add(sample)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		toks, err := LexRust("fuzz.rs", src)
		if err != nil {
			return
		}
		end := 0
		for _, tk := range toks {
			if tk.Off < end || tk.Off+len(tk.Text) > len(src) || string(src[tk.Off:tk.Off+len(tk.Text)]) != tk.Text || tk.Text == "" {
				t.Fatalf("token %+v out of place (previous end %d)", tk, end)
			}
			if tk.Line < 1 || tk.Col < 1 || !utf8.ValidString(tk.Text) {
				t.Fatalf("token %+v has a bad position or text", tk)
			}
			end = tk.Off + len(tk.Text)
		}
		// The skeleton must not panic either, whatever the tokens.
		_, _ = CrateSkeleton([]SkeletonFile{{Path: "fuzz.rs", Src: src}}, SkeletonOptions{Strict: len(src)%2 == 0})
	})
}
