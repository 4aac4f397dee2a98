package build

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"rbuild/cargometa"
	"rbuild/executor"
	"rbuild/graph"
	"rbuild/internal/atomicfile"
)

// messages shows what rustc said and what a build made in the form
// --message-format asks for: cargo's lines for people on stderr, or
// cargo's JSON records on Options.Messages. It also keeps each action's
// diagnostics, so that a unit rbuild does not recompile (fresh, cut off,
// restored from the cache) still shows the warnings of its last compile,
// as cargo replays them for fresh units: an editor must never lose a
// warning because of a cutoff.
type messages struct {
	format MessageFormat
	out    io.Writer
	status *executor.Status
	color  bool
	dir    string // where each action's last diagnostics are kept

	mu   sync.Mutex
	ran  map[*cargometa.Unit]bool // an action of the unit ran or was restored
	done map[*cargometa.Unit]bool // its artifact record was written
	// shown: the action's diagnostics were shown in this build. A repair
	// may run an action that was skipped earlier in the same build; its
	// warnings, already replayed, are not shown twice.
	shown map[graph.ActionID]bool
	// replays are the diagnostics shown for skipped actions, in order: a
	// no-op snapshot keeps them, to show them again without a build.
	replays  []Replay
	writeErr error
}

// Replay is one skipped action's kept diagnostics, shown again.
type Replay struct {
	File    string `json:"file"`    // the action's kept diagnostics
	Subject string `json:"subject"` // "`foo` (lib)", for cargo's warning count
}

func newMessages(opt *Options, rbuildDir string) *messages {
	m := &messages{format: opt.MessageFormat, out: opt.Messages, status: opt.Status, color: opt.Color,
		dir: filepath.Join(rbuildDir, "messages"), ran: map[*cargometa.Unit]bool{}, done: map[*cargometa.Unit]bool{},
		shown: map[graph.ActionID]bool{}}
	if m.out == nil {
		m.out = io.Discard
	}
	return m
}

// records: cargo's JSON records go to Messages; diagnostics too unless
// json-render-diagnostics shows them to people instead.
func (m *messages) records() bool { return m.format.JSON }

func (m *messages) diagnosticRecords() bool { return m.format.JSON && !m.format.RenderDiagnostics }

// live is the executor's hook for the diagnostics of a's run, as rustc
// prints them.
func (m *messages) live(a *graph.Action, u *cargometa.Unit) func(executor.RustcMsg) {
	return func(d executor.RustcMsg) {
		if !m.wasShown(a) {
			m.diagnostic(u, d)
		}
	}
}

func (m *messages) wasShown(a *graph.Action) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.shown[a.ID]
}

// replayList is what the build replayed, for the no-op snapshot.
func (m *messages) replayList() []Replay {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.replays)
}

func (m *messages) diagnostic(u *cargometa.Unit, d executor.RustcMsg) {
	if !m.diagnosticRecords() {
		executor.PrintDiagnostic(m.status, d.Rendered, m.color)
		return
	}
	msg, err := m.messageJSON(d.Raw)
	if err != nil {
		return // not JSON after all: the executor classified it wrongly
	}
	m.write(compilerMessage{Reason: "compiler-message", PackageID: u.J.PkgID, ManifestPath: u.Pkg.ManifestPath,
		Target: targetOf(u), Message: msg})
}

// messageJSON is rustc's diagnostic as cargo passes it on: whole, with
// the colours taken out of "rendered" unless they were asked for.
func (m *messages) messageJSON(raw string) (json.RawMessage, error) {
	raw = strings.TrimRight(raw, "\r\n")
	if m.format.ANSI {
		return json.RawMessage(raw), nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		return nil, err
	}
	var rendered *string
	if r, ok := fields["rendered"]; ok && json.Unmarshal(r, &rendered) == nil && rendered != nil {
		fields["rendered"] = mustJSON(executor.StripANSI(*rendered))
	}
	return mustJSON(fields), nil
}

// actionDone is told of every action of a unit that finished (ran, or
// was restored from the cache) or was skipped. It keeps or replays the
// action's diagnostics, prints cargo's warning count, and writes the
// unit's records once its last action is done.
func (m *messages) actionDone(a *graph.Action, u *cargometa.Unit, res *executor.Result, scripts *scriptOutputs) {
	var diags []executor.RustcMsg
	if res == nil {
		diags = m.load(a)
	} else {
		diags = res.Diagnostics
		m.store(a, diags)
	}
	subject := fmt.Sprintf("`%s` (%s)", u.Pkg.Name, targetDescription(u))
	m.mu.Lock()
	already := m.shown[a.ID]
	m.shown[a.ID] = true
	if res == nil && len(diags) > 0 && !already {
		m.replays = append(m.replays, Replay{File: m.file(a), Subject: subject})
	}
	m.mu.Unlock()
	if !already {
		if res == nil || res.Restored {
			for _, d := range diags {
				m.diagnostic(u, d)
			}
		}
		m.warningCount(subject, diags)
	}
	m.recordUnit(a, u, res != nil, scripts)
}

// warningCount is cargo's line after a unit's warnings, for people.
func (m *messages) warningCount(subject string, diags []executor.RustcMsg) {
	warningCount(m.format, m.status, subject, diags)
}

func warningCount(f MessageFormat, st *executor.Status, subject string, diags []executor.RustcMsg) {
	if n := countLevel(diags, "warning"); n > 0 && (!f.JSON || f.RenderDiagnostics) {
		st.Verb("warning", executor.WarningSummary(subject, n))
	}
}

// recordUnit writes u's record once its last action is done: fresh if
// none of its actions ran (or was restored).
func (m *messages) recordUnit(a *graph.Action, u *cargometa.Unit, ran bool, scripts *scriptOutputs) {
	m.mu.Lock()
	m.ran[u] = m.ran[u] || ran
	last := a.Kind == graph.Link || !u.SplitLink
	fresh := !m.ran[u]
	first := last && !m.done[u]
	if first {
		m.done[u] = true
	}
	m.mu.Unlock()
	if !first || !m.records() {
		return
	}
	if u.IsRun {
		bo, err := scripts.get(u)
		if err == nil {
			m.write(scriptRecord(u, bo))
		}
		return
	}
	m.write(artifactRecord(u, fresh))
}

// ReplayKept shows again, for people, the diagnostics a no-op build
// replayed (a no-op snapshot keeps the list): what that build would show.
func ReplayKept(opt Options, replays []Replay) {
	for _, r := range replays {
		diags := loadDiagnostics(r.File)
		for _, d := range diags {
			executor.PrintDiagnostic(opt.Status, d.Rendered, opt.Color)
		}
		warningCount(opt.MessageFormat, opt.Status, r.Subject, diags)
	}
}

// finished writes cargo's last record.
func (m *messages) finished(success bool) {
	if m.records() {
		m.write(buildFinished{Reason: "build-finished", Success: success})
	}
}

func (m *messages) write(v any) {
	line := mustJSON(v)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.writeErr != nil {
		return
	}
	if _, err := m.out.Write(append(line, '\n')); err != nil {
		m.writeErr = err
	}
}

// mustJSON encodes like cargo's serde_json: no HTML escaping. The values
// encoded here cannot fail to encode.
func mustJSON(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("encode message record: %v", err))
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func countLevel(diags []executor.RustcMsg, level string) int {
	n := 0
	for _, d := range diags {
		if d.Level == level {
			n++
		}
	}
	return n
}

// The diagnostics of an action's last run, one rustc JSON line each; no
// file when it had none.
func (m *messages) file(a *graph.Action) string {
	return filepath.Join(m.dir, strings.ReplaceAll(a.Name, ":", "_")+".jsonl")
}

func (m *messages) store(a *graph.Action, diags []executor.RustcMsg) {
	path := m.file(a)
	if len(diags) == 0 {
		os.Remove(path)
		return
	}
	var b bytes.Buffer
	for _, d := range diags {
		b.WriteString(strings.TrimRight(d.Raw, "\r\n"))
		b.WriteByte('\n')
	}
	if err := os.MkdirAll(m.dir, 0o755); err == nil {
		err = atomicfile.Write(path, b.Bytes(), 0o644)
	}
}

// load reads what store kept; a missing or damaged file replays nothing
// (warnings are shown again at the next compile).
func (m *messages) load(a *graph.Action) []executor.RustcMsg { return loadDiagnostics(m.file(a)) }

func loadDiagnostics(path string) []executor.RustcMsg {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []executor.RustcMsg
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for sc.Scan() {
		if d := executor.ParseRustcLine(sc.Bytes()); d.Kind == executor.MsgDiagnostic {
			out = append(out, d)
		}
	}
	return out
}

// The records, field for field as cargo 1.95 writes them
// (cargo/src/cargo/util/machine_message.rs).

type compilerMessage struct {
	Reason       string          `json:"reason"`
	PackageID    string          `json:"package_id"`
	ManifestPath string          `json:"manifest_path"`
	Target       targetJSON      `json:"target"`
	Message      json.RawMessage `json:"message"`
}

type compilerArtifact struct {
	Reason       string      `json:"reason"`
	PackageID    string      `json:"package_id"`
	ManifestPath string      `json:"manifest_path"`
	Target       targetJSON  `json:"target"`
	Profile      profileJSON `json:"profile"`
	Features     []string    `json:"features"`
	Filenames    []string    `json:"filenames"`
	Executable   *string     `json:"executable"`
	Fresh        bool        `json:"fresh"`
}

type buildScriptExecuted struct {
	Reason      string      `json:"reason"`
	PackageID   string      `json:"package_id"`
	LinkedLibs  []string    `json:"linked_libs"`
	LinkedPaths []string    `json:"linked_paths"`
	Cfgs        []string    `json:"cfgs"`
	Env         [][2]string `json:"env"`
	OutDir      string      `json:"out_dir"`
}

type buildFinished struct {
	Reason  string `json:"reason"`
	Success bool   `json:"success"`
}

type targetJSON struct {
	Kind             []string `json:"kind"`
	CrateTypes       []string `json:"crate_types"`
	Name             string   `json:"name"`
	SrcPath          string   `json:"src_path"`
	Edition          string   `json:"edition"`
	RequiredFeatures []string `json:"required-features,omitempty"`
	Doc              bool     `json:"doc"`
	Doctest          bool     `json:"doctest"`
	Test             bool     `json:"test"`
}

type profileJSON struct {
	OptLevel        string          `json:"opt_level"`
	Debuginfo       json.RawMessage `json:"debuginfo"`
	DebugAssertions bool            `json:"debug_assertions"`
	OverflowChecks  bool            `json:"overflow_checks"`
	Test            bool            `json:"test"`
}

func targetOf(u *cargometa.Unit) targetJSON {
	t := u.J.Target
	return targetJSON{Kind: nonNil(t.Kind), CrateTypes: nonNil(t.CrateTypes), Name: t.Name, SrcPath: *t.SrcPath,
		Edition: t.Edition, RequiredFeatures: t.RequiredFeatures, Doc: t.Doc, Doctest: t.Doctest, Test: t.Test}
}

func artifactRecord(u *cargometa.Unit, fresh bool) compilerArtifact {
	p := u.J.Profile
	// cargo writes debuginfo as its number (0, 1, 2) or its name.
	debuginfo := mustJSON(string(p.Debuginfo))
	if _, err := strconv.Atoi(string(p.Debuginfo)); err == nil {
		debuginfo = json.RawMessage(p.Debuginfo)
	}
	files, exe := artifactFiles(u)
	return compilerArtifact{Reason: "compiler-artifact", PackageID: u.J.PkgID, ManifestPath: u.Pkg.ManifestPath,
		Target: targetOf(u), Features: nonNil(u.J.Features), Filenames: files, Executable: exe, Fresh: fresh,
		Profile: profileJSON{OptLevel: p.OptLevel, Debuginfo: debuginfo, DebugAssertions: p.DebugAssertions,
			OverflowChecks: p.OverflowChecks, Test: u.TestMode}}
}

// artifactFiles are the unit's outputs where users find them (the
// uplifted copy where there is one, as cargo lists its hard links), and
// the executable, which cargo names for binaries and tests but not for
// build scripts.
func artifactFiles(u *cargometa.Unit) ([]string, *string) {
	uplifted := map[string]string{}
	for _, up := range u.Uplifts {
		uplifted[up[0]] = up[1]
	}
	files := make([]string, 0, len(u.Main))
	var exe *string
	for _, f := range u.Main {
		shown := f
		if to, ok := uplifted[f]; ok {
			shown = to
		}
		files = append(files, shown)
		if f == u.Exe && !u.IsBuildScript {
			exe = &shown
		}
	}
	if u.IsBuildScript {
		exe = nil
	}
	return files, exe
}

func scriptRecord(u *cargometa.Unit, bo *cargometa.BuildOutput) buildScriptExecuted {
	return buildScriptExecuted{Reason: "build-script-executed", PackageID: u.J.PkgID,
		LinkedLibs: nonNil(bo.LibLinks), LinkedPaths: nonNil(bo.LibPaths), Cfgs: nonNil(bo.Cfgs),
		Env: nonNilPairs(bo.Env), OutDir: u.OutDirEnv()}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilPairs(s [][2]string) [][2]string {
	if s == nil {
		return [][2]string{}
	}
	return s
}
