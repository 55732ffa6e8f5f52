use std::collections::BTreeMap;

use super::*;
use crate::cluster::{Cluster, PodInfo};
use crate::engine::{Engine, PortKey, Protocol};
use crate::view::{GroupKind, Isolation, PeerField, graph};
use crate::yaml::{emit_policy, parse_policies};

fn policy(text: &str) -> Policy {
    let (mut policies, diags) = parse_policies(text);
    assert!(diags.is_empty(), "{diags:?}");
    policies.remove(0)
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const NP: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: frontend}}
    ports: [{port: 80}]
"#;

const CNP: &str = r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: prod}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
"#;

#[test]
fn add_peer_networkpolicy_lands_where_the_graph_says() {
    let p = policy(NP);
    let sel = parse_selector("app=monitor, tier in (a, b)").unwrap();
    let (p2, at) = add_peer(
        &p,
        Direction::Ingress,
        NewPeer::Pods(sel),
        &[NewPort::parse("9090/TCP").unwrap()],
    )
    .unwrap();
    let g = graph(&p2);
    let peer = g.peer(&at).expect("the new peer is in the graph");
    assert_eq!(peer.title, "app=monitor, tier in (a, b)");
    assert_eq!(peer.edge.label(), "9090/TCP");
    let yaml = emit_policy(&p2);
    assert!(yaml.contains("app: monitor"), "{yaml}");
    // Ingress was implicitly isolated; policyTypes is now explicit and
    // egress did not become isolated.
    assert!(yaml.contains("policyTypes:\n  - Ingress\n"), "{yaml}");
    assert_eq!(g.egress.isolation, Isolation::Open);
}

#[test]
fn removing_the_last_peer_removes_the_rule_instead_of_allowing_everyone() {
    let p = policy(NP);
    let g = graph(&p);
    let at = g.ingress.peers().next().unwrap().at;
    let p2 = remove_peer(&p, &at).unwrap();
    let g2 = graph(&p2);
    assert_eq!(g2.ingress.isolation, Isolation::DenyAll);
    assert_eq!(g2.ingress.peers().count(), 0);

    let c = policy(CNP);
    let at = graph(&c).ingress.peers().next().unwrap().at;
    let c2 = remove_peer(&c, &at).unwrap();
    let g3 = graph(&c2);
    assert_eq!(
        g3.ingress.isolation,
        Isolation::DenyAll,
        "{}",
        emit_policy(&c2)
    );
    assert!(
        emit_policy(&c2).contains("ingress:\n  - {}"),
        "{}",
        emit_policy(&c2)
    );
}

#[test]
fn stale_references_are_reported() {
    let p = policy(NP);
    let bogus = PeerRef {
        rule: RuleRef {
            direction: Direction::Egress,
            deny: false,
            spec: 0,
            rule: 3,
        },
        field: PeerField::K8sPeer,
        index: 0,
    };
    assert!(matches!(
        remove_peer(&p, &bogus),
        Err(EditError::NotFound(_))
    ));
}

#[test]
fn default_deny_toggles_per_flavour() {
    let p = policy(NP);
    let on = set_default_deny(&p, Direction::Egress, true).unwrap();
    assert_eq!(graph(&on).egress.isolation, Isolation::DenyAll);
    let off = set_default_deny(&on, Direction::Egress, false).unwrap();
    assert_eq!(graph(&off).egress.isolation, Isolation::Open);
    assert!(matches!(
        set_default_deny(&p, Direction::Ingress, false),
        Err(EditError::Unsupported { .. })
    ));
    assert!(matches!(
        set_default_deny(&p, Direction::Ingress, true),
        Err(EditError::NoChange(_))
    ));

    let c = policy(CNP);
    let on = set_default_deny(&c, Direction::Egress, true).unwrap();
    assert_eq!(graph(&on).egress.isolation, Isolation::DenyAll);
    let off = set_default_deny(&c, Direction::Ingress, false).unwrap();
    assert_eq!(graph(&off).ingress.isolation, Isolation::NotIsolating);
    assert!(
        emit_policy(&off).contains("enableDefaultDeny:\n    ingress: false"),
        "{}",
        emit_policy(&off)
    );
}

#[test]
fn allow_dns_in_one_click() {
    let p = policy(NP);
    assert!(
        matches!(allow_dns(&p), Err(EditError::NoChange(_))),
        "egress is open"
    );
    let isolated = set_default_deny(&p, Direction::Egress, true).unwrap();
    let with_dns = allow_dns(&isolated).unwrap();
    let g = graph(&with_dns);
    let dns = &g.egress.group(GroupKind::Dns).unwrap().peers;
    assert_eq!(dns.len(), 1);
    assert_eq!(dns[0].edge.label(), "53/UDP, 53/TCP");
    assert!(matches!(allow_dns(&with_dns), Err(EditError::NoChange(_))));

    let c = set_default_deny(&policy(CNP), Direction::Egress, true).unwrap();
    let c = allow_dns(&c).unwrap();
    let g = graph(&c);
    let dns = &g.egress.group(GroupKind::Dns).unwrap().peers[0];
    assert_eq!(dns.edge.l7[0].protocol, "DNS");
    // The isolating `{}` was replaced by the DNS rule.
    assert_eq!(g.egress.peers().count(), 1);
}

#[test]
fn ports_add_remove_and_parse() {
    let p = policy(NP);
    let rule = graph(&p).ingress.peers().next().unwrap().at.rule;
    let p2 = add_port(&p, &rule, &NewPort::parse("8000-8080/tcp").unwrap()).unwrap();
    assert_eq!(
        graph(&p2).ingress.peers().next().unwrap().edge.label(),
        "80/TCP, 8000-8080/TCP"
    );
    assert!(matches!(
        add_port(&p2, &rule, &NewPort::parse("80").unwrap()),
        Err(EditError::NoChange(_))
    ));
    let p3 = remove_port(&p2, &rule, 0).unwrap();
    assert_eq!(
        graph(&p3).ingress.peers().next().unwrap().edge.label(),
        "8000-8080/TCP"
    );
    let p4 = remove_port(&p3, &rule, 0).unwrap();
    assert_eq!(
        graph(&p4).ingress.peers().next().unwrap().edge.label(),
        "all ports"
    );
    assert!(matches!(
        add_port(&p, &rule, &NewPort::parse("53/ANY").unwrap()),
        Err(EditError::Unsupported { .. })
    ));

    assert_eq!(
        NewPort::parse("http").unwrap(),
        NewPort {
            port: "http".into(),
            end_port: None,
            protocol: "TCP".into()
        }
    );
    for bad in ["0", "70000", "80-70/TCP", "80/ICMP", "Not A Name", ""] {
        assert!(NewPort::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn l7_rules_need_ports_and_cilium() {
    let c = policy(CNP);
    let rule = graph(&c).ingress.peers().next().unwrap().at.rule;
    let http = crate::model::cilium::HttpRule {
        method: Some("GET".into()),
        path: Some("/health".into()),
        ..Default::default()
    };
    let c2 = add_http_rule(&c, &rule, http.clone()).unwrap();
    let peer = graph(&c2).ingress.peers().next().unwrap().clone();
    assert_eq!(peer.edge.l7[0].rules, vec!["GET /health"]);
    assert!(matches!(
        add_http_rule(&policy(NP), &rule, http.clone()),
        Err(EditError::Unsupported { .. })
    ));
    let (c3, at) = add_peer(
        &c,
        Direction::Ingress,
        NewPeer::Entity("cluster".into()),
        &[],
    )
    .unwrap();
    assert!(matches!(
        add_http_rule(&c3, &at.rule, http),
        Err(EditError::Invalid(_))
    ));
    let dns = crate::model::cilium::DnsRule {
        match_pattern: Some("*".into()),
        ..Default::default()
    };
    assert!(
        matches!(add_dns_rule(&c2, &rule, dns), Err(EditError::Invalid(_))),
        "DNS rules are egress-only"
    );
    let cleared = clear_l7(&c2, &rule).unwrap();
    assert!(
        graph(&cleared)
            .ingress
            .peers()
            .next()
            .unwrap()
            .edge
            .l7
            .is_empty()
    );
}

#[test]
fn selectors_and_cidrs_edit_in_place() {
    let p = policy(NP);
    let at = graph(&p).ingress.peers().next().unwrap().at;
    let ns = parse_selector("team=a").unwrap();
    let p2 = set_peer_selector(&p, &at, parse_selector("app=x").unwrap(), Some(ns)).unwrap();
    let g = graph(&p2);
    assert_eq!(
        g.ingress.group(GroupKind::InCluster).unwrap().peers[0].details,
        vec!["namespaces team=a"]
    );

    let (p3, cidr_at) = add_peer(
        &p,
        Direction::Egress,
        NewPeer::Cidr {
            cidr: "10.0.0.0/8".into(),
            except: vec![],
        },
        &[],
    )
    .unwrap();
    let p4 = set_peer_cidr(&p3, &cidr_at, "10.1.0.0/16", &["10.1.2.0/24".into()]).unwrap();
    let peer = graph(&p4).egress.peers().next().unwrap().clone();
    assert_eq!(
        (peer.title.as_str(), peer.details.clone()),
        ("10.1.0.0/16", vec!["except 10.1.2.0/24".to_string()])
    );
    assert!(matches!(
        set_peer_cidr(&p3, &cidr_at, "nope", &[]),
        Err(EditError::Invalid(_))
    ));
    assert!(matches!(
        add_peer(
            &p,
            Direction::Egress,
            NewPeer::Fqdn("x.example.com".into()),
            &[]
        ),
        Err(EditError::Unsupported { .. })
    ));
}

#[test]
fn selector_text_round_trips() {
    for text in [
        "app=web",
        "app=web, tier in (a, b), env notin (dev), team, !legacy",
        "",
    ] {
        let sel = parse_selector(text).unwrap();
        assert_eq!(crate::view::selector_terms(&sel).join(", "), text);
    }
    assert_eq!(
        crate::view::selector_terms(&parse_selector("a != b").unwrap()),
        vec!["a notin (b)"]
    );
    assert!(parse_selector("tier in a, b").is_err());
    assert!(parse_selector("app=has space").is_err());
}

/// Found by the edit_view fuzz target: `apiVersion===x` read as the value
/// `==x`, which shows as `apiVersion===x` and reads back as `=x`. Values
/// must be label values, as for the apiserver.
#[test]
fn selector_values_are_label_values() {
    for text in ["a===x", "a=-x", "a!==x", "a in (ok, =x)", "a notin (x y)"] {
        let err = parse_selector(text).unwrap_err();
        assert!(err.reason.contains("not a label value"), "{text}: {err}");
    }
    for text in ["a==x", "a=", "a=x.y_z-1", "a in (x, y-1)"] {
        assert!(parse_selector(text).is_ok(), "{text}");
    }
}

/// A small cluster: two namespaces, pods on both sides of every rule.
fn cluster() -> Cluster {
    let mut c = Cluster::new();
    c.add_namespace("prod", labels(&[("env", "prod")]));
    c.add_namespace("monitoring", labels(&[("env", "ops")]));
    c.add_namespace("kube-system", labels(&[]));
    for (ns, name, l) in [
        ("prod", "web", vec![("app", "web")]),
        ("prod", "frontend", vec![("app", "frontend")]),
        ("prod", "db", vec![("app", "postgres")]),
        ("monitoring", "prometheus", vec![("app", "prometheus")]),
        ("monitoring", "frontend", vec![("app", "frontend")]),
        ("kube-system", "dns", vec![("k8s-app", "kube-dns")]),
    ] {
        c.add_pod(PodInfo::new(ns, name, labels(&l)));
    }
    c
}

fn truth(policies: &[Policy], ports: &[PortKey]) -> Vec<bool> {
    let c = cluster();
    let table = Engine::new(&c, policies).truth_table(ports);
    let ids: Vec<_> = c.endpoint_ids().collect();
    let mut out = Vec::new();
    for (pi, _) in ports.iter().enumerate() {
        for &a in &ids {
            for &b in &ids {
                out.push(table.allowed(pi, a, b));
            }
        }
    }
    out
}

const NP_RICH: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: frontend}}
    - namespaceSelector: {matchLabels: {env: ops}}
      podSelector: {matchLabels: {app: prometheus}}
    ports: [{port: 80}]
  - from:
    - namespaceSelector: {}
    ports: [{port: 9000, protocol: TCP}]
  egress:
  - to:
    - podSelector: {matchLabels: {app: postgres}}
    ports: [{port: 5432}]
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{port: 53, protocol: UDP}]
"#;

#[test]
fn conversion_to_cilium_keeps_reachability() {
    let np = policy(NP_RICH);
    let conv = convert(&np, PolicyKind::CiliumNetworkPolicy).unwrap();
    assert_eq!(conv.policy.kind(), PolicyKind::CiliumNetworkPolicy);
    assert!(conv.notes.is_empty(), "{:?}", conv.notes);
    let ports: Vec<PortKey> = [80, 9000, 5432, 443]
        .into_iter()
        .map(PortKey::tcp)
        .chain([PortKey::new(53, Protocol::Udp)])
        .collect();
    let before = truth(std::slice::from_ref(&np), &ports);
    let after = truth(std::slice::from_ref(&conv.policy), &ports);
    assert!(
        before.iter().any(|b| *b) && before.iter().any(|b| !*b),
        "the oracle must discriminate"
    );
    if before != after {
        let c = cluster();
        let ids: Vec<_> = c.endpoint_ids().collect();
        let n = ids.len();
        for (i, (b, a)) in before.iter().zip(&after).enumerate() {
            if b != a {
                let (pi, rest) = (i / (n * n), i % (n * n));
                eprintln!(
                    "port {:?} {:?} -> {:?}: np {b} cilium {a}",
                    ports[pi],
                    c.endpoint(ids[rest / n]),
                    c.endpoint(ids[rest % n])
                );
            }
        }
    }
    assert_eq!(before, after, "{}", emit_policy(&conv.policy));

    // And back: the Cilium form converts to an equivalent NetworkPolicy.
    let back = convert(&conv.policy, PolicyKind::NetworkPolicy).unwrap();
    assert_eq!(
        truth(std::slice::from_ref(&back.policy), &ports),
        before,
        "{}",
        emit_policy(&back.policy)
    );
}

#[test]
fn conversion_to_networkpolicy_refuses_what_it_cannot_say() {
    let c = policy(
        r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: prod}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET}]}
  egressDeny:
  - toEntities: [world]
"#,
    );
    match convert(&c, PolicyKind::NetworkPolicy) {
        Err(EditError::NotFaithful(why)) => {
            assert!(why.contains("L7 rules"), "{why}");
            assert!(why.contains("deny rules"), "{why}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let with_cidr = policy(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: a}\nspec:\n  podSelector: {}\n  egress:\n  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n",
    );
    let conv = convert(&with_cidr, PolicyKind::CiliumNetworkPolicy).unwrap();
    assert_eq!(
        conv.notes.len(),
        1,
        "ipBlock semantics differ: {:?}",
        conv.notes
    );
    assert!(matches!(
        convert(&with_cidr, PolicyKind::CiliumClusterwideNetworkPolicy),
        Err(EditError::NotFaithful(_))
    ));
}

#[test]
fn new_policies_deny_ingress() {
    for kind in [
        PolicyKind::NetworkPolicy,
        PolicyKind::CiliumNetworkPolicy,
        PolicyKind::CiliumClusterwideNetworkPolicy,
    ] {
        let p = new_policy(kind, "n", "default");
        let g = graph(&p);
        assert_eq!(g.ingress.isolation, Isolation::DenyAll, "{kind:?}");
        let (reparsed, diags) = parse_policies(&emit_policy(&p));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(reparsed[0], p);
    }
}
