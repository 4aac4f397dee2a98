package cargometa

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/zeebo/xxh3"
)

// Plan is the unit graph made concrete: for every unit, its directories,
// output files, rustc or build-script command, and the edges the scheduler
// needs. It is pure computation over the query; nothing here runs.
type Plan struct {
	Q         *Query
	Units     []*Unit
	Roots     []*Unit
	WsRoot    string
	TargetDir string // cargo's target dir; uplifted binaries go under it
	RbuildDir string // TargetDir/rbuild: everything rbuild owns
	BaseEnv   []string
	Cargo     string
	Jobs      int
	CapLints  string
	Linker    map[string]string // per platform ("" = host)
	ConfigEnv []ConfigEnv
	Wrapper   string
	WsWrapper string

	// SharedDeps lays dependencies out the way cargo does: every compile
	// gets `-L dependency=<profile>/deps` and --extern paths there, and
	// no view is made. A developer knob (RBUILD_SHARED_DEPS=1) that exists
	// only so TestHermeticRustcOpens can measure what the views prevent.
	SharedDeps bool
	// RemapWorkspace makes path packages' artifacts independent of where
	// the checkout lives (--remap-path-prefix of the workspace root).
	RemapWorkspace bool
	// ShortDiagnostics: rustc renders diagnostics in its short form
	// (--message-format short); not part of any action's key.
	ShortDiagnostics bool
	// NoUnstable: see PlanOptions.
	NoUnstable bool

	cfgs      map[string][]Cfg    // per platform ("" = host), from its probe
	rustflags map[string][]string // per platform
	pinStable bool                // stableDefaults applies
	pkgs      map[string]*Package
	members   map[string]bool
}

// Unit is one entry of the unit graph with everything derived from it.
type Unit struct {
	Index      int
	J          *UnitJSON
	Pkg        *Package
	Facts      *ManifestFacts
	CrateName  string
	Hash       string // rbuild's own -C metadata / extra-filename (§5.2)
	Deps       []*Unit
	DepEdges   []UnitDepJSON
	Dependents []*Unit

	IsRun, IsBuildScript, IsProcMacro, IsLib, Linkable, ForHost, Executable bool
	ReqUpstream, Local, Primary, TestMode, CheckMode                        bool
	// SplitLink: the executable is made in two actions, a compile with
	// `-Z no-link` (objects + Rlink) and a link with `-Z link-only`, so
	// that an upstream change that leaves the interface alone costs only
	// the link (design.md "The graph").
	SplitLink bool
	// Interface: dependents' compiles may be judged by this lib's
	// interface fingerprint (EnableInterfaceCutoff).
	Interface bool

	ProfDir   string   // rbuild's profile dir for this unit's kind
	UpliftDir string   // cargo's profile dir, where users look for binaries
	OutDir    string   // --out-dir, or the run dir for a build-script run
	Rmeta     string   // early .rmeta output, "" if none
	Linkables []string // outputs dependents pass with --extern (rlib, .so)
	Main      []string // every file the compile leaves (incl. rmeta, excl. .d)
	DepInfo   string
	Uplifts   [][2]string // from, to
	Exe       string      // executable output (bins, tests, build scripts)
	Rlink     string      // the no-link compile's output, if SplitLink
	ViewDir   string      // the compile's exact `-L dependency=` directory
	TmpDir    string      // CARGO_TARGET_TMPDIR: <target dir>/tmp, for every platform

	Cwd, SrcArg string
	Rustflags   []string
	LTO         ltoKind
	ltoArg      string
	ToLink      []*Unit // run units whose link search paths reach this unit
	Plugins     []*Unit
	OwnRuns     []*Unit
	Label       string
}

// Name is the unit's stable identity across runs (the log's action key).
func (u *Unit) Name() string {
	kind := u.J.Mode
	if u.IsRun {
		kind = "run"
	}
	return kind + ":" + u.Pkg.Name + "-" + u.Hash + ":" + u.J.Target.Name
}

// LinkName is the identity of a SplitLink unit's link action.
func (u *Unit) LinkName() string { return "link:" + u.Pkg.Name + "-" + u.Hash + ":" + u.J.Target.Name }

// Kind is the first target kind, e.g. "lib", "bin", "test", "custom-build".
func (u *Unit) Kind() string { return u.J.Target.Kind[0] }

// NewPlan derives every unit's properties, hashes, outputs and edges.
func NewPlan(q *Query, cfg *Config, env []string, cwd, targetDir string, jobs int, veryVerbose bool) (*Plan, error) {
	return NewPlanWith(q, cfg, env, cwd, targetDir, PlanOptions{Jobs: jobs, VeryVerbose: veryVerbose})
}

// PlanOptions are the choices a plan is made with besides cargo's answer.
type PlanOptions struct {
	Jobs        int
	VeryVerbose bool // -vv: dependencies' warnings too (--cap-lints warn)
	// NoUnstable: cargo's own commands, no -Z flag and no RUSTC_BOOTSTRAP
	// for rustc — executables compiled and linked in one step, and no
	// interface cutoff (EnableInterfaceCutoff does nothing).
	NoUnstable bool
}

// NewPlanWith is NewPlan with every option.
func NewPlanWith(q *Query, cfg *Config, env []string, cwd, targetDir string, o PlanOptions) (*Plan, error) {
	jobs, veryVerbose := o.Jobs, o.VeryVerbose
	p := &Plan{Q: q, WsRoot: q.Meta.WorkspaceRoot, TargetDir: targetDir, Jobs: jobs,
		pkgs: map[string]*Package{}, members: map[string]bool{}, Linker: map[string]string{},
		rustflags: map[string][]string{}, cfgs: map[string][]Cfg{}, NoUnstable: o.NoUnstable}
	p.RbuildDir = filepath.Join(targetDir, "rbuild")
	p.BaseEnv = WithoutVar(env, "RUSTC_BOOTSTRAP")
	p.pinStable = !o.NoUnstable && pinStableDefaults(q.Rustc.Release, env)
	p.CapLints = "allow"
	if veryVerbose {
		p.CapLints = "warn"
	}
	p.Cargo = lookup(env, "CARGO")
	if p.Cargo == "" {
		p.Cargo = filepath.Join(q.Rustc.Sysroot, "bin", "cargo")
	}
	for _, pk := range q.Meta.Packages {
		p.pkgs[pk.ID] = pk
	}
	for _, m := range q.Meta.WorkspaceMembers {
		p.members[m] = true
	}
	var err error
	if p.ConfigEnv, err = cfg.Env(); err != nil {
		return nil, err
	}
	if p.Wrapper, err = cfg.Wrapper(env, cwd); err != nil {
		return nil, err
	}
	if v := lookup(env, "RUSTC_WORKSPACE_WRAPPER"); v != "" {
		p.WsWrapper = resolveConfigPath(v, cwd)
	} else if s, root, err := cfg.String("build", "rustc-workspace-wrapper"); err == nil && s != "" {
		p.WsWrapper = resolveConfigPath(s, root)
	}
	// One compile kind per platform ("" is the host): its cfgs, rustflags
	// and linker (cargo-units.md §12, §12.1).
	p.cfgs[""] = ParseCfgList(q.Rustc.CfgText)
	p.rustflags[""] = q.Rustc.Rustflags
	if q.TargetRequested {
		p.rustflags[""] = nil // host units take no RUSTFLAGS once --target is given
	}
	for _, j := range q.Graph.Units {
		plat := platformOf1(j)
		if _, done := p.cfgs[plat]; done {
			continue
		}
		ti := q.Targets[plat]
		if ti == nil {
			return nil, fmt.Errorf("--target %s: rustc was not probed for it", plat)
		}
		if !slices.Equal(ti.FileNames, elfFileNames) {
			return nil, fmt.Errorf("--target %s: rustc names its outputs %q; rbuild knows only the ELF naming of Linux-like targets (%q)",
				plat, ti.FileNames, elfFileNames)
		}
		p.cfgs[plat] = ParseCfgList(ti.CfgText)
		p.rustflags[plat] = ti.Rustflags
	}
	for plat, cfgs := range p.cfgs {
		triple := ShortTargetName(plat)
		if plat == "" {
			triple = q.Rustc.Host
		}
		if p.Linker[plat], err = cfg.Linker(env, triple, cfgs, cwd); err != nil {
			return nil, err
		}
	}

	checkTest, err := checkTests(q.Graph, q.Args)
	if err != nil {
		return nil, err
	}
	p.Units = make([]*Unit, len(q.Graph.Units))
	for i, j := range q.Graph.Units {
		pk := p.pkgs[j.PkgID]
		if pk == nil {
			return nil, fmt.Errorf("unit %d: package %s is not in cargo metadata", i, j.PkgID)
		}
		switch j.Mode {
		case "build", "check", "test", "run-custom-build":
		case "doctest", "doc", "docscrape":
		default:
			return nil, fmt.Errorf("unit %d (%s): mode %q is not supported", i, j.Target.Name, j.Mode)
		}
		p.Units[i] = &Unit{Index: i, J: j, Pkg: pk, Facts: q.Manifests[j.PkgID]}
		if p.Units[i].Facts == nil {
			p.Units[i].Facts = &ManifestFacts{NoHarness: map[string]bool{}}
		}
	}
	primary := map[string]bool{}
	for _, r := range q.Graph.Roots {
		primary[q.Graph.Units[r].PkgID] = true
	}
	for _, u := range p.Units {
		for _, d := range u.J.Deps {
			du := p.Units[d.Index]
			u.Deps = append(u.Deps, du)
			u.DepEdges = append(u.DepEdges, d)
			du.Dependents = append(du.Dependents, u)
		}
		u.TestMode = checkTest[u.Index]
		p.derive(u, primary[u.J.PkgID])
	}
	if err := p.hashAll(); err != nil {
		return nil, err
	}
	p.computeLTO()
	for _, u := range p.Units {
		p.layout(u)
	}
	mapped := map[*Unit]bool{}
	for _, u := range p.Units {
		p.buildScriptMap(u, mapped)
	}
	for _, r := range q.Graph.Roots {
		p.Roots = append(p.Roots, p.Units[r])
	}
	return p, nil
}

func (p *Plan) derive(u *Unit, primary bool) {
	j := u.J
	u.CrateName = strings.ReplaceAll(j.Target.Name, "-", "_")
	k := u.Kind()
	u.IsBuildScript = k == "custom-build"
	u.IsRun = j.Mode == "run-custom-build"
	u.IsProcMacro = slices.Contains(j.Target.Kind, "proc-macro")
	switch k {
	case "bin", "test", "bench", "example", "custom-build":
	default:
		u.IsLib = true
	}
	if u.IsLib {
		for _, t := range j.Target.CrateTypes {
			if t == "lib" || t == "rlib" || t == "dylib" || t == "proc-macro" {
				u.Linkable = true
			}
		}
	}
	u.ForHost = u.IsBuildScript || u.IsProcMacro
	u.Executable = k == "bin" || (k == "example" && slices.Equal(j.Target.CrateTypes, []string{"bin"}))
	u.TestMode = u.TestMode || j.Mode == "test" // or a check unit that checks a test
	u.CheckMode = j.Mode == "check"
	onlyRlib := u.IsLib || (k == "example" && !slices.Contains(j.Target.CrateTypes, "bin"))
	for _, t := range j.Target.CrateTypes {
		if t != "lib" && t != "rlib" {
			onlyRlib = false
		}
	}
	u.ReqUpstream = u.TestMode || !onlyRlib
	u.Local = strings.HasPrefix(j.PkgID, "path+") && !j.IsStd
	u.Primary = primary
	u.Rustflags = p.rustflags[platformOf(u)]
	label := u.Pkg.Name + " v" + u.Pkg.Version
	if u.Pkg.Source == nil {
		label += " (" + filepath.Dir(u.Pkg.ManifestPath) + ")"
	}
	u.Label = label
}

// platformOf is the unit's --target platform, "" for the host.
func platformOf(u *Unit) string { return platformOf1(u.J) }

func platformOf1(j *UnitJSON) string {
	if j.Platform == nil {
		return ""
	}
	return *j.Platform
}

// elfFileNames is what the target-info probe prints for Linux-like
// targets, the file naming layout assumes: bin, rlib, dylib, cdylib,
// staticlib, proc-macro.
var elfFileNames = []string{"___", "lib___.rlib", "lib___.so", "lib___.so", "lib___.a", "lib___.so"}

// Platform is the unit's --target platform, "" for a host unit.
func (u *Unit) Platform() string { return platformOf(u) }

// splitDebug is the -C split-debuginfo values rustc supports for u's platform.
func (p *Plan) splitDebug(u *Unit) []string {
	if ti := p.Q.Targets[platformOf(u)]; ti != nil {
		return ti.SplitDebug
	}
	return p.Q.Rustc.SplitDebug
}

// hashAll computes rbuild's own unit hash (§5.2): deterministic, unique per
// unit, independent of where the workspace lives for registry packages, and
// chained through dependencies so a changed dependency renames dependents.
func (p *Plan) hashAll() error {
	state := make([]int8, len(p.Units))
	var visit func(u *Unit) error
	visit = func(u *Unit) error {
		switch state[u.Index] {
		case 1:
			return fmt.Errorf("unit graph has a cycle through %s", u.J.Target.Name)
		case 2:
			return nil
		}
		state[u.Index] = 1
		var depHashes []string
		for _, d := range u.Deps {
			if err := visit(d); err != nil {
				return err
			}
			depHashes = append(depHashes, d.Hash)
		}
		sort.Strings(depHashes)
		prof := u.J.Profile
		prof.Name = ""
		profJSON, _ := json.Marshal(prof)
		h := xxh3.New()
		w := func(parts ...string) {
			for _, s := range parts {
				h.WriteString(s)
				h.WriteString("\x00")
			}
		}
		w("rbuild-unit-v1", p.stablePkgID(u), u.J.Target.Name, strings.Join(u.J.Target.Kind, ","),
			strings.Join(u.J.Target.CrateTypes, ","), u.J.Target.Edition, u.J.Mode, fmt.Sprint(u.TestMode), platformOf(u),
			strings.Join(u.J.Features, ","), string(profJSON), p.Q.Rustc.VV,
			strings.Join(u.Rustflags, "\x1f"), fmt.Sprint(u.J.IsStd))
		if u.Local {
			w(p.relToWs(*u.J.Target.SrcPath))
		}
		w(depHashes...)
		sum := h.Sum64()
		var b [8]byte
		for i := range b {
			b[i] = byte(sum >> (56 - 8*i))
		}
		u.Hash = hex.EncodeToString(b[:])
		state[u.Index] = 2
		return nil
	}
	for _, u := range p.Units {
		if err := visit(u); err != nil {
			return err
		}
	}
	return nil
}

// stablePkgID drops the absolute path of path packages so hashes survive
// moving the workspace.
func (p *Plan) stablePkgID(u *Unit) string {
	id := u.J.PkgID
	if rest, ok := strings.CutPrefix(id, "path+file://"); ok {
		path, frag, _ := strings.Cut(rest, "#")
		return "path:" + p.relToWs(path) + "#" + frag
	}
	return id
}

func (p *Plan) relToWs(path string) string {
	if rel, err := filepath.Rel(p.WsRoot, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// layout fixes directories, output names and uplift destinations (§4).
func (p *Plan) layout(u *Unit) {
	prof := ProfileDir(u.J.Profile.Name)
	base, up := filepath.Join(p.RbuildDir), p.TargetDir
	if plat := platformOf(u); plat != "" {
		// cargo's split: a --target platform's units under
		// <dir>/<triple>/<profile>, host units under <dir>/<profile>.
		base, up = filepath.Join(base, ShortTargetName(plat)), filepath.Join(up, ShortTargetName(plat))
	}
	u.ProfDir, u.UpliftDir = filepath.Join(base, prof), filepath.Join(up, prof)
	u.TmpDir = filepath.Join(p.TargetDir, "tmp")
	if u.IsRun {
		u.OutDir = filepath.Join(u.ProfDir, "build", u.Pkg.Name+"-"+u.Hash)
		return
	}
	u.ViewDir = filepath.Join(u.ProfDir, "views", strings.ReplaceAll(u.Name(), ":", "-"))
	u.SplitLink = (u.Executable || u.TestMode) && !u.CheckMode && !u.IsBuildScript && !p.NoUnstable
	switch {
	case u.IsBuildScript:
		u.OutDir = filepath.Join(u.ProfDir, "build", u.Pkg.Name+"-"+u.Hash)
	case u.SplitLink:
		// One directory per executable: its objects, .rlink and the
		// rustcXXXXXX dirs each link leaves stay apart from other
		// units' (rustc-facts.md §7).
		u.OutDir = filepath.Join(u.ProfDir, "bins", u.CrateName+"-"+u.Hash)
	case u.Kind() == "example":
		u.OutDir = filepath.Join(u.ProfDir, "examples")
	default:
		u.OutDir = filepath.Join(u.ProfDir, "deps")
	}
	suffix := "-" + u.Hash
	if !u.TestMode && !u.CheckMode && u.Local && (slices.Contains(u.J.Target.CrateTypes, "dylib") || slices.Contains(u.J.Target.CrateTypes, "cdylib")) {
		suffix = "" // their name ends up in DT_NEEDED (§5.2 point 5)
	}
	c := u.CrateName
	u.DepInfo = filepath.Join(u.OutDir, c+suffix+".d")
	out := func(name string) string { return filepath.Join(u.OutDir, name) }
	switch {
	case u.CheckMode:
		u.Rmeta = out("lib" + c + suffix + ".rmeta")
		u.Main = []string{u.Rmeta}
		if u.Linkable {
			u.Linkables = []string{u.Rmeta}
		}
	case u.TestMode:
		u.Exe = out(c + suffix)
		u.Main = []string{u.Exe}
	default:
		for _, t := range u.J.Target.CrateTypes {
			var f string
			switch t {
			case "bin":
				f = out(c + suffix)
				u.Exe = f
			case "lib", "rlib":
				f = out("lib" + c + suffix + ".rlib")
				u.Linkables = append(u.Linkables, f)
			case "dylib", "proc-macro":
				f = out("lib" + c + suffix + ".so")
				u.Linkables = append(u.Linkables, f)
			case "cdylib":
				f = out("lib" + c + suffix + ".so")
			case "staticlib":
				f = out("lib" + c + suffix + ".a")
			default:
				continue
			}
			u.Main = append(u.Main, f)
			p.uplift(u, t, f)
		}
		if !u.ReqUpstream {
			u.Rmeta = out("lib" + c + suffix + ".rmeta")
			u.Main = append(u.Main, u.Rmeta)
		}
	}
	if u.SplitLink {
		u.Rlink = out(c + suffix + ".rlink")
	}
}

func (p *Plan) uplift(u *Unit, crateType, file string) {
	root := false
	for _, r := range p.Q.Graph.Roots {
		root = root || r == u.Index
	}
	var dst string
	switch {
	case u.IsBuildScript:
		dst = filepath.Join(u.OutDir, "build-script-build")
	case crateType == "bin" && u.Kind() == "example":
		dst = filepath.Join(u.UpliftDir, "examples", u.J.Target.Name)
	case crateType == "bin":
		dst = filepath.Join(u.UpliftDir, u.J.Target.Name)
	case crateType == "dylib" || root:
		if u.Kind() == "example" {
			dst = filepath.Join(u.UpliftDir, "examples", filepath.Base(file))
		} else {
			ext := filepath.Ext(file)
			dst = filepath.Join(u.UpliftDir, "lib"+u.CrateName+ext)
		}
	default:
		return
	}
	u.Uplifts = append(u.Uplifts, [2]string{file, dst})
	if u.IsBuildScript {
		u.Exe = dst
	}
}

// IsUplift tells whether path is one of the unit's uplifted copies (in
// cargo's profile dir), which are re-linked rather than rebuilt.
func (u *Unit) IsUplift(path string) bool {
	for _, up := range u.Uplifts {
		if up[1] == path {
			return true
		}
	}
	return false
}

// RunOutputFile is where a build-script run's stdout is kept; dependents
// consume it as a file, so the graph stays file-level.
func (u *Unit) RunOutputFile() string { return filepath.Join(u.OutDir, "output") }

// OutDirEnv is the OUT_DIR of a build-script run.
func (u *Unit) OutDirEnv() string { return filepath.Join(u.OutDir, "out") }

// ScriptUnit returns the build-script compile a run unit executes.
func (u *Unit) ScriptUnit() *Unit {
	for _, d := range u.Deps {
		if d.IsBuildScript && !d.IsRun {
			return d
		}
	}
	return nil
}

// OnlyNeedsRmeta is cargo's rmeta-only edge rule (§9).
func OnlyNeedsRmeta(parent, dep *Unit) bool {
	return parent.J.Mode == "build" && !parent.ReqUpstream && dep.J.Mode == "build" && !dep.ReqUpstream
}
