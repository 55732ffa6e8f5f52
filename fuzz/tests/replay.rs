//! Replays every file of every corpus (`corpus/TARGET/`) through its
//! target's body, on stable: what libFuzzer found and kept, crashes that
//! were fixed included, stays fixed. Runs in seconds.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use palisade_fuzz::TARGETS;

#[test]
fn every_corpus_replays_without_a_failure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut failures = Vec::new();
    for target in TARGETS {
        let dir = root.join(target.name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        assert!(
            !files.is_empty(),
            "{}: an empty corpus replays nothing",
            dir.display()
        );
        for file in &files {
            let data = std::fs::read(file).unwrap();
            if catch_unwind(AssertUnwindSafe(|| (target.run)(&data))).is_err() {
                failures.push(file.display().to_string());
            }
        }
        eprintln!("{}: {} inputs replayed", target.name, files.len());
    }
    assert!(failures.is_empty(), "inputs that fail: {failures:#?}");
}
