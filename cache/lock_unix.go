//go:build unix

package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// rwLock is the cache's multi-reader/single-writer lock: an flock on one
// file, shared by every build that copies out or publishes, exclusive for
// prune and clear. flock belongs to an open file, so this process's
// readers share one descriptor and count themselves.
type rwLock struct {
	path    string
	mu      sync.Mutex
	readers int
	f       *os.File
	// blocked, if set, is called once when a waiting writer finds the
	// lock held (Store.OnBlocked).
	blocked func()
}

func (l *rwLock) rlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.readers > 0 {
		l.readers++
		return nil
	}
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, privateFile)
	if err != nil {
		return fmt.Errorf("artifact cache lock: %w", err)
	}
	if err := flock(f, syscall.LOCK_SH); err != nil {
		f.Close()
		return fmt.Errorf("artifact cache lock: %w", err)
	}
	l.f, l.readers = f, 1
	return nil
}

func (l *rwLock) runlock() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.readers--; l.readers == 0 {
		l.f.Close() // releases the flock
		l.f = nil
	}
}

// exclusive takes the lock for a writer, waiting until ctx is done; with
// wait false it gives up at once (ok false) if any reader holds it.
func (l *rwLock) exclusive(ctx context.Context, wait bool) (release func(), ok bool, err error) {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, privateFile)
	if err != nil {
		return nil, false, fmt.Errorf("artifact cache lock: %w", err)
	}
	for told := false; ; {
		err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, true, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, false, fmt.Errorf("artifact cache lock: %w", err)
		}
		if !wait {
			f.Close()
			return nil, false, nil
		}
		if !told && l.blocked != nil {
			l.blocked()
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, false, fmt.Errorf("artifact cache lock: %w", context.Cause(ctx))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
