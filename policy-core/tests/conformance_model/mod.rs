//! The upstream Kubernetes netpol e2e model (test/e2e/network/netpol):
//! namespaces x, y, z labelled `ns=<name>` and `kubernetes.io/metadata.name=<name>`;
//! pods a, b, c labelled `pod=<name>`, each serving 80 and 81 on TCP, UDP and
//! SCTP with upstream's port names (`serve-80-tcp`, …). Plus helpers that
//! compare WHOLE truth tables written as grids: rows are sources, columns
//! destinations, `.` connected and `X` blocked (upstream's notation).

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use policy_core::cluster::{Cluster, ContainerPort, EndpointId, PodInfo};
use policy_core::engine::{Engine, PortKey, Protocol, reference};
use policy_core::model::{CiliumPolicy, NetworkPolicy, Policy};

/// The nine pods in table order.
pub const PODS: [&str; 9] = [
    "x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c",
];

/// Pod IP of `ns/pod`: x -> 10.0.1.*, y -> 10.0.2.*, z -> 10.0.3.*; a=1, b=2, c=3.
pub fn pod_ip(name: &str) -> IpAddr {
    let (ns, pod) = name.split_once('/').unwrap();
    let n = 1 + ["x", "y", "z"].iter().position(|x| *x == ns).unwrap();
    let p = 1 + ["a", "b", "c"].iter().position(|x| *x == pod).unwrap();
    format!("10.0.{n}.{p}").parse().unwrap()
}

/// Node IP of a namespace's pods (each namespace on its own node).
pub fn node_ip(ns: &str) -> IpAddr {
    let n = 1 + ["x", "y", "z"].iter().position(|x| *x == ns).unwrap();
    format!("192.168.0.{n}").parse().unwrap()
}

/// The x/y/z x a/b/c cluster.
pub fn cluster() -> Cluster {
    let mut c = Cluster::new();
    for ns in ["x", "y", "z"] {
        c.add_namespace(ns, BTreeMap::from([("ns".to_string(), ns.to_string())]));
    }
    for name in PODS {
        let (ns, pod) = name.split_once('/').unwrap();
        let mut info = PodInfo::new(
            ns,
            pod,
            BTreeMap::from([("pod".to_string(), pod.to_string())]),
        );
        info.ips = vec![pod_ip(name)];
        info.node_ip = Some(node_ip(ns));
        for port in [80u16, 81] {
            for proto in Protocol::ALL {
                info.ports.push(ContainerPort {
                    name: Some(format!("serve-{port}-{}", proto.as_str().to_lowercase())),
                    port,
                    protocol: proto,
                });
            }
        }
        c.add_pod(info);
    }
    c
}

/// Reads policies from multi-document YAML (a tiny reader for tests).
pub fn policies(yaml: &str) -> Vec<Policy> {
    let mut out = Vec::new();
    for doc in yaml.split("\n---") {
        if doc.trim().is_empty() {
            continue;
        }
        let value: serde_yaml::Value =
            serde_yaml::from_str(doc).unwrap_or_else(|e| panic!("bad YAML: {e}\n{doc}"));
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or("NetworkPolicy")
            .to_string();
        match kind.as_str() {
            "NetworkPolicy" => out.push(Policy::NetworkPolicy(
                serde_yaml::from_value::<NetworkPolicy>(value).unwrap(),
            )),
            "CiliumNetworkPolicy" => out.push(Policy::CiliumNetworkPolicy(
                serde_yaml::from_value::<CiliumPolicy>(value).unwrap(),
            )),
            "CiliumClusterwideNetworkPolicy" => out.push(Policy::CiliumClusterwideNetworkPolicy(
                serde_yaml::from_value::<CiliumPolicy>(value).unwrap(),
            )),
            other => panic!("unexpected kind {other}"),
        }
    }
    out
}

fn parse_grid(grid: &str) -> Vec<Vec<bool>> {
    let mut rows = Vec::new();
    for line in grid.lines() {
        let toks: Vec<&str> = line.split_whitespace().collect();
        if toks.is_empty() || toks[0] == "-" {
            continue;
        }
        assert_eq!(
            toks[0],
            PODS[rows.len()],
            "grid row {} must be {}",
            rows.len(),
            PODS[rows.len()]
        );
        assert_eq!(toks.len(), 10, "row {} needs 9 cells", toks[0]);
        rows.push(
            toks[1..]
                .iter()
                .map(|t| match *t {
                    "." => true,
                    "X" => false,
                    other => panic!("cell `{other}` must be . or X"),
                })
                .collect(),
        );
    }
    assert_eq!(rows.len(), 9, "grid needs 9 rows");
    rows
}

/// Renders a 9x9 table in the grid notation.
pub fn render(cells: &[Vec<bool>]) -> String {
    let mut s = String::from("-   x/a x/b x/c y/a y/b y/c z/a z/b z/c\n");
    for (i, row) in cells.iter().enumerate() {
        s.push_str(PODS[i]);
        for c in row {
            s.push_str(if *c { "  . " } else { "  X " });
        }
        s.push('\n');
    }
    s
}

/// Asserts the WHOLE pod-to-pod truth table on `port` (such as `80/TCP`)
/// under `policies`, and that the indexed table, the single-connection
/// verdicts and the reference evaluator agree.
pub fn assert_table(cluster: &Cluster, policies: &[Policy], port: &str, grid: &str) {
    let key: PortKey = port.parse().unwrap();
    let engine = Engine::new(cluster, policies);
    let table = engine.truth_table(&[key]);
    let mut got = vec![vec![false; 9]; 9];
    for (i, row) in got.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            let (s, t) = (EndpointId(i), EndpointId(j));
            *cell = table.allowed(0, s, t);
            let v = engine.verdict(s, t, key);
            assert_eq!(
                v.allowed, *cell,
                "verdict and table disagree on {} -> {} {port}: {:#?}",
                PODS[i], PODS[j], v
            );
            assert_eq!(
                reference::allowed(cluster, policies, s, t, key),
                *cell,
                "reference and engine disagree on {} -> {} {port}",
                PODS[i],
                PODS[j]
            );
        }
    }
    let want = parse_grid(grid);
    assert!(
        got == want,
        "truth table on {port}\nexpected:\n{}\ngot:\n{}",
        render(&want),
        render(&got)
    );
}

/// The verdict for one connection named `from`/`to` (`ns/pod` or `ip:ADDR`).
pub fn verdict(
    cluster: &Cluster,
    policies: &[Policy],
    from: &str,
    to: &str,
    port: &str,
) -> policy_core::engine::Verdict {
    let engine = Engine::new(cluster, policies);
    let f = cluster
        .find(&from.parse().unwrap())
        .unwrap_or_else(|| panic!("no endpoint {from}"));
    let t = cluster
        .find(&to.parse().unwrap())
        .unwrap_or_else(|| panic!("no endpoint {to}"));
    let key: PortKey = port.parse().unwrap();
    let v = engine.verdict(f, t, key);
    assert_eq!(
        v.allowed,
        reference::allowed(cluster, policies, f, t, key),
        "reference disagrees on {from} -> {to} {port}"
    );
    let table = engine.truth_table(&[key]);
    assert_eq!(
        v.allowed,
        table.allowed(0, f, t),
        "table disagrees on {from} -> {to} {port}"
    );
    v
}

/// All nine pods reachable from everywhere.
pub const ALL_ALLOWED: &str = "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   .   .   .   .   .   .   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
";

/// Ingress to every pod of namespace x blocked.
pub const X_INGRESS_BLOCKED: &str = "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   X   X   .   .   .   .   .   .
x/b  X   X   X   .   .   .   .   .   .
x/c  X   X   X   .   .   .   .   .   .
y/a  X   X   X   .   .   .   .   .   .
y/b  X   X   X   .   .   .   .   .   .
y/c  X   X   X   .   .   .   .   .   .
z/a  X   X   X   .   .   .   .   .   .
z/b  X   X   X   .   .   .   .   .   .
z/c  X   X   X   .   .   .   .   .   .
";

/// Ingress to x/a blocked from everyone.
pub const XA_INGRESS_BLOCKED: &str = "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   .   .   .   .   .   .
x/b  X   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
";

/// Ingress to x/a only from namespace y.
pub const XA_FROM_Y_ONLY: &str = "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   .   .   .   .   .   .
x/b  X   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
";

/// Ingress to x/a only from x/b.
pub const XA_FROM_XB_ONLY: &str = "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   .   .   .   .   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
";

/// Egress from every pod of namespace x blocked.
pub const X_EGRESS_BLOCKED: &str = "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   X   X   X   X   X   X   X   X
x/b  X   X   X   X   X   X   X   X   X
x/c  X   X   X   X   X   X   X   X   X
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
";

/// Egress from x/a blocked to everyone.
pub const XA_EGRESS_BLOCKED: &str = "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   X   X   X   X   X   X   X   X
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
";
