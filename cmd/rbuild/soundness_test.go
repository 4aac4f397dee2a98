package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The differential soundness run (issue 3): random edits of the change
// kinds in rustc-facts.md §2, applied in sequence to the Debian
// workspace's path copies of memchr and regex-syntax. After each edit
// rbuild (interface cutoff) and cargo (its own target dir, rebuilding
// every dependent as it always does) build the same tree; every binary
// must print the same thing, and rbuild must never show E0460 or a link
// error. RBUILD_SOUNDNESS_SEED and RBUILD_SOUNDNESS_EDITS explore further.

var soundCrates = []struct{ dir, ident string }{
	{"crates/memchr", "memchr"},
	{"crates/regex-syntax", "regex_syntax"},
}

// probeRuns adds the probe binary to the Debian runs: it prints the value
// every probe item has as its dependent sees it.
var probeRuns = append(slices.Clone(debianRuns), []string{"probe"})

func TestSoundnessRandomEdits(t *testing.T) {
	if testing.Short() {
		t.Skip("differential soundness run: minutes")
	}
	t.Parallel()
	dir := debianWorkspace(t)
	addProbes(t, dir)
	seed := uint64(envInt(t, "RBUILD_SOUNDNESS_SEED", 1))
	edits := envInt(t, "RBUILD_SOUNDNESS_EDITS", 30)
	rng := rand.New(rand.NewPCG(seed, 0))
	ed := &editor{dir: dir, rng: rng, seen: map[string][]string{}}
	ct := filepath.Join(t.TempDir(), "ct")
	var log []string
	var totals [4]int // rbuild compiled, cut off, relinked; cargo compiled
	// What cargo's binaries print for each content of the tree seen so
	// far: a touch, or a revert that brings back a whole earlier tree, is
	// compared with what cargo built from those very sources before.
	cargoSaw := map[string][]string{}
	skipped := 0
	check := func(step string) {
		t.Helper()
		sum := treeHash(t, dir)
		want, seen := cargoSaw[sum]
		var rb, cg buildResult
		if seen {
			rb = buildRbuild(dir)
			skipped++
		} else {
			rb, cg = buildBoth(dir, ct)
		}
		if rb.err != nil || cg.err != nil {
			t.Fatalf("after %s: rbuild: %v, cargo: %v\nedits (seed %d):\n%s\nrbuild:\n%s\ncargo:\n%s",
				step, rb.err, cg.err, seed, strings.Join(log, "\n"), rb.out, cg.out)
		}
		for _, bad := range []string{"E0460", "undefined symbol", "undefined reference", "error: linking with"} {
			if strings.Contains(rb.out, bad) {
				t.Fatalf("after %s: rbuild printed %q\nedits (seed %d):\n%s\n%s", step, bad, seed, strings.Join(log, "\n"), rb.out)
			}
		}
		counts := summaryCounts(rb.out)
		for i, n := range counts {
			totals[i] += n
		}
		cargoUnits := strings.Count(cg.out, "Compiling ")
		totals[3] += cargoUnits
		if len(log) > 0 {
			theirs := fmt.Sprintf("cargo: %d compiled", cargoUnits)
			if seen {
				theirs = "cargo built these sources before"
			}
			log[len(log)-1] += fmt.Sprintf(" (rbuild: %d compiled, %d cut off, %d relinked; %s)",
				counts[0], counts[1], counts[2], theirs)
		}
		if !seen {
			for _, run := range probeRuns {
				want = append(want, runProgramIn(t, dir, filepath.Join(ct, "debug", run[0]), run[1:]...))
			}
			// The tree as built: the first build brings Cargo.lock up to
			// date with the probe members.
			cargoSaw[treeHash(t, dir)] = want
		}
		for i, run := range probeRuns {
			got := runProgramIn(t, dir, filepath.Join(dir, "target", "debug", run[0]), run[1:]...)
			if got != want[i] {
				t.Fatalf("after %s: %v prints\n%s\nbut cargo's build prints\n%s\nedits (seed %d):\n%s",
					step, run, got, want[i], seed, strings.Join(log, "\n"))
			}
		}
	}
	check("the first build")
	totals = [4]int{}
	for i := 1; i <= edits; i++ {
		log = append(log, fmt.Sprintf("%2d. %s", i, ed.apply(t, i)))
		check(log[len(log)-1])
	}
	t.Logf("seed %d, %d edits: rbuild compiled %d units, cut off %d, relinked %d; cargo compiled %d units (%d trees cargo had built already)\n%s",
		seed, edits, totals[0], totals[1], totals[2], totals[3], skipped, strings.Join(log, "\n"))
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}

// addProbes appends testdata/soundness/probe_module.rs to both edited
// crates and adds the probemid library and probe binary that read it.
func addProbes(t *testing.T, dir string) {
	t.Helper()
	src := filepath.Join(repoRoot(t), "testdata", "soundness")
	module, err := os.ReadFile(filepath.Join(src, "probe_module.rs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range soundCrates {
		lib := filepath.Join(dir, c.dir, "src", "lib.rs")
		f, err := os.OpenFile(lib, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteString(strings.ReplaceAll(string(module), "CRATE_", c.ident+"_"))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"probemid", "probe"} {
		if out, err := exec.Command("cp", "-r", filepath.Join(src, p), filepath.Join(dir, p)).CombinedOutput(); err != nil {
			t.Fatalf("copy %s: %v %s", p, err, out)
		}
	}
	applyEdit(t, dir, edit{"Cargo.toml", "members = [\n", "members = [\n    \"probemid\",\n    \"probe\",\n"})
}

type buildResult struct {
	out string
	err error
}

// buildBoth runs rbuild and cargo at once: they share only the sources,
// and together they keep both cores busy.
func buildBoth(dir, cargoTarget string) (rb, cg buildResult) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		rb = buildRbuild(dir)
	}()
	cmd := exec.Command("cargo", "build")
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "CARGO_TARGET_DIR="+cargoTarget)
	out, err := cmd.CombinedOutput()
	cg = buildResult{string(out), err}
	<-done
	return rb, cg
}

func buildRbuild(dir string) buildResult {
	cmd := exec.Command(rbuildBin, "build")
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	return buildResult{string(out), err}
}

var summaryRE = regexp.MustCompile(`rbuild: (\d+) compiled, (\d+) cut off, (\d+) relinked`)

// summaryCounts reads compiled, cut off and relinked from the summary
// line (zeros when nothing ran).
func summaryCounts(out string) [3]int {
	var n [3]int
	if m := summaryRE.FindStringSubmatch(out); m != nil {
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+1])
		}
	}
	return n
}

// editor applies random edits; seen keeps every earlier content of each
// file it changed, for reverts.
type editor struct {
	dir  string
	rng  *rand.Rand
	seen map[string][]string
}

// The kinds, weighted: real code gets edits a cutoff should absorb
// (comments, layout, private bodies, new fns), the probe items get value
// changes a dependent observes, and reverts bring back older artifacts'
// crate hashes (the decoy hazard).
var editKinds = []struct {
	name   string
	weight int
}{
	{"comment", 2}, {"blank line", 1}, {"body statement", 3}, {"new private fn", 1},
	{"new pub fn", 1}, {"probe value", 5}, {"shared generic", 1}, {"revert", 2}, {"touch", 1},
}

var probeKinds = []string{"const", "private", "pub", "inline", "generic", "constfn", "layout", "default", "impltrait", "async", "macro"}

// fnLine matches the first line of a fn item whose signature fits on it.
var fnLine = regexp.MustCompile(`^(\s*)(pub(\([a-z]+\))? )?(unsafe )?(extern "C" )?fn [a-z_0-9]+[<(].*$`)

func (e *editor) apply(t *testing.T, i int) string {
	t.Helper()
	c := soundCrates[e.rng.IntN(len(soundCrates))]
	total := 0
	for _, k := range editKinds {
		total += k.weight
	}
	pick := e.rng.IntN(total)
	kind := editKinds[0].name
	for _, k := range editKinds {
		if pick < k.weight {
			kind = k.name
			break
		}
		pick -= k.weight
	}
	lib := filepath.Join(c.dir, "src", "lib.rs")
	switch kind {
	case "comment", "blank line", "body statement":
		file, lines, at := e.fnLineIn(t, c.dir, kind == "body statement")
		indent := fnLine.FindStringSubmatch(lines[at])[1]
		switch kind {
		case "comment":
			lines = slices.Insert(lines, at, fmt.Sprintf("%s// rbuild edit %d", indent, i))
		case "blank line":
			lines = slices.Insert(lines, at, "")
		default:
			lines = slices.Insert(lines, at+1, fmt.Sprintf("%s    let _rbuild_edit_%d = %d;", indent, i, i))
		}
		e.write(t, file, strings.Join(lines, "\n"))
		return fmt.Sprintf("%s at %s:%d", kind, file, at+1)
	case "new private fn":
		file := e.randomFile(t, c.dir)
		e.write(t, file, e.read(t, file)+fmt.Sprintf("\n#[allow(dead_code)]\nfn rbuild_edit_%d() -> u32 {\n    %d\n}\n", i, i))
		return fmt.Sprintf("%s in %s", kind, file)
	case "new pub fn":
		e.write(t, lib, e.read(t, lib)+fmt.Sprintf("\n#[doc(hidden)]\npub fn rbuild_edit_%d() -> u32 {\n    %d\n}\n", i, i))
		return fmt.Sprintf("%s in %s", kind, lib)
	case "probe value":
		p := probeKinds[e.rng.IntN(len(probeKinds))]
		re := regexp.MustCompile(`/\*P:` + p + `\*/ \d+`)
		v := 2 + e.rng.IntN(90)
		e.write(t, lib, re.ReplaceAllString(e.read(t, lib), fmt.Sprintf("/*P:%s*/ %d", p, v)))
		return fmt.Sprintf("probe %s = %d in %s", p, v, c.dir)
	case "shared generic":
		re := regexp.MustCompile(`(?s)/\*S:shared\*/.*?/\*S:end\*/`)
		text := e.read(t, lib)
		with := "/*S:shared*/let mut v = ::std::vec::Vec::new();\n        v.push(Layout::new(1));\n        v/*S:end*/"
		without := "/*S:shared*/::std::vec::Vec::with_capacity(1)/*S:end*/"
		next, what := without, "stops"
		if !strings.Contains(text, "push(Layout::new(1))") {
			next, what = with, "starts"
		}
		e.write(t, lib, re.ReplaceAllLiteralString(text, next))
		return fmt.Sprintf("items() %s instantiating Vec<Layout>::push in %s", what, c.dir)
	case "revert":
		var files []string
		for f := range e.seen {
			files = append(files, f)
		}
		if len(files) == 0 {
			return e.touch(t, c.dir)
		}
		slices.Sort(files)
		file := files[e.rng.IntN(len(files))]
		old := e.seen[file]
		back := e.rng.IntN(len(old))
		e.write(t, file, old[back])
		return fmt.Sprintf("revert %s to its content before edit %d of it", file, back+1)
	default:
		return e.touch(t, c.dir)
	}
}

func (e *editor) touch(t *testing.T, crate string) string {
	file := e.randomFile(t, crate)
	now := time.Now()
	if err := os.Chtimes(filepath.Join(e.dir, file), now, now); err != nil {
		t.Fatal(err)
	}
	return "touch " + file
}

// randomFile picks a source file of crate that the build compiles (not its
// tests, not the generated Unicode tables).
func (e *editor) randomFile(t *testing.T, crate string) string {
	t.Helper()
	var files []string
	root := filepath.Join(e.dir, crate, "src")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "tests" || d.Name() == "unicode_tables") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".rs") {
			rel, _ := filepath.Rel(e.dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files[e.rng.IntN(len(files))]
}

// fnLineIn picks a random fn line in a random file of crate; withBody
// wants one whose body opens on that line.
func (e *editor) fnLineIn(t *testing.T, crate string, withBody bool) (string, []string, int) {
	t.Helper()
	for {
		file := e.randomFile(t, crate)
		lines := strings.Split(e.read(t, file), "\n")
		var cands []int
		for i, l := range lines {
			if fnLine.MatchString(l) && (!withBody || strings.HasSuffix(l, "{")) {
				cands = append(cands, i)
			}
		}
		if len(cands) > 0 {
			return file, lines, cands[e.rng.IntN(len(cands))]
		}
	}
}

func (e *editor) read(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func (e *editor) write(t *testing.T, file, text string) {
	t.Helper()
	old := e.read(t, file)
	e.seen[file] = append(e.seen[file], old)
	if err := os.WriteFile(filepath.Join(e.dir, file), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
