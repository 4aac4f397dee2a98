package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// `--message-format json` judged by a real client: testdata/msgclient, a
// small Rust program built against Debian's cargo_metadata crate (the
// parser rust-analyzer and most cargo wrappers use), reads a stream of
// records and prints one normalised line per record (see its src/main.rs
// for the normalisation). cargo's and rbuild's streams for the same
// workspace and the same sequence of edits must give the same lines, but
// for the differences in msgAllowed.

// msgAllowed lists every difference between cargo's and rbuild's records
// that is by design, with its reason (README lists them). Each rule
// rewrites a line (the same on both sides) or drops it (keep false) before
// the comparison.
var msgAllowed = []struct {
	what, why string
	rule      func(s msgStep, line string) (out string, keep bool)
}{
	{
		what: "`fresh` after an edit",
		why: "rbuild skips a compile its interface cutoff proves unneeded and reports it fresh:true " +
			"where cargo recompiles (fresh:false); fresh is compared for clean builds (all false) and no-ops (all true)",
		rule: func(s msgStep, line string) (string, bool) {
			return line, !strings.HasPrefix(line, "fresh ") || s.compareFresh
		},
	},
	{
		what: "where a test executable is",
		why: "rbuild links each test (and each executable it does not uplift) in a directory of its own, " +
			"target/rbuild/<profile>/bins/<name>-<hash>/<name>-<hash> (its objects and .rlink stay apart), " +
			"where cargo writes target/<profile>/deps/<name>-<hash>; the path is compared as deps/<name>-<hash>",
		rule: func(_ msgStep, line string) (string, bool) {
			return msgBinsDir.ReplaceAllString(line, "/deps/$1"), true
		},
	},
}

// msgBinsDir matches rbuild's per-executable directory in a normalised
// path: /bins/<name>-HASH/<name>-HASH.
var msgBinsDir = regexp.MustCompile(`/bins/([A-Za-z0-9_]+-HASH)/([A-Za-z0-9_]+-HASH)\b`)

// msgOther is the tool whose stream is judged against cargo's: rbuild.
// RBUILD_MSGCLIENT_OTHER=cargo puts cargo on both sides (the harness's own
// check: cargo against cargo must compare equal); RBUILD_MSGCLIENT_DEBUG=1
// logs the other tool's lines of every step.
func msgOther(t *testing.T) msgTool {
	if os.Getenv("RBUILD_MSGCLIENT_OTHER") == "cargo" {
		return msgCargo
	}
	return msgRbuild
}

// msgStep is one build of a sequence: edits applied to both copies, then
// `<tool> args... --message-format=<format>` in each.
type msgStep struct {
	name         string
	edits        []edit
	args         []string
	format       string // --message-format: json unless set
	fail         bool   // the build must fail (and say so in build-finished)
	compareFresh bool   // clean build or no-op: fresh must match too
}

type msgTool struct {
	name string
	run  func(t *testing.T, dir string, args []string) result
}

var msgCargo = msgTool{"cargo", func(t *testing.T, dir string, args []string) result {
	t.Helper()
	return runIn(t, "cargo", dir, nil, args...)
}}

var msgRbuild = msgTool{"rbuild", func(t *testing.T, dir string, args []string) result {
	t.Helper()
	return rbuild(t, dir, nil, args...)
}}

var (
	msgClientOnce sync.Once
	msgClientPath string
	msgClientErr  string
)

// msgClient builds testdata/msgclient once per test binary, offline,
// against /usr/share/cargo/registry (as scripts/debian-workspace.sh
// configures cargo), next to rbuildBin so that TestMain removes it.
func msgClient(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/share/cargo/registry/cargo_metadata-0.14.2"); err != nil {
		if os.Getenv("RBUILD_REQUIRE_DEBIAN") != "" {
			t.Fatal("cargo_metadata missing: run scripts/install-test-deps.sh (make test does)")
		}
		t.Skip("Debian's cargo_metadata not installed (scripts/install-test-deps.sh)")
	}
	msgClientOnce.Do(func() {
		dir := filepath.Join(filepath.Dir(rbuildBin), "msgclient")
		src := filepath.Join(repoRoot(t), "testdata", "msgclient")
		if out, err := exec.Command("cp", "-r", src, dir).CombinedOutput(); err != nil {
			msgClientErr = fmt.Sprintf("copy: %v %s", err, out)
			return
		}
		config := "[source.crates-io]\nreplace-with = \"debian\"\n\n" +
			"[source.debian]\ndirectory = \"/usr/share/cargo/registry\"\n\n[net]\noffline = true\n"
		os.MkdirAll(filepath.Join(dir, ".cargo"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, ".cargo", "config.toml"), []byte(config), 0o644); err != nil {
			msgClientErr = err.Error()
			return
		}
		cmd := exec.Command("cargo", "build", "--offline", "--quiet")
		cmd.Dir = dir
		cmd.Env = cleanEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			msgClientErr = fmt.Sprintf("cargo build: %v\n%s", err, out)
			return
		}
		msgClientPath = filepath.Join(dir, "target", "debug", "msgclient")
	})
	if msgClientErr != "" {
		t.Fatalf("build testdata/msgclient: %s", msgClientErr)
	}
	return msgClientPath
}

// msgRecords feeds a JSON stream to the client and returns its lines. The
// client fails on any line that is not a record (stdout must carry only
// JSON) and when build-finished is missing or not last.
func msgRecords(t *testing.T, who, stream, ws string) []string {
	t.Helper()
	cmd := exec.Command(msgClient(t), filepath.Join(ws, "target"), ws)
	cmd.Stdin = strings.NewReader(stream)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: the client refused its stdout: %v\n%s\n--- stream:\n%s", who, err, se.String(), head(stream, 40))
	}
	out := strings.Split(strings.TrimSuffix(so.String(), "\n"), "\n")
	if len(out) == 1 && out[0] == "" {
		return nil
	}
	return out
}

func head(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines[n] = "…"
	}
	return strings.Join(lines, "\n")
}

// msgDiff is the multiset difference: lines only cargo printed, and lines
// only the other tool printed.
func msgDiff(want, got []string) (missing, extra []string) {
	n := map[string]int{}
	for _, l := range want {
		n[l]++
	}
	for _, l := range got {
		n[l]--
	}
	for l, c := range n {
		for ; c > 0; c-- {
			missing = append(missing, l)
		}
		for ; c < 0; c++ {
			extra = append(extra, l)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

func msgKeep(s msgStep, lines []string) []string {
	var out []string
next:
	for _, l := range lines {
		for _, a := range msgAllowed {
			var keep bool
			if l, keep = a.rule(s, l); !keep {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// msgRun runs steps on two copies of a workspace, cargo in cdir and other
// in odir, compares the records of each step and returns the last step's
// lines of both and the other tool's stream.
func msgRun(t *testing.T, other msgTool, cdir, odir string, steps []msgStep) (cargoLast, otherLast []string, otherStream string) {
	t.Helper()
	for _, s := range steps {
		for _, e := range s.edits {
			applyEdit(t, cdir, e)
			applyEdit(t, odir, e)
		}
		format := s.format
		if format == "" {
			format = "json"
		}
		args := append(append([]string{}, s.args...), "--message-format="+format)
		cr := msgCargo.run(t, cdir, args)
		or := other.run(t, odir, args)
		if (cr.code != 0) != s.fail || (or.code != 0) != s.fail {
			t.Fatalf("%s: cargo exit %d, %s exit %d, want failure=%v\n--- cargo:\n%s\n--- %s:\n%s",
				s.name, cr.code, other.name, or.code, s.fail, cr.stderr, other.name, or.stderr)
		}
		want := msgRecords(t, "cargo "+s.name, cr.stdout, cdir)
		got := msgRecords(t, other.name+" "+s.name, or.stdout, odir)
		msgFilesExist(t, "cargo "+s.name, cr.stdout)
		msgFilesExist(t, other.name+" "+s.name, or.stdout)
		finished := fmt.Sprintf("build-finished success=%v", !s.fail)
		for _, side := range [][]string{want, got} {
			if !msgHas(side, finished) {
				t.Errorf("%s: no %q record", s.name, finished)
			}
		}
		missing, extra := msgDiff(msgKeep(s, want), msgKeep(s, got))
		if len(missing)+len(extra) > 0 {
			var b strings.Builder
			for _, l := range missing {
				fmt.Fprintf(&b, "\n  - cargo only:  %s", l)
			}
			for _, l := range extra {
				fmt.Fprintf(&b, "\n  + %s only: %s", other.name, l)
			}
			t.Errorf("step %q (%s): records differ:%s", s.name, strings.Join(args, " "), b.String())
		}
		if os.Getenv("RBUILD_MSGCLIENT_DEBUG") != "" {
			t.Logf("%s:\n%s", s.name, strings.Join(got, "\n"))
		}
		cargoLast, otherLast, otherStream = want, got, or.stdout
	}
	return cargoLast, otherLast, otherStream
}

func msgHas(lines []string, l string) bool {
	for _, x := range lines {
		if x == l {
			return true
		}
	}
	return false
}

// msgCopies is two copies of a testdata workspace: cargo's and the other's.
func msgCopies(t *testing.T, name string) (string, string) {
	t.Helper()
	cdir := copyWorkspace(t, name)
	odir := copyWorkspace(t, name)
	return cdir, odir
}

// The msgs workspace: mcore (lib + build script: rustc-cfg, rustc-env),
// mderive (proc macro), mapp (bin using both).
func TestMsgClient(t *testing.T) {
	msgClient(t)
	other := msgOther(t)
	cdir, odir := msgCopies(t, "msgs")
	lib, app := "mcore/src/lib.rs", "mapp/src/main.rs"
	build := []string{"build"}
	steps := []msgStep{
		{name: "clean build", args: build, compareFresh: true},
		{name: "no-op", args: build, compareFresh: true},
		{name: "private body", args: build,
			edits: []edit{{lib, "fn helper() -> u32 {\n    35\n", "fn helper() -> u32 {\n    34 + 1\n"}}},
		{name: "public signature", args: build, edits: []edit{
			{lib, "pub fn value() -> u32 {\n    helper() + GENERATED", "pub fn value(extra: u32) -> u32 {\n    helper() + GENERATED + extra"},
			{app, "mcore::value(),", "mcore::value(0),"},
			{app, "mcore::value(), 42", "mcore::value(0), 42"}}},
		{name: "compile error", args: build, fail: true,
			edits: []edit{{app, "fn main() {\n", "fn main() {\n    let _broken: u32 = \"not a number\";\n"}}},
		{name: "the error in short form", args: build, fail: true, format: "json-diagnostic-short"},
		{name: "warning in a dependency", args: build, edits: []edit{
			{app, "    let _broken: u32 = \"not a number\";\n", ""},
			{lib, "fn helper()", "fn unused_helper() -> u32 {\n    1\n}\n\nfn helper()"}}},
		{name: "no-op replays the warning", args: build, compareFresh: true},
		// cargo replays what it kept from the compile: the long form
		{name: "replayed, asked for the short form", args: build, format: "json-diagnostic-short"},
		{name: "replayed with colours", args: build, format: "json-diagnostic-rendered-ansi"},
		{name: "a dependent rebuilt replays the warning", args: build,
			edits: []edit{{app, "fn main() {\n", "fn main() {\n    let _n = 1;\n"}}},
		// cargo-nextest lists test binaries this way; diagnostics go to
		// stderr, so mcore's warning is no record.
		{name: "nextest's test --no-run", args: []string{"test", "--no-run", "--workspace"}, format: "json-render-diagnostics"},
		{name: "check", args: []string{"check"}},
		{name: "rust-analyzer's overrideCommand", args: []string{"check", "--quiet", "--workspace", "--all-targets"}},
	}
	cargoLast, otherLast, stream := msgRun(t, other, cdir, odir, steps)

	// rust-analyzer (buildScripts.overrideCommand) needs every build
	// script's cfgs, env and OUT_DIR and every proc macro's .so.
	for _, l := range cargoLast {
		f := strings.Fields(l)
		switch {
		case f[0] == "compiler-artifact" && f[3] == "kinds=custom-build":
			want := "build-script-executed " + f[1] + " out_dir=$T/debug/build/"
			if !msgHasPrefix(otherLast, want) {
				t.Errorf("%s: build script of %s: no build-script-executed with its out_dir", other.name, f[1])
			}
		case f[0] == "compiler-artifact" && f[3] == "kinds=proc-macro" && strings.Contains(l, ".so"):
			if !msgHasPrefix(otherLast, strings.Join(f[:5], " ")) || !msgHasSO(otherLast, strings.Join(f[:5], " ")) {
				t.Errorf("%s: proc macro %s: no compiler-artifact with its .so", other.name, f[1])
			}
		}
	}
	if !msgHas(otherLast, "build-script-executed mcore@0.1.0 out_dir=$T/debug/build/mcore-HASH/out cfgs=[has_gen] env=[GEN_VALUE=generated-7] linked_libs=[] linked_paths=[]") {
		t.Errorf("%s: mcore's build-script-executed lacks its cfg or env:\n%s", other.name, strings.Join(otherLast, "\n"))
	}
	// (msgRun checked that the files named are there: rust-analyzer loads
	// the .so files.)
	if !strings.Contains(stream, ".so\"") {
		t.Errorf("%s: no .so in the overrideCommand's records", other.name)
	}
}

// msgFilesExist checks that every file a record names is there: an
// artifact's filenames and executable, a build script's out_dir.
func msgFilesExist(t *testing.T, who, stream string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(stream))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var rec struct {
			Reason     string   `json:"reason"`
			Filenames  []string `json:"filenames"`
			Executable string   `json:"executable"`
			OutDir     string   `json:"out_dir"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue // the client judged the line already
		}
		for _, f := range append(rec.Filenames, rec.Executable, rec.OutDir) {
			if f == "" {
				continue
			}
			if _, err := os.Stat(f); err != nil {
				t.Errorf("%s: a %s record names %s, which is not there", who, rec.Reason, f)
			}
		}
	}
}

func msgHasPrefix(lines []string, p string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

func msgHasSO(lines []string, p string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, p) && strings.Contains(l, ".so") {
			return true
		}
	}
	return false
}

// The Debian workspace (≥ 60 units, build scripts, proc macros, registry
// crates): clean build, no-op, and a private body edit in memchr, a path
// member most of the graph depends on. One clean build of each tool.
func TestMsgClientDebian(t *testing.T) {
	t.Parallel()
	msgClient(t)
	other := msgOther(t)
	cdir := debianWorkspace(t)
	odir := filepath.Join(t.TempDir(), "ws")
	if out, err := exec.Command("cp", "-r", cdir, odir).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v %s", err, out)
	}
	build := []string{"build"}
	msgRun(t, other, cdir, odir, []msgStep{
		{name: "clean build", args: build, compareFresh: true},
		{name: "no-op", args: build, compareFresh: true},
		{name: "private body in memchr", args: build, edits: []edit{benchEdit}},
	})
}

// Two small workspaces for what msgs lacks: links (a native library:
// linked_libs, linked_paths under OUT_DIR, a dependent's build script
// reading DEP_*) and badbuildscript (a failing build script: its
// cargo:warning and stderr are no records).
func TestMsgClientSmall(t *testing.T) {
	msgClient(t)
	other := msgOther(t)
	for _, c := range []struct {
		ws    string
		steps []msgStep
	}{
		{"links", []msgStep{
			{name: "clean build", args: []string{"build"}, compareFresh: true},
			{name: "no-op", args: []string{"build"}, compareFresh: true},
		}},
		{"badbuildscript", []msgStep{
			{name: "failing build script", args: []string{"build"}, fail: true},
		}},
	} {
		t.Run(c.ws, func(t *testing.T) {
			cdir, odir := msgCopies(t, c.ws)
			msgRun(t, other, cdir, odir, c.steps)
		})
	}
}
