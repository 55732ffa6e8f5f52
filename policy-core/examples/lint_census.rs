//! Counts `check` findings over policy files: errors, warnings and notes per
//! file, and per code. Used to measure lint noise on real policies.
//!
//! `cargo run -p policy-core --example lint_census -- DIR_OR_FILE...`
//! (default: the policy samples under `policy-core/tests/data`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use policy_core::check::check;
use policy_core::diagnostic::Severity;

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .expect("readable directory")
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for e in entries {
            files(&e, out);
        }
    } else if matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    ) {
        out.push(path.to_path_buf());
    }
}

fn main() {
    let mut roots: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if roots.is_empty() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        roots = vec![data.join("cilium"), data.join("recipes")];
    }
    let mut list = Vec::new();
    for r in &roots {
        files(r, &mut list);
    }
    let mut by_code: BTreeMap<(String, &str), usize> = BTreeMap::new();
    let (mut errors, mut warnings, mut infos, mut policy_files) = (0, 0, 0, 0);
    for f in &list {
        let text = std::fs::read_to_string(f).expect("UTF-8 file");
        if !text.contains("NetworkPolicy") {
            continue;
        }
        policy_files += 1;
        for d in check(&text, None) {
            let sev = match d.severity {
                Severity::Error => {
                    errors += 1;
                    "error"
                }
                Severity::Warning => {
                    warnings += 1;
                    "warning"
                }
                #[allow(unreachable_patterns)]
                _ => {
                    infos += 1;
                    "info"
                }
            };
            *by_code.entry((d.code.clone(), sev)).or_default() += 1;
        }
    }
    println!(
        "{policy_files} policy files: {errors} errors, {warnings} warnings ({:.2} per file), {infos} notes",
        warnings as f64 / policy_files.max(1) as f64
    );
    for ((code, sev), n) in by_code {
        println!("  {code:<24} {sev:<8} {n}");
    }
}
