package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"rbuild/build"
)

// The interface cutoff, change kind by change kind (rustc-facts.md §2).
// Each case builds a workspace, edits one thing, builds again, and checks
// two things: which compiles ran (the verdict the facts predict, not what
// the code happens to do) and that every binary prints what a clean cargo
// build of the edited tree prints.

type edit struct {
	file, old, new string
}

type cutoffCase struct {
	name  string
	ws    string
	setup []edit // before the first build
	edits []edit
	args  []string // extra rbuild flags
	env   []string // for the second build (and cargo's)
	// setupEnv is for the first build too: what the case needs to build
	// at all (RUSTC_BOOTSTRAP for #![feature]).
	setupEnv []string
	// cut: dependents' compiles must not run (only the edited crate
	// compiles, and links relink); otherwise rebuilt must have run.
	cut     bool
	rebuilt []string
}

const (
	upLib  = "up/src/lib.rs"
	upMore = "up/src/more.rs"
)

// halfAlias makes side enable f16 and export an alias of it, which up
// uses in a signature: up's skeleton cannot tell that the alias is f16.
var halfAlias = []edit{
	{"side/src/lib.rs", "//! A dependency", "#![feature(f16)]\n//! A dependency"},
	{"side/src/lib.rs", "pub fn helper", "pub type Half = f16;\n\npub fn helper"},
	{upMore, "// Row 15:", "pub fn halve(x: side::Half) -> side::Half {\n    x * 0.5\n}\n\n// Row 15:"},
	{"mid/src/more.rs", "\"cfg_inlined={} ", "\"half={} cfg_inlined={} "},
	{"mid/src/more.rs", "        up::more::cfg_inlined(1),", "        up::more::halve(3.0) as f32,\n        up::more::cfg_inlined(1),"},
}

var withLTO = edit{"Cargo.toml", "[workspace]", "[profile.release]\nlto = true\n\n[workspace]"}

func cutoffCases() []cutoffCase {
	rebuildMid := []string{"mid"}
	return []cutoffCase{
		{name: "comment only", ws: "cutoff", cut: true, edits: []edit{{upLib, "pub const LIMIT", "// a new comment line\n\npub const LIMIT"}}},
		{name: "reformat", ws: "cutoff", cut: true, edits: []edit{{upLib, "pub fn public_value(x: u32) -> u32 {\n    helper(x) + 1\n}", "pub fn public_value(\n    x: u32\n) -> u32 { helper(x)\n        + 1 }"}}},
		{name: "private fn body", ws: "cutoff", cut: true, edits: []edit{{upLib, "    x * 3\n", "    x * 4\n"}}},
		{name: "pub fn body", ws: "cutoff", cut: true, edits: []edit{{upLib, "    helper(x) + 1\n", "    helper(x) + 2\n"}}},
		// Row 22: safe, but every signature is kept, so the skeleton changes.
		{name: "new private fn", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "fn helper(", "fn unused_helper() -> u8 {\n    3\n}\n\nfn helper("}}},
		{name: "new pub fn", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "fn helper(", "pub fn fresh() -> u8 {\n    3\n}\n\nfn helper("}}},
		{name: "pub fn signature", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "pub fn bump(x: u32) -> u32 {\n    x + 1", "pub fn bump(x: u32) -> u64 {\n    x as u64 + 1"}}},
		{name: "private field added", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "    items: Vec<u32>,\n", "    items: Vec<u32>,\n    extra: u64,\n"}, {upLib, "Bag { items: vec![1, 2], name }", "Bag { items: vec![1, 2], name, extra: 0 }"}}},
		{name: "enum variant added", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "    Line(u32),\n}", "    Line(u32),\n    Square(u64, u64),\n}"}, {upLib, "Shape::Line(n) => *n,", "Shape::Line(n) => *n,\n        Shape::Square(a, _) => *a as u32,"}}},
		{name: "generic fn body", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "pub fn pick<T: Copy>(a: T, _b: T) -> T {\n    a", "pub fn pick<T: Copy>(_a: T, b: T) -> T {\n    b"}}},
		{name: "inline fn body", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "    x + 1\n}\n\npub const fn", "    x + 100\n}\n\npub const fn"}}},
		{name: "const value", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "LIMIT: u32 = 7", "LIMIT: u32 = 8"}}},
		{name: "const fn body", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "    x * 2\n", "    x * 5\n"}}},
		{name: "new trait impl", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "pub struct Item(pub u32);", "pub struct Item(pub u32);\n\nimpl Describe for Item {\n    fn describe(&self) -> String {\n        String::new()\n    }\n}"}}},
		{name: "impl Trait return body", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "|x| x + 10", "move |x| x + 20"}}},
		{name: "async fn body", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "pub async fn later() -> u32 {\n    5", "pub async fn later() -> u32 {\n    let big = [1u8; 64];\n    big.len() as u32"}}},
		{name: "exported macro_rules", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "$e * 2", "$e * 3"}}},
		{name: "impl blocks reordered", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "impl Item {\n    pub fn first(&self) -> u32 {\n        self.0\n    }\n}\n\nimpl Item {\n    pub fn second(&self) -> u32 {\n        self.0 + 1\n    }\n}", "impl Item {\n    pub fn second(&self) -> u32 {\n        self.0 + 1\n    }\n}\n\nimpl Item {\n    pub fn first(&self) -> u32 {\n        self.0\n    }\n}"}}},
		// Row 12: mid reused up's Vec<Item>::push instance (share-generics);
		// up's private body stops instantiating it: only the symbol check sees it.
		{name: "shared generic dropped", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upLib, "    let mut v = Vec::new();\n    v.push(Item(1));\n    v", "    Vec::with_capacity(1)"}}},
		{name: "strict spans: line added above a generic", ws: "cutoff", args: []string{"--strict-spans"}, rebuilt: rebuildMid, edits: []edit{{upLib, "pub fn pick<T", "// moved down a line\npub fn pick<T"}}},
		// Row 5: a body with f16 in its signature is inlined into dependents,
		// also when the type hides behind another crate's alias.
		{name: "f16 through another crate's alias", ws: "cutoff", setup: halfAlias, setupEnv: []string{"RUSTC_BOOTSTRAP=1"}, rebuilt: rebuildMid, edits: []edit{{upMore, "x * 0.5", "x * 0.25"}}},
		// Row 16: new closures and generic instances in a private body are
		// up's own (hidden or added symbols): relinking is enough. (Vec::from,
		// not vec!: up shadows vec! for row 9, which keeps bodies using it.)
		{name: "closure added to a private body", ws: "cutoff", cut: true, edits: []edit{{upLib, "    x * 3\n", "    (|y: u32| y * 3)(x)\n"}}},
		{name: "generic instance added to a private body", ws: "cutoff", cut: true, edits: []edit{{upLib, "    x * 3\n", "    let v: Vec<u64> = Vec::from([x as u64 * 3]);\n    v[0] as u32\n"}}},
		// Row 8: inline signals a plain #[inline] search misses.
		{name: "cfg_attr inline body", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upMore, "    x + 1\n", "    x + 5\n"}}},
		{name: "body inside an inline-adding macro", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upMore, "        x + 2\n", "        x + 3\n"}}},
		// Row 9: a local macro named like an allowlisted std one.
		{name: "shadowed vec! argument", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upMore, "vec!(30)", "vec!(31)"}}},
		// Row 10: bodies a dependent instantiates.
		{name: "trait default method body", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upMore, "        40\n", "        41\n"}}},
		{name: "generic impl method body", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upMore, "        50\n", "        51\n"}}},
		// Row 15: up starts using a crate it was passed but did not load;
		// app's link needs it, so app recompiles too.
		{name: "private body starts using an unused dependency", ws: "cutoff", rebuilt: []string{"app", "mid"}, edits: []edit{{upMore, "    130\n", "    side::helper()\n"}}},
		// Row 19: private signatures stay in the skeleton.
		{name: "private signature reached through inference", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upMore, "fn width(x: u32) -> u32 {\n    x\n", "fn width(x: u32) -> u64 {\n    x as u64\n"}}},
		// Row 21.
		{name: "private module renamed", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{upMore, "mod inner {", "mod inner2 {"}, {upMore, "inner::value()", "inner2::value()"}}},
		// Row 25: bodies that look special but no dependent sees.
		{name: "doc(hidden) helper of an exported macro", ws: "cutoff", cut: true, edits: []edit{{upMore, "x + 70", "x + 71"}}},
		{name: "no_mangle body", ws: "cutoff", cut: true, edits: []edit{{upMore, "x + 80", "x + 81"}}},
		{name: "extern C body", ws: "cutoff", cut: true, edits: []edit{{upMore, "x + 90", "x + 91"}}},
		{name: "fn behind a fn-pointer static", ws: "cutoff", cut: true, edits: []edit{{upMore, "x + 100", "x + 101"}}},
		{name: "method behind dyn Trait", ws: "cutoff", cut: true, edits: []edit{{upMore, "        110\n", "        111\n"}}},
		// Row 27: what the skeleton cannot see; dep-info and env-deps do.
		{name: "include_str! content", ws: "cutoff", rebuilt: rebuildMid, edits: []edit{{"up/src/data.txt", "plain", "fancy"}}},
		{name: "option_env! value", ws: "cutoff", rebuilt: rebuildMid, env: []string{"UP_FLAVOR=mint"}},
		// Row 33: a #[track_caller] fn reports its caller's location, so
		// moving it is safe even when spans are strict.
		{name: "strict spans: line added above a track_caller fn", ws: "cutoff", args: []string{"--strict-spans"}, cut: true, edits: []edit{{upMore, "#[track_caller]\npub fn checked", "// moved down a line\n#[track_caller]\npub fn checked"}}},
		// Rows 2, 3, 14: optimised builds get -Z cross-crate-inline-threshold=never,
		// so bodies stay in up and the cutoff holds.
		{name: "release: private fn body", ws: "cutoff", args: []string{"--release"}, cut: true, edits: []edit{{upLib, "    x * 3\n", "    x * 4\n"}}},
		{name: "release: small pub fn body", ws: "cutoff", args: []string{"--release"}, cut: true, edits: []edit{{upLib, "    helper(x) + 1\n", "    helper(x) + 2\n"}}},
		{name: "release: pub fn body shrinks to a constant", ws: "cutoff", args: []string{"--release"}, cut: true, edits: []edit{{upLib, "    helper(x) + 1\n", "    3\n"}}},
		// Row 13: at O3 too, a shared generic instance can vanish.
		{name: "release: shared generic dropped", ws: "cutoff", args: []string{"--release"}, rebuilt: rebuildMid, edits: []edit{{upLib, "    let mut v = Vec::new();\n    v.push(Item(1));\n    v", "    Vec::with_capacity(1)"}}},
		// Row 6: LTO inlines across crates at link time: exact cutoff only.
		{name: "release with LTO: private fn body", ws: "cutoff", setup: []edit{withLTO}, args: []string{"--release"}, rebuilt: rebuildMid, edits: []edit{{upLib, "    x * 3\n", "    x * 4\n"}}},
		// Row 29: a dependency of a proc macro.
		{name: "proc macro's dependency", ws: "procmacro", rebuilt: []string{"derive_hello", "greet"}, edits: []edit{{"pmhelp/src/lib.rs", "\"Hello\"", "\"Howdy\""}}},
		{name: "cutoff=exact: private fn body", ws: "cutoff", args: []string{"--cutoff=exact"}, rebuilt: rebuildMid, edits: []edit{{upLib, "    x * 3\n", "    x * 4\n"}}},
		{name: "cutoff=off: private fn body", ws: "cutoff", args: []string{"--cutoff=off"}, rebuilt: rebuildMid, edits: []edit{{upLib, "    x * 3\n", "    x * 4\n"}}},
		{name: "chain: private fn body", ws: "chain", cut: true, edits: []edit{{"a/src/lib.rs", "    x * 2\n", "    x * 2 + 1\n"}}},
		{name: "diamond: private fn body", ws: "diamond", cut: true, edits: []edit{{"base/src/lib.rs", "pub fn seed() -> u32 {\n    SEED\n", "pub fn seed() -> u32 {\n    SEED + 1\n"}}},
		{name: "proc macro body", ws: "procmacro", rebuilt: []string{"greet"}, edits: []edit{{"derive_hello/src/lib.rs", "{greeting} from", "{greeting} via"}}},
		{name: "build script output", ws: "buildscript", rebuilt: []string{"genapp"}, edits: []edit{{"gen/data/input.txt", "gamma = 300", "gamma = 400"}}},
	}
}

func TestCutoffChangeKinds(t *testing.T) {
	for _, tc := range cutoffCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := copyWorkspace(t, tc.ws)
			for _, e := range tc.setup {
				applyEdit(t, dir, e)
			}
			// A case needing RUSTC_BOOTSTRAP (#![feature]) fails without
			// it, under cargo and rbuild alike.
			mustRbuild(t, dir, tc.setupEnv, append([]string{"build"}, tc.args...)...)
			for _, e := range tc.edits {
				applyEdit(t, dir, e)
			}
			env := append(append([]string{}, tc.setupEnv...), tc.env...)
			mustRbuild(t, dir, env, append([]string{"build"}, tc.args...)...)
			ran := ranCompiles(t, dir)
			edited := "up"
			if len(tc.edits) > 0 {
				edited = strings.SplitN(tc.edits[0].file, "/", 2)[0]
			}
			if tc.cut {
				if !slices.Equal(ran, []string{edited}) {
					t.Errorf("compiles that ran: %v; want only %s (dependents cut off)", ran, edited)
				}
			} else {
				for _, want := range tc.rebuilt {
					if !slices.Contains(ran, want) {
						t.Errorf("compiles that ran: %v; want %s rebuilt", ran, want)
					}
				}
			}
			compareWithCargo(t, dir, slices.Contains(tc.args, "--release"), env)
		})
	}
}

func applyEdit(t testing.TB, dir string, e edit) {
	t.Helper()
	p := filepath.Join(dir, e.file)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), e.old) {
		t.Fatalf("%s does not contain %q", e.file, e.old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), e.old, e.new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lastExplain reads the last build's explanation record.
func lastExplain(t testing.TB, dir string) []build.ExplainEntry {
	t.Helper()
	entries, err := build.ReadExplain(filepath.Join(dir, "target"))
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// ranCompiles lists the packages whose (non-link) compiles ran in the
// last build, from its explain record.
func ranCompiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, e := range lastExplain(t, dir) {
		kind, rest, _ := strings.Cut(e.Action, ":")
		if !e.Ran || kind == "link" || kind == "run" || strings.Contains(e.Action, "build-script-build") {
			continue
		}
		pkgHash, _, _ := strings.Cut(rest, ":")
		pkg := pkgHash[:strings.LastIndex(pkgHash, "-")]
		if !slices.Contains(out, pkg) {
			out = append(out, pkg)
		}
	}
	sort.Strings(out)
	return out
}

// compareWithCargo runs every binary of the workspace built by rbuild and
// by a clean cargo build of the same tree; the outputs must be equal.
func compareWithCargo(t *testing.T, dir string, release bool, env []string) {
	t.Helper()
	ct := filepath.Join(t.TempDir(), "ct")
	args, profile := []string{"build", "--offline"}, "debug"
	if release {
		args, profile = append(args, "--release"), "release"
	}
	cmd := exec.Command("cargo", args...)
	cmd.Dir = dir
	cmd.Env = append(append(cleanEnv(), "CARGO_TARGET_DIR="+ct), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cargo %v: %v\n%s", args, err, out)
	}
	theirs := filepath.Join(ct, profile)
	ours := filepath.Join(dir, "target", profile)
	ents, _ := os.ReadDir(theirs)
	n := 0
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || e.IsDir() || info.Mode()&0o111 == 0 || strings.Contains(e.Name(), ".") {
			continue
		}
		n++
		want, werr := exec.Command(filepath.Join(theirs, e.Name())).CombinedOutput()
		got, gerr := exec.Command(filepath.Join(ours, e.Name())).CombinedOutput()
		if string(got) != string(want) || (werr == nil) != (gerr == nil) {
			t.Errorf("%s: rbuild's binary printed %q (%v), cargo's %q (%v)", e.Name(), got, gerr, want, werr)
		}
	}
	if n == 0 {
		t.Fatal("no binaries to compare")
	}
}
