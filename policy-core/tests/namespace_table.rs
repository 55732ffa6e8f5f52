//! `engine::by_namespace` on the upstream x/y/z × a/b/c model: exact counts
//! of allowed pod pairs per namespace pair, and agreement with the table
//! read pair by pair.

mod conformance_model;

use conformance_model::*;
use policy_core::cluster::{Cluster, EndpointId};
use policy_core::engine::{Engine, NamespaceTable, PortKey, by_namespace};

/// x denies all ingress; in y, pod b admits only pods `a` (any namespace) on 80.
const POLICIES: &str = "
kind: NetworkPolicy
metadata: {name: deny-ingress, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
kind: NetworkPolicy
metadata: {name: b-from-a, namespace: y}
spec:
  podSelector: {matchLabels: {pod: b}}
  ingress:
  - from:
    - namespaceSelector: {}
      podSelector: {matchLabels: {pod: a}}
    ports: [{port: 80}]
";

/// `(from, to, allowed, total)` for every cell, row by row.
fn counts(t: &NamespaceTable) -> Vec<(&str, &str, usize, usize)> {
    t.cells
        .iter()
        .map(|c| (c.from.as_str(), c.to.as_str(), c.allowed, c.total))
        .collect()
}

fn summary(cluster: &Cluster, port: &str, pods: &[EndpointId]) -> NamespaceTable {
    let engine = Engine::new(cluster, &policies(POLICIES));
    let table = engine.truth_table(&[port.parse::<PortKey>().unwrap()]);
    let t = by_namespace(cluster, &table, 0, pods);
    // The same counts, pair by pair (a pod listed twice counts once).
    let mut pods = pods.to_vec();
    pods.sort();
    pods.dedup();
    for cell in &t.cells {
        let (mut allowed, mut total) = (0, 0);
        for s in pods
            .iter()
            .filter(|s| cluster.pod(**s).is_some_and(|p| p.namespace == cell.from))
        {
            for d in pods
                .iter()
                .filter(|d| cluster.pod(**d).is_some_and(|p| p.namespace == cell.to))
            {
                if s != d {
                    total += 1;
                    allowed += usize::from(table.allowed(0, *s, *d));
                }
            }
        }
        assert_eq!(
            (cell.allowed, cell.total),
            (allowed, total),
            "{} -> {} on {port}",
            cell.from,
            cell.to
        );
    }
    t
}

fn all_pods(c: &Cluster) -> Vec<EndpointId> {
    (0..c.pods.len()).map(EndpointId).collect()
}

#[test]
fn port_80_counts_per_namespace_pair() {
    let c = cluster();
    let t = summary(&c, "80/TCP", &all_pods(&c));
    assert_eq!(t.namespaces, ["x", "y", "z"]);
    assert_eq!(t.pods, [3, 3, 3]);
    assert_eq!(
        counts(&t),
        [
            // Nothing enters x.
            ("x", "x", 0, 6),
            // y/b admits only x/a of x's pods: 3 + 1 + 3.
            ("x", "y", 7, 9),
            ("x", "z", 9, 9),
            ("y", "x", 0, 9),
            // Of the six pairs inside y, only y/c -> y/b is denied.
            ("y", "y", 5, 6),
            ("y", "z", 9, 9),
            ("z", "x", 0, 9),
            ("z", "y", 7, 9),
            ("z", "z", 6, 6),
        ]
    );
    let xy = t.cell("x", "y").unwrap();
    assert!(!xy.all_allowed() && !xy.none_allowed());
    assert!(t.cell("x", "z").unwrap().all_allowed());
    assert!(t.cell("z", "x").unwrap().none_allowed());
    assert_eq!(t.row(1)[1].to, "y");
}

#[test]
fn port_81_isolates_y_b_entirely() {
    let c = cluster();
    let t = summary(&c, "81/TCP", &all_pods(&c));
    assert_eq!(
        counts(&t),
        [
            ("x", "x", 0, 6),
            ("x", "y", 6, 9),
            ("x", "z", 9, 9),
            ("y", "x", 0, 9),
            ("y", "y", 4, 6),
            ("y", "z", 9, 9),
            ("z", "x", 0, 9),
            ("z", "y", 6, 9),
            ("z", "z", 6, 6),
        ]
    );
}

#[test]
fn a_subset_of_pods_counts_only_those_and_ignores_externals() {
    let mut c = cluster();
    let ext = c.add_external("203.0.113.9".parse().unwrap());
    let find = |name: &str| c.find(&name.parse().unwrap()).unwrap();
    // x/a, y/a, y/b (twice), no z pod, one external address.
    let pods = [find("x/a"), find("y/a"), find("y/b"), find("y/b"), ext];
    let t = summary(&c, "80/TCP", &pods);
    assert_eq!(t.namespaces, ["x", "y"], "z has no counted pod");
    assert_eq!(t.pods, [1, 2]);
    assert_eq!(
        counts(&t),
        [
            ("x", "x", 0, 0),
            ("x", "y", 2, 2),
            ("y", "x", 0, 2),
            ("y", "y", 2, 2),
        ]
    );
    assert!(!t.cell("x", "x").unwrap().all_allowed() && !t.cell("x", "x").unwrap().none_allowed());
    assert!(t.cell("x", "z").is_none());
}

#[test]
fn an_empty_selection_is_an_empty_table() {
    let c = cluster();
    let t = summary(&c, "80/TCP", &[]);
    assert_eq!(t, NamespaceTable::default());
}
