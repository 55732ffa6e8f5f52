//! netpol-analyzer's public scenarios (core workloads and v1 NetworkPolicy
//! only, copied under Apache-2.0: see `tests/data/netpol-analyzer/NOTICE.md`):
//! `palisade probe --output connlist` prints exactly netpol-analyzer's
//! expected connlist, ignoring line order.

use std::path::Path;
use std::process::Command;

fn check(scenario: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/netpol-analyzer")
        .join(scenario);
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
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).unwrap();
    let want = std::fs::read_to_string(dir.join("connlist_output.txt")).unwrap();
    let sorted = |s: &str| {
        let mut lines: Vec<&str> = s.lines().filter(|l| !l.is_empty()).collect();
        lines.sort_unstable();
        lines.join("\n")
    };
    let (got, want) = (sorted(&got), sorted(&want));
    if got != want {
        let g: std::collections::BTreeSet<&str> = got.lines().collect();
        let w: std::collections::BTreeSet<&str> = want.lines().collect();
        panic!(
            "{scenario}: lines only palisade prints: {:#?}\nlines only netpol-analyzer prints: {:#?}",
            g.difference(&w).collect::<Vec<_>>(),
            w.difference(&g).collect::<Vec<_>>()
        );
    }
}

#[test]
fn core_pods_without_host_ip() {
    check("core_pods_without_host_ip");
}
