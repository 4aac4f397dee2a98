package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"rbuild/cargometa"
	"rbuild/cutoff"
	"rbuild/executor"
	"rbuild/graph"
)

// work connects the executor to freshness: for each ready action it builds
// the command, asks cutoff for a verdict against the log, and records the
// result of every run.
type work struct {
	s       *session
	hasher  *cutoff.Hasher
	mu      sync.Mutex
	outputs map[*cargometa.Unit]*cargometa.BuildOutput
	started map[string]bool // packages already announced with "Compiling"
	explain []explainEntry
	deps    map[graph.ActionID][]cutoff.Stamp
	cmds    map[graph.ActionID]*cargometa.Command
	prev    map[graph.ActionID]*cutoff.Record
	history *durationHistory
	iface   *ifaceState
	// timeline records when actions ran (for .ninja_log) and, with
	// --timings, what was decided for the others; nil records nothing.
	timeline *executor.Timeline
	// art is the artifact cache (nil: off); cacheKeys the keys of the
	// compiles it may restore or store.
	art       *artifacts
	cacheKeys map[graph.ActionID]string
	slow      decisionDelay // tests only (testhook.go)
}

type explainEntry struct {
	Label  string `json:"label"`
	Action string `json:"action"`
	Ran    bool   `json:"ran"`
	Reason string `json:"reason"`
	Cache  string `json:"cache,omitempty"` // what the artifact cache did, or why not
}

func newWork(s *session) *work {
	w := &work{s: s, hasher: cutoff.NewHasher(), history: newDurationHistory(), outputs: map[*cargometa.Unit]*cargometa.BuildOutput{},
		started: map[string]bool{}, explain: make([]explainEntry, len(s.graph.Actions)),
		deps: map[graph.ActionID][]cutoff.Stamp{}, cmds: map[graph.ActionID]*cargometa.Command{},
		prev: map[graph.ActionID]*cutoff.Record{}, iface: newIfaceState(s.graph), cacheKeys: map[graph.ActionID]string{},
		slow: decisionDelayFromEnv()}
	for _, a := range s.graph.Actions {
		w.explain[a.ID] = explainEntry{Label: actionLabel(a), Action: a.Name, Reason: "not reached"}
		if rec, ok := s.log.Get(a.Name); ok {
			if r, err := cutoff.DecodeRecord(rec.Payload); err == nil {
				w.prev[a.ID] = r
				w.hasher.Remember(r.Stamps())
			}
		}
	}
	return w
}

func unitOf(a *graph.Action) *cargometa.Unit { return a.Data.(*cargometa.Unit) }

// actionLabel says which unit an action is: "foo v0.1.0 (lib)".
func actionLabel(a *graph.Action) string {
	u := unitOf(a)
	kind := u.Kind()
	switch {
	case u.IsRun:
		kind = "build script run"
	case u.IsBuildScript:
		kind = "build script"
	case u.TestMode:
		kind += " test"
	case u.CheckMode:
		kind += " check"
	}
	if a.Kind == graph.Link {
		kind += " link"
	}
	name := u.Pkg.Name
	if u.J.Target.Name != strings.ReplaceAll(u.Pkg.Name, "-", "_") && u.J.Target.Name != u.Pkg.Name && !u.IsBuildScript {
		kind += " " + u.J.Target.Name
	}
	return fmt.Sprintf("%s v%s (%s)", name, u.Pkg.Version, kind)
}

// buildOutput returns a run unit's parsed output: from this build, or the
// `output` file an earlier build left.
func (w *work) buildOutput(r *cargometa.Unit) (*cargometa.BuildOutput, error) {
	w.mu.Lock()
	bo, ok := w.outputs[r]
	w.mu.Unlock()
	if ok {
		return bo, nil
	}
	data, err := os.ReadFile(r.RunOutputFile())
	if err != nil {
		return nil, fmt.Errorf("build script output of %s: %w", r.Label, err)
	}
	bo, err = cargometa.ParseBuildOutput(data, r.Pkg.Name+"@"+r.Pkg.Version, allowNewSyntax(r.Pkg))
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.outputs[r] = bo
	w.mu.Unlock()
	return bo, nil
}

func (w *work) command(a *graph.Action) (*cargometa.Command, error) {
	u := unitOf(a)
	if u.IsRun {
		return w.s.plan.RunCommand(u, w.buildOutput)
	}
	c, err := w.s.plan.CompileCommand(u, w.buildOutput)
	if err != nil || a.Kind != graph.Link {
		return c, err
	}
	return w.s.plan.LinkCommand(u, c), nil
}

// ownsUplifts tells whether a makes u's uplifted files: the link of a
// split executable, the compile otherwise.
func ownsUplifts(a *graph.Action) bool {
	return a.Kind == graph.Link || !unitOf(a).SplitLink
}

func commandHash(c *cargometa.Command) cutoff.Hash {
	env := slices.Clone(c.Env)
	sort.Strings(env)
	return cutoff.HashStrings(c.Argv, []string{c.Dir}, env, c.Unset)
}

func (w *work) Prepare(ctx context.Context, a *graph.Action) (*executor.Cmd, error) {
	u := unitOf(a)
	if busy := w.inRepair(a); len(busy) > 0 {
		return nil, &executor.Later{After: busy}
	}
	w.slow.wait(u.Pkg.Name)
	c, err := w.command(a)
	if err != nil {
		return nil, err
	}
	g := w.s.graph
	deps := make([]cutoff.Stamp, 0, len(a.Inputs))
	for _, in := range a.Inputs {
		st, err := w.hasher.Refresh(g.Files[in].Path)
		if err != nil {
			return nil, err
		}
		if st.Size < 0 {
			return nil, fmt.Errorf("%s: input %s is missing", actionLabel(a), g.Files[in].Path)
		}
		deps = append(deps, st)
	}
	// Uplifted copies are not what the action made: cargo rewrites them when
	// it shares target/, and re-linking them is enough.
	outs := make([]string, 0, len(a.Outputs))
	for _, o := range a.Outputs {
		if p := g.Files[o].Path; !u.IsUplift(p) {
			outs = append(outs, p)
		}
	}
	env := c.FullEnv(w.s.plan.BaseEnv)
	cur := &cutoff.Current{Cmd: commandHash(c), Deps: deps, Outputs: outs,
		Env: func(name string) (string, bool) { return cargometa.LookupEnv(env, name) }}
	w.mu.Lock()
	prev := w.prev[a.ID]
	w.deps[a.ID], w.cmds[a.ID] = deps, c
	w.mu.Unlock()
	var unknown []graph.ActionID
	cur.Iface, unknown = w.ifaceInputs(a, prev)
	v, err := cutoff.Decide(prev, cur, w.hasher)
	if err != nil {
		return nil, err
	}
	if err := w.decideInterface(a, prev, &v, unknown); err != nil {
		return nil, err // *executor.Later: decided again later
	}
	w.mu.Lock()
	if v.Run {
		w.iface.ran[a.ID] = true
		w.iface.stale[a.ID] = false
	} else {
		// A skip stands only if no dependency's repair began while it
		// was being decided: that repair replaces the files it judged.
		if l := w.inFluxLocked(a); l != nil {
			if w.iface.stale[a.ID] {
				w.iface.stale[a.ID] = false
				w.iface.cutOff--
			}
			w.mu.Unlock()
			return nil, l
		}
		w.iface.finished[a.ID] = true
	}
	w.mu.Unlock()
	w.setExplain(a, v.Run, v.Reason)
	if !v.Run {
		// Cut off: the verdict named the dependencies whose unchanged
		// interface let it skip ("interface of … unchanged").
		outcome := executor.Fresh
		if len(v.CutOff) > 0 {
			outcome = executor.CutOff
		}
		w.timeline.Skipped(a, outcome, v.Reason)
	}
	if !v.Run {
		if v.Restamped {
			w.restamp(a, prev)
		}
		if ownsUplifts(a) {
			for _, up := range u.Uplifts {
				if err := uplift(up[0], up[1]); err != nil {
					return nil, err
				}
			}
		}
		return nil, nil
	}
	if err := w.s.log.Invalidate(a.Name); err != nil {
		return nil, fmt.Errorf("write build log: %w", err)
	}
	if err := prepareDirs(u, a.Kind); err != nil {
		return nil, err
	}
	if !u.IsRun && !w.s.plan.SharedDeps {
		if err := makeView(u.ViewDir, w.s.plan.ViewFiles(u)); err != nil {
			return nil, err
		}
	}
	cmd := &executor.Cmd{Argv: c.Argv, Env: env, Dir: c.Dir, Rustc: !u.IsRun}
	if u.IsRun {
		cmd.What = "failed to run custom build command for `" + u.Pkg.Name + " v" + u.Pkg.Version + "`"
	} else {
		cmd.What = fmt.Sprintf("could not compile `%s` (%s)", u.Pkg.Name, targetDescription(u))
	}
	w.mu.Lock()
	if !w.started[u.J.PkgID] && !w.s.opt.quiet {
		w.started[u.J.PkgID] = true
		cmd.Verb, cmd.Text = "Compiling", u.Label
		if u.CheckMode {
			cmd.Verb = "Checking"
		} else if a.Kind == graph.Link {
			cmd.Verb = "Linking"
		}
	}
	w.mu.Unlock()
	if w.s.opt.explain {
		w.s.status.Verb("Explain", actionLabel(a)+": "+v.Reason)
	}
	if w.s.opt.verbose > 0 {
		w.s.status.Verb("Running", "`"+graph.ShellQuote(c.Argv)+"`")
	}
	if w.art != nil && a.Kind == graph.Compile && !u.IsRun {
		w.offerCache(a, c, deps, cmd)
	}
	return cmd, nil
}

// offerCache lets the artifact cache make a's outputs if a may come from
// it, and says in the explanation why not otherwise.
func (w *work) offerCache(a *graph.Action, c *cargometa.Command, deps []cutoff.Stamp, cmd *executor.Cmd) {
	ok, why := w.s.plan.Cacheable(unitOf(a), w.art.policy)
	if !ok {
		w.setCacheNote(a, "not cached: "+why)
		return
	}
	key, err := w.art.key(unitOf(a), c, deps)
	if err != nil {
		w.setCacheNote(a, "not cached: "+err.Error())
		return
	}
	w.mu.Lock()
	w.cacheKeys[a.ID] = key
	w.mu.Unlock()
	env := cmd.Env
	cmd.Fetch = func(ctx context.Context) *executor.Result { return w.fetch(ctx, a, key, env) }
}

func targetDescription(u *cargometa.Unit) string {
	k := u.Kind()
	switch {
	case u.IsBuildScript:
		return "build script"
	case u.IsLib && u.TestMode:
		return "lib test"
	case u.IsLib:
		return "lib"
	case u.TestMode && k == "bin":
		return "bin \"" + u.J.Target.Name + "\" test"
	}
	return k + " \"" + u.J.Target.Name + "\""
}

func (w *work) setExplain(a *graph.Action, ran bool, reason string) {
	w.mu.Lock()
	w.explain[a.ID].Ran, w.explain[a.ID].Reason = ran, reason
	w.mu.Unlock()
}

// prepareDirs creates output directories (rustc does not, P14) and removes
// a stale .rlib next to the .rmeta about to be written (P13), and an
// executable's objects and .rlink before its compile writes new ones (the
// next link must not pick up an object of a codegen unit that is gone).
func prepareDirs(u *cargometa.Unit, kind graph.Kind) error {
	if u.SplitLink && kind == graph.Compile {
		ents, _ := os.ReadDir(u.OutDir)
		for _, e := range ents {
			if n := e.Name(); strings.HasSuffix(n, ".rcgu.o") || strings.HasSuffix(n, ".rlink") {
				os.Remove(filepath.Join(u.OutDir, n))
			}
		}
	}
	dirs := []string{u.OutDir}
	if u.IsRun {
		dirs = append(dirs, u.OutDirEnv())
	}
	for _, up := range u.Uplifts {
		dirs = append(dirs, filepath.Dir(up[1]))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if u.Rmeta != "" {
		for _, f := range u.Main {
			if strings.HasSuffix(f, ".rlib") {
				os.Remove(f)
			}
		}
	}
	if k := u.Kind(); u.TestMode || k == "test" || k == "bench" {
		os.MkdirAll(filepath.Join(filepath.Dir(filepath.Dir(u.UpliftDir)), "tmp"), 0o755)
	}
	return nil
}

// restamp rewrites a record whose files were touched but not changed, so
// the next build takes the fast path again.
func (w *work) restamp(a *graph.Action, prev *cutoff.Record) {
	r := *prev
	r.Inputs = w.stampAll(prev.Inputs)
	r.Outputs = w.stampAll(prev.Outputs)
	w.s.log.Put(rlogRecord(a.Name, &r))
}

func (w *work) stampAll(old []cutoff.Stamp) []cutoff.Stamp {
	out := make([]cutoff.Stamp, len(old))
	for i, s := range old {
		if now, err := w.hasher.Stamp(s.Path); err == nil && now.Hash == s.Hash {
			out[i] = now
		} else {
			out[i] = s
		}
	}
	return out
}

func (w *work) Finished(a *graph.Action, cmd *executor.Cmd, res *executor.Result) error {
	u := unitOf(a)
	w.mu.Lock()
	c, deps := w.cmds[a.ID], w.deps[a.ID]
	w.mu.Unlock()
	rec := &cutoff.Record{Cmd: commandHash(c), Deps: deps, Start: res.Start.UnixNano(), End: res.End.UnixNano()}
	w.history.record(a, res)
	env := cmd.Env
	var err error
	switch {
	case u.IsRun:
		err = w.finishRun(u, res, env, rec)
	case a.Kind == graph.Link:
		removeLinkTemps(u.OutDir)
	default:
		err = w.finishCompile(u, c, res, rec)
	}
	if err == nil && ownsUplifts(a) {
		for _, up := range u.Uplifts {
			if err = uplift(up[0], up[1]); err != nil {
				break
			}
		}
	}
	if err != nil {
		return err
	}
	for _, o := range a.Outputs {
		if u.IsUplift(w.s.graph.Files[o].Path) {
			continue
		}
		st, err := w.hasher.Refresh(w.s.graph.Files[o].Path)
		if err != nil {
			return err
		}
		if st.Size < 0 {
			return fmt.Errorf("%s: did not produce %s", actionLabel(a), st.Path)
		}
		rec.Outputs = append(rec.Outputs, st)
	}
	w.mu.Lock()
	w.iface.finished[a.ID] = true
	w.iface.repairing[a.ID] = false
	outcome := executor.Compiled
	switch {
	case a.Kind == graph.Link:
		outcome = executor.Linked
		if !w.iface.ran[w.compileOf(a)] {
			w.iface.relinked++
			outcome = executor.Relinked
		}
	case u.IsRun:
		w.iface.scripts++
		outcome = executor.ScriptRan
	case res.Restored:
		w.iface.restored++
		outcome = executor.Restored
	default:
		w.iface.compiled++
	}
	key := w.cacheKeys[a.ID]
	w.mu.Unlock()
	w.timeline.Ran(a, outcome, res, rec.Cmd)
	if key != "" && !res.Restored {
		w.storeArtifacts(a, key, rec)
	}
	if a.Kind == graph.Compile && !u.IsRun && !w.finishInterface(a, rec) {
		w.mu.Lock()
		w.iface.parked = append(w.iface.parked, parkedRecord{a, rec})
		w.mu.Unlock()
		return nil
	}
	if err := w.s.log.Put(rlogRecord(a.Name, rec)); err != nil {
		return fmt.Errorf("write build log: %w", err)
	}
	return nil
}

// compileOf returns the compile action of a split executable's link.
func (w *work) compileOf(link *graph.Action) graph.ActionID {
	id, _ := w.s.graph.Lookup(unitOf(link).Rlink)
	return w.s.graph.Files[id].Producer
}

func (w *work) finishCompile(u *cargometa.Unit, c *cargometa.Command, res *executor.Result, rec *cutoff.Record) error {
	di, err := cutoff.ReadDepInfo(u.DepInfo)
	if err != nil {
		return err
	}
	for _, f := range di.Files {
		if !filepath.IsAbs(f) {
			f = filepath.Join(c.Dir, f)
		}
		// -Z binary-dep-depinfo lists the crates rustc loaded: declared
		// inputs (judged by the cutoff) and the toolchain's, not sources.
		// With shared deps they lie in deps/; recorded as sources, any
		// byte change of a dependency would re-run this compile and defeat
		// the cutoff.
		if strings.HasPrefix(f, w.s.plan.DepDir(u)+string(filepath.Separator)) || w.isToolchainFile(f) {
			continue
		}
		rec.Inputs = append(rec.Inputs, w.hasher.InputStamp(f, res.Start))
	}
	rec.EnvDeps = di.EnvDeps
	return nil
}

func (w *work) finishRun(u *cargometa.Unit, res *executor.Result, env []string, rec *cutoff.Record) error {
	if err := os.WriteFile(u.RunOutputFile(), res.Stdout, 0o644); err != nil {
		return err
	}
	os.WriteFile(filepath.Join(u.OutDir, "stderr"), res.Stderr, 0o644)
	os.WriteFile(filepath.Join(u.OutDir, "root-output"), []byte(u.OutDirEnv()), 0o644)
	id := u.Pkg.Name + "@" + u.Pkg.Version
	bo, err := cargometa.ParseBuildOutput(res.Stdout, id, allowNewSyntax(u.Pkg))
	if err != nil {
		return err
	}
	if u.Local || w.s.opt.verbose >= 2 {
		for _, m := range bo.Warnings {
			w.s.status.Verb("warning", id+": "+m)
		}
	}
	if len(bo.Errors) > 0 {
		for _, m := range bo.Errors {
			w.s.status.Verb("error", id+": "+m)
		}
		os.Remove(u.RunOutputFile())
		return fmt.Errorf("build script of %s logged errors", u.Label)
	}
	w.mu.Lock()
	w.outputs[u] = bo
	w.mu.Unlock()
	pkgDir := filepath.Dir(u.Pkg.ManifestPath)
	var inputs []string
	if len(bo.RerunIfChanged) > 0 {
		for _, p := range bo.RerunIfChanged {
			if !filepath.IsAbs(p) {
				p = filepath.Join(pkgDir, p)
			}
			inputs = append(inputs, expandDir(p)...)
		}
	} else if u.Local {
		// No rerun-if-changed: like cargo, any file of the package counts.
		inputs = packageFiles(pkgDir)
	}
	for _, p := range inputs {
		rec.Inputs = append(rec.Inputs, w.hasher.InputStamp(p, res.Start))
	}
	for _, name := range bo.RerunIfEnvChanged {
		v, ok := cargometa.LookupEnv(env, name)
		rec.EnvDeps = append(rec.EnvDeps, cutoff.EnvDep{Name: name, Value: v, Set: ok})
	}
	return nil
}

// expandDir lists the files below a rerun-if-changed directory, or the path
// itself for a file (missing paths too: their appearance must trigger).
func expandDir(p string) []string {
	st, err := os.Stat(p)
	if err != nil || !st.IsDir() {
		return []string{p}
	}
	var out []string
	filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err == nil {
			out = append(out, path) // directories too: their listing is stamped
		}
		return nil
	})
	return out
}

// packageFiles lists a package's files, skipping target dirs, hidden dirs
// and nested packages.
func packageFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && path != dir {
			name := d.Name()
			if name == "target" || strings.HasPrefix(name, ".") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "Cargo.toml")); err == nil {
				return filepath.SkipDir
			}
		}
		out = append(out, path)
		return nil
	})
	return out
}

// uplift hard-links an output where cargo users expect it, replacing what
// was there (a binary truncated in place must not alias the old link).
// Where a link cannot be made it copies, through a new file renamed into
// place: opening `to` for writing could truncate the very file it names
// when another link to it appeared meanwhile.
func uplift(from, to string) error {
	if a, err := os.Stat(from); err == nil {
		if b, err := os.Stat(to); err == nil && os.SameFile(a, b) {
			return nil
		}
	}
	os.Remove(to)
	if err := os.Link(from, to); err == nil {
		return nil
	}
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("uplift %s: %w", from, err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return fmt.Errorf("uplift %s: %w", from, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(to), ".uplift-*")
	if err != nil {
		return fmt.Errorf("uplift %s: %w", to, err)
	}
	_, err = io.Copy(tmp, src)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), st.Mode().Perm())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), to)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("uplift %s: %w", to, err)
	}
	return nil
}

// allowNewSyntax: `cargo::` directives need rust-version ≥ 1.77 (P4).
func allowNewSyntax(p *cargometa.Package) bool {
	if p.RustVersion == nil {
		return true
	}
	parts := strings.SplitN(*p.RustVersion, ".", 3)
	if len(parts) < 2 {
		return true
	}
	major, _ := strconv.Atoi(parts[0])
	minor, _ := strconv.Atoi(parts[1])
	return major > 1 || (major == 1 && minor >= 77)
}
