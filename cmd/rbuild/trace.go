package main

import (
	"fmt"
	"os"
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
