package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// ErrJobserverClosed is returned by Acquire once the jobserver is closed.
var ErrJobserverClosed = errors.New("jobserver closed")

// Token is a job slot obtained from Acquire and handed back with Release.
// The zero Token holds nothing; releasing it is a no-op.
type Token struct {
	b        byte // the byte read from the pipe (written back on Release)
	valid    bool
	implicit bool // the implicit token of the process itself
}

// Jobserver is the server side of a GNU make jobserver (the protocol that
// cargo offers to rustc and build scripts through CARGO_MAKEFLAGS): a pipe
// holding n-1 token bytes plus one implicit token owned by this process.
//
// Tokens taken from the pipe by children are invisible to us; the pipe is the
// single source of truth, so the limit holds across this process and every
// client it configured.
type Jobserver struct {
	r, w *os.File // blocking pipe ends, close-on-exec in this process

	mu           sync.Mutex
	cond         *sync.Cond // signalled when waiters or closed change
	implicitFree bool
	waiters      []*jsWaiter // FIFO of Acquire calls waiting for a token
	reading      bool        // the reader goroutine is (about to be) blocked in read(2)
	closed       bool
	stop         chan struct{} // closed on Close or on a fatal read error
	stopErr      error
}

type jsWaiter struct {
	ch chan Token // buffered 1; filled under j.mu when the waiter is dequeued
}

// NewJobserver makes a pipe holding n-1 tokens (the caller's own job holds the
// implicit token). n must be at least 1.
//
// The pipe is blocking (no O_NONBLOCK): clients such as rustc's jobserver
// crate and cc-rs share the open file description and expect blocking reads.
// Both ends are close-on-exec here; Configure passes them to children
// explicitly.
func NewJobserver(n int) (*Jobserver, error) {
	if n < 1 {
		return nil, fmt.Errorf("jobserver: need at least 1 job, got %d", n)
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("jobserver: pipe: %w", err)
	}
	j := &Jobserver{
		r:            os.NewFile(uintptr(p[0]), "jobserver-r"),
		w:            os.NewFile(uintptr(p[1]), "jobserver-w"),
		implicitFree: true,
		stop:         make(chan struct{}),
	}
	j.cond = sync.NewCond(&j.mu)
	if n > 1 {
		// GNU make uses '+' tokens; clients must write back what they read.
		buf := make([]byte, n-1)
		for i := range buf {
			buf[i] = '+'
		}
		for len(buf) > 0 {
			m, err := j.w.Write(buf)
			if err != nil {
				j.r.Close()
				j.w.Close()
				return nil, fmt.Errorf("jobserver: filling pipe: %w", err)
			}
			buf = buf[m:]
		}
	}
	go j.reader()
	return j, nil
}

// reader is the only goroutine that reads from the pipe. It reads one byte at
// a time, and only while some Acquire is waiting, so that idle tokens stay in
// the pipe for the children. A byte read after its waiter went away is
// written straight back.
func (j *Jobserver) reader() {
	var buf [1]byte
	for {
		j.mu.Lock()
		for len(j.waiters) == 0 && !j.closed {
			j.cond.Wait()
		}
		if j.closed {
			j.mu.Unlock()
			return
		}
		j.reading = true
		j.mu.Unlock()

		n, err := j.r.Read(buf[:])

		j.mu.Lock()
		j.reading = false
		if j.closed {
			j.mu.Unlock()
			return
		}
		if err != nil || n != 1 {
			if err == nil {
				err = errors.New("unexpected end of pipe")
			}
			j.stopLocked(fmt.Errorf("jobserver: read: %w", err))
			j.mu.Unlock()
			return
		}
		if len(j.waiters) > 0 {
			w := j.waiters[0]
			j.waiters = j.waiters[1:]
			w.ch <- Token{b: buf[0], valid: true}
		} else {
			j.writeToken(buf[0])
		}
		j.mu.Unlock()
	}
}

func (j *Jobserver) stopLocked(err error) {
	if j.stopErr == nil {
		j.stopErr = err
		close(j.stop)
	}
}

func (j *Jobserver) writeToken(b byte) {
	// A 1-byte write to a pipe is atomic; it only blocks if the pipe is full,
	// which n-1 tokens (n far below the pipe capacity) never make it.
	_, _ = j.w.Write([]byte{b})
}

// Acquire blocks until a job slot is free. The first concurrent holder gets
// the implicit token; others read one byte from the pipe (competing fairly
// with the children). It returns ctx.Err() if ctx ends first, and
// ErrJobserverClosed after Close.
func (j *Jobserver) Acquire(ctx context.Context) (Token, error) {
	if err := ctx.Err(); err != nil {
		return Token{}, err
	}
	j.mu.Lock()
	if j.stopErr != nil {
		err := j.stopErr
		j.mu.Unlock()
		return Token{}, err
	}
	if j.implicitFree {
		j.implicitFree = false
		j.mu.Unlock()
		return Token{valid: true, implicit: true}, nil
	}
	w := &jsWaiter{ch: make(chan Token, 1)}
	j.waiters = append(j.waiters, w)
	j.cond.Signal()
	j.mu.Unlock()

	select {
	case t := <-w.ch:
		return t, nil
	case <-ctx.Done():
		j.abandon(w)
		return Token{}, ctx.Err()
	case <-j.stop:
		j.abandon(w)
		j.mu.Lock()
		err := j.stopErr
		j.mu.Unlock()
		return Token{}, err
	}
}

// abandon withdraws a waiter; if it was served meanwhile, its token is given
// back.
func (j *Jobserver) abandon(w *jsWaiter) {
	j.mu.Lock()
	for i, x := range j.waiters {
		if x == w {
			j.waiters = append(j.waiters[:i], j.waiters[i+1:]...)
			j.mu.Unlock()
			return
		}
	}
	j.mu.Unlock()
	// Dequeued, so a token was sent (under j.mu, before dequeueing finished).
	j.Release(<-w.ch)
}

// Release gives a slot back: a pipe token's byte is written back to the pipe,
// the implicit token is handed to the next waiter or marked free.
func (j *Jobserver) Release(t Token) {
	if !t.valid {
		return
	}
	if !t.implicit {
		j.writeToken(t.b)
		return
	}
	j.mu.Lock()
	if len(j.waiters) > 0 {
		w := j.waiters[0]
		j.waiters = j.waiters[1:]
		w.ch <- t
		// The reader may still be blocked on behalf of w; whatever it reads
		// later finds no waiter and goes back to the pipe.
	} else {
		j.implicitFree = true
	}
	j.mu.Unlock()
}

// makeFlags returns the CARGO_MAKEFLAGS value for a client that has the read
// end at fd r and the write end at fd w.
func makeFlags(r, w int) string {
	return fmt.Sprintf("-j --jobserver-fds=%d,%d --jobserver-auth=%d,%d", r, w, r, w)
}

// Configure makes cmd a jobserver client: it appends the two pipe ends to
// cmd.ExtraFiles and sets CARGO_MAKEFLAGS in cmd.Env (which must already be
// non-nil; a later duplicate entry wins in os/exec, so an inherited value is
// overridden).
func (j *Jobserver) Configure(cmd *exec.Cmd) {
	rfd := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, j.r, j.w)
	cmd.Env = append(cmd.Env, "CARGO_MAKEFLAGS="+makeFlags(rfd, rfd+1))
}

// Close stops the jobserver: pending and later Acquire calls fail with
// ErrJobserverClosed, and the pipe ends are closed (children already started
// keep their own copies).
func (j *Jobserver) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.stopLocked(ErrJobserverClosed)
	reading := j.reading
	j.cond.Broadcast()
	j.mu.Unlock()
	if reading {
		// A blocked read(2) can't be interrupted by close(2): feed it a
		// byte. (os.File defers the real close of r until Read returns.)
		j.writeToken('+')
	}
	err1 := j.w.Close()
	err2 := j.r.Close()
	return errors.Join(err1, err2)
}
