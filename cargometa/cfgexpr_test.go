package cargometa

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func loadCfgs(t testing.TB, name string) []Cfg {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return ParseCfgList(string(data))
}

func TestParseCfgList(t *testing.T) {
	cfgs := loadCfgs(t, "print-cfg.txt")
	if len(cfgs) != 19 {
		t.Fatalf("got %d cfgs, want 19: %v", len(cfgs), cfgs)
	}
	want := map[int]Cfg{
		0:  {Name: "debug_assertions"},
		1:  {Name: "panic", Value: "unwind", HasValue: true},
		2:  {Name: "target_abi", Value: "", HasValue: true},
		3:  {Name: "target_arch", Value: "x86_64", HasValue: true},
		14: {Name: "target_has_atomic", Value: "ptr", HasValue: true},
		18: {Name: "unix"},
	}
	for i, w := range want {
		if cfgs[i] != w {
			t.Errorf("cfgs[%d] = %#v, want %#v", i, cfgs[i], w)
		}
	}
	for _, c := range cfgs {
		if got := ParseCfgList(c.String()); len(got) != 1 || got[0] != c {
			t.Errorf("round trip of %v gave %v", c, got)
		}
	}

	// rustc prints values verbatim (checked with `rustc --print=cfg --cfg 'foo="a\"b\\c"'`),
	// and cargo's --print=cfg output may have CRLF or surrounding blanks in tests.
	got := ParseCfgList("bar=\"x y\"\r\nbaz\r\n\nfoo=\"a\"b\\c\"\n  unix  \nodd=bare\n")
	wantList := []Cfg{
		{Name: "bar", Value: "x y", HasValue: true},
		{Name: "baz"},
		{Name: "foo", Value: `a"b\c`, HasValue: true},
		{Name: "unix"},
		{Name: "odd", Value: "bare", HasValue: true},
	}
	if !reflect.DeepEqual(got, wantList) {
		t.Errorf("got %#v\nwant %#v", got, wantList)
	}
	if got := ParseCfgList(""); len(got) != 0 {
		t.Errorf("empty input gave %v", got)
	}
}

func TestMatchCfg(t *testing.T) {
	linux := loadCfgs(t, "print-cfg.txt")
	windows := loadCfgs(t, "print-cfg-windows-msvc.txt")
	custom := append(ParseCfgList("foo=\"a\"b\\c\"\nmy_flag\n"), Cfg{Name: "nl", Value: "x\ny", HasValue: true})
	tests := []struct {
		expr           string
		linux, windows bool
	}{
		{`cfg(unix)`, true, false},
		{`cfg(windows)`, false, true},
		{`cfg(debug_assertions)`, true, true},
		{`cfg(target_os = "linux")`, true, false},
		{`cfg(target_os="windows")`, false, true},
		{`cfg(target_family = "unix")`, true, false},
		{`cfg(target_arch = "x86_64")`, true, true},
		{`cfg(target_arch = "aarch64")`, false, false},
		{`cfg(target_env = "gnu")`, true, false},
		{`cfg(target_env = "msvc")`, false, true},
		{`cfg(target_abi = "")`, true, true},
		{`cfg(target_pointer_width = "64")`, true, true},
		{`cfg(target_has_atomic = "ptr")`, true, true},
		{`cfg(target_has_atomic = "128")`, false, true},
		{`cfg(target_feature = "sse2")`, true, true},
		{`cfg(target_feature = "sse3")`, false, true},
		{`cfg(target_feature = "avx2")`, false, false},
		{`cfg(panic = "unwind")`, true, true},
		{`cfg(panic = "abort")`, false, false},
		// a name-only predicate does not match a key=value cfg and vice versa
		{`cfg(target_os)`, false, false},
		{`cfg(unix = "")`, false, false},
		{`cfg(Unix)`, false, false},
		{`cfg(all(unix, not(target_os = "windows")))`, true, false},
		{`cfg(all(unix, target_pointer_width = "64", target_endian = "little"))`, true, false},
		{`cfg(any(windows, target_os = "macos", target_os = "ios"))`, false, true},
		{`cfg(any(target_os = "linux", target_os = "android"))`, true, false},
		{`cfg(not(unix))`, false, true},
		{`cfg(not(not(unix)))`, true, false},
		{`cfg(not(any(windows, target_arch = "wasm32")))`, true, false},
		{`cfg(all(any(unix, windows), not(all(target_env = "msvc", target_vendor = "pc"))))`, true, false},
		{`cfg(all())`, true, true},
		{`cfg(any())`, false, false},
		{`cfg(not(all()))`, false, false},
		{`cfg(not(any()))`, true, true},
		{`cfg(all(unix,))`, true, false},
		{`cfg(any(unix, windows,))`, true, true},
		{`cfg(all(any(),))`, false, false},
		{`cfg(true)`, true, true},
		{`cfg(false)`, false, false},
		{`cfg(not(false))`, true, true},
		{`cfg(r#unix)`, true, false},
		{`cfg(r#target_os = "linux")`, true, false},
		{`cfg(r#true)`, false, false}, // a raw `true` is a plain name, not the literal
		{`cfg(feature = "std")`, false, false},
		{` cfg ( all ( unix , target_os = "linux" ) ) `, true, false},
		{"cfg(\n\tall(\n\t\tunix,\n\t\tnot(windows),\n\t)\n)", true, false},
		{`cfg(target_os="linux")`, true, false},
		{`cfg(target_os = "lin\u{75}x")`, true, false},
		{`cfg(target_os = "\x6cinux")`, true, false},
		{`cfg(all(unix,not(windows),any(target_arch="x86_64",target_arch="x86")))`, true, false},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			name string
			cfgs []Cfg
			want bool
		}{{"linux", linux, tt.linux}, {"windows", windows, tt.windows}} {
			got, err := MatchCfg(tt.expr, c.cfgs)
			if err != nil {
				t.Errorf("MatchCfg(%q) on %s: %v", tt.expr, c.name, err)
				continue
			}
			if got != c.want {
				t.Errorf("MatchCfg(%q) on %s = %v, want %v", tt.expr, c.name, got, c.want)
			}
		}
	}

	for expr, want := range map[string]bool{
		`cfg(foo = "a\"b\\c")`:  true,
		`cfg(foo = "a\"b\\c" )`: true,
		`cfg(foo = "a\"b")`:     false,
		`cfg(nl = "x\ny")`:      true,
		`cfg(my_flag)`:          true,
		`cfg(unix)`:             false,
	} {
		if got, err := MatchCfg(expr, custom); err != nil || got != want {
			t.Errorf("MatchCfg(%q) on custom = %v, %v; want %v", expr, got, err, want)
		}
	}
}

func TestMatchCfgErrors(t *testing.T) {
	cfgs := loadCfgs(t, "print-cfg.txt")
	tests := []struct {
		expr, contains string
		pos            int
	}{
		{``, "expected `cfg(...)`, found end of input", 0},
		{`unix`, "expected `cfg(...)`, found identifier `unix`", 0},
		{`all(unix)`, "expected `cfg(...)`", 0},
		{`target_os = "linux"`, "expected `cfg(...)`", 0},
		{`r#cfg(unix)`, "expected `cfg(...)`", 0},
		{`cfg`, "expected `(`, found end of input", 3},
		{`cfg unix`, "expected `(`, found identifier `unix`", 4},
		{`cfg(`, "expected a cfg expression, found end of input", 4},
		{`cfg()`, "expected a cfg expression, found `)`", 4},
		{`cfg(unix`, "expected `)`, found end of input", 8},
		{`cfg(unix))`, "unexpected content `)`", 9},
		{`cfg(unix) extra`, "unexpected content `extra`", 10},
		{`cfg(unix, windows)`, "expected `)`, found `,`", 8},
		{`cfg(unix windows)`, "expected `)`, found identifier `windows`", 9},
		{`cfg(all(unix windows))`, "expected `)`, found identifier `windows`", 13},
		{`cfg(all)`, "expected `(`, found `)`", 7},
		{`cfg(all(,))`, "expected a cfg expression, found `,`", 8},
		{`cfg(all(unix,,))`, "expected a cfg expression, found `,`", 13},
		{`cfg(any(unix)`, "expected `)`, found end of input", 13},
		{`cfg(not())`, "expected a cfg expression, found `)`", 8},
		{`cfg(not(unix, windows))`, "expected `)`, found `,`", 12},
		{`cfg(not(unix,))`, "expected `)`, found `,`", 12},
		{`cfg(not)`, "expected `(`", 7},
		{`cfg(target_os =)`, "expected a string after `target_os =`, found `)`", 15},
		{`cfg(target_os = linux)`, "expected a string after `target_os =`, found identifier `linux`", 16},
		{`cfg(target_os = "linux)`, "unterminated string", 16},
		{`cfg(target_os == "linux")`, "expected a string after `target_os =`, found `=`", 15},
		{`cfg("linux")`, `expected a cfg expression, found string "linux"`, 4},
		{`cfg(= "x")`, "expected a cfg expression, found `=`", 4},
		{`cfg(1unix)`, "unexpected character '1'", 4},
		{`cfg(target-os = "linux")`, "unexpected character '-'", 10},
		{`cfg(unïx)`, "unexpected character 'ï'", 6},
		{`cfg(r#)`, "expected an identifier after `r#`", 4},
		{`cfg(r#1)`, "expected an identifier after `r#`", 4},
		{`cfg(x = "a\q")`, "unknown escape `\\q`", 10},
		{`cfg(x = "\x80")`, "invalid \\x escape", 9},
		{`cfg(x = "\u{d800}")`, "invalid \\u{...} escape", 9},
		{`cfg(x = "\u{}")`, "invalid \\u{...} escape", 9},
		{`cfg(x = "\u1234")`, "invalid \\u{...} escape", 9},
		{`cfg(x = "abc\`, "unterminated string", 8},
		{`cfg(x = r"raw")`, "expected a string after `x =`, found identifier `r`", 8},
	}
	for _, tt := range tests {
		ok, err := MatchCfg(tt.expr, cfgs)
		if err == nil {
			t.Errorf("MatchCfg(%q) = %v, want an error containing %q", tt.expr, ok, tt.contains)
			continue
		}
		if !strings.Contains(err.Error(), tt.contains) || !strings.Contains(err.Error(), "`"+tt.expr+"`") {
			t.Errorf("MatchCfg(%q) error %q does not contain %q and the expression", tt.expr, err, tt.contains)
		}
		var ce *CfgExprError
		if !errors.As(err, &ce) {
			t.Errorf("MatchCfg(%q) error is %T", tt.expr, err)
		} else if ce.Pos != tt.pos {
			t.Errorf("MatchCfg(%q) error pos = %d, want %d (%v)", tt.expr, ce.Pos, tt.pos, err)
		}
	}
}

func BenchmarkMatchCfg(b *testing.B) {
	cfgs := loadCfgs(b, "print-cfg.txt")
	for b.Loop() {
		if ok, err := MatchCfg(`cfg(all(unix, not(target_os = "windows"), any(target_arch = "x86_64", target_arch = "aarch64")))`, cfgs); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
