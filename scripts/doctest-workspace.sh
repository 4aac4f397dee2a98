#!/usr/bin/env bash
# Assemble an offline cargo workspace at DEST whose members are copies of
# small crates Debian 12 packages in /usr/share/cargo/registry (see
# install-test-deps.sh), for comparing `rbuild test --doc` with
# `cargo test --doc` on real documentation examples.
#
#   scripts/doctest-workspace.sh DEST CRATE...
#
# DEST is deleted and recreated:
#   DEST/.cargo/config.toml   crates-io replaced by the Debian directory source, offline
#   DEST/Cargo.toml           workspace with every CRATE as a member
#   DEST/crates/CRATE/        the packaged crate, made a path package
# Dev-dependencies (doctests may use them) come from the Debian registry.
# No member depends on another through crates-io, so, unlike
# debian-workspace.sh, no [patch] is needed.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 DEST CRATE..." >&2
  exit 2
fi

. "$(dirname "$0")/debian-registry.sh"

DEST=$1
shift
rm -rf "$DEST"
mkdir -p "$DEST/crates"
DEST=$(cd "$DEST" && pwd)

write_registry_config "$DEST"

members=""
for name in "$@"; do
  src=$(regdir "$name")
  copy_as_path_package "$src" "$DEST/crates/$name"
  members+="    \"crates/$name\","$'\n'
done

cat > "$DEST/Cargo.toml" <<TOML
[workspace]
resolver = "2"
members = [
$members]
TOML

cd "$DEST"
cargo generate-lockfile --offline -q
