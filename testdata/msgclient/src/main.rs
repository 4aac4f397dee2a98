//! msgclient TARGET_DIR [WORKSPACE_DIR] < messages
//!
//! A real client of cargo's `--message-format json` stream: every stdin
//! line must parse as a `cargo_metadata::Message` (a `TextLine`, i.e. not
//! JSON, is an error too: with a JSON format stdout carries only records),
//! exactly one `build-finished` must come, and last. Each record becomes
//! one normalised line; the lines are printed sorted (a multiset), so that
//! cargo's and rbuild's streams for the same build can be compared.
//!
//! Normalisation:
//! - package ids (`path+file:///d/name#0.1.0`, `path+file:///d#name@0.1.0`,
//!   `registry+https://…#name@1.2.3`, the old `name 1.2.3 (source)`)
//!   become `name@version`;
//! - paths under TARGET_DIR become `$T/…`; rbuild's internal tree
//!   `$T/rbuild/…` maps onto cargo's `$T/…` (`rbuild/debug/deps/x` and
//!   `debug/deps/x` compare equal; uplifted files are at the same place in
//!   both anyway); paths under WORKSPACE_DIR become `$WS/…`;
//! - a `-<16 hex digits>` metadata hash becomes `-HASH`;
//! - a diagnostic's `rendered` text is kept (paths normalised, newlines as
//!   `\n`, ESC as `\e`): it shows json-diagnostic-short and -rendered-ansi;
//! - `fresh` is a line of its own (kind `fresh`), so a comparison can keep
//!   or drop it.
use cargo_metadata::diagnostic::DiagnosticLevel;
use cargo_metadata::{Artifact, Message, Target};
use std::io::{self, BufReader, Write};
use std::process::exit;

struct Norm {
    target: String,
    ws: Option<String>,
}

fn trim_slash(s: &str) -> String {
    s.trim_end_matches('/').to_string()
}

impl Norm {
    fn path(&self, p: &str) -> String {
        let mut s = p.to_string();
        if let Some(rest) = strip_dir(&s, &self.target) {
            let rest = rest
                .strip_prefix("/rbuild")
                .filter(|r| r.is_empty() || r.starts_with('/'))
                .unwrap_or(rest);
            s = format!("$T{}", rest);
        } else if let Some(ws) = &self.ws {
            if let Some(rest) = strip_dir(&s, ws) {
                s = format!("$WS{}", rest);
            }
        }
        unhash(&s)
    }

    /// Paths inside free text (env values, messages).
    fn text(&self, t: &str) -> String {
        let mut s = t.replace(&format!("{}/rbuild/", self.target), "$T/");
        s = s.replace(&format!("{}/", self.target), "$T/");
        if let Some(ws) = &self.ws {
            s = s.replace(&format!("{}/", ws), "$WS/");
        }
        unhash(&s).replace('\n', "\\n")
    }
}

/// `p` below `dir` (the rest starts with `/`, or is empty).
fn strip_dir<'a>(p: &'a str, dir: &str) -> Option<&'a str> {
    let rest = p.strip_prefix(dir)?;
    if rest.is_empty() || rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

/// Replaces every `-` followed by exactly 16 hex digits (and then no
/// further alphanumeric) with `-HASH`.
fn unhash(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'-'
            && i + 17 <= b.len()
            && b[i + 1..i + 17].iter().all(|c| c.is_ascii_hexdigit())
            && (i + 17 == b.len() || !b[i + 17].is_ascii_alphanumeric())
        {
            out.push_str("-HASH");
            i += 17;
            continue;
        }
        let ch = s[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// `name@version` from any form of package id cargo has used.
fn package(id: &str) -> String {
    if let Some((url, frag)) = id.split_once('#') {
        if frag.contains('@') {
            return frag.to_string();
        }
        // path+file:///dir/name#0.1.0: the name is the last path segment
        let url = url.split('?').next().unwrap_or(url);
        let name = url.trim_end_matches('/').rsplit('/').next().unwrap_or(url);
        return format!("{}@{}", name, frag);
    }
    let mut parts = id.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(n), Some(v)) => format!("{}@{}", n, v),
        _ => id.to_string(),
    }
}

fn target(t: &Target) -> String {
    format!("target={} kinds={}", t.name, t.kind.join(","))
}

fn level(l: &DiagnosticLevel) -> &'static str {
    match l {
        DiagnosticLevel::Ice => "ice",
        DiagnosticLevel::Error => "error",
        DiagnosticLevel::Warning => "warning",
        DiagnosticLevel::FailureNote => "failure-note",
        DiagnosticLevel::Note => "note",
        DiagnosticLevel::Help => "help",
        _ => "other",
    }
}

fn list(mut v: Vec<String>) -> String {
    v.sort();
    format!("[{}]", v.join(" "))
}

fn artifact(n: &Norm, a: &Artifact, out: &mut Vec<String>) {
    let who = format!(
        "{} {} test={}",
        package(&a.package_id.repr),
        target(&a.target),
        a.profile.test
    );
    let files = a.filenames.iter().map(|f| n.path(f.as_str())).collect();
    let exe = a
        .executable
        .as_ref()
        .map_or("-".to_string(), |e| n.path(e.as_str()));
    let files = list(files);
    out.push(format!(
        "compiler-artifact {} features={} files={} executable={}",
        who,
        list(a.features.clone()),
        files,
        exe
    ));
    out.push(format!("fresh {} files={} fresh={}", who, files, a.fresh));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 || args.len() > 3 {
        eprintln!("usage: msgclient TARGET_DIR [WORKSPACE_DIR] < messages");
        exit(2);
    }
    let n = Norm {
        target: trim_slash(&args[1]),
        ws: args.get(2).map(|w| trim_slash(w)),
    };
    let mut out = Vec::new();
    let mut finished = 0;
    let mut last = String::new();
    let stdin = io::stdin();
    for (i, m) in Message::parse_stream(BufReader::new(stdin.lock())).enumerate() {
        let line = i + 1;
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                eprintln!("msgclient: line {}: read error: {}", line, e);
                exit(1);
            }
        };
        if finished > 0 {
            eprintln!("msgclient: line {}: a record after build-finished", line);
            exit(1);
        }
        match &m {
            Message::CompilerArtifact(a) => artifact(&n, a, &mut out),
            Message::CompilerMessage(c) => {
                let d = &c.message;
                let at = d
                    .spans
                    .iter()
                    .find(|s| s.is_primary)
                    .map_or("-".to_string(), |s| {
                        format!(
                            "{}:{}:{}",
                            n.path(&s.file_name),
                            s.line_start,
                            s.column_start
                        )
                    });
                out.push(format!(
                    "compiler-message {} {} level={} code={} at={} message={} rendered={}",
                    package(&c.package_id.repr),
                    target(&c.target),
                    level(&d.level),
                    d.code.as_ref().map_or("-", |c| c.code.as_str()),
                    at,
                    n.text(&d.message),
                    d.rendered
                        .as_ref()
                        .map_or("-".to_string(), |r| n.text(r).replace('\x1b', "\\e"))
                ));
            }
            Message::BuildScriptExecuted(b) => {
                out.push(format!(
                    "build-script-executed {} out_dir={} cfgs={} env={} linked_libs={} linked_paths={}",
                    package(&b.package_id.repr),
                    if b.out_dir.as_str().is_empty() { "-".to_string() } else { n.path(b.out_dir.as_str()) },
                    list(b.cfgs.clone()),
                    list(b.env.iter().map(|(k, v)| format!("{}={}", k, n.text(v))).collect()),
                    list(b.linked_libs.iter().map(|l| n.text(l.as_str())).collect()),
                    list(b.linked_paths.iter().map(|l| n.text(l.as_str())).collect()),
                ));
            }
            Message::BuildFinished(f) => {
                finished += 1;
                out.push(format!("build-finished success={}", f.success));
            }
            Message::TextLine(text) => {
                // Not a Message: say why serde refused it.
                let why = match serde_json::from_str::<Message>(text) {
                    Err(e) => e.to_string(),
                    Ok(_) => "not a record".to_string(),
                };
                eprintln!(
                    "msgclient: line {}: not a cargo message ({}): {}",
                    line, why, text
                );
                exit(1);
            }
            _ => {
                eprintln!("msgclient: line {}: unknown message kind", line);
                exit(1);
            }
        }
        last = format!("{}", line);
    }
    if finished == 0 {
        eprintln!(
            "msgclient: no build-finished record (last line {})",
            if last.is_empty() { "-" } else { &last }
        );
        exit(1);
    }
    out.sort();
    let stdout = io::stdout();
    let mut w = stdout.lock();
    for l in out {
        writeln!(w, "{}", l).unwrap();
    }
}
