#!/usr/bin/env bash
# Demo: build the bundled chain workspace (a -> b -> c -> app) with rbuild,
# edit a private function body in the bottom crate, and show that rbuild
# recompiles `a` only and relinks the binary; then a no-op build.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rbuild="$here/bin/rbuild"
ws=$(mktemp -d /tmp/rbuild-demo.XXXXXX)
cp -r "$here/testdata/workspaces/chain/." "$ws/"
cd "$ws"
echo "== rbuild build (clean) in $ws"
"$rbuild" build
./target/debug/app
echo
echo "== edit the body of a private fn in a/src/lib.rs (x * 2 -> x * 2 + 1), rebuild"
sed -i 's/^    x \* 2$/    x * 2 + 1/' a/src/lib.rs
"$rbuild" build
"$rbuild" explain
./target/debug/app
echo
echo "== nothing changed: no-op build"
"$rbuild" build
"$rbuild" explain
