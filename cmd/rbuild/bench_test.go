package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Benchmarks on the Debian-crates workspace, rbuild and cargo side by side
// in one run (compare the ratio, not absolute times: machines are noisy).
// `make bench` runs them.

func benchCargo(b *testing.B, dir, targetDir string, args ...string) {
	b.Helper()
	benchCargoOut(b, dir, targetDir, nil, args...)
}

func BenchmarkDebianNoop(b *testing.B) {
	dir := debianWorkspace(b)
	cargoTarget := filepath.Join(b.TempDir(), "ct")
	mustRbuild(b, dir, nil, "build")
	mustRbuild(b, dir, nil, "build") // leaves the no-op snapshot
	benchCargo(b, dir, cargoTarget, "build")
	b.Run("rbuild", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			mustRbuild(b, dir, nil, "build")
		}
	})
	b.Run("rbuild-full-check", func(b *testing.B) {
		// The no-op without the snapshot: every action's verdict computed.
		for i := 0; i < b.N; i++ {
			os.RemoveAll(filepath.Join(dir, "target", "rbuild", "noop"))
			mustRbuild(b, dir, nil, "build")
		}
	})
	b.Run("cargo", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			benchCargo(b, dir, cargoTarget, "build")
		}
	})
}

// BenchmarkDebianClean alternates a clean rbuild build and a clean cargo
// build in every iteration, so that drift in the machine's speed (other
// load, thermal state, page cache) hits both sides alike. It reports each
// side's seconds per build and their ratio: with rbuild's per-user
// duration history (what a user has after any earlier build of these
// crates) and without it (the first build ever).
func BenchmarkDebianClean(b *testing.B) {
	dir := debianWorkspace(b)
	for _, history := range []bool{true, false} {
		name := "history"
		if !history {
			name = "no-history"
		}
		b.Run(name, func(b *testing.B) {
			cacheDir := b.TempDir()
			env := []string{"RBUILD_CACHE_DIR=" + cacheDir}
			cargoTarget := filepath.Join(b.TempDir(), "ct")
			if history {
				os.RemoveAll(filepath.Join(dir, "target"))
				mustRbuild(b, dir, env, "build")
			}
			var rb, cg time.Duration
			for i := 0; i < b.N; i++ {
				os.RemoveAll(filepath.Join(dir, "target"))
				os.RemoveAll(cargoTarget)
				if !history {
					os.RemoveAll(filepath.Join(cacheDir, "durations"))
				}
				inTurn(i, func() {
					timed(&rb, func() { mustRbuild(b, dir, env, "build") })
				}, func() {
					timed(&cg, func() { benchCargo(b, dir, cargoTarget, "build") })
				})
			}
			reportPair(b, rb, cg)
		})
	}
}

// benchEdit is the private fn-body edit of BenchmarkDebianCutoff: memchr's
// `sub` (memchr/fallback.rs) is private, not generic, not inline, and
// memchr has more transitive dependents in the workspace than any other
// path member (aho-corasick, regex, bstr, the grep crates, globset,
// ignore, wscommon and the binaries).
var benchEdit = edit{"crates/memchr/src/memchr/fallback.rs", "    debug_assert!(a >= b);\n", "    debug_assert!(a >= b, \"a before b\");\n"}

// BenchmarkDebianCutoff measures "relink, don't rebuild": the private
// fn-body edit above (applied and reverted in turn, so every build has a
// real change), rebuilt by rbuild and by cargo, in dev (incremental),
// dev with CARGO_INCREMENTAL=0 and release. It reports seconds and units
// compiled per rebuild for each tool, and their time ratio.
func BenchmarkDebianCutoff(b *testing.B) {
	variants := []struct {
		name string
		env  []string
		args []string
	}{
		{"dev", nil, nil},
		{"dev-noincr", []string{"CARGO_INCREMENTAL=0"}, nil},
		{"release", nil, []string{"--release"}},
	}
	for _, v := range variants {
		// The testing package calls a sub-benchmark twice (b.N = 1, then
		// the requested count): the workspaces and their warm builds come
		// from the parent, once.
		dir := debianWorkspace(b)
		cargoTarget := filepath.Join(b.TempDir(), "ct")
		args := append([]string{"build"}, v.args...)
		warm := false
		b.Run(v.name, func(b *testing.B) {
			if !warm {
				mustRbuild(b, dir, v.env, args...)
				benchCargoOut(b, dir, cargoTarget, v.env, args...)
				warm = true
			}
			var rb, cg time.Duration
			var rbUnits, cgUnits, cut int
			for i := 0; i < b.N; i++ {
				e := benchEdit
				if data, _ := os.ReadFile(filepath.Join(dir, e.file)); !strings.Contains(string(data), e.old) {
					e.old, e.new = e.new, e.old
				}
				applyEdit(b, dir, e)
				inTurn(i, func() {
					var r result
					timed(&rb, func() { r = mustRbuild(b, dir, v.env, args...) })
					n := summaryCounts(r.stderr)
					rbUnits += n[0]
					cut += n[1]
				}, func() {
					var out string
					timed(&cg, func() { out = benchCargoOut(b, dir, cargoTarget, v.env, args...) })
					cgUnits += strings.Count(out, "Compiling ")
				})
			}
			reportPair(b, rb, cg)
			n := float64(b.N)
			b.ReportMetric(float64(rbUnits)/n, "rbuild-units/op")
			b.ReportMetric(float64(cut)/n, "cutoff/op")
			b.ReportMetric(float64(cgUnits)/n, "cargo-units/op")
		})
	}
}

func benchCargoOut(b *testing.B, dir, targetDir string, env []string, args ...string) string {
	b.Helper()
	cmd := exec.Command("cargo", args...)
	cmd.Dir = dir
	cmd.Env = append(append(cleanEnv(), "CARGO_TARGET_DIR="+targetDir), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("cargo %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// BenchmarkDebianReleaseInlining prices -Z cross-crate-inline-threshold=never,
// which the interface cutoff adds to optimised non-incremental library
// compiles (rustc-facts.md rows 2-3): clean release builds with
// --cutoff=interface (flag on) and --cutoff=exact (flag off), alternating.
func BenchmarkDebianReleaseInlining(b *testing.B) {
	dir := debianWorkspace(b)
	var with, without time.Duration
	cleanBuild := func(mode string) {
		os.RemoveAll(filepath.Join(dir, "target"))
		mustRbuild(b, dir, nil, "build", "--release", "--cutoff="+mode)
	}
	for i := 0; i < b.N; i++ {
		inTurn(i, func() {
			timed(&with, func() { cleanBuild("interface") })
		}, func() {
			timed(&without, func() { cleanBuild("exact") })
		})
	}
	b.ReportMetric(with.Seconds()/float64(b.N), "never-s/op")
	b.ReportMetric(without.Seconds()/float64(b.N), "default-s/op")
	b.ReportMetric(with.Seconds()/without.Seconds(), "never/default")
}

// inTurn runs first and second in iteration i, swapping their order every
// other iteration: the second one finds the page cache warmed by the first.
func inTurn(i int, first, second func()) {
	if i%2 == 1 {
		first, second = second, first
	}
	first()
	second()
}

// timed adds f's wall time to total.
func timed(total *time.Duration, f func()) {
	start := time.Now()
	f()
	*total += time.Since(start)
}

// reportPair reports each tool's seconds per build and their ratio.
func reportPair(b *testing.B, rbuild, cargo time.Duration) {
	b.ReportMetric(rbuild.Seconds()/float64(b.N), "rbuild-s/op")
	b.ReportMetric(cargo.Seconds()/float64(b.N), "cargo-s/op")
	b.ReportMetric(rbuild.Seconds()/cargo.Seconds(), "rbuild/cargo")
}

// BenchmarkDebianSharedCache measures the per-user artifact cache on the
// Debian-crates workspace: per iteration, a clean build without the cache,
// a clean build of a first checkout filling an empty cache, and a clean
// build of a second checkout (another path) from it. It reports the
// second checkout's time over the first's (the target: ≤ 0.3×)
// and the filling build's over the uncached one (what storing costs).
// "default" is the default config; "all" also admits build scripts and
// proc macros and builds path packages relocatable.
func BenchmarkDebianSharedCache(b *testing.B) {
	for _, cfg := range []struct{ name, toml string }{
		{"default", ""},
		{"all", "[cache]\nbuild-scripts = true\nproc-macros = true\nrelocatable = true\n"},
	} {
		b.Run(cfg.name, func(b *testing.B) {
			conf := filepath.Join(b.TempDir(), "config.toml")
			if err := os.WriteFile(conf, []byte(cfg.toml), 0o644); err != nil {
				b.Fatal(err)
			}
			var plain, fill, warm time.Duration
			for i := 0; i < b.N; i++ {
				first, second := debianWorkspace(b), debianWorkspace(b)
				env := cacheEnv(b.TempDir(), "RBUILD_CONFIG="+conf)
				timed(&plain, func() { mustRbuild(b, first, env, "build", "--no-cache") })
				os.RemoveAll(filepath.Join(first, "target"))
				timed(&fill, func() { mustRbuild(b, first, env, "build") })
				timed(&warm, func() { mustRbuild(b, second, env, "build") })
			}
			n := float64(b.N)
			b.ReportMetric(plain.Seconds()/n, "nocache-s/op")
			b.ReportMetric(fill.Seconds()/n, "fill-s/op")
			b.ReportMetric(warm.Seconds()/n, "warm-s/op")
			b.ReportMetric(warm.Seconds()/fill.Seconds(), "warm/first")
			b.ReportMetric(fill.Seconds()/plain.Seconds(), "fill/nocache")
		})
	}
}
