#!/usr/bin/env bash
# Assemble a realistic, offline cargo workspace at DEST from the Rust crates
# Debian 12 packages in /usr/share/cargo/registry (see install-test-deps.sh).
#
#   scripts/debian-workspace.sh DEST
#
# DEST is deleted and recreated.  The result:
#   DEST/.cargo/config.toml     crates-io replaced by the Debian directory source, offline
#   DEST/Cargo.toml             workspace + [patch.crates-io] for the path copies below
#   DEST/Cargo.lock             generated offline
#   DEST/wscommon/              small lib (regex + memchr) with unit tests
#   DEST/rgmini/                bin: grep + ignore search over DEST/corpus
#   DEST/jsontool/              bin: serde derive + serde_json
#   DEST/cli/                   bin: clap derive
#   DEST/crates/memchr/         editable path copy of memchr (patched in for the whole graph)
#   DEST/crates/regex-syntax/   editable path copy of regex-syntax (idem)
#   DEST/corpus/                fixed input files searched by rgmini
# At the end it prints the number of units in `cargo build`'s unit graph.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DEST" >&2
  exit 2
fi

. "$(dirname "$0")/debian-registry.sh"

# Crates copied into DEST/crates/ and patched in.
COPIED=(memchr regex-syntax)

for c in grep ignore regex serde serde_derive serde_json clap clap_derive "${COPIED[@]}"; do
  regdir "$c" >/dev/null
done

DEST=$1
rm -rf "$DEST"
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
cd "$DEST"

# --- cargo config -----------------------------------------------------------
write_registry_config .

# --- editable path copies ---------------------------------------------------
patch_lines=""
for c in "${COPIED[@]}"; do
  src=$(regdir "$c")
  mkdir -p crates
  copy_as_path_package "$src" "crates/$c"
  patch_lines+="$c = { path = \"crates/$c\" }"$'\n'
done

# --- workspace root ---------------------------------------------------------
cat > Cargo.toml <<EOF
[workspace]
resolver = "2"
members = [
    "wscommon",
    "rgmini",
    "jsontool",
    "cli",
    "crates/memchr",
    "crates/regex-syntax",
]

[patch.crates-io]
$patch_lines
EOF

# --- corpus for rgmini --------------------------------------------------------
mkdir -p corpus/docs corpus/src corpus/skipped
cat > corpus/.ignore <<'EOF'
skipped/
*.log
EOF
cat > corpus/docs/intro.txt <<'EOF'
The quick brown fox jumps over the lazy dog.
A fox is a small omnivorous mammal.
Nothing to see on this line.
Foxes live on every continent except Antarctica.
EOF
cat > corpus/docs/notes.md <<'EOF'
# Notes
- the fox returned at dawn
- the dog did not notice
- fox fox fox
EOF
cat > corpus/src/main.rs <<'EOF'
fn main() {
    let fox = "fox";
    println!("{}", fox);
}
EOF
cat > corpus/src/empty.rs <<'EOF'
// no matches here
EOF
cat > corpus/skipped/hidden.txt <<'EOF'
fox fox fox: this file is ignored through .ignore
EOF
cat > corpus/debug.log <<'EOF'
fox in a log file, ignored through .ignore
EOF

# --- wscommon: small lib used by the bins --------------------------------------
mkdir -p wscommon/src
cat > wscommon/Cargo.toml <<'EOF'
[package]
name = "wscommon"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
memchr = "2"
regex = "1"
EOF
cat > wscommon/src/lib.rs <<'EOF'
//! Helpers shared by the workspace binaries.

/// Number of newline bytes in `haystack` (via memchr).
pub fn count_newlines(haystack: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', haystack).count()
}

/// All decimal numbers in `text`, in order (via regex).
pub fn numbers(text: &str) -> Vec<u64> {
    let re = regex::Regex::new(r"\d+").unwrap();
    re.find_iter(text).map(|m| m.as_str().parse().unwrap()).collect()
}

/// `label: value` with a fixed width label, used for deterministic output.
pub fn line(label: &str, value: impl std::fmt::Display) -> String {
    format!("{:<16}{}", format!("{}:", label), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines() {
        assert_eq!(count_newlines(b"a\nb\nc"), 2);
    }

    #[test]
    fn nums() {
        assert_eq!(numbers("a1 b22 c333"), vec![1, 22, 333]);
    }

    #[test]
    fn lines() {
        assert_eq!(line("x", 1), "x:              1");
    }
}
EOF

# --- rgmini: grep + ignore --------------------------------------------------
mkdir -p rgmini/src
cat > rgmini/Cargo.toml <<'EOF'
[package]
name = "rgmini"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
grep = "0.2"
ignore = "0.4"
wscommon = { path = "../wscommon" }
EOF
cat > rgmini/src/main.rs <<'EOF'
//! rgmini [PATTERN [DIR]]: count lines matching PATTERN (default `(?i)fox`)
//! under DIR (default: the workspace's corpus/), honouring .ignore files.
use std::path::{Path, PathBuf};

use grep::regex::RegexMatcher;
use grep::searcher::sinks::UTF8;
use grep::searcher::{BinaryDetection, SearcherBuilder};
use ignore::WalkBuilder;

/// (relative path, matching line count) for every searched file, sorted.
fn search(pattern: &str, root: &Path) -> Vec<(String, u64)> {
    let matcher = RegexMatcher::new_line_matcher(pattern).expect("bad pattern");
    let mut searcher = SearcherBuilder::new()
        .binary_detection(BinaryDetection::quit(b'\x00'))
        .line_number(true)
        .build();
    let mut results = Vec::new();
    let walk = WalkBuilder::new(root)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walk {
        let entry = entry.expect("walk error");
        if !entry.file_type().map_or(false, |t| t.is_file()) {
            continue;
        }
        let mut n = 0u64;
        searcher
            .search_path(
                &matcher,
                entry.path(),
                UTF8(|_lnum, _line| {
                    n += 1;
                    Ok(true)
                }),
            )
            .expect("search error");
        let rel = entry.path().strip_prefix(root).unwrap();
        results.push((rel.display().to_string(), n));
    }
    results.sort();
    results
}

fn main() {
    let mut args = std::env::args().skip(1);
    let pattern = args.next().unwrap_or_else(|| "(?i)fox".to_string());
    let root = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus"));
    let results = search(&pattern, &root);
    let mut total = 0;
    for (path, n) in &results {
        println!("{}", wscommon::line(path, n));
        total += n;
    }
    println!("{}", wscommon::line("files", results.len()));
    println!("{}", wscommon::line("total", total));
}

#[cfg(test)]
mod tests {
    #[test]
    fn corpus_counts() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
        let r = super::search("(?i)fox", &root);
        let total: u64 = r.iter().map(|(_, n)| n).sum();
        assert_eq!(r.len(), 4);
        assert_eq!(total, 7);
    }
}
EOF

# --- jsontool: serde derive + serde_json -----------------------------------
mkdir -p jsontool/src
cat > jsontool/Cargo.toml <<'EOF'
[package]
name = "jsontool"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
serde = { version = "1", features = ["derive"] }
serde_json = "1"
wscommon = { path = "../wscommon" }
EOF
cat > jsontool/src/main.rs <<'EOF'
//! Round-trips a fixed document through serde_json.
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Item {
    name: String,
    qty: u32,
    price_cents: u64,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Order {
    id: u64,
    customer: String,
    items: Vec<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

const INPUT: &str = r#"{
  "id": 1042,
  "customer": "Ada",
  "items": [
    {"name": "widget", "qty": 3, "price_cents": 250, "tags": ["blue", "small"]},
    {"name": "gadget", "qty": 1, "price_cents": 1999}
  ]
}"#;

fn total_cents(o: &Order) -> u64 {
    o.items.iter().map(|i| i.qty as u64 * i.price_cents).sum()
}

fn main() {
    let order: Order = serde_json::from_str(INPUT).expect("parse");
    println!("{}", wscommon::line("customer", &order.customer));
    println!("{}", wscommon::line("items", order.items.len()));
    println!("{}", wscommon::line("total", total_cents(&order)));
    let compact = serde_json::to_string(&order).unwrap();
    println!("{}", compact);
    let back: Order = serde_json::from_str(&compact).unwrap();
    println!("{}", wscommon::line("roundtrip", back == order));
    let v: serde_json::Value = serde_json::from_str(INPUT).unwrap();
    println!("{}", wscommon::line("tag0", &v["items"][0]["tags"][0]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total() {
        let order: Order = serde_json::from_str(INPUT).unwrap();
        assert_eq!(total_cents(&order), 2749);
        assert!(order.note.is_none());
    }
}
EOF

# --- cli: clap derive ------------------------------------------------------
mkdir -p cli/src
cat > cli/Cargo.toml <<'EOF'
[package]
name = "cli"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
clap = { version = "4", features = ["derive"] }
wscommon = { path = "../wscommon" }
EOF
cat > cli/src/main.rs <<'EOF'
//! cli [--name NAME] [--times N] [--upper] [NUMBERS]...
use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "cli", version = "0.1.0", about = "Deterministic clap demo")]
struct Args {
    /// Who to greet
    #[arg(short, long, default_value = "world")]
    name: String,
    /// How many greetings
    #[arg(short, long, default_value_t = 1)]
    times: u32,
    /// Shout
    #[arg(short, long)]
    upper: bool,
    /// Numbers to sum
    numbers: Vec<i64>,
}

fn run(args: &Args) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..args.times {
        let mut g = format!("hello, {}! ({})", args.name, i + 1);
        if args.upper {
            g = g.to_uppercase();
        }
        out.push(g);
    }
    out.push(wscommon::line("count", args.numbers.len()));
    out.push(wscommon::line("sum", args.numbers.iter().sum::<i64>()));
    out
}

fn main() {
    let args = Args::parse();
    for l in run(&args) {
        println!("{}", l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_fixed_args() {
        let a = Args::parse_from(["cli", "--name", "rbuild", "-t", "2", "-u", "1", "2", "39"]);
        let out = run(&a);
        assert_eq!(out[0], "HELLO, RBUILD! (1)");
        assert_eq!(out.len(), 4);
        assert_eq!(out[3], "sum:            42");
    }
}
EOF

# --- lockfile and sanity checks -----------------------------------------------
cargo generate-lockfile --offline --quiet

# Every copied crate must come from the path copy, never from the registry.
for c in "${COPIED[@]}"; do
  if grep -A2 "^name = \"$c\"\$" Cargo.lock | grep -q '^source = '; then
    echo "debian-workspace: $c still resolves to a registry source" >&2
    exit 1
  fi
done

units=$(RUSTC_BOOTSTRAP=1 cargo build --offline -Z unstable-options --unit-graph 2>/dev/null |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["units"]))')
echo "debian-workspace: $DEST ready, cargo build unit graph has $units units"
