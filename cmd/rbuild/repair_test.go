package main

import (
	"strings"
	"testing"
)

// The race CI found (TestSoundnessRandomEdits, E0463 "can't find crate for
// `bstr`" in globset): a private body edit in memchr cuts off bstr, which
// goes stale; a public change in regex-syntax makes both globset and
// grep-regex compile, and each needs bstr repaired first. grep-regex asks
// for the repair while globset is still deciding; globset must then wait
// for the repair instead of loading the stale bstr. The decision delay
// widens globset's window from milliseconds to a good part of bstr's
// compile (about a second), so a regression fails most runs rather than
// once in a while: the code before the fix failed 3 runs of 3 here, with
// CI's very error.
func TestRepairRaceWithConcurrentDecision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Debian workspace")
	}
	t.Parallel()
	dir := debianWorkspace(t)
	mustRbuild(t, dir, nil, "build")
	applyEdit(t, dir, edit{"crates/memchr/src/memmem/genericsimd.rs",
		"        let (rare1i, rare2i) = ninfo.rarebytes.as_rare_ordered_u8();\n",
		"        let _race = 1;\n        let (rare1i, rare2i) = ninfo.rarebytes.as_rare_ordered_u8();\n"})
	applyEdit(t, dir, edit{"crates/regex-syntax/src/lib.rs", "    try_is_word_character(c).expect(\"unicode-perl feature must be enabled\")\n}\n",
		"    try_is_word_character(c).expect(\"unicode-perl feature must be enabled\")\n}\n\n/// A new public fn: regex-syntax's interface changes.\npub fn rbuild_race_probe() -> u32 {\n    1\n}\n"})
	r := rbuild(t, dir, []string{"RBUILD_TEST_SLOW_DECISION=globset=300ms"}, "build")
	if r.code != 0 {
		t.Fatalf("build failed (exit %d):\n%s", r.code, r.stderr)
	}
	repaired := map[string]bool{}
	for _, e := range lastExplain(t, dir) {
		if e.Ran && strings.HasPrefix(e.Reason, "repair:") {
			repaired[strings.Fields(e.Label)[0]] = true
		}
	}
	if !repaired["bstr"] {
		t.Fatalf("bstr was not repaired, so the race was not set up; repaired: %v", repaired)
	}
	debianRunsMatchCargo(t, dir)
}
