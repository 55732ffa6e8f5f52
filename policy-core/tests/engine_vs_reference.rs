//! Property test: the indexed engine (truth table and single verdicts) agrees
//! with the naive reference evaluator on random clusters and random
//! NetworkPolicies, CiliumNetworkPolicies and clusterwide policies.

mod support;

use policy_core::cluster::EndpointId;
use policy_core::engine::{Engine, PortKey, Protocol, reference};
use proptest::prelude::*;
use support::{PORTS, cluster_strategy, policy};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_reference(cluster in cluster_strategy(), policies in prop::collection::vec(policy(), 0..5)) {
        let ports: Vec<PortKey> = PORTS.iter().map(|p| p.parse().unwrap()).collect();
        let engine = Engine::new(&cluster, &policies);
        let table = engine.truth_table(&ports);
        let want = reference::truth_table(&cluster, &policies, &ports);
        for (pi, port) in ports.iter().enumerate() {
            for (s, row) in want[pi].iter().enumerate() {
                for (t, cell) in row.iter().enumerate() {
                    let (f, to) = (EndpointId(s), EndpointId(t));
                    let got = table.allowed(pi, f, to);
                    prop_assert_eq!(got, *cell, "table {} -> {} on {}: {:#?}",
                        cluster.endpoint_name(f), cluster.endpoint_name(to), port, engine.verdict(f, to, *port));
                    prop_assert_eq!(engine.verdict(f, to, *port).allowed, got);
                    prop_assert_eq!(engine.is_allowed(f, to, *port), got);
                }
            }
        }
    }
}

/// Ports where some policy of the strategies changes its mind: every port
/// number they name (80, 81, 443 and the endPort 443, 53, the named ports'
/// 80/81/53), the ports next to them, and the ends of the range.
const EDGES: [u16; 13] = [1, 52, 53, 54, 79, 80, 81, 82, 442, 443, 444, 100, 65535];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The exact connection set of every pair agrees with the reference
    /// evaluator at every interval boundary: the set's own range ends and
    /// the ports around them, and the ports the policies name, on all three
    /// protocols. Between two boundaries neither side can change its answer.
    #[test]
    fn connection_sets_match_reference(cluster in cluster_strategy(), policies in prop::collection::vec(policy(), 0..5)) {
        let engine = Engine::new(&cluster, &policies);
        for s in cluster.endpoint_ids() {
            for t in cluster.endpoint_ids() {
                let got = engine.connections(s, t);
                let mut probes = got.conns.boundaries();
                for p in EDGES {
                    for proto in Protocol::ALL {
                        probes.push(PortKey::new(p, proto));
                    }
                }
                for key in probes {
                    let want = reference::allowed(&cluster, &policies, s, t, key);
                    prop_assert_eq!(got.conns.contains(key), want, "{} -> {} on {}: set {}: {:#?}",
                        cluster.endpoint_name(s), cluster.endpoint_name(t), key, got.conns, engine.verdict(s, t, key));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The connection list (pods grouped into equivalence classes computed
    /// once, address ranges from the policies' CIDRs) prints for every pair
    /// exactly the set the engine computes for that pair alone, and every
    /// address of a range gets the range's answer from the reference.
    #[test]
    fn connection_list_equals_pair_by_pair(cluster in cluster_strategy(), policies in prop::collection::vec(policy(), 0..5)) {
        use policy_core::engine::connlist::{ConnList, GroupBy, add_address_ranges};
        let mut cluster = cluster;
        cluster.externals.clear();
        let ranges = Engine::new(&policy_core::cluster::Cluster::new(), &policies).address_partitions();
        let externals = add_address_ranges(&mut cluster, &ranges);
        let engine = Engine::new(&cluster, &policies);
        let list = ConnList::new(&engine, &externals, GroupBy::Pod);
        let mut listed = std::collections::BTreeMap::new();
        list.for_each(|s, t, c| {
            listed.insert((s.representative, t.representative), c.conns.to_string());
            // The list computes each distinct side set once (by which rules
            // apply); its conditions too must be the pair's own.
            assert_eq!(c.connections(), &engine.connections(s.representative, t.representative));
            assert_eq!(c.text(), c.conns.to_string());
            Ok::<(), ()>(())
        }).unwrap();
        // Which endpoints stand for a range as a source, as a destination.
        let as_source = |id: EndpointId| {
            cluster.pod(id).is_some() || externals.iter().any(|e| e.id == id && e.source)
        };
        let as_destination = |id: EndpointId| {
            cluster.pod(id).is_some() || externals.iter().any(|e| e.id == id && e.destination)
        };
        // Grouped by workload: each line is its representative pair's set,
        // and every pod of a line has the same sets as its representative.
        let grouped = ConnList::new(&engine, &externals, GroupBy::Workload);
        let mut lines = 0usize;
        grouped.for_each(|s, t, c| {
            lines += 1;
            assert_eq!(c.connections(), &engine.connections(s.representative, t.representative));
            assert_eq!(c.text(), c.conns.to_string());
            for &p in s.pods.iter().chain(&t.pods) {
                let (a, b) = if s.pods.contains(&p) { (p, t.representative) } else { (s.representative, p) };
                if a != b {
                    assert_eq!(engine.connections(a, b).conns, c.conns);
                }
            }
            Ok::<(), ()>(())
        }).unwrap();
        prop_assert!(lines <= listed.len());
        for s in cluster.endpoint_ids() {
            for t in cluster.endpoint_ids() {
                let both_external = cluster.pod(s).is_none() && cluster.pod(t).is_none();
                if s == t || both_external || !as_source(s) || !as_destination(t) {
                    continue;
                }
                let direct = engine.connections(s, t).conns;
                let want = (!direct.is_empty()).then(|| direct.to_string());
                prop_assert_eq!(listed.get(&(s, t)).cloned(), want, "{} -> {}",
                    cluster.endpoint_name(s), cluster.endpoint_name(t));
            }
        }
        // Every address of a range gets its first address's answer (the
        // representative's) in the roles the range is written in: a source
        // range towards every pod, a destination range from every pod.
        for e in &externals {
            for addr in [e.range.end, mid(e.range.start, e.range.end)] {
                let mut probe = cluster.clone();
                let other = probe.add_external(addr);
                for p in 0..cluster.pods.len() {
                    let pod = EndpointId(p);
                    for key in [PortKey::tcp(80), PortKey::new(53, Protocol::Udp), PortKey::tcp(443)] {
                        if e.destination {
                            prop_assert_eq!(
                                reference::allowed(&probe, &policies, pod, e.id, key),
                                reference::allowed(&probe, &policies, pod, other, key),
                                "{} -> {} vs {} on {}", cluster.endpoint_name(pod), e.range.start, addr, key
                            );
                        }
                        if e.source {
                            prop_assert_eq!(
                                reference::allowed(&probe, &policies, e.id, pod, key),
                                reference::allowed(&probe, &policies, other, pod, key),
                                "{} vs {} -> {} on {}", e.range.start, addr, cluster.endpoint_name(pod), key
                            );
                        }
                    }
                }
            }
        }
    }
}

/// An address halfway between `a` and `b` (same family).
fn mid(a: std::net::IpAddr, b: std::net::IpAddr) -> std::net::IpAddr {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let (a, b) = (u64::from(u32::from(a)), u64::from(u32::from(b)));
            IpAddr::V4(Ipv4Addr::from(((a + b) / 2) as u32))
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let (a, b) = (u128::from(a), u128::from(b));
            IpAddr::V6(Ipv6Addr::from(a / 2 + b / 2 + (a % 2 + b % 2) / 2))
        }
        _ => a,
    }
}
