package build

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"rbuild/cargometa"
	"rbuild/executor"
	"rbuild/graph"
	rlog "rbuild/log"
)

// Session is one workspace opened for building: the target dir's lock and
// build log, cargo's answer, and the plan and graph made from it. Close
// releases the lock. A Session builds once or several times (gen builds
// the build scripts, then reads their outputs).
type Session struct {
	opt       Options
	cfg       *cargometa.Config
	targetDir string
	log       *rlog.Log
	plan      *cargometa.Plan // nil when the graph came from a build plan
	graph     *graph.Graph
	user      *UserConfig
	queryFile string
	outputs   *scriptOutputs
	// planFile is the build plan a session opened with OpenBuildPlan runs.
	planFile string
}

// Open locks the workspace's target dir, opens its build log, and asks
// cargo (or the query cache) for the units, from which it makes the plan
// and the graph.
func Open(ctx context.Context, opt Options) (*Session, error) {
	if err := opt.setDefaults(); err != nil {
		return nil, err
	}
	s := &Session{opt: opt, outputs: newScriptOutputs()}
	var err error
	if s.cfg, s.targetDir, err = LocateTargetDir(opt.Dir, opt.Env, opt.ManifestPath); err != nil {
		return nil, err
	}
	if s.user, err = LoadUserConfig(opt.getenv); err != nil {
		return nil, err
	}
	if u := s.user.Build.Unstable; u != nil && !*u && !opt.NoUnstable {
		opt.NoUnstable = true
		opt.setDefaults() // the interface cutoff becomes exact
		s.opt = opt
	}
	TracePhase("config")
	if s.log, err = openLog(ctx, filepath.Join(s.targetDir, "rbuild"), opt.Status); err != nil {
		return nil, err
	}
	TracePhase("log open")
	q, err := s.query()
	TracePhase("query")
	if err != nil {
		s.Close()
		return nil, err
	}
	if td := q.Meta.TargetDirectory; td != "" && td != s.targetDir && opt.UnitGraphFile == "" {
		// Our guess at the workspace root was wrong (e.g. package.workspace):
		// cargo is the authority on where the target dir is.
		s.log.Close()
		s.targetDir = td
		if s.log, err = openLog(ctx, filepath.Join(s.targetDir, "rbuild"), opt.Status); err != nil {
			return nil, err
		}
	}
	if s.plan, err = cargometa.NewPlanWith(q, s.cfg, childEnv(opt.Env), opt.Dir, s.targetDir,
		cargometa.PlanOptions{Jobs: opt.Jobs, VeryVerbose: opt.Verbose >= 2, NoUnstable: opt.NoUnstable}); err != nil {
		s.Close()
		return nil, err
	}
	// Developers only: cargo's shared deps/ instead of views, so that
	// TestHermeticRustcOpens can measure the undeclared files rustc opens.
	s.plan.SharedDeps = opt.getenv("RBUILD_SHARED_DEPS") == "1"
	if opt.Cutoff == "interface" {
		s.plan.EnableInterfaceCutoff()
	}
	s.plan.RemapWorkspace = s.user.Cache.Relocatable
	s.plan.ShortDiagnostics = opt.MessageFormat.Short
	TracePhase("plan")
	if s.graph, err = s.plan.Graph(); err != nil {
		s.Close()
		return nil, fmt.Errorf("build graph: %w", err)
	}
	TracePhase("graph")
	return s, nil
}

// OpenBuildPlan opens a build plan (cargo's legacy --build-plan JSON, as
// `rbuild gen build-plan` writes it) to run its invocations as they are.
// The log lives in the target dir of the workspace rbuild is started in,
// or next to the plan outside one.
func OpenBuildPlan(ctx context.Context, opt Options, planFile string) (*Session, error) {
	if err := opt.setDefaults(); err != nil {
		return nil, err
	}
	f, err := os.Open(planFile)
	if err != nil {
		return nil, fmt.Errorf("build plan: %w", err)
	}
	g, err := cargometa.ReadBuildPlanFrom(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("build plan %s: %w", planFile, err)
	}
	if abs, err := filepath.Abs(planFile); err == nil {
		planFile = abs // the no-op snapshot stats it
	}
	s := &Session{opt: opt, graph: g, planFile: planFile, outputs: newScriptOutputs(), user: &UserConfig{},
		targetDir: planTargetDir(opt, planFile)}
	if s.log, err = openLog(ctx, filepath.Join(s.targetDir, "rbuild"), opt.Status); err != nil {
		return nil, err
	}
	return s, nil
}

// planTargetDir is where a build plan's log lives: the target dir of the
// workspace rbuild is started in, else target/ next to the plan.
func planTargetDir(opt Options, planFile string) string {
	if _, td, err := LocateTargetDir(opt.Dir, opt.Env, opt.ManifestPath); err == nil {
		return td
	}
	if abs, err := filepath.Abs(planFile); err == nil {
		planFile = abs
	}
	return filepath.Join(filepath.Dir(planFile), "target")
}

// Plan is what cargo's units became (nil for a build-plan session).
func (s *Session) Plan() *cargometa.Plan { return s.plan }

// Graph is the whole build graph of the session.
func (s *Session) Graph() *graph.Graph { return s.graph }

// TargetDir is the target dir cargo would use.
func (s *Session) TargetDir() string { return s.targetDir }

// Dir is the directory the session was opened in.
func (s *Session) Dir() string { return s.opt.Dir }

// BuildOutputs reads what the build scripts printed: from the last
// build, or the `output` file an earlier one left.
func (s *Session) BuildOutputs() cargometa.BuildOutputs { return s.outputs.get }

// Close releases the target dir's lock.
func (s *Session) Close() {
	if s.log != nil {
		if err := s.log.Close(); err != nil {
			s.opt.Status.Verb("warning", "closing build log: "+err.Error())
		}
		s.log = nil
	}
}

func openLog(ctx context.Context, dir string, status *executor.Status) (*rlog.Log, error) {
	l, warnings, err := rlog.Open(ctx, dir, func(holder string) {
		status.Verb("Blocking", "waiting for file lock on build directory (held by "+holder+")")
	})
	if err != nil {
		return nil, fmt.Errorf("open build log in %s: %w", dir, err)
	}
	for _, w := range warnings {
		status.Verb("warning", w+" (affected actions will be rebuilt)")
	}
	return l, nil
}

// LocateTargetDir finds the target dir the way cargo does: CARGO_TARGET_DIR,
// build.target-dir, else <workspace root>/target.
func LocateTargetDir(cwd string, env []string, manifestPath string) (*cargometa.Config, string, error) {
	cfg, err := cargometa.LoadConfig(cwd, env)
	if err != nil {
		return nil, "", err
	}
	td, err := cfg.TargetDir(env, cwd)
	if err != nil || td != "" {
		return cfg, td, err
	}
	wsRoot, err := FindWorkspaceRoot(cwd, manifestPath)
	if err != nil {
		return nil, "", err
	}
	return cfg, filepath.Join(wsRoot, "target"), nil
}

// FindWorkspaceRoot mirrors cargo's search: the nearest Cargo.toml, then
// the nearest ancestor manifest with a [workspace] table.
func FindWorkspaceRoot(cwd, manifestPath string) (string, error) {
	dir := cwd
	if manifestPath != "" {
		p := manifestPath
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
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

// Status is where the session reports.
func (s *Session) Status() *executor.Status { return s.opt.Status }
