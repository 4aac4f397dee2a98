package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// --target (and build.target) like cargo: target units under
// target/<triple>/<profile> with --target and the RUSTFLAGS, host units
// (build scripts, proc macros and their dependencies) under
// target/<profile> with neither. Only the host's std is installed, so
// the host triple is given explicitly: cargo then still splits host and
// target units, which is what is tested.

const targetFlag = "--cfg rbuild_target_flag"

// cargoTarget runs cargo with extra env into targetDir and returns its output.
func cargoTarget(t *testing.T, dir, targetDir string, env []string, args ...string) string {
	t.Helper()
	c := exec.Command("cargo", args...)
	c.Dir = dir
	c.Env = append(append(cleanEnv(), "CARGO_TARGET_DIR="+targetDir), env...)
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("cargo %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// compareTargetCommands checks rbuild's commands against cargo's -v output
// unit by unit, and that exactly the target units get --target and the
// RUSTFLAGS. cargo gives target units a second `-L dependency=` (the host
// deps dir, for proc macros) and passes a proc macro from there; rbuild's
// one view per compile, in the target unit's profile dir, holds them.
func compareTargetCommands(t *testing.T, triple, cargoOut, rbuildOut, ct, dir string) {
	t.Helper()
	theirs := runningLines(cargoOut, ct)
	for i, l := range theirs {
		if strings.Contains(l, "-L dependency=$T/"+triple+"/debug/deps") {
			l = strings.Replace(l, " -L dependency=$T/debug/deps", "", 1)
			theirs[i] = strings.ReplaceAll(l, "=$T/debug/deps/", "=$T/"+triple+"/debug/deps/")
		}
	}
	ours := runningLines(rbuildOut, filepath.Join(dir, "target", "rbuild"))
	if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
		t.Errorf("commands differ\n--- rbuild\n%s\n--- cargo\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
	}
	var host, target int
	for _, l := range ours {
		if !strings.Contains(l, "--crate-name") {
			continue
		}
		hasTarget := strings.Contains(l, " --target "+triple)
		hasFlag := strings.Contains(l, targetFlag)
		targetDir := strings.Contains(l, "--out-dir $T/"+triple+"/")
		if hasTarget != hasFlag || hasTarget != targetDir {
			t.Errorf("--target %v, RUSTFLAGS %v, out-dir under $T/%s %v, want all or none:\n%s", hasTarget, hasFlag, triple, targetDir, l)
		}
		if hasTarget {
			target++
		} else {
			host++
		}
	}
	if host == 0 || target == 0 {
		t.Errorf("%d host and %d target compiles; want some of each:\n%s", host, target, strings.Join(ours, "\n"))
	}
}

// sameBinaries runs every executable of cargo's and rbuild's target
// profile dirs and compares their output; rbuild's host profile dir has
// none.
func sameBinaries(t *testing.T, theirs, ours, oursHost string) {
	t.Helper()
	want, got := executables(t, theirs), executables(t, ours)
	if strings.Join(want, " ") != strings.Join(got, " ") || len(got) == 0 {
		t.Fatalf("executables in %s: %v; cargo made %v", ours, got, want)
	}
	if ents, err := os.ReadDir(oursHost); err == nil {
		for _, e := range ents {
			if st, err := e.Info(); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 && !strings.Contains(e.Name(), ".") {
				t.Errorf("executable %s in the host profile dir %s", e.Name(), oursHost)
			}
		}
	}
	for _, b := range got {
		w, g := runProgram(t, filepath.Join(theirs, b)), runProgram(t, filepath.Join(ours, b))
		if w != g {
			t.Errorf("%s prints\n%s\ncargo's prints\n%s", b, g, w)
		}
	}
}

func TestTargetCommandsMatchCargo(t *testing.T) {
	triple := hostTriple(t)
	for _, tc := range []struct {
		ws, cmd string
		config  string // .cargo/config.toml: build.target instead of --target, or the target's linker
	}{
		{"buildscript", "build", ""}, {"procmacro", "build", ""}, {"links", "build", ""},
		{"buildscript", "build", "[build]\ntarget = \"TRIPLE\"\n"},
		{"procmacro", "build", "[target.TRIPLE]\nlinker = \"cc\"\n"},
		{"links", "check", ""},
	} {
		name := tc.ws + " " + tc.cmd
		if tc.config != "" {
			name += " " + strings.Fields(tc.config)[0]
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := copyWorkspace(t, tc.ws)
			args := []string{tc.cmd, "-v"}
			if tc.config != "" {
				if err := os.MkdirAll(filepath.Join(dir, ".cargo"), 0o755); err != nil {
					t.Fatal(err)
				}
				cfg := strings.ReplaceAll(tc.config, "TRIPLE", triple)
				if err := os.WriteFile(filepath.Join(dir, ".cargo", "config.toml"), []byte(cfg), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if !strings.Contains(tc.config, "[build]") {
				args = append(args, "--target", triple)
			}
			env := []string{"RUSTFLAGS=" + targetFlag}
			ct := filepath.Join(t.TempDir(), "ct")
			out := cargoTarget(t, dir, ct, env, args...)
			r := mustRbuild(t, dir, env, append(args, "--color", "never")...)
			compareTargetCommands(t, triple, out, r.stderr, ct, dir)
			if strings.Contains(tc.config, "linker") && strings.Count(r.stderr, " -C linker=cc ") < 2 {
				t.Errorf("the configured linker is missing:\n%s", r.stderr)
			}
			if tc.cmd == "build" {
				sameBinaries(t, filepath.Join(ct, triple, "debug"), filepath.Join(dir, "target", triple, "debug"),
					filepath.Join(dir, "target", "debug"))
			}

			// Nothing changed: nothing runs.
			r = mustRbuild(t, dir, env, append(args, "--color", "never")...)
			if strings.Contains(r.stderr, "Running `") {
				t.Errorf("second build ran commands:\n%s", r.stderr)
			}
		})
	}
}

// The build-script protocol per platform: CARGO_CFG_* and
// CARGO_ENCODED_RUSTFLAGS of the platform the script runs for, no
// RUSTFLAGS, TARGET and HOST; proc macros compiled without the target's
// flags. The binary prints what each script and crate saw, built by cargo
// and by rbuild (`rbuild run`).
func TestTargetBuildScriptEnv(t *testing.T) {
	triple := hostTriple(t)
	dir := filepath.Join(t.TempDir(), "targetenv")
	script := `use std::env;
fn main() {
    let v = |k: &str| env::var(k).unwrap_or_else(|_| "<unset>".into());
    println!("cargo::rustc-check-cfg=cfg(rbuild_target_flag)");
    println!("cargo::rustc-env=SEEN=TARGET={} HOST={} CFG_FLAG={} RUSTFLAGS={} ENCODED={:?} OS={} FEATURES={:?}",
        v("TARGET"), v("HOST"), v("CARGO_CFG_RBUILD_TARGET_FLAG"), v("RUSTFLAGS"),
        v("CARGO_ENCODED_RUSTFLAGS"), v("CARGO_CFG_TARGET_OS"), v("CARGO_CFG_FEATURE"));
}
`
	files := map[string]string{
		"Cargo.toml":       "[workspace]\nmembers = [\"probe\", \"pm\", \"app\"]\nresolver = \"2\"\n",
		"probe/Cargo.toml": "[package]\nname = \"probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
		"probe/build.rs":   script,
		"probe/src/lib.rs": "pub const SEEN: &str = env!(\"SEEN\");\npub const FLAG: bool = cfg!(rbuild_target_flag);\n",
		"pm/Cargo.toml":    "[package]\nname = \"pm\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[lib]\nproc-macro = true\n[dependencies]\nprobe = { path = \"../probe\" }\n",
		"pm/build.rs":      script,
		"pm/src/lib.rs": `use proc_macro::TokenStream;
#[proc_macro]
pub fn seen(_: TokenStream) -> TokenStream {
    let s = format!("pm: {} flag={}; its probe: {} flag={}", env!("SEEN"), cfg!(rbuild_target_flag), probe::SEEN, probe::FLAG);
    format!("{:?}", s).parse().unwrap()
}
`,
		"app/Cargo.toml": "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies]\nprobe = { path = \"../probe\" }\npm = { path = \"../pm\" }\n",
		"app/src/main.rs": `fn main() {
    println!("{}", pm::seen!());
    println!("probe: {} flag={}", probe::SEEN, probe::FLAG);
}
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"RUSTFLAGS=" + targetFlag}
	ct := filepath.Join(t.TempDir(), "ct")
	args := []string{"run", "-q", "--target", triple}
	want := cargoTarget(t, dir, ct, env, args...)
	r := mustRbuild(t, dir, env, args...)
	if r.stdout != want {
		t.Errorf("rbuild run prints\n%s\ncargo run prints\n%s", r.stdout, want)
	}
	// What cargo does, spelled out: the target's probe with the flags,
	// the host's without.
	hostSide := `TARGET=` + triple + ` HOST=` + triple + ` CFG_FLAG=<unset> RUSTFLAGS=<unset> ENCODED="" OS=linux FEATURES=""`
	targetSide := `TARGET=` + triple + ` HOST=` + triple + ` CFG_FLAG= RUSTFLAGS=<unset> ENCODED="--cfg\u{1f}rbuild_target_flag" OS=linux FEATURES=""`
	wantLines := "pm: " + hostSide + " flag=false; its probe: " + hostSide + " flag=false\n" +
		"probe: " + targetSide + " flag=true\n"
	if r.stdout != wantLines {
		t.Errorf("rbuild run prints\n%s\nwant\n%s", r.stdout, wantLines)
	}
	if _, err := os.Stat(filepath.Join(dir, "target", triple, "debug", "app")); err != nil {
		t.Errorf("app is not in the target layout: %v", err)
	}

	// Without --target, RUSTFLAGS reach host units too (§12.1), and the
	// same target dir keeps both builds apart.
	want = cargoTarget(t, dir, ct, env, "run", "-q")
	r = mustRbuild(t, dir, env, "run", "-q")
	if r.stdout != want || !strings.Contains(r.stdout, "pm: TARGET="+triple+" HOST="+triple+" CFG_FLAG= ") {
		t.Errorf("without --target rbuild run prints\n%s\ncargo run prints\n%s", r.stdout, want)
	}
	r = mustRbuild(t, dir, env, "run", "-q", "--target", triple)
	if r.stdout != wantLines {
		t.Errorf("--target again: rbuild run prints\n%s\nwant\n%s", r.stdout, wantLines)
	}
}

// rbuild test finds the test executables and CARGO_BIN_EXE_* in the
// target layout, with --target and with CARGO_BUILD_TARGET.
func TestTargetTest(t *testing.T) {
	triple := hostTriple(t)
	dir := copyWorkspace(t, "buildscript")
	r := mustRbuild(t, dir, nil, "test", "--target", triple, "--color", "never")
	if !strings.Contains(r.stdout+r.stderr, "test genapp_output ... ok") {
		t.Errorf("rbuild test --target: the integration test did not pass:\n%s%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "(target/rbuild/"+triple+"/debug/") {
		t.Errorf("rbuild test --target ran nothing from the target layout:\n%s", r.stderr)
	}
	dir = copyWorkspace(t, "buildscript")
	r = mustRbuild(t, dir, []string{"CARGO_BUILD_TARGET=" + triple}, "test", "--color", "never")
	if !strings.Contains(r.stdout+r.stderr, "test genapp_output ... ok") {
		t.Errorf("rbuild test with CARGO_BUILD_TARGET: the integration test did not pass:\n%s%s", r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "target", triple, "debug", "genapp")); err != nil {
		t.Errorf("CARGO_BUILD_TARGET: genapp is not in the target layout: %v", err)
	}
}
