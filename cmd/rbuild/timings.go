package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"rbuild/cargometa"
	"rbuild/executor"
	"rbuild/graph"
)

// saveTimings writes what the build's timeline holds: the .ninja_log
// after every build that ran a process, and with --timings the HTML
// report, whose path it returns. Neither may fail or hold up the build:
// a failure is a one-line warning.
func saveTimings(s *session, w *work) string {
	tl := w.timeline
	if tl == nil {
		return ""
	}
	ranAny := tl.RanAny()
	if !ranAny && !s.opt.timings {
		return ""
	}
	tm := tl.Timings(actionLabel, func(p string) string { return cargometa.RelUnder(s.plan.WsRoot, p) })
	tm.Command = "rbuild " + graph.ShellQuote(os.Args[1:])
	tm.Setup = tm.Started.Sub(s.started)
	tm.Wall = time.Since(tm.Started)
	tm.Jobs = s.opt.jobs
	if ranAny {
		var b bytes.Buffer
		err := executor.WriteNinjaLog(&b, tm)
		if err == nil {
			err = writeFileAtomic(filepath.Join(s.plan.RbuildDir, ".ninja_log"), b.Bytes())
		}
		if err != nil {
			s.status.Verb("warning", fmt.Sprintf("write .ninja_log: %v", err))
		}
	}
	if !s.opt.timings {
		return ""
	}
	path, err := writeTimingReport(filepath.Join(s.plan.RbuildDir, "timings"), tm)
	if err != nil {
		s.status.Verb("warning", fmt.Sprintf("write timing report: %v", err))
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

// announceTimingReport prints where the report is, as cargo does.
func announceTimingReport(s *session, path string) {
	if path != "" && !s.opt.quiet {
		s.status.Verb("Timing", "report saved to "+path)
	}
}
