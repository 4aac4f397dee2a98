package cache

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"rbuild/internal/atomicfile"
)

var (
	// ErrMiss: no entry for the key.
	ErrMiss = errors.New("cache miss")
	// ErrCorrupt: the entry failed its checks and was dropped.
	ErrCorrupt = errors.New("cache entry corrupt")
)

// touchEvery bounds how often a hit rewrites an entry's last-use time.
const touchEvery = time.Hour

// Store is an open cache root. It is safe for concurrent use, and several
// processes may use one root at once.
type Store struct {
	root string // .../v1
	lock *rwLock
}

// Entry is one cached action result.
type Entry struct {
	Key     string          `json:"key"`
	Files   []File          `json:"files"`
	Meta    json.RawMessage `json:"meta,omitempty"` // the caller's, opaque here
	Created int64           `json:"created"`        // unix seconds
	// Sum is the SHA-256 of the entry encoded with Sum empty: a torn or
	// edited entry.json is dropped like a corrupt file.
	Sum string `json:"sum"`

	lastUse time.Time
	dir     string
}

// File is one stored file: its name inside the entry, and what it must be.
type File struct {
	Name       string `json:"name"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
	Executable bool   `json:"exec,omitempty"`
}

// Digest is the file's REAPI digest, as the remote tier names blobs.
func (f File) Digest() Digest { return Digest{Hash: f.SHA256, Size: f.Size} }

// Modes of what the cache makes: its owner's alone. An entry's meta holds
// paths and environment values, and its files are the owner's compiled
// code, which nobody else should read, let alone replace.
const (
	privateDir  = 0o700
	privateFile = 0o600
	privateExec = 0o700
)

// privateMode is the mode a stored file gets: executable for its owner if
// the source was executable by anyone, else read-write for its owner.
func privateMode(src os.FileMode) os.FileMode {
	if src&0o111 != 0 {
		return privateExec
	}
	return privateFile
}

// Open opens (creating it if needed) the cache below dir.
func Open(dir string) (*Store, error) {
	root := filepath.Join(dir, "v1")
	for _, d := range []string{"entries", "tmp", "trash"} {
		if err := os.MkdirAll(filepath.Join(root, d), privateDir); err != nil {
			return nil, fmt.Errorf("artifact cache: %w", err)
		}
	}
	// A cache made by an rbuild that left it open to everyone is closed
	// here: with v1 private, nothing below it can be reached by others,
	// whatever the modes of the older entries. dir itself may be a
	// directory of the user's (cache.dir), so it is left as it is.
	if st, err := os.Stat(root); err == nil && st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(root, privateDir); err != nil {
			return nil, fmt.Errorf("artifact cache: making %s private: %w", root, err)
		}
	}
	return &Store{root: root, lock: &rwLock{path: filepath.Join(root, "lock")}}, nil
}

// Dir is the cache root given to Open.
func (s *Store) Dir() string { return filepath.Dir(s.root) }

// ValidKey: keys name directories, so only lowercase hex is accepted.
func ValidKey(key string) bool {
	if len(key) < 16 || len(key) > 128 {
		return false
	}
	for _, c := range key {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (s *Store) entryDir(key string) string {
	return filepath.Join(s.root, "entries", key[:2], key)
}

// Lookup reads the entry for key without taking a lock. ErrMiss if there
// is none; ErrCorrupt (entry dropped) if its record does not check out.
func (s *Store) Lookup(key string) (*Entry, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("artifact cache: invalid key %q", key)
	}
	dir := s.entryDir(key)
	data, err := os.ReadFile(filepath.Join(dir, "entry.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrMiss
	}
	if err != nil {
		return nil, fmt.Errorf("artifact cache: %w", err)
	}
	e, err := decodeEntry(data)
	if err != nil || e.Key != key {
		s.drop(dir)
		return nil, ErrCorrupt
	}
	e.dir = dir
	if st, err := os.Stat(filepath.Join(dir, "entry.json")); err == nil {
		e.lastUse = st.ModTime()
	}
	return e, nil
}

func decodeEntry(data []byte) (*Entry, error) {
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	if e.Sum != e.sum() {
		return nil, errors.New("checksum mismatch")
	}
	for _, f := range e.Files {
		if !validName(f.Name) || len(f.SHA256) != 64 || f.Size < 0 {
			return nil, fmt.Errorf("bad file record %q", f.Name)
		}
	}
	return &e, nil
}

// validName keeps entry file names inside the entry directory.
func validName(n string) bool {
	return n != "" && n != "entry.json" && n != "." && n != ".." && !strings.ContainsAny(n, "/\\\x00")
}

func (e *Entry) sum() string {
	c := *e
	c.Sum = ""
	data, _ := json.Marshal(&c)
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// Materialize places the entry's files at dst (file name → destination
// path), each checked against its size and SHA-256. The cache's copy is
// shared where the file system allows (reflink, else hard link) and copied
// otherwise; a destination is always replaced by rename, never written in
// place. A file that does not check out drops the entry: ErrCorrupt.
func (s *Store) Materialize(e *Entry, dst map[string]string) error {
	if err := s.lock.rlock(); err != nil {
		return err
	}
	defer s.lock.runlock()
	for _, f := range e.Files {
		to, ok := dst[f.Name]
		if !ok {
			continue
		}
		err := placeFile(filepath.Join(e.dir, f.Name), to, f)
		if errors.Is(err, errMismatch) {
			s.drop(e.dir)
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, f.Name, err)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return ErrMiss // pruned under us: build instead
		}
		if err != nil {
			return fmt.Errorf("artifact cache: %w", err)
		}
	}
	if time.Since(e.lastUse) > touchEvery {
		now := time.Now()
		os.Chtimes(filepath.Join(e.dir, "entry.json"), now, now)
	}
	return nil
}

// Publish stores files (name → source path) under key with meta, unless
// an entry for key exists (replace: the caller found that one wrong, and
// it goes). Concurrent publishers of one key race on one rename; the
// losers delete their copies. A nil Entry means another build's stayed.
func (s *Store) Publish(key string, files map[string]string, meta []byte, replace bool) (*Entry, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("artifact cache: invalid key %q", key)
	}
	if _, err := os.Stat(filepath.Join(s.entryDir(key), "entry.json")); err == nil {
		if !replace {
			return nil, nil
		}
		s.drop(s.entryDir(key))
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), key[:8]+"-")
	if err != nil {
		return nil, fmt.Errorf("artifact cache: %w", err)
	}
	e, err := s.stage(tmp, key, files, meta)
	var won bool
	if err == nil {
		won, err = s.commit(tmp, key)
	}
	if err != nil || !won {
		os.RemoveAll(tmp)
		return nil, err
	}
	return e, nil
}

// PublishStaged is Publish for files already written into a directory made
// by NewStaging (the remote tier downloads straight into it).
func (s *Store) PublishStaged(tmp, key string, files []File, meta []byte) (*Entry, error) {
	e := &Entry{Key: key, Files: files, Meta: meta, Created: time.Now().Unix()}
	if err := writeEntry(tmp, e); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if won, err := s.commit(tmp, key); err != nil || !won {
		os.RemoveAll(tmp)
		if err == nil {
			return s.Lookup(key)
		}
		return nil, err
	}
	e.dir = s.entryDir(key)
	return e, nil
}

// NewStaging makes a private directory for an entry being assembled.
func (s *Store) NewStaging() (string, error) {
	return os.MkdirTemp(filepath.Join(s.root, "tmp"), "stage-")
}

func (s *Store) stage(tmp, key string, files map[string]string, meta []byte) (*Entry, error) {
	e := &Entry{Key: key, Meta: meta, Created: time.Now().Unix()}
	for name, src := range files {
		if !validName(name) {
			return nil, fmt.Errorf("artifact cache: bad file name %q", name)
		}
		f, err := copyIn(src, filepath.Join(tmp, name))
		if err != nil {
			return nil, fmt.Errorf("artifact cache: store %s: %w", src, err)
		}
		f.Name = name
		e.Files = append(e.Files, f)
	}
	sortFiles(e.Files)
	if err := writeEntry(tmp, e); err != nil {
		return nil, err
	}
	e.dir = s.entryDir(key)
	return e, nil
}

func writeEntry(dir string, e *Entry) error {
	e.Sum = e.sum()
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "entry.json"), data, privateFile); err != nil {
		return fmt.Errorf("artifact cache: %w", err)
	}
	return nil
}

// commit renames a complete staging dir into place; won is false when
// another build published the key first (the caller deletes tmp).
func (s *Store) commit(tmp, key string) (won bool, err error) {
	if err := s.lock.rlock(); err != nil {
		return false, err
	}
	defer s.lock.runlock()
	dst := s.entryDir(key)
	if err := os.MkdirAll(filepath.Dir(dst), privateDir); err != nil {
		return false, fmt.Errorf("artifact cache: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		if _, serr := os.Stat(filepath.Join(dst, "entry.json")); serr == nil {
			return false, nil
		}
		return false, fmt.Errorf("artifact cache: publish: %w", err)
	}
	s.addSize(dirSize(dst))
	return true, nil
}

// drop moves an entry out of the way (it is deleted with the trash).
func (s *Store) drop(dir string) {
	if err := os.Rename(dir, filepath.Join(s.root, "trash", randName(filepath.Base(dir)))); err == nil {
		s.emptyTrash()
	}
}

func (s *Store) emptyTrash() {
	ents, _ := os.ReadDir(filepath.Join(s.root, "trash"))
	for _, e := range ents {
		os.RemoveAll(filepath.Join(s.root, "trash", e.Name()))
	}
}

func randName(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// sizeMu serialises this process's updates of the size file; other
// processes' updates can interleave, which only makes it approximate.
var sizeMu sync.Mutex

func (s *Store) addSize(n int64) {
	sizeMu.Lock()
	defer sizeMu.Unlock()
	cur := s.ApproxSize()
	writeSize(s.root, cur+n)
}

// ApproxSize is the running total kept for the automatic trim; Stats
// walks the entries for the exact figure.
func (s *Store) ApproxSize() int64 {
	data, err := os.ReadFile(filepath.Join(s.root, "size"))
	if err != nil {
		return 0
	}
	var n int64
	fmt.Sscan(string(data), &n)
	return n
}

func writeSize(root string, n int64) {
	atomicfile.Write(filepath.Join(root, "size"), []byte(fmt.Sprint(max(n, 0))), privateFile)
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// Path is where the entry keeps the named file (for uploading it).
func (e *Entry) Path(name string) string { return filepath.Join(e.dir, name) }
