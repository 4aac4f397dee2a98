package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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

func BenchmarkDebianClean(b *testing.B) {
	dir := debianWorkspace(b)
	cargoTarget := filepath.Join(b.TempDir(), "ct")
	b.Run("rbuild", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			os.RemoveAll(filepath.Join(dir, "target"))
			mustRbuild(b, dir, nil, "build")
		}
	})
	b.Run("cargo", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			os.RemoveAll(cargoTarget)
			benchCargo(b, dir, cargoTarget, "build")
		}
	})
}
