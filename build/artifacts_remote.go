package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"rbuild/cache"
)

// metaBlob is the output file of an action result that carries the entry's
// meta (cacheMeta): the Bazel protocol has no other place for it.
const metaBlob = ".rbuild-meta.json"

// fromRemote fetches an action result and its blobs from the remote tier
// into a new local entry. A fault has already been reported once by the
// remote, which then stays off for this build.
func (art *artifacts) fromRemote(ctx context.Context, key string) (*cache.Entry, error) {
	ar, err := art.remote.GetActionResult(ctx, key)
	if err != nil {
		return nil, err
	}
	if ar == nil || ar.ExitCode != 0 {
		return nil, cache.ErrMiss
	}
	stage, err := art.store.NewStaging()
	if err != nil {
		return nil, err
	}
	var files []cache.File
	var meta []byte
	for _, of := range ar.OutputFiles {
		name := filepath.Base(of.Path)
		if name != of.Path || name == "entry.json" || name == "." || name == ".." {
			os.RemoveAll(stage)
			return nil, cache.ErrMiss // not one of ours
		}
		dst := filepath.Join(stage, name)
		if err := art.remote.GetBlob(ctx, of.Digest, dst); err != nil {
			os.RemoveAll(stage)
			if errors.Is(err, cache.ErrNotFound) {
				return nil, cache.ErrMiss
			}
			return nil, err
		}
		if name == metaBlob {
			meta, err = os.ReadFile(dst)
			os.Remove(dst)
			if err != nil {
				os.RemoveAll(stage)
				return nil, err
			}
			continue
		}
		if of.Executable {
			os.Chmod(dst, 0o755)
		}
		files = append(files, cache.File{Name: name, Size: of.Digest.Size, SHA256: of.Digest.Hash, Executable: of.Executable})
	}
	if meta == nil {
		os.RemoveAll(stage)
		return nil, cache.ErrMiss
	}
	return art.store.PublishStaged(stage, key, files, meta)
}

// upload sends a new entry to the remote tier in the background: blobs
// first, the action result last, so a reader never finds a result whose
// blobs are missing.
func (art *artifacts) upload(key string, e *cache.Entry, meta []byte) {
	art.uploads.Add(1)
	go func() {
		defer art.uploads.Done()
		art.uploadSem <- struct{}{}
		defer func() { <-art.uploadSem }()
		ctx := context.Background()
		ar := &cache.ActionResult{}
		for _, f := range e.Files {
			if err := art.remote.PutBlob(ctx, f.Digest(), e.Path(f.Name)); err != nil {
				return
			}
			ar.OutputFiles = append(ar.OutputFiles, cache.OutputFile{Path: f.Name, Digest: f.Digest(), Executable: f.Executable})
		}
		tmp, err := os.CreateTemp("", "rbuild-meta-*")
		if err != nil {
			return
		}
		defer os.Remove(tmp.Name())
		_, err = tmp.Write(meta)
		tmp.Close()
		if err != nil {
			return
		}
		d, err := cache.FileDigest(tmp.Name())
		if err != nil || art.remote.PutBlob(ctx, d, tmp.Name()) != nil {
			return
		}
		ar.OutputFiles = append(ar.OutputFiles, cache.OutputFile{Path: metaBlob, Digest: d})
		art.remote.PutActionResult(ctx, key, ar)
	}()
}
