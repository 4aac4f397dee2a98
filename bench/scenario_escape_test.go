package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A scenario file names the file its edit changes; one that leads out of
// the workspace (through "..", or a symlink inside it pointing out) is
// refused when the file is read, before any build or edit.
func TestReadScenariosRefusesEscape(t *testing.T) {
	top := t.TempDir()
	root := filepath.Join(top, "ws")
	os.MkdirAll(filepath.Join(root, "src"), 0o755)
	os.WriteFile(filepath.Join(root, "src", "lib.rs"), []byte("fn helper() {}\n"), 0o644)
	outside := filepath.Join(top, "outside.rs")
	const content = "fn helper() {}\n"
	os.WriteFile(outside, []byte(content), 0o644)
	if err := os.Symlink(outside, filepath.Join(root, "src", "link.rs")); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"../outside.rs", "src/../../outside.rs", "src/link.rs"} {
		t.Run(file, func(t *testing.T) {
			f := filepath.Join(root, "bench.toml")
			os.WriteFile(f, []byte("[[scenario]]\nname = \"a\"\nfile = \""+file+"\"\nappend_comment = true\n"), 0o644)
			_, err := readScenarios(f, root)
			if err == nil || !strings.Contains(err.Error(), "outside the workspace") {
				t.Fatalf("got %v, want an error saying the file is outside the workspace", err)
			}
			if data, _ := os.ReadFile(outside); string(data) != content {
				t.Errorf("the file outside the workspace was changed: %q", data)
			}
		})
	}
}
