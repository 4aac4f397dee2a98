package cutoff

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// DepInfo is what rbuild uses from a rustc dep-info (.d) file (§10.1).
type DepInfo struct {
	Files   []string // source inputs, as written (relative to rustc's cwd or absolute), de-duplicated, in file order
	EnvDeps []EnvDep // in file order
}

// EnvDep is one `# env-dep:` line: an env!/option_env!/tracked_env lookup
// made by the compilation. Set is false when the variable was unset.
type EnvDep struct {
	Name, Value string
	Set         bool
}

// ErrNotDepInfo is wrapped by the errors for input that has no make rule.
var ErrNotDepInfo = errors.New("not a dep-info file: no make rule found")

// ReadDepInfo reads and parses a rustc dep-info file. Every error names path.
func ReadDepInfo(path string) (*DepInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *PathError names the path
	}
	d, err := ParseDepInfo(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// ParseDepInfo parses the Makefile-syntax dep-info rustc writes with
// --emit=dep-info, like cargo's parse_rustc_dep_info:
//
//   - The inputs are taken from the first rule, i.e. the first non-comment
//     line containing ": " (or ending in ':' for a rule without inputs). The
//     targets before the ": " are outputs and are ignored; so are the other
//     rules (one per emitted file, and the empty `input:` rules).
//   - Inputs are separated by spaces or tabs; rustc writes a space inside a
//     name as `\ ` (a token ending in `\` is joined to the next with a space).
//     A `\` at the very end of the rule is an error. Unlike cargo, which splits
//     on any Unicode whitespace, only ASCII space and tab separate inputs, as
//     rustc escapes nothing else.
//   - Inputs are de-duplicated by exact string (rustc itself may list one file
//     under two spellings, e.g. `src/a/../x.rs` and `src/x.rs`; both are kept).
//   - `# env-dep:NAME=VALUE` and `# env-dep:NAME` (unset) lines are unescaped
//     (`\\`, `\n`, `\r`; any other escape is an error). `# checksum:` lines
//     and other comments are ignored. A trailing '\r' on a line is dropped.
func ParseDepInfo(data []byte) (*DepInfo, error) {
	d := &DepInfo{}
	found := false
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			rest, ok := bytes.CutPrefix(line, envDepPrefix)
			if !ok {
				continue // `# checksum:` and any other comment
			}
			name, value, set := strings.Cut(string(rest), "=")
			var err error
			e := EnvDep{Set: set}
			if e.Name, err = unescapeEnv(name); err == nil && set {
				e.Value, err = unescapeEnv(value)
			}
			if err != nil {
				return nil, fmt.Errorf("dep-info line %d: %w in `%s`", lineNo, err, line)
			}
			d.EnvDeps = append(d.EnvDeps, e)
			continue
		}
		if found {
			continue
		}
		var deps []byte
		if i := bytes.Index(line, ruleSep); i >= 0 {
			deps = line[i+2:]
		} else if line[len(line)-1] != ':' {
			continue
		}
		found = true
		files, err := splitInputs(string(deps))
		if err != nil {
			return nil, fmt.Errorf("dep-info line %d: %w", lineNo, err)
		}
		d.Files = dedup(files)
	}
	if !found {
		return nil, ErrNotDepInfo
	}
	return d, nil
}

var (
	envDepPrefix = []byte("# env-dep:")
	ruleSep      = []byte(": ")
)

// splitInputs splits the inputs of a rule; the names share deps' memory
// unless they contain escaped spaces.
func splitInputs(deps string) ([]string, error) {
	if strings.IndexByte(deps, '\t') >= 0 {
		return splitInputsSlow(deps)
	}
	var files []string
	for {
		for len(deps) > 0 && deps[0] == ' ' {
			deps = deps[1:]
		}
		if deps == "" {
			return files, nil
		}
		if files == nil {
			files = make([]string, 0, strings.Count(deps, " ")+1)
		}
		// Find the first space not preceded by a backslash.
		end, escaped := 0, false
		for {
			j := strings.IndexByte(deps[end:], ' ')
			if j < 0 {
				end = len(deps)
				if deps[end-1] == '\\' {
					return nil, errTrailingBackslash
				}
				break
			}
			end += j
			if deps[end-1] != '\\' {
				break
			}
			escaped = true
			end++
		}
		file := deps[:end]
		if escaped {
			file = unescapeSpaces(file)
		}
		files = append(files, file)
		deps = deps[end:]
	}
}

var errTrailingBackslash = errors.New("malformed dep-info: trailing `\\`")

// splitInputsSlow is splitInputs for rules that also use tabs as separators
// (rustc never writes them).
func splitInputsSlow(deps string) ([]string, error) {
	var files []string
	i := 0
	for {
		for i < len(deps) && (deps[i] == ' ' || deps[i] == '\t') {
			i++
		}
		if i >= len(deps) {
			return files, nil
		}
		start := i
		escaped := false
		for i < len(deps) && deps[i] != ' ' && deps[i] != '\t' {
			if deps[i] == '\\' {
				if i+1 == len(deps) {
					return nil, errTrailingBackslash
				}
				if deps[i+1] == ' ' || deps[i+1] == '\t' {
					escaped = true
					i += 2
					continue
				}
			}
			i++
		}
		file := deps[start:i]
		if escaped {
			file = unescapeSpaces(file)
		}
		files = append(files, file)
	}
}

func unescapeSpaces(tok string) string {
	var b strings.Builder
	b.Grow(len(tok))
	for i := 0; i < len(tok); i++ {
		if tok[i] == '\\' && i+1 < len(tok) && (tok[i+1] == ' ' || tok[i+1] == '\t') {
			b.WriteByte(' ')
			i++
			continue
		}
		b.WriteByte(tok[i])
	}
	return b.String()
}

// linearDedupMax is the number of inputs up to which duplicates are found by
// a quadratic scan instead of a hash table.
const linearDedupMax = 16

var dedupSeed = maphash.MakeSeed()

// dedup removes later duplicates from files in place, keeping the order.
func dedup(files []string) []string {
	n := len(files)
	if n <= linearDedupMax {
		out := files[:0]
	next:
		for _, f := range files {
			for _, g := range out {
				if g == f {
					continue next
				}
			}
			out = append(out, f)
		}
		return out
	}
	// Open addressing over indices into out (+1; 0 = empty).
	size := 1
	for size < 2*n {
		size <<= 1
	}
	table := make([]int32, size)
	mask := uint64(size - 1)
	out := files[:0]
	for _, f := range files {
		h := maphash.String(dedupSeed, f)
		for j := h & mask; ; j = (j + 1) & mask {
			k := table[j]
			if k == 0 {
				out = append(out, f)
				table[j] = int32(len(out))
				break
			}
			if out[k-1] == f {
				break
			}
		}
	}
	return out
}

// unescapeEnv undoes rustc's escaping of env-dep names and values.
func unescapeEnv(s string) (string, error) {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(s) {
			return "", errors.New("unterminated escape character")
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return "", fmt.Errorf("unknown escape character `%c`", r)
		}
	}
	return b.String(), nil
}

// Paths returns the files the dep-info lists, each made absolute against
// dir, the directory rustc ran in (it writes paths as it was given them).
func (d *DepInfo) Paths(dir string) []string {
	out := make([]string, len(d.Files))
	for i, f := range d.Files {
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, f)
		}
		out[i] = f
	}
	return out
}
