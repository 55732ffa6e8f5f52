//! `palisade check` and `palisade explain`, run as the built binary.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn palisade(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run palisade");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

const GOOD: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: prod}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 80, protocol: TCP}]
";

const BAD: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: prod}
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 0
      protocol: TCP
";

#[test]
fn clean_file_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "good.yaml", GOOD.as_bytes());
    let out = palisade(&["check", &f], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn errors_exit_one_with_compiler_style_lines() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "bad.yaml", BAD.as_bytes());
    let out = palisade(&["check", &f], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!(
            "{f}:8:13: error[field-invalid]: Invalid value: 0: must be between 1 and 65535, inclusive (spec.ingress[0].ports[0].port)"
        )),
        "{stdout}"
    );
}

#[test]
fn json_output_has_the_contract_shape() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "bad.yaml", BAD.as_bytes());
    let out = palisade(&["check", &f, "--output", "json"], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("{\"diagnostics\":[{\"file\":"),
        "{stdout}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let d = &v["diagnostics"][0];
    let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "code", "column", "field", "file", "line", "message", "policy", "severity"
        ]
    );
    assert_eq!(d["file"], f.as_str());
    assert_eq!(d["policy"], "prod/api");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "field-invalid");
    assert_eq!(d["field"], "spec.ingress[0].ports[0].port");
    assert_eq!(d["line"], 8);
    assert_eq!(d["column"], 13);
}

#[test]
fn stdin_and_multiple_files() {
    let dir = tempfile::tempdir().unwrap();
    // Another name: the same namespace/name in both would be PA020 in both.
    let good = GOOD.replace("name: api,", "name: api-v2,");
    let f = write(&dir, "good.yaml", good.as_bytes());
    let out = palisade(&["check", &f, "-", "-o", "json"], Some(BAD.as_bytes()));
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(!diags.is_empty());
    assert!(diags.iter().all(|d| d["file"] == "<stdin>"));
}

#[test]
fn warnings_alone_exit_zero() {
    // A duplicated rule is a warning (PA009), not an error.
    let text = format!(
        "{GOOD}  - from: [{{podSelector: {{matchLabels: {{app: web}}}}}}]\n    ports: [{{port: 80, protocol: TCP}}]\n"
    );
    let out = palisade(&["check", "-", "-o", "json"], Some(text.as_bytes()));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(!diags.is_empty());
    assert!(diags.iter().all(|d| d["severity"] == "warning"));
}

#[test]
fn notes_are_shown_but_are_not_warnings() {
    // A port without protocol (PA008) is a note: listed, counted apart,
    // never a warning and never a failure.
    let text = GOOD.replace("{port: 80, protocol: TCP}", "{port: 80}");
    let out = palisade(&["check", "-", "-o", "json"], Some(text.as_bytes()));
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "PA008");
    assert_eq!(diags[0]["severity"], "info");
    let out = palisade(&["check", "-"], Some(text.as_bytes()));
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(": info[PA008]: "), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("0 errors, 0 warnings, 1 note in 1 file"),
        "{stderr}"
    );
}

#[test]
fn files_are_checked_together_as_one_workspace() {
    // The same namespace/name in two files: applying both keeps one (PA020).
    let dir = tempfile::tempdir().unwrap();
    let a = write(&dir, "a.yaml", GOOD.as_bytes());
    let b = write(&dir, "b.yaml", GOOD.as_bytes());
    let out = palisade(&["check", &a, &b, "-o", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dups: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "PA020")
        .collect();
    assert_eq!(dups.len(), 2, "{v}");
    assert_eq!(dups[0]["file"], a.as_str());
    assert_eq!(dups[1]["file"], b.as_str());
    assert_eq!(dups[0]["severity"], "warning");
    // One file alone has no duplicate.
    let out = palisade(&["check", &a, "-o", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["diagnostics"].as_array().unwrap().is_empty(), "{v}");
}

#[test]
fn syntax_errors_and_invalid_utf8_are_findings() {
    let out = palisade(&["check", "-"], Some(b"kind: [NetworkPolicy\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("<stdin>:"));
    let out = palisade(
        &["check", "-", "-o", "json"],
        Some(b"kind: Pod\nname: \xff\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "invalid-utf8");
    assert_eq!(v["diagnostics"][0]["line"], 2);
}

#[test]
fn missing_file_and_usage_errors_exit_two() {
    let out = palisade(&["check", "/nonexistent/palisade.yaml"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("palisade: /nonexistent/palisade.yaml: ")
    );
    let out = palisade(&["check"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = palisade(&["check", "-o", "xml", "-"], Some(b""));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cluster_aware_lints() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = write(
        &dir,
        "cluster.yaml",
        b"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: prod}}\n- {apiVersion: v1, kind: Pod, metadata: {name: web-1, namespace: prod, labels: {app: web}}, spec: {containers: [{name: c, image: i}]}}\n",
    );
    let f = write(&dir, "p.yaml", GOOD.as_bytes());
    let out = palisade(&["check", &f, "--cluster", &cluster, "-o", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"PA011"), "{codes:?}");
}

/// `--cluster` reads what `probe --cluster` reads: a directory of workload
/// manifests counts as the pods they run, and an object it cannot read is
/// an error at its place.
#[test]
fn cluster_aware_lints_read_manifest_directories() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("manifests");
    std::fs::create_dir_all(manifests.join("apps")).unwrap();
    std::fs::write(
        manifests.join("apps/api.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: prod}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: c, image: i}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: prod}\n",
    )
    .unwrap();
    std::fs::write(
        manifests.join("web.json"),
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"prod","labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}"#,
    )
    .unwrap();
    let f = write(&dir, "p.yaml", GOOD.as_bytes());
    let cluster = manifests.to_string_lossy().into_owned();
    let codes = |out: &std::process::Output| -> Vec<(String, String)> {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["field"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let selects_nothing = |found: &[(String, String)]| {
        found
            .iter()
            .any(|(c, f)| c == "PA011" && f == "spec.podSelector")
    };
    let out = palisade(&["check", &f, "--cluster", &cluster, "-o", "json"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The Deployment's pod is selected.
    assert!(!selects_nothing(&codes(&out)), "{:?}", codes(&out));
    // Without it (a Service instead), the policy selects no pod.
    std::fs::write(
        manifests.join("apps/api.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: prod}\n",
    )
    .unwrap();
    let out = palisade(&["check", &f, "--cluster", &cluster, "-o", "json"], None);
    assert!(selects_nothing(&codes(&out)), "{:?}", codes(&out));

    std::fs::write(manifests.join("bad.yaml"), "kind: Pod\nmetadata: [\n").unwrap();
    let out = palisade(&["check", &f, "--cluster", &cluster], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.yaml:"), "{stderr}");
}

#[test]
fn explain_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "good.yaml", GOOD.as_bytes());
    let out = palisade(&["explain", &f], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Pods labelled app=api in namespace prod accept TCP 80 only from pods labelled app=web in the same namespace; all other ingress to them is denied."),
        "{text}"
    );
    let out = palisade(&["explain", "-o", "json", &f], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["explanations"][0]["policy"], "prod/api");
    assert_eq!(v["explanations"][0]["rules"][0]["field"], "spec.ingress[0]");
    let out = palisade(&["explain", "-"], Some(b"a: [\n"));
    assert_eq!(out.status.code(), Some(1));
}
