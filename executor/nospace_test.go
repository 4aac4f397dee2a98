package executor

import (
	"context"
	"errors"
	"syscall"
	"testing"
)

// A build whose action failed for lack of disk space says so in its error
// (it matches syscall.ENOSPC), whichever way the tool put it; another
// failure does not.
func TestRunNoSpace(t *testing.T) {
	rustcJSON := `{"$message_type":"diagnostic","message":"failed to write lib.rmeta: No space left on device (os error 28)","level":"error","rendered":"error: failed to write lib.rmeta: No space left on device (os error 28)\n"}`
	linker := `{"$message_type":"diagnostic","message":"linking with ` + "`cc`" + ` failed: exit status: 1","level":"error","rendered":"error: linking with cc failed\n  = note: collect2: fatal error: ld terminated with signal 7 [Bus error]\n"}`
	for _, tc := range []struct {
		name, script string
		noSpace      bool
	}{
		{"rustc diagnostic", "echo '" + rustcJSON + "' >&2; exit 1", true},
		{"LLVM line", "echo 'rustc-LLVM ERROR: IO failure on output stream: No space left on device' >&2; exit 101", true},
		{"linker SIGBUS", "echo '" + linker + "' >&2; exit 1", true},
		{"killed by SIGBUS", "kill -BUS $$", true},
		{"type error", "echo 'error[E0308]: mismatched types' >&2; exit 1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			g, w := buildGraph(t, dir, map[string][2][]string{"a": {nil, {"a"}}}, map[string]string{"a": tc.script})
			_, err := Run(context.Background(), g, w, Options{Jobs: 1})
			if !errors.Is(err, ErrBuildFailed) {
				t.Fatalf("Run = %v, want ErrBuildFailed", err)
			}
			if got := errors.Is(err, syscall.ENOSPC); got != tc.noSpace {
				t.Errorf("errors.Is(%v, ENOSPC) = %v, want %v", err, got, tc.noSpace)
			}
		})
	}
}
