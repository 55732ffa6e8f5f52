//! Property test: the indexed engine (truth table and single verdicts) agrees
//! with the naive reference evaluator on random clusters and random
//! NetworkPolicies, CiliumNetworkPolicies and clusterwide policies.

mod support;

use policy_core::cluster::EndpointId;
use policy_core::engine::{Engine, PortKey, reference};
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
