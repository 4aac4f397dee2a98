package main

// usage is what `rbuild help` prints: every command and flag.
const usage = `rbuild: build Rust workspaces like cargo, rebuilding only what changed

Usage: rbuild [global options] <command> [options] [-- args]
       cargo rbuild <command> [options] [-- args]     (with cargo-rbuild installed)

Commands:
  build      Compile the workspace (like cargo build)
  check      Check for errors without code generation (like cargo check)
  test       Build and run tests, then doctests (like cargo test); --doc only
             doctests, --no-run only builds
  run        Build and run a binary (like cargo run)
  explain    Say, for the last build, why each action ran or was skipped
  gen        Write the build for another tool: gen ninja|tup|build-plan|dot
  bench      Time realistic edits rebuilt by cargo and by rbuild (see below)
  cache      The per-user artifact cache: cache stats|prune|clear|verify
  help       Show this text
  version    Show cargo's version, then rbuild's (also -V, --version)
  b, c, t, r Cargo's aliases of build, check, test and run
  any other  Handed to cargo unchanged (metadata, locate-project, tree, fetch,
             update, …); rbuild finds the real cargo even when CARGO is rbuild
             (RBUILD_CARGO=PATH picks it)

Global options (before the command, as with cargo):
  -v, -q, --color WHEN, --locked, --offline, --frozen, --config KEY=VALUE,
  -Z FLAG, -C DIR (nightly only, with -Z unstable-options, as in cargo 1.95)
  Environment: CARGO_TERM_COLOR, CARGO_TERM_VERBOSE, CARGO_TERM_QUIET (flags
  win), NO_COLOR, CLICOLOR, CLICOLOR_FORCE (for --color auto, as cargo)

Cargo selection flags (passed to cargo as given):
  -p, --package SPEC   --workspace   --exclude SPEC
  --lib  --bin NAME  --bins  --example NAME  --examples
  --test NAME  --tests  --bench NAME  --benches  --all-targets
  -r, --release   --profile NAME
  -F, --features LIST   --all-features   --no-default-features
  --manifest-path PATH   --locked  --offline  --frozen   --config KEY=VALUE
  --target-dir DIR   --ignore-rust-version   --future-incompat-report (accepted;
  no report)   --message-format FMT (build, check, test, run): human, short,
  json, json-diagnostic-short, json-diagnostic-rendered-ansi,
  json-render-diagnostics; comma-separated or repeated, combined as cargo does;
  with json, stdout holds cargo's JSON records only

rbuild flags:
  -j, --jobs N          Run at most N jobs at once (default: number of CPUs)
  -v, --verbose         Print each command; -vv also shows warnings of dependencies
  -q, --quiet           Print only errors and diagnostics
  --keep-going          Build as much as possible after a failure
  --no-cache            Neither restore from nor store in the artifact cache
  --no-unstable         Run rustc as cargo does: no -Z flag, no RUSTC_BOOTSTRAP
                        (no relinking, cutoff exact)
  --color WHEN          auto, always or never
  -d explain            Print why each action runs, while building
  --timings             (build, check, test, run) Write an HTML timing report
                        to target/rbuild/timings/
  --unit-graph FILE     Use this unit-graph JSON instead of asking cargo (debugging)
  --build-plan FILE     (build) Run this build plan (cargo's legacy --build-plan
                        JSON, e.g. from rbuild gen build-plan) instead of asking cargo
  --no-run              (test) Build the test executables but do not run them
  --doc                 (test) Run only the doctests
  -o, --output FILE     (gen) Write here ("-" = stdout); default build.ninja or
                        Tupfile in the workspace root, stdout for build-plan and dot
  --gen-dir DIR         (gen) Where the generated build puts its artifacts
                        (default target/rbuild/gen-FORMAT/PROFILE)

rbuild bench [--scenarios FILE] [--reps N] [--profile dev|release]
             [--tools cargo,rbuild,cargo-noincr,rbuild-noincr] [--out DIR]
  --scenarios FILE      Edits to measure (TOML, see README); default: noop,
                        touch, comment, private-body, public-signature, leaf
                        in the path package with the most dependents
  --reps N              Measured rebuilds per scenario and tool (default 5)
  --profile NAME        Cargo profile to build (default dev)
  --tools LIST          Tools to compare (default cargo,rbuild); -noincr
                        variants build with CARGO_INCREMENTAL=0
  --out DIR             Where bench.md/.csv/.json/.svg go (default target/rbuild/bench)

rbuild bench --scale N[,N…] [--reps N] [-j N] [--seed S] [--out DIR]
  rbuild build --build-plan against ninja on the same random DAG of N
  trivial actions (e.g. --scale 1k,10k,100k): full build, no-op, peak RSS;
  the trees and scale.md/.json go to --out (default $TMPDIR/rbuild-scale)

rbuild cache stats | prune [--max-size SIZE] [--max-age AGE] | clear | verify
  The artifact cache shared by all workspaces (~/.cache/rbuild/artifacts);
  configured in ~/.config/rbuild/config.toml [cache] (see README)
`
