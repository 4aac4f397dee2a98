package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"rbuild/build"
)

// Rows 34-35 of rustc-facts.md §2: rustc loads, silently, any copy of a
// dependency in a -L dependency= directory whose crate hash matches what
// the dependent recorded, and an old .rlib beside a new .rmeta. After a
// build with other features has left a second copy of each crate in deps/,
// every compile's view must hold exactly the files the graph declares for
// it, each the very file (same inode) its producer wrote in this build.
func TestViewsHoldOnlyDeclaredArtifacts(t *testing.T) {
	dir := copyWorkspace(t, "features")
	mustRbuild(t, dir, nil, "build", "--features", "gamma,with-extra")
	mustRbuild(t, dir, nil, "build")
	copies, _ := filepath.Glob(filepath.Join(dir, "target", "rbuild", "debug", "deps", "libfeat-*.rlib"))
	if len(copies) < 2 {
		t.Fatalf("deps/ holds %d copies of feat; the test needs an older one beside the current", len(copies))
	}
	o, err := parseArgs([]string{"build", "--manifest-path", filepath.Join(dir, "Cargo.toml")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := build.Open(context.Background(), o.buildOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checked := 0
	for _, u := range s.Plan().Units {
		want := map[string]string{}
		for _, f := range s.Plan().ViewFiles(u) {
			want[filepath.Base(f)] = f
		}
		if u.ViewDir == "" || len(want) == 0 {
			continue
		}
		ents, err := os.ReadDir(u.ViewDir)
		if err != nil {
			t.Fatalf("%s: %v", u.Label, err)
		}
		for _, e := range ents {
			src, ok := want[e.Name()]
			if !ok {
				t.Errorf("%s: view holds undeclared %s", u.Label, e.Name())
				continue
			}
			a, err1 := os.Stat(filepath.Join(u.ViewDir, e.Name()))
			b, err2 := os.Stat(src)
			if err1 != nil || err2 != nil || !os.SameFile(a, b) {
				t.Errorf("%s: view's %s is not the artifact of this build (%v, %v)", u.Label, e.Name(), err1, err2)
			}
		}
		if len(ents) != len(want) {
			t.Errorf("%s: view holds %d files, the graph declares %d", u.Label, len(ents), len(want))
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no compile with dependencies: nothing checked")
	}
}
