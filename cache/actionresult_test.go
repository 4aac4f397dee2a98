package cache

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

func sampleActionResult() *ActionResult {
	return &ActionResult{
		OutputFiles: []OutputFile{
			{Path: "target/debug/libfoo.rlib", Digest: Digest{Hash: strings.Repeat("ab", 32), Size: 123456}},
			{Path: "target/debug/foo", Digest: Digest{Hash: strings.Repeat("0f", 32), Size: 1 << 40}, Executable: true},
			{Path: "target/debug/empty", Digest: Digest{Hash: strings.Repeat("e3", 32)}},
		},
		ExitCode:  -2,
		StdoutRaw: []byte("compiling foo\n"),
		StderrRaw: []byte("warning: unused \xff bytes are fine here\n"),
	}
}

func TestActionResultRoundTrip(t *testing.T) {
	for _, ar := range []*ActionResult{
		sampleActionResult(),
		{},
		{ExitCode: 101},
		{ExitCode: -2147483648},
		{OutputFiles: []OutputFile{{}}},
	} {
		got, err := UnmarshalActionResult(ar.Marshal())
		if err != nil {
			t.Fatalf("%+v: %v", ar, err)
		}
		if !reflect.DeepEqual(got, ar) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, ar)
		}
	}
}

// TestActionResultGolden pins the exact bytes, worked out by hand from the
// protobuf encoding rules, so the format cannot drift from REAPI's.
func TestActionResultGolden(t *testing.T) {
	ar := &ActionResult{
		OutputFiles: []OutputFile{{Path: "a", Digest: Digest{Hash: "h", Size: 300}, Executable: true}},
		ExitCode:    -1,
		StdoutRaw:   []byte("o"),
		StderrRaw:   []byte("e"),
	}
	want := []byte{
		0x12, 0x0d, // output_files, 13 bytes
		0x0a, 0x01, 'a', // path
		0x12, 0x06, 0x0a, 0x01, 'h', 0x10, 0xac, 0x02, // digest{hash, size_bytes: 300}
		0x20, 0x01, // is_executable
		0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // exit_code -1, sign-extended
		0x2a, 0x01, 'o', // stdout_raw
		0x3a, 0x01, 'e', // stderr_raw
	}
	if got := ar.Marshal(); !bytes.Equal(got, want) {
		t.Errorf("Marshal:\n got % x\nwant % x", got, want)
	}
}

// pb builds protobuf messages field by field, independently of the code
// under test.
type pb []byte

func (m pb) tag(field, wire int) pb { return binary.AppendUvarint(m, uint64(field)<<3|uint64(wire)) }
func (m pb) varint(field int, v uint64) pb {
	return binary.AppendUvarint(m.tag(field, 0), v)
}
func (m pb) fixed64(field int, v uint64) pb {
	return binary.LittleEndian.AppendUint64(m.tag(field, 1), v)
}
func (m pb) bytes(field int, v []byte) pb {
	return append(binary.AppendUvarint(m.tag(field, 2), uint64(len(v))), v...)
}
func (m pb) fixed32(field int, v uint32) pb {
	return binary.LittleEndian.AppendUint32(m.tag(field, 5), v)
}

// TestActionResultUnknownFields decodes what a newer Bazel could write: the
// REAPI fields rbuild ignores plus invented ones of every skippable wire
// type, at every nesting level, interleaved with the known ones.
func TestActionResultUnknownFields(t *testing.T) {
	hash := strings.Repeat("12", 32)
	digest := pb{}.
		fixed64(3, 7).
		bytes(1, []byte(hash)).
		fixed32(4, 9).
		varint(2, 42).
		bytes(99, []byte("future"))
	file := pb{}.
		varint(3, 1).
		bytes(1, []byte("out/bin")).
		bytes(5, []byte("inline contents")).
		bytes(2, digest).
		bytes(7, pb{}.bytes(1, pb{}.bytes(1, []byte("mtime")))).
		varint(4, 1).
		fixed32(6, 0xdeadbeef)
	msg := pb{}.
		varint(1, 5).
		bytes(3, pb{}.bytes(1, []byte("out/dir")).bytes(3, digest)).
		bytes(2, file).
		bytes(9, pb{}.bytes(1, []byte("worker-1"))).
		fixed64(100, 1<<63).
		fixed32(101, 3).
		varint(4, 3).
		bytes(6, digest).
		bytes(5, []byte("out")).
		bytes(12, pb{}.bytes(1, []byte("link")).bytes(2, []byte("target"))).
		bytes(7, []byte("err")).
		varint(1<<29-1, 1)
	got, err := UnmarshalActionResult(msg)
	if err != nil {
		t.Fatal(err)
	}
	want := &ActionResult{
		OutputFiles: []OutputFile{{Path: "out/bin", Digest: Digest{Hash: hash, Size: 42}, Executable: true}},
		ExitCode:    3,
		StdoutRaw:   []byte("out"),
		StderrRaw:   []byte("err"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestActionResultMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"tag without value":         {0x20},
		"length missing":            {0x12},
		"length past the end":       {0x12, 0x05, 'a', 'b'},
		"huge length":               {0x2a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"varint of eleven bytes":    {0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"unterminated tag":          {0x80},
		"field number 0":            {0x00, 0x01},
		"field number too large":    pb{}.varint(1<<29, 1),
		"group start":               {0x0b, 0x0c},
		"group end":                 {0x0c},
		"wire type 6":               {0x0e},
		"wire type 7":               {0x0f},
		"truncated fixed64":         {0x19, 1, 2, 3},
		"truncated fixed32":         {0x1d, 1},
		"exit code as bytes":        pb{}.bytes(4, []byte{1}),
		"stdout as varint":          pb{}.varint(5, 1),
		"output file as varint":     pb{}.varint(2, 1),
		"output file inner overrun": pb{}.bytes(2, []byte{0x0a, 0x05}),
		"digest inner garbage":      pb{}.bytes(2, pb{}.bytes(2, []byte{0xff})),
		"path not UTF-8":            pb{}.bytes(2, pb{}.bytes(1, []byte{0xff})),
		"hash not UTF-8":            pb{}.bytes(2, pb{}.bytes(2, pb{}.bytes(1, []byte{0xc3}))),
		"size as bytes":             pb{}.bytes(2, pb{}.bytes(2, pb{}.bytes(2, nil))),
	} {
		if ar, err := UnmarshalActionResult(b); err == nil {
			t.Errorf("%s (% x): decoded to %+v, want an error", name, b, ar)
		}
	}
}

// TestActionResultPrefixes cuts a valid message everywhere: a cut between
// two top-level fields is itself a valid message, any other cut must fail.
func TestActionResultPrefixes(t *testing.T) {
	full := sampleActionResult().Marshal()
	for i := 0; i < len(full); i++ {
		ar, err := UnmarshalActionResult(full[:i])
		if err != nil {
			continue
		}
		if got := ar.Marshal(); !bytes.Equal(got, full[:i]) {
			t.Errorf("prefix of %d bytes decoded to %+v, which encodes differently", i, ar)
		}
	}
}

func FuzzUnmarshalActionResult(f *testing.F) {
	f.Add(sampleActionResult().Marshal())
	f.Add([]byte{})
	f.Add([]byte(pb{}.fixed64(100, 1).fixed32(101, 2).varint(1, 3).bytes(9, []byte("x"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		ar, err := UnmarshalActionResult(b)
		if err != nil {
			return
		}
		// Whatever decodes must survive a round trip unchanged.
		enc := ar.Marshal()
		again, err := UnmarshalActionResult(enc)
		if err != nil {
			t.Fatalf("re-encoding of % x does not decode: %v", b, err)
		}
		if !reflect.DeepEqual(again, ar) {
			t.Fatalf("round trip of % x:\n got %+v\nwant %+v", b, again, ar)
		}
	})
}
