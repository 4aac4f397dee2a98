package cargometa

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// RustcInfo holds what rbuild learns by probing rustc once per compile kind
// (cargo-units.md §1.3). It is cached with the unit graph, so a no-op build
// starts no rustc.
type RustcInfo struct {
	Path       string   // rustc to run (resolved through a rustup proxy)
	Wrapper    []string // RUSTC_WRAPPER / build.rustc-wrapper, if any
	VV         string   // `rustc -vV` output
	Host       string
	Release    string
	Sysroot    string
	CfgText    string   // --print=cfg output for the host kind with its rustflags
	SplitDebug []string // supported -C split-debuginfo values
	Rustdoc    string
	Rustflags  []string // host-kind rustflags the cfgs were probed with
}

// TargetInfo is what rustc's target-info probe says about one compile
// kind (the host, or one --target platform), probed like cargo with
// that kind's rustflags (cargo-units.md §1.3).
type TargetInfo struct {
	Triple     string   // the platform as given to --target; "" for the host kind
	CfgText    string   // --print=cfg output
	SplitDebug []string // supported -C split-debuginfo values
	Rustflags  []string // the kind's rustflags the probe ran with
	FileNames  []string // `prefix___suffix` per crate type: bin, rlib, dylib, cdylib, staticlib, proc-macro
}

// ProbeRustc runs rustc without RUSTC_BOOTSTRAP (P2) the way cargo does:
// `-vV`, then the target-info probe of the host kind with rustflags.
func ProbeRustc(rustc string, rustflags []string, env []string) (*RustcInfo, error) {
	env = WithoutVar(env, "RUSTC_BOOTSTRAP")
	info := &RustcInfo{Path: rustc}
	out, err := runOut(exec.Command(rustc, "-vV"), env, nil)
	if err != nil {
		return nil, fmt.Errorf("probe rustc: %w", err)
	}
	info.VV = out
	info.Host, info.Release = parseVV(out)
	if info.Host == "" {
		return nil, fmt.Errorf("probe rustc: `%s -vV` printed no host line", rustc)
	}
	ti, sysroot, err := probeTarget(rustc, "", rustflags, env)
	if err != nil {
		return nil, err
	}
	info.Sysroot, info.CfgText, info.SplitDebug = sysroot, ti.CfgText, ti.SplitDebug
	info.Rustdoc = filepath.Join(filepath.Dir(rustc), "rustdoc")
	if _, err := os.Stat(info.Rustdoc); err != nil {
		info.Rustdoc = filepath.Join(info.Sysroot, "bin", "rustdoc")
	}
	return info, nil
}

// ProbeTarget runs the target-info probe for one --target platform.
func ProbeTarget(rustc, target string, rustflags []string, env []string) (*TargetInfo, error) {
	ti, _, err := probeTarget(rustc, target, rustflags, WithoutVar(env, "RUSTC_BOOTSTRAP"))
	return ti, err
}

func probeTarget(rustc, target string, rustflags []string, env []string) (*TargetInfo, string, error) {
	args := []string{"-", "--crate-name", "___", "--print=file-names",
		"--crate-type", "bin", "--crate-type", "rlib", "--crate-type", "dylib",
		"--crate-type", "cdylib", "--crate-type", "staticlib", "--crate-type", "proc-macro",
		"--print=sysroot", "--print=split-debuginfo", "--print=crate-name", "--print=cfg", "-Wwarnings"}
	if target != "" {
		args = append(args, "--target", target)
	}
	args = append(args, rustflags...)
	what := "probe rustc target info"
	if target != "" {
		what += " for --target " + target
	}
	out, err := runOut(exec.Command(rustc, args...), env, []byte{})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	return parseTargetInfo(out, target, rustflags, what)
}

// parseVV reads the host and release lines of `rustc -vV`'s output.
func parseVV(out string) (host, release string) {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "host: "); ok {
			host = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "release: "); ok {
			release = strings.TrimSpace(v)
		}
	}
	return host, release
}

// parseTargetInfo reads the target-info probe's output (probeTarget's
// --print flags, in that order); it also returns the sysroot line.
func parseTargetInfo(out, target string, rustflags []string, what string) (*TargetInfo, string, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	// 6 file-name lines, sysroot, split-debuginfo values up to the crate-name "___" line, then cfgs.
	if len(lines) < 8 {
		return nil, "", fmt.Errorf("%s: unexpected output %q", what, out)
	}
	ti := &TargetInfo{Triple: target, Rustflags: rustflags, FileNames: lines[:6]}
	i := 7
	for ; i < len(lines) && lines[i] != "___"; i++ {
		ti.SplitDebug = append(ti.SplitDebug, lines[i])
	}
	if i < len(lines) {
		ti.CfgText = strings.Join(lines[i+1:], "\n") + "\n"
	}
	return ti, lines[6], nil
}

// ResolveRustc finds rustc like cargo: RUSTC, else build.rustc, else `rustc`
// on PATH. A rustup proxy is resolved to the toolchain's real binary so each
// compile saves the proxy's start-up.
func ResolveRustc(env []string, configRustc string) (string, error) {
	if v := lookup(env, "RUSTC"); v != "" {
		return absProgram(v)
	}
	if configRustc != "" {
		return absProgram(configRustc)
	}
	p, err := lookPath("rustc", env)
	if err != nil {
		return "", fmt.Errorf("cannot find rustc: %w (install Rust, or set RUSTC)", err)
	}
	if isRustupProxy(p) {
		out, err := runOut(exec.Command(p, "--print", "sysroot"), WithoutVar(env, "RUSTC_BOOTSTRAP"), nil)
		if err == nil {
			real := filepath.Join(strings.TrimSpace(out), "bin", "rustc")
			if _, err := os.Stat(real); err == nil {
				return real, nil
			}
		}
	}
	return p, nil
}

func isRustupProxy(p string) bool {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false
	}
	return strings.HasPrefix(filepath.Base(r), "rustup") || strings.Contains(p, "/.cargo/bin/")
}

func absProgram(v string) (string, error) {
	if strings.ContainsRune(v, '/') {
		return filepath.Abs(v)
	}
	p, err := exec.LookPath(v)
	if err != nil {
		return "", fmt.Errorf("cannot find %s: %w", v, err)
	}
	return p, nil
}

func lookPath(name string, env []string) (string, error) {
	for _, dir := range filepath.SplitList(lookup(env, "PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH", name)
}

func runOut(cmd *exec.Cmd, env []string, stdin []byte) (string, error) {
	cmd.Env = env
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 400 {
			msg = msg[:400] + "…"
		}
		if msg != "" {
			return "", fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, msg)
		}
		return "", fmt.Errorf("%s: %w", cmd.Args[0], err)
	}
	return string(out), nil
}

// lookup returns the last value of name in env (later entries win, as in exec).
func lookup(env []string, name string) string {
	v, _ := lookupOK(env, name)
	return v
}

// LookupEnv finds name in env like exec does (the last entry wins).
func LookupEnv(env []string, name string) (string, bool) { return lookupOK(env, name) }

func lookupOK(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// WithoutVar is env without the variable name, in a new slice.
func WithoutVar(env []string, name string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != name {
			out = append(out, kv)
		}
	}
	return out
}
