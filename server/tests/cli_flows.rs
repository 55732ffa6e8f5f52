//! `palisade generate` and `palisade replay`, run as the real binary.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn data(path: &str) -> String {
    format!(
        "{}/../policy-core/tests/data/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run palisade")
}

fn palisade_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run palisade");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("palisade-cli-flows-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn generate_prints_multi_doc_yaml_matching_the_golden_file() {
    let o = palisade(&[
        "generate",
        "--flows",
        &data("hubble/basic-sample-400-tcp-flows.json"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let yaml = String::from_utf8(o.stdout.clone()).unwrap();
    let golden = std::fs::read_to_string(data("flows/golden/400-tcp.kubernetes.yaml")).unwrap();
    assert_eq!(yaml, golden);
    assert!(stderr(&o).contains("400 flows read"), "{}", stderr(&o));
    assert!(stderr(&o).contains("policies generated"));
}

#[test]
fn generate_cilium_into_a_directory_with_filters() {
    let dir = temp_dir("gen");
    let o = palisade(&[
        "generate",
        "--flows",
        &data("flows/synthetic-mixed.jsonl"),
        "--flavor",
        "cilium",
        "--namespace",
        "shop",
        "--direction",
        "egress",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "shop-api-egress.yaml",
            "shop-web-canary-egress.yaml",
            "shop-web-egress.yaml"
        ]
    );
    let web = std::fs::read_to_string(dir.join("shop-web-egress.yaml")).unwrap();
    assert!(
        web.starts_with("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"),
        "{web}"
    );
    assert!(web.contains("toFQDNs"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generate_reports_bad_lines_and_reads_stdin() {
    // A flow that names no endpoint is a bad record too, with its line.
    let input = b"{\"flow\":{\"verdict\":\"FORWARDED\"}}\nnot json\n";
    let o = palisade_stdin(&["generate", "--flows", "-"], input);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("<stdin>:1: error: flow names no endpoint"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("<stdin>:2:"), "{}", stderr(&o));
    assert!(stderr(&o).contains("2 bad records"), "{}", stderr(&o));
}

#[test]
fn generate_fails_with_2_on_missing_files_and_garbage() {
    let o = palisade(&["generate", "--flows", "/nonexistent/flows.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("palisade: /nonexistent/flows.json: "),
        "{}",
        stderr(&o)
    );
    let o = palisade_stdin(
        &["generate", "--flows", "-", "--max-errors", "3"],
        "junk\n".repeat(10).as_bytes(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("too many bad records"),
        "{}",
        stderr(&o)
    );
    let o = palisade(&["generate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn replay_json_contract_and_round_trip() {
    let dir = temp_dir("replay");
    let flows = data("flows/synthetic-mixed.jsonl");
    for flavor in ["kubernetes", "cilium"] {
        let policies = dir.join(format!("{flavor}.yaml"));
        let o = palisade(&["generate", "--flows", &flows, "--flavor", flavor]);
        assert_eq!(o.status.code(), Some(0));
        std::fs::write(&policies, &o.stdout).unwrap();
        let o = palisade(&[
            "replay",
            "--flows",
            &flows,
            "--policies",
            policies.to_str().unwrap(),
            "--output",
            "json",
        ]);
        // The unlabeled pod's flow cannot be allowed: exit 1 (a forwarded flow is denied).
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let rows = v["flows"].as_array().unwrap();
        assert!(!rows.is_empty());
        for row in rows {
            for key in [
                "source",
                "destination",
                "port",
                "protocol",
                "verdict",
                "is_reply",
                "count",
                "allowed",
                "matched",
            ] {
                assert!(row.get(key).is_some(), "{key} missing in {row}");
            }
            if row["allowed"] == true {
                assert!(!row["matched"].as_array().unwrap().is_empty(), "{row}");
            }
            let forwarded = row["verdict"] == "FORWARDED" && row["is_reply"] == false;
            // Generation reported these as inexpressible: a pod without
            // labels, and (Kubernetes only) a world peer without address.
            if forwarded && row["allowed"] == false {
                let expected: &[&str] = if flavor == "kubernetes" {
                    &["shop/legacy-job", "reserved:world"]
                } else {
                    &["shop/legacy-job"]
                };
                assert!(
                    expected.contains(&row["source"].as_str().unwrap()),
                    "{flavor}: {row}"
                );
            }
        }
        let s = &v["summary"];
        // The AUDIT flow is denied too: generation allows FORWARDED only,
        // unless `--verdicts` asks for more.
        assert_eq!(
            s["newly_denied"],
            if flavor == "kubernetes" { 3 } else { 2 },
            "{s}"
        );
        assert_eq!(s["replies"], 2, "{s}");
        assert_eq!(s["distinct"].as_u64().unwrap() as usize, rows.len());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replay_table_and_bad_policies() {
    let dir = temp_dir("bad");
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: [\n",
    )
    .unwrap();
    let flows = data("hubble/basic-sample-10-flows.json");
    let o = palisade(&[
        "replay",
        "--flows",
        &flows,
        "--policies",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("{}:", bad.display())),
        "{}",
        stderr(&o)
    );

    let empty = dir.join("empty.yaml");
    std::fs::write(&empty, "").unwrap();
    let o = palisade(&[
        "replay",
        "--flows",
        &flows,
        "--policies",
        empty.to_str().unwrap(),
        "--output",
        "table",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(table.starts_with("SOURCE"), "{table}");
    // No policies: every evaluated flow is allowed (nothing is isolated).
    assert!(!table.contains("DENIED"), "{table}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generate_verdicts_allows_what_was_dropped_and_replay_agrees() {
    let dir = temp_dir("verdicts");
    let flows = data("flows/synthetic-mixed.jsonl");
    let policies = dir.join("all.yaml");
    let o = palisade(&[
        "generate",
        "--flows",
        &flows,
        "--verdicts",
        "FORWARDED,DROPPED,AUDIT",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(&policies, &o.stdout).unwrap();
    let o = palisade(&[
        "replay",
        "--flows",
        &flows,
        "--policies",
        policies.to_str().unwrap(),
        "--output",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v["flows"].as_array().unwrap();
    let asked: Vec<_> = rows
        .iter()
        .filter(|r| r["verdict"] == "DROPPED" || r["verdict"] == "AUDIT")
        .filter(|r| r["is_reply"] == false)
        .collect();
    assert!(asked.len() >= 2, "{v}");
    for r in asked {
        assert_eq!(r["allowed"], true, "{r}");
    }
    let o = palisade(&["generate", "--flows", &flows, "--verdicts", "MAYBE"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown verdict `MAYBE`"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file over the parallel threshold (32 MiB) reads the same with two
/// threads as with one: same policies, same counts, and a bad line in the
/// second half is reported at its line in the whole file.
#[test]
fn two_threads_read_a_large_file_like_one() {
    let dir = temp_dir("threads");
    let sample = std::fs::read_to_string(data("hubble/basic-sample-400-tcp-flows.json")).unwrap();
    let copies = 60;
    let mut text = sample.repeat(copies);
    let bad_line = 400 * copies - 10;
    let lines: Vec<&str> = text.lines().collect();
    let mut with_bad = lines[..bad_line - 1].join("\n");
    with_bad.push_str("\nnot json\n");
    with_bad.push_str(&lines[bad_line - 1..].join("\n"));
    with_bad.push('\n');
    text = with_bad;
    assert!(text.len() > 32 << 20, "{}", text.len());
    let path = dir.join("big.jsonl");
    std::fs::write(&path, &text).unwrap();
    let run = |threads: &str| {
        let o = palisade(&[
            "generate",
            "--flows",
            path.to_str().unwrap(),
            "--threads",
            threads,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        (String::from_utf8(o.stdout.clone()).unwrap(), stderr(&o))
    };
    let (one, one_err) = run("1");
    let (two, two_err) = run("2");
    assert_eq!(one, two);
    let flows = format!("{} flows read", 400 * copies);
    for err in [&one_err, &two_err] {
        assert!(err.contains(&flows), "{err}");
        assert!(err.contains(&format!("big.jsonl:{bad_line}:")), "{err}");
        assert!(err.contains("1 bad records"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A large JSON array cannot be split on record boundaries: it is read on
/// one thread, with the same result.
#[test]
fn a_large_json_array_is_read_whole() {
    let dir = temp_dir("array");
    let sample = std::fs::read_to_string(data("hubble/basic-sample-400-tcp-flows.json")).unwrap();
    let records: Vec<&str> = sample.lines().collect();
    let copies = 60;
    let mut text = String::from("[\n");
    for i in 0..copies {
        for (j, r) in records.iter().enumerate() {
            if i + j > 0 {
                text.push_str(",\n");
            }
            text.push_str(r);
        }
    }
    text.push_str("\n]\n");
    assert!(text.len() > 32 << 20);
    let path = dir.join("big.json");
    std::fs::write(&path, &text).unwrap();
    let o = palisade(&[
        "generate",
        "--flows",
        path.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let flows = format!("{} flows read", records.len() * copies);
    assert!(stderr(&o).contains(&flows), "{}", stderr(&o));
    assert!(stderr(&o).contains("0 bad records"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}
