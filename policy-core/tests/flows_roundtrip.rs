//! Round-trip property: policies generated from a flow file, emitted as YAML
//! and read back, allow every observed forwarded flow (replayed through the
//! engine), and open nothing between the observed workloads that was not
//! observed — in both flavors, for every sample.

use std::collections::BTreeSet;

use policy_core::diagnostic::Severity;
use policy_core::engine::{self, Engine, PortKey};
use policy_core::flows::{
    AggregateOptions, Aggregates, Flavor, GenerateOptions, Identity, Protocol, ReaderOptions,
    aggregate_bytes, generate, replay, replay_cluster, to_yaml,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hubble/");
const SAMPLES: &[&str] = &[
    "basic-sample-10-flows.json",
    "basic-sample-400-tcp-flows.json",
    "basic-sample-400-udp-flows.json",
    "basic-sample-5-dns-flows.json",
    "basic-sample-5-http-flows.json",
    "cilium-docs-export-events.log",
    "basic-sample-400-icmpv4-flows.json",
    "../flows/synthetic-mixed.jsonl",
];

/// Lints that state a fact the user must decide on, allowed in generated
/// policies. PA005 (ipBlock in a private range): generation writes an ipBlock
/// only for addresses the flows show are not pods (nodes, health endpoints,
/// peers Hubble saw as world), never for a pod IP (asserted below); whether
/// the network plugin matches node addresses by ipBlock is the user's call.
const DECIDE: &[&str] = &["PA005"];

fn aggregates(name: &str) -> Aggregates {
    let bytes = std::fs::read(format!("{DATA}{name}")).unwrap();
    aggregate_bytes(
        &bytes,
        ReaderOptions::default(),
        AggregateOptions::default(),
    )
    .unwrap()
    .0
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
    let generated = generate(
        &agg,
        &GenerateOptions {
            flavor,
            ..GenerateOptions::default()
        },
    );
    let mut yaml = to_yaml(&generated.policies);
    if !extra.is_empty() {
        yaml.push_str("---\n");
        yaml.push_str(extra);
    }
    let (policies, diagnostics) = policy_core::yaml::parse_policies(&yaml);
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(
        errors.is_empty(),
        "{name} {flavor:?}: emitted YAML does not read back: {errors:?}\n{yaml}"
    );
    assert_eq!(
        policies.len(),
        generated.policies.len() + usize::from(!extra.is_empty())
    );
    // What we generate passes apiserver-grade (and Cilium) validation.
    for p in &generated.policies {
        let errors: Vec<_> = policy_core::validate::validate(p)
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(
            errors.is_empty(),
            "{name} {flavor:?}: {} is invalid: {errors:#?}",
            p.display_name()
        );
    }

    // 1. Every observed forwarded request is allowed, replies included (a
    //    reply's verdict is its request's), and none is left without a
    //    verdict, unless generation said why it could not express it.
    let replayed = replay(&agg, &policies);
    let mut checked = 0;
    let asked = GenerateOptions::default();
    for (row, f) in replayed.flows.iter().zip(&agg.flows) {
        if !asked.admits(f.verdict) {
            continue;
        }
        let tuple = if f.is_reply {
            format!("{} -> {} ", row.destination, row.source)
        } else {
            format!("{} -> {} ", row.source, row.destination)
        };
        let explained = generated.warnings.iter().any(|w| w.starts_with(&tuple));
        match row.allowed {
            Some(true) => checked += 1,
            _ if explained => {}
            None => panic!(
                "{name} {flavor:?}: {tuple}{:?}/{} has no verdict: {:?}",
                row.port, row.protocol, row.note
            ),
            Some(false) => panic!(
                "{name} {flavor:?}: observed {tuple}{:?}/{} (reply: {}) is denied: {:#?}\n{yaml}",
                row.port, row.protocol, row.is_reply, row.reasons
            ),
        }
    }
    assert!(
        checked > 0 || agg.flows.iter().all(|f| !f.verdict.is_allowed_traffic()),
        "{name}: nothing checked"
    );

    // Generated policies are clean under `palisade check`: no errors, and no
    // warnings but those that state a fact the user must decide on.
    let generated_yaml = to_yaml(&generated.policies);
    let diagnostics = policy_core::check::check(&generated_yaml, None);
    let unclean: Vec<_> = diagnostics
        .iter()
        .filter(|d| !DECIDE.contains(&d.code.as_str()))
        .collect();
    // No ipBlock pins an address the flows show is a pod's.
    let pod_ips: BTreeSet<String> = agg
        .identities
        .iter()
        .filter(|i| matches!(i.identity, Identity::Workload { .. }))
        .filter_map(|i| i.ip.map(|ip| format!("{ip}/")))
        .collect();
    for ip in &pod_ips {
        assert!(
            !yaml.contains(&format!("cidr: {ip}")) && !yaml.contains(&format!("- {ip}")),
            "{name} {flavor:?}: pod IP {ip} pinned:\n{yaml}"
        );
    }
    assert!(
        unclean.is_empty(),
        "{name} {flavor:?}: generated policies are not clean: {unclean:#?}\n{yaml}"
    );

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
        // A reply shows its request happened.
        if f.is_reply
            && f.verdict.is_allowed_traffic()
            && let Some(p) = engine_port(f.protocol, f.source_port)
        {
            ports.insert(p);
            observed.insert((f.destination, f.source, p));
        }
    }
    ports.insert(PortKey::new(53, engine::Protocol::Udp));
    ports.insert(PortKey::new(53, engine::Protocol::Tcp));
    let workloads: Vec<usize> = (0..agg.identities.len())
        .filter(|i| matches!(agg.identities[*i].identity, Identity::Workload { .. }))
        .collect();
    let is_kube_dns = |i: usize| match &agg.identities[i].identity {
        Identity::Workload { namespace, labels } => {
            namespace == "kube-system"
                && labels.get("k8s-app").map(String::as_str) == Some("kube-dns")
        }
        _ => false,
    };
    let mut pairs = 0;
    for &a in &workloads {
        for &b in &workloads {
            let (Ok(ea), Ok(eb)) = (&model.endpoints[a], &model.endpoints[b]) else {
                continue;
            };
            for p in &ports {
                let v = engine.verdict(*ea, *eb, *p);
                pairs += 1;
                if !v.allowed || !(v.egress.isolated || v.ingress.isolated) {
                    continue;
                }
                // Every egress policy keeps DNS to kube-dns.
                let dns_widening = is_kube_dns(b) && p.port == 53 && !v.ingress.isolated;
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
    check_with(
        "basic-sample-400-tcp-flows.json",
        Flavor::Kubernetes,
        allow_all_to_reviews,
    );
}
