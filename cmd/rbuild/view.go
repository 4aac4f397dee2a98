package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

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
