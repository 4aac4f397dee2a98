package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"rbuild/build"
	"rbuild/cargometa"
	"rbuild/cutoff"
)

// TestHermeticRustcOpens proves that every rustc rbuild starts opens only
// the dependency artifacts the graph declares for its unit
// (cargometa.ViewFiles), by tracing a clean build of the Debian-crates
// workspace with strace. The same build with cargo's layout
// (RBUILD_SHARED_DEPS=1: one shared `-L dependency=deps/`) is traced too,
// and must show undeclared opens, so that the test can fail.
func TestHermeticRustcOpens(t *testing.T) {
	if testing.Short() {
		t.Skip("traces two full builds of the Debian-crates workspace")
	}
	t.Parallel()
	if _, err := exec.LookPath("strace"); err != nil {
		if os.Getenv("RBUILD_REQUIRE_DEBIAN") != "" {
			t.Fatal("strace missing: run scripts/install-test-deps.sh (make test does)")
		}
		t.Skip("strace not installed (scripts/install-test-deps.sh)")
	}
	before := traceHermeticity(t, true)
	after := traceHermeticity(t, false)
	t.Logf("hermeticity: before (shared deps dir) %s; after (views) %s", before, after)
	before.logCategories(t, "before")
	after.logDepSources(t, "after")
	if after.undeclared > 0 {
		after.logCategories(t, "after")
		t.Errorf("after: %d opens of undeclared files, e.g.:\n%s", after.undeclared, after.examples(10))
	}
	if before.undeclared == 0 {
		t.Error("before: no undeclared opens with the shared deps dir: the test cannot tell views from cargo's layout")
	}
}

// hermeticity sums up one traced build.
type hermeticity struct {
	runs, links, unidentified    int // traced rustc runs of units (links among them); others (probes)
	opens, declared, undeclared  int // successful opens of non-directories
	depSources                   int // opens of a dependency's sources, see classify
	dirs                         int // directory listings (O_DIRECTORY), not classified
	offenders, depSourceOpens    []offence
	undeclaredFiles, categorised map[string]int
}

type offence struct{ unit, path, category string }

func (h *hermeticity) String() string {
	return fmt.Sprintf("%d undeclared opens of %d files in %d rustc runs (%d opens: %d of declared artifacts, %d of dependencies' sources)",
		h.undeclared, len(h.undeclaredFiles), h.runs, h.opens, h.declared, h.depSources)
}

func (h *hermeticity) examples(n int) string {
	var b strings.Builder
	for i, o := range h.offenders {
		if i == n {
			break
		}
		fmt.Fprintf(&b, "  %s: %s (%s)\n", o.unit, o.path, o.category)
	}
	return b.String()
}

func (h *hermeticity) logCategories(t *testing.T, mode string) {
	t.Helper()
	cats := make([]string, 0, len(h.categorised))
	for c := range h.categorised {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		var ex []string
		for _, o := range h.offenders {
			if o.category == c && len(ex) < 3 {
				ex = append(ex, o.unit+": "+filepath.Base(o.path))
			}
		}
		t.Logf("%s: %d undeclared opens: %s, e.g. %s", mode, h.categorised[c], c, strings.Join(ex, "; "))
	}
	t.Logf("%s: %d rustc runs of rbuild's units traced (%d compiles, %d links), %d other rustc runs (probes) ignored, %d directory listings not counted",
		mode, h.runs, h.runs-h.links, h.links, h.unidentified, h.dirs)
}

func (h *hermeticity) logDepSources(t *testing.T, mode string) {
	t.Helper()
	for _, o := range h.depSourceOpens {
		t.Logf("%s: dependency source read (span snippet): %s: %s", mode, o.unit, o.path)
	}
}

// traceHermeticity builds a fresh copy of the workspace under strace and
// classifies every file each rustc opened.
func traceHermeticity(t *testing.T, sharedDeps bool) *hermeticity {
	t.Helper()
	dir, err := filepath.EvalSymlinks(debianWorkspace(t))
	if err != nil {
		t.Fatal(err)
	}
	logf := filepath.Join(t.TempDir(), "strace.log")
	traceBuild(t, dir, logf, sharedDeps)
	recs, err := readStrace(logf)
	if err != nil {
		t.Fatal(err)
	}
	// The plan of the build just made, as view_test.go gets it, opened in
	// dir (cargo reads the workspace's .cargo/config.toml from there)
	// without changing the test's working directory, so that the test can
	// run in parallel with others.
	o, err := parseArgs([]string{"build"})
	if err != nil {
		t.Fatal(err)
	}
	opt := o.buildOptions(nil)
	opt.Dir = dir
	s, err := build.Open(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := newOpenClassifier(t, s.Plan(), sharedDeps)
	if err != nil {
		t.Fatal(err)
	}
	runs, unidentified := attributeOpens(recs, c.identify)
	h := &hermeticity{runs: len(runs), unidentified: unidentified,
		undeclaredFiles: map[string]int{}, categorised: map[string]int{}}
	// A clean build runs every compile and link once: a run the trace did
	// not attribute would go unchecked.
	if want := expectedRuns(s.Plan()); h.runs != want {
		t.Fatalf("traced %d rustc runs of the plan's units, want %d (unit hashes differ? RUSTFLAGS in the environment?)", h.runs, want)
	}
	for _, r := range runs {
		if r.link {
			h.links++
		}
		h.dirs += r.dirs
		for _, path := range r.opens {
			h.add(c, r, path)
		}
	}
	return h
}

// expectedRuns counts the rustc processes a clean build of p starts.
func expectedRuns(p *cargometa.Plan) int {
	n := 0
	for _, u := range p.Units {
		switch {
		case u.IsRun:
		case u.SplitLink:
			n += 2
		default:
			n++
		}
	}
	return n
}

func (h *hermeticity) add(c *openClassifier, r *rustcRun, path string) {
	h.opens++
	switch c.classify(r, path) {
	case opened.declared:
		h.declared++
	case opened.depSource:
		h.depSources++
		h.depSourceOpens = append(h.depSourceOpens, offence{unit: r.label(), path: path})
	case opened.undeclared:
		h.undeclared++
		h.undeclaredFiles[path]++
		cat := c.category(r.unit, path)
		h.categorised[cat]++
		h.offenders = append(h.offenders, offence{unit: r.label(), path: path, category: cat})
	}
}

// traceBuild runs `rbuild build` in dir under strace, following every
// process and thread. -y prints the path behind each returned fd (so
// relative and dirfd-relative opens need no cwd tracking), -s keeps
// argv and paths whole.
func traceBuild(t *testing.T, dir, logf string, sharedDeps bool) {
	t.Helper()
	cmd := exec.Command("strace", "-f", "-qq", "-y", "-s", "65536",
		"-e", "trace=execve,openat,openat2,open,clone,clone3,fork,vfork", "-o", logf, rbuildBin, "build")
	cmd.Dir = dir
	cmd.Env = slices.DeleteFunc(cleanEnv(), func(kv string) bool { return strings.HasPrefix(kv, "RBUILD_SHARED_DEPS=") })
	if sharedDeps {
		cmd.Env = append(cmd.Env, "RBUILD_SHARED_DEPS=1")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("strace rbuild build (shared deps %v): %v\n%s", sharedDeps, err, out)
	}
}

// sysRecord is one completed system call of an `strace -f -y` log.
type sysRecord struct {
	tid  int
	call string // "openat", "execve", "clone3", ...
	args string // strace's rendering of the arguments
	ret  int64  // -1 for failures and unknown results
	path string // -y's decoration of the returned fd: the file opened
}

var (
	straceLine    = regexp.MustCompile(`^(\d+) +(.*)$`)
	straceResumed = regexp.MustCompile(`^<\.\.\. [a-z0-9_]+ resumed>(.*)$`)
	straceCall    = regexp.MustCompile(`^([a-z0-9_]+)\((.*)\) += (-?\d+|\?)(.*)$`)
	straceQuoted  = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)
)

const straceUnfinished = " <unfinished ...>"

// readStrace joins each call's "<unfinished ...>" and "<... resumed>"
// halves and returns the calls in the order they started: a child's first
// calls can be logged before its parent's clone returns, never before the
// clone starts.
func readStrace(path string) ([]sysRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("strace log: %w", err)
	}
	defer f.Close()
	type started struct {
		idx  int
		text string
	}
	pending := map[int]started{}
	var recs []sysRecord
	var order []int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for idx := 0; sc.Scan(); idx++ {
		m := straceLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		tid, _ := strconv.Atoi(m[1])
		text, start := m[2], idx
		if r := straceResumed.FindStringSubmatch(text); r != nil {
			p, ok := pending[tid]
			if !ok {
				continue
			}
			delete(pending, tid)
			text, start = p.text+r[1], p.idx
		}
		if rest, ok := strings.CutSuffix(text, straceUnfinished); ok {
			pending[tid] = started{start, rest}
			continue
		}
		if rec, ok := parseCall(tid, text); ok {
			recs = append(recs, rec)
			order = append(order, start)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("strace log: %w", err)
	}
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return order[idx[a]] < order[idx[b]] })
	sorted := make([]sysRecord, len(recs))
	for i, j := range idx {
		sorted[i] = recs[j]
	}
	return sorted, nil
}

// parseCall reads `name(args) = ret<path>`; signals and exits do not match.
func parseCall(tid int, text string) (sysRecord, bool) {
	m := straceCall.FindStringSubmatch(text)
	if m == nil {
		return sysRecord{}, false
	}
	rec := sysRecord{tid: tid, call: m[1], args: m[2], ret: -1}
	if n, err := strconv.ParseInt(m[3], 10, 64); err == nil {
		rec.ret = n
	}
	if tail := m[4]; strings.HasPrefix(tail, "</") && strings.HasSuffix(tail, ">") {
		rec.path = tail[1 : len(tail)-1]
	} else if q := straceQuoted.FindStringSubmatch(rec.args); q != nil {
		// Not a file (the jobserver client reopens its pipe as
		// /dev/fd/N: -y shows "pipe:[…]"): the name opened is the path.
		rec.path = q[1]
	}
	return rec, true
}

// rustcRun is one traced rustc process of a unit: its compile, or the
// link of a split executable.
type rustcRun struct {
	unit  *cargometa.Unit
	link  bool
	opens []string // successful opens of non-directories, canonical paths
	dirs  int
}

func (r *rustcRun) label() string {
	if r.link {
		return "link " + r.unit.Label + " " + r.unit.J.Target.Name
	}
	return r.unit.Label + " " + r.unit.Kind() + " " + r.unit.J.Target.Name
}

// attributeOpens gives every successful open to the program the calling
// thread was running. A thread or child runs its parent's program from
// the clone on, until it execs its own: so opens by rustc's threads count
// for the rustc, and those of the cc and ld it starts do not (only what
// the fork child opens before its exec). identify says which execs are
// runs of a unit (nil: another program) and whether they were rustc
// at all.
func attributeOpens(recs []sysRecord, identify func(argv []string) (*rustcRun, bool)) (runs []*rustcRun, unidentified int) {
	prog := map[int]*rustcRun{}
	for _, rec := range recs {
		switch rec.call {
		case "clone", "clone3", "fork", "vfork":
			if rec.ret > 0 {
				prog[int(rec.ret)] = prog[rec.tid]
			}
		case "execve":
			if rec.ret != 0 {
				continue
			}
			r, isRustc := identify(execArgv(rec.args))
			prog[rec.tid] = r
			if r != nil {
				runs = append(runs, r)
			} else if isRustc {
				unidentified++
			}
		case "open", "openat", "openat2":
			r := prog[rec.tid]
			if r == nil || rec.ret < 0 || rec.path == "" {
				continue
			}
			// A directory open is a listing (rustc's search of its
			// `-L dependency=` dir): it reads no artifact, and which files
			// it then opens is what counts.
			if strings.Contains(rec.args, "O_DIRECTORY") {
				r.dirs++
				continue
			}
			r.opens = append(r.opens, strings.TrimSuffix(rec.path, " (deleted)"))
		}
	}
	return runs, unidentified
}

// execArgv reads the argv array of strace's `execve("path", [...], env)`.
func execArgv(args string) []string {
	i := strings.Index(args, ", [")
	if i < 0 {
		return nil
	}
	var argv []string
	s := args[i+3:]
	for len(s) > 0 && s[0] == '"' {
		end := 1
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(s) {
			break
		}
		quoted := s[:end+1]
		if v, err := strconv.Unquote(quoted); err == nil {
			argv = append(argv, v)
		} else {
			argv = append(argv, quoted[1:len(quoted)-1])
		}
		s = strings.TrimPrefix(s[end+1:], ", ")
	}
	return argv
}

// opened classes of a file a rustc opened.
var opened = struct{ allowed, declared, depSource, undeclared int }{0, 1, 2, 3}

// openClassifier knows, for the plan of the traced build, which files each
// unit's rustc may open.
type openClassifier struct {
	plan       *cargometa.Plan
	sharedDeps bool
	byHash     map[string]*cargometa.Unit
	byRlink    map[string]*cargometa.Unit
	declared   map[*cargometa.Unit]map[string]bool // base names of ViewFiles
	sources    map[*cargometa.Unit]map[string]bool // dep-info inputs
	depSources map[*cargometa.Unit]map[string]bool // those of its ViewFiles' producers
	sysroot    string
	system     []string
	tmp        []string
	tempDir    *regexp.Regexp
}

func newOpenClassifier(t *testing.T, p *cargometa.Plan, sharedDeps bool) (*openClassifier, error) {
	out, err := exec.Command("rustc", "--print", "sysroot").Output()
	if err != nil {
		return nil, fmt.Errorf("rustc --print sysroot: %w", err)
	}
	sysroot, err := filepath.EvalSymlinks(strings.TrimSpace(string(out)))
	if err != nil {
		return nil, fmt.Errorf("sysroot: %w", err)
	}
	c := &openClassifier{plan: p, sharedDeps: sharedDeps, sysroot: sysroot,
		byHash: map[string]*cargometa.Unit{}, byRlink: map[string]*cargometa.Unit{},
		declared: map[*cargometa.Unit]map[string]bool{}, sources: map[*cargometa.Unit]map[string]bool{},
		depSources: map[*cargometa.Unit]map[string]bool{},
		// The dynamic loader, libc, locale and kernel interfaces.
		system: []string{"/proc", "/sys", "/dev", "/etc", "/lib", "/lib64", "/usr/lib"},
		tmp:    []string{"/tmp", os.TempDir()},
		// rustc's own temporaries in its --out-dir: the rmeta it renames
		// into place, the objects of a link with -C save-temps, the
		// archive it builds an .rlib in.
		tempDir: regexp.MustCompile(`^((rmeta|rustc)[A-Za-z0-9]{6}|\.tmp[A-Za-z0-9]{6}\.temp-archive)$`),
	}
	for _, u := range p.Units {
		if u.IsRun {
			continue
		}
		c.byHash[u.Hash] = u
		if u.Rlink != "" {
			c.byRlink[u.Rlink] = u
		}
		c.declared[u] = map[string]bool{}
		for _, f := range p.ViewFiles(u) {
			c.declared[u][filepath.Base(f)] = true
		}
		if c.sources[u], err = c.depInfoInputs(u); err != nil {
			return nil, err
		}
	}
	c.collectDepSources()
	return c, nil
}

// collectDepSources gives each unit the dep-info inputs of the units whose
// artifacts its view holds.
func (c *openClassifier) collectDepSources() {
	producer := map[string]*cargometa.Unit{}
	for u := range c.declared {
		for _, f := range u.Main {
			producer[f] = u
		}
	}
	for u := range c.declared {
		c.depSources[u] = map[string]bool{}
		for _, f := range c.plan.ViewFiles(u) {
			for src := range c.sources[producer[f]] {
				c.depSources[u][src] = true
			}
		}
	}
}

// depInfoInputs lists the unit's sources from the dep-info its compile
// left. Relative entries are relative to rustc's cwd: the workspace root
// for path packages, the package otherwise (CompileCommand); both are
// tried. The crates -Z binary-dep-depinfo adds (under target/ or the
// sysroot) are not sources: they are what is being judged.
func (c *openClassifier) depInfoInputs(u *cargometa.Unit) (map[string]bool, error) {
	di, err := cutoff.ReadDepInfo(u.DepInfo)
	if err != nil {
		return nil, fmt.Errorf("sources of %s: %w", u.Label, err)
	}
	files := map[string]bool{}
	for _, f := range di.Files {
		for _, cwd := range []string{c.plan.WsRoot, filepath.Dir(u.Pkg.ManifestPath)} {
			abs := f
			if !filepath.IsAbs(f) {
				abs = filepath.Join(cwd, f)
			}
			if real, err := filepath.EvalSymlinks(abs); err == nil {
				abs = real // strace -y names files by their real path
			}
			if !under(abs, c.plan.TargetDir) && !under(abs, c.sysroot) {
				files[abs] = true
			}
		}
	}
	return files, nil
}

// identify maps a traced exec to the unit whose rustc it is: a compile by
// its `-C metadata=` hash (rbuild's Unit.Hash), a split executable's link
// by its `-Z link-only` .rlink.
func (c *openClassifier) identify(argv []string) (*rustcRun, bool) {
	rustc := slices.Contains(argv, "--crate-name")
	for i, a := range argv {
		next := ""
		if i+1 < len(argv) {
			next = argv[i+1]
		}
		switch {
		case a == "-Z" && next == "link-only" && i+2 < len(argv):
			if u := c.byRlink[argv[i+2]]; u != nil {
				return &rustcRun{unit: u, link: true}, true
			}
			rustc = true
		case rustc && a == "-C" && strings.HasPrefix(next, "metadata="):
			if u := c.byHash[strings.TrimPrefix(next, "metadata=")]; u != nil {
				return &rustcRun{unit: u}, true
			}
		}
	}
	return nil, rustc
}

// depDir is the `-L dependency=` directory the unit's rustc searched.
func (c *openClassifier) depDir(u *cargometa.Unit) string {
	if c.sharedDeps {
		return filepath.Join(u.ProfDir, "deps")
	}
	return u.ViewDir
}

// classify: declared means a dependency artifact in the unit's
// `-L dependency=` directory whose name is one of its ViewFiles; allowed
// are the toolchain, system files, the unit's own outputs, temporaries
// and sources, and build scripts' OUT_DIRs; anything else is undeclared,
// except one kind counted apart: a source file of a dependency the view
// holds. rustc reads one at the absolute path the dependency's metadata
// records when it wants the text of a span inside a macro that crate
// defined (seen: AstValidator → span_extend_while_whitespace →
// SourceMap::ensure_source_file_source_present, on bitflags! in clap).
// The graph declares it, as the producer's input; a view cannot hold it,
// and a missing file only leaves the snippet out.
func (c *openClassifier) classify(r *rustcRun, path string) int {
	u := r.unit
	switch {
	case filepath.Dir(path) == c.depDir(u) && c.declared[u][filepath.Base(path)]:
		return opened.declared
	case under(path, c.sysroot) || underAny(path, c.system):
		return opened.allowed
	case c.ownOutput(u, path) || c.sources[u][path] || c.outDirFile(u, path):
		return opened.allowed
	case !under(path, c.plan.WsRoot) && underAny(path, c.tmp):
		return opened.allowed // the workspace copy itself lives in /tmp
	case c.depSources[u][path]:
		return opened.depSource
	}
	return opened.undeclared
}

// ownOutput: the unit's outputs and rustc's temporaries in its --out-dir
// (shared with other units for libraries, so only names carrying the
// unit's hash), and its crate's session in the incremental dir.
func (c *openClassifier) ownOutput(u *cargometa.Unit, path string) bool {
	if rel, ok := pathBelow(path, u.OutDir); ok {
		first := strings.Split(rel, string(filepath.Separator))[0]
		return strings.Contains(filepath.Base(u.OutDir), u.Hash) || strings.Contains(first, u.Hash) || c.tempDir.MatchString(first)
	}
	if rel, ok := pathBelow(path, filepath.Join(u.ProfDir, "incremental")); ok {
		return strings.HasPrefix(rel, u.CrateName+"-")
	}
	return false
}

// outDirFile: a file in a build script's OUT_DIR (include!d sources,
// native libraries the link reads).
func (c *openClassifier) outDirFile(u *cargometa.Unit, path string) bool {
	rel, ok := pathBelow(path, filepath.Join(u.ProfDir, "build"))
	parts := strings.Split(rel, string(filepath.Separator))
	return ok && len(parts) > 2 && parts[1] == "out"
}

// category names what kind of undeclared file path is, for the log.
func (c *openClassifier) category(u *cargometa.Unit, path string) string {
	dir, base := filepath.Dir(path), filepath.Base(path)
	if dir == c.depDir(u) || dir == filepath.Join(u.ProfDir, "deps") {
		stem := strings.TrimSuffix(base, filepath.Ext(base))
		for d := range c.declared[u] {
			if strings.TrimSuffix(d, filepath.Ext(d)) == stem {
				return "another file of a declared dependency in deps/ (the .rmeta beside the declared .rlib, or the reverse)"
			}
		}
		return "artifact of a crate the unit does not depend on, in deps/"
	}
	if under(path, c.plan.TargetDir) {
		return "other file under target/"
	}
	return "file outside target/"
}

func under(path, dir string) bool {
	_, ok := pathBelow(path, dir)
	return ok
}

func underAny(path string, dirs []string) bool {
	return slices.ContainsFunc(dirs, func(d string) bool { return under(path, d) })
}

// pathBelow returns path relative to dir when path lies strictly below it.
func pathBelow(path, dir string) (string, bool) {
	rest, ok := strings.CutPrefix(path, dir+string(filepath.Separator))
	return rest, ok && dir != ""
}

// The attribution the hermeticity test rests on, on a hand-written log: a
// rustc's thread counts (its clone logged before and after the child's
// first call), the linker it starts does not once it has exec'd, pipes
// are named by the path opened, directories are listings.
func TestAttributeOpensFollowsThreadsNotChildren(t *testing.T) {
	log := `100 execve("/sysroot/bin/rustc", ["rustc", "--crate-name", "a", "-C", "metadata=h1"], 0x1 /* 3 vars */) = 0
100 clone3({flags=CLONE_VM|CLONE_THREAD}, 88 <unfinished ...>
101 openat(AT_FDCWD</ws>, "src/lib.rs", O_RDONLY|O_CLOEXEC) = 5</ws/src/lib.rs>
100 <... clone3 resumed> => {parent_tid=[101]}, 88) = 101
101 openat(AT_FDCWD</ws>, "/view", O_RDONLY|O_DIRECTORY) = 6</view>
101 openat(AT_FDCWD</ws>, "/dev/fd/3", O_RDONLY) = 7<pipe:[42]>
101 openat(AT_FDCWD</ws>, "/view/libb.rlib", O_RDONLY) = -1 ENOENT (No such file or directory)
101 vfork( <unfinished ...>
102 execve("/usr/bin/cc", ["cc", "x.o"], 0x1 /* 3 vars */) = 0
102 openat(AT_FDCWD</ws>, "x.o", O_RDONLY) = 3</ws/x.o>
101 <... vfork resumed>) = 102
100 execve("/sysroot/bin/rustc", ["rustc", "--crate-name", "___"], 0x1 /* 3 vars */) = 0
100 openat(AT_FDCWD</ws>, "/probe", O_RDONLY) = 3</probe>
`
	f := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(f, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := readStrace(f)
	if err != nil {
		t.Fatal(err)
	}
	unit := &cargometa.Unit{}
	runs, unidentified := attributeOpens(recs, func(argv []string) (*rustcRun, bool) {
		if slices.Contains(argv, "metadata=h1") {
			return &rustcRun{unit: unit}, true
		}
		return nil, slices.Contains(argv, "--crate-name")
	})
	if len(runs) != 1 || unidentified != 1 {
		t.Fatalf("%d runs, %d unidentified; want 1, 1", len(runs), unidentified)
	}
	if want := []string{"/ws/src/lib.rs", "/dev/fd/3"}; !slices.Equal(runs[0].opens, want) || runs[0].dirs != 1 {
		t.Errorf("opens %q, %d listings; want %q, 1", runs[0].opens, runs[0].dirs, want)
	}
}
