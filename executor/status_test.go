package executor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// statusTestWriter is a bytes.Buffer that records each Write separately.
type statusTestWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes []string
}

func (b *statusTestWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes = append(b.writes, string(p))
	return b.buf.Write(p)
}

func (b *statusTestWriter) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestStatusNotSmart(t *testing.T) {
	var out statusTestWriter
	s := NewStatus(&out, false, false)
	s.Total(3)
	s.Started("foo")
	s.Started("bar")
	s.Verb("Compiling", "foo v1.0.0 (/src/foo)")
	s.Finished("foo")
	s.Line("some output")
	s.Line("already terminated\n")
	s.Verb("warning", "unused variable")
	s.Verb("error", "could not compile `bar`")
	s.Finished("bar")
	s.Done()
	want := "   Compiling foo v1.0.0 (/src/foo)\n" +
		"some output\n" +
		"already terminated\n" +
		"warning: unused variable\n" +
		"error: could not compile `bar`\n"
	if got := out.String(); got != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}

func TestStatusVerbAlignment(t *testing.T) {
	tests := []struct {
		verb, text, plain, color string
	}{
		{"Compiling", "foo", "   Compiling foo\n", "\x1b[1m\x1b[92m   Compiling\x1b[0m foo\n"},
		{"Finished", "`dev` profile [unoptimized + debuginfo] target(s) in 0.17s",
			"    Finished `dev` profile [unoptimized + debuginfo] target(s) in 0.17s\n",
			"\x1b[1m\x1b[92m    Finished\x1b[0m `dev` profile [unoptimized + debuginfo] target(s) in 0.17s\n"},
		{"Running", "`rustc`", "     Running `rustc`\n", "\x1b[1m\x1b[92m     Running\x1b[0m `rustc`\n"},
		{"Fresh", "a v0.1.0", "       Fresh a v0.1.0\n", "\x1b[1m\x1b[92m       Fresh\x1b[0m a v0.1.0\n"},
		{"Documenting", "x", " Documenting x\n", "\x1b[1m\x1b[92m Documenting\x1b[0m x\n"},
		{"Reconfiguring", "x", "Reconfiguring x\n", "\x1b[1m\x1b[92mReconfiguring\x1b[0m x\n"},
		{"warning", "`cc` (lib) generated 1 warning", "warning: `cc` (lib) generated 1 warning\n",
			"\x1b[1m\x1b[33mwarning\x1b[0m: `cc` (lib) generated 1 warning\n"},
		{"error", "could not compile `cc` (lib) due to 1 previous error",
			"error: could not compile `cc` (lib) due to 1 previous error\n",
			"\x1b[1m\x1b[91merror\x1b[0m: could not compile `cc` (lib) due to 1 previous error\n"},
	}
	for _, tt := range tests {
		for _, color := range []bool{false, true} {
			var out bytes.Buffer
			NewStatus(&out, false, color).Verb(tt.verb, tt.text)
			want := tt.plain
			if color {
				want = tt.color
			}
			if got := out.String(); got != want {
				t.Errorf("Verb(%q, %q) color=%v = %q, want %q", tt.verb, tt.text, color, got, want)
			}
		}
	}
	// The 12-column field, exactly as cargo's `{:>12}`.
	var out bytes.Buffer
	NewStatus(&out, false, false).Verb("Compiling", "foo")
	if got := out.String(); !strings.HasPrefix(got, "   Compiling foo") || strings.Index(got, "foo") != 13 {
		t.Errorf("alignment: %q", got)
	}
}

func TestStatusSmart(t *testing.T) {
	var out statusTestWriter
	s := NewStatus(&out, true, false)
	s.width = func() int { return 40 }
	s.Total(4)
	s.Started("alpha")
	s.Started("beta")
	s.Line("hello")
	s.Finished("alpha")
	s.Started("a-crate-with-a-very-long-name-indeed")
	s.Done()
	s.Line("after")

	want := []string{
		"\r\x1b[K[0/4]",
		"\r\x1b[K[0/4] alpha",
		"\r\x1b[K[0/4] alpha, beta",
		"\r\x1b[Khello\n[0/4] alpha, beta",
		"\r\x1b[K[1/4] beta",
		"\r\x1b[K[1/4] beta, a-crate-with-a-very-long-n…", // 39 columns
		"\r\x1b[K",
		"after\n",
	}
	if fmt.Sprintf("%q", out.writes) != fmt.Sprintf("%q", want) {
		t.Errorf("writes:\n%q\nwant:\n%q", out.writes, want)
	}
	if n := len([]rune("[1/4] beta, a-crate-with-a-very-long-n…")); n != 39 {
		t.Fatalf("test expectation has %d columns", n)
	}
}

func TestStatusSmartNoRedundantRedraw(t *testing.T) {
	var out statusTestWriter
	s := NewStatus(&out, true, false)
	s.width = func() int { return 12 }
	s.Total(2)
	s.Started("aaaaaaaaaaaaaaaa")
	s.Started("bbbbbbbbbbbbbbbbbbb") // same truncated text: no write
	if len(out.writes) != 2 {
		t.Errorf("writes %q", out.writes)
	}
	if got := out.writes[1]; got != "\r\x1b[K[0/2] aaaa…" {
		t.Errorf("got %q", got)
	}
}

func TestStatusTermWidthDefault(t *testing.T) {
	if w := termWidth(&bytes.Buffer{}); w != 80 {
		t.Errorf("termWidth(buffer) = %d", w)
	}
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if w := termWidth(f); w != 80 {
		t.Errorf("termWidth(file) = %d", w)
	}
}

func TestStatusConcurrentLines(t *testing.T) {
	for _, smart := range []bool{false, true} {
		var out statusTestWriter
		s := NewStatus(&out, smart, true)
		s.Total(100)
		var wg sync.WaitGroup
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					name := fmt.Sprintf("crate%d-%d", g, i)
					s.Started(name)
					s.Line(fmt.Sprintf("line g=%d i=%d %s", g, i, strings.Repeat("x", 200)))
					s.Verb("Compiling", name)
					s.Finished(name)
				}
			}(g)
		}
		wg.Wait()
		s.Done()
		text := StripANSI(out.String())
		text = strings.ReplaceAll(text, "\r", "\n")
		lines, verbs := 0, 0
		for _, l := range strings.Split(text, "\n") {
			switch {
			case strings.HasPrefix(l, "line "):
				var g, i int
				if _, err := fmt.Sscanf(l, "line g=%d i=%d", &g, &i); err != nil || !strings.HasSuffix(l, " "+strings.Repeat("x", 200)) {
					t.Fatalf("mangled line %q", l)
				}
				lines++
			case strings.HasPrefix(l, "   Compiling crate"):
				verbs++
			case l == "" || (smart && strings.HasPrefix(l, "[")):
			default:
				t.Fatalf("unexpected line %q (smart=%v)", l, smart)
			}
		}
		if lines != 800 || verbs != 800 {
			t.Errorf("smart=%v: %d lines, %d verbs", smart, lines, verbs)
		}
		if !smart && strings.Contains(text, "[") {
			t.Errorf("status line in non-smart output")
		}
	}
}

func TestStripANSI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"\x1b[1m\x1b[33mwarning\x1b[0m\x1b[1m: unused variable: `x`\x1b[0m", "warning: unused variable: `x`"},
		{"\x1b[1m\x1b[94m--> \x1b[0msrc/lib.rs:2:9", "--> src/lib.rs:2:9"},
		{"\x1b[38;5;208mx\x1b[38;2;1;2;3my\x1b[m", "xy"},
		{"a\x1b[2Kb\x1b[1;1Hc", "abc"},                                     // cursor / erase
		{"\x1b]8;;file:///src/lib.rs\x1b\\lib.rs\x1b]8;;\x1b\\", "lib.rs"}, // OSC 8 hyperlink, ST
		{"\x1b]0;title\x07after", "after"},                                 // OSC, BEL
		{"\x1b(Bx\x1b7y\x1b8", "xy"},                                       // charset, save/restore cursor
		{"unterminated\x1b[1", "unterminated"},                             // truncated CSI
		{"tail\x1b", "tail"},                                               // lone ESC
		{"ünïcödé \x1b[1m✓\x1b[0m", "ünïcödé ✓"},                           // multibyte text kept
		{"\x1b[1m\x1b[91merror[E0308]\x1b[0m\x1b[1m: mismatched types", "error[E0308]: mismatched types"},
	}
	for _, tt := range tests {
		if got := StripANSI(tt.in); got != tt.want {
			t.Errorf("StripANSI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStripANSIRustc compares rustc's colour-rendered diagnostics, stripped,
// with what rustc renders without colour (testdata from rustc 1.95 with
// --json=diagnostic-rendered-ansi and without it).
func TestStripANSIRustc(t *testing.T) {
	rendered := func(path string) []string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var d struct {
				Rendered *string `json:"rendered"`
			}
			if err := json.Unmarshal([]byte(l), &d); err != nil {
				t.Fatal(err)
			}
			if d.Rendered != nil {
				out = append(out, *d.Rendered)
			}
		}
		return out
	}
	for _, name := range []string{"warning", "error"} {
		ansi := rendered("testdata/rustc-" + name + ".jsonl")
		plain := rendered("testdata/rustc-" + name + "-plain.jsonl")
		if len(ansi) != len(plain) || len(ansi) == 0 {
			t.Fatalf("%s: %d coloured vs %d plain diagnostics", name, len(ansi), len(plain))
		}
		for i := range ansi {
			if !strings.Contains(ansi[i], "\x1b[") {
				t.Errorf("%s[%d]: no colour in %q", name, i, ansi[i])
			}
			if got := StripANSI(ansi[i]); got != plain[i] {
				t.Errorf("%s[%d]:\n got %q\nwant %q", name, i, got, plain[i])
			}
		}
	}
}

func BenchmarkStripANSI(b *testing.B) {
	s := "\x1b[1m\x1b[33mwarning\x1b[0m\x1b[1m: unused variable: `x`\x1b[0m\n \x1b[1m\x1b[94m--> \x1b[0mwarn.rs:2:9\n"
	for b.Loop() {
		StripANSI(s)
	}
}
