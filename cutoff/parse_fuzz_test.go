package cutoff

// Fuzz targets for what cutoff reads from outside: rustc's dep-info files
// and the records the build log hands back. Seeds (testdata/fuzz/) are
// dep-info files rustc 1.95 wrote and records rbuild wrote while building
// testdata/workspaces and Debian's registry crates.

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseDepInfo: no panic; the inputs are non-empty and distinct; the
// fast splitter agrees with the general one on the rule; ReadDepInfo
// (the path-taking entry point) agrees with ParseDepInfo.
func FuzzParseDepInfo(f *testing.F) {
	for _, s := range []string{
		"out.rmeta: src/lib.rs src/a\\ b.rs\n\nsrc/lib.rs:\n# env-dep:CARGO_PKG_NAME=a\n# env-dep:UNSET\n# env-dep:X=a\\nb\\\\c\n# checksum:abc\n",
		"a: b\tc\\\td  b\r\n", "a:", "a: x\\", "a: x\\ ", "# env-dep:X=\\q\na: b\n",
	} {
		f.Add([]byte(s))
	}
	if files, _ := filepath.Glob("testdata/*.d"); len(files) > 0 {
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	path := filepath.Join(f.TempDir(), "x.d")
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDepInfo(data)
		if err == nil {
			seen := map[string]bool{}
			for _, file := range d.Files {
				if file == "" || seen[file] {
					t.Fatalf("input %q empty or repeated in %q", file, d.Files)
				}
				seen[file] = true
			}
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		d2, err2 := ReadDepInfo(path)
		if (err == nil) != (err2 == nil) || (err == nil && !reflect.DeepEqual(d, d2)) {
			t.Fatalf("ReadDepInfo %+v, %v; ParseDepInfo %+v, %v", d2, err2, d, err)
		}
		// The splitters: spaces only, the fast one against the general one.
		line, _, _ := strings.Cut(string(data), "\n")
		if !strings.Contains(line, "\t") {
			a, errA := splitInputs(line)
			b, errB := splitInputsSlow(line)
			if (errA == nil) != (errB == nil) || !reflect.DeepEqual(a, b) {
				t.Fatalf("%q: splitInputs %q, %v; splitInputsSlow %q, %v", line, a, errA, b, errB)
			}
		}
	})
}

// FuzzDecodeRecord: a record that decodes encodes to one that decodes to
// the same encoding.
func FuzzDecodeRecord(f *testing.F) {
	f.Add((&Record{Cmd: Hash{1}, Deps: []Stamp{{Path: "/a", Size: 3, Mtime: 4, Hash: Hash{2}}},
		EnvDeps: []EnvDep{{Name: "A", Value: "b", Set: true}}, Ifaces: []Fingerprint{{Path: "/a", Hash: Hash{3}}},
		Iface: &Hash{4}, Epoch: []Hash{{5}}}).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			return
		}
		enc := r.Encode()
		r2, err := DecodeRecord(enc)
		if err != nil {
			t.Fatalf("re-encoded record %s does not decode: %v", enc, err)
		}
		if enc2 := r2.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip differs:\n%s\n%s", enc, enc2)
		}
		_ = r.Stamps()
		for _, s := range r.Deps {
			r.DepHash(s.Path)
			r.IfaceOf(s.Path)
		}
	})
}
