package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Clean cargo builds, the oracle most tests compare rbuild with, are made
// once per test binary for each content of a workspace: the tests that
// compare with a clean cargo build of the same sources (the Debian
// workspace untouched, a fixture as checked in) share one. The build is a
// real clean `cargo build` of a private copy of the tree (target/ left
// out), kept until the test binary exits; which test asks first does not
// change what any test sees.

type cargoBuild struct {
	once    sync.Once
	src     string // the copy cargo built
	target  string // its CARGO_TARGET_DIR
	err     string
	testMu  sync.Mutex
	testErr map[string]*string // `cargo test ARGS` run in it: its failure, "" if it passed
}

var (
	cargoBuildsMu sync.Mutex
	cargoBuilds   = map[string]*cargoBuild{}
)

// cleanCargo returns the profile dir (debug) of a clean `cargo build
// args...` of a tree with dir's contents, target/ aside.
func cleanCargo(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return filepath.Join(cleanCargoBuild(t, dir, args...).target, "debug")
}

func cleanCargoBuild(t testing.TB, dir string, args ...string) *cargoBuild {
	t.Helper()
	sum := treeHash(t, dir)
	key := sum + "\x00" + strings.Join(args, "\x00")
	cargoBuildsMu.Lock()
	b := cargoBuilds[key]
	if b == nil {
		b = &cargoBuild{testErr: map[string]*string{}}
		cargoBuilds[key] = b
	}
	n := len(cargoBuilds)
	cargoBuildsMu.Unlock()
	b.once.Do(func() {
		root := filepath.Join(filepath.Dir(rbuildBin), "cargo", fmt.Sprintf("%d-%s", n, sum[:12]))
		b.src, b.target = filepath.Join(root, "src"), filepath.Join(root, "target")
		if err := copyTree(dir, b.src); err != nil {
			b.err = err.Error()
			return
		}
		cmd := exec.Command("cargo", append([]string{"build"}, args...)...)
		cmd.Dir = b.src
		cmd.Env = append(cleanEnv(), "CARGO_TARGET_DIR="+b.target)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Sprintf("cargo build %v in a copy of %s: %v\n%s", args, dir, err, out)
		}
	})
	if b.err != "" {
		t.Fatal(b.err)
	}
	return b
}

// cleanCargoTest runs `cargo test args...` on the tree cleanCargo built
// for dir, in that build's target dir (its libraries are reused: cargo
// compiles the test targets only, and leaves the built binaries as they
// are), once per test binary, and returns cargo's output if it failed.
func cleanCargoTest(t testing.TB, dir string, args ...string) (failure string) {
	t.Helper()
	b := cleanCargoBuild(t, dir)
	b.testMu.Lock()
	defer b.testMu.Unlock()
	key := strings.Join(args, "\x00")
	if r := b.testErr[key]; r != nil {
		return *r
	}
	cmd := exec.Command("cargo", append([]string{"test"}, args...)...)
	cmd.Dir = b.src
	cmd.Env = append(cleanEnv(), "CARGO_TARGET_DIR="+b.target)
	r := ""
	if out, err := cmd.CombinedOutput(); err != nil {
		r = fmt.Sprintf("%v\n%s", err, out)
	}
	b.testErr[key] = &r
	return r
}

// treeHash hashes the names, kinds, executable bits and contents of
// everything below dir but its top-level target/.
func treeHash(t testing.TB, dir string) string {
	t.Helper()
	h := sha256.New()
	err := walkTree(dir, func(rel string, d fs.DirEntry, path string) error {
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			fmt.Fprintf(h, "d %s\x00", rel)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "l %s\x00%s\x00", rel, link)
		case info.Mode().IsRegular():
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "f %s\x00%o\x00%d\x00", rel, info.Mode().Perm()&0o111, info.Size())
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: not a file, directory or symlink", path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("hash %s: %v", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// walkTree calls fn for everything below dir, in name order, but the
// top-level target/.
func walkTree(dir string, fn func(rel string, d fs.DirEntry, path string) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if d.IsDir() && filepath.Dir(rel) == "." && d.Name() == "target" {
			return filepath.SkipDir
		}
		return fn(filepath.ToSlash(rel), d, p)
	})
}

// copyTree copies what treeHash hashes from src to a new dst.
func copyTree(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return walkTree(src, func(rel string, d fs.DirEntry, path string) error {
		to := filepath.Join(dst, filepath.FromSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		default:
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(to, data, info.Mode().Perm())
		}
	})
}
