//! Round-trip property: policies generated from a flow file, emitted as YAML
//! and read back, allow every observed forwarded flow (replayed through the
//! engine), and open nothing between the observed workloads that was not
//! observed — in both flavors, for every sample.

use std::collections::BTreeSet;

use policy_core::diagnostic::Severity;
use policy_core::engine::{self, Engine, PortKey};
use policy_core::flows::{
    AggregateOptions, Aggregates, Flavor, GenerateOptions, Identity, Protocol, ReaderOptions, aggregate_bytes,
    generate, replay, replay_cluster, to_yaml,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hubble/");
const SAMPLES: &[&str] = &[
    "basic-sample-10-flows.json",
    "basic-sample-400-tcp-flows.json",
    "basic-sample-400-udp-flows.json",
    "basic-sample-5-dns-flows.json",
    "basic-sample-5-http-flows.json",
    "cilium-docs-export-events.log",
    "../flows/synthetic-mixed.jsonl",
];

fn aggregates(name: &str) -> Aggregates {
    let bytes = std::fs::read(format!("{DATA}{name}")).unwrap();
    aggregate_bytes(&bytes, ReaderOptions::default(), AggregateOptions::default()).unwrap().0
}

fn engine_port(protocol: Protocol, port: Option<u16>) -> Option<PortKey> {
    let p = match protocol {
        Protocol::Tcp => engine::Protocol::Tcp,
        Protocol::Udp => engine::Protocol::Udp,
        Protocol::Sctp => engine::Protocol::Sctp,
        _ => return None,
    };
    Some(PortKey::new(port?, p))
}

fn check(name: &str, flavor: Flavor) {
    check_with(name, flavor, "");
}

/// The property, with `extra` YAML policies added to the generated ones.
fn check_with(name: &str, flavor: Flavor, extra: &str) {
    let agg = aggregates(name);
    let generated = generate(&agg, &GenerateOptions { flavor, ..GenerateOptions::default() });
    let mut yaml = to_yaml(&generated.policies);
    if !extra.is_empty() {
        yaml.push_str("---\n");
        yaml.push_str(extra);
    }
    let (policies, diagnostics) = policy_core::yaml::parse_policies(&yaml);
    let errors: Vec<_> = diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{name} {flavor:?}: emitted YAML does not read back: {errors:?}\n{yaml}");
    assert_eq!(policies.len(), generated.policies.len() + usize::from(!extra.is_empty()));

    // 1. Every observed forwarded request is allowed, unless generation said
    //    why it could not express it.
    let replayed = replay(&agg, &policies);
    let mut checked = 0;
    for (row, f) in replayed.flows.iter().zip(&agg.flows) {
        if f.is_reply || !f.verdict.is_allowed_traffic() {
            continue;
        }
        let tuple = format!("{} -> {} ", row.source, row.destination);
        let explained = generated.warnings.iter().any(|w| w.starts_with(&tuple));
        // Peers the engine has no endpoint for (reserved:health, init,
        // ingress, unmanaged) cannot be replayed; replay says so per row.
        // Nor can ICMP, which the engine does not model.
        let unmodelled = row
            .note
            .as_deref()
            .is_some_and(|n| n.contains("has no endpoint in the model") || n.contains("not modelled by the engine"));
        match row.allowed {
            Some(true) => checked += 1,
            _ if explained => {}
            None if unmodelled => {}
            None => panic!("{name} {flavor:?}: {tuple} not evaluated: {:?}", row.note),
            Some(false) => panic!("{name} {flavor:?}: observed {tuple}{:?}/{} is denied: {:#?}\n{yaml}", row.port, row.protocol, row.reasons),
        }
    }
    assert!(checked > 0 || agg.flows.iter().all(|f| f.is_reply || !f.verdict.is_allowed_traffic()), "{name}: nothing checked");

    // 2. Nothing else is opened between observed workloads.
    let model = replay_cluster(&agg);
    let engine = Engine::new(&model.cluster, &policies);
    let mut observed = BTreeSet::new();
    let mut ports = BTreeSet::new();
    for f in &agg.flows {
        if let Some(p) = engine_port(f.protocol, f.port) {
            ports.insert(p);
            if !f.is_reply && f.verdict.is_allowed_traffic() {
                observed.insert((f.source, f.destination, p));
            }
        }
    }
    ports.insert(PortKey::new(53, engine::Protocol::Udp));
    ports.insert(PortKey::new(53, engine::Protocol::Tcp));
    let workloads: Vec<usize> = (0..agg.identities.len())
        .filter(|i| matches!(agg.identities[*i].identity, Identity::Workload { .. }))
        .collect();
    let is_kube_dns = |i: usize| match &agg.identities[i].identity {
        Identity::Workload { namespace, labels } => {
            namespace == "kube-system" && labels.get("k8s-app").map(String::as_str) == Some("kube-dns")
        }
        _ => false,
    };
    let mut pairs = 0;
    for &a in &workloads {
        for &b in &workloads {
            let (Ok(ea), Ok(eb)) = (&model.endpoints[a], &model.endpoints[b]) else { continue };
            for p in &ports {
                let v = engine.verdict(*ea, *eb, *p);
                pairs += 1;
                if !v.allowed || !(v.egress.isolated || v.ingress.isolated) {
                    continue;
                }
                let dns_widening = is_kube_dns(b)
                    && p.port == 53
                    && !v.ingress.isolated
                    && observed.iter().any(|(s, d, q)| *s == a && *d == b && q.port == 53);
                assert!(
                    observed.contains(&(a, b, *p)) || dns_widening,
                    "{name} {flavor:?}: {} -> {} on {p} is allowed but was never observed: {:#?}",
                    agg.identities[a].display,
                    agg.identities[b].display,
                    v.reasons()
                );
            }
        }
    }
    assert!(pairs > 0 || workloads.is_empty());
}

#[test]
fn round_trip_kubernetes() {
    for name in SAMPLES {
        check(name, Flavor::Kubernetes);
    }
}

#[test]
fn round_trip_cilium() {
    for name in SAMPLES {
        check(name, Flavor::Cilium);
    }
}

/// The property is not vacuous: one over-broad extra policy breaks it.
#[test]
#[should_panic(expected = "is allowed but was never observed")]
fn round_trip_catches_a_policy_that_opens_more() {
    let allow_all_to_reviews = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: too-broad
  namespace: bookinfo
spec:
  podSelector:
    matchLabels:
      app: reviews
  ingress:
  - {}
";
    check_with("basic-sample-400-tcp-flows.json", Flavor::Kubernetes, allow_all_to_reviews);
}
