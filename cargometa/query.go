package cargometa

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"rbuild/cutoff"

	"golang.org/x/sync/errgroup"
)

// Request says what the user asked cargo-style: the cargo subcommand whose
// unit graph we want, and the flags cargo must see.
type Request struct {
	Command       string   // build, check, test, run
	Args          []string // selection, profile, feature and lockfile flags, passed through
	FeatureArgs   []string // the subset of Args that `cargo metadata` must see too (P10)
	Cwd           string
	Env           []string
	UnitGraphFile string // debugging input instead of asking cargo
	// ReadFrom is when the caller began reading what the query depends
	// on (its config files, say); zero means when RunQuery starts.
	ReadFrom time.Time
	// SeenBefore holds what paths named before cargo ran (the presence
	// stamps of a cached answer gone stale): one still the same after
	// it answered was there when cargo looked (cutoff.MarkRacyPresence).
	SeenBefore map[string]cutoff.EntryID
}

// Query is everything cargo and rustc told us, cached between runs so that a
// no-op build starts neither.
type Query struct {
	Graph     *UnitGraph
	Meta      *Metadata
	Rustc     *RustcInfo
	Manifests map[string]*ManifestFacts // by package id
	Workspace *WorkspaceFacts
	// TargetRequested: the build names its platforms (--target,
	// build.target or CARGO_BUILD_TARGET). Host units (build scripts,
	// proc macros and their dependencies) then get no rustflags, and
	// Rustc's cfgs were probed without any (cargo-units.md §12.1).
	TargetRequested bool
	// Targets is the target-info probe of each --target platform of the
	// unit graph, with --target and that platform's rustflags.
	Targets map[string]*TargetInfo
	Stamps  []cutoff.Stamp // files whose change invalidates the query
	EnvKey  string
	// Args are the request's cargo flags: which check units are tests
	// follows from them where the unit graph does not say (checkTests).
	Args []string
}

// RunQuery asks cargo for the unit graph and metadata, probes rustc and
// reads the manifests.
func RunQuery(req *Request, cfg *Config) (*Query, error) {
	q := &Query{Args: req.Args}
	started := req.ReadFrom
	if started.IsZero() {
		started = time.Now()
	}
	cargo := CargoPath(req.Env)
	var ugData, metaData []byte
	var g errgroup.Group
	g.Go(func() error {
		if req.UnitGraphFile != "" {
			data, err := os.ReadFile(req.UnitGraphFile)
			if err != nil {
				return fmt.Errorf("read unit graph: %w", err)
			}
			ugData = data
			return nil
		}
		args := append([]string{req.Command, "-Z", "unstable-options", "--unit-graph"}, req.Args...)
		env := append(WithoutVar(WithoutVar(req.Env, "RUSTC_BOOTSTRAP"), "CARGO_CACHE_RUSTC_INFO"),
			"RUSTC_BOOTSTRAP=1", "CARGO_CACHE_RUSTC_INFO=0")
		out, err := runCargo(cargo, args, req.Cwd, env)
		if err != nil {
			return fmt.Errorf("query unit graph: %w", err)
		}
		ugData = out
		return nil
	})
	g.Go(func() error {
		args := append([]string{"metadata", "--format-version", "1"}, req.FeatureArgs...)
		out, err := runCargo(cargo, args, req.Cwd, WithoutVar(req.Env, "RUSTC_BOOTSTRAP"))
		if err != nil {
			return fmt.Errorf("query cargo metadata: %w", err)
		}
		metaData = out
		return nil
	})
	var rustcPath string
	g.Go(func() error {
		configRustc, _, err := cfg.String("build", "rustc")
		if err != nil {
			return err
		}
		rustcPath, err = ResolveRustc(req.Env, configRustc) // RUSTC still wins inside
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var err error
	if q.Graph, err = ParseUnitGraph(ugData); err != nil {
		if req.UnitGraphFile != "" {
			return nil, fmt.Errorf("%s: %w", req.UnitGraphFile, err)
		}
		return nil, err
	}
	if q.Meta, err = ParseMetadata(metaData); err != nil {
		return nil, err
	}
	if q.TargetRequested, err = targetRequested(req, cfg, q.Graph); err != nil {
		return nil, err
	}
	if q.Rustc, err = probeWithFlags(rustcPath, cfg, req.Env, !q.TargetRequested); err != nil {
		return nil, err
	}
	if q.Targets, err = probeTargets(rustcPath, cfg, req.Env, q.Graph); err != nil {
		return nil, err
	}
	if err := q.readManifests(); err != nil {
		return nil, err
	}
	q.Stamps, err = q.collectStamps(cfg, req)
	if err != nil {
		return nil, err
	}
	// Stamped after cargo answered: a file saved while it ran may hold
	// what cargo never read. Such stamps ask cargo again next time.
	for i := range q.Stamps {
		q.Stamps[i].MarkRacyPresence(started, req.SeenBefore)
	}
	q.EnvKey = EnvKey(req)
	return q, nil
}

// probeWithFlags probes the host kind, with its rustflags when it has
// any (hostFlags: no --target was given), twice when
// target.'cfg(..)'.rustflags depend on the cfgs the first probe reports,
// as cargo does.
func probeWithFlags(rustc string, cfg *Config, env []string, hostFlags bool) (*RustcInfo, error) {
	info, err := ProbeRustc(rustc, nil, env)
	if err != nil || !hostFlags {
		return info, err
	}
	flags, err := cfg.Rustflags(env, info.Host, ParseCfgList(info.CfgText))
	if err != nil || len(flags) == 0 {
		return info, err
	}
	info, err = ProbeRustc(rustc, flags, env)
	if err != nil {
		return nil, err
	}
	info.Rustflags = flags
	return info, nil
}

// probeTargets probes each --target platform of the graph like the host:
// its rustflags come from the first probe's cfgs, and the cfgs and
// split-debuginfo values from a second probe with them.
func probeTargets(rustc string, cfg *Config, env []string, g *UnitGraph) (map[string]*TargetInfo, error) {
	plats := map[string]bool{}
	for _, u := range g.Units {
		if u.Platform != nil {
			plats[*u.Platform] = true
		}
	}
	if len(plats) == 0 {
		return nil, nil
	}
	out := map[string]*TargetInfo{}
	for plat := range plats {
		ti, err := ProbeTarget(rustc, plat, nil, env)
		if err != nil {
			return nil, err
		}
		flags, err := cfg.Rustflags(env, ShortTargetName(plat), ParseCfgList(ti.CfgText))
		if err != nil {
			return nil, fmt.Errorf("--target %s: %w", plat, err)
		}
		if len(flags) > 0 {
			if ti, err = ProbeTarget(rustc, plat, flags, env); err != nil {
				return nil, err
			}
		}
		out[plat] = ti
	}
	return out, nil
}

// targetRequested tells whether the build was given its platforms, as
// cargo's requested kinds: a unit of the graph has a platform, or
// --target, `--config build.target=…`, CARGO_BUILD_TARGET or
// build.target says so (a graph of host units only, such as a lone proc
// macro, shows no platform).
func targetRequested(req *Request, cfg *Config, g *UnitGraph) (bool, error) {
	for _, u := range g.Units {
		if u.Platform != nil {
			return true, nil
		}
	}
	for i, a := range req.Args {
		if a == "--target" || strings.HasPrefix(a, "--target=") {
			return true, nil
		}
		if a == "--config" && i+1 < len(req.Args) && strings.HasPrefix(strings.TrimSpace(req.Args[i+1]), "build.target") {
			return true, nil
		}
	}
	if v := lookup(req.Env, "CARGO_BUILD_TARGET"); v != "" {
		return true, nil
	}
	list, found, err := cfg.StringList("build", "target")
	if err != nil {
		return false, err
	}
	return found && len(list) > 0, nil
}

// ShortTargetName is cargo's short name of a platform: the triple, or a
// JSON target spec's file stem. It names the platform's directories and
// its [target.<name>] config, and is the build scripts' TARGET.
func ShortTargetName(plat string) string {
	if strings.HasSuffix(plat, ".json") {
		return strings.TrimSuffix(filepath.Base(plat), ".json")
	}
	return plat
}

// CargoPath is the cargo rbuild asks: RBUILD_CARGO (set by the command
// line when CARGO, or cargo on PATH, is rbuild itself, so that asking
// cargo cannot come back to rbuild), else CARGO, else cargo on PATH.
func CargoPath(env []string) string {
	for _, name := range []string{"RBUILD_CARGO", "CARGO"} {
		if c := lookup(env, name); c != "" {
			return c
		}
	}
	return "cargo"
}

// CargoError is a cargo command that failed. Error gives its error lines
// in short; Stderr is everything cargo printed, as it printed it, for the
// user.
type CargoError struct {
	Args   []string
	Stderr []byte
	Code   int // cargo's exit status
	short  string
}

func (e *CargoError) Error() string {
	return fmt.Sprintf("cargo %s failed: %s", e.Args[0], e.short)
}

func runCargo(cargo string, args []string, cwd string, env []string) ([]byte, error) {
	cmd := exec.Command(cargo, args...)
	cmd.Dir = cwd
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("cannot run cargo: %w (install Rust, or set CARGO)", err)
		}
		msg := strings.TrimSpace(stderr.String())
		// cargo's own message is the useful part: keep its error lines.
		var keep []string
		for _, l := range strings.Split(msg, "\n") {
			if strings.HasPrefix(l, "error") || strings.HasPrefix(l, "  ") || strings.HasPrefix(l, "Caused by") {
				keep = append(keep, l)
			}
		}
		if len(keep) == 0 && msg != "" {
			keep = []string{msg}
		}
		if len(keep) > 8 {
			keep = keep[:8]
		}
		code := 0
		var xe *exec.ExitError
		if errors.As(err, &xe) {
			code = xe.ExitCode()
		}
		return nil, &CargoError{Args: args, Stderr: stderr.Bytes(), Code: code, short: strings.Join(keep, "\n")}
	}
	return out, nil
}

func (q *Query) readManifests() error {
	ws, err := ReadWorkspaceFacts(q.Meta.WorkspaceRoot)
	if err != nil {
		return err
	}
	q.Workspace = ws
	q.Manifests = map[string]*ManifestFacts{}
	used := map[string]bool{}
	for _, u := range q.Graph.Units {
		used[u.PkgID] = true
	}
	var g errgroup.Group
	g.SetLimit(8)
	facts := make([]*ManifestFacts, len(q.Meta.Packages))
	for i, p := range q.Meta.Packages {
		if !used[p.ID] {
			continue
		}
		g.Go(func() error {
			f, err := ReadManifestFacts(p.ManifestPath, p.Name, ws.Lints)
			facts[i] = f
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, p := range q.Meta.Packages {
		if facts[i] != nil {
			q.Manifests[p.ID] = facts[i]
		}
	}
	return nil
}

// envKeyVars are inherited variables that change what cargo resolves or
// which rustc runs; the query is redone when any of them changes.
var envKeyPrefixes = []string{"CARGO_", "RUSTC", "RUSTFLAGS", "RUSTUP_TOOLCHAIN", "RUSTUP_HOME", "RUSTDOC", "PATH="}

// EnvKey is the part of the environment and request the query depends on.
func EnvKey(req *Request) string {
	var parts []string
	for _, kv := range req.Env {
		for _, p := range envKeyPrefixes {
			if strings.HasPrefix(kv, p) && !strings.HasPrefix(kv, "CARGO_MAKEFLAGS=") {
				parts = append(parts, kv)
				break
			}
		}
	}
	sort.Strings(parts)
	parts = append(parts, "cwd="+req.Cwd, "cmd="+req.Command, "ugfile="+req.UnitGraphFile)
	parts = append(parts, req.Args...)
	return strings.Join(parts, "\x00")
}

// toolchainFiles are what decides which toolchain a rustup proxy runs, and
// that toolchain's compiler: rust-toolchain(.toml) in the directory cargo
// runs in and every one above it (rustup looks upward from there), rustup's
// settings (`rustup default`, `rustup override`), and the rustc binary the
// proxy resolved to (`rustup update` replaces it). RUSTUP_TOOLCHAIN is part
// of EnvKey.
func toolchainFiles(req *Request, sysroot string) []string {
	var files []string
	for d := req.Cwd; d != ""; {
		files = append(files, filepath.Join(d, "rust-toolchain"), filepath.Join(d, "rust-toolchain.toml"))
		up := filepath.Dir(d)
		if up == d {
			break
		}
		d = up
	}
	home := lookup(req.Env, "RUSTUP_HOME")
	if home == "" {
		if h := lookup(req.Env, "HOME"); h != "" {
			home = filepath.Join(h, ".rustup")
		}
	}
	if home != "" {
		files = append(files, filepath.Join(home, "settings.toml"))
	}
	if sysroot != "" {
		files = append(files, filepath.Join(sysroot, "bin", "rustc"))
	}
	return files
}

// Encode serializes the query for the cache.
func (q *Query) Encode() ([]byte, error) { return json.Marshal(q) }

func DecodeQuery(data []byte) (*Query, error) {
	var q Query
	if err := json.Unmarshal(data, &q); err != nil {
		return nil, err
	}
	if q.Graph == nil || q.Meta == nil || q.Rustc == nil {
		return nil, fmt.Errorf("incomplete cached query")
	}
	// A cache file is outside data too: the plan indexes by what the graph
	// says (FuzzDecodeQuery found a root past the units).
	if err := q.Graph.check(); err != nil {
		return nil, fmt.Errorf("cached query: %w", err)
	}
	if err := q.Meta.check(); err != nil {
		return nil, fmt.Errorf("cached query: %w", err)
	}
	for _, u := range q.Graph.Units {
		if u.Platform != nil && q.Targets[*u.Platform] == nil {
			return nil, fmt.Errorf("cached query lacks the probe of --target %s", *u.Platform)
		}
	}
	return &q, nil
}
