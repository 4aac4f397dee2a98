package log

// Fuzz targets for the files the log reads back: the action log (its
// framing and record bodies) and the no-op snapshot. Seeds
// (testdata/fuzz/) are log and snapshot files rbuild wrote building
// testdata/workspaces and Debian's registry crates.

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLogOpen writes the input as dir/log and opens it: no panic; Open
// repairs what it cannot read, so a second Open of the repaired file
// loads the same records without a warning; Put round-trips.
func FuzzLogOpen(f *testing.F) {
	var good []byte
	good = append(good, header()...)
	good = appendRecord(good, kindPut, "a", []byte(`{"cmd":"x"}`))
	good = appendRecord(good, kindPut, "b", nil)
	good = appendRecord(good, kindTombstone, "a", nil)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(header())
	f.Add([]byte("RBLOG\x00\x02\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, logName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, _, err := Open(context.Background(), dir, nil)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		want := map[string][]byte{}
		for _, a := range l.Actions() {
			r, ok := l.Get(a)
			if !ok {
				t.Fatalf("live action %q not found", a)
			}
			want[a] = r.Payload
		}
		if err := l.Put(Record{Action: "fuzz", Payload: []byte("p")}); err != nil {
			t.Fatalf("put: %v", err)
		}
		want["fuzz"] = []byte("p")
		if err := l.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		l, warnings, err := Open(context.Background(), dir, nil)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer l.Close()
		if len(warnings) > 0 {
			t.Fatalf("reopening the repaired log warns: %q", warnings)
		}
		if len(l.Actions()) != len(want) {
			t.Fatalf("reopened log has %d records, want %d", len(l.Actions()), len(want))
		}
		for a, p := range want {
			if r, ok := l.Get(a); !ok || !bytes.Equal(r.Payload, p) {
				t.Fatalf("reopened log: %q is %q (%v), want %q", a, r.Payload, ok, p)
			}
		}
	})
}

// FuzzLogRecordBody: what parseBody reads from a body, appendRecord
// writes as a record that reads back the same. (Not byte for byte: a
// length written as an overlong varint, 84 00 for 4, reads fine and is
// written back minimal; the fuzzer's first find, kept as a seed.)
func FuzzLogRecordBody(f *testing.F) {
	f.Add([]byte("\x01\x01a{}"))
	f.Add([]byte("\x02\x01a"))
	f.Add([]byte("\x01\x80\x01"))
	f.Fuzz(func(t *testing.T, body []byte) {
		kind, action, payload, ok := parseBody(body)
		if !ok {
			return
		}
		framed := appendRecord(nil, kind, string(action), payload)
		if n := binary.LittleEndian.Uint32(framed); int(n) != len(framed)-frameSize {
			t.Fatalf("frame length %d, body %d", n, len(framed)-frameSize)
		}
		k2, a2, p2, ok := parseBody(framed[frameSize:])
		if !ok || k2 != kind || !bytes.Equal(a2, action) || !bytes.Equal(p2, payload) {
			t.Fatalf("body % x re-encodes as % x, which reads back %v %q %q", body, framed[frameSize:], ok, a2, p2)
		}
		if len(framed)-frameSize > len(body) {
			t.Fatalf("body % x re-encodes longer: % x", body, framed[frameSize:])
		}
	})
}

// FuzzSnapshot: SnapshotHolds on any file content answers, never panics;
// the key is taken from the input when it has one, so the fuzzer reaches
// the entries.
func FuzzSnapshot(f *testing.F) {
	dir := f.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
		f.Fatal(err)
	}
	snap := filepath.Join(dir, "noop")
	if err := WriteSnapshot(snap, [16]byte{1}, []string{src, filepath.Join(dir, "missing")}); err != nil {
		f.Fatal(err)
	}
	if b, err := os.ReadFile(snap); err == nil {
		f.Add(b)
	}
	f.Add([]byte(snapMagic))
	file := filepath.Join(dir, "fuzz")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var key [16]byte
		if len(data) >= len(snapMagic)+16 {
			copy(key[:], data[len(snapMagic):])
		}
		SnapshotHolds(file, key)
	})
}
