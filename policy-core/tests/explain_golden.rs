//! Golden tests: the explanation of every sample policy, compared with
//! `tests/data/explain/*.txt`. Run with `UPDATE_GOLDEN=1` to rewrite the
//! files after a deliberate wording change, then review the diff.

use std::path::{Path, PathBuf};

use policy_core::explain::explain;
use policy_core::yaml::parse_documents;

fn samples(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("cilium"), root.join("recipes")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn explanations_match_golden_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let golden_dir = root.join("explain");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let files = samples(&root);
    assert!(files.len() >= 40);
    for file in files {
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('/', "__");
        let golden = golden_dir.join(rel.replace(".yaml", ".txt"));
        let text = std::fs::read_to_string(&file).unwrap();
        let got: String = parse_documents(&text)
            .policies()
            .map(|p| explain(p).to_text())
            .collect();
        if update {
            std::fs::create_dir_all(&golden_dir).unwrap();
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{got}",
                golden.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn explains_the_issue_example() {
    let text = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: frontend}}}]
    ports: [{port: 80, protocol: TCP}]
";
    let out = parse_documents(text);
    let e = explain(out.policies().next().unwrap());
    assert_eq!(
        e.summary,
        vec![
            "Pods labelled app=web in namespace prod accept TCP 80 only from pods labelled app=frontend in the same namespace; all other ingress to them is denied.".to_string(),
            "Their egress is not restricted.".to_string(),
        ]
    );
    assert_eq!(e.rules[0].field, "spec.ingress[0]");
    assert_eq!(
        e.rules[0].text,
        "Allows TCP 80 from pods labelled app=frontend in the same namespace."
    );
}
