package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"rbuild/cache"
	"rbuild/cargometa"
	"rbuild/cutoff"
	"rbuild/executor"
	"rbuild/graph"
	"rbuild/internal/atomicfile"
)

// artifacts connects a build to the per-user artifact cache: which
// compiles may come from it (cargometa.Cacheable), their keys, restoring
// outputs instead of running rustc, and storing what rustc made.
type artifacts struct {
	tiers     *cache.Tiered
	policy    cargometa.CachePolicy
	limits    TrimLimits
	targetDir string
	plan      *cargometa.Plan
	hasher    *cutoff.Hasher
	status    *executor.Status

	toolOnce sync.Once
	toolID   string

	mu         sync.Mutex
	remoteHits int
	stored     int
	replace    map[string]bool // keys whose entry did not match: store over it
	// storeFailed: a store failed and said so; later failures are
	// silent. full: it failed for lack of space; nothing more is stored.
	storeFailed, full bool
}

// cacheMeta is what an entry records beyond its files: what the compile
// read, so that a hit can be checked against this checkout, and its
// dep-info, which the build log is made from.
type cacheMeta struct {
	Unit    string          `json:"unit"`
	Inputs  []cacheInput    `json:"inputs"`
	EnvDeps []cutoff.EnvDep `json:"env_deps,omitempty"`
	DepInfo string          `json:"dep_info"` // the target dir written as $TARGET
	// Diagnostics are rustc's JSON lines of the compile that made the
	// entry: a restored unit shows its warnings as a compiled one would.
	Diagnostics []string `json:"diagnostics,omitempty"`
}

type cacheInput struct {
	Path string      `json:"path"`
	Hash cutoff.Hash `json:"hash"`
}

const targetVar = "$TARGET"

// openArtifacts opens the cache the config asks for; nil when disabled.
func openArtifacts(cfg *UserConfig, noCache bool, targetDir string, plan *cargometa.Plan, hasher *cutoff.Hasher,
	status *executor.Status) (*artifacts, error) {
	if noCache {
		return nil, nil
	}
	c := &cfg.Cache
	if !c.IsEnabled() || c.Directory() == "" {
		return nil, nil
	}
	st, err := cache.Open(c.Directory())
	if errors.Is(err, syscall.ENOSPC) {
		// A full disk costs the cache, not the build.
		status.Verb("warning", fmt.Sprintf("artifact cache: no space left on device in %s: building without it", c.Directory()))
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	limits, _ := c.Limits()
	a := &artifacts{limits: limits, targetDir: targetDir, plan: plan, hasher: hasher, status: status,
		replace: map[string]bool{},
		policy:  cargometa.CachePolicy{BuildScripts: c.BuildScripts, ProcMacros: c.ProcMacros, Deny: c.Deny, Relocatable: c.Relocatable}}
	var remote *cache.Remote
	if c.Remote.URL != "" {
		// The credentials are read only here, when a build uses the
		// remote: a broken credentials file does not stop `rbuild cache`.
		creds, err := c.credentials()
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", cfg.Path, err)
		}
		timeout, _ := c.Remote.timeout()
		opt := cache.RemoteOptions{ReadWrite: c.Remote.ReadWrite(), AllowHTTP: c.Remote.AllowHTTP, Credentials: creds,
			Timeout: timeout, Warn: func(msg string) { status.Verb("warning", msg) }}
		if remote, err = cache.NewRemote(c.Remote.URL, opt); err != nil {
			// LoadUserConfig checked the URL already; checkURL says it
			// with this config's hints if it gets here anyway.
			if uerr := c.Remote.checkURL(); uerr != nil {
				err = uerr
			}
			return nil, fmt.Errorf("config %s: %w", cfg.Path, err)
		}
	}
	a.tiers = cache.NewTiered(st, remote)
	return a, nil
}

// toolchain identifies the compiler and its standard library: `rustc
// -vV`, the sysroot, and the names and sizes of the sysroot's libraries
// (a reinstalled toolchain of one version still differs there).
func (a *artifacts) toolchain() string {
	a.toolOnce.Do(func() {
		r := a.plan.Q.Rustc
		parts := []string{r.VV, r.Sysroot}
		libs, _ := filepath.Glob(filepath.Join(r.Sysroot, "lib", "rustlib", "*", "lib", "*"))
		sort.Strings(libs)
		for _, l := range libs {
			if st, err := os.Stat(l); err == nil {
				parts = append(parts, fmt.Sprintf("%s:%d", filepath.Base(l), st.Size()))
			}
		}
		a.toolID = strings.Join(parts, "\x00")
	})
	return a.toolID
}

// key is the action key of u's compile: everything its outputs depend on
// except the target dir's location, which rustc does not write into them
// (a compile that reads files from the target dir is not stored).
func (a *artifacts) key(u *cargometa.Unit, c *cargometa.Command, deps []cutoff.Stamp) (string, error) {
	td := a.targetDir
	h := sha256.New()
	w := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(strings.ReplaceAll(p, td, targetVar)))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	w("rbuild-artifact-v1", a.toolchain(), u.J.PkgID)
	w(cargometa.KeyArgv(c.Argv)...)
	env := cargometa.KeyEnv(c.Env)
	sort.Strings(env)
	w(env...)
	w(c.Unset...)
	w(c.Dir)
	for _, d := range deps {
		if filepath.Base(d.Path) == "output" {
			// A build script's output names paths in the target dir.
			data, err := os.ReadFile(d.Path)
			if err != nil {
				return "", err
			}
			w(d.Path, string(data))
			continue
		}
		w(d.Path, d.Hash.String())
	}
	// Files the package's own build scripts left in OUT_DIR: a static
	// library they built is bundled into the rlib without rustc reading
	// it as a source.
	for _, r := range u.OwnRuns {
		out := r.OutDirEnv()
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			st, err := a.hasher.Refresh(p)
			if err == nil {
				rel, _ := filepath.Rel(out, p)
				w("out", rel, st.Hash.String())
			}
			return nil
		})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// outputs maps the entry's file names to where u's compile writes them.
func cacheOutputs(u *cargometa.Unit) map[string]string {
	m := map[string]string{}
	for _, f := range u.Main {
		m[filepath.Base(f)] = f
	}
	return m
}

// fetch restores u's outputs from the cache: the local store, else the
// remote tier. nil means build it (a miss, an entry that does not match
// this checkout, or one that failed its checks).
func (w *work) fetch(ctx context.Context, a *graph.Action, key string, env []string) *executor.Result {
	art, u := w.art, unitOf(a)
	start := time.Now()
	e, remote, err := art.tiers.Lookup(ctx, key)
	if err != nil {
		w.setCacheNote(a, art.failure(u, err, "miss: stored after compiling"))
		return nil
	}
	var m cacheMeta
	if err := json.Unmarshal(e.Meta, &m); err != nil {
		art.markReplace(key)
		w.setCacheNote(a, "entry unreadable: compiled and stored again")
		return nil
	}
	if why := w.metaMismatch(&m, env); why != "" {
		art.markReplace(key)
		w.setCacheNote(a, "entry does not match ("+why+"): compiled and stored again")
		return nil
	}
	if err := art.tiers.Store().Materialize(e, cacheOutputs(u)); err != nil {
		w.setCacheNote(a, art.failure(u, err, "restore failed: compiled and stored again"))
		return nil
	}
	depInfo := strings.ReplaceAll(m.DepInfo, targetVar, art.targetDir)
	if err := atomicfile.Write(u.DepInfo, []byte(depInfo), 0o644); err != nil {
		return nil
	}
	if remote {
		art.mu.Lock()
		art.remoteHits++
		art.mu.Unlock()
		w.setCacheNote(a, "restored from the remote cache")
	} else {
		w.setCacheNote(a, "restored from the cache")
	}
	res := &executor.Result{Start: start, End: time.Now()}
	for _, line := range m.Diagnostics {
		if d := executor.ParseRustcLine([]byte(line)); d.Kind == executor.MsgDiagnostic {
			res.Diagnostics = append(res.Diagnostics, d)
			if d.Level == "warning" {
				res.Warnings++
			}
		}
	}
	return res
}

// metaMismatch says why an entry was made from other inputs than this
// checkout has ("" if it was not): the key covers the command and the
// dependencies, the entry's record the sources and environment read.
func (w *work) metaMismatch(m *cacheMeta, env []string) string {
	for _, in := range m.Inputs {
		st, err := w.hasher.Refresh(in.Path)
		if err != nil || st.Size < 0 {
			return in.Path + " is missing"
		}
		if st.Hash != in.Hash {
			return in.Path + " differs"
		}
	}
	for _, d := range m.EnvDeps {
		if v, ok := cargometa.LookupEnv(env, d.Name); ok != d.Set || v != d.Value {
			return "environment variable " + d.Name + " differs"
		}
	}
	return ""
}

// store publishes what u's compile just made, unless it read files in
// the target dir (generated code in OUT_DIR: its path would be baked into
// the artifact and differ per target dir).
func (w *work) storeArtifacts(a *graph.Action, key string, rec *cutoff.Record, diags []executor.RustcMsg) {
	art, u := w.art, unitOf(a)
	td := art.targetDir + string(filepath.Separator)
	m := cacheMeta{Unit: actionLabel(a), EnvDeps: rec.EnvDeps}
	for _, d := range diags {
		m.Diagnostics = append(m.Diagnostics, strings.TrimRight(d.Raw, "\r\n"))
	}
	for _, in := range rec.Inputs {
		if strings.HasPrefix(in.Path, td) {
			w.setCacheNote(a, "not stored: it reads "+in.Path+" in the target dir")
			return
		}
		m.Inputs = append(m.Inputs, cacheInput{Path: in.Path, Hash: in.Hash})
	}
	for _, d := range rec.EnvDeps {
		if strings.Contains(d.Value, art.targetDir) {
			w.setCacheNote(a, "not stored: it reads "+d.Name+", a path in the target dir")
			return
		}
	}
	di, err := os.ReadFile(u.DepInfo)
	if err != nil {
		return
	}
	m.DepInfo = strings.ReplaceAll(string(di), art.targetDir, targetVar)
	meta, err := json.Marshal(&m)
	if err != nil {
		return
	}
	art.mu.Lock()
	replace, full := art.replace[key], art.full
	art.mu.Unlock()
	if full {
		w.setCacheNote(a, "not stored: the cache's disk is full")
		return
	}
	_, err = art.tiers.Publish(key, cacheOutputs(u), meta, replace)
	if err != nil {
		art.publishFailed(u, err)
		w.setCacheNote(a, "not stored: "+err.Error())
		return
	}
	art.mu.Lock()
	art.stored++
	art.mu.Unlock()
}

// publishFailed warns about a store that failed, once per build: what
// fails one store (a full disk, a read-only directory) fails the next
// the same way. A build does not fail for it, and after a full disk it
// stores nothing more: copies that cannot be kept would take space the
// build may need if the target dir shares that disk.
func (art *artifacts) publishFailed(u *cargometa.Unit, err error) {
	noSpace := errors.Is(err, syscall.ENOSPC)
	art.mu.Lock()
	first := !art.storeFailed
	art.storeFailed = true
	art.full = art.full || noSpace
	art.mu.Unlock()
	if !first {
		return
	}
	msg := "artifact cache: " + strings.TrimPrefix(err.Error(), "artifact cache: ")
	if noSpace {
		msg = fmt.Sprintf("artifact cache: no space left on device in %s: not storing %s or anything else this build compiles", art.tiers.Store().Dir(), u.Label)
	} else {
		msg += " (further failures to store are not shown)"
	}
	art.status.Verb("warning", msg)
}

func (art *artifacts) markReplace(key string) {
	art.mu.Lock()
	art.replace[key] = true
	art.mu.Unlock()
}

// failure is the explain note for a lookup or restore that failed; a
// corrupt entry (already dropped by the store) is also reported.
func (art *artifacts) failure(u *cargometa.Unit, err error, otherwise string) string {
	if !errors.Is(err, cache.ErrCorrupt) {
		return otherwise
	}
	art.status.Verb("warning", fmt.Sprintf("artifact cache: dropped the entry for %s (%v); compiling it", u.Label, err))
	return "corrupt entry dropped: compiled and stored again"
}

// finish waits for uploads and trims the cache if it grew past its mark.
func (art *artifacts) finish(ctx context.Context) {
	art.tiers.Wait()
	if art.stored > 0 {
		art.tiers.Store().Trim(ctx, art.limits.High, art.limits.Low)
	}
}

func (art *artifacts) remoteHitCount() int {
	art.mu.Lock()
	defer art.mu.Unlock()
	return art.remoteHits
}

// offerCache lets the artifact cache make a's outputs if a may come from
// it, and says in the explanation why not otherwise.
func (w *work) offerCache(a *graph.Action, c *cargometa.Command, deps []cutoff.Stamp, cmd *executor.Cmd) {
	ok, why := w.plan.Cacheable(unitOf(a), w.art.policy)
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
