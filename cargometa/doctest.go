package cargometa

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Doctests: a unit with mode "doctest" is not compiled by the build; after
// it, `rustdoc --test` compiles and runs the lib's documentation examples
// against the lib and its (dev-)dependencies as the build left them. The
// command is cargo 1.95's (ops/cargo_test.rs run_doc_tests,
// Compilation::rustdoc_process, BuildRunner's Doctest args), verified
// against `cargo test --doc -v`, with rbuild's directories: the
// `-L dependency=` directory is the unit's view (view.go), and the
// --extern files are rbuild's.

// DoctestOptions are the parts of a doctest command that come from the
// command line and the config rather than from the unit.
type DoctestOptions struct {
	Color        string   // cargo's --color: auto, always or never
	ErrorFormat  string   // human, short or json (cargo's --message-format)
	TestArgs     []string // the test filter and the arguments after --, each a --test-args
	Quiet        bool     // cargo -q: the test harness is told --quiet
	Rustdocflags []string // RUSTDOCFLAGS and the like (Config.Rustdocflags)
	Rustdoc      string   // RUSTDOC or build.rustdoc (Config.Rustdoc); "" is the toolchain's
}

// Doctests lists the doctest units in the order cargo runs them: the
// order of the unit graph's roots.
func (p *Plan) Doctests() []*Unit {
	var out []*Unit
	for _, u := range p.Roots {
		if u.J.Mode == "doctest" {
			out = append(out, u)
		}
	}
	return out
}

// DoctestFiles are the libraries rustdoc loads for u's doctests: every
// transitive .rlib (a doctest is linked into an executable), never an
// .rmeta. They are u's view.
func (p *Plan) DoctestFiles(u *Unit) []string { return p.ViewFiles(u) }

// DoctestCommand is `rustdoc --test` for doctest unit u. outs must answer
// for every build-script run of the plan (their link search paths reach
// every doctest, as in cargo). The command's Env is set on top of the
// user's environment, not Plan.BaseEnv: rustdoc sees RUSTC_BOOTSTRAP as
// cargo's rustdoc would.
func (p *Plan) DoctestCommand(u *Unit, outs BuildOutputs, opt DoctestOptions) (*Command, error) {
	j := u.J
	a := make([]string, 0, 48)
	add := func(s ...string) { a = append(a, s...) }

	// Compilation::rustdoc_process.
	add("--edition=" + j.Target.Edition)
	if j.Target.Edition == "future" {
		add("-Z", "unstable-options")
	}
	for _, t := range j.Target.CrateTypes {
		add("--crate-type", t)
	}
	// run_doc_tests.
	color := opt.Color
	if color == "" {
		color = "auto"
	}
	add("--color", color, "--crate-name", u.CrateName, "--test")
	cwd, src := p.CompileDir(u)
	add(src, "--test-run-directory", filepath.Dir(u.Pkg.ManifestPath))
	if plat := platformOf(u); plat != "" {
		add("--target", plat)
	}
	if l := p.Linker[platformOf(u)]; l != "" {
		add("-C", "linker="+l)
	}
	if pa := j.Profile.Panic; pa != "unwind" && pa != "" {
		add("-C", "panic="+pa)
	}
	native, err := p.nativeDirs(outs)
	if err != nil {
		return nil, err
	}
	for _, d := range native {
		add("-L", d)
	}
	for _, t := range opt.TestArgs {
		add("--test-args", t)
	}
	if opt.Quiet {
		add("--test-args", "--quiet")
	}
	add(u.Facts.LintArgs...)
	// The Doctest's args: externs, search path, LTO, features, check-cfg.
	for i, d := range u.Deps {
		if !d.Linkable || d.J.Mode == "doc" {
			continue
		}
		prefix := ""
		if u.DepEdges[i].Noprelude {
			prefix = "noprelude:"
		}
		for _, f := range d.Linkables {
			if !p.SharedDeps {
				f = filepath.Join(u.ViewDir, filepath.Base(f))
			}
			add("--extern", prefix+u.DepEdges[i].ExternCrate+"="+f)
		}
	}
	if u.IsProcMacro {
		add("--extern", "proc_macro")
	}
	add("-L", "dependency="+p.DepDir(u))
	add(ltoArgs(u)...)
	add(featureCfgArgs(u)...)
	env := p.pkgEnv(u)
	env = append(env, "CARGO_CRATE_NAME="+u.CrateName)
	for _, r := range u.OwnRuns {
		bo, err := outs(r)
		if err != nil {
			return nil, err
		}
		for _, c := range bo.Cfgs {
			add("--cfg", c)
		}
		for _, c := range bo.CheckCfgs {
			add("--check-cfg", c)
		}
		for _, la := range bo.LinkArgs {
			// A doctest is a test mode: link args for tests, benches and
			// cdylibs do not apply to its lib target (LinkArgTarget::applies_to).
			if la.AppliesTo(u.Kind(), j.Target.Name, j.Target.CrateTypes, true) {
				add("-C", "link-arg="+la.Arg)
			}
		}
		// OUT_DIR and then the script's rustc-env reach rustdoc
		// (Compilation::fill_env applies extra_env in that order).
		env = setEnv(env, "OUT_DIR", r.OutDirEnv())
		for _, kv := range bo.Env {
			env = setEnv(env, kv[0], kv[1])
		}
	}
	add(opt.Rustdocflags...)
	errFmt := opt.ErrorFormat
	if errFmt == "" {
		errFmt = "human"
	}
	add("--error-format", errFmt)
	if slices.ContainsFunc(u.DepEdges, func(e UnitDepJSON) bool { return e.Noprelude }) {
		add("-Zunstable-options")
	}

	// The doctests run from rustdoc's process: shared libraries the build
	// made (build scripts' search paths inside the profile dir, then the
	// deps dir) come first, as for cargo's test binaries.
	var front []string
	for _, d := range native {
		if s := StripLinkKind(d); strings.HasPrefix(s, u.ProfDir+string(filepath.Separator)) {
			front = append(front, s)
		}
	}
	front = append(front, filepath.Join(p.hostProfDir(u), "deps"))
	env = append(env, "LD_LIBRARY_PATH="+p.dylibPath(front, nil))
	env = p.applyConfigEnv(env)
	rustdoc := opt.Rustdoc
	if rustdoc == "" {
		rustdoc = p.Q.Rustc.Rustdoc
	}
	return &Command{Argv: append([]string{rustdoc}, a...), Env: env, Dir: cwd}, nil
}

// nativeDirs is every link search path any build script of the build
// printed, sorted and each once (cargo's Compilation::native_dirs).
func (p *Plan) nativeDirs(outs BuildOutputs) ([]string, error) {
	set := map[string]bool{}
	for _, r := range p.Units {
		if !r.IsRun {
			continue
		}
		bo, err := outs(r)
		if err != nil {
			return nil, err
		}
		for _, lp := range bo.LibPaths {
			set[lp] = true
		}
	}
	dirs := make([]string, 0, len(set))
	for d := range set {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs, nil
}
