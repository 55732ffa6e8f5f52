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

/// The longest a function may be, in lines, without a reason below.
const MAX_FUNCTION_LINES: usize = 120;

/// Functions over [`MAX_FUNCTION_LINES`], each with why it is one function
/// (file, name, reason). The test fails for a long function missing here,
/// and for an entry whose function is gone or has become short (so the
/// list stays true). Splitting one removes its line.
const LONG_FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        "frontend/src/components/peer_list.rs",
        "PeerList",
        "a Leptos component: its view! template of the group's rows, keyboard handling and drop targets",
    ),
    (
        "frontend/src/components/inspector.rs",
        "PeerForm",
        "a Leptos component: one form's fields and their view! template",
    ),
    (
        "frontend/src/components/yaml_pane.rs",
        "YamlPane",
        "a Leptos component: the editor's view! template and its event handlers",
    ),
    (
        "frontend/src/journeys/live_flows.rs",
        "LiveFlows",
        "a Leptos component: the live stream's controls and view! template",
    ),
    (
        "frontend/src/layout.rs",
        "layout",
        "the graph layout, one pass placing columns, groups and edges in order",
    ),
    (
        "policy-core/src/yaml/reader.rs",
        "read_documents_general",
        "the YAML event loop: one state machine over saphyr's events",
    ),
    (
        "policy-core/src/yaml/mod.rs",
        "read_object",
        "one document to an object: kind dispatch with its located errors",
    ),
    (
        "policy-core/src/validate/cilium.rs",
        "validate_port_rule",
        "follows Cilium's PortRule validation (rule_validation.go) check by check, in its order",
    ),
    (
        "policy-core/src/validate/cilium.rs",
        "validate_rule",
        "follows Cilium's Rule.Sanitize check by check, in its order",
    ),
    (
        "policy-core/src/flows/aggregate.rs",
        "finish",
        "the aggregation's last pass: one loop over the tuples",
    ),
    (
        "policy-core/src/flows/generate/mod.rs",
        "generate",
        "one pass from flows to policies, shared by both flavours",
    ),
    (
        "policy-core/src/flows/generate/cilium.rs",
        "cilium_policy",
        "one Cilium policy from its grouped flows: peers, ports, L7 and DNS rules",
    ),
    (
        "policy-core/src/flows/reader.rs",
        "decode",
        "the hot path of the flow reader: one record's fields in one pass",
    ),
    (
        "policy-core/src/engine/reference.rs",
        "cilium_side",
        "the reference evaluator: deliberately straight-line, an oracle to read against Cilium's documentation",
    ),
    (
        "policy-core/src/engine/mod.rs",
        "side",
        "the engine's hot path: one side of a connection, kept together for speed",
    ),
    (
        "policy-core/src/engine/compile/cilium.rs",
        "compile_peers",
        "one match over Cilium's peer kinds, compiled",
    ),
    (
        "server/src/cli/probe.rs",
        "probe",
        "the probe command: input reading, then one branch per output form",
    ),
    (
        "xtask/src/web.rs",
        "build",
        "the page build, step by step as TOOLCHAIN.md records it",
    ),
];

/// `(path, name, first line, lines)` of every production function longer
/// than `max` lines under the workspace's crates.
fn long_functions(max: usize) -> Vec<(String, String, usize, usize)> {
    let mut out = Vec::new();
    for dir in ["policy-core/src", "server/src", "frontend/src", "xtask/src"] {
        for (path, text) in rust_files(dir) {
            out.extend(
                function_lengths(&production(&path, &text))
                    .into_iter()
                    .filter(|(_, _, lines)| *lines > max)
                    .map(|(name, line, lines)| (path.clone(), name, line, lines)),
            );
        }
    }
    out
}

/// `(name, first line, lines)` of each function in `code` (numbered lines,
/// comments gone): from its `fn` line to the line closing its body, by
/// counting braces outside string and character literals.
fn function_lengths(code: &[(usize, String)]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let Some(name) = fn_name(&code[i].1) else {
            i += 1;
            continue;
        };
        let (mut depth, mut opened, mut j) = (0i64, false, i);
        while j < code.len() {
            for c in without_literals(&code[j].1).chars() {
                match c {
                    '{' => (depth, opened) = (depth + 1, true),
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if (opened && depth <= 0) || (!opened && code[j].1.trim_end().ends_with(';')) {
                break;
            }
            j += 1;
        }
        let last = code.get(j).map_or(code[code.len() - 1].0, |(n, _)| *n);
        out.push((name, code[i].0, last - code[i].0 + 1));
        // Nested functions are counted in their parent.
        i = j.max(i) + 1;
    }
    out
}

/// The name of the function a line declares.
fn fn_name(line: &str) -> Option<String> {
    let mut words = line.split_whitespace().peekable();
    while let Some(w) = words.next() {
        if w == "fn" {
            let name: String = words
                .next()?
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            return (!name.is_empty()).then_some(name);
        }
        let modifier =
            w.starts_with("pub") || matches!(w, "async" | "const" | "unsafe" | "extern" | "\"C\"");
        if !modifier {
            return None;
        }
    }
    None
}

/// `line` with the insides of string and character literals blanked.
fn without_literals(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_string = false;
                    out.push('"');
                }
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push('"');
        } else if c == '\'' {
            // A character literal ('{', '\''), not a lifetime ('a).
            let rest: String = chars.clone().take(3).collect();
            if rest.starts_with('\\') {
                let skip = rest.find('\'').map_or(0, |_| 3);
                for _ in 0..skip {
                    chars.next();
                }
            } else if rest.chars().nth(1) == Some('\'') {
                chars.next();
                chars.next();
            }
            out.push('\'');
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn long_functions_have_a_reason() {
    let found = long_functions(MAX_FUNCTION_LINES);
    let unexplained: Vec<String> = found
        .iter()
        .filter(|(path, name, _, _)| {
            !LONG_FUNCTIONS
                .iter()
                .any(|(p, n, _)| p == path && n == name)
        })
        .map(|(path, name, line, lines)| format!("{path}:{line}: fn {name} is {lines} lines"))
        .collect();
    assert!(
        unexplained.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines: split them, or give the reason in LONG_FUNCTIONS:\n{}",
        unexplained.join("\n")
    );
    let stale: Vec<String> = LONG_FUNCTIONS
        .iter()
        .filter(|(p, n, _)| {
            !found
                .iter()
                .any(|(path, name, _, _)| path == p && name == n)
        })
        .map(|(p, n, _)| format!("{p}: fn {n}"))
        .collect();
    assert!(
        stale.is_empty(),
        "LONG_FUNCTIONS lists functions that are gone or now short; remove them:\n{}",
        stale.join("\n")
    );
}

#[test]
fn function_lengths_count_bodies_not_literals() {
    let code: Vec<(usize, String)> = [
        "pub(crate) async fn a(x: &str) -> bool {",
        "    let s = \"}}}\";",
        "    let c = '}';",
        "    fn inner<'a>(y: &'a str) {",
        "    }",
        "    true",
        "}",
        "fn declared(x: u8);",
        "const fn b() { }",
    ]
    .iter()
    .enumerate()
    .map(|(i, l)| (i + 1, l.to_string()))
    .collect();
    assert_eq!(
        function_lengths(&code),
        vec![
            ("a".to_owned(), 1, 7),
            ("declared".to_owned(), 8, 1),
            ("b".to_owned(), 9, 1)
        ]
    );
}
