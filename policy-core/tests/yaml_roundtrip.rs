//! Every sample policy reads without errors and survives a round trip:
//! emit(parse(emit(x))) == emit(x), and the model is unchanged.
//! Samples are copies of /work/shared/samples (see each SOURCES.md).

use std::path::{Path, PathBuf};

use policy_core::yaml::{emit_policies, parse_documents};

fn samples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut out = Vec::new();
    let mut stack = vec![root.join("cilium"), root.join("recipes")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_sample_round_trips() {
    let files = samples();
    assert!(
        files.len() >= 40,
        "expected the copied samples, found {}",
        files.len()
    );
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let out = parse_documents(&text);
        assert!(
            out.diagnostics.is_empty(),
            "{}: {:?}",
            file.display(),
            out.diagnostics
        );
        let policies: Vec<_> = out.policies().cloned().collect();
        assert!(!policies.is_empty(), "{}: no policy read", file.display());
        let first = emit_policies(&policies);
        let again = parse_documents(&first);
        assert!(
            again.diagnostics.is_empty(),
            "{}: {:?}\n{first}",
            file.display(),
            again.diagnostics
        );
        let back: Vec<_> = again.policies().cloned().collect();
        assert_eq!(
            back,
            policies,
            "{}: model changed by a round trip",
            file.display()
        );
        assert_eq!(
            emit_policies(&back),
            first,
            "{}: emit not stable",
            file.display()
        );
        // Labels and annotations survive.
        for (a, b) in policies.iter().zip(&back) {
            assert_eq!(a.metadata().labels, b.metadata().labels);
            assert_eq!(a.metadata().annotations, b.metadata().annotations);
        }
    }
}
