package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// stableToolchain skips where the toolchain is a nightly one: there cargo
// itself allows features and mangles v0, and nothing is pinned.
func stableToolchain(t *testing.T) {
	t.Helper()
	out, err := exec.Command("rustc", "-vV").Output()
	if err != nil {
		t.Fatalf("rustc -vV: %v", err)
	}
	if strings.Contains(string(out), "-nightly") || strings.Contains(string(out), "-dev") {
		t.Skip("nightly toolchain: nothing to pin")
	}
}

// rbuild runs rustc with RUSTC_BOOTSTRAP=1, which on a stable toolchain
// would accept #![feature]; cargo refuses it, and so must rbuild.
func TestStableRustcRefusesFeatures(t *testing.T) {
	stableToolchain(t)
	ws := copyWorkspace(t, "stablerustc")
	c := runIn(t, "cargo", ws, []string{"CARGO_TARGET_DIR=" + filepath.Join(t.TempDir(), "ct")}, "build", "-p", "nightlyonly")
	if c.code == 0 {
		t.Fatal("cargo built a crate using #![feature] on a stable toolchain: the test proves nothing")
	}
	r := rbuild(t, ws, nil, "build", "-p", "nightlyonly")
	if r.code != 101 || !strings.Contains(r.stderr, "could not compile `nightlyonly`") || !strings.Contains(r.stderr, "never_type") {
		t.Errorf("rbuild: exit %d, want 101 and the feature refused:\n%s", r.code, r.stderr)
	}
}

var (
	legacyHash = regexp.MustCompile(`::h[0-9a-f]{16}$`)
	v0Crate    = regexp.MustCompile(`\[[0-9a-f]+\]`)
	threadID   = regexp.MustCompile(`thread '([^']*)' \(\d+\)`)
)

// crateSymbols lists the binary's own symbols (those of crate `crash`):
// its mangling scheme and its demangled name without the hash.
func crateSymbols(t *testing.T, bin string) []string {
	t.Helper()
	raw, err := exec.Command("nm", "--defined-only", bin).Output()
	if err != nil {
		t.Fatalf("nm %s: %v", bin, err)
	}
	demangled, err := exec.Command("nm", "--defined-only", "-C", bin).Output()
	if err != nil {
		t.Fatalf("nm -C %s: %v", bin, err)
	}
	rl, dl := strings.Split(string(raw), "\n"), strings.Split(string(demangled), "\n")
	if len(rl) != len(dl) {
		t.Fatalf("nm and nm -C disagree on %s", bin)
	}
	var syms []string
	for i := range rl {
		f, g := strings.Fields(rl[i]), strings.SplitN(dl[i], " ", 3)
		if len(f) < 3 || len(g) < 3 || !strings.HasPrefix(g[2], "crash") {
			continue
		}
		scheme := "legacy"
		if strings.HasPrefix(f[2], "_R") {
			scheme = "v0"
		}
		syms = append(syms, scheme+" "+v0Crate.ReplaceAllString(legacyHash.ReplaceAllString(g[2], ""), ""))
	}
	slices.Sort(syms)
	return syms
}

// A binary rbuild builds names its symbols as cargo's does (legacy
// mangling on stable), so a panic's backtrace reads the same.
func TestStableRustcSymbolsAndBacktrace(t *testing.T) {
	stableToolchain(t)
	ws := copyWorkspace(t, "stablerustc")
	ctd := filepath.Join(t.TempDir(), "ct")
	cargo(t, ws, ctd, "build", "-q")
	mustRbuild(t, ws, nil, "build")
	theirs, ours := filepath.Join(ctd, "debug", "crash"), filepath.Join(ws, "target", "debug", "crash")
	want, got := crateSymbols(t, theirs), crateSymbols(t, ours)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("symbols of crate crash:\n got  %q\n want %q (cargo)", got, want)
	}
	backtrace := func(bin string) string {
		c := exec.Command(bin)
		c.Dir, c.Env = ws, append(cleanEnv(), "RUST_BACKTRACE=1")
		out, _ := c.CombinedOutput()
		return threadID.ReplaceAllString(string(out), "thread '$1' (N)")
	}
	if b, w := backtrace(ours), backtrace(theirs); b != w || !strings.Contains(w, "crash::middle") {
		t.Errorf("backtrace:\n%s\ncargo's:\n%s", b, w)
	}
}
