package executor

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

type ninjaLogEntry struct {
	start, end int
	mtime      int64
	output     string
	hash       string
}

// readNinjaLogV5 reads a log by the rules of ninja 1.11's BuildLog::Load
// and ninjatracing's read_targets, failing where either would reject or
// misread the file.
func readNinjaLogV5(t *testing.T, data string) []ninjaLogEntry {
	t.Helper()
	header, body, ok := strings.Cut(data, "\n")
	if !ok || header != "# ninja log v5" {
		t.Fatalf("first line %q, want %q (ninjatracing asserts it)", header, "# ninja log v5")
	}
	if body != "" && !strings.HasSuffix(body, "\n") {
		t.Fatal("last line has no newline: ninja skips a line without one")
	}
	hash := regexp.MustCompile(`^[0-9a-f]{16}$`)
	var out []ninjaLogEntry
	seen := map[string]bool{}
	hashes := map[string]bool{}
	lastEnd := 0
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			t.Fatalf("line %q has %d tab-separated fields, want 5", line, len(f))
		}
		var e ninjaLogEntry
		var err error
		if e.start, err = strconv.Atoi(f[0]); err != nil {
			t.Fatalf("start of %q: %v", line, err)
		}
		if e.end, err = strconv.Atoi(f[1]); err != nil {
			t.Fatalf("end of %q: %v", line, err)
		}
		if e.mtime, err = strconv.ParseInt(f[2], 10, 64); err != nil {
			t.Fatalf("mtime of %q: %v", line, err)
		}
		e.output, e.hash = f[3], f[4]
		if !hash.MatchString(e.hash) {
			t.Errorf("hash %q is not 16 hex digits", e.hash)
		}
		if e.start < 0 || e.end < e.start {
			t.Errorf("times of %q out of order", line)
		}
		if e.end < lastEnd {
			t.Errorf("%q ends before the line above: ninjatracing would take it for a new build", line)
		}
		lastEnd = e.end
		if seen[e.output] {
			t.Errorf("output %s twice: ninja keeps only the last", e.output)
		}
		seen[e.output] = true
		if hashes[e.hash] {
			t.Errorf("hash %s twice: ninjatracing would merge the two into one bar", e.hash)
		}
		hashes[e.hash] = true
		out = append(out, e)
	}
	return out
}

func TestNinjaLog(t *testing.T) {
	tm := pipelinedBuild()
	// a repaired: its first run is superseded by the second.
	tm.Spans = append(tm.Spans, Span{Action: 0, Label: "a v0.1.0 (lib)", Outcome: Compiled, Start: 905 * msec,
		End: 909 * msec, Output: "target/rbuild/debug/a/liba.rlib", Mtime: 7, CmdHash: 0xa})
	// A path ninja's format cannot carry.
	tm.Spans = append(tm.Spans, Span{Action: 9, Outcome: Compiled, Start: time.Second, End: time.Second,
		Output: "odd\tname", CmdHash: 0xdd})
	var b bytes.Buffer
	if err := WriteNinjaLog(&b, tm); err != nil {
		t.Fatal(err)
	}
	got := readNinjaLogV5(t, b.String())
	want := []ninjaLogEntry{
		{10, 50, 1_700_000_000_050_000_000, "target/rbuild/debug/b-run/output", "0000000000000005"},
		{155, 250, 3, "target/rbuild/debug/c/libc.rlib", "000000000000000c"},
		{160, 500, 4, "target/rbuild/debug/b/libb.rlib", "000000000000000b"},
		{310, 600, 5, "target/rbuild/debug/app/app.rlink", "0000000000000a99"},
		{605, 900, 6, "target/debug/app", "ffffffffffffffff"},
		{905, 909, 7, "target/rbuild/debug/a/liba.rlib", "000000000000000a"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d:\n%s", len(got), len(want), b.String())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}

	b.Reset()
	if err := WriteNinjaLog(&b, &Timings{}); err != nil || b.String() != "# ninja log v5\n" {
		t.Errorf("empty build: %q, %v", b.String(), err)
	}
}
