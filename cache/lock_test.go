package cache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestPruneWaitsForReaders: a build copying out holds the lock shared; a
// prune must neither delete under it nor, with Wait false, stall on it.
func TestPruneWaitsForReaders(t *testing.T) {
	s := openStore(t)
	key := testKey("in use")
	publish(t, s, key, map[string]string{"f": "data"})
	ctx := context.Background()

	if err := s.lock.rlock(); err != nil {
		t.Fatal(err)
	}
	res, err := s.Prune(ctx, PruneOptions{MaxSize: -1})
	if err != nil || res != (PruneResult{Skipped: true}) {
		t.Errorf("Prune under a reader = %+v, %v; want Skipped", res, err)
	}
	if res, err := s.Trim(ctx, 1, 1); err != nil || !res.Skipped {
		t.Errorf("Trim under a reader = %+v, %v; want Skipped", res, err)
	}
	// Clear always waits; with a deadline it gives up instead.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	if _, err := s.Clear(short); err == nil {
		t.Error("Clear under a reader returned before the reader let go")
	}
	cancel()

	done := make(chan PruneResult)
	go func() {
		res, err := s.Prune(ctx, PruneOptions{MaxSize: -1, Wait: true})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	select {
	case res := <-done:
		t.Fatalf("Prune(Wait) finished under a reader: %+v", res)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := s.Lookup(key); err != nil {
		t.Fatalf("entry gone while a reader held the lock: %v", err)
	}
	s.lock.runlock()
	select {
	case res := <-done:
		if res.Removed != 1 || res.Skipped {
			t.Errorf("Prune(Wait) = %+v, want 1 removed", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Prune(Wait) still blocked after the reader let go")
	}
	if _, err := s.Lookup(key); !errors.Is(err, ErrMiss) {
		t.Errorf("Lookup after prune = %v, want ErrMiss", err)
	}
}

// TestPruneOtherProcessReader: the lock is an flock, so a build in
// another process holds off a prune too.
func TestPruneOtherProcessReader(t *testing.T) {
	s := openStore(t)
	publish(t, s, testKey("other process"), map[string]string{"f": "data"})
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+s.Dir())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("helper said %q (%v), want locked", line, err)
	}

	ctx := context.Background()
	res, err := s.Prune(ctx, PruneOptions{MaxSize: -1})
	if err != nil || res != (PruneResult{Skipped: true}) {
		t.Errorf("Prune while another process reads = %+v, %v; want Skipped", res, err)
	}
	// This process may read alongside it.
	e, err := s.Lookup(testKey("other process"))
	if err != nil {
		t.Fatal(err)
	}
	assertRestores(t, s, e, map[string]string{"f": "data"})

	stdin.Close() // the helper exits, and its lock goes with it
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	res, err = s.Prune(ctx, PruneOptions{MaxSize: -1})
	if err != nil || res.Skipped || res.Removed != 1 {
		t.Errorf("Prune after the other process exited = %+v, %v; want 1 removed", res, err)
	}
}

const helperEnv = "RBUILD_CACHE_TEST_READER"

// TestHelperProcess is the other build of TestPruneOtherProcessReader: it
// takes the cache lock shared, as a build restoring from the cache does,
// and keeps it until its stdin closes.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper for TestPruneOtherProcessReader")
	}
	s, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := s.lock.rlock(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	s.lock.runlock()
	os.Exit(0)
}
