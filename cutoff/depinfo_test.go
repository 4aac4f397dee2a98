package cutoff

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const genOutDir = "/tmp/rbuild-depinfo/target/debug/build/depcrate-1f9c846903850b6d/out"

// Expectations for the real rustc output in testdata (see testdata/gen.sh).
var (
	depcrateFiles = []string{
		"src/lib.rs",
		"src/sub/mod.rs",
		"src/sub/inner.rs",
		"src/sub/../data file.txt",
		"src/data file.txt",
	}
	depcrateEnv = []EnvDep{
		{Name: "CARGO_PKG_NAME", Value: "depcrate", Set: true},
		{Name: "OUT_DIR", Value: genOutDir, Set: true},
		{Name: "RBUILD_MULTILINE", Value: "line1\nline2\\x\r", Set: true},
		{Name: "UNSET_VAR_X"},
	}
)

func TestReadDepInfoRustc(t *testing.T) {
	t.Run("relative sources", func(t *testing.T) {
		d, err := ReadDepInfo("testdata/depcrate.d")
		if err != nil {
			t.Fatal(err)
		}
		wantFiles := append(append([]string{}, depcrateFiles...), genOutDir+"/gen.txt")
		check(t, d, wantFiles, depcrateEnv)
	})
	t.Run("absolute sources, out dir with a space", func(t *testing.T) {
		d, err := ReadDepInfo("testdata/depcrate-abs.d")
		if err != nil {
			t.Fatal(err)
		}
		var wantFiles []string
		for _, f := range depcrateFiles {
			wantFiles = append(wantFiles, "/work/main/cutoff/testdata/depcrate/"+f)
		}
		wantFiles = append(wantFiles, genOutDir+"/gen.txt")
		env := append([]EnvDep{}, depcrateEnv...)
		env[2] = EnvDep{Name: "RBUILD_MULTILINE"}
		check(t, d, wantFiles, env)
	})
	t.Run("200 modules", func(t *testing.T) {
		d, err := ReadDepInfo("testdata/big200.d")
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Files) != 211 || len(d.EnvDeps) != 0 {
			t.Fatalf("got %d files, %d env deps; want 211, 0", len(d.Files), len(d.EnvDeps))
		}
		if d.Files[0] != "src/lib.rs" || d.Files[1] != "src/group_0/mod.rs" || d.Files[2] != "src/group_0/module_0.rs" ||
			d.Files[210] != "src/group_9/module_199.rs" {
			t.Errorf("unexpected files %q … %q", d.Files[:3], d.Files[210])
		}
		seen := map[string]bool{}
		for _, f := range d.Files {
			if seen[f] {
				t.Errorf("duplicate %q", f)
			}
			seen[f] = true
		}
	})
}

func check(t *testing.T, d *DepInfo, files []string, env []EnvDep) {
	t.Helper()
	if !reflect.DeepEqual(d.Files, files) {
		t.Errorf("Files =\n%q\nwant\n%q", d.Files, files)
	}
	if !reflect.DeepEqual(d.EnvDeps, env) {
		t.Errorf("EnvDeps =\n%#v\nwant\n%#v", d.EnvDeps, env)
	}
}

// TestParseDepInfoLiveRustc compiles testdata/depcrate with the rustc on PATH
// and checks the parse of what this rustc writes today.
func TestParseDepInfoLiveRustc(t *testing.T) {
	if testing.Short() {
		t.Skip("runs rustc")
	}
	rustc, err := exec.LookPath("rustc")
	if err != nil {
		t.Skip("rustc not on PATH")
	}
	tmp := t.TempDir()
	outDir := filepath.Join(tmp, "build out")
	depsDir := filepath.Join(tmp, "deps")
	for _, dir := range []string{outDir, depsDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outDir, "gen.txt"), []byte("generated\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(rustc, "--edition=2021", "--crate-name", "depcrate", "--crate-type", "lib",
		"--emit=dep-info,metadata", "-C", "extra-filename=-live", "--out-dir", depsDir, "src/lib.rs")
	cmd.Dir = "testdata/depcrate"
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "UNSET_VAR_X=") && !strings.HasPrefix(kv, "RBUILD_MULTILINE=") &&
			!strings.HasPrefix(kv, "OUT_DIR=") && !strings.HasPrefix(kv, "CARGO_PKG_NAME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "CARGO_PKG_NAME=depcrate", "OUT_DIR="+outDir, "RBUILD_MULTILINE=a\\b\r\nc")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rustc: %v\n%s", err, out)
	}
	d, err := ReadDepInfo(filepath.Join(depsDir, "depcrate-live.d"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, d, append(append([]string{}, depcrateFiles...), outDir+"/gen.txt"), []EnvDep{
		{Name: "CARGO_PKG_NAME", Value: "depcrate", Set: true},
		{Name: "OUT_DIR", Value: outDir, Set: true},
		{Name: "RBUILD_MULTILINE", Value: "a\\b\r\nc", Set: true},
		{Name: "UNSET_VAR_X"},
	})
}

func TestParseDepInfo(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		files []string
		env   []EnvDep
	}{
		{
			name: "spec example (reader, §10.1)",
			data: "/ws/exp/target/debug/deps/reader-07891aa1051b610d.d: reader/src/lib.rs /ws/exp/target/debug/build/reader-1f9c846903850b6d/out/gen.rs\n" +
				"\n" +
				"/ws/exp/target/debug/deps/libreader-07891aa1051b610d.rlib: reader/src/lib.rs /ws/exp/target/debug/build/reader-1f9c846903850b6d/out/gen.rs\n" +
				"\n" +
				"/ws/exp/target/debug/deps/libreader-07891aa1051b610d.rmeta: reader/src/lib.rs /ws/exp/target/debug/build/reader-1f9c846903850b6d/out/gen.rs\n" +
				"\n" +
				"reader/src/lib.rs:\n" +
				"/ws/exp/target/debug/build/reader-1f9c846903850b6d/out/gen.rs:\n" +
				"\n" +
				"# env-dep:OUT_DIR=/ws/exp/target/debug/build/reader-1f9c846903850b6d/out\n" +
				"# env-dep:READER_INCLUDE=/ws/exp/target/debug/build/sysx-b6125a23430d91be/out/include\n",
			files: []string{"reader/src/lib.rs", "/ws/exp/target/debug/build/reader-1f9c846903850b6d/out/gen.rs"},
			env: []EnvDep{
				{Name: "OUT_DIR", Value: "/ws/exp/target/debug/build/reader-1f9c846903850b6d/out", Set: true},
				{Name: "READER_INCLUDE", Value: "/ws/exp/target/debug/build/sysx-b6125a23430d91be/out/include", Set: true},
			},
		},
		{
			name: "checksum lines (-Z checksum-hash-algorithm) are ignored",
			data: "m.d: m.rs sub.rs data\\ file.txt\n\nm.rs:\nsub.rs:\ndata\\ file.txt:\n\n" +
				"# env-dep:MY_VAR=1\n" +
				"# env-dep:NOT_SET_VAR\n" +
				"# checksum:blake3=7664b2db5a632272d6f314c557a47e22e473a74b81c1d4b6e23b2c864c21c2b1 file_len:147 m.rs\n" +
				"# checksum:blake3=13c44134a9bc28e5f5fdbe095ece0fca35befd714457e680736d6d4ce5038fd3 file_len:14 sub.rs\n" +
				"# checksum:blake3=8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99 file_len:6 other: file.rs\n",
			files: []string{"m.rs", "sub.rs", "data file.txt"},
			env:   []EnvDep{{Name: "MY_VAR", Value: "1", Set: true}, {Name: "NOT_SET_VAR"}},
		},
		{
			// `trailing\ ` at the end of the rule is a name ending in a space
			// (cargo's whitespace split fails on it with "trailing \\").
			name:  "CRLF, tabs, duplicates, several escaped spaces",
			data:  "# leading comment: with colon space\r\nout.d: \ta.rs  b\\ \\ c.rs\tb\\ \\ c.rs a.rs d\\ .rs trailing\\ \r\n\r\nout.rmeta: other.rs\r\n# env-dep:A=b=c\r\n# env-dep:EMPTY=\r\n",
			files: []string{"a.rs", "b  c.rs", "d .rs", "trailing "},
			env:   []EnvDep{{Name: "A", Value: "b=c", Set: true}, {Name: "EMPTY", Value: "", Set: true}},
		},
		{
			name:  "escaped names and values",
			data:  "x.d: x.rs\n# env-dep:WEIRD\\nNAME=\\\\server\\\\share\\r\\n\n# env-dep:\n",
			files: []string{"x.rs"},
			env:   []EnvDep{{Name: "WEIRD\nNAME", Value: `\server\share` + "\r\n", Set: true}, {Name: ""}},
		},
		{
			name:  "escaped space at the end of the rule (fast path)",
			data:  "a.d: x\\ \\  y\\ \n",
			files: []string{"x  ", "y "},
		},
		{
			name:  "rule without inputs",
			data:  "empty.d:\n\n# env-dep:X=1",
			files: nil,
			env:   []EnvDep{{Name: "X", Value: "1", Set: true}},
		},
		{
			name:  "only the first rule counts; no trailing newline",
			data:  "a.d: first.rs\nb.d: second.rs",
			files: []string{"first.rs"},
		},
		{
			name:  "backslash not before a space is kept",
			data:  `a.d: dir\file.rs c:\x.rs`,
			files: []string{`dir\file.rs`, `c:\x.rs`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDepInfo([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			check(t, d, tt.files, tt.env)
		})
	}
}

func TestParseDepInfoErrors(t *testing.T) {
	tests := []struct {
		name, data, contains string
		notDepInfo           bool
	}{
		{"empty", "", "no make rule", true},
		{"only blank lines", "\n\n\r\n", "no make rule", true},
		{"only comments", "# env-dep:X=1\n# checksum:sha256=00 file_len:1 a.rs\n", "no make rule", true},
		{"some other file", "fn main() {}\nlet x = 1;\n", "no make rule", true},
		{"trailing backslash", "a.d: a.rs b\\\n", "trailing `\\`", false},
		{"trailing backslash after tab", "a.d: \ta.rs b\\", "trailing `\\`", false},
		{"colon-tab is not a rule separator", "a.d:\ta.rs\n", "no make rule", true},
		{"unknown env escape", "a.d: a.rs\n# env-dep:X=a\\tb\n", "unknown escape character `t`", false},
		{"unterminated env escape", "a.d: a.rs\n# env-dep:X=ab\\\n", "unterminated escape", false},
		{"bad escape in name", "a.d: a.rs\n# env-dep:X\\é=1\n", "unknown escape character `é`", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDepInfo([]byte(tt.data))
			if err == nil {
				t.Fatalf("no error, got %+v", d)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
			if errors.Is(err, ErrNotDepInfo) != tt.notDepInfo {
				t.Errorf("errors.Is(%v, ErrNotDepInfo) = %v", err, !tt.notDepInfo)
			}
		})
	}
}

func TestReadDepInfoErrorsNamePath(t *testing.T) {
	dir := t.TempDir()
	notDep := filepath.Join(dir, "lib.rs")
	if err := os.WriteFile(notDep, []byte("pub fn f() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.d")
	if err := os.WriteFile(bad, []byte("bad.d: x.rs\n# env-dep:X=\\q\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.d")
	for _, path := range []string{notDep, bad, missing} {
		_, err := ReadDepInfo(path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("ReadDepInfo(%q) error %v does not name the path", path, err)
		}
	}
	if _, err := ReadDepInfo(notDep); !errors.Is(err, ErrNotDepInfo) {
		t.Errorf("want ErrNotDepInfo, got %v", err)
	}
	if _, err := ReadDepInfo(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("want ErrNotExist, got %v", err)
	}
}

func BenchmarkParseDepInfo(b *testing.B) {
	real200, err := os.ReadFile("testdata/big200.d")
	if err != nil {
		b.Fatal(err)
	}
	// A cargo-layout .d with 200 absolute registry paths, some with spaces,
	// three rules, and env deps.
	var sb strings.Builder
	var inputs []string
	for i := range 200 {
		p := fmt.Sprintf("/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/some-crate-1.2.3/src/module_%03d/file.rs", i)
		if i%10 == 0 {
			p = strings.Replace(p, "file.rs", `with\ space.rs`, 1)
		}
		inputs = append(inputs, p)
	}
	deps := strings.Join(inputs, " ")
	for _, out := range []string{"some_crate-0123456789abcdef.d", "libsome_crate-0123456789abcdef.rlib", "libsome_crate-0123456789abcdef.rmeta"} {
		fmt.Fprintf(&sb, "/ws/target/debug/deps/%s: %s\n\n", out, deps)
	}
	for _, in := range inputs {
		sb.WriteString(in + ":\n")
	}
	sb.WriteString("\n# env-dep:CARGO_PKG_NAME=some-crate\n# env-dep:OUT_DIR=/ws/target/debug/build/some-crate-1f9c846903850b6d/out\n")
	synth := []byte(sb.String())

	for _, bc := range []struct {
		name  string
		data  []byte
		files int
	}{{"rustc-211-files", real200, 211}, {"registry-200-files", synth, 200}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.data)))
			b.ReportAllocs()
			for b.Loop() {
				d, err := ParseDepInfo(bc.data)
				if err != nil || len(d.Files) != bc.files {
					b.Fatal(err, len(d.Files))
				}
			}
		})
	}
}

func TestParseDepInfoDedupMany(t *testing.T) {
	var in, want []string
	for i := range 100 {
		f := fmt.Sprintf("src/m%d.rs", i%37)
		in = append(in, f)
		if i < 37 {
			want = append(want, f)
		}
	}
	d, err := ParseDepInfo([]byte("x.d: " + strings.Join(in, " ") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, d, want, nil)
}
