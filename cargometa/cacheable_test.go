package cargometa

import "testing"

// Source strings as cargo 1.95's metadata gives them (`source`, or the
// package id of a path package, which has no source).
func TestSourceMutability(t *testing.T) {
	for _, tc := range []struct {
		src       string
		immutable bool
	}{
		{"registry+https://github.com/rust-lang/crates.io-index", true},
		{"sparse+https://index.crates.io/", true},
		{"git+file:///tmp/gitdep#5576bf6021552568170fa0739eb746fed0daf8e2", true},
		{"git+https://github.com/x/y?branch=main#5576bf6021552568170fa0739eb746fed0daf8e2", true},
		{"git+file:///tmp/gitdep#0.1.0", false}, // a unit's pkg_id: no commit
		{"git+https://github.com/x/y?branch=main", false},
		{"path+file:///home/me/ws/crates/a#0.1.0", false},
		{"weird+thing", false},
	} {
		if got := sourceMutability(tc.src) == ""; got != tc.immutable {
			t.Errorf("%s: immutable %v, want %v (%q)", tc.src, got, tc.immutable, sourceMutability(tc.src))
		}
	}
}
