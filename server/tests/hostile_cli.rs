//! The bad-input catalogue, CLI half: hostile files and arguments given to
//! the built `palisade` binary. Each row states the exit code it must get
//! (0 ok, 1 findings, 2 usage or I/O error) and a fragment stderr or stdout
//! must contain, so every refusal says what and where.

use std::io::Write as _;
use std::process::{Command, Stdio};

struct Row {
    name: &'static str,
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    exit: i32,
    fragment: &'static str,
}

fn row(
    name: &'static str,
    args: &[&str],
    stdin: Option<&[u8]>,
    exit: i32,
    fragment: &'static str,
) -> Row {
    Row {
        name,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        stdin: stdin.map(<[u8]>::to_vec),
        exit,
        fragment,
    }
}

const POLICY: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  podSelector: {}\n";

fn alias_bomb() -> String {
    let mut text = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
    let mut prev = 'a';
    for name in 'b'..='j' {
        text.push_str(&format!(
            "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = name;
    }
    text
}

#[test]
fn every_hostile_cli_input_gets_a_clear_answer() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    write("policy.yaml", POLICY.as_bytes());
    write("bomb.yaml", alias_bomb().as_bytes());
    write(
        "binary.yaml",
        &(0..=255u8).cycle().take(4096).collect::<Vec<u8>>(),
    );
    write("deep.yaml", "[".repeat(100_000).as_bytes());
    write("flows.json", b"{\"flow\":{}}\n\x00\x01garbage\n[[[[[[\n");
    write("empty.yaml", b"");
    write(
        "unnumbered.yaml",
        b"kind: Deployment\napiVersion: apps/v1\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n      - ports: [{name: http, containerport: 80}]\n",
    );
    write(
        "ports-map.json",
        br#"{"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "db", "namespace": "shop"},
 "spec": {"containers": [{"ports": {}}]}}"#,
    );
    std::fs::create_dir(dir.path().join("a-directory")).unwrap();
    let p = path("policy.yaml");
    let rows = vec![
        row(
            "check: a missing file",
            &["check", &path("nope.yaml")],
            None,
            2,
            "nope.yaml",
        ),
        row(
            "check: a directory",
            &["check", &path("a-directory")],
            None,
            2,
            "a-directory",
        ),
        row(
            "check: an alias bomb",
            &["check", &path("bomb.yaml")],
            None,
            1,
            "alias",
        ),
        row(
            "check: binary data",
            &["check", &path("binary.yaml")],
            None,
            1,
            "UTF-8",
        ),
        row(
            "check: 100,000 open brackets",
            &["check", &path("deep.yaml")],
            None,
            1,
            "recursion limit",
        ),
        row(
            "check: an alias bomb on stdin",
            &["check", "-"],
            Some(alias_bomb().as_bytes()),
            1,
            "<stdin>",
        ),
        row(
            "check: an unknown output format",
            &["check", &p, "--output", "xml"],
            None,
            2,
            "xml",
        ),
        row(
            "check: an empty file",
            &["check", &path("empty.yaml")],
            None,
            0,
            "",
        ),
        row(
            "explain: an alias bomb",
            &["explain", &path("bomb.yaml")],
            None,
            1,
            "alias",
        ),
        row(
            "probe: a missing cluster",
            &["probe", "--cluster", &path("nope.yaml"), "--policies", &p],
            None,
            2,
            "nope.yaml",
        ),
        row(
            "probe: the cluster is an alias bomb",
            &["probe", "--cluster", &path("bomb.yaml"), "--policies", &p],
            None,
            2,
            "alias",
        ),
        row(
            "probe: a port of 99999",
            &[
                "probe",
                "--cluster",
                &p,
                "--policies",
                &p,
                "--port",
                "99999/TCP",
            ],
            None,
            2,
            "99999",
        ),
        row(
            "probe: an external that is not an IP",
            &[
                "probe",
                "--cluster",
                &p,
                "--policies",
                &p,
                "--external",
                "example.com",
            ],
            None,
            2,
            "example.com",
        ),
        row(
            "generate: a missing flows file",
            &["generate", "--flows", &path("nope.json")],
            None,
            2,
            "nope.json",
        ),
        row(
            "generate: garbage flows are reported by line",
            &["generate", "--flows", &path("flows.json")],
            None,
            0,
            "flows.json:2:1",
        ),
        row(
            "generate: an unknown flavor",
            &[
                "generate",
                "--flows",
                &path("flows.json"),
                "--flavor",
                "calico",
            ],
            None,
            2,
            "calico",
        ),
        row(
            "replay: no policies",
            &["replay", "--flows", &path("flows.json")],
            None,
            2,
            "--policies",
        ),
        row(
            "serve: an address that is not one",
            &["serve", "--addr", "not-an-address"],
            None,
            2,
            "not-an-address",
        ),
        row(
            "probe: a workload port without containerPort (read, with a warning)",
            &[
                "probe",
                "--cluster",
                &path("unnumbered.yaml"),
                "--policies",
                &p,
                "--output",
                "connlist",
            ],
            None,
            0,
            "unnumbered.yaml:1:1: Deployment shop/web: spec.template.spec.containers[0].ports[0] has no containerPort",
        ),
        row(
            "probe: ports: {} instead of a list (read, with a warning)",
            &[
                "probe",
                "--cluster",
                &path("ports-map.json"),
                "--policies",
                &p,
                "--output",
                "connlist",
            ],
            None,
            0,
            "ports-map.json:2:27: Pod shop/db: spec.containers[0].ports is an empty map",
        ),
        row(
            "an unknown subcommand",
            &["frobnicate"],
            None,
            2,
            "frobnicate",
        ),
    ];
    let print = std::env::var_os("HOSTILE_PRINT").is_some();
    let mut failures = Vec::new();
    for row in &rows {
        let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args(&row.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let input = row.stdin.clone().unwrap_or_default();
        child.stdin.take().unwrap().write_all(&input).unwrap();
        let out = child.wait_with_output().unwrap();
        let code = out.status.code().unwrap_or(-1);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        if print {
            let shown: String = text.chars().take(200).collect();
            eprintln!("{:<45} {code} {shown:?}", row.name);
        }
        if code != row.exit || !text.to_lowercase().contains(&row.fragment.to_lowercase()) {
            let shown: String = text.chars().take(300).collect();
            failures.push(format!(
                "{}: expected exit {} with {:?}, got {code}: {shown}",
                row.name, row.exit, row.fragment
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
