package executor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"rbuild/graph"
)

// Work is what the executor needs from its caller. The executor schedules
// and runs; whether an action runs at all is the caller's decision
// (Prepare returning nil means "up to date").
type Work interface {
	// Prepare is called once every input of a is available.
	Prepare(ctx context.Context, a *graph.Action) (*Cmd, error)
	// Finished is called after the command exited 0, before dependents are
	// released. An error fails the action (e.g. a build script that printed
	// cargo::error).
	Finished(a *graph.Action, cmd *Cmd, r *Result) error
}

// Cmd is one process to run for an action.
type Cmd struct {
	Argv   []string
	Env    []string // the complete environment
	Dir    string
	Rustc  bool   // stderr carries rustc JSON: forward diagnostics, watch artifacts
	Verb   string // printed cargo-style when it starts ("Compiling"); "" prints nothing
	Text   string
	What   string // how a failure is described: "could not compile `foo` (lib)"
	Stdout io.Writer
	// Diagnostic, if set, receives each of rustc's diagnostics instead of
	// the status line: the caller decides how it is shown (cargo's JSON
	// records, or replayed later for a unit that is not recompiled).
	Diagnostic func(m RustcMsg)
	// Fetch, if set, may make the action's outputs without running Argv
	// (the artifact cache). It runs in the action's job slot; a nil result
	// means run Argv after all, and it must not fail the action.
	Fetch func(ctx context.Context) *Result
}

type Result struct {
	Stdout           []byte
	Stderr           []byte // non-diagnostic stderr
	Start, End       time.Time
	Early            time.Time // when the early output was announced (zero if none)
	Warnings, Errors int
	// Diagnostics are rustc's diagnostics in the order it gave them,
	// without its closing counts ("aborting due to", "N warnings
	// emitted"), which cargo replaces by lines of its own.
	Diagnostics []RustcMsg
	Restored    bool // Fetch made the outputs; no process ran
}

type Options struct {
	Jobs      int
	KeepGoing bool
	Status    *Status
	Color     bool
	Verbose   bool
	// Cost estimates each action's duration (e.g. from earlier builds) to
	// order ready work by critical path; nil counts actions instead.
	Cost func(*graph.Action) Cost
	// JobsDir, if set, records the process group of each running job, so
	// that the next Run (under the same target-dir lock) kills what the
	// jobs of a killed rbuild left running (reap.go). It must be one
	// target dir's, used by one Run at a time.
	JobsDir string
}

// Stats counts what happened, for the summary and for tests.
type Stats struct {
	Total, Ran, UpToDate, Failed, NotRun int
}

// ErrBuildFailed is returned (wrapped) when any action failed; the failure
// itself has already been reported. The error also matches syscall.ENOSPC
// when an action failed for lack of disk space.
var ErrBuildFailed = errors.New("build failed")

type event struct {
	action graph.ActionID
	file   graph.FileID // for early artifacts
	early  bool
	ran    bool
	later  *Later
	err    error
}

// Later, returned by Prepare, postpones a decision. The executor runs the
// actions in Rerun again (Prepare is asked anew for each, in dependency
// order among them), waits until every action in After and Rerun has
// finished, and then calls Prepare for the postponed action again. A
// compile that would skip uses After to wait for the finished outputs of a
// dependency whose early output released it; one that must run uses Rerun
// to repair stale dependencies before rustc loads them.
type Later struct {
	After, Rerun []graph.ActionID
}

func (l *Later) Error() string { return "postponed" }

// Run executes every action of g in dependency order with at most
// opt.Jobs processes, starting metadata-only dependents as soon as rustc
// announces the .rmeta they need.
func Run(ctx context.Context, g *graph.Graph, w Work, opt Options) (Stats, error) {
	if opt.Jobs < 1 {
		opt.Jobs = 1
	}
	js, err := NewJobserver(opt.Jobs)
	if err != nil {
		return Stats{}, fmt.Errorf("start jobserver: %w", err)
	}
	defer js.Close()
	st := opt.Status
	if st == nil {
		st = NewStatus(io.Discard, false, false)
	}
	if opt.JobsDir != "" {
		// Before any job starts: a leftover must not write into the
		// outputs of this build.
		if killed, err := reapLeftovers(opt.JobsDir); err != nil {
			st.Verb("warning", "cannot check for processes left by a killed build: "+err.Error())
		} else if killed > 0 {
			st.Verb("warning", fmt.Sprintf("killed %d process(es) that jobs of a killed build left running", killed))
		}
	}
	n := len(g.Actions)
	stats := Stats{Total: n}
	st.Total(n)
	pending := make([]int, n)
	avail := make([]bool, len(g.Files))
	for i := range g.Files {
		avail[i] = g.Files[i].Producer == graph.NoAction
	}
	for _, a := range g.Actions {
		for _, in := range a.Inputs {
			if !avail[in] {
				pending[a.ID]++
			}
		}
	}
	// The graph builds its consumer index on first use: build it now,
	// before the goroutines below (checks computing the critical path,
	// the main loop releasing consumers) read the graph at once.
	if len(g.Files) > 0 {
		g.Consumers(0)
	}
	events := make(chan event, 64)
	// At most this many freshness checks at once (hashing is CPU work too),
	// in the order their actions became ready (readyList), on as many
	// goroutines: a goroutine per ready action, waiting its turn, was tens
	// of thousands of stacks when a wide graph's leaves all became ready
	// at once. None starts while queueLimit commands wait for a slot.
	prepareMax := max(opt.Jobs, 2)
	var prepareMu sync.Mutex
	var toPrepare readyList
	preparers := 0
	running := 0
	stopping := false
	var failures int
	noSpace := false // a failure was for lack of disk space
	var wg sync.WaitGroup
	q := newRunQueue(func() []int64 { return criticalPath(g, opt.Cost) })
	var stopped atomic.Bool
	dispatchDone := make(chan struct{})
	// The dispatcher starts once every initially ready action's check is
	// counted as in flight: else the first check to finish could be run
	// before a costlier one had even been started, whatever its priority.
	initialStarted := make(chan struct{})
	go func() {
		defer close(dispatchDone)
		<-initialStarted
		for {
			if !q.wait() {
				return
			}
			tok, err := js.Acquire(ctx)
			item := q.pop()
			if err != nil || stopped.Load() {
				if err == nil {
					js.Release(tok)
					err = errNotStarted
				}
				events <- event{action: item.a.ID, err: err}
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := runCmd(ctx, g, item.a, item.cmd, js, st, opt, w, events)
				js.Release(tok)
				events <- event{action: item.a.ID, ran: true, err: err}
			}()
		}
	}()

	prepare := func(a *graph.Action) {
		cmd, err := w.Prepare(ctx, a)
		if l := (*Later)(nil); errors.As(err, &l) {
			q.preparingDone()
			events <- event{action: a.ID, later: l}
			return
		}
		if err != nil || cmd == nil {
			q.preparingDone()
			events <- event{action: a.ID, err: err}
			return
		}
		q.push(a, cmd)
	}
	start := func(a *graph.Action) {
		running++
		q.preparingStarted()
		prepareMu.Lock()
		toPrepare.push(a)
		spawn := preparers < prepareMax
		if spawn {
			preparers++
		}
		prepareMu.Unlock()
		if !spawn {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				waited := q.waitRoom()
				prepareMu.Lock()
				if waited {
					toPrepare.byPriority(q.priorityList())
				}
				if toPrepare.len() == 0 {
					preparers--
					prepareMu.Unlock()
					return
				}
				next := toPrepare.pop()
				prepareMu.Unlock()
				prepare(next)
			}
		}()
	}
	release := func(f graph.FileID) {
		if avail[f] {
			return
		}
		avail[f] = true
		for _, c := range g.Consumers(f) {
			pending[c]--
			if pending[c] == 0 && !stopping {
				start(g.Actions[c])
			}
		}
	}
	for _, a := range g.Actions {
		if pending[a.ID] == 0 {
			start(a)
		}
	}
	close(initialStarted)
	done := make([]bool, n)
	waiters := map[graph.ActionID][]graph.ActionID{} // action → postponed actions waiting for it
	waitCount := make([]int, n)
	rerunning := make([]bool, n)
	rerunPending := make([]int, n)
	// postpone parks a until l's actions are done, starting the reruns.
	postpone := func(a graph.ActionID, l *Later) {
		var fresh []graph.ActionID
		for _, r := range l.Rerun {
			if done[r] && !rerunning[r] {
				rerunning[r], done[r] = true, false
				fresh = append(fresh, r)
			}
		}
		for _, r := range fresh {
			for _, in := range g.Actions[r].Inputs {
				if p := g.Files[in].Producer; p != graph.NoAction && rerunning[p] {
					rerunPending[r]++
				}
			}
		}
		for _, r := range fresh {
			stats.Total++
			st.Total(stats.Total)
			if rerunPending[r] == 0 {
				start(g.Actions[r])
			}
		}
		for _, x := range append(append([]graph.ActionID{}, l.After...), l.Rerun...) {
			if !done[x] && !slices.Contains(waiters[x], a) {
				waiters[x] = append(waiters[x], a)
				waitCount[a]++
			}
		}
		if waitCount[a] == 0 {
			start(g.Actions[a])
		}
	}
	// finished wakes what waited for x.
	finished := func(x graph.ActionID) {
		if rerunning[x] {
			rerunning[x] = false
			for _, o := range g.Actions[x].Outputs {
				for _, c := range g.Consumers(o) {
					if rerunning[c] && rerunPending[c] > 0 {
						if rerunPending[c]--; rerunPending[c] == 0 && !stopping {
							start(g.Actions[c])
						}
					}
				}
			}
		}
		ws := waiters[x]
		delete(waiters, x)
		for _, w := range ws {
			if waitCount[w]--; waitCount[w] == 0 && !stopping {
				start(g.Actions[w])
			}
		}
	}
	for running > 0 {
		ev := <-events
		if ev.early {
			release(ev.file)
			continue
		}
		running--
		if ev.later != nil {
			if !stopping {
				postpone(ev.action, ev.later)
			}
			continue
		}
		done[ev.action] = true
		a := g.Actions[ev.action]
		st.Finished(a.Label)
		switch {
		case errors.Is(ev.err, errNotStarted):
			done[ev.action] = false
		case ev.err != nil:
			stats.Failed++
			failures++
			noSpace = noSpace || errors.Is(ev.err, syscall.ENOSPC)
			if !errors.Is(ev.err, errReported) && ctx.Err() == nil {
				st.Verb("error", ev.err.Error())
			}
			if !opt.KeepGoing || ctx.Err() != nil {
				stopping = true
				stopped.Store(true)
			}
		default:
			if ev.ran {
				stats.Ran++
			} else {
				stats.UpToDate++
			}
			for _, o := range a.Outputs {
				release(o)
			}
			finished(a.ID)
		}
	}
	q.close()
	<-dispatchDone
	wg.Wait()
	for _, d := range done {
		if !d {
			stats.NotRun++
		}
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	if failures > 0 {
		err := fmt.Errorf("%w: %d action(s) failed", ErrBuildFailed, failures)
		if noSpace {
			// The caller says so once, where it knows which disk.
			err = fmt.Errorf("%w (%w)", err, syscall.ENOSPC)
		}
		return stats, err
	}
	return stats, nil
}

// errNotStarted: a queued command dropped because the build is stopping.
var errNotStarted = errors.New("not started")

// errReported marks an error whose details were already printed.
var errReported = errors.New("reported")

type reportedError struct {
	msg     string
	noSpace bool // the command ran out of disk space (outOfSpace)
}

func (e *reportedError) Error() string { return e.msg }
func (e *reportedError) Is(t error) bool {
	return t == errReported || (e.noSpace && t == syscall.ENOSPC)
}

// outOfSpace: a failed command's output says the disk filled up: rustc's
// "No space left on device (os error 28)", LLVM's "IO failure on output
// stream: No space left on device", ar's or cc's own words, or a linker
// killed by SIGBUS (lld writes its output through a shared mapping, and a
// full file system answers a write to it with SIGBUS).
func outOfSpace(res *Result, werr error) bool {
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGBUS {
			return true
		}
	}
	says := func(text string) bool {
		return strings.Contains(strings.ToLower(text), "no space left on device") ||
			strings.Contains(text, "signal 7 [Bus error]")
	}
	if says(string(res.Stderr)) || says(string(res.Stdout)) {
		return true
	}
	for _, d := range res.Diagnostics {
		if says(d.Message) || says(d.Rendered) {
			return true
		}
	}
	return false
}

func runCmd(ctx context.Context, g *graph.Graph, a *graph.Action, c *Cmd, js *Jobserver, st *Status, opt Options, w Work, events chan<- event) error {
	st.Started(a.Label)
	if c.Fetch != nil {
		if res := c.Fetch(ctx); res != nil {
			res.Restored = true
			if c.Verb != "" {
				st.Verb("Restored", c.Text)
			}
			return w.Finished(a, c, res)
		}
	}
	if c.Verb != "" {
		st.Verb(c.Verb, c.Text)
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	// Room for the job marker: one copy of the environment, not two.
	cmd.Env = append(make([]string, 0, len(c.Env)+1), c.Env...)
	cmd.Dir = c.Dir
	// Own process group: Ctrl-C stops the whole job. Pdeathsig: if rbuild
	// itself is killed (kill -9), its rustc processes die with it rather
	// than write into the target dir under the next build.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if opt.JobsDir != "" {
		// Inherited by everything the job starts: what the next Run
		// checks before it kills a leftover (reap.go).
		cmd.Env = append(cmd.Env, jobMarkerVar+"="+jobMarker(opt.JobsDir))
	}
	js.Configure(cmd)
	var stdout bytes.Buffer
	if c.Stdout != nil {
		cmd.Stdout = io.MultiWriter(&stdout, c.Stdout)
	} else {
		cmd.Stdout = &stdout
	}
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	res := &Result{Start: time.Now()}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: cannot start %s: %w", c.What, c.Argv[0], err)
	}
	if opt.JobsDir != "" {
		defer recordJob(opt.JobsDir, cmd.Process.Pid)()
	}
	// Ctrl-C: signal the whole process group (build scripts spawn cc, …).
	stop := context.AfterFunc(ctx, func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		time.AfterFunc(3*time.Second, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	})
	defer stop()
	var stderr bytes.Buffer
	sc := bufio.NewScanner(stderrPipe)
	// Small to begin with (it grows to the longest line): one buffer per
	// process, and most print nothing. At 4 KB it was a fifth of what a
	// build plan's build allocated per process.
	sc.Buffer(make([]byte, 0, 512), 64*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if !c.Rustc {
			stderr.Write(line)
			stderr.WriteByte('\n')
			continue
		}
		m := ParseRustcLine(line)
		switch m.Kind {
		case MsgArtifact:
			if id, ok := g.Lookup(m.Artifact); ok && g.Files[id].Early && g.Files[id].Producer == a.ID {
				res.Early = time.Now()
				events <- event{action: a.ID, file: id, early: true}
			}
		case MsgDiagnostic:
			// Like cargo: rustc's own "aborting due to N errors" and "N
			// warnings emitted" are replaced by cargo's lines, and not
			// counted.
			if isClosingCount(m) {
				continue
			}
			switch {
			case strings.HasPrefix(m.Level, "error"):
				res.Errors++
			case m.Level == "warning":
				res.Warnings++
			}
			res.Diagnostics = append(res.Diagnostics, m)
			if c.Diagnostic != nil {
				c.Diagnostic(m)
			} else {
				PrintDiagnostic(st, m.Rendered, opt.Color)
			}
		case MsgFutureIncompat, MsgSectionTiming:
		default:
			st.Line(m.Raw)
			stderr.Write(line)
			stderr.WriteByte('\n')
		}
	}
	// A line over the limit (or a read error) stops the scanner. The
	// child may still be writing: drain the pipe so that it can finish,
	// since Wait waits for it and a child blocked on a full pipe never
	// exits. The action then fails even if the child exits 0: what was on
	// that line is unknown (for rustc possibly a diagnostic or an artifact
	// notice), so a record made from this output would be incomplete.
	serr := sc.Err()
	if serr != nil {
		io.Copy(io.Discard, stderrPipe)
	}
	werr := cmd.Wait()
	res.End = time.Now()
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if werr != nil {
		return &reportedError{msg: describeFailure(c, res, werr, st, opt), noSpace: outOfSpace(res, werr)}
	}
	if serr != nil {
		what := c.Argv[0]
		if c.Rustc {
			what = "rustc"
		}
		if errors.Is(serr, bufio.ErrTooLong) {
			return fmt.Errorf("%s: %s wrote a line longer than 64 MiB to stderr; its output could not be read", c.What, what)
		}
		return fmt.Errorf("%s: reading the stderr of %s: %w", c.What, what, serr)
	}
	if err := w.Finished(a, c, res); err != nil {
		return err
	}
	return nil
}

func describeFailure(c *Cmd, res *Result, werr error, st *Status, opt Options) string {
	var msg string
	if c.Rustc {
		msg = c.What
		switch {
		case res.Errors == 1:
			msg += " due to 1 previous error"
		case res.Errors > 1:
			msg += fmt.Sprintf(" due to %d previous errors", res.Errors)
		default:
			msg += ": rustc " + exitText(werr)
		}
		if res.Warnings > 0 {
			msg += "; " + countWarnings(res.Warnings) + " emitted"
		}
	} else {
		msg = c.What + ": " + exitText(werr)
		if tail := lastLines(res.Stdout, 20); tail != "" {
			msg += "\n--- stdout\n" + tail
		}
		if tail := lastLines(res.Stderr, 20); tail != "" {
			msg += "\n--- stderr\n" + tail
		}
	}
	if opt.Verbose {
		msg += "\n\nCaused by:\n  process didn't exit successfully: `" + strings.Join(c.Argv, " ") + "` (" + exitText(werr) + ")"
	}
	st.Verb("error", msg)
	return msg
}

func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by signal " + ws.Signal().String()
		}
		return fmt.Sprintf("exit status: %d", ee.ExitCode())
	}
	return err.Error()
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// isClosingCount: rustc's "aborting due to 2 previous errors" and "3
// warnings emitted", which cargo drops.
func isClosingCount(m RustcMsg) bool {
	return strings.HasPrefix(m.Message, "aborting due to") ||
		strings.HasSuffix(m.Message, " warning emitted") || strings.HasSuffix(m.Message, " warnings emitted")
}

// PrintDiagnostic shows one rendered diagnostic as cargo does: its
// colours only on a colour terminal, a blank line after it.
func PrintDiagnostic(st *Status, rendered string, color bool) {
	if rendered == "" {
		return
	}
	text := strings.TrimRight(rendered, "\n")
	if !color {
		text = StripANSI(text)
	}
	st.Line(text + "\n\n")
}

// WarningSummary is cargo's line after a unit's warnings, shown with the
// verb "warning": "`foo` (lib) generated 2 warnings".
func WarningSummary(subject string, n int) string {
	return subject + " generated " + countWarnings(n)
}

func countWarnings(n int) string {
	if n == 1 {
		return "1 warning"
	}
	return fmt.Sprintf("%d warnings", n)
}
