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

REG=/usr/share/cargo/registry
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_NET_OFFLINE=true

DEST=$1
shift
rm -rf "$DEST"
mkdir -p "$DEST/.cargo" "$DEST/crates"
DEST=$(cd "$DEST" && pwd)

cat > "$DEST/.cargo/config.toml" <<CFG
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "$REG"

[net]
offline = true
CFG

members=""
for name in "$@"; do
  matches=()
  for d in "$REG/$name"-[0-9]*; do
    ver=${d#"$REG/$name"-}
    [[ -d $d && $ver =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] && matches+=("$d")
  done
  if [ "${#matches[@]}" -ne 1 ]; then
    echo "doctest-workspace: expected exactly one $REG/$name-<version>, found ${#matches[@]};" \
         "run scripts/install-test-deps.sh" >&2
    exit 1
  fi
  cp -a "${matches[0]}" "$DEST/crates/$name"
  # A path package needs no checksum file or VCS info; [profile.*] in a
  # non-root package is ignored with a warning, so it goes.
  rm -f "$DEST/crates/$name/.cargo-checksum.json" "$DEST/crates/$name/.cargo_vcs_info.json"
  python3 - "$DEST/crates/$name/Cargo.toml" <<'PY'
import re, sys
p = sys.argv[1]
out, skip = [], False
for line in open(p).read().splitlines(keepends=True):
    if line.startswith("["):
        skip = re.match(r"\[profile[.\]]", line) is not None
    if not skip:
        out.append(line)
open(p, "w").write("".join(out))
PY
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
