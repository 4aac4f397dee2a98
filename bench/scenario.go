package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"rbuild/internal/atomicfile"

	"github.com/BurntSushi/toml"
)

// A bench scenario is one named edit of the workspace: applied before the
// timed rebuild, reverted after it.
type scenario struct {
	Name string `json:"name"`
	// What is the one-line description the report prints, e.g. "fn
	// `helper` in src/x.rs:12: private, not generic: not in the interface".
	What string   `json:"what"`
	Edit fileEdit `json:"edit"`
	// Command is what each tool runs after the edit: "build" (also "")
	// or "test", timed to the end of the last test.
	Command string `json:"command,omitempty"`
}

// isTest: the scenario times the test loop, `cargo test` / `rbuild test`.
func (s scenario) isTest() bool { return s.Command == "test" }

// edit is a reversible change of one file. Kind is one of noop, touch,
// append-comment, append (Text at the end), insert-after (Line after the first line matching
// Pattern), insert-at (Text at byte Offset) and replace (the first Old by
// New). In Line, Text and New, "{n}" becomes the edit's sequence number,
// so consecutive edits differ.
type fileEdit struct {
	Kind    string `json:"kind"`
	File    string `json:"file,omitempty"` // relative to the workspace root
	Pattern string `json:"pattern,omitempty"`
	Line    string `json:"line,omitempty"`
	Offset  int    `json:"offset,omitempty"`
	Text    string `json:"text,omitempty"`
	Old     string `json:"old,omitempty"`
	New     string `json:"new,omitempty"`
}

// scenarioFile is the TOML form: [[scenario]] tables.
type scenarioFile struct {
	Scenario []struct {
		Name          string
		Description   string
		File          string
		InsertAfter   string `toml:"insert_after"`
		Line          string
		Replace       string
		With          string
		AppendComment bool `toml:"append_comment"`
		Touch         bool
		Command       string
	}
}

// readScenarios parses a scenario file and checks every edit against the
// workspace, so that a mistake is reported before any build starts.
func readScenarios(path, root string) ([]scenario, error) {
	var f scenarioFile
	md, err := toml.DecodeFile(path, &f)
	if err != nil {
		return nil, fmt.Errorf("scenario file %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("scenario file %s: unknown key %q (want name, description, file, insert_after, line, replace, with, append_comment, touch, command)", path, und[0].String())
	}
	if len(f.Scenario) == 0 {
		return nil, fmt.Errorf("scenario file %s: no [[scenario]] tables", path)
	}
	seen := map[string]bool{}
	var out []scenario
	for i, s := range f.Scenario {
		where := fmt.Sprintf("scenario file %s: scenario %d", path, i+1)
		if s.Name == "" {
			return nil, fmt.Errorf("%s: no name", where)
		}
		where = fmt.Sprintf("scenario file %s: scenario %q", path, s.Name)
		if seen[s.Name] {
			return nil, fmt.Errorf("%s: the name is used twice", where)
		}
		seen[s.Name] = true
		var kinds []string
		e := fileEdit{Kind: "noop", File: s.File}
		if s.InsertAfter != "" {
			kinds = append(kinds, "insert_after")
			e.Kind, e.Pattern, e.Line = "insert-after", s.InsertAfter, s.Line
			if s.Line == "" {
				return nil, fmt.Errorf("%s: insert_after needs the line to insert (line = \"...\")", where)
			}
		} else if s.Line != "" {
			return nil, fmt.Errorf("%s: line is only for insert_after", where)
		}
		if s.Replace != "" {
			kinds = append(kinds, "replace")
			e.Kind, e.Old, e.New = "replace", s.Replace, s.With
		} else if s.With != "" {
			return nil, fmt.Errorf("%s: with is only for replace", where)
		}
		if s.AppendComment {
			kinds = append(kinds, "append_comment")
			e.Kind = "append-comment"
		}
		if s.Touch {
			kinds = append(kinds, "touch")
			e.Kind = "touch"
		}
		switch {
		case len(kinds) > 1:
			return nil, fmt.Errorf("%s: one edit per scenario, got %s", where, strings.Join(kinds, " and "))
		case len(kinds) == 0 && s.File != "":
			return nil, fmt.Errorf("%s: file without an edit (want insert_after, replace, append_comment or touch)", where)
		case len(kinds) == 1 && s.File == "":
			return nil, fmt.Errorf("%s: %s needs a file", where, kinds[0])
		}
		switch s.Command {
		case "", "build", "test":
		default:
			return nil, fmt.Errorf("%s: command %q: want \"build\" or \"test\"", where, s.Command)
		}
		if err := e.check(root); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		what := s.Description
		if what == "" {
			what = e.describe()
		}
		out = append(out, scenario{Name: s.Name, What: what, Edit: e, Command: s.Command})
	}
	return out, nil
}

// check applies the edit in memory: the file exists and the edit finds
// its place.
func (e fileEdit) check(root string) error {
	if e.Kind == "noop" {
		return nil
	}
	if filepath.IsAbs(e.File) {
		return fmt.Errorf("file %s: want a path relative to the workspace root %s", e.File, root)
	}
	if err := inside(root, e.File); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(root, e.File))
	if err != nil {
		return err
	}
	_, err = e.apply(data, 1)
	return err
}

// inside refuses a scenario's file that is not in the workspace: the bench
// edits it and a crash may leave it edited, so a scenario file (which may
// come from elsewhere) must not reach files the build does not own. Both
// ".." and a symlink inside the workspace that points out count.
func inside(root, file string) error {
	if !filepath.IsLocal(file) {
		return fmt.Errorf("file %s: outside the workspace root %s (want a path inside it)", file, root)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, file))
	if err != nil {
		return nil // a missing file is reported by whoever reads it
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("workspace root %s: %w", root, err)
	}
	if rel, err := filepath.Rel(realRoot, real); err != nil || !filepath.IsLocal(rel) {
		return fmt.Errorf("file %s: leads outside the workspace root %s (to %s)", file, root, real)
	}
	return nil
}

func (e fileEdit) describe() string {
	switch e.Kind {
	case "noop":
		return "no change"
	case "touch":
		return "touch " + e.File
	case "append-comment":
		return "append a comment to " + e.File
	case "insert-after":
		return fmt.Sprintf("insert %q after /%s/ in %s", e.Line, e.Pattern, e.File)
	case "insert-at":
		return fmt.Sprintf("insert %q at byte %d of %s", e.Text, e.Offset, e.File)
	case "append":
		return fmt.Sprintf("append %q to %s", e.Text, e.File)
	case "replace":
		return fmt.Sprintf("replace %q by %q in %s", e.Old, e.New, e.File)
	}
	return e.Kind
}

// apply returns the file's content after edit number n.
func (e fileEdit) apply(data []byte, n int) ([]byte, error) {
	num := func(s string) string { return strings.ReplaceAll(s, "{n}", strconv.Itoa(n)) }
	switch e.Kind {
	case "touch":
		return data, nil
	case "append-comment", "append":
		out := bytes.Clone(data)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		text := e.Text
		if e.Kind == "append-comment" {
			text = "// rbuild bench edit {n}\n"
		}
		return append(out, num(text)...), nil
	case "insert-after":
		re, err := regexp.Compile("(?m)" + e.Pattern)
		if err != nil {
			return nil, fmt.Errorf("insert_after: %w", err)
		}
		loc := re.FindIndex(data)
		if loc == nil {
			return nil, fmt.Errorf("insert_after: /%s/ matches no line of %s", e.Pattern, e.File)
		}
		eol := bytes.IndexByte(data[loc[1]:], '\n')
		at := len(data)
		if eol >= 0 {
			at = loc[1] + eol + 1
		}
		ins := num(e.Line) + "\n"
		if eol < 0 {
			ins = "\n" + ins
		}
		return splice(data, at, ins), nil
	case "insert-at":
		if e.Offset < 0 || e.Offset > len(data) {
			return nil, fmt.Errorf("offset %d is outside %s (%d bytes)", e.Offset, e.File, len(data))
		}
		return splice(data, e.Offset, num(e.Text)), nil
	case "replace":
		i := bytes.Index(data, []byte(e.Old))
		if i < 0 {
			return nil, fmt.Errorf("replace: %q is not in %s", e.Old, e.File)
		}
		return append(splice(data[:i:i], i, num(e.New)), data[i+len(e.Old):]...), nil
	}
	return nil, fmt.Errorf("unknown edit kind %q", e.Kind)
}

func splice(data []byte, at int, ins string) []byte {
	out := make([]byte, 0, len(data)+len(ins))
	out = append(out, data[:at]...)
	out = append(out, ins...)
	return append(out, data[at:]...)
}

// pendingEdit is the original content of a file while an edit is applied,
// kept on disk so that a bench stopped in the middle (kill -9 included)
// is undone by the next one.
type pendingEdit struct {
	Path    string    `json:"path"`
	Content []byte    `json:"content"`
	Mode    uint32    `json:"mode"`
	MTime   time.Time `json:"mtime"`
}

// editor applies and reverts edits, one at a time.
type fileEditor struct {
	root    string
	pending string // file recording the pending edit
	cur     *pendingEdit
}

// restorePending undoes the edit an interrupted bench left behind, if any,
// and says which file it restored.
func (ed *fileEditor) restorePending() (string, error) {
	data, err := os.ReadFile(ed.pending)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("interrupted bench: %w", err)
	}
	var p pendingEdit
	if err := json.Unmarshal(data, &p); err != nil || p.Path == "" {
		return "", fmt.Errorf("interrupted bench: %s is unreadable; check your workspace for a leftover edit and delete it", ed.pending)
	}
	ed.cur = &p
	return p.Path, ed.revert()
}

// apply makes edit number n, first recording how to undo it.
func (ed *fileEditor) apply(e fileEdit, n int) error {
	if e.Kind == "noop" {
		return nil
	}
	path := filepath.Join(ed.root, e.File)
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	p := &pendingEdit{Path: path, Content: data, Mode: uint32(st.Mode().Perm()), MTime: st.ModTime()}
	rec, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(ed.pending, rec, 0o644); err != nil {
		return fmt.Errorf("record pending edit: %w", err)
	}
	ed.cur = p
	if e.Kind == "touch" {
		now := time.Now()
		return os.Chtimes(path, now, now)
	}
	out, err := e.apply(data, n)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, out, st.Mode().Perm())
}

// revert puts the file back as it was, content only: like a developer
// undoing an edit, which leaves the file newer than before.
func (ed *fileEditor) revert() error {
	if ed.cur == nil {
		return nil
	}
	p := ed.cur
	cur, err := os.ReadFile(p.Path)
	if err != nil || !bytes.Equal(cur, p.Content) {
		if err := atomicfile.Write(p.Path, p.Content, os.FileMode(p.Mode)); err != nil {
			return fmt.Errorf("revert %s: %w", p.Path, err)
		}
	}
	ed.cur = nil
	if err := os.Remove(ed.pending); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
