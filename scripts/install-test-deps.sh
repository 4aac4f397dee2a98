#!/usr/bin/env bash
# Install the Debian packages needed by rbuild's tests and benchmarks.
# Idempotent: if every package is already installed, no apt call is made.
# Must run as root (CI: fresh Debian 12 machine).
set -euo pipefail

PKGS=(
  # Rust crates (sources land in /usr/share/cargo/registry) used by
  # scripts/debian-workspace.sh
  librust-grep-dev
  librust-ignore-dev
  librust-regex-dev
  librust-serde-dev
  librust-serde-derive-dev
  librust-serde-json-dev
  librust-clap-dev
  librust-memchr-dev
  # crates whose doctests cmd/rbuild/doctest_test.go runs
  # (scripts/doctest-workspace.sh), with their dev-dependencies
  librust-adler-dev
  librust-cfg-if-dev
  librust-crunchy-dev
  librust-fnv-dev
  librust-ident-case-dev
  librust-itoa-dev
  librust-rustc-demangle-dev
  librust-scopeguard-dev
  librust-semver-dev
  librust-stable-deref-trait-dev
  librust-termcolor-dev
  librust-unicase-dev
  librust-unicode-width-dev
  # cargo_metadata: testdata/msgclient, the real client that parses
  # --message-format json (cmd/rbuild/msgclient_test.go)
  librust-cargo-metadata-dev
  # tools: generated rules are built by the real ninja and tup (tup needs
  # FUSE), Graphviz checks the dot output, strace the hermeticity test
  ninja-build
  tup
  fuse3
  graphviz
  strace
  # GNU time: rbuild bench --scale measures the tools' peak RSS with it
  time
  # headless Chromium renders the --timings report (no script errors, every
  # bar drawn) and screenshots it
  chromium
  # the remote cache tests run against a real nginx WebDAV server (bookworm's
  # nginx package holds /usr/sbin/nginx, built with http_dav_module)
  nginx
)

missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  if [ "$st" != "installed" ]; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: all ${#PKGS[@]} packages already installed, nothing to do"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${PKGS[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-test-deps: apt-get failed" >&2
  exit 1
fi
echo "install-test-deps: installed ${#missing[@]} missing package(s): ${missing[*]}"
