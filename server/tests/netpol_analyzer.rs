//! netpol-analyzer's public scenarios (core workloads and v1 NetworkPolicy
//! only, copied under Apache-2.0: see `tests/data/netpol-analyzer/NOTICE.md`
//! for their sources and the changes made to them): on each,
//! `palisade probe --output connlist --ipblock-excludes-pods` prints
//! exactly netpol-analyzer's expected connlist, ignoring line order.
//!
//! The test is driven by the data: every directory under
//! `tests/data/netpol-analyzer/` with a `connlist_output.txt` (the output
//! of netpol-analyzer's `list`) or an `exposure_output.txt` (its `list
//! --exposure`, whose first section, up to `Exposure Analysis Result:`,
//! is the same connlist) is a scenario, its YAML and JSON files the
//! cluster and the policies. All scenarios run; the failure lists every
//! mismatching one with the lines only palisade prints and the lines only
//! netpol-analyzer prints.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The expected connlist's file name in a scenario directory.
const CONNLIST: &str = "connlist_output.txt";
/// The expected exposure analysis output's file name, whose connlist
/// section ends at [`EXPOSURE_HEADER`].
const EXPOSURE: &str = "exposure_output.txt";
/// netpol-analyzer's header of the exposure section (its text formatter
/// writes the connlist first, then this).
const EXPOSURE_HEADER: &str = "Exposure Analysis Result:";

/// The scenario directories, sorted by name.
fn scenarios() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/netpol-analyzer");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.join(CONNLIST).is_file() || p.join(EXPOSURE).is_file())
        .collect();
    dirs.sort();
    dirs
}

/// The expected connlist of a scenario.
fn expected(dir: &Path) -> String {
    if let Ok(text) = std::fs::read_to_string(dir.join(CONNLIST)) {
        return text;
    }
    let text = std::fs::read_to_string(dir.join(EXPOSURE)).unwrap();
    let end = text
        .find(EXPOSURE_HEADER)
        .unwrap_or_else(|| panic!("{}: no `{EXPOSURE_HEADER}`", dir.display()));
    text[..end].to_string()
}

/// The non-empty lines of a connlist, sorted (netpol-analyzer sorts by
/// source then destination name; palisade by name too, but the order of
/// two lines is not part of the comparison).
fn lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Runs palisade on one scenario; `None` when it prints exactly the
/// expected lines, else a report of the difference.
fn mismatch(dir: &Path) -> Option<String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let dir_arg = dir.to_str().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args([
            "probe",
            "--cluster",
            dir_arg,
            "--policies",
            dir_arg,
            "--output",
            "connlist",
            "--ipblock-excludes-pods",
        ])
        .output()
        .expect("run palisade");
    if out.status.code() != Some(0) {
        return Some(format!(
            "{name}: exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let got_text = String::from_utf8(out.stdout).expect("UTF-8 output");
    let want_text = expected(dir);
    let (got, want) = (lines(&got_text), lines(&want_text));
    // The same line twice would hide behind a set comparison.
    let printed = got_text.lines().filter(|l| !l.is_empty()).count();
    if got == want && printed == got.len() {
        return None;
    }
    let only_got: Vec<&String> = got.difference(&want).collect();
    let only_want: Vec<&String> = want.difference(&got).collect();
    Some(format!(
        "{name}: {} lines printed ({} distinct), {} expected\n  lines only palisade prints: {only_got:#?}\n  lines only netpol-analyzer prints: {only_want:#?}",
        printed,
        got.len(),
        want.len()
    ))
}

#[test]
fn palisade_prints_netpol_analyzer_connlists() {
    let dirs = scenarios();
    // Seven scenarios are checked in; fewer means the data went missing.
    assert!(dirs.len() >= 7, "only {} scenarios found", dirs.len());
    let failures: Vec<String> = dirs.iter().filter_map(|d| mismatch(d)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} netpol-analyzer scenarios differ:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_scenario_is_attributed_in_the_notice() {
    // Apache-2.0: each copied scenario names its source in NOTICE.md.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/netpol-analyzer");
    let notice = std::fs::read_to_string(root.join("NOTICE.md")).unwrap();
    let missing: Vec<String> = scenarios()
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| !notice.contains(&format!("| `{name}` |")))
        .collect();
    assert!(missing.is_empty(), "not in NOTICE.md's table: {missing:?}");
}

#[test]
fn a_differing_line_is_reported() {
    // The comparison itself: a changed connection set is a mismatch.
    let a = lines("x => y : TCP 80\r\n\nz => y : All Connections\n");
    let b = lines("z => y : All Connections\nx => y : TCP 81\n");
    assert_eq!(a.len(), 2);
    assert_ne!(a, b);
}
