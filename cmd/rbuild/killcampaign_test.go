package main

// The kill -9 campaign: rbuild's whole process group is killed at random
// instants of clean builds, incremental builds with cutoff and relink,
// artifact-cache restores and publishes and no-op builds. After every kill
// the next build must succeed, its binaries must print what a clean cargo
// build's print for the same sources, the build after it must compile
// nothing, and the artifact cache must verify. A kill may cost rebuilds,
// never a failed or a wrong build.
//
// `make test` runs a short campaign (RBUILD_KILLS, default 12 instants);
// `make crash` runs the full one (KILLS, default 120, with the Debian
// workspace) and prints its figures. RBUILD_KILL_SEED replays a campaign.

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// killEdit rewrites the one group of re in file to one of values, as a
// developer's edit would: a private body (cutoff and relink), a public
// item (cascade), a crate root, a build script's input.
type killEdit struct {
	name   string
	file   string
	re     *regexp.Regexp
	values []string
}

type killWorkspace struct {
	name  string
	setup func(t *testing.T) string
	edits []killEdit
	runs  [][]string // programs under target/debug, with arguments
}

// killPhase is what the killed build was doing.
type killPhase string

const (
	phaseClean   killPhase = "clean build, empty cache (publish)"
	phaseRestore killPhase = "clean build, warm cache (restore)"
	phaseNoop    killPhase = "no-op"
)

func killWorkspaces(full bool) []killWorkspace {
	ws := []killWorkspace{
		{
			name:  "chain",
			setup: func(t *testing.T) string { return copyWorkspace(t, "chain") },
			edits: []killEdit{
				{"private body (a)", "a/src/lib.rs", regexp.MustCompile(`x \* (\d+)`), []string{"2", "3", "4"}},
				{"public const (a)", "a/src/lib.rs", regexp.MustCompile(`pub const BASE: u32 = (\d+);`), []string{"5", "6", "7"}},
				{"bin root (app)", "app/src/main.rs", regexp.MustCompile(`c::c_value\(\) \+ (\d+)`), []string{"1", "2"}},
			},
			runs: [][]string{{"app"}},
		},
		{
			name:  "msgs",
			setup: func(t *testing.T) string { return copyWorkspace(t, "msgs") },
			edits: []killEdit{
				{"private body (mcore)", "mcore/src/lib.rs", regexp.MustCompile(`fn helper\(\) -> u32 \{\n    (\d+)`), []string{"35", "36", "37"}},
				{"build script (mcore)", "mcore/build.rs", regexp.MustCompile(`GENERATED: u32 = (\d+);`), []string{"7", "8"}},
				{"proc macro (mderive)", "mderive/src/lib.rs", regexp.MustCompile(`\\"\{n\}(!*)\\"`), []string{"", "!"}},
			},
			runs: [][]string{{"mapp"}},
		},
		{
			name:  "links",
			setup: func(t *testing.T) string { return copyWorkspace(t, "links") },
			edits: []killEdit{
				{"C source (sysadd)", "sysadd/csrc/add.c", regexp.MustCompile(`return a \* b((?: \+ \d+)?);`), []string{"", " + 1"}},
				{"bin root (linkapp)", "linkapp/src/main.rs", regexp.MustCompile(`sysadd::add\(2, (\d+)\)`), []string{"40", "41"}},
			},
			runs: [][]string{{"linkapp"}},
		},
		{
			name: "registry crates",
			setup: func(t *testing.T) string {
				d := filepath.Join(t.TempDir(), "regapp")
				registryWorkspace(t, d)
				return d
			},
			edits: []killEdit{
				{"bin root (regapp)", "src/main.rs", regexp.MustCompile(`buf\.format\((\d+)u32\)`), []string{"4096", "4097"}},
			},
			runs: [][]string{{"regapp"}},
		},
	}
	if full {
		ws = append(ws, killWorkspace{
			name:  "debian",
			setup: func(t *testing.T) string { return debianWorkspace(t) },
			edits: []killEdit{
				{"private body (memchr)", "crates/memchr/src/memchr/fallback.rs",
					regexp.MustCompile(`debug_assert!\(a >= b(|, "a before b"|, "b after a")\);`), []string{"", `, "a before b"`, `, "b after a"`}},
				{"public item (memchr)", "crates/memchr/src/lib.rs",
					regexp.MustCompile(`\n((?:/// A new public item\.\npub const RBUILD_KILL: u32 = \d;\n)?)\z`), []string{"", "/// A new public item.\npub const RBUILD_KILL: u32 = 1;\n"}},
			},
			runs: debianRuns,
		})
	}
	return ws
}

// killTally counts one phase's instants.
type killTally struct {
	killed, finishedFirst, wrong int
}

func TestKill9Campaign(t *testing.T) {
	full := os.Getenv("RBUILD_KILL_FULL") != ""
	kills := envInt(t, "RBUILD_KILLS", 12)
	seed := uint64(envInt(t, "RBUILD_KILL_SEED", int(time.Now().UnixNano()%1e9)))
	t.Logf("kill -9 campaign: %d instants, seed %d (RBUILD_KILL_SEED=%d replays it)", kills, seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x6b696c6c))
	spaces := killWorkspaces(full)
	tallies := map[string]map[killPhase]*killTally{}
	for i, kw := range spaces {
		share := kills / len(spaces)
		if i < kills%len(spaces) {
			share++
		}
		if share == 0 {
			continue
		}
		t.Run(kw.name, func(t *testing.T) {
			tallies[kw.name] = map[killPhase]*killTally{}
			c := &killCampaign{t: t, kw: kw, rng: rng, tally: tallies[kw.name]}
			c.run(share)
		})
	}
	var lines []string
	var killed, first, wrong int
	for _, kw := range spaces {
		for ph, n := range tallies[kw.name] {
			lines = append(lines, fmt.Sprintf("%-16s %-38s %6d %8d %6d", kw.name, ph, n.killed, n.finishedFirst, n.wrong))
			killed, first, wrong = killed+n.killed, first+n.finishedFirst, wrong+n.wrong
		}
	}
	sort.Strings(lines)
	t.Logf("kill -9 campaign, seed %d:\n%-16s %-38s %6s %8s %6s\n%s\n%-55s %6d %8d %6d",
		seed, "workspace", "phase", "killed", "finished", "wrong", strings.Join(lines, "\n"), "total", killed, first, wrong)
}

type killCampaign struct {
	t     *testing.T
	kw    killWorkspace
	rng   *rand.Rand
	tally map[killPhase]*killTally

	dir, cacheDir, cargoDir string
	env                     []string
	took                    map[killPhase]time.Duration // an uninterrupted build of each phase
	want                    map[[32]byte][]string       // cargo's outputs per state of the sources
}

func (c *killCampaign) run(kills int) {
	t := c.t
	c.dir = c.kw.setup(t)
	c.cacheDir = t.TempDir()
	c.cargoDir = filepath.Join(t.TempDir(), "ct")
	c.env = cacheEnv(c.cacheDir)
	c.took = map[killPhase]time.Duration{}
	c.want = map[[32]byte][]string{}
	for done := 0; done < kills; {
		phase := c.nextPhase()
		if _, ok := c.took[phase]; !ok {
			// First time in this phase: build it whole, to learn how long
			// it takes (the kill instants are spread over that).
			start := time.Now()
			c.check(phase, false)
			c.took[phase] = time.Since(start)
			continue
		}
		if c.tally[phase] == nil {
			c.tally[phase] = &killTally{}
		}
		instant := time.Duration(c.rng.Int64N(int64(c.took[phase]) + 1))
		if killed, took := c.killAt(instant); killed {
			c.tally[phase].killed++
			done++
		} else {
			// Builds of a phase differ (a cascade or not): spread the
			// next instants over the shorter one.
			c.tally[phase].finishedFirst++
			c.took[phase] = took
		}
		if !c.check(phase, true) {
			c.tally[phase].wrong++
		}
	}
}

// nextPhase puts the workspace into a random state to build from and
// says which.
func (c *killCampaign) nextPhase() killPhase {
	switch r := c.rng.IntN(10); {
	case r == 0:
		os.RemoveAll(filepath.Join(c.dir, "target"))
		c.clearCache()
		return phaseClean
	case r == 1:
		os.RemoveAll(filepath.Join(c.dir, "target"))
		return phaseRestore
	case r == 2:
		return phaseNoop
	default:
		e := c.kw.edits[c.rng.IntN(len(c.kw.edits))]
		c.apply(e)
		return killPhase("edit: " + e.name)
	}
}

func (c *killCampaign) clearCache() {
	ents, _ := os.ReadDir(c.cacheDir)
	for _, e := range ents {
		os.RemoveAll(filepath.Join(c.cacheDir, e.Name()))
	}
}

// apply changes e's group to another of its values, saved in place or,
// as many editors do, by writing a new file and renaming it over.
func (c *killCampaign) apply(e killEdit) {
	t := c.t
	path := filepath.Join(c.dir, e.file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := e.re.FindSubmatchIndex(data)
	if m == nil || len(m) < 4 {
		t.Fatalf("edit %q: %s does not match %s", e.name, e.file, e.re)
	}
	cur := string(data[m[2]:m[3]])
	var others []string
	for _, v := range e.values {
		if v != cur {
			others = append(others, v)
		}
	}
	v := others[c.rng.IntN(len(others))]
	out := append(append(append([]byte{}, data[:m[2]]...), v...), data[m[3]:]...)
	if c.rng.IntN(2) == 0 {
		err = os.WriteFile(path, out, 0o644)
	} else {
		tmp := path + ".swp"
		if err = os.WriteFile(tmp, out, 0o644); err == nil {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

// killAt starts `rbuild build` and kills its process group after d. It
// reports whether the kill came before the build finished, and if not,
// how long the build took.
func (c *killCampaign) killAt(d time.Duration) (bool, time.Duration) {
	cmd := exec.Command(rbuildBin, "build")
	cmd.Dir = c.dir
	cmd.Env = append(cleanEnv(), c.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return false, time.Since(start)
	case <-time.After(d):
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled(), time.Since(start)
}

// check builds, compares the binaries with cargo's and builds again: that
// build must compile nothing. It reports whether all held; what did not is
// an error of the test.
func (c *killCampaign) check(phase killPhase, afterKill bool) bool {
	t := c.t
	t.Helper()
	what := string(phase)
	if afterKill {
		what = "after a kill -9 during " + what
	}
	ok := true
	r := rbuild(t, c.dir, c.env, "build")
	if r.code != 0 {
		t.Errorf("%s: rbuild build: exit %d\n%s", what, r.code, r.stderr)
		// Go on from a correct state, to count what else goes wrong.
		if r = rbuild(t, c.dir, c.env, "build"); r.code != 0 {
			t.Fatalf("%s: a second rbuild build fails too: exit %d\n%s", what, r.code, r.stderr)
		}
		ok = false
	}
	want := c.cargoOutputs()
	for i, run := range c.kw.runs {
		if got := c.runOutput(filepath.Join(c.dir, "target", "debug"), run); got != want[i] {
			t.Errorf("%s: %v prints %q, a clean cargo build's %q", what, run, got, want[i])
			ok = false
		}
	}
	r = rbuild(t, c.dir, c.env, "build", "-v")
	if n := strings.Count(r.stderr, "Running `"); r.code != 0 || n > 0 {
		t.Errorf("%s: the build after the recovering one ran %d commands (exit %d)\n%s", what, n, r.code, r.stderr)
		ok = false
	}
	if v := rbuild(t, c.dir, c.env, "cache", "verify"); v.code != 0 || !strings.Contains(v.stdout, " 0 dropped") {
		t.Errorf("%s: cache verify: exit %d\n%s%s", what, v.code, v.stdout, v.stderr)
		ok = false
	}
	return ok
}

func (c *killCampaign) runOutput(dir string, run []string) string {
	cmd := exec.Command(filepath.Join(dir, run[0]), run[1:]...)
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s (%v)", out, err)
	}
	return string(out)
}

// cargoOutputs is what the programs print when cargo builds the sources
// as they are now, remembered per state of the edited files.
func (c *killCampaign) cargoOutputs() []string {
	h := sha256.New()
	for _, e := range c.kw.edits {
		data, err := os.ReadFile(filepath.Join(c.dir, e.file))
		if err != nil {
			c.t.Fatal(err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.file, len(data))
		h.Write(data)
	}
	var key [32]byte
	h.Sum(key[:0])
	if w, ok := c.want[key]; ok {
		return w
	}
	profile := cargo(c.t, c.dir, c.cargoDir, "build")
	var w []string
	for _, run := range c.kw.runs {
		w = append(w, c.runOutput(profile, run))
	}
	c.want[key] = w
	return w
}
