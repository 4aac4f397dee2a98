package executor

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MsgKind classifies one line of rustc's stderr.
type MsgKind int

const (
	// MsgOther is anything that is not a rustc JSON message we know (plain
	// text such as ICE backtraces or linker output, or unknown JSON): pass
	// the line through.
	MsgOther MsgKind = iota
	// MsgDiagnostic is a compiler diagnostic ("$message_type":"diagnostic").
	MsgDiagnostic
	// MsgArtifact reports a file rustc finished writing (--json=artifacts).
	MsgArtifact
	// MsgFutureIncompat is the future-incompatibility report
	// (--json=future-incompat).
	MsgFutureIncompat
	// MsgSectionTiming is a timing event (--json=timings); callers ignore it.
	MsgSectionTiming
)

func (k MsgKind) String() string {
	switch k {
	case MsgOther:
		return "other"
	case MsgDiagnostic:
		return "diagnostic"
	case MsgArtifact:
		return "artifact"
	case MsgFutureIncompat:
		return "future-incompat"
	case MsgSectionTiming:
		return "section-timing"
	}
	return "MsgKind(?)"
}

// RustcMsg is one parsed line of rustc's stderr when run with
// --error-format=json --json=diagnostic-rendered-ansi,artifacts,future-incompat.
type RustcMsg struct {
	Kind MsgKind
	// Level of a diagnostic: "error", "warning", "note", "help",
	// "failure-note", "error: internal compiler error", ...
	Level string
	// Rendered is a diagnostic's rendered text (ANSI-coloured with
	// diagnostic-rendered-ansi; may be empty). For MsgFutureIncompat it is
	// the concatenated rendered text of the report's diagnostics.
	Rendered string
	Message  string // diagnostic: the one-line message
	Artifact string // MsgArtifact: path of the file written
	Emit     string // MsgArtifact: "metadata", "link", "dep-info", ...
	Raw      string // the line as given
}

// rustcJSON holds just the fields we need; everything else (notably the spans
// and children trees) is skipped by the decoder without being materialised.
type rustcJSON struct {
	MessageType          string  `json:"$message_type"`
	Level                *string `json:"level"`
	Message              *string `json:"message"`
	Rendered             *string `json:"rendered"`
	Artifact             string  `json:"artifact"`
	Emit                 string  `json:"emit"`
	FutureIncompatReport []struct {
		Diagnostic struct {
			Rendered *string `json:"rendered"`
		} `json:"diagnostic"`
	} `json:"future_incompat_report"`
}

// ParseRustcLine parses one line of rustc's JSON stderr. Lines that do not
// start with '{' or are not valid JSON, and JSON messages of unknown types,
// come back as MsgOther with only Raw set.
func ParseRustcLine(line []byte) RustcMsg {
	msg := RustcMsg{Raw: string(line)}
	body := bytes.TrimRight(line, "\r\n")
	if len(body) == 0 || body[0] != '{' {
		return msg
	}
	var j rustcJSON
	switch fastDecodeRustc(body, &j) {
	case decodeInvalid:
		return msg
	case decodeFallback:
		j = rustcJSON{}
		if err := json.Unmarshal(body, &j); err != nil {
			return msg
		}
	}
	switch j.MessageType {
	case "diagnostic":
		msg.Kind = MsgDiagnostic
	case "artifact":
		msg.Kind = MsgArtifact
		msg.Artifact = j.Artifact
		msg.Emit = j.Emit
		return msg
	case "future_incompat":
		msg.Kind = MsgFutureIncompat
		var b strings.Builder
		for _, r := range j.FutureIncompatReport {
			if r.Diagnostic.Rendered != nil {
				b.WriteString(*r.Diagnostic.Rendered)
			}
		}
		msg.Rendered = b.String()
		return msg
	case "section_timing":
		msg.Kind = MsgSectionTiming
		return msg
	case "":
		// Diagnostics from old rustc versions carry no $message_type.
		if j.Level == nil {
			return msg
		}
		msg.Kind = MsgDiagnostic
	default:
		return msg
	}
	if j.Level != nil {
		msg.Level = *j.Level
	}
	if j.Rendered != nil {
		msg.Rendered = *j.Rendered
	}
	if j.Message != nil {
		msg.Message = *j.Message
	}
	return msg
}

// The fast decoder below is equivalent to json.Unmarshal(line, &rustcJSON{})
// (same validity rules, same resulting fields, error ⇔ decodeInvalid; checked
// by FuzzFastDecodeRustc) but skips the values it does not need in one
// validating pass, without encoding/json's separate validation pass and
// reflection. Keys that encoding/json might match case-insensitively or after
// unescaping are left to encoding/json (decodeFallback).

type decodeResult int

const (
	decodeOK decodeResult = iota
	decodeInvalid
	decodeFallback
)

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

type jsonScanner struct {
	b     []byte
	i     int
	depth int
}

func fastDecodeRustc(b []byte, j *rustcJSON) decodeResult {
	s := jsonScanner{b: b}
	s.skipWS()
	if s.i >= len(b) || b[s.i] != '{' {
		// Not an object: `null` is valid JSON that decodes to nothing,
		// anything else an error; encoding/json decides (FuzzFastDecodeRustc
		// found `null`). ParseRustcLine passes only lines starting with '{'.
		return decodeFallback
	}
	s.i++
	s.depth = 1
	s.skipWS()
	if s.i < len(b) && b[s.i] == '}' {
		s.i++
		return s.end()
	}
	for {
		s.skipWS()
		if s.i >= len(b) || b[s.i] != '"' {
			return decodeInvalid
		}
		key, plain, ok := s.str()
		if !ok {
			return decodeInvalid
		}
		s.skipWS()
		if s.i >= len(b) || b[s.i] != ':' {
			return decodeInvalid
		}
		s.i++
		s.skipWS()
		if !plain {
			return decodeFallback
		}
		var r decodeResult
		switch string(key) {
		case "$message_type":
			r = s.stringField(&j.MessageType)
		case "artifact":
			r = s.stringField(&j.Artifact)
		case "emit":
			r = s.stringField(&j.Emit)
		case "level":
			r = s.stringPtrField(&j.Level)
		case "rendered":
			r = s.stringPtrField(&j.Rendered)
		case "message":
			r = s.stringPtrField(&j.Message)
		case "future_incompat_report":
			start := s.i
			if !s.value() {
				return decodeInvalid
			}
			if json.Unmarshal(b[start:s.i], &j.FutureIncompatReport) != nil {
				return decodeInvalid
			}
		default:
			if foldsToRustcField(key) {
				return decodeFallback
			}
			if !s.value() {
				return decodeInvalid
			}
		}
		if r != decodeOK {
			return r
		}
		s.skipWS()
		if s.i >= len(b) {
			return decodeInvalid
		}
		switch b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return s.end()
		default:
			return decodeInvalid
		}
	}
}

// foldsToRustcField reports whether encoding/json would match key to one of
// rustcJSON's fields although it is not spelled exactly like it.
func foldsToRustcField(key []byte) bool {
	for _, f := range [...]string{"$message_type", "artifact", "emit", "level", "message", "rendered", "future_incompat_report"} {
		if len(key) == len(f) && strings.EqualFold(string(key), f) {
			return true
		}
	}
	return false
}

func (s *jsonScanner) end() decodeResult {
	s.skipWS()
	if s.i != len(s.b) {
		return decodeInvalid
	}
	return decodeOK
}

func (s *jsonScanner) skipWS() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// stringField decodes a JSON string into *dst; null leaves it unchanged, any
// other type is an error (as for a Go string field in encoding/json).
func (s *jsonScanner) stringField(dst *string) decodeResult {
	if s.i < len(s.b) && s.b[s.i] == '"' {
		raw, plain, ok := s.str()
		if !ok {
			return decodeInvalid
		}
		*dst = unquoteJSON(raw, plain)
		return decodeOK
	}
	if s.literal("null") {
		return decodeOK
	}
	return decodeInvalid
}

// stringPtrField is stringField for a *string: null sets it to nil.
func (s *jsonScanner) stringPtrField(dst **string) decodeResult {
	if s.i < len(s.b) && s.b[s.i] == '"' {
		raw, plain, ok := s.str()
		if !ok {
			return decodeInvalid
		}
		v := unquoteJSON(raw, plain)
		*dst = &v
		return decodeOK
	}
	if s.literal("null") {
		*dst = nil
		return decodeOK
	}
	return decodeInvalid
}

// str scans the string starting at the '"' at s.i. It returns its contents
// without the quotes, and plain=true when they are printable ASCII without
// escapes (usable as is).
func (s *jsonScanner) str() (raw []byte, plain, ok bool) {
	b := s.b
	start := s.i + 1
	plain = true
	for i := start; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			s.i = i + 1
			return b[start:i], plain, true
		case c == '\\':
			plain = false
			if i+1 >= len(b) {
				return nil, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex4(b[i+2:i+6]) {
					return nil, false, false
				}
				i += 6
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			if c >= utf8.RuneSelf {
				plain = false
			}
			i++
		}
	}
	return nil, false, false
}

func isHex4(h []byte) bool {
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *jsonScanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// value skips one JSON value, validating it.
func (s *jsonScanner) value() bool {
	b := s.b
	if s.i >= len(b) {
		return false
	}
	switch c := b[s.i]; {
	case c == '"':
		_, _, ok := s.str()
		return ok
	case c == '{':
		if s.depth++; s.depth > maxJSONDepth {
			return false
		}
		s.i++
		s.skipWS()
		if s.i < len(b) && b[s.i] == '}' {
			s.i++
			s.depth--
			return true
		}
		for {
			s.skipWS()
			if s.i >= len(b) || b[s.i] != '"' {
				return false
			}
			if _, _, ok := s.str(); !ok {
				return false
			}
			s.skipWS()
			if s.i >= len(b) || b[s.i] != ':' {
				return false
			}
			s.i++
			s.skipWS()
			if !s.value() {
				return false
			}
			s.skipWS()
			if s.i >= len(b) {
				return false
			}
			switch b[s.i] {
			case ',':
				s.i++
			case '}':
				s.i++
				s.depth--
				return true
			default:
				return false
			}
		}
	case c == '[':
		if s.depth++; s.depth > maxJSONDepth {
			return false
		}
		s.i++
		s.skipWS()
		if s.i < len(b) && b[s.i] == ']' {
			s.i++
			s.depth--
			return true
		}
		for {
			s.skipWS()
			if !s.value() {
				return false
			}
			s.skipWS()
			if s.i >= len(b) {
				return false
			}
			switch b[s.i] {
			case ',':
				s.i++
			case ']':
				s.i++
				s.depth--
				return true
			default:
				return false
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

// number skips -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() bool {
	b := s.b
	i := s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() bool {
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > j
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	s.i = i
	return true
}

// unquoteJSON decodes the contents of a JSON string already validated by
// str, exactly like encoding/json: invalid UTF-8 and unpaired surrogates
// become U+FFFD.
func unquoteJSON(raw []byte, plain bool) string {
	if plain {
		return string(raw)
	}
	var b strings.Builder
	b.Grow(len(raw))
	for r := 0; r < len(raw); {
		switch c := raw[r]; {
		case c == '\\':
			switch e := raw[r+1]; e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				rr := hex4(raw[r+2 : r+6])
				r += 6
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(raw) && raw[r] == '\\' && raw[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hex4(raw[r+2:r+6])); dec != utf8.RuneError {
							r += 6
							b.WriteRune(dec)
							continue
						}
					}
					rr = utf8.RuneError
				}
				b.WriteRune(rr)
				continue
			default: // '"', '\\', '/'
				b.WriteByte(e)
			}
			r += 2
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			r++
		default:
			rr, size := utf8.DecodeRune(raw[r:])
			b.WriteRune(rr) // RuneError for invalid bytes
			r += size
		}
	}
	return b.String()
}

func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
