package build

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"rbuild/cargometa"
	"rbuild/graph"
	"rbuild/internal/atomicfile"
)

// The layout of target/: rbuild's own outputs under target/rbuild/, the
// files a user expects where cargo puts them (uplifted), and the per-
// compile dependency views.

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
	err = atomicfile.WriteFunc(to, st.Mode().Perm(), func(w io.Writer) error {
		_, err := io.Copy(w, src)
		return err
	})
	if err != nil {
		return fmt.Errorf("uplift: %w", err)
	}
	return nil
}

// makeView fills dir with links to exactly files (cargometa.ViewFiles),
// replacing whatever an earlier run left: a link action must see the
// rlibs as they are now, not as they were when the executable was
// compiled (rustc writes a new file on every compile, so an old hard link
// keeps the old content).
func makeView(dir string, files []string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("dependency view: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dependency view: %w", err)
	}
	for _, f := range files {
		if err := uplift(f, filepath.Join(dir, filepath.Base(f))); err != nil {
			return fmt.Errorf("dependency view: %w", err)
		}
	}
	return nil
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
		os.MkdirAll(u.TmpDir, 0o755)
	}
	return nil
}

// removeLinkTemps deletes the rustcXXXXXX directories `-Z link-only
// -C save-temps` leaves in the executable's own directory, one per link
// (rustc-facts.md §8). Nothing else writes there, so all of them go.
func removeLinkTemps(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "rustc") {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}
