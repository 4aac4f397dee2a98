//go:build unix

package log

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lockPollInterval is how often a blocked Open retries the lock.
const lockPollInterval = 50 * time.Millisecond

// acquireLock takes an exclusive flock on path (created if needed) and
// writes "pid N" into it. If the lock is held elsewhere it calls waiting
// once with the holder's info and polls until the lock is free or ctx is
// done. flock locks belong to the open file description, so a second
// acquireLock in the same process also waits.
func acquireLock(ctx context.Context, path string, waiting func(holder string)) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("log: lock: %w", err)
	}
	ok, err := tryLock(f)
	if err == nil && !ok {
		if waiting != nil {
			waiting(lockHolder(f))
		}
		t := time.NewTicker(lockPollInterval)
		defer t.Stop()
		for err == nil && !ok {
			select {
			case <-ctx.Done():
				f.Close()
				return nil, fmt.Errorf("log: waiting for lock %s: %w", path, context.Cause(ctx))
			case <-t.C:
			}
			ok, err = tryLock(f)
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("log: lock %s: %w", path, err)
	}
	// Best effort: the pid is only used for "waiting for ..." messages.
	if f.Truncate(0) == nil {
		f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// tryLock attempts a non-blocking exclusive flock.
func tryLock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		default:
			return false, err
		}
	}
}

// lockHolder reads the holder info the current lock owner wrote.
func lockHolder(f *os.File) string {
	buf := make([]byte, 128)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return "unknown holder"
	}
	s := strings.TrimSpace(string(buf[:n]))
	if s == "" {
		return "unknown holder"
	}
	return s
}
