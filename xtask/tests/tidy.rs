//! The house rules of ARCHITECTURE.md ("Invariants"), checked on the source
//! text so that `cargo test` fails when one breaks.
//!
//! Test code (`tests.rs` files and everything from a `#[cfg(test)]` line
//! on) may break the layering rules; production code may not.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Every `.rs` file under `dir`, relative to the workspace root.
fn rust_files(dir: &str) -> Vec<(String, String)> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() {
                walk(&e, out);
            } else if e.extension().is_some_and(|x| x == "rs") {
                out.push(e);
            }
        }
    }
    let root = root();
    let mut paths = Vec::new();
    walk(&root.join(dir), &mut paths);
    paths
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).expect("UTF-8 source");
            let rel = p
                .strip_prefix(&root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, text)
        })
        .collect()
}

/// The production part of a source file: none for `tests.rs`, else the
/// lines before the first `#[cfg(test)]`, without comments.
fn production(path: &str, text: &str) -> Vec<(usize, String)> {
    if path.ends_with("/tests.rs") {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .map(|(i, l)| {
            let code = match l.find("//") {
                Some(at) => &l[..at],
                None => l,
            };
            (i + 1, code.to_string())
        })
        .filter(|(_, l)| !l.trim().is_empty())
        .collect()
}

/// `path:line: text` for every production line under `dir` that contains
/// one of `needles`, outside the allowed path prefixes.
fn offences(dir: &str, needles: &[&str], allowed: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in rust_files(dir) {
        if allowed.iter().any(|a| path.starts_with(a)) {
            continue;
        }
        for (n, line) in production(&path, &text) {
            if needles.iter().any(|needle| line.contains(needle)) {
                out.push(format!("{path}:{n}: {}", line.trim()));
            }
        }
    }
    out
}

#[test]
fn yaml_libraries_only_in_policy_core_yaml() {
    let needles = ["saphyr", "serde_yaml", "serde_norway", "yaml_rust"];
    let mut found = offences("policy-core/src", &needles, &["policy-core/src/yaml/"]);
    found.extend(offences("server/src", &needles, &[]));
    found.extend(offences("frontend/src", &needles, &[]));
    assert!(
        found.is_empty(),
        "YAML libraries are used only in policy-core/src/yaml/:\n{}",
        found.join("\n")
    );
}

#[test]
fn k8s_openapi_only_in_the_model() {
    let found = offences(
        "policy-core/src",
        &["k8s_openapi"],
        &["policy-core/src/model/"],
    );
    assert!(
        found.is_empty(),
        "only policy-core/src/model/ names k8s-openapi; import the types from crate::model:\n{}",
        found.join("\n")
    );
}

#[test]
fn policy_core_does_no_io() {
    // Plain address values (`std::net::IpAddr`) are data; sockets, files,
    // clocks and threads are I/O.
    let needles = [
        "std::fs",
        "std::net::TcpStream",
        "std::net::TcpListener",
        "std::net::UdpSocket",
        "std::net::ToSocketAddrs",
        "to_socket_addrs",
        "std::time::Instant",
        "Instant::now",
        "SystemTime::now",
        "std::thread",
        "std::process",
        "std::env",
    ];
    let found = offences("policy-core/src", &needles, &[]);
    assert!(
        found.is_empty(),
        "policy-core does no I/O (no files, sockets, clocks, threads, processes or environment):\n{}",
        found.join("\n")
    );
}

#[test]
fn adapters_use_the_engine_through_its_front_door() {
    // The server and the page call `policy_core::engine::{Engine, …}` (what
    // engine/mod.rs re-exports); its submodules (bitsets, selector matching,
    // port clauses, the reference evaluator) are the engine's business.
    let needles = [
        "engine::bitset",
        "engine::selector",
        "engine::port",
        "engine::reference",
        "engine::namespaces::",
        "engine::verdict::",
    ];
    let mut found = offences("server/src", &needles, &[]);
    found.extend(offences("frontend/src", &needles, &[]));
    assert!(
        found.is_empty(),
        "adapters import the engine's re-exports, not its internals:\n{}",
        found.join("\n")
    );
}

#[test]
fn adapters_do_not_match_labels_themselves() {
    // Selector semantics live in policy-core; an adapter that reads
    // `matchLabels` / `matchExpressions` is re-deriving them.
    let needles = ["match_expressions", "match_labels"];
    let mut found = offences("server/src", &needles, &[]);
    found.extend(offences("frontend/src", &needles, &[]));
    assert!(
        found.is_empty(),
        "adapters leave selector semantics to policy-core:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checks_see_code() {
    // The walk finds the crates, and the comment/test stripping keeps code.
    let files = rust_files("policy-core/src");
    assert!(files.len() > 50, "{}", files.len());
    let prod = production(
        "x/a.rs",
        "use a; // std::fs\nfn f() {}\n#[cfg(test)]\nmod tests { use std::fs; }\n",
    );
    assert_eq!(prod.len(), 2);
    assert!(prod.iter().all(|(_, l)| !l.contains("std::fs")));
    assert!(production("x/tests.rs", "use std::fs;").is_empty());
}
