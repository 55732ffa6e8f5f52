//! `palisade probe` and `palisade diff`, run as the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const CLUSTER: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
    labels: {kubernetes.io/metadata.name: shop, team: shop}
- apiVersion: v1
  kind: Pod
  metadata: {name: web, namespace: shop, labels: {app: web}}
  spec:
    containers:
    - name: web
      image: nginx
      ports: [{containerPort: 8080, name: http}]
  status: {podIP: 10.0.0.10, hostIP: 192.168.1.1}
- apiVersion: v1
  kind: Pod
  metadata: {name: db, namespace: shop, labels: {app: db}}
  spec:
    containers:
    - name: db
      image: postgres
      ports: [{containerPort: 5432, name: pg}]
  status: {podIP: 10.0.0.11, hostIP: 192.168.1.1}
- apiVersion: v1
  kind: Pod
  metadata: {name: tool, namespace: ops, labels: {app: tool}}
  spec:
    containers: [{name: tool, image: busybox}]
  status: {podIP: 10.0.1.5, hostIP: 192.168.1.2}
"#;

const POLICIES: &str = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: pg}]
"#;

const AFTER: &str = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ops}}
    ports: [{port: pg}]
"#;

struct Files {
    _dir: tempfile::TempDir,
    cluster: PathBuf,
    policies: PathBuf,
    after: PathBuf,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    Files {
        cluster: write("cluster.yaml", CLUSTER),
        policies: write("policies.yaml", POLICIES),
        after: write("after.yaml", AFTER),
        _dir: dir,
    }
}

fn palisade(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .output()
        .expect("run palisade")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn probe_json_with_ports_covers_every_pair_and_reasons_need_why() {
    let f = files();
    let args = [
        "probe",
        "--cluster",
        s(&f.cluster),
        "--policies",
        s(&f.policies),
        "--port",
        "5432/TCP",
        "--port",
        "8080",
        "--output",
        "json",
    ];
    let out = palisade(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = v["results"].as_array().unwrap();
    // 3 pods: 6 ordered pairs, two ports each.
    assert_eq!(results.len(), 12, "{v:#}");
    assert!(results.iter().all(|r| r.get("reasons").is_none()), "{v:#}");
    let find = |results: &[Value], from: &str, to: &str, port: u64| {
        results
            .iter()
            .find(|r| r["from"] == from && r["to"] == to && r["port"] == port)
            .unwrap_or_else(|| panic!("{from}->{to}"))
            .clone()
    };
    assert_eq!(find(results, "shop/web", "shop/db", 5432)["allowed"], true);
    assert_eq!(find(results, "shop/web", "shop/db", 8080)["allowed"], false);
    assert_eq!(find(results, "ops/tool", "shop/db", 5432)["allowed"], false);
    assert_eq!(find(results, "shop/db", "shop/web", 8080)["allowed"], true);
    assert!(
        results.iter().all(|r| r["from"] != r["to"]),
        "no pod-to-itself pairs"
    );
    let why = palisade(&[&args[..], &["--why"]].concat());
    let v: Value = serde_json::from_slice(&why.stdout).unwrap();
    let allowed = find(
        v["results"].as_array().unwrap(),
        "shop/web",
        "shop/db",
        5432,
    );
    assert!(
        allowed["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("shop/db-from-web")),
        "{allowed:#}"
    );
}

#[test]
fn probe_json_without_ports_gives_exact_connection_sets() {
    let f = files();
    let out = palisade(&[
        "probe",
        "--cluster",
        s(&f.cluster),
        "--policies",
        s(&f.policies),
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let conns = v["connections"].as_array().unwrap();
    let find = |from: &str, to: &str| {
        conns
            .iter()
            .find(|c| c["from"] == from && c["to"] == to)
            .map(|c| c["conns"].as_str().unwrap().to_string())
    };
    // db admits web on its named port pg only; nobody else reaches db.
    assert_eq!(
        find("shop/web[Pod]", "shop/db[Pod]").as_deref(),
        Some("TCP 5432")
    );
    assert_eq!(find("ops/tool[Pod]", "shop/db[Pod]"), None);
    assert_eq!(
        find("0.0.0.0-255.255.255.255[External]", "shop/web[Pod]").as_deref(),
        Some("All Connections")
    );
    assert_eq!(
        find("shop/db[Pod]", "0.0.0.0-255.255.255.255[External]").as_deref(),
        Some("All Connections")
    );
    // 3 pods and one address range: 12 ordered pairs, minus the two into db.
    assert_eq!(conns.len(), 10, "{v:#}");
    let to_range = palisade(&[
        "probe",
        "--cluster",
        s(&f.cluster),
        "--policies",
        s(&f.policies),
        "--to",
        "ip:8.8.8.8",
        "--output",
        "connlist",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&to_range.stdout),
        "ops/tool[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections\n\
         shop/db[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections\n\
         shop/web[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections\n"
    );
}

#[test]
fn probe_reads_workload_manifests_from_directories() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = dir.path().join("cluster");
    std::fs::create_dir_all(cluster.join("apps")).unwrap();
    std::fs::write(
        cluster.join("apps/web.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 3\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, ports: [{containerPort: 8080, name: http}]}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n",
    )
    .unwrap();
    std::fs::write(
        cluster.join("db.yml"),
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: db, ports: [{containerPort: 5432, name: pg}]}]}\n",
    )
    .unwrap();
    std::fs::write(cluster.join("README.md"), "not read").unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(policies.join("db.yaml"), POLICIES).unwrap();
    let out = palisade(&[
        "probe",
        "--cluster",
        s(&cluster),
        "--policies",
        s(&policies),
        "--output",
        "connlist",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("shop/web[Deployment] => shop/db[StatefulSet] : TCP 5432\n"),
        "{text}"
    );
    assert!(
        text.contains("shop/db[StatefulSet] => shop/web[Deployment] : All Connections\n"),
        "{text}"
    );
    assert!(!text.contains("=> shop/db[StatefulSet] : All"), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("skipped 1 object that plays no part") && err.contains("Service 1"),
        "{err}"
    );
    let summary = palisade(&[
        "probe",
        "--cluster",
        s(&cluster),
        "--policies",
        s(&policies),
        "--output",
        "connlist",
        "--group-by",
        "namespace",
    ]);
    let text = String::from_utf8_lossy(&summary.stdout);
    // web reaches db on 5432 and db reaches web: both ordered pairs have some connection.
    assert!(text.lines().nth(1).unwrap().ends_with("2/2"), "{text}");
}

#[test]
fn probe_and_diff_without_policies_allow_everything_and_say_so() {
    let f = files();
    let out = palisade(&["probe", "--cluster", s(&f.cluster), "--port", "5432"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("no policies given"), "{text}");
    assert!(
        text.contains("6 connections probed: 6 allowed, 0 denied"),
        "{text}"
    );
    let json = palisade(&["probe", "--cluster", s(&f.cluster), "--output", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        v["note"]
            .as_str()
            .unwrap()
            .contains("every connection is allowed")
    );
    assert!(
        v["connections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["conns"] == "All Connections")
    );
    let diff = palisade(&[
        "diff",
        "--cluster",
        s(&f.cluster),
        "--after",
        s(&f.policies),
        "--output",
        "json",
    ]);
    assert_eq!(diff.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&diff.stderr).contains("--before: no policies given"));
    let v: Value = serde_json::from_slice(&diff.stdout).unwrap();
    let denied = v["newly_denied"].as_array().unwrap();
    assert!(
        denied
            .iter()
            .any(|d| d["from"] == "ops/tool" && d["to"] == "shop/db"),
        "{v:#}"
    );
}

#[test]
fn probe_single_connection_explains_and_exits_1_when_denied() {
    let f = files();
    let base = [
        "probe",
        "--cluster",
        s(&f.cluster),
        "--policies",
        s(&f.policies),
    ];
    let denied = palisade(
        &[
            &base[..],
            &[
                "--from", "ops/tool", "--to", "shop/db", "--port", "5432/TCP",
            ],
        ]
        .concat(),
    );
    assert_eq!(denied.status.code(), Some(1));
    let text = String::from_utf8_lossy(&denied.stdout);
    assert!(
        text.contains("ops/tool cannot reach shop/db on 5432/TCP"),
        "{text}"
    );
    assert!(text.contains("isolated"), "{text}");
    let allowed = palisade(
        &[
            &base[..],
            &["--from", "shop/web", "--to", "shop/db", "--port", "5432"],
        ]
        .concat(),
    );
    assert_eq!(allowed.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&allowed.stdout).contains("shop/web can reach shop/db"));
}

#[test]
fn probe_externals_and_table_output() {
    let f = files();
    let out = palisade(&[
        "probe",
        "--cluster",
        s(&f.cluster),
        "--policies",
        s(&f.policies),
        "--external",
        "8.8.8.8",
        "--output",
        "table",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("5432/TCP:") && text.contains("8080/TCP:"),
        "{text}"
    );
    assert!(text.contains("ip:8.8.8.8"), "{text}");
    let row = text.lines().find(|l| l.starts_with("| ops/tool")).unwrap();
    assert!(row.contains('X'), "{text}");
    let json = palisade(&[
        "probe",
        "--cluster",
        s(&f.cluster),
        "--policies",
        s(&f.policies),
        "--external",
        "8.8.8.8",
        "--to",
        "ip:8.8.8.8",
        "--port",
        "5432",
        "--output",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let results = v["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        3,
        "three pods to one external, on the one port asked: {v:#}"
    );
    assert!(
        results
            .iter()
            .all(|r| r["to"] == "ip:8.8.8.8" && r["port"] == 5432 && r["allowed"] == true)
    );
}

#[test]
fn diff_reports_newly_allowed_connections() {
    let f = files();
    let out = palisade(&[
        "diff",
        "--cluster",
        s(&f.cluster),
        "--before",
        s(&f.policies),
        "--after",
        s(&f.after),
        "--output",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "changes exit 1: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let allowed = v["newly_allowed"].as_array().unwrap();
    assert_eq!(allowed.len(), 1, "{v:#}");
    assert_eq!(allowed[0]["from"], "ops/tool");
    assert_eq!(allowed[0]["to"], "shop/db");
    assert_eq!(allowed[0]["port"], 5432);
    assert!(v["newly_denied"].as_array().unwrap().is_empty());
    let same = palisade(&[
        "diff",
        "--cluster",
        s(&f.cluster),
        "--before",
        s(&f.policies),
        "--after",
        s(&f.policies),
    ]);
    assert_eq!(same.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&same.stdout).contains("0 newly allowed, 0 newly denied"));
}

#[test]
fn errors_say_where_and_exit_2() {
    let f = files();
    let bad = f.cluster.with_file_name("bad.yaml");
    std::fs::write(&bad, "kind: NetworkPolicy\nmetadata: {name: x\n").unwrap();
    let out = palisade(&["probe", "--cluster", s(&f.cluster), "--policies", s(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("palisade: ") && err.contains("bad.yaml:"),
        "{err}"
    );
    let missing = palisade(&[
        "probe",
        "--cluster",
        "/nonexistent/cluster.yaml",
        "--policies",
        s(&f.policies),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/cluster.yaml"));
    let unknown = palisade(&[
        "probe",
        "--cluster",
        s(&f.cluster),
        "--policies",
        s(&f.policies),
        "--from",
        "shop/nope",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    let usage = palisade(&[
        "probe",
        "--cluster",
        s(&f.cluster),
        "--policies",
        s(&f.policies),
        "--port",
        "80/ICMP",
    ]);
    assert_eq!(usage.status.code(), Some(2));
}

/// Host-network pods: never selected by default (the node's IP, as Cilium
/// and Calico see them); ordinary pods with `--host-network-pods pod`, or
/// with `--ipblock-excludes-pods` (netpol-analyzer's model) unless
/// `--host-network-pods node` overrides it.
#[test]
fn host_network_pods_follow_the_model_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = dir.path().join("cluster.yaml");
    std::fs::write(
        &cluster,
        r#"
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: ops, labels: {app: agent}}
spec: {hostNetwork: true, containers: [{name: a, ports: [{containerPort: 9100}]}]}
status: {podIP: 192.168.1.5, hostIP: 192.168.1.5}
---
apiVersion: v1
kind: Pod
metadata: {name: scraper, namespace: ops, labels: {app: scraper}}
spec: {containers: [{name: s}]}
status: {podIP: 10.0.0.2, hostIP: 192.168.1.5}
"#,
    )
    .unwrap();
    let policy = dir.path().join("deny.yaml");
    std::fs::write(
        &policy,
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: agent-deny-ingress, namespace: ops}
spec:
  podSelector: {matchLabels: {app: agent}}
  policyTypes: [Ingress]
"#,
    )
    .unwrap();
    let probe = |extra: &[&str]| {
        let out = palisade(
            &[
                &["probe", "--cluster", s(&cluster), "--policies", s(&policy)][..],
                &[
                    "--from",
                    "ops/scraper",
                    "--to",
                    "ops/agent",
                    "--port",
                    "9100",
                ],
                extra,
            ]
            .concat(),
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = probe(&[]);
    assert_eq!(code, Some(0), "not selected as its node: {text}");
    assert!(text.contains("host-network pod"), "{text}");
    let (code, text) = probe(&["--host-network-pods", "pod"]);
    assert_eq!(code, Some(1), "isolated as a pod: {text}");
    let (code, _) = probe(&["--ipblock-excludes-pods"]);
    assert_eq!(code, Some(1), "netpol-analyzer's model");
    let (code, _) = probe(&["--ipblock-excludes-pods", "--host-network-pods", "node"]);
    assert_eq!(code, Some(0), "node asked for");
    let bad = palisade(&[
        "probe",
        "--cluster",
        s(&cluster),
        "--host-network-pods",
        "host",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("possible values: node, pod"));
}
