package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rbuild/build"
)

// TestTestLoopLinksOnce: the edit → test loop on the Debian workspace. A
// private edit of memchr is one compile, the libs the doctests load
// (regex, aho-corasick, wscommon, which the cutoff would leave compiled
// against the older memchr) compiled before anything links them, and one
// link of each executable above. Then `rbuild test` again, nothing
// changed, must compile and link nothing. Before, the doctests' libs were
// repaired after the links, so that next build relinked every test
// executable above them; and a repaired registry crate restarted its
// symbol epoch, so it also recompiled every dependent of regex (13
// compiles).
func TestTestLoopLinksOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("the Debian workspace's test build: minutes")
	}
	dir := debianWorkspace(t)
	target := filepath.Join(dir, "target")
	// memchr's own suite runs for minutes in a debug build.
	args := []string{"test", "--workspace", "--exclude", "memchr"}
	mustRbuild(t, dir, nil, args...)

	f := filepath.Join(dir, "crates", "memchr", "src", "memchr", "fallback.rs")
	const sig = "fn sub(a: *const u8, b: *const u8) -> usize {"
	src := string(readFile(t, f))
	if !strings.Contains(src, sig) {
		t.Fatalf("%s has no %q: the workspace changed", f, sig)
	}
	if err := os.WriteFile(f, []byte(strings.Replace(src, sig, sig+" let _edit = 1u32;", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := mustRbuild(t, dir, nil, args...)
	c, err := build.ReadCounts(target, start)
	if err != nil {
		t.Fatal(err)
	}
	if c.Compiled < 1 || c.TestsLinked < 1 || c.Repaired < 1 {
		t.Fatalf("after the private edit: %+v; want memchr and the doctests' libs compiled, test executables linked\n%s", c, r.stderr)
	}
	verdicts, err := build.ReadExplain(target)
	if err != nil {
		t.Fatal(err)
	}
	inRun := 0
	for _, v := range verdicts {
		if strings.HasPrefix(v.Reason, "repair:") {
			t.Errorf("%s was repaired after the run (%s): the links before it used its stale rlib", v.Label, v.Reason)
		}
		if strings.HasPrefix(v.Reason, "loaded by doctests") {
			inRun++
		}
	}
	if inRun != c.Repaired {
		t.Errorf("%d libs compiled in the run for the doctests, %d repairs counted", inRun, c.Repaired)
	}
	if !strings.Contains(r.stderr, "Doc-tests wscommon") {
		t.Errorf("the doctests did not run:\n%s", r.stderr)
	}

	start = time.Now()
	r = mustRbuild(t, dir, nil, args...)
	c, err = build.ReadCounts(target, start)
	if err != nil {
		t.Fatal(err)
	}
	if c.Compiled != 0 || c.Repaired != 0 || c.Relinked != 0 || c.TestsLinked != 0 {
		t.Errorf("rbuild test after the loop, nothing changed: %+v; want nothing compiled or linked\n%s", c, r.stderr)
	}
}
