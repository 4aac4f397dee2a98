package executor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func newTestJobserver(t *testing.T, n int) *Jobserver {
	t.Helper()
	j, err := NewJobserver(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// checkJobserverTokens verifies that exactly n slots are available (n-1 in the pipe
// plus the implicit one), and that all of them end up back in the pipe.
func checkJobserverTokens(t *testing.T, j *Jobserver, n int) {
	t.Helper()
	var toks []Token
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		tok, err := j.Acquire(ctx)
		cancel()
		if err != nil {
			t.Fatalf("acquiring slot %d of %d: %v", i+1, n, err)
		}
		toks = append(toks, tok)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	if tok, err := j.Acquire(ctx); err == nil {
		j.Release(tok)
		t.Errorf("acquired %d slots, want only %d", n+1, n)
	}
	cancel()
	for _, tok := range toks {
		j.Release(tok)
	}
	// The reader goroutine may briefly hold a byte it read for the abandoned
	// waiter above before writing it back: poll.
	deadline := time.Now().Add(5 * time.Second)
	for {
		avail, err := unix.IoctlGetInt(int(j.r.Fd()), unix.TIOCINQ) // TIOCINQ == FIONREAD on Linux
		if err != nil {
			t.Fatal(err)
		}
		if avail == n-1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes in the pipe, want %d", avail, n-1)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestJobserverBadN(t *testing.T) {
	if _, err := NewJobserver(0); err == nil {
		t.Fatal("NewJobserver(0) succeeded")
	}
}

func TestJobserverLimit(t *testing.T) {
	const n = 3
	j := newTestJobserver(t, n)
	checkJobserverTokens(t, j, n)

	var cur, peak, total atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				tok, err := j.Acquire(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				c := cur.Add(1)
				for {
					p := peak.Load()
					if c <= p || peak.CompareAndSwap(p, c) {
						break
					}
				}
				if i%10 == 0 {
					time.Sleep(50 * time.Microsecond)
				}
				total.Add(1)
				cur.Add(-1)
				j.Release(tok)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > n || p < 1 {
		t.Errorf("peak concurrency %d, want 1..%d", p, n)
	}
	if total.Load() != 64*100 {
		t.Errorf("total %d", total.Load())
	}
	t.Logf("peak concurrency %d", peak.Load())
	checkJobserverTokens(t, j, n)
}

func TestJobserverSingleSlot(t *testing.T) {
	j := newTestJobserver(t, 1)
	a, err := j.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan Token)
	go func() {
		b, err := j.Acquire(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	select {
	case <-got:
		t.Fatal("second Acquire succeeded while the only slot is held")
	case <-time.After(50 * time.Millisecond):
	}
	j.Release(a) // hands the implicit slot to the waiter
	select {
	case b := <-got:
		j.Release(b)
	case <-time.After(5 * time.Second):
		t.Fatal("waiter not woken by Release of the implicit token")
	}
	checkJobserverTokens(t, j, 1)
}

func TestJobserverCancel(t *testing.T) {
	const n = 2
	j := newTestJobserver(t, n)
	var held []Token
	for i := 0; i < n; i++ {
		tok, err := j.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tok)
	}

	// Deadline.
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	_, err := j.Acquire(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancellation took %v", d)
	}

	// Explicit cancel from another goroutine.
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := j.Acquire(ctx)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Acquire did not return after cancel")
	}

	// Already-cancelled context never takes a slot.
	for _, tok := range held {
		j.Release(tok)
	}
	if _, err := j.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want Canceled", err)
	}
	checkJobserverTokens(t, j, n)
}

// Cancellations racing with deliveries must not lose or duplicate tokens.
func TestJobserverCancelRace(t *testing.T) {
	const n = 4
	j := newTestJobserver(t, n)
	var cur atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration((g+i)%7)*20*time.Microsecond)
				tok, err := j.Acquire(ctx)
				cancel()
				if err != nil {
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Error(err)
						return
					}
					continue
				}
				if c := cur.Add(1); c > n {
					t.Errorf("%d concurrent holders", c)
				}
				time.Sleep(10 * time.Microsecond)
				cur.Add(-1)
				j.Release(tok)
			}
		}(g)
	}
	wg.Wait()
	checkJobserverTokens(t, j, n)
}

func TestJobserverClose(t *testing.T) {
	j, err := NewJobserver(1)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := j.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := j.Acquire(context.Background())
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrJobserverClosed) {
			t.Fatalf("got %v, want ErrJobserverClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("pending Acquire not failed by Close")
	}
	j.Release(tok) // harmless after Close
	if _, err := j.Acquire(context.Background()); !errors.Is(err, ErrJobserverClosed) {
		t.Fatalf("got %v after Close", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestJobserverConfigure(t *testing.T) {
	j := newTestJobserver(t, 2)
	cmd := exec.Command("true")
	cmd.Env = []string{"CARGO_MAKEFLAGS=stale", "PATH=/bin"}
	cmd.ExtraFiles = []*os.File{os.Stdin}
	j.Configure(cmd)
	if len(cmd.ExtraFiles) != 3 || cmd.ExtraFiles[1] != j.r || cmd.ExtraFiles[2] != j.w {
		t.Fatalf("ExtraFiles = %v", cmd.ExtraFiles)
	}
	want := "CARGO_MAKEFLAGS=-j --jobserver-fds=4,5 --jobserver-auth=4,5"
	if got := cmd.Env[len(cmd.Env)-1]; got != want {
		t.Fatalf("env %q, want %q", got, want)
	}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
}

// parseJobserverAuth extracts R,W from a CARGO_MAKEFLAGS value, as the
// jobserver crate does (last --jobserver-auth or --jobserver-fds wins).
func parseJobserverAuth(flags string) (r, w int, err error) {
	var spec string
	for _, f := range strings.Fields(flags) {
		for _, p := range []string{"--jobserver-fds=", "--jobserver-auth="} {
			if s, ok := strings.CutPrefix(f, p); ok {
				spec = s
			}
		}
	}
	rs, ws, ok := strings.Cut(spec, ",")
	if !ok {
		return 0, 0, fmt.Errorf("no jobserver fds in %q", flags)
	}
	if r, err = strconv.Atoi(rs); err != nil {
		return 0, 0, err
	}
	if w, err = strconv.Atoi(ws); err != nil {
		return 0, 0, err
	}
	return r, w, nil
}

// TestJobserverHelperProcess is not a real test: it is the child process of
// TestJobserverChild. It takes a token, reports it, waits for stdin to close,
// and puts the token back.
func TestJobserverHelperProcess(t *testing.T) {
	if os.Getenv("RBUILD_JOBSERVER_HELPER") != "1" {
		t.Skip("helper process")
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	r, w, err := parseJobserverAuth(os.Getenv("CARGO_MAKEFLAGS"))
	if err != nil {
		fail(err)
	}
	rf, wf := os.NewFile(uintptr(r), "r"), os.NewFile(uintptr(w), "w")
	if rf == nil || wf == nil {
		fail(errors.New("bad fds"))
	}
	var b [1]byte
	if _, err := io.ReadFull(rf, b[:]); err != nil {
		fail(err)
	}
	fmt.Printf("acquired %q fds=%d,%d\n", b[0], r, w)
	io.Copy(io.Discard, os.Stdin)
	if _, err := wf.Write(b[:]); err != nil {
		fail(err)
	}
	fmt.Println("released")
	os.Exit(0)
}

func TestJobserverChild(t *testing.T) {
	const n = 2
	j := newTestJobserver(t, n)
	mine, err := j.Acquire(context.Background()) // the implicit slot
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestJobserverHelperProcess$")
	cmd.Env = append(os.Environ(), "RBUILD_JOBSERVER_HELPER=1")
	cmd.ExtraFiles = []*os.File{os.Stderr} // shifts the jobserver fds to 4,5
	j.Configure(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		cmd.Wait()
		t.Fatalf("no output from child; stderr: %s", stderr.String())
	}
	if got, want := lines.Text(), `acquired '+' fds=4,5`; got != want {
		t.Fatalf("child said %q, want %q", got, want)
	}

	// The child holds the only pipe token and we hold the implicit one.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	if tok, err := j.Acquire(ctx); err == nil {
		j.Release(tok)
		t.Fatal("acquired a slot while the child holds it")
	}
	cancel()

	got := make(chan error, 1)
	go func() {
		tok, err := j.Acquire(context.Background())
		if err == nil {
			j.Release(tok)
		}
		got <- err
	}()
	stdin.Close() // let the child release its token
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("token released by the child never arrived")
	}
	if !lines.Scan() || lines.Text() != "released" {
		t.Errorf("child's last line %q", lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v; stderr: %s", err, stderr.String())
	}
	j.Release(mine)
	checkJobserverTokens(t, j, n)
}

// TestJobserverRustc checks that a real rustc accepts our jobserver (it warns
// "failed to connect to jobserver" when the fds are invalid or not a pipe).
func TestJobserverRustc(t *testing.T) {
	rustc, err := exec.LookPath("rustc")
	if err != nil {
		t.Skip("rustc not on PATH")
	}
	if testing.Short() {
		t.Skip("short")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "lib.rs")
	if err := os.WriteFile(src, []byte("pub fn f() -> u32 { 1 }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 4
	j := newTestJobserver(t, n)
	cmd := exec.Command(rustc, "--crate-type=lib", "--crate-name=jstest",
		"-Ccodegen-units=4", "--out-dir", dir, src)
	cmd.Env = os.Environ()
	j.Configure(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rustc: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("jobserver")) {
		t.Fatalf("rustc complained about the jobserver:\n%s", out)
	}
	checkJobserverTokens(t, j, n)
}
