package executor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// readRustcTestdata returns the lines of a testdata file, newline included (as a
// reader of rustc's stderr would see them).
func readRustcTestdata(t testing.TB, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	r := bufio.NewReader(bytes.NewReader(data))
	for {
		l, err := r.ReadBytes('\n')
		if len(l) > 0 {
			lines = append(lines, l)
		}
		if err != nil {
			return lines
		}
	}
}

type wantMsg struct {
	kind     MsgKind
	level    string // diagnostics
	rendered string // substring of StripANSI(Rendered)
	artifact string
	emit     string
}

// The testdata files were produced by rustc 1.95.0 with
//
//	--error-format=json --json=diagnostic-rendered-ansi,artifacts,future-incompat
//	--emit=dep-info,metadata,link --out-dir out/deps -C extra-filename=-abc
//
// (the *-plain.jsonl variants without diagnostic-rendered-ansi).
func TestParseRustcLineTestdata(t *testing.T) {
	tests := map[string][]wantMsg{
		"rustc-warning.jsonl": {
			{kind: MsgArtifact, artifact: "out/deps/foo-abc.d", emit: "dep-info"},
			{kind: MsgDiagnostic, level: "warning", rendered: "warning: unused variable: `x`\n --> warn.rs:2:9"},
			{kind: MsgArtifact, artifact: "out/deps/libfoo-abc.rmeta", emit: "metadata"},
			{kind: MsgArtifact, artifact: "out/deps/libfoo-abc.rlib", emit: "link"},
			{kind: MsgDiagnostic, level: "warning", rendered: "warning: 1 warning emitted\n\n"},
		},
		"rustc-error.jsonl": {
			{kind: MsgArtifact, artifact: "out/deps/bar-abc.d", emit: "dep-info"},
			{kind: MsgDiagnostic, level: "error", rendered: "error[E0308]: mismatched types\n --> err.rs:3:21"},
			{kind: MsgDiagnostic, level: "error", rendered: "error: aborting due to 1 previous error"},
			{kind: MsgDiagnostic, level: "failure-note", rendered: "For more information about this error, try `rustc --explain E0308`.\n"},
		},
		"rustc-future-incompat.jsonl": {
			{kind: MsgArtifact, artifact: "out/deps/baz-abc.d", emit: "dep-info"},
			{kind: MsgArtifact, artifact: "out/deps/libbaz-abc.rmeta", emit: "metadata"},
			{kind: MsgArtifact, artifact: "out/deps/baz-abc", emit: "link"},
			{kind: MsgFutureIncompat, rendered: "warning: never type fallback affects this call to an `unsafe` function"},
		},
	}
	for file, want := range tests {
		lines := readRustcTestdata(t, file)
		if len(lines) != len(want) {
			t.Fatalf("%s: %d lines, want %d", file, len(lines), len(want))
		}
		for i, l := range lines {
			got, w := ParseRustcLine(l), want[i]
			if got.Raw != string(l) {
				t.Errorf("%s:%d: Raw not preserved", file, i+1)
			}
			if got.Kind != w.kind || got.Level != w.level || got.Artifact != w.artifact || got.Emit != w.emit {
				t.Errorf("%s:%d: got {%v %q %q %q}, want {%v %q %q %q}", file, i+1,
					got.Kind, got.Level, got.Artifact, got.Emit, w.kind, w.level, w.artifact, w.emit)
			}
			if w.rendered == "" {
				if got.Rendered != "" {
					t.Errorf("%s:%d: unexpected Rendered %q", file, i+1, got.Rendered)
				}
				continue
			}
			if !strings.Contains(got.Rendered, "\x1b[") {
				t.Errorf("%s:%d: Rendered has no colour: %q", file, i+1, got.Rendered)
			}
			if plain := StripANSI(got.Rendered); !strings.Contains(plain, w.rendered) {
				t.Errorf("%s:%d: Rendered %q does not contain %q", file, i+1, plain, w.rendered)
			}
		}
	}
}

func TestParseRustcLinePlainRendered(t *testing.T) {
	for _, l := range readRustcTestdata(t, "rustc-error-plain.jsonl") {
		m := ParseRustcLine(l)
		if m.Kind == MsgDiagnostic && strings.Contains(m.Rendered, "\x1b") {
			t.Errorf("escape in plain rendering %q", m.Rendered)
		}
	}
}

func TestParseRustcLine(t *testing.T) {
	tests := []struct {
		name, line string
		want       RustcMsg
	}{
		{"empty", "", RustcMsg{}},
		{"newline", "\n", RustcMsg{}},
		{"text", "error: linking with `cc` failed: exit status: 1\n", RustcMsg{}},
		{"indented json", ` {"$message_type":"artifact","artifact":"a","emit":"link"}`, RustcMsg{}},
		{"invalid json", `{"$message_type":"artifact",`, RustcMsg{}},
		{"brace text", "{ not json }\n", RustcMsg{}},
		{"json array", `["$message_type"]`, RustcMsg{}},
		{"unknown type", `{"$message_type":"unused_extern","lint_level":"warn","unused_extern_names":[]}`, RustcMsg{}},
		{"unrelated json", `{"reason":"compiler-artifact"}`, RustcMsg{}},
		{"artifact", `{"$message_type":"artifact","artifact":"/t/deps/libfoo-abc.rmeta","emit":"metadata"}` + "\n",
			RustcMsg{Kind: MsgArtifact, Artifact: "/t/deps/libfoo-abc.rmeta", Emit: "metadata"}},
		{"artifact crlf", `{"$message_type":"artifact","artifact":"/t/x.d","emit":"dep-info"}` + "\r\n",
			RustcMsg{Kind: MsgArtifact, Artifact: "/t/x.d", Emit: "dep-info"}},
		{"diagnostic null rendered", `{"$message_type":"diagnostic","message":"m","code":null,"level":"note","spans":[],"children":[],"rendered":null}`,
			RustcMsg{Kind: MsgDiagnostic, Level: "note", Message: "m"}},
		{"ice", `{"$message_type":"diagnostic","message":"boom","code":null,"level":"error: internal compiler error","spans":[{"file_name":"a.rs","text":[{"text":"}{\"","highlight_start":1}]}],"children":[{"message":"c","level":"note","spans":[],"children":[],"rendered":"nested"}],"rendered":"\u001b[1m\u001b[91merror: internal compiler error\u001b[0m: boom\n"}`,
			RustcMsg{Kind: MsgDiagnostic, Level: "error: internal compiler error", Message: "boom", Rendered: "\x1b[1m\x1b[91merror: internal compiler error\x1b[0m: boom\n"}},
		{"old diagnostic without type", `{"message":"m","code":null,"level":"warning","spans":[],"children":[],"rendered":"warning: m\n"}`,
			RustcMsg{Kind: MsgDiagnostic, Level: "warning", Message: "m", Rendered: "warning: m\n"}},
		{"section timing", `{"$message_type":"section_timing","event":"start","name":"codegen","time":12345}`,
			RustcMsg{Kind: MsgSectionTiming}},
		{"future incompat empty", `{"$message_type":"future_incompat","future_incompat_report":[]}`,
			RustcMsg{Kind: MsgFutureIncompat}},
	}
	for _, tt := range tests {
		got := ParseRustcLine([]byte(tt.line))
		tt.want.Raw = tt.line
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestMsgKindString(t *testing.T) {
	for k, s := range map[MsgKind]string{MsgOther: "other", MsgDiagnostic: "diagnostic", MsgArtifact: "artifact",
		MsgFutureIncompat: "future-incompat", MsgSectionTiming: "section-timing"} {
		if k.String() != s {
			t.Errorf("%d: %q", int(k), k.String())
		}
	}
}

func BenchmarkParseRustcLineDiagnostic(b *testing.B) {
	var line []byte
	for _, l := range readRustcTestdata(b, "rustc-error.jsonl") {
		if len(l) > len(line) {
			line = l
		}
	}
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		ParseRustcLine(line)
	}
}

func BenchmarkParseRustcLineArtifact(b *testing.B) {
	line := []byte(`{"$message_type":"artifact","artifact":"/t/deps/libfoo-abc.rmeta","emit":"metadata"}` + "\n")
	b.ReportAllocs()
	for b.Loop() {
		ParseRustcLine(line)
	}
}

// FuzzFastDecodeRustc checks that the fast decoder agrees with encoding/json.
func FuzzFastDecodeRustc(f *testing.F) {
	for _, name := range []string{"rustc-warning.jsonl", "rustc-error.jsonl", "rustc-future-incompat.jsonl", "rustc-error-plain.jsonl"} {
		for _, l := range readRustcTestdata(f, name) {
			f.Add(bytes.TrimRight(l, "\n"))
		}
	}
	for _, s := range []string{
		`{}`, `{"level":null}`, `{"level":"a","level":null}`, `{"Level":"x"}`, `{"\u006cevel":"x"}`,
		`{"rendered":"\ud83d\ude00 \ud800 \udc00\u0041 \\ \/ \b\f\n\r\t"}`, `{"emit":"\xff\xfe ok"}`,
		`{"level":1}`, `{"artifact":null,"emit":true}`, `{"x":[1,-0.5e+3,true,false,null,{"a":[]}]}`,
		`{"x":01}`, `{"x":1.}`, `{"x":-}`, `{"x":"\x01"}`, `{"x":"\q"}`, `{"x":"\u12"}`, `{} x`, `{"a":1,}`,
		`{"future_incompat_report":[{"diagnostic":{"rendered":"r"}}]}`, `{"future_incompat_report":{"a":1}}`,
		`{"future_incompat_report":null}`, `{"$MESSAGE_TYPE":"artifact"}`, `{"levels":"x","leveL":"y"}`,
		"{\"level\":\"x\"}\t ", `{"a":{"b":{"c":[[[]]]}}}`, `{"ſ":1}`, `{"emit":"a\u0000b"}`,
	} {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"a":` + strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1) + `}`))
	f.Add([]byte(`{"a":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var want rustcJSON
		wantErr := json.Unmarshal(b, &want)
		var got rustcJSON
		switch fastDecodeRustc(b, &got) {
		case decodeFallback:
			return
		case decodeInvalid:
			if wantErr == nil {
				t.Fatalf("fast decoder rejects %q, encoding/json accepts it", b)
			}
			return
		}
		if wantErr != nil {
			t.Fatalf("fast decoder accepts %q, encoding/json says %v", b, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", b, got, want)
		}
	})
}
