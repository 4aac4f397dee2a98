#!/usr/bin/env bash
# Runs Go's native fuzzing on every parser of outside data: `make fuzz`
# (FUZZTIME, default 5m each) and `make test`'s smoke (3s each) both come
# here, so the list below is the only list of targets.
#
#   scripts/fuzz.sh [TIME] [PATTERN]   fuzz each target (matching PATTERN) for TIME
#   scripts/fuzz.sh -list              print "package target" per line
#
# Each target runs with -parallel 1 (FUZZPARALLEL to change), as many
# targets at once as the machine has CPUs (FUZZJOBS to change; each
# target's output is printed whole when it ends), and spends at
# most 200 runs minimizing each new input (FUZZMINIMIZE; Go's default, 60s
# each, leaves the targets with large inputs, a query or a build plan, no
# time to fuzz in a short run). A target
# that fails leaves its input in the package's testdata/fuzz/<target>/ (keep
# it as a regression seed once the parser is fixed); the others still run,
# and the script fails at the end. A table of executions per target is
# printed last.
set -uo pipefail
cd "$(dirname "$0")/.."

targets=(
  "./cargometa FuzzParseUnitGraph"     # cargo build --unit-graph
  "./cargometa FuzzReadBuildPlan"      # --build-plan files
  "./cargometa FuzzParseMetadata"      # cargo metadata
  "./cargometa FuzzLoadConfig"         # .cargo/config.toml
  "./cargometa FuzzManifestFacts"      # Cargo.toml: lints, harness, profiles
  "./cargometa FuzzRustcVV"            # rustc -vV
  "./cargometa FuzzTargetInfo"         # rustc's target-info probe
  "./cargometa FuzzParseCfgList"       # rustc --print cfg
  "./cargometa FuzzMatchCfg"           # cfg(...) expressions
  "./cargometa FuzzParseBuildOutput"   # build-script stdout
  "./cargometa FuzzDecodeQuery"        # the query cache, through NewPlan
  "./cutoff FuzzParseDepInfo"          # rustc's dep-info
  "./cutoff FuzzDecodeRecord"          # the log's action records
  "./cutoff FuzzLexRust"               # Rust sources (interface skeleton)
  "./cutoff FuzzArchiveReader"         # rlib archives (exported symbols)
  "./cutoff FuzzELF64Symbols"          # rlib members (exported symbols, the ELF64 reader)
  "./log FuzzLogOpen"                  # the action log file
  "./log FuzzLogRecordBody"            # one framed log record
  "./log FuzzSnapshot"                 # the no-op snapshot
  "./cache FuzzDecodeEntry"            # a cache entry's entry.json
  "./cache FuzzUnmarshalActionResult"  # the remote's action results
  "./build FuzzCacheMeta"              # an entry's meta (local or remote)
  "./build FuzzDurationHistory"        # durations (per-user history)
  "./build FuzzUserConfig"             # ~/.config/rbuild/config.toml
  "./build FuzzReplays"                # the snapshot's replays, kept diagnostics
  "./executor FuzzParseRustcLine"      # rustc's JSON messages
  "./executor FuzzFastDecodeRustc"     # their fast decoder vs encoding/json
)

if [ "${1:-}" = "-list" ]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi

time=${1:-5m}
pattern=${2:-}
go=${GO:-go}
jobs=${FUZZJOBS:-$(nproc 2>/dev/null || echo 1)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fuzz_one runs target number $1 and leaves its output, time and exit code
# in $work/$1.{out,secs,rc}.
fuzz_one() {
  local i=$1 pkg name start
  read -r pkg name <<<"${targets[$i]}"
  start=$SECONDS
  {
    echo "== $name ($pkg, $time)"
    $go test -run '^$' -fuzz "^$name\$" -fuzztime "$time" -parallel "${FUZZPARALLEL:-1}" -fuzzminimizetime "${FUZZMINIMIZE:-200x}" "$pkg" 2>&1
    echo "rc=$?" >"$work/$i.rc"
  } >"$work/$i.out"
  echo $((SECONDS - start)) >"$work/$i.secs"
}

failed=()
summary=()
picked=()
shown=0
# show prints, in the list's order, the targets that have ended since.
show() {
  local i pkg name rc execs
  while [ "$shown" -lt "${#picked[@]}" ] && [ -f "$work/${picked[$shown]}.secs" ]; do
    i=${picked[$shown]}
    read -r pkg name <<<"${targets[$i]}"
    grep -v '^fuzz: elapsed' "$work/$i.out"
    rc=$(sed -n 's/^rc=//p' "$work/$i.rc" 2>/dev/null)
    execs=$(grep -o 'execs: [0-9]*' "$work/$i.out" | tail -1 | cut -d' ' -f2)
    summary+=("$(printf '%-28s %-12s %6ss %12s  %s' "$name" "$pkg" "$(cat "$work/$i.secs")" "${execs:-0}" "$([ "$rc" = 0 ] && echo ok || echo FAIL)")")
    [ "$rc" = 0 ] || failed+=("$name")
    shown=$((shown + 1))
  done
}

for i in "${!targets[@]}"; do
  read -r pkg name <<<"${targets[$i]}"
  if [ -n "$pattern" ] && ! [[ $name =~ $pattern ]]; then
    continue
  fi
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
    wait -n
    show
  done
  picked+=("$i")
  fuzz_one "$i" &
done
wait
show
echo
printf '%-28s %-12s %7s %12s  %s\n' target package time execs result
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failing targets: ${failed[*]}" >&2
  exit 1
fi
