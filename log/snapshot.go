package log

// A snapshot is the stat of every file a fully up-to-date build consulted
// (sources, outputs, manifests, configs, the log itself), with a hash of
// everything else that build depended on (arguments, environment, cwd). If
// a later invocation has the same key and every file still stats the same,
// it would reach the same verdict — all up to date — so it can stop there.
// This is ninja's no-op model: stat everything, read nothing.
//
// File format (little endian):
//
//	magic "RBSNAP1\n"
//	key   [16]byte
//	count uvarint
//	count × { uvarint len, path bytes, varint size, varint mtime_ns, uvarint inode }
//	crc32c of everything above, u32
//
// A missing file is recorded with size -1. Any decode problem means "no
// snapshot": the caller takes the slow path, which is always correct.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"rbuild/internal/atomicfile"
)

const snapMagic = "RBSNAP1\n"

type statEntry struct {
	size, mtime int64
	ino         uint64
}

func statOf(path string) statEntry {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return statEntry{size: -1}
	}
	return statEntry{size: st.Size, mtime: st.Mtim.Sec*1e9 + st.Mtim.Nsec, ino: st.Ino}
}

// RacyError says a snapshot was not written: an input changed so
// recently that the build may have read it before the change (git's
// "racily clean" entries), and recording its stat now would hide the
// change from every later check.
type RacyError struct{ Path string }

func (e *RacyError) Error() string { return e.Path + " changed too recently to be recorded" }

// WriteSnapshot stats paths now and writes the snapshot atomically.
func WriteSnapshot(file string, key [16]byte, paths []string) error {
	return WriteSnapshotOfInputs(file, key, paths, 0, nil)
}

// WriteSnapshotOfInputs is WriteSnapshot where paths[:inputs] are what
// the build read: if racy says of one's mtime (Unix ns) that it may have
// been written after the build read it, nothing is written and a
// *RacyError says which.
func WriteSnapshotOfInputs(file string, key [16]byte, paths []string, inputs int, racy func(mtime int64) bool) error {
	var b bytes.Buffer
	b.WriteString(snapMagic)
	b.Write(key[:])
	var tmp [binary.MaxVarintLen64]byte
	b.Write(tmp[:binary.PutUvarint(tmp[:], uint64(len(paths)))])
	for i, p := range paths {
		st := statOf(p)
		if i < inputs && st.size >= 0 && racy(st.mtime) {
			return &RacyError{Path: p}
		}
		b.Write(tmp[:binary.PutUvarint(tmp[:], uint64(len(p)))])
		b.WriteString(p)
		b.Write(tmp[:binary.PutVarint(tmp[:], st.size)])
		b.Write(tmp[:binary.PutVarint(tmp[:], st.mtime)])
		b.Write(tmp[:binary.PutUvarint(tmp[:], st.ino)])
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], crc32.Checksum(b.Bytes(), crcTable))
	b.Write(sum[:])
	return atomicfile.Write(file, b.Bytes(), 0o644)
}

// RemoveSnapshot drops a snapshot, before anything could invalidate it.
func RemoveSnapshot(file string) { os.Remove(file) }

var errSnap = errors.New("bad snapshot")

// SnapshotHolds tells whether the snapshot exists, has this key, and every
// file in it stats as recorded. The stats run on a few goroutines.
func SnapshotHolds(file string, key [16]byte) bool {
	data, err := os.ReadFile(file)
	if err != nil || len(data) < len(snapMagic)+16+4 || string(data[:len(snapMagic)]) != snapMagic {
		return false
	}
	body, sum := data[:len(data)-4], data[len(data)-4:]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(sum) {
		return false
	}
	if !bytes.Equal(body[len(snapMagic):len(snapMagic)+16], key[:]) {
		return false
	}
	n, k := binary.Uvarint(body[len(snapMagic)+16:])
	if k <= 0 || n > uint64(len(body)) {
		return false
	}
	type entry struct {
		dir  int // index into dirs; -1: stat the whole path
		name string
		st   statEntry
	}
	// Most paths share a few directories: each is opened once (O_PATH)
	// and its files statted relative to it, which spares the kernel
	// walking the whole path every time (the scale benchmark's no-op:
	// 300k stats at 100k actions).
	var dirs []int
	dirIndex := map[string]int{}
	defer func() {
		for _, fd := range dirs {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
	}()
	entries := make([]entry, 0, min(n, uint64(len(body))))
	rest := body[len(snapMagic)+16+k:]
	for i := uint64(0); i < n; i++ {
		l, k := binary.Uvarint(rest)
		if k <= 0 || l > uint64(len(rest)-k) {
			return false
		}
		p := rest[k : k+int(l)]
		rest = rest[k+int(l):]
		e := entry{dir: -1}
		var k1, k2, k3 int
		e.st.size, k1 = binary.Varint(rest)
		if k1 > 0 {
			e.st.mtime, k2 = binary.Varint(rest[k1:])
		}
		if k2 > 0 {
			e.st.ino, k3 = binary.Uvarint(rest[k1+k2:])
		}
		if k1 <= 0 || k2 <= 0 || k3 <= 0 {
			return false
		}
		rest = rest[k1+k2+k3:]
		if slash := bytes.LastIndexByte(p, '/'); slash >= 0 && slash < len(p)-1 {
			d := p[:slash+1] // "/" stays "/"
			idx, ok := dirIndex[string(d)]
			if !ok {
				fd, err := unix.Open(string(d), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
				if err != nil {
					fd = -1
				}
				idx = len(dirs)
				dirs = append(dirs, fd)
				dirIndex[string(d)] = idx
			}
			if dirs[idx] >= 0 {
				e.dir, e.name = idx, string(p[slash+1:])
			}
		}
		if e.dir < 0 {
			e.name = string(p)
		}
		entries = append(entries, e)
	}
	if len(rest) != 0 {
		return false
	}
	const workers = 4
	var wg sync.WaitGroup
	var changed atomic.Bool
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(entries) && !changed.Load(); i += workers {
				e := &entries[i]
				var st statEntry
				if e.dir < 0 {
					st = statOf(e.name)
				} else {
					st = statAt(dirs[e.dir], e.name)
				}
				if st != e.st {
					changed.Store(true)
				}
			}
		}(w)
	}
	wg.Wait()
	return !changed.Load()
}

// statAt is statOf for name in the directory open as dirfd.
func statAt(dirfd int, name string) statEntry {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, 0); err != nil {
		return statEntry{size: -1}
	}
	return statEntry{size: st.Size, mtime: st.Mtim.Sec*1e9 + st.Mtim.Nsec, ino: st.Ino}
}
