package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// errMismatch: a stored file is not what its entry says.
var errMismatch = errors.New("content does not match its recorded hash")

// placeFile puts the stored file src at to and checks it. The destination
// is a new file renamed over to: a hard link to the cache must never be
// opened for writing, and a reader of to sees the old or the new file.
func placeFile(src, to string, f File) error {
	dir := filepath.Dir(to)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, randName("."+filepath.Base(to)))
	if err := cloneOrLink(src, tmp); err != nil {
		return err
	}
	got, err := hashFile(tmp)
	if err == nil && (got.Size != f.Size || got.SHA256 != f.SHA256) {
		err = fmt.Errorf("%w (%d bytes, sha256 %.12s…; recorded %d, %.12s…)", errMismatch, got.Size, got.SHA256, f.Size, f.SHA256)
	}
	if err == nil {
		err = os.Rename(tmp, to)
	}
	// Also after a rename: when to already was a link to the same stored
	// file, rename(2) succeeds and leaves tmp in place.
	os.Remove(tmp)
	return err
}

// cloneOrLink shares src's blocks with a new file dst: a reflink (its own
// inode, copy-on-write), else a hard link, else a copy.
func cloneOrLink(src, dst string) error {
	if reflink(src, dst) == nil {
		return nil
	}
	if err := os.Link(src, dst); err == nil {
		return nil
	} else if _, serr := os.Stat(src); serr != nil {
		return serr
	}
	_, err := copyFile(src, dst, nil)
	return err
}

// copyIn stores src at dst as an independent file (reflink or copy, never
// a hard link: the build may later overwrite its own file) and hashes it.
// The copy is private to the owner (privateMode): it is the cache's.
func copyIn(src, dst string) (File, error) {
	if reflink(src, dst) == nil {
		f, err := hashFile(dst)
		if err == nil {
			// The clone has src's mode; it is still in the private
			// staging directory, so nobody could open it meanwhile.
			err = os.Chmod(dst, privateMode(modeOf(f)))
		}
		return f, err
	}
	return copyFile(src, dst, privateMode)
}

// modeOf is the source mode a File record implies, for privateMode.
func modeOf(f File) os.FileMode {
	if f.Executable {
		return 0o755
	}
	return 0o644
}

// copyFile copies src to a new file dst, hashing as it goes. dst gets
// mode(src's mode), or src's mode when mode is nil.
func copyFile(src, dst string, mode func(os.FileMode) os.FileMode) (File, error) {
	created := false
	f, err := hashCopy(src, func(perm os.FileMode) (*os.File, error) {
		if mode != nil {
			perm = mode(perm)
		}
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		created = err == nil
		return out, err
	})
	if err != nil && created {
		os.Remove(dst) // ours, half written; never another's file
	}
	return f, err
}

func hashFile(path string) (File, error) { return hashCopy(path, nil) }

// hashCopy reads path through, hashing it, and writes it into the file
// create makes (given path's permissions), if create is not nil.
func hashCopy(path string, create func(perm os.FileMode) (*os.File, error)) (File, error) {
	in, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	var w io.Writer = h
	var out *os.File
	if create != nil {
		if out, err = create(st.Mode().Perm()); err != nil {
			return File{}, err
		}
		w = io.MultiWriter(out, h)
	}
	n, err := io.Copy(w, in)
	if out != nil {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return File{}, err
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Executable: st.Mode()&0o111 != 0}, nil
}

func sortFiles(fs []File) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
}
