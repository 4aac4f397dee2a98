package build

import (
	"strings"
	"time"
)

// RBUILD_TEST_SLOW_DECISION=<package>=<duration> makes every decision
// about that package's actions take that much longer, between the check
// for repairs in progress and the verdict. Races between one compile's
// decision and another's repair are a few milliseconds wide on a fast
// machine; the tests widen them with this to pin the fix (repair_test.go).
// The README lists it among the developers' variables.
type decisionDelay struct {
	pkg string
	d   time.Duration
}

func decisionDelayFrom(getenv func(string) string) decisionDelay {
	pkg, dur, ok := strings.Cut(getenv("RBUILD_TEST_SLOW_DECISION"), "=")
	if !ok {
		return decisionDelay{}
	}
	d, err := time.ParseDuration(dur)
	if err != nil {
		return decisionDelay{}
	}
	return decisionDelay{pkg, d}
}

func (dd decisionDelay) wait(pkg string) {
	if dd.d > 0 && pkg == dd.pkg {
		time.Sleep(dd.d)
	}
}
