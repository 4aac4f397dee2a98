package main

import (
	"os"
	"runtime/debug"
)

// planGCPercent is the garbage collector's target while a build plan is
// read and built: the heap may grow this many percent over what was
// live after the last collection (Go's default is 100).
//
// Such a build holds its whole graph to the end and is bound by the
// processes it starts: at the default, its heap grew to twice what was
// live and was most of its peak RSS (2.3-3x ninja's on the same graph),
// while collecting took little of rbuild's own CPU. The full build of
// rbuild bench --scale's 10k-action plan (-j 2): peak RSS 30.5 -> 26.4
// MB, the collector's CPU 0.37 -> 0.65 s of rbuild's ~16 s (most of it
// starting processes), the wall time unchanged within the noise. GOGC=25
// took 2.5 MB more off for another 0.7 s.
const planGCPercent = 50

// tightenGC sets planGCPercent, unless GOGC in the environment says
// otherwise: a user's setting is theirs.
func tightenGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(planGCPercent)
	}
}
