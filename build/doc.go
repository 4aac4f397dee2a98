// Package build is rbuild's build driver as a library: Open a workspace
// (lock its target dir, open the build log, ask cargo or the query cache
// for the units, make the plan and the graph), Build it (run what changed,
// skip what the interface cutoff proves unaffected, repair what a compile
// would otherwise load stale, restore from and publish to the artifact
// cache), and get a Result with the counts and the executor's stats.
//
//	s, err := build.Open(ctx, build.Options{Dir: ws})
//	defer s.Close()
//	res, err := s.Build(ctx, build.Everything)
//
// Everything a build depends on besides files comes in through Options; it
// reads no flag, and reports only through Options.Status. One executor.Work
// (work.go) serves cargo's units and imported build plans alike; what
// differs is behind steps (steps.go). See docs/architecture.md.
package build
