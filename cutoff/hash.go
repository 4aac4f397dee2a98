package cutoff

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zeebo/xxh3"
)

// Hash is a 128-bit xxh3 content hash.
type Hash [16]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 32 {
		return fmt.Errorf("bad hash %q", b)
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// Poisoned is recorded for an input that changed while its action ran: it
// matches no real content, so the next build runs the action again.
var Poisoned = Hash{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// Stamp is a file as last seen: size and mtime are the fast path, the
// content hash decides. Missing files have Size -1.
//
// A presence stamp (PresenceStamp) says only whether the path exists and
// as what: a file whose existence decides something, not its content
// (cargo's target auto-discovery finds src/lib.rs but does not read it).
// Its Size is -1 or 0, its Mtime 0 and its Hash the kind of file.
type Stamp struct {
	Path     string `json:"p"`
	Size     int64  `json:"s"`
	Mtime    int64  `json:"m"`
	Hash     Hash   `json:"h"`
	Presence bool   `json:"e,omitempty"`
}

// Hasher hashes files, trusting a previous stamp when size and mtime are
// unchanged. One Hasher serves one build; it is safe for concurrent use.
type Hasher struct {
	mu sync.Mutex
	// known holds a stamp per path, without the path (the key): from
	// earlier builds, trusted only if stat agrees, or verified during
	// this build (fresh). One map of path-less stamps, where there were
	// two maps of whole ones, is 60% less of a build's live heap: a
	// build plan of N invocations stamps 3N files.
	known map[string]knownStamp
	// Hashed counts files whose content was read, for tests and benchmarks.
	Hashed int
}

type knownStamp struct {
	size, mtime int64
	hash        Hash
	fresh       bool // verified during this build
}

func (k knownStamp) stamp(path string) Stamp {
	return Stamp{Path: path, Size: k.size, Mtime: k.mtime, Hash: k.hash}
}

func NewHasher() *Hasher {
	return &Hasher{known: map[string]knownStamp{}}
}

// Remember seeds the fast path with stamps recorded by an earlier build.
// A stamp verified during this build is newer and stays.
func (h *Hasher) Remember(stamps []Stamp) {
	h.mu.Lock()
	for _, s := range stamps {
		if s.Hash != Poisoned && !s.Presence && !h.known[s.Path].fresh {
			h.known[s.Path] = knownStamp{size: s.Size, mtime: s.Mtime, hash: s.Hash}
		}
	}
	h.mu.Unlock()
}

// Stamp returns the file's current stamp (Size -1 when it does not exist).
func (h *Hasher) Stamp(path string) (Stamp, error) {
	h.mu.Lock()
	if k, ok := h.known[path]; ok && k.fresh {
		h.mu.Unlock()
		return k.stamp(path), nil
	}
	h.mu.Unlock()
	return h.Refresh(path)
}

// Refresh stats (and if needed hashes) the file now, e.g. after the action
// that produces it has rewritten it.
func (h *Hasher) Refresh(path string) (Stamp, error) {
	s, err := h.look(path)
	if err == nil {
		h.store(s)
	}
	return s, err
}

// Peek is Refresh for a file nothing else in this build stamps (a
// dep-info, a source only its own action reads): the stamp is not kept.
// Kept, such stamps were two thirds of what a build plan's hasher held
// (a build plan's invocation writes a dep-info and reads a source of its
// own); a file peeked twice is hashed twice.
func (h *Hasher) Peek(path string) (Stamp, error) { return h.look(path) }

// look stamps path now, trusting a known stamp its stat agrees with.
func (h *Hasher) look(path string) (Stamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return Stamp{Path: path, Size: -1}, nil
		}
		return Stamp{}, fmt.Errorf("stat %s: %w", path, err)
	}
	s := Stamp{Path: path, Size: st.Size(), Mtime: st.ModTime().UnixNano()}
	h.mu.Lock()
	k, ok := h.known[path]
	h.mu.Unlock()
	// Only a regular file's size and mtime stand for its content; a FIFO's
	// stamp must never be trusted (see specialHash).
	if ok && st.Mode().IsRegular() && k.size == s.Size && k.mtime == s.Mtime {
		s.Hash = k.hash
	} else {
		if s.Hash, err = hashPath(path, st); err != nil {
			return Stamp{}, err
		}
		if st.Mode().IsRegular() {
			h.mu.Lock()
			h.Hashed++
			h.mu.Unlock()
		}
	}
	return s, nil
}

// StampPath stamps a path as it is now, trusting nothing remembered.
func StampPath(path string) (Stamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return Stamp{Path: path, Size: -1}, nil
		}
		return Stamp{}, fmt.Errorf("stat %s: %w", path, err)
	}
	s := Stamp{Path: path, Size: st.Size(), Mtime: st.ModTime().UnixNano()}
	s.Hash, err = hashPath(path, st)
	return s, err
}

// PresenceStamp stamps whether a path exists and whether it is a regular
// file, a directory or something else (symlinks followed), never reading
// it: cargo finds src/lib.rs with exists() and build.rs with is_file().
// A path under something that is not a directory does not exist.
func PresenceStamp(path string) (Stamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) || errors.Is(err, syscall.ENOTDIR) {
			return Stamp{Path: path, Size: -1, Presence: true}, nil
		}
		return Stamp{}, fmt.Errorf("stat %s: %w", path, err)
	}
	kind := "other"
	switch {
	case st.Mode().IsRegular():
		kind = "file"
	case st.IsDir():
		kind = "dir"
	}
	return Stamp{Path: path, Presence: true, Hash: HashStrings([]string{"presence", kind})}, nil
}

// Changed tells whether the path differs from its stamp now. A file with
// its size and mtime is taken as unchanged; a directory is listed again
// (its mtime is not trusted to catch every entry that came or went); a
// presence stamp changes only when the path comes, goes or changes kind.
func (s Stamp) Changed() bool {
	if s.Presence {
		now, err := PresenceStamp(s.Path)
		return err != nil || now.Size != s.Size || now.Hash != s.Hash
	}
	st, err := os.Stat(s.Path)
	if err != nil {
		return s.Size >= 0
	}
	if s.Size < 0 {
		return true
	}
	if st.Mode().IsRegular() && st.Size() == s.Size && st.ModTime().UnixNano() == s.Mtime {
		return false
	}
	h, err := hashPath(s.Path, st)
	return err != nil || h != s.Hash
}

// hashPath hashes a file's content, or a directory's listing: a
// rerun-if-changed directory or a target auto-discovery directory changes
// when an entry appears, vanishes or turns from file into directory; the
// files in it are stamped themselves where they matter. Only a regular
// file is read: anything else is stamped without opening it.
func hashPath(path string, st os.FileInfo) (Hash, error) {
	switch {
	case st.IsDir():
		return hashDir(path)
	case st.Mode().IsRegular():
		return hashFile(path)
	}
	return specialHash(path, st), nil
}

// fifoLooks makes each stamp of a FIFO unique within the process.
var fifoLooks atomic.Uint64

// specialHash stamps what is neither a regular file nor a directory,
// without reading it: a FIFO with no writer blocks its reader forever
// and a device like /dev/zero never ends (a build script's
// rerun-if-changed may name either).
//
// A FIFO has no content to compare, only whatever a writer sends next,
// so the sound stamp is one that never matches another: an action that
// read a FIFO is never skipped or restored from the cache. A device or a
// socket is stamped by its type and device number: its bytes are not a
// file's content that a rebuild would pick up, and /dev/null must not
// make every build rerun its reader.
func specialHash(path string, st os.FileInfo) Hash {
	mode := st.Mode()
	if mode&os.ModeNamedPipe != 0 {
		n := fifoLooks.Add(1)
		return HashStrings([]string{"fifo", path, strconv.Itoa(os.Getpid()),
			strconv.FormatInt(time.Now().UnixNano(), 10), strconv.FormatUint(n, 10)})
	}
	var rdev uint64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		rdev = uint64(sys.Rdev)
	}
	return HashStrings([]string{"special", mode.Type().String(), strconv.FormatUint(rdev, 16)})
}

// InputStamp stamps a file an action read, after it ran; one modified
// after the action started may not be what it read, so it is poisoned to
// force a re-run (as is one that is gone).
func (h *Hasher) InputStamp(path string, started time.Time) Stamp {
	return inputStamp(h.Refresh, path, started)
}

// PeekInputStamp is InputStamp for a file no other action of the build
// is expected to read (Peek).
func (h *Hasher) PeekInputStamp(path string, started time.Time) Stamp {
	return inputStamp(h.Peek, path, started)
}

func inputStamp(stamp func(string) (Stamp, error), path string, started time.Time) Stamp {
	st, err := stamp(path)
	if err != nil || st.Size < 0 {
		return Stamp{Path: path, Size: -1, Hash: Poisoned}
	}
	if st.Mtime >= started.UnixNano() {
		st.Hash = Poisoned
	}
	return st
}

func (h *Hasher) store(s Stamp) {
	h.mu.Lock()
	h.known[s.Path] = knownStamp{size: s.Size, mtime: s.Mtime, hash: s.Hash, fresh: true}
	h.mu.Unlock()
}

// fileHashers are reused: a hasher and io.Copy's buffer are 36 KB, which
// a build hashing thousands of small files would otherwise allocate each
// time (the scale benchmark: half of a build's allocations).
var fileHashers = sync.Pool{New: func() any { return &fileHasher{d: xxh3.New(), buf: make([]byte, 32<<10)} }}

type fileHasher struct {
	d   *xxh3.Hasher
	buf []byte
}

func hashFile(path string) (Hash, error) {
	f, err := os.Open(path)
	if err != nil {
		return Hash{}, fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	fh := fileHashers.Get().(*fileHasher)
	defer fileHashers.Put(fh)
	fh.d.Reset()
	// Only Read: an *os.File is an io.WriterTo, which would copy through
	// a buffer of its own.
	if _, err := io.CopyBuffer(fh.d, struct{ io.Reader }{f}, fh.buf); err != nil {
		return Hash{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return Hash(fh.d.Sum128().Bytes()), nil
}

func hashDir(path string) (Hash, error) {
	entries, err := os.ReadDir(path)
	if err != nil {
		return Hash{}, fmt.Errorf("list %s: %w", path, err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
		if e.IsDir() {
			names[i] += "/"
		}
	}
	return HashStrings(names), nil
}

// HashStrings hashes a list of strings unambiguously.
func HashStrings(parts ...[]string) Hash {
	d := xxh3.New()
	for _, list := range parts {
		for _, s := range list {
			var n [8]byte
			l := uint64(len(s))
			for i := range n {
				n[i] = byte(l >> (8 * i))
			}
			d.Write(n[:])
			d.WriteString(s)
		}
		d.WriteString("\xff")
	}
	return Hash(d.Sum128().Bytes())
}
