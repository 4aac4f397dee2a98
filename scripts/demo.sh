#!/usr/bin/env bash
# Demo: build the bundled chain workspace (a -> b -> c -> app) with rbuild,
# make an edit in the bottom crate that does not change its metadata, and
# show that rbuild rebuilds `a` only; then a no-op build.
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
echo "== append a comment to a/src/lib.rs, rebuild"
echo "// demo edit" >> a/src/lib.rs
"$rbuild" build
"$rbuild" explain
echo
echo "== nothing changed: no-op build"
"$rbuild" build
"$rbuild" explain
