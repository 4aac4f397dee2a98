package log

// Tests of the log's API (round trips, compaction, concurrent use, the
// directory lock) and the helpers every test of the package shares.
// Recovery from damaged files and from a killed writer, and the
// helper-process machinery, are in log_crash_test.go.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openT(t testing.TB, dir string) (*Log, []string) {
	t.Helper()
	l, warnings, err := Open(context.Background(), dir, func(h string) {
		t.Errorf("unexpected wait for lock holder %q", h)
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l, warnings
}

func closeT(t testing.TB, l *Log) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func putT(t testing.TB, l *Log, action, payload string) {
	t.Helper()
	if err := l.Put(Record{Action: action, Payload: []byte(payload)}); err != nil {
		t.Fatalf("Put(%q): %v", action, err)
	}
}

// crash simulates the process dying: descriptors are closed without
// compaction or any other cleanup.
func crash(l *Log) {
	l.f.Close()
	l.lock.Close()
}

// state returns all live records as action -> payload.
func state(l *Log) map[string]string {
	m := map[string]string{}
	for _, a := range l.Actions() {
		r, ok := l.Get(a)
		if !ok {
			panic("Actions returned " + a + " but Get does not find it")
		}
		m[a] = string(r.Payload)
	}
	return m
}

func wantState(t *testing.T, l *Log, want map[string]string) {
	t.Helper()
	got := state(l)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("state = %v, want %v", got, want)
	}
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// fileRecords parses dir/log independently of a Log: number of records and
// live state.
func fileRecords(t *testing.T, dir string) (int, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	if p := checkHeader(data); p != "" {
		t.Fatalf("log file %s", p)
	}
	live := map[string]span{}
	good, n := replay(data, live)
	if good != int64(len(data)) {
		t.Fatalf("log file has %d bytes of garbage at the end", int64(len(data))-good)
	}
	m := map[string]string{}
	for k, s := range live {
		m[k] = string(data[s.off : s.off+int64(s.n)])
	}
	return n, m
}

type op struct {
	kind    string // "put", "inv", "reopen", "crash"
	action  string
	payload string
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ops  []op
		want map[string]string
	}{
		{"empty", nil, map[string]string{}},
		{"put", []op{{"put", "a", "1"}, {"put", "b", ""}}, map[string]string{"a": "1", "b": ""}},
		{"overwrite", []op{{"put", "a", "1"}, {"reopen", "", ""}, {"put", "a", "2"}}, map[string]string{"a": "2"}},
		{"overwrite same payload", []op{{"put", "a", "1"}, {"put", "a", "2"}, {"put", "a", "1"}}, map[string]string{"a": "1"}},
		{"invalidate", []op{{"put", "a", "1"}, {"put", "b", "2"}, {"reopen", "", ""}, {"inv", "a", ""}}, map[string]string{"b": "2"}},
		{"invalidate missing", []op{{"put", "a", "1"}, {"inv", "zz", ""}}, map[string]string{"a": "1"}},
		{"put after invalidate", []op{{"put", "a", "1"}, {"inv", "a", ""}, {"reopen", "", ""}, {"put", "a", "3"}}, map[string]string{"a": "3"}},
		{"invalidate then crash", []op{{"put", "a", "1"}, {"put", "b", "2"}, {"reopen", "", ""}, {"inv", "a", ""}, {"crash", "", ""}}, map[string]string{"b": "2"}},
		{"put then crash", []op{{"put", "a", "1"}, {"crash", "", ""}, {"put", "a", "2"}, {"crash", "", ""}}, map[string]string{"a": "2"}},
		{"binary", []op{{"put", "x\x00y\n", "\x00\xff\x01"}, {"put", strings.Repeat("long", 100), strings.Repeat("p", 70000)}},
			map[string]string{"x\x00y\n": "\x00\xff\x01", strings.Repeat("long", 100): strings.Repeat("p", 70000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			l, _ := openT(t, dir)
			model := map[string]string{}
			for _, o := range tt.ops {
				switch o.kind {
				case "put":
					putT(t, l, o.action, o.payload)
					model[o.action] = o.payload
				case "inv":
					if err := l.Invalidate(o.action); err != nil {
						t.Fatal(err)
					}
					delete(model, o.action)
					if _, ok := l.Get(o.action); ok {
						t.Fatalf("Get(%q) after Invalidate found a record", o.action)
					}
				case "reopen":
					closeT(t, l)
					l, _ = openT(t, dir)
				case "crash":
					crash(l)
					var w []string
					l, w = openT(t, dir)
					if len(w) != 0 {
						t.Fatalf("warnings after crash between records: %v", w)
					}
				}
				wantState(t, l, model)
			}
			closeT(t, l)
			l, w := openT(t, dir)
			defer closeT(t, l)
			if len(w) != 0 {
				t.Errorf("warnings: %v", w)
			}
			wantState(t, l, tt.want)
		})
	}
}

func TestGetReturnsCopy(t *testing.T) {
	l, _ := openT(t, t.TempDir())
	defer closeT(t, l)
	p := []byte("abc")
	if err := l.Put(Record{Action: "a", Payload: p}); err != nil {
		t.Fatal(err)
	}
	p[0] = 'X' // caller reuses its buffer
	r, _ := l.Get("a")
	r.Payload[1] = 'Y'
	if r2, _ := l.Get("a"); string(r2.Payload) != "abc" {
		t.Fatalf("payload = %q, want %q", r2.Payload, "abc")
	}
}

func TestMisuse(t *testing.T) {
	l, _ := openT(t, t.TempDir())
	if err := l.Put(Record{Action: ""}); err == nil {
		t.Error("Put with empty action succeeded")
	}
	closeT(t, l)
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := l.Put(Record{Action: "a"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v, want ErrClosed", err)
	}
	if err := l.Invalidate("a"); !errors.Is(err, ErrClosed) {
		t.Errorf("Invalidate after Close: %v, want ErrClosed", err)
	}
	if err := l.Compact(); !errors.Is(err, ErrClosed) {
		t.Errorf("Compact after Close: %v, want ErrClosed", err)
	}
}

func TestCompact(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, logName)
	l, _ := openT(t, dir)
	want := map[string]string{}
	for gen := range 5 {
		for i := range 100 {
			a, p := fmt.Sprintf("action-%03d", i), fmt.Sprintf("gen %d of %d", gen, i)
			putT(t, l, a, p)
			want[a] = p
		}
	}
	for i := 0; i < 100; i += 3 {
		a := fmt.Sprintf("action-%03d", i)
		if err := l.Invalidate(a); err != nil {
			t.Fatal(err)
		}
		delete(want, a)
	}
	before := fileSize(t, path)
	if err := l.Compact(); err != nil {
		t.Fatal(err)
	}
	after := fileSize(t, path)
	if after >= before/4 {
		t.Errorf("compaction shrank %d -> %d bytes, want < 1/4", before, after)
	}
	n, onDisk := fileRecords(t, dir)
	if n != len(want) || fmt.Sprint(onDisk) != fmt.Sprint(want) {
		t.Errorf("after Compact the file has %d records %v, want exactly the %d live ones %v", n, onDisk, len(want), want)
	}
	wantState(t, l, want)
	if _, err := os.Stat(filepath.Join(dir, tmpName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp file left behind: %v", err)
	}

	// The log stays usable for appends after compaction.
	putT(t, l, "action-000", "after compaction")
	want["action-000"] = "after compaction"
	closeT(t, l)
	l, w := openT(t, dir)
	defer closeT(t, l)
	if len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	wantState(t, l, want)
}

// TestPutSamePayloadAppendsNothing: a payload Put again is recognised
// wherever the log keeps it: in the bytes Open read, in the file after an
// append, in the file after a compaction.
func TestPutSamePayloadAppendsNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, logName)
	l, _ := openT(t, dir)
	putT(t, l, "loaded", "one")
	closeT(t, l)
	l, _ = openT(t, dir)
	defer closeT(t, l)
	putT(t, l, "appended", "two")
	for _, step := range []string{"after appends", "after compaction"} {
		if step == "after compaction" {
			if err := l.Compact(); err != nil {
				t.Fatal(err)
			}
		}
		size := fileSize(t, path)
		putT(t, l, "loaded", "one")
		putT(t, l, "appended", "two")
		if now := fileSize(t, path); now != size {
			t.Errorf("%s: putting the same payloads again grew the log %d -> %d bytes", step, size, now)
		}
		// Same length, another payload: appended.
		putT(t, l, "appended", "twO")
		if now := fileSize(t, path); now == size {
			t.Errorf("%s: a changed payload of the same length was not appended", step)
		}
		putT(t, l, "appended", "two")
		wantState(t, l, map[string]string{"loaded": "one", "appended": "two"})
	}
}

func TestCloseCompactsWhenWorthwhile(t *testing.T) {
	big := strings.Repeat("x", 1000)
	tests := []struct {
		name        string
		live, gens  int
		payload     string
		wantCompact bool
	}{
		{"small file, mostly dead", 10, 10, "x", false},
		{"big file, mostly dead", 20, 10, big, true},
		{"big file, dead == live", 100, 2, big, false},
		{"big file, no dead", 200, 1, big, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			l, _ := openT(t, dir)
			for gen := range tt.gens {
				for i := range tt.live {
					putT(t, l, fmt.Sprint(i), fmt.Sprint(gen, tt.payload))
				}
			}
			path := filepath.Join(dir, logName)
			before, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			// Compacting early when it is worthwhile leaves Close
			// nothing to do: the file it leaves is the one closed.
			if err := l.CompactIfWorthwhile(); err != nil {
				t.Fatal(err)
			}
			early, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if compacted := !os.SameFile(before, early); compacted != tt.wantCompact {
				t.Errorf("compacted early = %v, want %v", compacted, tt.wantCompact)
			}
			closeT(t, l)
			if after, err := os.Stat(path); err != nil || !os.SameFile(early, after) || after.ModTime() != early.ModTime() {
				t.Errorf("Close changed the file after CompactIfWorthwhile (%v)", err)
			}
			after, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			// Compaction replaces the file by rename.
			if compacted := !os.SameFile(before, after); compacted != tt.wantCompact {
				t.Errorf("compacted = %v, want %v", compacted, tt.wantCompact)
			}
			n, _ := fileRecords(t, dir)
			want := tt.live * tt.gens
			if tt.wantCompact {
				want = tt.live
			}
			if n != want {
				t.Errorf("file has %d records, want %d", n, want)
			}
		})
	}
}

func TestConcurrentPut(t *testing.T) {
	dir := t.TempDir()
	l, _ := openT(t, dir)
	const workers, perWorker = 8, 300
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				a := fmt.Sprintf("w%d/%d", w, i)
				if err := l.Put(Record{Action: a, Payload: []byte(a + "=payload")}); err != nil {
					t.Error(err)
					return
				}
				if r, ok := l.Get(a); !ok || string(r.Payload) != a+"=payload" {
					t.Errorf("Get(%q) = %q, %v right after Put", a, r.Payload, ok)
				}
				if i%50 == 0 {
					l.Actions()
				}
			}
		})
	}
	wg.Wait()
	closeT(t, l)

	l, w := openT(t, dir)
	defer closeT(t, l)
	if len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	if n := len(l.Actions()); n != workers*perWorker {
		t.Fatalf("%d actions after reopen, want %d", n, workers*perWorker)
	}
	for w := range workers {
		for i := range perWorker {
			a := fmt.Sprintf("w%d/%d", w, i)
			if r, ok := l.Get(a); !ok || string(r.Payload) != a+"=payload" {
				t.Fatalf("Get(%q) = %q, %v", a, r.Payload, ok)
			}
		}
	}
}

func TestLockWaitsForClose(t *testing.T) {
	dir := t.TempDir()
	l1, _ := openT(t, dir)
	putT(t, l1, "a", "from first")

	waited := make(chan string, 2)
	opened := make(chan *Log, 1)
	go func() {
		l2, _, err := Open(context.Background(), dir, func(h string) { waited <- h })
		if err != nil {
			t.Error(err)
		}
		opened <- l2
	}()

	select {
	case h := <-waited:
		if want := fmt.Sprintf("pid %d", os.Getpid()); h != want {
			t.Errorf("holder = %q, want %q", h, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second Open did not call waiting")
	}
	select {
	case <-opened:
		t.Fatal("second Open returned while the first Log is still open")
	case <-time.After(200 * time.Millisecond):
	}
	closeT(t, l1)
	var l2 *Log
	select {
	case l2 = <-opened:
	case <-time.After(5 * time.Second):
		t.Fatal("second Open did not proceed after Close")
	}
	if l2 == nil {
		return
	}
	defer closeT(t, l2)
	if len(waited) != 0 {
		t.Error("waiting called more than once")
	}
	wantState(t, l2, map[string]string{"a": "from first"})
}

func TestLockCancel(t *testing.T) {
	dir := t.TempDir()
	l1, _ := openT(t, dir)
	defer closeT(t, l1)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	calls := 0
	start := time.Now()
	l2, _, err := Open(ctx, dir, func(string) { calls++ })
	elapsed := time.Since(start)
	if err == nil {
		l2.Close()
		t.Fatal("Open succeeded while the lock is held")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if calls != 1 {
		t.Errorf("waiting called %d times, want 1", calls)
	}
	if elapsed > time.Second {
		t.Errorf("Open returned %v after the deadline, want promptly", elapsed-100*time.Millisecond)
	}
}

func TestLockOtherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := helperCmd(t, "hold", dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	waitLine(t, cmd, "locked")

	var holder string
	go func() {
		time.Sleep(300 * time.Millisecond)
		stdin.Close() // let the helper Close and exit
	}()
	l, _, err := Open(context.Background(), dir, func(h string) { holder = h })
	if err != nil {
		t.Fatal(err)
	}
	defer closeT(t, l)
	if want := fmt.Sprintf("pid %d", cmd.Process.Pid); holder != want {
		t.Errorf("holder = %q, want %q", holder, want)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("helper: %v", err)
	}
}

func BenchmarkOpen10k(b *testing.B) {
	dir := b.TempDir()
	l, _ := openT(b, dir)
	for i := range 10000 {
		p := fmt.Appendf(nil, "fingerprint-%064x", i)
		if err := l.Put(Record{Action: fmt.Sprintf("compile crate-%05d lib x86_64-unknown-linux-gnu", i), Payload: p}); err != nil {
			b.Fatal(err)
		}
	}
	closeT(b, l)
	b.ReportMetric(float64(fileSize(b, filepath.Join(dir, logName))), "file-bytes")
	for b.Loop() {
		l, _ := openT(b, dir)
		if len(l.live) != 10000 {
			b.Fatalf("%d records", len(l.live))
		}
		closeT(b, l)
	}
}
