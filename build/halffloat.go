package build

import (
	"os"
	"regexp"
	"sync"
)

// halfFloatGate finds `feature(f16)` / `feature(f128)` (also inside
// cfg_attr) in a crate root.
var halfFloatGate = regexp.MustCompile(`feature\s*\([^)]*\bf(16|128)\b`)

// halfFloatCheck remembers, per build, whether any crate in the graph
// enables the f16 or f128 primitive types.
type halfFloatCheck struct {
	once sync.Once
	on   bool
}

// halfFloatEnabled reports whether any crate in the build enables f16 or
// f128. A fn with such a type in its signature is inlined into dependents
// whatever its attributes (rustc-facts.md §2 row 5); the skeleton keeps
// those bodies when it can see the type, but not when it is reached
// through an alias or re-export defined in another crate. Those types are
// feature-gated where they are written, so a build in which no crate root
// opens the gate cannot contain such an alias. When one does, local crates
// fall back to exact fingerprints. Read only when something is
// fingerprinted, so the no-op build never pays for it.
func (w *work) halfFloatEnabled() bool {
	h := &w.halfOnce
	h.once.Do(func() {
		seen := map[string]bool{}
		for _, u := range w.plan.Units {
			root := u.J.Target.SrcPath
			if root == nil || seen[*root] {
				continue
			}
			seen[*root] = true
			if data, err := os.ReadFile(*root); err == nil && halfFloatGate.Match(data) {
				h.on = true
				return
			}
		}
	})
	return h.on
}
