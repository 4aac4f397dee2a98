package executor

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// The .ninja_log, version 5: the format ninja 1.10 and 1.11 write
// (src/build_log.cc, BuildLog::WriteEntry) and tools such as ninjatracing
// read:
//
//	# ninja log v5
//	<start>\t<end>\t<mtime>\t<output>\t<command hash>
//
// start and end are milliseconds since the build started, mtime is the
// output's modification time in nanoseconds (ninja's TimeStamp on POSIX),
// the command hash is 64 bits in hex (ninja prints "%" PRIx64 and reads it
// back with strtoull, so rbuild's zero-padded 16 digits read the same).
// Ninja appends a line per command as it finishes and, loading, keeps the
// last line per output; ninjatracing takes an end time lower than the one
// before it as the start of a newer build and drops what came before. So
// rbuild writes one build per file, one line per output, by end time.
// Ninja 1.12 moved to v6 (and 1.13 to v7, another hash): it discards a v5
// log, which it could not use anyway (rbuild's hashes are its own).

// WriteNinjaLog writes the processes of t that ran as a v5 .ninja_log.
func WriteNinjaLog(w io.Writer, t *Timings) error {
	last := map[string]int{} // output → its last span
	for i, s := range t.Spans {
		// A tab or newline in a path would split the line: such an output
		// cannot be written in this format at all.
		if s.Outcome.Ran() && s.Output != "" && !strings.ContainsAny(s.Output, "\t\n") {
			last[s.Output] = i
		}
	}
	order := make([]int, 0, len(last))
	for _, i := range last {
		order = append(order, i)
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := t.Spans[a], t.Spans[b]
		return cmp.Or(cmp.Compare(x.End, y.End), cmp.Compare(x.Start, y.Start), cmp.Compare(x.Output, y.Output))
	})
	bw := bufio.NewWriter(w)
	bw.WriteString("# ninja log v5\n")
	for _, i := range order {
		s := t.Spans[i]
		fmt.Fprintf(bw, "%d\t%d\t%d\t%s\t%016x\n", s.Start.Milliseconds(), s.End.Milliseconds(), s.Mtime, s.Output, s.CmdHash)
	}
	return bw.Flush()
}
