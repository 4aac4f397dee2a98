package executor

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A stderr line longer than the reader's 64 MiB limit must not stop the
// reader while the child still writes: the child would block on a full
// pipe and the build would hang. The test's own timeout turns a hang into
// a failure (and kills the stuck job's process group through ctx).
func TestRunStderrLineOverLimitDoesNotHang(t *testing.T) {
	for _, rustc := range []bool{true, false} {
		name := "other"
		if rustc {
			name = "rustc"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			// 65 MiB without a newline, then more output after it, then the
			// output file: a child that is not drained never gets that far.
			g, w := buildGraph(t, dir, map[string][2][]string{"a": {nil, {"a"}}},
				map[string]string{"a": `head -c 68157440 /dev/zero | tr '\0' x >&2; echo >&2; i=0; while [ $i -lt 2000 ]; do echo more output after the long line >&2; i=$((i+1)); done; touch $D/a`})
			w.cmds["a"].Rustc = rustc
			var out bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type ret struct {
				stats Stats
				err   error
			}
			done := make(chan ret, 1)
			go func() {
				stats, err := Run(ctx, g, w, Options{Jobs: 1, Status: NewStatus(&out, false, false)})
				done <- ret{stats, err}
			}()
			var r ret
			select {
			case r = <-done:
			case <-time.After(30 * time.Second):
				cancel()
				<-done
				t.Fatal("Run hung: the child blocked on stderr after a line over 64 MiB")
			}
			if _, err := os.Stat(filepath.Join(dir, "a")); err != nil {
				t.Errorf("the child did not run to its end: %v", err)
			}
			// The action fails: what was on that line is unknown (for rustc
			// maybe a diagnostic or an artifact notice), so nothing may be
			// recorded as if the output had been read.
			if !errors.Is(r.err, ErrBuildFailed) || r.stats.Failed != 1 {
				t.Errorf("err %v stats %+v; want the action failed", r.err, r.stats)
			}
			if !strings.Contains(out.String(), "longer than 64 MiB") {
				t.Errorf("no message about the long line; status output:\n%.2000s", out.String())
			}
		})
	}
}
