package log

// Crash safety: a log cut short by a torn write, with a flipped byte, or
// that is not a log at all, is repaired (or set aside as log.corrupt) by
// Open, and a writer killed with SIGKILL leaves a log whose surviving
// records are all intact. Also the helper process (the test binary
// re-executing itself) that TestKill9 and TestLockOtherProcess run.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Helper-process modes (the test binary re-executes itself).
const helperEnv = "RBUILD_LOG_TEST_HELPER"

// compactActions: the "compact" helper's actions, each put before it is
// ready; no kill may lose one.
const compactActions = 200

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode, os.Getenv("RBUILD_LOG_TEST_DIR")))
	}
	os.Exit(m.Run())
}

func helperMain(mode, dir string) int {
	l, _, err := Open(context.Background(), dir, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	switch mode {
	case "hold": // hold the lock until stdin is closed
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		if err := l.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 1
		}
		return 0
	case "append": // append forever; the parent kills us
		for i := 0; ; i++ {
			action := fmt.Sprintf("act/%d", i%1000)
			var err error
			if i%7 == 3 {
				err = l.Invalidate(action)
			} else {
				err = l.Put(Record{Action: action, Payload: selfCheckingPayload(action, i)})
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "helper:", err)
				return 1
			}
			if i == 100 {
				fmt.Println("ready")
			}
		}
	case "compact": // rewrite the log every 100 appends, forever
		for i := 0; ; i++ {
			action := fmt.Sprintf("act/%d", i%compactActions)
			if err := l.Put(Record{Action: action, Payload: selfCheckingPayload(action, i)}); err != nil {
				fmt.Fprintln(os.Stderr, "helper:", err)
				return 1
			}
			if i%100 == 99 && i > compactActions {
				fmt.Println("compacting")
				if err := l.Compact(); err != nil {
					fmt.Fprintln(os.Stderr, "helper:", err)
					return 1
				}
			}
			if i == compactActions {
				fmt.Println("ready")
			}
		}
	}
	fmt.Fprintln(os.Stderr, "helper: unknown mode", mode)
	return 2
}

// selfCheckingPayload is "action|gen|" + a gen-dependent pattern + crc32 of
// everything before it.
func selfCheckingPayload(action string, gen int) []byte {
	p := fmt.Appendf(nil, "%s|%d|", action, gen)
	for j := range gen % 2000 {
		p = append(p, byte(gen*31+j))
	}
	return binary.LittleEndian.AppendUint32(p, crc32.ChecksumIEEE(p))
}

func checkSelfCheckingPayload(action string, p []byte) error {
	if len(p) < 4 {
		return fmt.Errorf("payload too short (%d bytes)", len(p))
	}
	body, sum := p[:len(p)-4], binary.LittleEndian.Uint32(p[len(p)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return errors.New("payload checksum mismatch")
	}
	parts := bytes.SplitN(body, []byte("|"), 3)
	if len(parts) != 3 || string(parts[0]) != action {
		return fmt.Errorf("payload names action %q", parts[0])
	}
	gen, err := strconv.Atoi(string(parts[1]))
	if err != nil {
		return err
	}
	if want := selfCheckingPayload(action, gen); !bytes.Equal(p, want) {
		return fmt.Errorf("payload for gen %d has wrong pattern", gen)
	}
	return nil
}

// threeRecords writes records a, b, c and returns the file offsets where b
// and c start and the file size.
func threeRecords(t *testing.T, dir string) (bStart, cStart, end int64) {
	t.Helper()
	path := filepath.Join(dir, logName)
	l, _ := openT(t, dir)
	putT(t, l, "a", "payload-a")
	bStart = fileSize(t, path)
	putT(t, l, "b", "payload-b-"+strings.Repeat("b", 20))
	cStart = fileSize(t, path)
	putT(t, l, "c", "payload-c")
	end = fileSize(t, path)
	closeT(t, l)
	return bStart, cStart, end
}

func TestTruncatedTail(t *testing.T) {
	ref := t.TempDir()
	_, cStart, end := threeRecords(t, ref)
	orig, err := os.ReadFile(filepath.Join(ref, logName))
	if err != nil {
		t.Fatal(err)
	}
	for cut := cStart; cut < end; cut++ {
		t.Run(fmt.Sprint(cut-cStart), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, logName)
			if err := os.WriteFile(path, orig[:cut], 0o666); err != nil {
				t.Fatal(err)
			}
			l, w := openT(t, dir)
			wantState(t, l, map[string]string{"a": "payload-a", "b": "payload-b-" + strings.Repeat("b", 20)})
			if got := fileSize(t, path); got != cStart {
				t.Errorf("file size after repair = %d, want %d", got, cStart)
			}
			if damaged := cut > cStart; damaged != (len(w) == 1) {
				t.Errorf("warnings = %q for cut %d (damaged: %v)", w, cut, damaged)
			}
			putT(t, l, "d", "payload-d")
			closeT(t, l)

			l, w = openT(t, dir)
			defer closeT(t, l)
			if len(w) != 0 {
				t.Errorf("warnings after repair: %v", w)
			}
			wantState(t, l, map[string]string{"a": "payload-a", "b": "payload-b-" + strings.Repeat("b", 20), "d": "payload-d"})
		})
	}
}

func TestCorruptMiddleRecord(t *testing.T) {
	ref := t.TempDir()
	bStart, cStart, _ := threeRecords(t, ref)
	orig, err := os.ReadFile(filepath.Join(ref, logName))
	if err != nil {
		t.Fatal(err)
	}
	for off := bStart; off < cStart; off++ {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			t.Run(fmt.Sprintf("%d^%#x", off-bStart, mask), func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, logName)
				data := bytes.Clone(orig)
				data[off] ^= mask
				if err := os.WriteFile(path, data, 0o666); err != nil {
					t.Fatal(err)
				}
				l, w := openT(t, dir)
				defer closeT(t, l)
				wantState(t, l, map[string]string{"a": "payload-a"})
				if len(w) != 1 {
					t.Errorf("warnings = %q, want one", w)
				}
				if got := fileSize(t, path); got != bStart {
					t.Errorf("file size after repair = %d, want %d", got, bStart)
				}
			})
		}
	}
}

func TestGarbageFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 5000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	future := header()
	future[len(magic)] = version + 1
	tests := []struct {
		name     string
		data     []byte
		wantWarn bool
	}{
		{"random bytes", random, true},
		{"empty file", nil, true},
		{"truncated header", []byte("RBLO"), true},
		{"bad magic", []byte("NINJA\x00\x01\x00" + "more stuff here"), true},
		{"future version header only", future, true},
		{"future version with records", append(bytes.Clone(future), appendRecord(nil, kindPut, "a", []byte("x"))...), true},
		{"valid header only", header(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, logName)
			if err := os.WriteFile(path, tt.data, 0o666); err != nil {
				t.Fatal(err)
			}
			l, w := openT(t, dir)
			wantState(t, l, map[string]string{})
			if got := len(w) == 1; got != tt.wantWarn {
				t.Fatalf("warnings = %q, want warning: %v", w, tt.wantWarn)
			}
			corrupt, err := os.ReadFile(filepath.Join(dir, corruptName))
			if tt.wantWarn {
				if err != nil || !bytes.Equal(corrupt, tt.data) {
					t.Errorf("log.corrupt = %q, %v; want the original file", corrupt, err)
				}
				if !strings.Contains(w[0], corruptName) {
					t.Errorf("warning %q does not mention %s", w[0], corruptName)
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Errorf("log.corrupt exists for a valid log (err %v)", err)
			}
			putT(t, l, "a", "1")
			closeT(t, l)
			l, w = openT(t, dir)
			defer closeT(t, l)
			if len(w) != 0 {
				t.Errorf("warnings after reset: %v", w)
			}
			wantState(t, l, map[string]string{"a": "1"})
		})
	}
}

func helperCmd(t *testing.T, mode, dir string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "RBUILD_LOG_TEST_DIR="+dir)
	cmd.Stderr = os.Stderr
	return cmd
}

// waitLine starts cmd and waits for it to print want on stdout.
func waitLine(t *testing.T, cmd *exec.Cmd, want string) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, out)
	}()
	select {
	case got := <-line:
		if got != want {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper printed %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper did not print %q", want)
	}
}

func TestKill9(t *testing.T) {
	dir := t.TempDir()
	cmd := helperCmd(t, "append", dir)
	waitLine(t, cmd, "ready")
	time.Sleep(100 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die from SIGKILL: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, w, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeT(t, l)
	actions := l.Actions()
	t.Logf("%d live actions, %d records, %d bytes; warnings %q", len(actions), l.records, l.size, w)
	if len(actions) == 0 {
		t.Fatal("no records survived")
	}
	for _, a := range actions {
		r, _ := l.Get(a)
		if err := checkSelfCheckingPayload(a, r.Payload); err != nil {
			t.Errorf("record %q: %v", a, err)
		}
	}
	// The log keeps working after recovery.
	putT(t, l, "act/after", "x")
}

// kill -9 while the log is rewritten: the helper compacts every 100
// appends and says so just before; each kill comes a random 0–3 ms after
// that (a compaction here takes about that long, most of it in fsync),
// half of them in its first 300 µs, where the file is written and
// renamed. Every action the helper put must survive, intact.
func TestKill9DuringCompaction(t *testing.T) {
	for i := range 100 {
		dir := t.TempDir()
		cmd := helperCmd(t, "compact", dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		for n := 1 + rand.IntN(3); n > 0 && lines.Scan(); {
			if lines.Text() == "compacting" {
				n--
			}
		}
		d := time.Duration(rand.IntN(3000)) * time.Microsecond
		if i%2 == 0 {
			d /= 10
		}
		time.Sleep(d)
		cmd.Process.Signal(syscall.SIGKILL)
		go io.Copy(io.Discard, out)
		cmd.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		l, w, err := Open(ctx, dir, nil)
		cancel()
		if err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		actions := l.Actions()
		if len(actions) != compactActions || len(w) != 0 {
			t.Errorf("kill %d, %v after a compaction began: %d of %d actions survived; warnings %q", i, d, len(actions), compactActions, w)
		}
		for _, a := range actions {
			r, _ := l.Get(a)
			if err := checkSelfCheckingPayload(a, r.Payload); err != nil {
				t.Errorf("kill %d: record %q: %v", i, a, err)
			}
		}
		closeT(t, l)
	}
}
