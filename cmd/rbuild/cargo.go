package main

// What makes rbuild a drop-in for cargo on the command line: cargo's global
// flags before the subcommand, `cargo rbuild …`, finding the real cargo, and
// handing it every command rbuild does not implement.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// ownCommands are the subcommands rbuild runs itself, by the names cargo
// accepts for them (its aliases b, c, t and r included); every other one
// goes to cargo unchanged.
var ownCommands = map[string]string{
	"build": "build", "b": "build", "check": "check", "c": "check",
	"test": "test", "t": "test", "run": "run", "r": "run",
	"explain": "explain", "gen": "gen", "bench": "bench", "cache": "cache", "help": "help",
}

// globalArgs are the words before the subcommand, which cargo reads as
// global flags.
type globalArgs struct {
	flags           []string // -v, -q, --color, --locked, --offline, --frozen, --config, -Z: given to the subcommand
	dir             string   // -C DIR
	unstableOptions bool     // -Z unstable-options among them
	version         bool     // -V, --version
	help            bool     // -h, --help
	cargoOnly       bool     // a flag only cargo knows (--list, --explain, +toolchain, …)
	rest            []string // the subcommand and its arguments
}

// dropCargoWord removes the word cargo adds when it runs rbuild as an
// external subcommand: `cargo rbuild build -p x` runs `cargo-rbuild rbuild
// build -p x`.
func dropCargoWord(args []string) []string {
	if len(args) > 0 && args[0] == "rbuild" {
		return args[1:]
	}
	return args
}

// splitGlobal reads cargo's global flags up to the subcommand.
func splitGlobal(args []string) (*globalArgs, error) {
	g := &globalArgs{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		// name: the flag as cargo's parser names it, then the rest of its
		// complaint about a missing value.
		value := func(name string) (string, error) {
			if i+1 >= len(args) {
				return "", &cargoStyleError{code: 1, msg: "a value is required for '" + name + "\n\nFor more information, try '--help'."}
			}
			i++
			return args[i], nil
		}
		switch {
		case a == "-V" || a == "--version":
			g.version = true
		case a == "-h" || a == "--help":
			g.help = true
		case a == "-v" || a == "--verbose":
			g.flags = append(g.flags, "-v")
		case a == "-q" || a == "--quiet":
			g.flags = append(g.flags, "-q")
		case a == "--locked" || a == "--offline" || a == "--frozen":
			g.flags = append(g.flags, a)
		case a == "--color" || a == "--config" || a == "-Z":
			v, err := value(map[string]string{"--color": "--color <WHEN>' but none was supplied\n  [possible values: auto, always, never]",
				"--config": "--config <KEY=VALUE|PATH>' but none was supplied", "-Z": "-Z <FLAG>' but none was supplied"}[a])
			if err != nil {
				return nil, err
			}
			g.flags = append(g.flags, a, v)
			g.unstableOptions = g.unstableOptions || (a == "-Z" && v == "unstable-options")
		case strings.HasPrefix(a, "--color=") || strings.HasPrefix(a, "--config="):
			g.flags = append(g.flags, a)
		case strings.HasPrefix(a, "-Z"):
			g.flags = append(g.flags, "-Z", a[2:])
			g.unstableOptions = g.unstableOptions || a[2:] == "unstable-options"
		case a == "-C":
			v, err := value("-C <DIRECTORY>' but none was supplied")
			if err != nil {
				return nil, err
			}
			g.dir = v
		case strings.HasPrefix(a, "-C"):
			g.dir = a[2:]
		case len(a) > 2 && a[0] == '-' && a[1] != '-' && strings.Trim(a[1:], "vqV") == "":
			// -vV, -vv, -qV: a cluster of cargo's short switches
			for _, c := range a[1:] {
				switch c {
				case 'V':
					g.version = true
				default:
					g.flags = append(g.flags, "-"+string(c))
				}
			}
		case strings.HasPrefix(a, "-") || strings.HasPrefix(a, "+"):
			g.cargoOnly = true
			return g, nil
		default:
			g.rest = args[i:]
			return g, nil
		}
		if g.version || g.help {
			return g, nil
		}
	}
	return g, nil
}

// subcommandArgs is the command line rbuild parses itself: the subcommand
// by its full name, then the global flags, then the subcommand's own
// arguments (which win over the global ones, as with cargo).
func (g *globalArgs) subcommandArgs() []string {
	out := []string{ownCommands[g.rest[0]]}
	out = append(out, g.flags...)
	return append(out, g.rest[1:]...)
}

// enterDir does `-C DIR`: as in cargo 1.95, only on the nightly channel
// and with `-Z unstable-options` before the subcommand.
func (g *globalArgs) enterDir() error {
	if g.dir == "" {
		return nil
	}
	if !g.unstableOptions || !nightlyChannel() {
		return &cargoStyleError{code: 101, msg: "the `-C` flag is unstable, pass `-Z unstable-options` on the nightly channel to enable it"}
	}
	if err := os.Chdir(g.dir); err != nil {
		var cause error = err
		if pe, ok := err.(*os.PathError); ok {
			cause = pe.Err
		}
		return &cargoStyleError{code: 101, msg: "could not change to requested directory\n\nCaused by:\n  " + cause.Error()}
	}
	return nil
}

// nightlyChannel says whether cargo allows nightly-only flags: its
// channel as cargo works it out (the test override, RUSTC_BOOTSTRAP=1,
// then its version).
func nightlyChannel() bool {
	if ch, ok := os.LookupEnv("__CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS"); ok {
		return ch == "nightly" || ch == "dev"
	}
	if os.Getenv("RUSTC_BOOTSTRAP") == "1" {
		return true
	}
	cargo, err := realCargo()
	if err != nil {
		return false
	}
	out, err := exec.Command(cargo, "-V").Output()
	if err != nil {
		return false
	}
	return strings.Contains(string(out), "-nightly") || strings.Contains(string(out), "-dev")
}

// cargoStyleError is reported as cargo reports it: "error: " and the
// text, with cargo's exit code (1 for a command line clap rejects, 101
// for what cargo rejects after parsing).
type cargoStyleError struct {
	msg  string
	code int
}

func (e *cargoStyleError) Error() string { return e.msg }

// self is this program's executable, to recognise ourselves as "cargo".
func self() (os.FileInfo, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return os.Stat(exe)
}

// isSelf says whether the program path would run rbuild itself (a copy
// named cargo, a symlink, CARGO=rbuild).
func isSelf(path string, me os.FileInfo) bool {
	if path == "" || me == nil {
		return false
	}
	if !strings.ContainsRune(path, filepath.Separator) {
		p, err := exec.LookPath(path)
		if err != nil {
			return false
		}
		path = p
	}
	fi, err := os.Stat(path)
	return err == nil && os.SameFile(fi, me)
}

// realCargo finds the cargo to hand commands to, never rbuild itself:
// RBUILD_CARGO, else $CARGO unless that is rbuild (tools set CARGO=rbuild
// to have rbuild build for them), else the first cargo on PATH that is not
// rbuild, else `rustup which cargo`.
func realCargo() (string, error) {
	if c := os.Getenv("RBUILD_CARGO"); c != "" {
		return c, nil
	}
	me, _ := self()
	if c := os.Getenv("CARGO"); c != "" && !isSelf(c, me) {
		return c, nil
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, "cargo")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 && !isSelf(p, me) {
			return p, nil
		}
	}
	if out, err := exec.Command("rustup", "which", "cargo").Output(); err == nil {
		if p := strings.TrimSpace(string(out)); p != "" && !isSelf(p, me) {
			return p, nil
		}
	}
	return "", fmt.Errorf("cannot find cargo (rbuild hands it the commands it does not implement): " +
		"install Rust, or set RBUILD_CARGO to cargo's path")
}

// pinRealCargo makes rbuild's own calls of cargo (cargo metadata, the
// unit graph) reach the real cargo when CARGO, or cargo on PATH, is
// rbuild: it sets RBUILD_CARGO, which package cargometa prefers to CARGO.
// Build scripts still see CARGO as it was, as under cargo.
func pinRealCargo() {
	if os.Getenv("RBUILD_CARGO") != "" {
		return
	}
	me, err := self()
	if err != nil {
		return
	}
	c := os.Getenv("CARGO")
	if c == "" {
		c = "cargo"
	}
	if !isSelf(c, me) {
		return
	}
	if real, err := realCargo(); err == nil {
		os.Setenv("RBUILD_CARGO", real)
	}
}

// passToCargo replaces this process with the real cargo running args
// unchanged. When CARGO is rbuild, cargo gets CARGO=itself, so that what
// it runs (external subcommands, build scripts) cannot come back here.
func passToCargo(args []string) error {
	cargo, err := realCargo()
	if err != nil {
		return err
	}
	env := os.Environ()
	me, _ := self()
	if isSelf(os.Getenv("CARGO"), me) {
		env = append(withoutEnv(env, "CARGO"), "CARGO="+cargo)
	}
	path := cargo
	if !strings.ContainsRune(path, filepath.Separator) {
		if path, err = exec.LookPath(cargo); err != nil {
			return fmt.Errorf("run cargo: %w", err)
		}
	}
	if err := syscall.Exec(path, append([]string{cargo}, args...), env); err != nil {
		return fmt.Errorf("run %s: %w", path, err)
	}
	return nil
}

// printVersion is `rbuild --version`, `-V` and `rbuild version`: cargo's
// answer to the same command line first (tools that read `$CARGO -V` get
// the line they parse), then rbuild's own version.
func printVersion(args []string) int {
	code := 0
	if cargo, err := realCargo(); err == nil {
		cmd := exec.Command(cargo, args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			code = 101
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
		}
	}
	fmt.Println("rbuild " + version)
	return code
}

func withoutEnv(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
