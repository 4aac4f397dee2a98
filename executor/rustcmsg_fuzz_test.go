package executor

// FuzzParseRustcLine covers the whole line parser and what is done with a
// diagnostic's text (FuzzFastDecodeRustc checks the fast decoder against
// encoding/json). Seeds (testdata/fuzz/) are lines rustc 1.95 printed
// compiling testdata/workspaces and Debian's registry crates.

import (
	"io"
	"strings"
	"testing"
)

func FuzzParseRustcLine(f *testing.F) {
	for _, name := range []string{"rustc-warning.jsonl", "rustc-error.jsonl", "rustc-future-incompat.jsonl", "rustc-error-plain.jsonl"} {
		for _, l := range readRustcTestdata(f, name) {
			f.Add(l)
		}
	}
	f.Add([]byte(`{"$message_type":"artifact","artifact":"/t/deps/liba.rmeta","emit":"metadata"}` + "\r\n"))
	f.Add([]byte(`{"$message_type":"section_timing","event":"start","name":"link","time":1}`))
	f.Add([]byte("{\"level\":\"warning\",\"rendered\":\"\x1b[0m\x1b[1m\x1b]8;;file:///a\x07a\x1b]8;;\x1b\\\\ \x1b[\"}"))
	st := NewStatus(io.Discard, false, false)
	f.Fuzz(func(t *testing.T, line []byte) {
		m := ParseRustcLine(line)
		if m.Raw != string(line) {
			t.Fatalf("Raw %q, line %q", m.Raw, line)
		}
		if m.Kind != MsgDiagnostic && (m.Level != "" || m.Message != "") {
			t.Fatalf("%v has a level or message: %+v", m.Kind, m)
		}
		plain := StripANSI(m.Rendered)
		if strings.IndexByte(plain, 0x1b) >= 0 {
			t.Fatalf("StripANSI(%q) = %q keeps an escape", m.Rendered, plain)
		}
		if len(plain) > len(m.Rendered) {
			t.Fatalf("StripANSI(%q) = %q grew", m.Rendered, plain)
		}
		PrintDiagnostic(st, m.Rendered, len(line)%2 == 0)
	})
}
