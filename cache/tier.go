package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Tier is one level of the artifact cache as a build sees it: the local
// Store, the Remote, and Tiered (both in one) all store and return whole
// entries, so one conformance suite can hold them to the same contract.
//
// Keys are lowercase hex (rbuild's are SHA-256, the one form every tier
// accepts); a malformed key is an error, never a miss. meta is the caller's
// JSON; it comes back byte for byte when given compact (as json.Marshal
// writes it).
type Tier interface {
	// Get places the files of key's entry in dir, each checked against its
	// recorded size and SHA-256, and returns the entry; its Path(name) is
	// then under dir. dir is the caller's scratch directory: on an error
	// none of the entry's names is left in it. ErrMiss when there is no
	// usable entry; a file that fails its check is an error (ErrCorrupt
	// from the local store, a fault from the remote), never a hit.
	Get(ctx context.Context, key, dir string) (*Entry, error)
	// Put stores files (name → source path) under key with meta. When key
	// already has an entry the tier keeps one of the two whole: a Get
	// never mixes their files or meta.
	Put(ctx context.Context, key string, files map[string]string, meta []byte) error
}

var (
	_ Tier = (*Store)(nil)
	_ Tier = (*Remote)(nil)
	_ Tier = (*Tiered)(nil)
)

// Get is Tier's Get: Lookup and Materialize into dir. A copy in dir may be
// a hard link to the cache's file (see Materialize), so the caller must
// replace it rather than write into it.
func (s *Store) Get(ctx context.Context, key, dir string) (*Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("artifact cache: %w", err)
	}
	e, err := s.Lookup(key)
	if err != nil {
		return nil, err
	}
	return s.materializeIn(e, dir)
}

// materializeIn restores e into dir and returns it as living there.
func (s *Store) materializeIn(e *Entry, dir string) (*Entry, error) {
	dst := make(map[string]string, len(e.Files))
	for _, f := range e.Files {
		dst[f.Name] = filepath.Join(dir, f.Name)
	}
	if err := s.Materialize(e, dst); err != nil {
		// Files placed before the failing one passed their checks, but a
		// partial entry is of no use to anyone and must not look like one.
		for _, p := range dst {
			os.Remove(p)
		}
		return nil, err
	}
	c := *e
	c.dir = dir
	return &c, nil
}

// Put is Tier's Put: Publish without replace, so an entry already stored
// stays (another build made the same action's outputs).
func (s *Store) Put(ctx context.Context, key string, files map[string]string, meta []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("artifact cache: %w", err)
	}
	_, err := s.Publish(key, files, meta, false)
	return err
}

// Get is Tier's Get: the action result and its blobs, downloaded into dir
// (the meta blob becomes the entry's Meta and is not left there). An entry
// rbuild did not write, or whose blobs are gone, is ErrMiss.
func (r *Remote) Get(ctx context.Context, key, dir string) (*Entry, error) {
	files, meta, err := r.getEntry(ctx, key, dir)
	if err != nil {
		return nil, err
	}
	return &Entry{Key: key, Files: files, Meta: meta, dir: dir}, nil
}

// Put is Tier's Put: hash the files and upload them as an entry (see
// putEntry for the order). A read-only remote stores nothing and says so
// by returning nil, as its other uploads do.
func (r *Remote) Put(ctx context.Context, key string, files map[string]string, meta []byte) error {
	if err := checkHex("action key", key); err != nil {
		return err
	}
	if r.ReadOnly() {
		return nil
	}
	recs := make([]File, 0, len(files))
	for name, src := range files {
		if !validName(name) || name == MetaBlob {
			return fmt.Errorf("remote cache: bad file name %q", name)
		}
		f, err := hashFile(src)
		if err != nil {
			return fmt.Errorf("remote cache: uploading %s: %w", src, err)
		}
		f.Name = name
		recs = append(recs, f)
	}
	sortFiles(recs)
	return r.putEntry(ctx, key, recs, func(name string) string { return files[name] }, meta)
}

// getEntry downloads key's action result and its blobs into dir.
func (r *Remote) getEntry(ctx context.Context, key, dir string) ([]File, []byte, error) {
	ar, err := r.entryResult(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	return r.getBlobs(ctx, key, ar, dir)
}

// entryResult fetches key's action result; a failed action's is a miss
// (rbuild stores only successful compiles).
func (r *Remote) entryResult(ctx context.Context, key string) (*ActionResult, error) {
	ar, err := r.GetActionResult(ctx, key)
	if err != nil {
		return nil, err
	}
	if ar == nil || ar.ExitCode != 0 {
		return nil, ErrMiss
	}
	return ar, nil
}

// getBlobs downloads the blobs ar names into dir. Only a result shaped as
// putEntry writes it is accepted: a path with a slash, a name the local
// store reserves, or no meta blob means another tool's entry, which is a
// miss, and so is a blob gone from the server or one that fails its
// digest. On any error the blobs it wrote are removed.
func (r *Remote) getBlobs(ctx context.Context, key string, ar *ActionResult, dir string) (files []File, meta []byte, err error) {
	var written []string
	defer func() {
		if err != nil {
			for _, p := range written {
				os.Remove(p)
			}
		}
	}()
	for _, of := range ar.OutputFiles {
		name := filepath.Base(of.Path)
		if name != of.Path || name == "entry.json" || name == "." || name == ".." {
			return nil, nil, ErrMiss
		}
		dst := filepath.Join(dir, name)
		if err := r.GetBlob(ctx, of.Digest, dst); err != nil {
			if errors.Is(err, ErrNotFound) || errors.Is(err, ErrDigestMismatch) {
				// A blob that failed its digest was reported by GetBlob;
				// the entry is then as good as absent.
				return nil, nil, ErrMiss
			}
			return nil, nil, err
		}
		written = append(written, dst)
		if name == MetaBlob {
			meta, err = os.ReadFile(dst)
			os.Remove(dst)
			if err != nil {
				return nil, nil, fmt.Errorf("remote cache: reading the meta of %s: %w", key, err)
			}
			continue
		}
		if of.Executable {
			// GetBlob leaves 0600; the entry's record is what says exec.
			os.Chmod(dst, 0o700)
		}
		files = append(files, File{Name: name, Size: of.Digest.Size, SHA256: of.Digest.Hash, Executable: of.Executable})
	}
	if meta == nil {
		return nil, nil, ErrMiss
	}
	return files, meta, nil
}

// putEntry uploads an entry's files (each read from path(name)), then meta
// as the blob MetaBlob, then the action result naming them all: in that
// order so that a reader never finds a result whose blobs are missing.
func (r *Remote) putEntry(ctx context.Context, key string, files []File, path func(name string) string, meta []byte) error {
	if err := checkHex("action key", key); err != nil {
		return err
	}
	ar := &ActionResult{}
	for _, f := range files {
		if f.Name == MetaBlob {
			// It would come back as the meta and the file would be lost.
			return fmt.Errorf("remote cache: an entry's file may not be named %s", MetaBlob)
		}
		if err := r.PutBlob(ctx, f.Digest(), path(f.Name)); err != nil {
			return err
		}
		ar.OutputFiles = append(ar.OutputFiles, OutputFile{Path: f.Name, Digest: f.Digest(), Executable: f.Executable})
	}
	tmp, err := os.CreateTemp("", "rbuild-meta-*")
	if err != nil {
		return fmt.Errorf("remote cache: uploading the meta of %s: %w", key, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(meta)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("remote cache: uploading the meta of %s: %w", key, err)
	}
	d, err := FileDigest(tmp.Name())
	if err != nil {
		return fmt.Errorf("remote cache: uploading the meta of %s: %w", key, err)
	}
	if err := r.PutBlob(ctx, d, tmp.Name()); err != nil {
		return err
	}
	ar.OutputFiles = append(ar.OutputFiles, OutputFile{Path: MetaBlob, Digest: d})
	return r.PutActionResult(ctx, key, ar)
}
