package main

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"
)

// RBUILD_TRACE=1 prints how long each phase took: the no-op build has a
// budget of a few milliseconds and this shows where they go.
var traceOn = os.Getenv("RBUILD_TRACE") != ""

var traceStart = time.Now()

func tracePhase(name string) {
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
	}
}
