#!/bin/sh
# Regenerates the real rustc dep-info files in this directory (rustc on PATH).
# depcrate.d:       cargo-style local build: cwd = crate dir, relative source path.
# depcrate-abs.d:   registry-style: absolute source path, out dir containing a space.
# big200.d:         a crate with 200 module files (for the benchmark).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
base=/tmp/rbuild-depinfo
rm -rf "$base" "/tmp/rbuild depinfo"
out=$base/target/debug/build/depcrate-1f9c846903850b6d/out
mkdir -p "$out" "$base/target/debug/deps" "/tmp/rbuild depinfo/target/debug/deps"
printf 'generated\n' > "$out/gen.txt"

cd "$here/depcrate"
env -u UNSET_VAR_X CARGO_PKG_NAME=depcrate OUT_DIR="$out" \
	RBUILD_MULTILINE="$(printf 'line1\nline2\\x\r')" \
	rustc --edition=2021 --crate-name depcrate --crate-type lib \
	--emit=dep-info,metadata,link -C metadata=0123456789abcdef -C extra-filename=-0123456789abcdef \
	--out-dir "$base/target/debug/deps" src/lib.rs
cp "$base/target/debug/deps/depcrate-0123456789abcdef.d" "$here/depcrate.d"

cd /
env -u UNSET_VAR_X -u RBUILD_MULTILINE CARGO_PKG_NAME=depcrate OUT_DIR="$out" \
	rustc --edition=2021 --crate-name depcrate --crate-type lib \
	--emit=dep-info,metadata -C extra-filename=-fedcba9876543210 \
	--out-dir "/tmp/rbuild depinfo/target/debug/deps" "$here/depcrate/src/lib.rs"
cp "/tmp/rbuild depinfo/target/debug/deps/depcrate-fedcba9876543210.d" "$here/depcrate-abs.d"

big=$base/big
mkdir -p "$big/src"
: > "$big/src/lib.rs"
i=0
while [ $i -lt 200 ]; do
	d=$((i / 20))
	mkdir -p "$big/src/group_$d"
	if [ $((i % 20)) -eq 0 ]; then
		echo "pub mod group_$d;" >> "$big/src/lib.rs"
		: > "$big/src/group_$d/mod.rs"
	fi
	echo "pub mod module_$i;" >> "$big/src/group_$d/mod.rs"
	echo "pub fn f() -> u32 { $i }" > "$big/src/group_$d/module_$i.rs"
	i=$((i + 1))
done
cd "$big"
rustc --edition=2021 --crate-name big --crate-type lib --emit=dep-info,metadata,link \
	-C extra-filename=-00aa00aa00aa00aa --out-dir "$base/target/debug/deps" src/lib.rs
cp "$base/target/debug/deps/big-00aa00aa00aa00aa.d" "$here/big200.d"
rm -rf "$base" "/tmp/rbuild depinfo"
