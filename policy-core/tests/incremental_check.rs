//! `IncrementalCheck` gives what `check` gives, on the sample files joined
//! into multi-document streams and through a series of edits that reuse
//! its cache (including edits that change what another document's lints
//! depend on).

use std::path::Path;

use policy_core::check::{IncrementalCheck, check};
use policy_core::yaml::parse_documents;

/// Every policy file under tests/data (recipes and Cilium examples).
fn samples() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read tests/data") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut paths = Vec::new();
    for sub in ["recipes", "cilium"] {
        walk(&root.join(sub), &mut paths);
    }
    paths.sort();
    assert!(paths.len() > 30, "samples found: {}", paths.len());
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read sample"))
        .collect()
}

fn join(docs: &[String]) -> String {
    docs.iter()
        .map(|d| d.trim_end_matches('\n').to_string())
        .collect::<Vec<_>>()
        .join("\n---\n")
        + "\n"
}

/// Asserts the incremental answer equals the whole-text one.
fn same(inc: &mut IncrementalCheck, text: &str, what: &str) {
    let want = check(text, None);
    let got = inc.check(text);
    let syntax = want.iter().any(|d| d.code == "yaml-syntax");
    if syntax {
        // Reading stops at the error either way; the message may differ.
        assert!(
            got.diagnostics.iter().any(|d| d.code == "yaml-syntax"),
            "{what}: the syntax error is reported"
        );
        return;
    }
    assert_eq!(got.diagnostics, want, "{what}");
    let policies: Vec<_> = parse_documents(text).policies().cloned().collect();
    assert_eq!(got.policies, policies, "{what}");
}

#[test]
fn the_samples_as_one_stream_check_the_same() {
    let docs = samples();
    let text = join(&docs);
    let mut inc = IncrementalCheck::new();
    same(&mut inc, &text, "all samples");
    // Again from the cache.
    same(&mut inc, &text, "all samples, cached");
}

#[test]
fn edits_reuse_the_cache_and_still_check_the_same() {
    let mut docs = samples();
    let dns = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-dns\n  namespace: default\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{port: 53, protocol: UDP}]\n";
    let mut inc = IncrementalCheck::new();
    let mut seed = 42u64;
    let mut next = |m: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % m
    };
    for step in 0..120 {
        let i = next(docs.len());
        match next(7) {
            // A typo that the validator or the lints see.
            0 => docs[i] = docs[i].replacen("TCP", "TCPX", 1),
            1 => docs[i] = docs[i].replacen("port: ", "port: 1", 1),
            // A line removed (may break the YAML).
            2 => {
                let lines: Vec<&str> = docs[i].lines().collect();
                if lines.len() > 2 {
                    let cut = 1 + next(lines.len() - 1);
                    docs[i] = lines
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| *k != cut)
                        .map(|(_, l)| format!("{l}\n"))
                        .collect();
                }
            }
            // A policy that allows DNS appears or goes: other documents'
            // PA001 depends on it.
            3 => {
                if let Some(at) = docs.iter().position(|d| d == dns) {
                    docs.remove(at);
                } else {
                    docs.insert(i, dns.to_string());
                }
            }
            // Reordering and renaming.
            4 => {
                let j = next(docs.len());
                docs.swap(i, j);
            }
            5 => docs[i] = docs[i].replacen("name: ", "name: x", 1),
            _ => docs[i] = format!("# edited {step}\n{}", docs[i]),
        }
        same(&mut inc, &join(&docs), &format!("step {step}"));
    }
}

/// Checked among the other documents of a workspace, a document gets what
/// `check_files` gives it: a policy named like one in another document is
/// PA020, and a DNS rule in another document silences PA001. The other
/// documents change while the checked one stays (the cache must notice).
#[test]
fn a_document_is_checked_among_the_workspace_as_check_files_does() {
    let docs = samples();
    let web = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector: {}\n";
    let dns = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-dns\n  namespace: prod\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{port: 53, protocol: UDP}]\n";
    let mut inc = IncrementalCheck::new();
    let workspaces: Vec<Vec<&str>> = vec![
        vec![],
        vec![web],
        vec![web, dns],
        vec![dns],
        docs.iter().take(10).map(String::as_str).collect(),
        vec![],
    ];
    let codes = |diags: &[policy_core::diagnostic::Diagnostic]| {
        diags.iter().map(|d| d.code.clone()).collect::<Vec<_>>()
    };
    for (step, others) in workspaces.iter().enumerate() {
        let got = inc.check_in_workspace(web, others.iter().copied());
        let mut files: Vec<&[u8]> = vec![web.as_bytes()];
        files.extend(others.iter().map(|o| o.as_bytes()));
        let want = policy_core::check::check_files(&files, None).swap_remove(0);
        assert_eq!(got.diagnostics, want, "workspace {step}");
        let seen = codes(&got.diagnostics);
        assert_eq!(
            seen.contains(&"PA020".to_owned()),
            others.contains(&web),
            "workspace {step}: {seen:?}"
        );
        if others.contains(&dns) {
            assert!(
                !seen.contains(&"PA001".to_owned()),
                "workspace {step}: {seen:?}"
            );
        }
    }
    assert!(
        codes(&inc.check_in_workspace(web, []).diagnostics).contains(&"PA001".to_owned()),
        "alone, the egress policy without DNS is PA001"
    );
}
