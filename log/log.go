package log

// On-disk format of dir/log (all integers little endian):
//
//	header:  8 bytes: "RBLOG\x00" magic, u16 format version (currently 1)
//	record:  u32 n       length of body in bytes
//	         u32 crc     CRC-32C (Castagnoli) of body
//	         body[n]:    u8 kind (1 = put, 2 = tombstone)
//	                     uvarint len(action), action bytes
//	                     payload: the rest of the body (put only; a
//	                     tombstone's body ends after the action)
//
// Records are appended in order, one write(2) per record on an O_APPEND
// descriptor, without fsync. Loading replays them: a put replaces any earlier
// record for its action, a tombstone deletes it. The first record that is
// incomplete, fails its CRC or does not parse ends the log: everything from
// there on is dropped and the file is truncated to the last good record (a
// kill -9 or power loss can only damage the tail). A file whose header is
// missing or wrong is moved aside to log.corrupt and replaced by an empty log.
//
// Compaction rewrites the file as header + one put per live action (sorted by
// action) into log.tmp, fsyncs it, renames it over log and fsyncs the
// directory.
//
// In memory the log keeps, per live action, where its payload lies in the
// file, not the payload: a build writes a record for every action it runs
// (~700 bytes each for a build plan's invocation), and keeping them was a
// quarter of a full build's live heap in the scale benchmark. Payloads
// loaded at Open are read from the bytes read then; those appended since,
// from the file.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

const (
	logName     = "log"
	tmpName     = "log.tmp"
	corruptName = "log.corrupt"
	lockName    = "lock"

	magic      = "RBLOG\x00"
	version    = 1
	headerSize = 8
	frameSize  = 8 // u32 length + u32 crc

	kindPut       = 1
	kindTombstone = 2

	// Close compacts automatically when dead records outnumber live ones
	// and the file is larger than this.
	compactMinSize = 64 << 10

	maxBody = math.MaxUint32
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrClosed is returned by methods called after Close.
var ErrClosed = errors.New("log: closed")

// Record is the state of one action after its last successful run.
type Record struct {
	Action  string // stable identity of the action
	Payload []byte // opaque, caller-encoded
}

// Log is an open, locked build log. It is safe for concurrent use.
type Log struct {
	dir  string
	lock *os.File // holds the flock; closing it releases the lock

	mu   sync.RWMutex
	f    *os.File        // dir/log, O_RDWR|O_APPEND
	size int64           // bytes of dir/log known to be good
	live map[string]span // action -> where its payload is in the file
	// loaded is the file as Open read it (nil after a rewrite): the
	// payloads of the records it holds are read from it, not the file.
	loaded  []byte
	records int    // records (puts and tombstones) in the file
	scratch []byte // appendLocked's buffer
	err     error  // sticky write error that could not be repaired
	closed  bool
}

// span is where a payload lies in the file, and the CRC of its record's
// body, which tells most payloads Put again apart without reading them.
type span struct {
	off int64
	n   uint32
	crc uint32
}

// Open takes the one-writer lock for dir (creating dir if needed) and loads
// dir/log.
//
// If another process holds the lock, it calls waiting(holderInfo) once and
// then blocks until the lock is free (holderInfo is e.g. "pid 1234", read
// from the lock file, best effort). ctx cancels the wait.
//
// A truncated or corrupt tail is not an error: records up to the damage are
// kept, the rest is dropped and the file is truncated to the last good
// record (reported in warnings). An unreadable header starts an empty log,
// keeps the old file as log.corrupt and is reported in warnings.
func Open(ctx context.Context, dir string, waiting func(holder string)) (l *Log, warnings []string, err error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, nil, fmt.Errorf("log: %w", err)
	}
	lock, err := acquireLock(ctx, filepath.Join(dir, lockName), waiting)
	if err != nil {
		return nil, nil, err
	}
	l = &Log{dir: dir, lock: lock, live: make(map[string]span)}
	warnings, err = l.load()
	if err != nil {
		if l.f != nil {
			l.f.Close()
		}
		lock.Close()
		return nil, warnings, err
	}
	return l, warnings, nil
}

// load reads dir/log into l, repairing or replacing it as needed.
func (l *Log) load() (warnings []string, err error) {
	path := filepath.Join(l.dir, logName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, l.create()
	}
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	data, err := readAll(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("log: reading %s: %w", path, err)
	}

	if problem := checkHeader(data); problem != "" {
		f.Close()
		corrupt := filepath.Join(l.dir, corruptName)
		if err := os.Rename(path, corrupt); err != nil {
			return nil, fmt.Errorf("log: moving aside corrupt %s: %w", path, err)
		}
		warnings = append(warnings, fmt.Sprintf(
			"build log %s %s; starting with an empty build state (old file kept as %s)",
			path, problem, corrupt))
		return warnings, l.create()
	}

	good, records := replay(data, l.live)
	l.f, l.records, l.size, l.loaded = f, records, good, data[:good:good]
	if good < int64(len(data)) {
		if err := f.Truncate(good); err != nil {
			return warnings, fmt.Errorf("log: repairing %s: %w", path, err)
		}
		warnings = append(warnings, fmt.Sprintf(
			"build log %s: dropped %d damaged bytes after the last good record (interrupted write?)",
			path, int64(len(data))-good))
	}
	return warnings, nil
}

func readAll(f *os.File) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	buf := bytes.NewBuffer(make([]byte, 0, st.Size()+1))
	_, err = buf.ReadFrom(io.NewSectionReader(f, 0, math.MaxInt64))
	return buf.Bytes(), err
}

// checkHeader returns "" if data starts with a valid header, else a
// description of the problem.
func checkHeader(data []byte) string {
	switch {
	case len(data) == 0:
		return "is empty"
	case len(data) < headerSize:
		return "has a truncated header"
	case string(data[:len(magic)]) != magic:
		return "is not an rbuild log (bad magic)"
	}
	if v := binary.LittleEndian.Uint16(data[len(magic):]); v != version {
		return fmt.Sprintf("has unsupported format version %d (want %d)", v, version)
	}
	return ""
}

// replay applies the records in data (which starts with a valid header) to
// live. It returns the offset just past the last good record and the number
// of good records.
func replay(data []byte, live map[string]span) (good int64, records int) {
	off := headerSize
	for {
		rest := data[off:]
		if len(rest) < frameSize {
			break
		}
		n := binary.LittleEndian.Uint32(rest)
		sum := binary.LittleEndian.Uint32(rest[4:])
		if uint64(n) > uint64(len(rest)-frameSize) {
			break
		}
		body := rest[frameSize : frameSize+int(n) : frameSize+int(n)]
		if crc32.Checksum(body, crcTable) != sum {
			break
		}
		kind, action, payload, ok := parseBody(body)
		if !ok {
			break
		}
		if kind == kindPut {
			live[string(action)] = span{off: int64(off + frameSize + int(n) - len(payload)), n: uint32(len(payload)), crc: sum}
		} else {
			delete(live, string(action))
		}
		records++
		off += frameSize + int(n)
	}
	return int64(off), records
}

func parseBody(body []byte) (kind byte, action, payload []byte, ok bool) {
	if len(body) < 2 {
		return 0, nil, nil, false
	}
	kind = body[0]
	alen, k := binary.Uvarint(body[1:])
	if k <= 0 || alen == 0 || alen > uint64(len(body)-1-k) {
		return 0, nil, nil, false
	}
	action = body[1+k : 1+k+int(alen)]
	payload = body[1+k+int(alen):]
	switch {
	case kind == kindPut:
	case kind == kindTombstone && len(payload) == 0:
	default:
		return 0, nil, nil, false
	}
	return kind, action, payload, true
}

// bodyCRC is the CRC of a record's body, as appendRecord computes it.
func bodyCRC(kind byte, action string, payload []byte) uint32 {
	var head [1 + binary.MaxVarintLen64]byte
	head[0] = kind
	n := 1 + binary.PutUvarint(head[1:], uint64(len(action)))
	crc := crc32.Update(0, crcTable, head[:n])
	crc = crc32.Update(crc, crcTable, []byte(action))
	return crc32.Update(crc, crcTable, payload)
}

// appendRecord appends the framed encoding of one record to buf.
func appendRecord(buf []byte, kind byte, action string, payload []byte) []byte {
	start := len(buf)
	buf = append(buf, make([]byte, frameSize)...)
	buf = append(buf, kind)
	buf = binary.AppendUvarint(buf, uint64(len(action)))
	buf = append(buf, action...)
	buf = append(buf, payload...)
	body := buf[start+frameSize:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(body)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(body, crcTable))
	return buf
}

func header() []byte {
	h := make([]byte, headerSize)
	copy(h, magic)
	binary.LittleEndian.PutUint16(h[len(magic):], version)
	return h
}

// create installs a fresh, empty log file (written via rename so a crash
// never leaves a file without header) and opens it for appending.
func (l *Log) create() error {
	clear(l.live)
	l.records = 0
	return l.rewrite()
}

// payload reads a live record's payload: from the bytes Open read, or
// from the file.
func (l *Log) payload(s span) ([]byte, error) {
	if end := s.off + int64(s.n); end <= int64(len(l.loaded)) {
		return bytes.Clone(l.loaded[s.off:end]), nil
	}
	p := make([]byte, s.n)
	if _, err := l.f.ReadAt(p, s.off); err != nil {
		return nil, fmt.Errorf("log: reading a record at %d: %w", s.off, err)
	}
	return p, nil
}

// rewrite atomically replaces dir/log with a header followed by one put per
// live action (sorted), fsyncing file and directory, and makes it l.f.
// On error l is unchanged.
func (l *Log) rewrite() error {
	path := filepath.Join(l.dir, logName)
	tmp := filepath.Join(l.dir, tmpName)
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o666)
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("log: rewriting %s: %w", path, err)
	}

	w := bufio.NewWriterSize(f, 256<<10)
	w.Write(header())
	size := int64(headerSize)
	var buf []byte
	moved := make(map[string]span, len(l.live))
	for _, action := range slices.Sorted(maps.Keys(l.live)) {
		s := l.live[action]
		p, err := l.payload(s)
		if err != nil {
			return fail(err)
		}
		buf = appendRecord(buf[:0], kindPut, action, p)
		w.Write(buf)
		size += int64(len(buf))
		s.off = size - int64(len(p))
		moved[action] = s
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	syncDir(l.dir)

	if l.f != nil {
		l.f.Close()
	}
	l.f, l.size, l.records, l.err = f, size, len(moved), nil
	l.live, l.loaded = moved, nil
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not all platforms/filesystems support it
		d.Close()
	}
}

// Get returns the record for action, if it has a live one. The returned
// Payload is a copy the caller may keep and modify. A payload that cannot
// be read back from the file is no record: the action runs again.
func (l *Log) Get(action string) (Record, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s, ok := l.live[action]
	if !ok || l.closed {
		return Record{}, false
	}
	p, err := l.payload(s)
	if err != nil {
		return Record{}, false
	}
	return Record{Action: action, Payload: p}, true
}

// Actions returns all live action names, sorted.
func (l *Log) Actions() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return slices.Sorted(maps.Keys(l.live))
}

// Put appends a record, replacing any earlier one for r.Action. Once Put
// returns, the record survives a crash of this process (not of the machine).
// Putting a payload identical to the current one is a no-op.
func (l *Log) Put(r Record) error {
	if r.Action == "" {
		return errors.New("log: Put with empty action")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.unchanged(r) {
		return nil
	}
	crc, err := l.appendLocked(kindPut, r.Action, r.Payload)
	if err != nil {
		return err
	}
	l.live[r.Action] = span{off: l.size - int64(len(r.Payload)), n: uint32(len(r.Payload)), crc: crc}
	return nil
}

// unchanged: r's payload is the live one already. l.mu must be held.
func (l *Log) unchanged(r Record) bool {
	old, ok := l.live[r.Action]
	if !ok || l.err != nil || l.closed || int(old.n) != len(r.Payload) {
		return false
	}
	if old.crc != bodyCRC(kindPut, r.Action, r.Payload) {
		return false
	}
	p, err := l.payload(old)
	return err == nil && bytes.Equal(p, r.Payload)
}

// Invalidate appends a tombstone for action: from then on (even if the
// process dies right after) Get returns false for it.
func (l *Log) Invalidate(action string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if _, ok := l.live[action]; !ok {
		return l.err // nothing on disk to shadow
	}
	if _, err := l.appendLocked(kindTombstone, action, nil); err != nil {
		return err
	}
	delete(l.live, action)
	return nil
}

// appendLocked writes one record with a single write(2) and returns the
// CRC of its body. On failure it truncates the file back to the last good
// record so later appends are not hidden behind a damaged one. l.mu must
// be held.
func (l *Log) appendLocked(kind byte, action string, payload []byte) (uint32, error) {
	if l.closed {
		return 0, ErrClosed
	}
	if l.err != nil {
		return 0, l.err
	}
	if body := 1 + binary.MaxVarintLen64 + len(action) + len(payload); uint64(body) > maxBody {
		return 0, fmt.Errorf("log: record for %q too large (%d bytes)", action, body)
	}
	// One buffer for every record (they are written, not kept), unless a
	// rare large one would pin its size.
	buf := appendRecord(l.scratch[:0], kind, action, payload)
	if cap(buf) <= scratchMax {
		l.scratch = buf
	}
	n, err := l.f.Write(buf)
	if err == nil && n != len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		if terr := l.f.Truncate(l.size); terr != nil {
			l.err = fmt.Errorf("log: write failed (%v) and could not be repaired: %w", err, terr)
		}
		return 0, fmt.Errorf("log: append: %w", err)
	}
	l.size += int64(n)
	l.records++
	return binary.LittleEndian.Uint32(buf[4:]), nil
}

// scratchMax bounds the append buffer a Log keeps.
const scratchMax = 64 << 10

// Compact rewrites the log so it holds exactly one record per live action.
func (l *Log) Compact() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	return l.rewrite()
}

// worthCompacting reports whether Close should compact. l.mu must be held.
func (l *Log) worthCompacting() bool {
	dead := l.records - len(l.live)
	return dead > len(l.live) && l.size > compactMinSize
}

// CompactIfWorthwhile compacts now when Close would. A caller that
// records the log file's state while it holds the lock (the no-op
// snapshot) calls it first, so that closing changes nothing.
func (l *Log) CompactIfWorthwhile() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.err != nil || !l.worthCompacting() {
		return nil
	}
	return l.rewrite()
}

// Close compacts the log if worthwhile (dead records outnumber live ones and
// the file exceeds 64 KiB), closes it and releases the lock. The lock is
// released even if compaction fails.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	var err error
	if l.err == nil && l.worthCompacting() {
		err = l.rewrite()
	}
	l.closed = true
	if cerr := l.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("log: %w", cerr)
	}
	if cerr := l.lock.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("log: releasing lock: %w", cerr)
	}
	return err
}
