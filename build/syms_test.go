package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The .syms file beside an rlib is the previous build's exported symbols;
// the symbol epoch (which lets a dependent stay cut off) is kept only if
// none of them disappeared. A crash can leave it empty, truncated or
// garbled: that must read as "unknown" (epoch restarts, dependents
// rebuild), never as "the previous build exported nothing".
func TestSymsDamagedFailsClosed(t *testing.T) {
	dir := t.TempDir()
	syms := filepath.Join(dir, "libfoo-0123.syms")
	// A first build keeps its list: a, b, c.
	if symbolsDropped(syms, []string{"a", "b", "c"}) != true {
		t.Fatal("no previous list: want the epoch restarted")
	}
	if symbolsDropped(syms, []string{"a", "b", "c", "d"}) {
		t.Fatal("a symbol added: want the epoch kept")
	}
	if !symbolsDropped(syms, []string{"a", "c", "d"}) {
		t.Fatal("b removed: want the epoch restarted")
	}
	data, err := os.ReadFile(syms)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, content string }{
		{"empty", ""},
		{"truncated", string(data[:1])},
		{"garbled", strings.NewReplacer("c", "a", "d", "a").Replace(string(data))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(syms, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			// The crate now exports only a: d is gone. A damaged list must
			// not hide that.
			if !symbolsDropped(syms, []string{"a"}) {
				t.Errorf("%s .syms (%q) read as a list of the previous symbols: the epoch was kept though d was removed", tt.name, tt.content)
			}
			// The list written now is whole again.
			if symbolsDropped(syms, []string{"a"}) {
				t.Error("the list written after a damaged one is not read back")
			}
		})
	}
}

// The list is replaced whole (temp file and rename), never rewritten in
// place: a hard link to the old file keeps the old content.
func TestSymsReplacedAtomically(t *testing.T) {
	dir := t.TempDir()
	syms := filepath.Join(dir, "libfoo.syms")
	symbolsDropped(syms, []string{"a", "b"})
	old := filepath.Join(dir, "old")
	if err := os.Link(syms, old); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(old)
	symbolsDropped(syms, []string{"a", "b", "c"})
	after, _ := os.ReadFile(old)
	if string(before) != string(after) {
		t.Errorf(".syms was rewritten in place: a crash mid-write leaves it torn (%q became %q)", before, after)
	}
}
