# Sourced by the scripts that assemble workspaces from the crates Debian
# packages in /usr/share/cargo/registry (debian-workspace.sh,
# doctest-workspace.sh): finding a crate there, pointing cargo at it, and
# turning a packaged crate into an editable path package.

REG=/usr/share/cargo/registry
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_NET_OFFLINE=true

# regdir NAME prints the one packaged version's directory, e.g.
# .../memchr-2.5.0, and fails when there is none or more than one.
regdir() {
  local name=$1 matches=() d
  for d in "$REG/$name"-[0-9]*; do
    [ -d "$d" ] || continue
    # reject e.g. "regex-syntax-..." when looking for "regex"
    local ver=${d#"$REG/$name"-}
    [[ $ver =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || continue
    matches+=("$d")
  done
  if [ "${#matches[@]}" -ne 1 ]; then
    echo "$(basename "$0" .sh): expected exactly one $REG/$name-<version>, found ${#matches[@]};" \
         "run scripts/install-test-deps.sh" >&2
    exit 1
  fi
  echo "${matches[0]}"
}

# write_registry_config DIR: cargo in DIR takes crates-io from the Debian
# directory source, offline.
write_registry_config() {
  mkdir -p "$1/.cargo"
  cat > "$1/.cargo/config.toml" <<CFG
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "$REG"

[net]
offline = true
CFG
}

# copy_as_path_package SRC DEST: a packaged crate as a path package,
# which needs no checksum file or VCS info; [profile.*] in a non-root
# package is ignored with a warning, so it goes.
copy_as_path_package() {
  cp -a "$1" "$2"
  rm -f "$2/.cargo-checksum.json" "$2/.cargo_vcs_info.json"
  python3 - "$2/Cargo.toml" <<'PY'
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
}
