//! Cilium conformance on the upstream x/y/z model: endpoint selectors and
//! namespace scoping, clusterwide policies, deny precedence, entities, CIDR
//! sets with except, toFQDNs, L7, enableDefaultDeny, requirements, and mixed
//! clusters with Kubernetes NetworkPolicies. Semantics per Cilium's policy
//! language documentation (docs.cilium.io, security/policy).

mod conformance_model;

use conformance_model::*;
use policy_core::cluster::{Cluster, PodInfo};

fn table(policies_yaml: &str, port: &str, grid: &str) {
    assert_table(&cluster_with_outside(), &policies(policies_yaml), port, grid);
}

/// The model plus a host-network agent on x's node and on y's node, and
/// three addresses outside the cluster.
fn cluster_with_outside() -> Cluster {
    let mut c = cluster();
    for (ns, node) in [("x", "192.168.0.1"), ("y", "192.168.0.2")] {
        let mut host = PodInfo::new("kube-system", &format!("agent-{ns}"), Default::default());
        host.host_network = true;
        host.node_ip = Some(node.parse().unwrap());
        c.add_pod(host);
    }
    for ip in ["8.8.8.8", "8.8.4.4", "1.1.1.1"] {
        c.add_external(ip.parse().unwrap());
    }
    c
}

fn check(policies_yaml: &str, from: &str, to: &str, port: &str) -> policy_core::engine::Verdict {
    verdict(&cluster_with_outside(), &policies(policies_yaml), from, to, port)
}

#[test]
fn empty_from_endpoints_is_scoped_to_the_policy_namespace() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: same-ns, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints: [{}]
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   .   .   .   .   .   .   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  X   X   X   .   .   .   .   .   .
y/b  X   X   X   .   .   .   .   .   .
y/c  X   X   X   .   .   .   .   .   .
z/a  X   X   X   .   .   .   .   .   .
z/b  X   X   X   .   .   .   .   .   .
z/c  X   X   X   .   .   .   .   .   .
",
    );
}

#[test]
fn namespace_label_in_from_endpoints_lifts_the_scope() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: from-y, namespace: x}
spec:
  endpointSelector:
    matchLabels: {k8s:pod: a}
  ingress:
  - fromEndpoints:
    - matchLabels: {k8s:io.kubernetes.pod.namespace: y}
";
    table(p, "80/TCP", XA_FROM_Y_ONLY);
}

#[test]
fn namespace_labels_are_visible_to_selectors() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: from-ns-label, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - fromEndpoints:
    - matchLabels:
        io.cilium.k8s.namespace.labels.ns: y
        k8s:io.kubernetes.pod.namespace: y
";
    table(p, "80/TCP", XA_FROM_Y_ONLY);
}

#[test]
fn endpoint_selector_never_leaves_the_policy_namespace() {
    // `pod: a` in a CNP in x selects x/a only, not y/a or z/a.
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: lock-a, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - {}
";
    table(p, "80/TCP", XA_INGRESS_BLOCKED);
}

#[test]
fn clusterwide_policy_selects_and_peers_across_namespaces() {
    let p = "
kind: CiliumClusterwideNetworkPolicy
metadata: {name: only-from-b}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - fromEndpoints: [{matchLabels: {pod: b}}]
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   X   .   .   X   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  X   .   .   X   .   .   X   .   .
y/a  X   .   .   X   .   .   X   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  X   .   .   X   .   .   X   .   .
z/a  X   .   .   X   .   .   X   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  X   .   .   X   .   .   X   .   .
",
    );
}

#[test]
fn deny_wins_over_allow_in_the_same_policy() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: all-but-b, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEntities: [all]
  ingressDeny:
  - fromEndpoints: [{matchLabels: {pod: b}}]
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   .   .   .   .   .   .   .   .
x/b  X   X   X   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
",
    );
    let v = check(p, "x/b", "x/a", "80/TCP");
    assert_eq!(v.ingress.denied_by[0].rule, "spec.ingressDeny[0]");
    assert!(v.explain().contains("deny rules win"), "{}", v.explain());
}

#[test]
fn cilium_deny_wins_over_a_kubernetes_allow() {
    let p = "
kind: NetworkPolicy
metadata: {name: allow-all, namespace: x}
spec:
  podSelector: {}
  ingress: [{}]
---
kind: CiliumNetworkPolicy
metadata: {name: deny-y, namespace: x}
spec:
  endpointSelector: {}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: y}}]
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   .   .   .   .   .   .   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  X   X   X   .   .   .   .   .   .
y/b  X   X   X   .   .   .   .   .   .
y/c  X   X   X   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
",
    );
}

#[test]
fn deny_on_one_port_only() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: deny-80, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEntities: [cluster]
  ingressDeny:
  - fromEntities: [all]
    toPorts: [{ports: [{port: '80', protocol: TCP}]}]
";
    table(p, "80/TCP", X_INGRESS_BLOCKED);
    table(p, "81/TCP", ALL_ALLOWED);
    table(p, "80/UDP", ALL_ALLOWED);
}

#[test]
fn egress_deny_to_a_namespace() {
    let p = "
kind: CiliumClusterwideNetworkPolicy
metadata: {name: z-is-off-limits-for-x}
spec:
  endpointSelector: {matchLabels: {k8s:io.kubernetes.pod.namespace: x}}
  egressDeny:
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: z}}]
";
    // Deny rules alone put the endpoint in default deny for egress (rules in
    // that direction), so x can reach nothing else either.
    table(p, "80/TCP", X_EGRESS_BLOCKED);
    let q = "
kind: CiliumClusterwideNetworkPolicy
metadata: {name: z-is-off-limits-for-x}
spec:
  endpointSelector: {matchLabels: {k8s:io.kubernetes.pod.namespace: x}}
  enableDefaultDeny: {egress: false}
  egressDeny:
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: z}}]
";
    table(
        q,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   .   .   .   .   .   X   X   X
x/b  .   .   .   .   .   .   X   X   X
x/c  .   .   .   .   .   .   X   X   X
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
",
    );
}

#[test]
fn entity_world_is_outside_the_cluster_only() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: to-world, namespace: x}
spec:
  endpointSelector: {}
  egress:
  - toEntities: [world]
";
    table(p, "80/TCP", X_EGRESS_BLOCKED);
    assert!(check(p, "x/a", "ip:8.8.8.8", "443/TCP").allowed);
    assert!(!check(p, "x/a", "kube-system/agent-x", "443/TCP").allowed);
}

#[test]
fn entity_cluster_is_every_pod_and_node() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: to-cluster, namespace: x}
spec:
  endpointSelector: {}
  egress:
  - toEntities: [cluster]
";
    table(p, "80/TCP", ALL_ALLOWED);
    assert!(!check(p, "x/a", "ip:8.8.8.8", "443/TCP").allowed);
    assert!(check(p, "x/a", "kube-system/agent-y", "443/TCP").allowed);
}

#[test]
fn entities_host_and_remote_node_depend_on_the_node() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: from-host, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEntities: [host]
";
    table(p, "80/TCP", X_INGRESS_BLOCKED);
    assert!(check(p, "kube-system/agent-x", "x/a", "80/TCP").allowed);
    assert!(!check(p, "kube-system/agent-y", "x/a", "80/TCP").allowed);
    let q = p.replace("[host]", "[remote-node]");
    assert!(!check(&q, "kube-system/agent-x", "x/a", "80/TCP").allowed);
    assert!(check(&q, "kube-system/agent-y", "x/a", "80/TCP").allowed);
}

#[test]
fn entity_all_and_reserved_selector() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: all, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEntities: [all]
";
    table(p, "80/TCP", ALL_ALLOWED);
    assert!(check(p, "ip:1.1.1.1", "x/a", "80/TCP").allowed);
    let q = "
kind: CiliumNetworkPolicy
metadata: {name: reserved-host, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints: [{matchLabels: {reserved:host: ''}}]
";
    table(q, "80/TCP", X_INGRESS_BLOCKED);
    assert!(check(q, "kube-system/agent-x", "x/b", "80/TCP").allowed);
}

#[test]
fn cidr_set_with_except() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: to-google-dns, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  egress:
  - toCIDRSet:
    - cidr: 8.0.0.0/8
      except: [8.8.4.0/24]
  - toCIDR: [10.0.0.0/8]
";
    // CIDR rules never match pods, even 10.0.0.0/8 over every pod IP.
    table(p, "80/TCP", XA_EGRESS_BLOCKED);
    assert!(check(p, "x/a", "ip:8.8.8.8", "53/UDP").allowed);
    assert!(!check(p, "x/a", "ip:8.8.4.4", "53/UDP").allowed);
    assert!(!check(p, "x/a", "ip:1.1.1.1", "53/UDP").allowed);
    let v = check(p, "x/a", "y/a", "80/TCP");
    assert!(v.reasons().iter().any(|r| r.contains("never match in-cluster")), "{:#?}", v.reasons());
}

#[test]
fn from_cidr_ingress_from_outside() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: from-1111, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromCIDR: [1.1.1.1/32]
    toPorts: [{ports: [{port: '80'}]}]
";
    table(p, "80/TCP", X_INGRESS_BLOCKED);
    assert!(check(p, "ip:1.1.1.1", "x/c", "80/TCP").allowed);
    assert!(check(p, "ip:1.1.1.1", "x/c", "80/UDP").allowed, "no protocol means ANY");
    assert!(!check(p, "ip:1.1.1.1", "x/c", "81/TCP").allowed);
    assert!(!check(p, "ip:8.8.8.8", "x/c", "80/TCP").allowed);
}

#[test]
fn l7_rules_allow_at_l4_with_a_condition() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: http-get-public, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - fromEndpoints: [{matchLabels: {pod: b}}]
    toPorts:
    - ports: [{port: '80', protocol: TCP}]
      rules:
        http:
        - method: GET
          path: /public
";
    table(p, "80/TCP", XA_FROM_XB_ONLY);
    table(p, "81/TCP", XA_INGRESS_BLOCKED);
    let v = check(p, "x/b", "x/a", "80/TCP");
    assert!(v.allowed);
    let cond = v.conditions().join(" ");
    assert!(cond.contains("L4 allowed, subject to L7 rule") && cond.contains("GET") && cond.contains("/public"), "{cond}");
    assert!(v.explain().contains("subject to"), "{}", v.explain());
}

#[test]
fn to_fqdns_is_an_external_allow_stated_in_reasons() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: to-api, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  egress:
  - toFQDNs: [{matchName: api.example.com}]
    toPorts: [{ports: [{port: '443', protocol: TCP}]}]
  - toEndpoints:
    - matchLabels: {k8s:io.kubernetes.pod.namespace: y}
    toPorts:
    - ports: [{port: '53', protocol: ANY}]
      rules:
        dns: [{matchPattern: '*.example.com'}]
";
    table(p, "80/TCP", XA_EGRESS_BLOCKED);
    let v = check(p, "x/a", "ip:8.8.8.8", "443/TCP");
    assert!(v.allowed);
    assert!(v.reasons().iter().any(|r| r.contains("treated as an external allow")), "{:#?}", v.reasons());
    assert!(!check(p, "x/a", "ip:8.8.8.8", "80/TCP").allowed);
    let dns = check(p, "x/a", "y/c", "53/UDP");
    assert!(dns.allowed && dns.conditions().iter().any(|c| c.contains("DNS matchPattern *.example.com")));
}

#[test]
fn enable_default_deny_false_adds_allows_without_isolating() {
    let allow_only = "
kind: CiliumNetworkPolicy
metadata: {name: allow-b, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  enableDefaultDeny: {ingress: false}
  ingress:
  - fromEndpoints: [{matchLabels: {pod: b}}]
";
    table(allow_only, "80/TCP", ALL_ALLOWED);
    let with_k8s_deny = format!(
        "{allow_only}
---
kind: NetworkPolicy
metadata: {{name: deny-a, namespace: x}}
spec:
  podSelector: {{matchLabels: {{pod: a}}}}
  policyTypes: [Ingress]
"
    );
    table(&with_k8s_deny, "80/TCP", XA_FROM_XB_ONLY);
}

#[test]
fn empty_ingress_rule_is_default_deny() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: deny-all-ingress, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - {}
";
    table(p, "80/TCP", X_INGRESS_BLOCKED);
    // `ingress: []` has no rule: no default deny.
    let q = p.replace("  - {}\n", "").replace("ingress:", "ingress: []");
    table(&q, "80/TCP", ALL_ALLOWED);
}

#[test]
fn l4_only_rule_allows_every_peer_on_its_ports() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: only-81, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - toPorts: [{ports: [{port: '81', protocol: TCP}]}]
";
    table(p, "80/TCP", X_INGRESS_BLOCKED);
    table(p, "81/TCP", ALL_ALLOWED);
    table(p, "81/UDP", X_INGRESS_BLOCKED);
    assert!(check(p, "ip:8.8.8.8", "x/a", "81/TCP").allowed);
}

#[test]
fn any_protocol_port_and_named_port() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: any-80, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - toPorts: [{ports: [{port: '80', protocol: ANY}, {port: serve-81-udp}]}]
";
    for port in ["80/TCP", "80/UDP", "80/SCTP", "81/UDP"] {
        table(p, port, ALL_ALLOWED);
    }
    table(p, "81/TCP", XA_INGRESS_BLOCKED);
}

#[test]
fn from_requires_narrows_every_allow() {
    let p = "
kind: CiliumNetworkPolicy
metadata: {name: requires-y, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints:
    - matchExpressions: [{key: k8s:io.kubernetes.pod.namespace, operator: Exists}]
  - fromRequires:
    - matchLabels: {k8s:io.kubernetes.pod.namespace: y}
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   X   X   .   .   .   .   .   .
x/b  X   X   X   .   .   .   .   .   .
x/c  X   X   X   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  X   X   X   .   .   .   .   .   .
z/b  X   X   X   .   .   .   .   .   .
z/c  X   X   X   .   .   .   .   .   .
",
    );
    let v = check(p, "z/a", "x/a", "80/TCP");
    assert!(v.reasons().iter().any(|r| r.contains("fromRequires")), "{:#?}", v.reasons());
}

#[test]
fn mixed_kubernetes_and_cilium_allows_are_a_union() {
    let p = "
kind: NetworkPolicy
metadata: {name: y-on-80, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
    ports: [{port: 80}]
---
kind: CiliumNetworkPolicy
metadata: {name: z-on-81, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: z}}]
    toPorts: [{ports: [{port: '81', protocol: TCP}]}]
";
    table(p, "80/TCP", XA_FROM_Y_ONLY);
    table(
        p,
        "81/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   .   .   .   .   .   .
x/b  X   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
",
    );
}

#[test]
fn unmodelled_parts_are_reported_and_match_nothing() {
    let p = policies(
        "
kind: CiliumNetworkPolicy
metadata: {name: svc, namespace: x}
spec:
  endpointSelector: {}
  egress:
  - toServices: [{k8sService: {serviceName: db, namespace: y}}]
---
kind: CiliumClusterwideNetworkPolicy
metadata: {name: host-fw}
spec:
  nodeSelector: {}
  ingress: [{fromEntities: [cluster]}]
",
    );
    let c = cluster_with_outside();
    let engine = policy_core::engine::Engine::new(&c, &p);
    let notes = engine.notes().join("\n");
    assert!(notes.contains("toServices is not modelled"), "{notes}");
    assert!(notes.contains("nodeSelector"), "{notes}");
    assert_table(&c, &p, "80/TCP", X_EGRESS_BLOCKED);
}
