package executor

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// ANSI sequences used by cargo (anstyle renders bold and colour separately).
const (
	ansiReset       = "\x1b[0m"
	ansiBoldGreen   = "\x1b[1m\x1b[92m" // cargo's HEADER ("Compiling", "Finished", ...)
	ansiBoldYellow  = "\x1b[1m\x1b[33m" // cargo's WARN
	ansiBoldRed     = "\x1b[1m\x1b[91m" // cargo's ERROR
	ansiBoldCyan    = "\x1b[1m\x1b[96m" // help
	ansiClearLine   = "\r\x1b[K"
	defaultTermCols = 80
)

// Status writes what the user sees while building: cargo-style progress
// lines and, on a terminal ("smart"), a one-line "[done/total] name, name…"
// status that is redrawn in place below them. All methods are safe for
// concurrent use; every call produces a single Write on out, so output of
// concurrent calls never interleaves within a line.
type Status struct {
	mu      sync.Mutex
	out     io.Writer
	smart   bool
	color   bool
	width   func() int // terminal columns
	total   int
	done    int
	running []string // names in start order
	shown   string   // status line currently on screen ("" = none)
	ended   bool     // Done was called
	buf     []byte
}

// NewStatus returns a Status writing to out (usually os.Stderr). smart means
// out is a terminal (the caller decides, e.g. with go-isatty): only then is a
// status line drawn. color enables cargo's colours in Verb.
func NewStatus(out io.Writer, smart bool, color bool) *Status {
	s := &Status{out: out, smart: smart, color: color}
	s.width = func() int { return termWidth(out) }
	return s
}

// termWidth asks the terminal behind out for its width (TIOCGWINSZ), falling
// back to 80 columns.
func termWidth(out io.Writer) int {
	f, ok := out.(interface{ Fd() uintptr })
	if !ok {
		return defaultTermCols
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return defaultTermCols
	}
	return int(ws.Col)
}

// Total sets the number of actions to run.
func (s *Status) Total(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total = n
	s.redrawLocked()
}

// Started records that the action name began; it is shown in the status line
// until Finished(name).
func (s *Status) Started(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running = append(s.running, name)
	s.redrawLocked()
}

// Finished records that the action name ended (successfully or not).
func (s *Status) Finished(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done++
	for i, r := range s.running {
		if r == name {
			s.running = append(s.running[:i], s.running[i+1:]...)
			break
		}
	}
	s.redrawLocked()
}

// Line prints text as a full line (a trailing newline is added unless text
// already ends with one) above the status line.
func (s *Status) Line(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lineLocked(text)
}

func (s *Status) lineLocked(text string) {
	b := s.buf[:0]
	if s.shown != "" {
		b = append(b, ansiClearLine...)
		s.shown = ""
	}
	b = append(b, text...)
	if !strings.HasSuffix(text, "\n") {
		b = append(b, '\n')
	}
	b = s.appendStatusLocked(b)
	s.writeLocked(b)
}

// Verb prints a cargo-style message: "   Compiling foo v1.0 (path)" with the
// verb right-aligned to 12 columns (bold green with color). The verbs
// "warning" and "error" (and "note", "help") are printed like cargo's
// "warning: text", left-aligned and followed by a colon, in bold yellow /
// bold red.
func (s *Status) Verb(verb, text string) {
	var b strings.Builder
	b.Grow(len(verb) + len(text) + 32)
	style, justified := ansiBoldGreen, true
	switch verb {
	case "warning":
		style, justified = ansiBoldYellow, false
	case "error":
		style, justified = ansiBoldRed, false
	case "note":
		style, justified = ansiBoldGreen, false
	case "help":
		style, justified = ansiBoldCyan, false
	}
	if s.color {
		b.WriteString(style)
	}
	if justified {
		for i := utf8.RuneCountInString(verb); i < 12; i++ {
			b.WriteByte(' ')
		}
	}
	b.WriteString(verb)
	if s.color {
		b.WriteString(ansiReset)
	}
	if !justified {
		b.WriteByte(':')
	}
	if text != "" {
		b.WriteByte(' ')
		b.WriteString(text)
	}
	s.Line(b.String())
}

// Done erases the status line for good; later calls print plain lines only.
func (s *Status) Done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	if s.shown != "" {
		s.shown = ""
		s.writeLocked(append(s.buf[:0], ansiClearLine...))
	}
}

// statusTextLocked renders "[done/total] a, b, c", truncated with "…" to fit
// in cols-1 columns (the last column is left free so terminals don't wrap).
func (s *Status) statusTextLocked(cols int) string {
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(strconv.Itoa(s.done))
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(s.total))
	b.WriteByte(']')
	for i, name := range s.running {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(", ")
		}
		b.WriteString(name)
		if b.Len() >= cols*4 { // enough to fill any width; avoid quadratic work
			break
		}
	}
	return truncateCols(b.String(), cols-1)
}

// truncateCols cuts s to at most max runes (one column each: names are
// expected to be ASCII), ending with "…" when cut.
func truncateCols(s string, max int) string {
	if max < 1 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// appendStatusLocked appends the status line (if one should be shown) and
// records it as shown.
func (s *Status) appendStatusLocked(b []byte) []byte {
	if !s.smart || s.ended {
		return b
	}
	text := s.statusTextLocked(s.width())
	if text == "" {
		return b
	}
	s.shown = text
	return append(b, text...)
}

// redrawLocked redraws the status line in place if its text changed.
func (s *Status) redrawLocked() {
	if !s.smart || s.ended {
		return
	}
	text := s.statusTextLocked(s.width())
	if text == s.shown {
		return
	}
	b := append(s.buf[:0], ansiClearLine...)
	b = append(b, text...)
	s.shown = text
	s.writeLocked(b)
}

func (s *Status) writeLocked(b []byte) {
	s.buf = b[:0]
	if len(b) > 0 {
		_, _ = s.out.Write(b)
	}
}

// StripANSI removes ANSI escape sequences (CSI such as colours and cursor
// movement, OSC such as hyperlinks, and other ESC sequences) from s, e.g. to
// print rustc's colour-rendered diagnostics as plain text.
func StripANSI(s string) string {
	i := strings.IndexByte(s, 0x1b)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[skipEscape(s, i):]
		i = strings.IndexByte(s, 0x1b)
	}
	b.WriteString(s)
	return b.String()
}

// skipEscape returns the index just past the escape sequence that starts
// with ESC at s[i]. An unterminated sequence extends to the end of s.
func skipEscape(s string, i int) int {
	j := i + 1
	if j >= len(s) {
		return j
	}
	switch c := s[j]; {
	case c == '[': // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, final 0x40-0x7E
		for j++; j < len(s); j++ {
			if c := s[j]; c >= 0x40 && c <= 0x7e {
				return j + 1
			} else if c < 0x20 || c > 0x3f {
				return j // malformed: drop what we saw, keep this byte
			}
		}
		return j
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		// OSC, DCS, SOS, PM, APC: a string terminated by BEL or ST (ESC \).
		for j++; j < len(s); j++ {
			if s[j] == 0x07 {
				return j + 1
			}
			if s[j] == 0x1b {
				if j+1 < len(s) && s[j+1] == '\\' {
					return j + 2
				}
				return j // a new escape begins; treat the string as ended
			}
		}
		return j
	default:
		// nF: intermediates 0x20-0x2F then a final byte; Fp/Fe/Fs: one byte.
		for ; j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f; j++ {
		}
		if j < len(s) && s[j] >= 0x30 && s[j] <= 0x7e {
			return j + 1
		}
		return j
	}
}
