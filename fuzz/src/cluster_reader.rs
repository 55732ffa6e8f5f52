//! Cluster dumps and workload manifests → the cluster model → the engine.
//!
//! The input is one or more texts separated by NUL bytes (NUL cannot occur
//! in YAML), read as the CLI reads several `--cluster` files: each through
//! one `ClusterReader`, the one place where objects become a cluster.
//!
//! Invariants:
//! - nothing panics;
//! - every error diagnostic has a line;
//! - every pod of the cluster is named by its `namespace/pod` text: the
//!   text reads back (`EndpointRef`) to the reference, which finds the pod;
//! - on a small cluster, the engine's truth table and its per-connection
//!   verdicts (what `palisade probe` prints) agree on every pair and port,
//!   with the policies found among the objects.

use policy_core::cluster::{ClusterReader, EndpointRef};
use policy_core::diagnostic::Severity;
use policy_core::engine::Engine;

/// Clusters larger than this skip the (quadratic) engine comparison.
const MAX_ENDPOINTS: usize = 16;
/// Ports compared at most.
const MAX_PORTS: usize = 8;

/// The target's body.
pub fn run(data: &[u8]) {
    let mut reader = ClusterReader::new();
    for part in data.split(|&b| b == 0) {
        let Ok(text) = std::str::from_utf8(part) else {
            continue;
        };
        for d in reader.read(text) {
            assert!(
                d.severity != Severity::Error || d.line.is_some(),
                "an error without a line: {d:?}"
            );
        }
    }
    let Ok(input) = reader.finish() else { return };
    let cluster = &input.cluster;
    for id in cluster.endpoint_ids() {
        if cluster.pod(id).is_none_or(|pod| pod.reserved.is_some()) {
            continue;
        }
        let reference = cluster.endpoint_ref(id);
        let text = reference.to_string();
        assert_eq!(
            text.parse::<EndpointRef>().ok().as_ref(),
            Some(&reference),
            "pod {text:?} cannot be named on the command line"
        );
        assert_eq!(
            cluster.find(&reference),
            Some(id),
            "{text} finds another endpoint"
        );
    }

    if cluster.endpoint_count() > MAX_ENDPOINTS {
        return;
    }
    let engine = Engine::new(cluster, &input.policies);
    let mut ports = engine.policy_ports();
    ports.truncate(MAX_PORTS);
    let table = engine.truth_table(&ports);
    for (index, &port) in ports.iter().enumerate() {
        for from in cluster.endpoint_ids() {
            for to in cluster.endpoint_ids() {
                if from == to {
                    continue;
                }
                let verdict = engine.verdict(from, to, port);
                assert_eq!(
                    table.allowed(index, from, to),
                    verdict.allowed,
                    "truth table and verdict disagree on {} → {} {port}: {:?}",
                    verdict.from,
                    verdict.to,
                    verdict.reasons()
                );
                assert_eq!(engine.is_allowed(from, to, port), verdict.allowed);
            }
        }
    }
}
