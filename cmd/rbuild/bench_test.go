package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Benchmarks on the Debian-crates workspace, rbuild and cargo side by side
// in one run (compare the ratio, not absolute times: machines are noisy).
// `make bench` runs them.

func benchCargo(b *testing.B, dir, targetDir string, args ...string) {
	b.Helper()
	cmd := exec.Command("cargo", args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "CARGO_TARGET_DIR="+targetDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("cargo %v: %v\n%s", args, err, out)
	}
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
					os.RemoveAll(filepath.Join(cacheDir, "durations.json"))
				}
				start := time.Now()
				mustRbuild(b, dir, env, "build")
				mid := time.Now()
				benchCargo(b, dir, cargoTarget, "build")
				rb += mid.Sub(start)
				cg += time.Since(mid)
			}
			b.ReportMetric(rb.Seconds()/float64(b.N), "rbuild-s/op")
			b.ReportMetric(cg.Seconds()/float64(b.N), "cargo-s/op")
			b.ReportMetric(rb.Seconds()/cg.Seconds(), "rbuild/cargo")
		})
	}
}
