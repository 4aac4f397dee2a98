package build

import (
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// RBUILD_TRACE=1 prints how long each phase took: the no-op build has a
// budget of a few milliseconds and this shows where they go.
var traceOn = os.Getenv("RBUILD_TRACE") != ""

var traceStart = time.Now()

// TracePhase notes, with RBUILD_TRACE set, that a phase ended.
func TracePhase(name string) {
	if traceOn {
		fmt.Fprintf(os.Stderr, "rbuild trace: %-16s %6.2f ms\n", name, float64(time.Since(traceStart).Microseconds())/1000)
	}
}

// Time spent on the interface cutoff's own work, summed over goroutines.
var fingerprintTime, symbolTime atomic.Int64

func traceAdd(total *atomic.Int64, since time.Time) {
	if traceOn {
		total.Add(int64(time.Since(since)))
	}
}

func traceCutoffWork() {
	if traceOn {
		fmt.Fprintf(os.Stderr, "rbuild trace: fingerprints %.1f ms, symbol sets %.1f ms (summed)\n",
			float64(fingerprintTime.Load())/1e6, float64(symbolTime.Load())/1e6)
		// rbuild's own CPU, without its children: what it adds to a build
		// beyond the rustc and build-script processes cargo runs too.
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			fmt.Fprintf(os.Stderr, "rbuild trace: own cpu user %.1f ms, sys %.1f ms\n",
				float64(ru.Utime.Nano())/1e6, float64(ru.Stime.Nano())/1e6)
		}
	}
}
