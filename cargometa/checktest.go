package cargometa

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// checkTests finds the check units that check a target as a test
// (cargo's Check{test: true}: `check --tests`, `--all-targets`, `--profile
// test`). The unit graph writes both kinds as "check" (cargo-units.md
// §2.6), and they must not be merged: the test one is compiled with
// --test and cfg(test), and sees the dev-dependencies.
//
// Cargo sorts units by package, target, profile, kind and then mode, and
// Check{test: false} sorts before Check{test: true}; so of two check
// units that agree on all of those, the first is the plain check and the
// second the test. Integration tests and benches are only ever checked
// as tests. A root that has no twin is a test only if the command line
// asked for tests alone (cargo's target selection, from its flags).
func checkTests(g *UnitGraph, args []string) (map[int]bool, error) {
	sel := testSelection(args)
	roots := map[int]bool{}
	for _, r := range g.Roots {
		roots[r] = true
	}
	groups := map[string][]int{}
	var order []string
	for i, u := range g.Units {
		if u.Mode != "check" {
			continue
		}
		prof, _ := json.Marshal(u.Profile)
		platform := ""
		if u.Platform != nil {
			platform = *u.Platform
		}
		key := strings.Join([]string{u.PkgID, u.Target.Name, strings.Join(u.Target.Kind, ","),
			strings.Join(u.Target.CrateTypes, ","), platform, string(prof)}, "\x00")
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}
	test := map[int]bool{}
	for _, key := range order {
		idx := groups[key]
		u := g.Units[idx[0]]
		switch {
		case slices.Contains(u.Target.Kind, "test") || slices.Contains(u.Target.Kind, "bench"):
			for _, i := range idx {
				test[i] = true
			}
		case len(idx) == 2:
			test[idx[1]] = roots[idx[1]] // only a root is ever a test
		case len(idx) == 1:
			test[idx[0]] = roots[idx[0]] && (sel.profileTest || sel.tests && u.Target.Test)
		default:
			return nil, fmt.Errorf("unit graph: %d check units of %s (%s) that cargo would not make", len(idx), u.Target.Name, u.PkgID)
		}
	}
	return test, nil
}

type checkSelection struct{ tests, profileTest bool }

// testSelection reads the flags that make cargo check targets as tests.
func testSelection(args []string) checkSelection {
	var s checkSelection
	for i, a := range args {
		switch {
		case a == "--tests":
			s.tests = true
		case a == "--profile" && i+1 < len(args) && args[i+1] == "test", a == "--profile=test":
			s.profileTest = true
		}
	}
	return s
}
