package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
)

// MetaBlob is the output file of a remote action result that carries the
// entry's meta: the Bazel protocol has no other place for it.
const MetaBlob = ".rbuild-meta.json"

// maxUploads bounds the background uploads: enough to hide a round trip's
// latency, few enough not to take the build's bandwidth or the server's
// connections.
const maxUploads = 4

// Tiered is the local store with an optional remote behind it: a local
// miss is filled from the remote, and what is published locally is
// uploaded in the background. The local store stays the only place files
// are restored from, so every hit gets its checks whatever tier it came
// from. It is safe for concurrent use.
type Tiered struct {
	store   *Store
	remote  *Remote // nil: local only
	uploads sync.WaitGroup
	sem     chan struct{}
}

// NewTiered puts remote (nil for none) behind store.
func NewTiered(store *Store, remote *Remote) *Tiered {
	return &Tiered{store: store, remote: remote, sem: make(chan struct{}, maxUploads)}
}

// Store is the local tier, for what only it does (Materialize, Trim, ...).
func (t *Tiered) Store() *Store { return t.store }

// Remote is the remote tier, nil if there is none.
func (t *Tiered) Remote() *Remote { return t.remote }

// Lookup finds key's entry in the local store, else (on ErrMiss, while the
// remote is enabled) fetches it from the remote into a new local entry;
// fromRemote says which. A corrupt local entry is not refetched: the
// caller builds and publishes over it. A remote fault has already been
// reported once by the remote, which then stays off for this process.
func (t *Tiered) Lookup(ctx context.Context, key string) (e *Entry, fromRemote bool, err error) {
	e, err = t.store.Lookup(key)
	if !errors.Is(err, ErrMiss) || t.remote == nil || !t.remote.Enabled() {
		return e, false, err
	}
	e, err = t.fromRemote(ctx, key)
	return e, err == nil, err
}

// fromRemote downloads the entry straight into a staging directory of the
// local store, so that it appears there by one rename, like any entry.
// The staging directory is made only once the remote has the result: most
// lookups that get this far are misses.
func (t *Tiered) fromRemote(ctx context.Context, key string) (*Entry, error) {
	ar, err := t.remote.entryResult(ctx, key)
	if err != nil {
		return nil, err
	}
	stage, err := t.store.NewStaging()
	if err != nil {
		return nil, fmt.Errorf("artifact cache: %w", err)
	}
	files, meta, err := t.remote.getBlobs(ctx, key, ar, stage)
	if err != nil {
		os.RemoveAll(stage)
		return nil, err
	}
	return t.store.PublishStaged(stage, key, files, meta)
}

// Publish stores files (name → source path) locally as Store.Publish does
// and, when the remote takes uploads, sends the new entry to it in the
// background; a failed upload only costs other machines a hit. Not to be
// called once Wait has started.
func (t *Tiered) Publish(key string, files map[string]string, meta []byte, replace bool) (*Entry, error) {
	e, err := t.store.Publish(key, files, meta, replace)
	if err != nil || e == nil {
		return e, err
	}
	if t.remote != nil && !t.remote.ReadOnly() {
		t.upload(key, e, meta)
	}
	return e, nil
}

// upload sends e from the local store; see Remote.putEntry for the order.
func (t *Tiered) upload(key string, e *Entry, meta []byte) {
	t.uploads.Go(func() {
		t.sem <- struct{}{}
		defer func() { <-t.sem }()
		// Errors are dropped: a fault was reported by the remote, and a
		// local file pruned meanwhile just means one entry less remotely.
		t.remote.putEntry(context.Background(), key, e.Files, e.Path, meta)
	})
}

// Wait blocks until the uploads Publish started are done (at a build's
// end, so that its entries reach the remote before the process exits).
func (t *Tiered) Wait() { t.uploads.Wait() }

// Get is Tier's Get: Lookup (local, else remote) and Materialize into dir.
func (t *Tiered) Get(ctx context.Context, key, dir string) (*Entry, error) {
	e, _, err := t.Lookup(ctx, key)
	if err != nil {
		return nil, err
	}
	return t.store.materializeIn(e, dir)
}

// Put is Tier's Put: Publish without replace. The upload goes on in the
// background; Wait for it.
func (t *Tiered) Put(ctx context.Context, key string, files map[string]string, meta []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("artifact cache: %w", err)
	}
	_, err := t.Publish(key, files, meta, false)
	return err
}
