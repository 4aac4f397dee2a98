package build

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"rbuild/cargometa"
	"rbuild/executor"
	"rbuild/graph"
	"rbuild/internal/atomicfile"
)

// saveTimings writes what the build's timeline holds: the .ninja_log
// after every build that ran a process, and with --timings the HTML
// report, whose path it returns. Neither may fail or hold up the build:
// a failure is a one-line warning, and none at all after a build that
// failed for lack of space (quiet), which says so itself.
func (s *Session) saveTimings(w *work, quiet bool) string {
	tl := w.timeline
	if tl == nil {
		return ""
	}
	ranAny := tl.RanAny()
	if !ranAny && !s.opt.Timings {
		return ""
	}
	tm := tl.Timings(actionLabel, func(p string) string { return cargometa.RelUnder(s.plan.WsRoot, p) })
	tm.Command = "rbuild " + graph.ShellQuote(s.opt.CommandLine)
	tm.Setup = tm.Started.Sub(s.opt.Started)
	tm.Wall = time.Since(tm.Started)
	tm.Jobs = s.opt.Jobs
	if ranAny {
		var b bytes.Buffer
		err := executor.WriteNinjaLog(&b, tm)
		if err == nil {
			// Its error names the file.
			err = atomicfile.Write(filepath.Join(s.plan.RbuildDir, ".ninja_log"), b.Bytes(), 0o644)
		} else {
			err = fmt.Errorf("write .ninja_log: %w", err)
		}
		if err != nil && !quiet {
			s.opt.Status.Verb("warning", err.Error())
		}
	}
	if !s.opt.Timings {
		return ""
	}
	path, err := writeTimingReport(filepath.Join(s.plan.RbuildDir, "timings"), tm)
	if err != nil {
		s.opt.Status.Verb("warning", fmt.Sprintf("write timing report: %v", err))
		return ""
	}
	return path
}

// writeTimingReport writes a new report, named like cargo's after the
// time the build started; a second build in the same second gets a suffix
// rather than replacing the first's report.
func writeTimingReport(dir string, tm *executor.Timings) (string, error) {
	var b bytes.Buffer
	if err := executor.WriteTimingReport(&b, tm); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	stem := "rbuild-timing-" + tm.Started.Add(-tm.Setup).Format("20060102T150405")
	for n := 1; ; n++ {
		path := filepath.Join(dir, stem+".html")
		if n > 1 {
			path = filepath.Join(dir, fmt.Sprintf("%s-%d.html", stem, n))
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if os.IsExist(err) && n < 100 {
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.Write(b.Bytes())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return "", err
		}
		return path, nil
	}
}
