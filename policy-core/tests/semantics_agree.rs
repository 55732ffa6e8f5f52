//! Property test: what the page shows and says about a policy agrees with
//! the engine, on random clusters and policies (the generator of
//! `engine_vs_reference`):
//!
//! - the graph view model's isolation flag of each direction is on exactly
//!   when the engine lists the policy among those isolating a pod it selects;
//! - every rule the engine matches for the policy is drawn as an edge of
//!   that direction (an allow edge for allow rules, a deny edge for deny
//!   rules), and a direction the policy does not isolate draws no edges;
//! - explain's isolation sentences say "not restricted" exactly for the
//!   directions the engine does not isolate, and every rule the engine
//!   matches is explained as allowing something;
//! - `edit::convert`, where it claims to be faithful (no notes), leaves
//!   every connection's verdict under the policy unchanged.

mod support;

use std::collections::BTreeSet;

use policy_core::cluster::{Cluster, EndpointId};
use policy_core::edit::convert;
use policy_core::engine::{Engine, PortKey, Verdict};
use policy_core::explain::explain;
use policy_core::model::{Policy, PolicyKind};
use policy_core::view::{Direction, graph, rule_field};
use proptest::prelude::*;
use support::{PORTS, cluster_strategy, policy};

/// What the engine says about policy `index` on one side of one pod.
#[derive(Default)]
struct SideFacts {
    /// The policy isolates the pod in this direction.
    isolates: bool,
    /// Fields of the policy's rules that allowed a connection (`spec.ingress[0]`).
    allowed_by: BTreeSet<String>,
    /// Fields of the policy's deny rules that denied one.
    denied_by: BTreeSet<String>,
}

/// The engine's facts about policy `index`, per pod that it selects (that
/// it isolates in some direction), for [ingress, egress].
fn engine_facts(
    cluster: &Cluster,
    engine: &Engine,
    index: usize,
    ports: &[PortKey],
) -> Vec<[SideFacts; 2]> {
    let n = cluster.endpoint_count();
    let mut out = Vec::new();
    for x in 0..cluster.pods.len() {
        let x = EndpointId(x);
        let mut facts: [SideFacts; 2] = Default::default();
        for y in 0..n {
            let y = EndpointId(y);
            for port in ports {
                // x receiving (ingress side), x sending (egress side).
                let incoming: Verdict = engine.verdict(y, x, *port);
                let outgoing: Verdict = engine.verdict(x, y, *port);
                for (slot, side) in [(0, &incoming.ingress), (1, &outgoing.egress)] {
                    let f = &mut facts[slot];
                    f.isolates |= side.isolated_by.iter().any(|p| p.index == index);
                    for m in side.allowed_by.iter().filter(|m| m.policy.index == index) {
                        f.allowed_by.insert(m.rule.clone());
                    }
                    for m in side.denied_by.iter().filter(|m| m.policy.index == index) {
                        f.denied_by.insert(m.rule.clone());
                    }
                }
            }
        }
        out.push(facts);
    }
    out
}

fn check_policy(
    cluster: &Cluster,
    engine: &Engine,
    policies: &[Policy],
    index: usize,
    ports: &[PortKey],
) -> Result<(), TestCaseError> {
    let policy = &policies[index];
    let g = graph(policy);
    let explanation = explain(policy);
    let facts = engine_facts(cluster, engine, index, ports);
    // A policy that isolates a pod in some direction selects it.
    let selected: Vec<&[SideFacts; 2]> = facts
        .iter()
        .filter(|f| f[0].isolates || f[1].isolates)
        .collect();
    for (slot, direction) in [(0, Direction::Ingress), (1, Direction::Egress)] {
        let side = g.side(direction);
        let drawn_allow: BTreeSet<String> = side
            .peers()
            .filter(|p| !p.edge.deny)
            .map(|p| rule_field(policy, &p.at.rule))
            .collect();
        let drawn_deny: BTreeSet<String> = side
            .peers()
            .filter(|p| p.edge.deny)
            .map(|p| rule_field(policy, &p.at.rule))
            .collect();
        for f in &selected {
            prop_assert_eq!(
                side.isolation.is_isolated(),
                f[slot].isolates,
                "{} {}: graph isolation {:?}, engine isolates: {}",
                policy.display_name(),
                direction.as_str(),
                side.isolation,
                f[slot].isolates
            );
        }
        for f in &facts {
            for rule in &f[slot].allowed_by {
                prop_assert!(
                    drawn_allow.contains(rule),
                    "{}: the engine allows by {rule}, the graph draws no allow edge for it ({:?})",
                    policy.display_name(),
                    drawn_allow
                );
                if let Policy::NetworkPolicy(_) = policy {
                    let text = explanation
                        .rules
                        .iter()
                        .find(|r| &r.field == rule)
                        .map(|r| r.text.as_str())
                        .unwrap_or("");
                    prop_assert!(
                        text.starts_with("Allows"),
                        "{}: the engine allows by {rule}, explain says {text:?}",
                        policy.display_name()
                    );
                }
            }
            for rule in &f[slot].denied_by {
                prop_assert!(
                    drawn_deny.contains(rule),
                    "{}: the engine denies by {rule}, the graph draws no deny edge for it",
                    policy.display_name()
                );
            }
        }
        if let (Policy::NetworkPolicy(_), Some(f)) = (policy, selected.first()) {
            if !f[slot].isolates {
                prop_assert!(
                    side.peers().next().is_none(),
                    "{}: the engine does not isolate {}, yet the graph draws edges",
                    policy.display_name(),
                    direction.as_str()
                );
            }
            // Explain's isolation sentence, against the engine.
            {
                let summary = explanation.summary.join(" ");
                let unrestricted = summary
                    .contains(&format!("Their {} is not restricted", direction.as_str()))
                    || summary.contains("restricts neither ingress nor egress");
                prop_assert_eq!(
                    unrestricted,
                    !f[slot].isolates,
                    "{}: explain says {:?}, engine isolates {}: {}",
                    policy.display_name(),
                    summary,
                    direction.as_str(),
                    f[slot].isolates
                );
            }
        }
    }
    Ok(())
}

/// Converting policy `index` where `convert` claims to be faithful leaves
/// every verdict unchanged.
fn check_conversion(
    cluster: &Cluster,
    policies: &[Policy],
    index: usize,
    ports: &[PortKey],
) -> Result<(), TestCaseError> {
    let target = match policies[index].kind() {
        PolicyKind::NetworkPolicy => PolicyKind::CiliumNetworkPolicy,
        PolicyKind::CiliumNetworkPolicy => PolicyKind::NetworkPolicy,
        PolicyKind::CiliumClusterwideNetworkPolicy => return Ok(()),
    };
    let Ok(conversion) = convert(&policies[index], target) else {
        return Ok(());
    };
    if !conversion.notes.is_empty() {
        return Ok(());
    }
    // Alone: in Cilium, the `fromRequires`/`toRequires` of *other* Cilium
    // policies constrain every allow rule of the endpoints they select, so a
    // converted rule may mean less next to them (the property test found
    // this); convert describes the policy itself.
    let original = [policies[index].clone()];
    let converted = [conversion.policy.clone()];
    let before = Engine::new(cluster, &original).truth_table(ports);
    let after_engine = Engine::new(cluster, &converted);
    let after = after_engine.truth_table(ports);
    let n = cluster.endpoint_count();
    for (pi, port) in ports.iter().enumerate() {
        for s in 0..n {
            for t in 0..n {
                let (s, t) = (EndpointId(s), EndpointId(t));
                prop_assert_eq!(
                    before.allowed(pi, s, t),
                    after.allowed(pi, s, t),
                    "{} -> {} on {} changed by converting {} to {:?}: {:#?}\nafter: {:#?}",
                    cluster.endpoint_name(s),
                    cluster.endpoint_name(t),
                    port,
                    policies[index].display_name(),
                    target,
                    conversion.policy,
                    after_engine.verdict(s, t, *port)
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn view_explain_and_convert_agree_with_the_engine(
        cluster in cluster_strategy(),
        policies in prop::collection::vec(policy(), 1..4),
    ) {
        let ports: Vec<PortKey> = PORTS.iter().map(|p| p.parse().unwrap()).collect();
        let engine = Engine::new(&cluster, &policies);
        for index in 0..policies.len() {
            check_policy(&cluster, &engine, &policies, index, &ports)?;
            check_conversion(&cluster, &policies, index, &ports)?;
        }
    }
}

/// The policy of issue 12: `egress: []` without policyTypes leaves egress
/// open, in the graph, the explanation and the conversion alike.
#[test]
fn empty_egress_list_leaves_egress_open_everywhere() {
    let yaml = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: egress-empty, namespace: prod}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from:\n    - podSelector: {}\n  egress: []\n";
    let (policies, diags) = policy_core::yaml::parse_policies(yaml);
    assert!(diags.is_empty(), "{diags:?}");
    let g = graph(&policies[0]);
    assert!(
        !g.egress.isolation.is_isolated(),
        "{:?}",
        g.egress.isolation
    );
    assert!(g.ingress.isolation.is_isolated());
    let summary = explain(&policies[0]).summary.join(" ");
    assert!(
        summary.contains("Their egress is not restricted"),
        "{summary}"
    );
    let cnp = convert(&policies[0], PolicyKind::CiliumNetworkPolicy).unwrap();
    let Policy::CiliumNetworkPolicy(c) = &cnp.policy else {
        panic!("{cnp:?}")
    };
    let spec = c.spec.as_ref().unwrap();
    assert!(spec.egress.is_none(), "egress became {:?}", spec.egress);
    // And the new lint says why.
    let diags = policy_core::check::check(yaml, None);
    assert!(
        diags.iter().any(|d| d.code == "PA019"
            && d.field.as_deref() == Some("spec.egress")
            && d.line == Some(9)),
        "{diags:#?}"
    );
}
