package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/zeebo/xxh3"

	"rbuild/cargometa"
	"rbuild/executor"
	"rbuild/graph"
	rlog "rbuild/log"
)

// session is one rbuild invocation's view of the workspace: what cargo said,
// the plan and graph made from it, and the locked build log.
type session struct {
	opt       *options
	env       []string
	cwd       string
	cfg       *cargometa.Config
	targetDir string
	log       *rlog.Log
	plan      *cargometa.Plan
	graph     *graph.Graph
	status    *executor.Status
	color     bool
	started   time.Time
	work      *work
	queryFile string
	stats     executor.Stats
	user      *userConfig
}

func newSession(ctx context.Context, o *options) (*session, error) {
	s := &session{opt: o, env: os.Environ(), started: time.Now()}
	var err error
	if s.cwd, err = os.Getwd(); err != nil {
		return nil, err
	}
	tty := isatty.IsTerminal(os.Stderr.Fd())
	s.color = useColor(o)
	s.status = executor.NewStatus(os.Stderr, tty && !o.quiet, s.color)
	if s.cfg, s.targetDir, err = locateTargetDir(s.cwd, s.env, o.manifestPath); err != nil {
		return nil, err
	}
	if s.user, err = loadUserConfig(); err != nil {
		return nil, err
	}
	tracePhase("config")
	if err := s.openLog(ctx); err != nil {
		return nil, err
	}
	tracePhase("log open")
	q, err := s.query()
	tracePhase("query")
	if err != nil {
		s.close()
		return nil, err
	}
	if td := q.Meta.TargetDirectory; td != "" && td != s.targetDir && s.opt.unitGraphFile == "" {
		// Our guess at the workspace root was wrong (e.g. package.workspace):
		// cargo is the authority on where the target dir is.
		s.log.Close()
		s.targetDir = td
		if err := s.openLog(ctx); err != nil {
			return nil, err
		}
	}
	jobs := o.jobs
	if jobs == 0 {
		jobs = runtime.NumCPU()
	}
	o.jobs = jobs
	if s.plan, err = cargometa.NewPlan(q, s.cfg, s.env, s.cwd, s.targetDir, jobs, o.verbose >= 2); err != nil {
		s.close()
		return nil, err
	}
	// Developers only: cargo's shared deps/ instead of views, so that
	// TestHermeticRustcOpens can measure the undeclared files rustc opens.
	s.plan.SharedDeps = os.Getenv("RBUILD_SHARED_DEPS") == "1"
	if o.cutoff == "interface" {
		s.plan.EnableInterfaceCutoff()
	}
	s.plan.RemapWorkspace = s.user.Cache.Relocatable
	tracePhase("plan")
	if s.graph, err = s.plan.Graph(); err != nil {
		s.close()
		return nil, fmt.Errorf("build graph: %w", err)
	}
	tracePhase("graph")
	return s, nil
}

// locateTargetDir finds the target dir the way cargo does: CARGO_TARGET_DIR,
// build.target-dir, else <workspace root>/target.
func locateTargetDir(cwd string, env []string, manifestPath string) (*cargometa.Config, string, error) {
	cfg, err := cargometa.LoadConfig(cwd, env)
	if err != nil {
		return nil, "", err
	}
	td, err := cfg.TargetDir(env, cwd)
	if err != nil || td != "" {
		return cfg, td, err
	}
	wsRoot, err := findWorkspaceRoot(cwd, manifestPath)
	if err != nil {
		return nil, "", err
	}
	return cfg, filepath.Join(wsRoot, "target"), nil
}

func (s *session) openLog(ctx context.Context) error {
	dir := filepath.Join(s.targetDir, "rbuild")
	l, warnings, err := rlog.Open(ctx, dir, func(holder string) {
		s.status.Verb("Blocking", "waiting for file lock on build directory (held by "+holder+")")
	})
	if err != nil {
		return fmt.Errorf("open build log in %s: %w", dir, err)
	}
	for _, w := range warnings {
		s.status.Verb("warning", w+" (affected actions will be rebuilt)")
	}
	s.log = l
	return nil
}

func useColor(o *options) bool {
	tty := isatty.IsTerminal(os.Stderr.Fd())
	return o.color == "always" || (o.color == "auto" && tty && os.Getenv("NO_COLOR") == "")
}

func (s *session) close() {
	if s.log != nil {
		if err := s.log.Close(); err != nil {
			s.status.Verb("warning", "closing build log: "+err.Error())
		}
		s.log = nil
	}
}

// query returns cargo's unit graph and metadata, from the cache when no file
// or variable that could change cargo's answer has changed since. The
// cache is kept in the target dir and, per user, under RBUILD_CACHE_DIR:
// cargo's answer does not depend on target/, so a clean build (target/
// deleted) starts its first rustc without waiting for cargo.
func (s *session) query() (*cargometa.Query, error) {
	req := &cargometa.Request{Command: s.opt.cargoCommand(), Args: s.opt.cargoArgs, FeatureArgs: s.opt.featureArgs,
		Cwd: s.cwd, Env: s.env, UnitGraphFile: s.opt.unitGraphFile}
	envKey := cargometa.EnvKey(req)
	key := xxh3.HashString128(envKey).Bytes()
	name := fmt.Sprintf("%x.json", key[:12])
	cache := filepath.Join(s.targetDir, "rbuild", "query", name)
	s.queryFile = cache
	var userCache string
	if dir := userCacheDir(); dir != "" {
		userCache = filepath.Join(dir, "query", name)
	}
	for _, f := range []string{cache, userCache} {
		if f == "" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if q, err := cargometa.DecodeQuery(data); err == nil && q.EnvKey == envKey && !anyChanged(q.Stamps) {
			if f != cache {
				writeFileAtomic(cache, data)
			}
			return q, nil
		}
	}
	q, err := cargometa.RunQuery(req, s.cfg)
	if err != nil {
		return nil, err
	}
	if data, err := q.Encode(); err == nil {
		writeFileAtomic(cache, data)
		if userCache != "" && writeFileAtomic(userCache, data) == nil {
			pruneOldest(filepath.Dir(userCache), userQueryCap)
		}
	}
	return q, nil
}

// userQueryCap bounds the per-user query cache: one entry per workspace,
// command line and environment, the least recently written go first.
const userQueryCap = 64

func pruneOldest(dir string, keep int) {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) <= keep {
		return
	}
	type aged struct {
		path string
		mod  time.Time
	}
	var files []aged
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			files = append(files, aged{filepath.Join(dir, e.Name()), info.ModTime()})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod.After(files[j].mod) })
	for _, f := range files[min(keep, len(files)):] {
		os.Remove(f.path)
	}
}

func anyChanged(stamps []cargometa.Stamp) bool {
	for _, st := range stamps {
		if st.Changed() {
			return true
		}
	}
	return false
}

func (o *options) cargoCommand() string {
	switch o.cmd {
	case "check", "test":
		return o.cmd
	}
	// `cargo run --unit-graph` prints the graph and then trips an assertion
	// in cargo 1.95; `build` with the same flags selects the same units.
	return "build"
}

// findWorkspaceRoot mirrors cargo's search: the nearest Cargo.toml, then the
// nearest ancestor manifest with a [workspace] table.
func findWorkspaceRoot(cwd, manifestPath string) (string, error) {
	dir := cwd
	if manifestPath != "" {
		p, err := filepath.Abs(manifestPath)
		if err != nil {
			return "", err
		}
		dir = filepath.Dir(p)
	}
	pkg := ""
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "Cargo.toml"))
		if err == nil {
			if pkg == "" {
				pkg = d
			}
			if bytes.Contains(data, []byte("[workspace]")) {
				return d, nil
			}
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	if pkg == "" {
		return "", fmt.Errorf("could not find `Cargo.toml` in `%s` or any parent directory", dir)
	}
	return pkg, nil
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeFileAtomicMode(path, data, 0o644)
}

// writeFileAtomicMode writes a new file beside path and renames it over
// path: a reader sees the old content or the new, never a part.
func writeFileAtomicMode(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), mode)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
