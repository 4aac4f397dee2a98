package executor

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// The page is one self-contained file, like cargo's --timings report: the
// build's data as JSON in a <script type="application/json"> block, drawn
// by the page's own script. Nothing is fetched (no fonts, no libraries),
// so a report opens the same from a CI artifact years later.
//
//go:embed timings.html
var reportPage string

const reportDataMarker = "{{TIMING_DATA}}"

// reportData is what the page's script reads. Times are milliseconds.
type reportData struct {
	Command     string       `json:"command"`
	Started     string       `json:"started"`
	SetupMs     float64      `json:"setupMs"`
	WallMs      float64      `json:"wallMs"`
	Jobs        int          `json:"jobs"`
	Counts      Counts       `json:"counts"`
	Bars        []reportBar  `json:"bars"`
	Concurrency [][2]float64 `json:"concurrency"` // [at, running]
	Slowest     []int        `json:"slowest"`     // indexes into bars
}

type reportBar struct {
	Label    string  `json:"label"`
	Kind     string  `json:"kind"`
	Outcome  string  `json:"outcome"`
	Start    float64 `json:"start"`
	Early    float64 `json:"early,omitempty"`
	End      float64 `json:"end"`
	Critical bool    `json:"critical,omitempty"`
	Reason   string  `json:"reason,omitempty"`
}

// slowestShown is how many actions the table of the slowest lists.
const slowestShown = 20

// WriteTimingReport writes t as an HTML page.
func WriteTimingReport(w io.Writer, t *Timings) error {
	before, after, ok := strings.Cut(reportPage, reportDataMarker)
	if !ok {
		return fmt.Errorf("timing report template has no %s", reportDataMarker)
	}
	d := reportData{Command: t.Command, Started: t.Started.Add(-t.Setup).Format("2006-01-02 15:04:05 MST"),
		SetupMs: ms(t.Setup), WallMs: ms(t.Wall), Jobs: t.Jobs, Counts: t.Counts(),
		Bars: make([]reportBar, len(t.Spans)), Slowest: t.Slowest(slowestShown)}
	crit := t.CriticalPath()
	for i, s := range t.Spans {
		d.Bars[i] = reportBar{Label: s.Label, Kind: s.Kind.String(), Outcome: s.Outcome.String(),
			Start: ms(s.Start), Early: ms(s.Early), End: ms(s.End), Critical: crit[i], Reason: s.Reason}
	}
	for _, st := range t.Concurrency() {
		d.Concurrency = append(d.Concurrency, [2]float64{ms(st.At), float64(st.Running)})
	}
	// encoding/json writes <, > and & as \u003c…: a label holding
	// "</script>" cannot end the data block early.
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("timing report: %w", err)
	}
	for _, part := range []string{before, string(data), after} {
		if _, err := io.WriteString(w, part); err != nil {
			return err
		}
	}
	return nil
}

// ms rounds to a tenth of a millisecond: finer than any bar is drawn.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/1e5) / 10
}
