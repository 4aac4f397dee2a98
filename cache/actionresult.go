package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// The wire format below is protobuf's, written by hand so that rbuild needs
// no protobuf library: the action cache entries it stores are byte-compatible
// with build.bazel.remote.execution.v2.ActionResult, so any Bazel HTTP cache
// (and tools that inspect one) understands them.

// Digest is a REAPI digest: lowercase hex SHA-256 of the content and its size.
type Digest struct {
	Hash string
	Size int64
}

// String formats the digest as REAPI resource names do: "hash/size".
func (d Digest) String() string { return fmt.Sprintf("%s/%d", d.Hash, d.Size) }

// OutputFile is REAPI's OutputFile without the fields rbuild does not use
// (inline contents, node properties).
type OutputFile struct {
	Path       string
	Digest     Digest
	Executable bool
}

// ActionResult is the subset of REAPI's ActionResult rbuild writes and reads.
type ActionResult struct {
	OutputFiles []OutputFile // field 2
	ExitCode    int32        // field 4
	StdoutRaw   []byte       // field 5
	StderrRaw   []byte       // field 7
}

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// Field numbers, from remote_execution.proto.
const (
	arOutputFiles = 2
	arExitCode    = 4
	arStdoutRaw   = 5
	arStderrRaw   = 7

	ofPath       = 1
	ofDigest     = 2
	ofExecutable = 4

	dgHash = 1
	dgSize = 2
)

// Marshal encodes ar in protobuf wire format. Like proto3 encoders it omits
// fields that hold their zero value, so an empty ActionResult encodes to no
// bytes at all.
func (ar *ActionResult) Marshal() []byte {
	var b []byte
	for i := range ar.OutputFiles {
		b = appendBytesField(b, arOutputFiles, marshalOutputFile(&ar.OutputFiles[i]))
	}
	if ar.ExitCode != 0 {
		// int32 is sign-extended to 64 bits on the wire, so negative exit
		// codes take ten bytes; that is what every protobuf encoder does.
		b = appendVarintField(b, arExitCode, uint64(int64(ar.ExitCode)))
	}
	if len(ar.StdoutRaw) > 0 {
		b = appendBytesField(b, arStdoutRaw, ar.StdoutRaw)
	}
	if len(ar.StderrRaw) > 0 {
		b = appendBytesField(b, arStderrRaw, ar.StderrRaw)
	}
	return b
}

func marshalOutputFile(f *OutputFile) []byte {
	var b []byte
	if f.Path != "" {
		b = appendBytesField(b, ofPath, []byte(f.Path))
	}
	// A message field is present even when empty: proto3 keeps explicit
	// presence for messages, and Bazel always sets the digest.
	var d []byte
	if f.Digest.Hash != "" {
		d = appendBytesField(d, dgHash, []byte(f.Digest.Hash))
	}
	if f.Digest.Size != 0 {
		d = appendVarintField(d, dgSize, uint64(f.Digest.Size))
	}
	b = appendBytesField(b, ofDigest, d)
	if f.Executable {
		b = appendVarintField(b, ofExecutable, 1)
	}
	return b
}

func appendTag(b []byte, field int, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func appendVarintField(b []byte, field int, v uint64) []byte {
	return binary.AppendUvarint(appendTag(b, field, wireVarint), v)
}

func appendBytesField(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(appendTag(b, field, wireBytes), uint64(len(v)))
	return append(b, v...)
}

// UnmarshalActionResult decodes a protobuf-encoded ActionResult. Fields rbuild
// does not use (output directories, symlinks, execution metadata, anything a
// newer REAPI adds) are skipped, so entries written by Bazel decode too.
// Malformed input is an error, never a panic. The result does not alias b.
func UnmarshalActionResult(b []byte) (*ActionResult, error) {
	ar := &ActionResult{}
	err := walkFields(b, func(field, wire int, v uint64, data []byte) error {
		switch field {
		case arOutputFiles:
			if wire != wireBytes {
				return wireTypeError("output_files", wire)
			}
			var f OutputFile
			if err := unmarshalOutputFile(data, &f); err != nil {
				return fmt.Errorf("output_files[%d]: %w", len(ar.OutputFiles), err)
			}
			ar.OutputFiles = append(ar.OutputFiles, f)
		case arExitCode:
			if wire != wireVarint {
				return wireTypeError("exit_code", wire)
			}
			// Protobuf decoders truncate an int32's varint to 32 bits.
			ar.ExitCode = int32(v)
		case arStdoutRaw:
			if wire != wireBytes {
				return wireTypeError("stdout_raw", wire)
			}
			ar.StdoutRaw = append([]byte(nil), data...)
		case arStderrRaw:
			if wire != wireBytes {
				return wireTypeError("stderr_raw", wire)
			}
			ar.StderrRaw = append([]byte(nil), data...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decoding ActionResult: %w", err)
	}
	return ar, nil
}

func unmarshalOutputFile(b []byte, f *OutputFile) error {
	return walkFields(b, func(field, wire int, v uint64, data []byte) error {
		switch field {
		case ofPath:
			if wire != wireBytes {
				return wireTypeError("path", wire)
			}
			if !utf8.Valid(data) {
				return errors.New("path is not valid UTF-8")
			}
			f.Path = string(data)
		case ofDigest:
			if wire != wireBytes {
				return wireTypeError("digest", wire)
			}
			// A repeated message field merges into the earlier one, as in
			// every protobuf decoder, hence decoding into f.Digest itself.
			if err := unmarshalDigest(data, &f.Digest); err != nil {
				return fmt.Errorf("digest: %w", err)
			}
		case ofExecutable:
			if wire != wireVarint {
				return wireTypeError("is_executable", wire)
			}
			f.Executable = v != 0
		}
		return nil
	})
}

func unmarshalDigest(b []byte, d *Digest) error {
	return walkFields(b, func(field, wire int, v uint64, data []byte) error {
		switch field {
		case dgHash:
			if wire != wireBytes {
				return wireTypeError("hash", wire)
			}
			if !utf8.Valid(data) {
				return errors.New("hash is not valid UTF-8")
			}
			d.Hash = string(data)
		case dgSize:
			if wire != wireVarint {
				return wireTypeError("size_bytes", wire)
			}
			d.Size = int64(v)
		}
		return nil
	})
}

// wireTypeError rejects a known field sent with the wrong wire type. Real
// decoders would keep it as an unknown field, but for a cache entry it can
// only mean corruption, and a corrupt entry is better treated as unusable.
func wireTypeError(name string, wire int) error {
	return fmt.Errorf("field %s has wire type %d", name, wire)
}

// walkFields calls fn for every field in b, in order. For varint fields v
// holds the value; for length-delimited fields data holds the payload (a
// sub-slice of b); fixed-width fields are passed with neither, since no field
// rbuild reads uses them. Groups (wire types 3 and 4) are deprecated and
// never appear in REAPI, so they are rejected rather than skipped.
func walkFields(b []byte, fn func(field, wire int, v uint64, data []byte) error) error {
	for off := 0; off < len(b); {
		tag, n := binary.Uvarint(b[off:])
		if n <= 0 {
			return fmt.Errorf("offset %d: malformed tag varint", off)
		}
		off += n
		field, wire := tag>>3, int(tag&7)
		if field == 0 || field > math.MaxInt32>>2 {
			return fmt.Errorf("offset %d: invalid field number %d", off-n, field)
		}
		var v uint64
		var data []byte
		switch wire {
		case wireVarint:
			v, n = binary.Uvarint(b[off:])
			if n <= 0 {
				return fmt.Errorf("offset %d: field %d: malformed varint", off, field)
			}
			off += n
		case wireFixed64:
			if len(b)-off < 8 {
				return fmt.Errorf("offset %d: field %d: truncated fixed64", off, field)
			}
			off += 8
		case wireFixed32:
			if len(b)-off < 4 {
				return fmt.Errorf("offset %d: field %d: truncated fixed32", off, field)
			}
			off += 4
		case wireBytes:
			l, n := binary.Uvarint(b[off:])
			if n <= 0 {
				return fmt.Errorf("offset %d: field %d: malformed length", off, field)
			}
			off += n
			if l > uint64(len(b)-off) {
				return fmt.Errorf("offset %d: field %d: length %d exceeds the %d bytes left", off, field, l, len(b)-off)
			}
			data = b[off : off+int(l)]
			off += int(l)
		default:
			return fmt.Errorf("offset %d: field %d: unsupported wire type %d", off-n, field, wire)
		}
		if err := fn(int(field), wire, v, data); err != nil {
			return err
		}
	}
	return nil
}
