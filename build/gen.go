package build

import (
	"os"
	"sort"

	"rbuild/cutoff"
	"rbuild/graph"
)

// GenSources are the files a generated file depends on: what keys cargo's
// answer (manifests, lockfile, configs, toolchain, target directories),
// and every input recorded for the actions of g (the build scripts and
// their runs). What the query stamps for its presence only (crate roots,
// build scripts, target files) is left out: cargo cares whether they
// exist, not what they say, and a new one shows in its directory's
// listing.
func (s *Session) GenSources(g *graph.Graph) []string {
	set := map[string]bool{}
	for _, st := range s.plan.Q.Stamps {
		if st.Size >= 0 && !st.Presence {
			set[st.Path] = true
		}
	}
	for _, a := range g.Actions {
		rec, ok := s.log.Get(a.Name)
		if !ok {
			continue
		}
		r, err := cutoff.DecodeRecord(rec.Payload)
		if err != nil {
			continue
		}
		for _, in := range r.Inputs {
			if !isToolchainFile(s.plan, in.Path) {
				set[in.Path] = true
			}
		}
	}
	var out []string
	for p := range set {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
