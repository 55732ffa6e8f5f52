use super::*;
use crate::yaml::parse_policies;

fn policy(text: &str) -> Policy {
    let (mut policies, diags) = parse_policies(text);
    assert!(diags.is_empty(), "{diags:?}");
    policies.remove(0)
}

fn titles(side: &Side, kind: GroupKind) -> Vec<String> {
    side.group(kind)
        .map(|g| g.peers.iter().map(|p| p.title.clone()).collect())
        .unwrap_or_default()
}

const NP: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: frontend}}
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
      podSelector: {matchLabels: {app: prometheus}}
    ports: [{port: 80}]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
  - to:
    - ipBlock: {cidr: 10.0.0.0/16, except: [10.0.5.0/24]}
    ports: [{port: 8000, endPort: 8080, protocol: TCP}]
"#;

#[test]
fn networkpolicy_peers_are_grouped_with_their_ports() {
    let g = graph(&policy(NP));
    assert_eq!(g.kind, PolicyKind::NetworkPolicy);
    assert_eq!(g.subject.namespace.as_deref(), Some("prod"));
    assert_eq!(g.subject.summary, "app=web");
    assert_eq!(g.ingress.isolation, Isolation::Restricted);
    assert_eq!(g.egress.isolation, Isolation::Restricted);
    assert_eq!(
        titles(&g.ingress, GroupKind::InNamespace),
        vec!["app=frontend"]
    );
    assert_eq!(
        titles(&g.ingress, GroupKind::InCluster),
        vec!["app=prometheus"]
    );
    let prom = &g.ingress.group(GroupKind::InCluster).unwrap().peers[0];
    assert_eq!(prom.details, vec!["namespace monitoring"]);
    assert_eq!(
        prom.selector,
        Some(PeerSelector {
            pods: "app=prometheus".into(),
            namespaces: Some("kubernetes.io/metadata.name=monitoring".into())
        })
    );
    // A port without protocol is TCP.
    assert_eq!(prom.edge.label(), "80/TCP");
    assert_eq!(
        prom.at,
        PeerRef {
            rule: RuleRef {
                direction: Direction::Ingress,
                deny: false,
                spec: 0,
                rule: 0
            },
            field: PeerField::K8sPeer,
            index: 1
        }
    );
    assert_eq!(titles(&g.egress, GroupKind::Dns), vec!["k8s-app=kube-dns"]);
    let cidr = &g.egress.group(GroupKind::OutsideCluster).unwrap().peers[0];
    assert_eq!(cidr.title, "10.0.0.0/16");
    assert_eq!(cidr.details, vec!["except 10.0.5.0/24"]);
    assert_eq!(cidr.edge.label(), "8000-8080/TCP");
    assert!(
        cidr.sentence.starts_with(
            "Pods app=web in prod may connect to addresses in 10.0.0.0/16 except 10.0.5.0/24"
        ),
        "{}",
        cidr.sentence
    );
    // Ingress has no DNS group; egress has all five.
    assert!(g.ingress.group(GroupKind::Dns).is_none());
    assert_eq!(g.egress.groups.len(), 5);
}

#[test]
fn networkpolicy_isolation_follows_policy_types_and_defaults() {
    let deny_all = graph(&policy(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: d, namespace: a}\nspec: {podSelector: {}}\n",
    ));
    assert_eq!(deny_all.ingress.isolation, Isolation::DenyAll);
    // No egress rules and no policyTypes: egress is not isolated.
    assert_eq!(deny_all.egress.isolation, Isolation::Open);
    assert_eq!(deny_all.subject.summary, "all pods");

    let allow_all = graph(&policy(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: d, namespace: a}\nspec:\n  podSelector: {}\n  ingress: [{}]\n",
    ));
    let any = &allow_all.ingress.group(GroupKind::Anywhere).unwrap().peers;
    assert_eq!(any.len(), 1);
    assert_eq!(any[0].kind, PeerKind::Any);
    assert_eq!(any[0].edge.label(), "all ports");

    let egress_only = graph(&policy(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: d, namespace: a}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n",
    ));
    assert_eq!(egress_only.ingress.isolation, Isolation::Open);
    assert_eq!(egress_only.egress.isolation, Isolation::DenyAll);
}

const CNP: &str = r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: prod}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
      rules:
        http: [{method: GET, path: "/v1/.*"}]
  ingressDeny:
  - fromEntities: [world]
  egress:
  - toEndpoints:
    - matchLabels: {"k8s:io.kubernetes.pod.namespace": kube-system, "k8s:k8s-app": kube-dns}
    toPorts:
    - ports: [{port: "53", protocol: ANY}]
      rules:
        dns: [{matchPattern: "*"}]
  - toFQDNs: [{matchName: api.example.com}]
    toPorts: [{ports: [{port: "443"}]}]
  - toEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": billing, app: ledger}}]
"#;

#[test]
fn cilium_peers_l7_deny_dns_and_fqdn() {
    let g = graph(&policy(CNP));
    assert_eq!(g.kind, PolicyKind::CiliumNetworkPolicy);
    assert_eq!(g.ingress.isolation, Isolation::Restricted);
    let web = &g.ingress.group(GroupKind::InNamespace).unwrap().peers[0];
    assert_eq!(web.title, "app=web");
    assert_eq!(
        web.edge.l7,
        vec![L7Badge {
            protocol: "HTTP".into(),
            rules: vec!["GET /v1/.*".into()]
        }]
    );
    let world = &g.ingress.group(GroupKind::OutsideCluster).unwrap().peers[0];
    assert_eq!(world.title, "world");
    assert!(world.edge.deny);
    assert!(world.at.rule.deny);
    assert!(world.sentence.contains("denied"), "{}", world.sentence);
    let dns = &g.egress.group(GroupKind::Dns).unwrap().peers[0];
    assert_eq!(dns.edge.label(), "53/ANY");
    assert_eq!(dns.edge.l7[0].protocol, "DNS");
    assert_eq!(dns.details, vec!["namespace kube-system"]);
    assert_eq!(
        titles(&g.egress, GroupKind::OutsideCluster),
        vec!["api.example.com"]
    );
    // A protocol-less Cilium port means ANY.
    assert_eq!(
        g.egress.group(GroupKind::OutsideCluster).unwrap().peers[0]
            .edge
            .label(),
        "443/ANY"
    );
    assert_eq!(titles(&g.egress, GroupKind::InCluster), vec!["app=ledger"]);
}

#[test]
fn cilium_empty_rule_isolates_and_default_deny_false_does_not() {
    let g = graph(&policy(
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: d, namespace: a}\nspec:\n  endpointSelector: {}\n  ingress: [{}]\n",
    ));
    assert_eq!(g.ingress.isolation, Isolation::DenyAll);
    assert_eq!(g.ingress.peers().count(), 0);
    assert_eq!(g.egress.isolation, Isolation::Open);

    let g = graph(&policy(
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: d, namespace: a}\nspec:\n  endpointSelector: {}\n  enableDefaultDeny: {egress: false}\n  egress:\n  - toEntities: [kube-apiserver]\n",
    ));
    assert_eq!(g.egress.isolation, Isolation::NotIsolating);
    assert_eq!(
        titles(&g.egress, GroupKind::InCluster),
        vec!["kube-apiserver"]
    );

    // Ports without an L3 selector: every peer on those ports.
    let g = graph(&policy(
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: d, namespace: a}\nspec:\n  endpointSelector: {}\n  ingress:\n  - toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n",
    ));
    assert_eq!(
        g.ingress.group(GroupKind::Anywhere).unwrap().peers[0]
            .edge
            .label(),
        "80/TCP"
    );
}

#[test]
fn clusterwide_endpoints_without_namespace_are_in_cluster() {
    let g = graph(&policy(
        "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: cw}\nspec:\n  endpointSelector: {}\n  ingress:\n  - fromEndpoints: [{matchLabels: {app: scanner}}]\n",
    ));
    assert_eq!(g.subject.namespace, None);
    assert_eq!(
        titles(&g.ingress, GroupKind::InCluster),
        vec!["app=scanner"]
    );
    assert_eq!(
        g.ingress.group(GroupKind::InCluster).unwrap().peers[0].details,
        vec!["any namespace"]
    );
}

#[test]
fn peer_ids_are_distinct() {
    let g = graph(&policy(CNP));
    let mut ids: Vec<String> = g
        .ingress
        .peers()
        .chain(g.egress.peers())
        .map(|p| p.at.id())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert!(ids.contains(&"ingress-deny-0-0-entity-0".to_string()));
}

#[test]
fn selector_terms_cover_every_operator() {
    let sel: LabelSelectorForTest = serde_json::from_str(
        r#"{"matchLabels":{"app":"web"},"matchExpressions":[
            {"key":"tier","operator":"In","values":["a","b"]},
            {"key":"env","operator":"NotIn","values":["dev"]},
            {"key":"team","operator":"Exists"},
            {"key":"legacy","operator":"DoesNotExist"}]}"#,
    )
    .unwrap();
    assert_eq!(
        selector_terms(&sel),
        vec![
            "app=web",
            "tier in (a, b)",
            "env notin (dev)",
            "team",
            "!legacy"
        ]
    );
}

type LabelSelectorForTest = crate::model::LabelSelector;

#[test]
fn rule_fields_name_the_rule() {
    let p = policy(CNP);
    let g = graph(&p);
    let world = &g.ingress.group(GroupKind::OutsideCluster).unwrap().peers[0];
    assert_eq!(rule_field(&p, &world.at.rule), "spec.ingressDeny[0]");
    let np = policy(NP);
    let np_graph = graph(&np);
    let cidr = &np_graph
        .egress
        .group(GroupKind::OutsideCluster)
        .unwrap()
        .peers[0];
    assert_eq!(rule_field(&np, &cidr.at.rule), "spec.egress[1]");
    let field = rule_field(&np, &cidr.at.rule);
    let explained = crate::explain::explain(&np);
    assert!(
        explained.rules.iter().any(|r| r.field == field),
        "{explained:?}"
    );
}

#[test]
fn large_groups_collapse_into_one_summarised_box() {
    let mut text = String::from(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-list, namespace: prod}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{port: 443, protocol: TCP}]\n    to:\n",
    );
    for i in 0..400 {
        let third = if i < 200 {
            (i * 2) / 256
        } else {
            128 + (i - 200) / 100
        };
        let fourth = if i < 200 {
            (i * 2) % 256
        } else {
            ((i - 200) % 100) * 2
        };
        text.push_str(&format!(
            "    - ipBlock: {{cidr: 49.50.{third}.{fourth}/32}}\n"
        ));
    }
    for i in 0..240 {
        text.push_str(&format!("    - ipBlock: {{cidr: 50.{i}.0.0/24}}\n"));
    }
    let g = graph(&policy(&text));
    let outside = g.egress.group(GroupKind::OutsideCluster).unwrap();
    assert_eq!(outside.peers.len(), 640);
    let summary = outside.collapsed.as_ref().expect("collapsed");
    assert_eq!(summary.count, 640);
    assert_eq!(summary.text, "640 CIDRs in 49.50.0.0/16 and 50.0.0.0/8");
    assert_eq!(summary.edge_label, "443/TCP");
    assert_eq!(
        summary.sentence,
        "Pods app=web in prod may connect to 640 CIDRs in 49.50.0.0/16 and 50.0.0.0/8 on 443/TCP."
    );
    // Small groups stay expanded.
    assert!(g.egress.group(GroupKind::Dns).unwrap().collapsed.is_none());
    // The explanation names the first ranges and counts the rest.
    let e = crate::explain::explain(&policy(&text));
    assert!(
        e.summary[0].contains(
            "to 640 address ranges: 49.50.0.0/32, 49.50.0.2/32, 49.50.0.4/32, … and 637 more"
        ),
        "{}",
        e.summary[0]
    );
}

#[test]
fn mixed_groups_say_what_kinds_they_hold() {
    let mut text = String::from(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: many, namespace: prod}\nspec:\n  podSelector: {}\n  ingress:\n",
    );
    for i in 0..35 {
        text.push_str(&format!(
            "  - from: [{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: ns-{i}}}}}}}]\n    ports: [{{port: {}, protocol: TCP}}]\n",
            8000 + i
        ));
    }
    let g = graph(&policy(&text));
    let summary = g
        .ingress
        .group(GroupKind::InCluster)
        .unwrap()
        .collapsed
        .clone()
        .unwrap();
    assert_eq!(summary.text, "35 namespaces");
    assert_eq!(summary.edge_label, "8000/TCP and 34 other port sets");
}
