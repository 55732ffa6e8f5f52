//! NetworkPolicy conformance: whole 9x9 truth tables on the upstream netpol
//! e2e model for the upstream scenarios (test/e2e/network/netpol/
//! network_policy.go) and more, one per rule of the semantics.
//! Unlike upstream (which ignores loopback), the diagonal is asserted too:
//! traffic from a pod to its own IP is subject to policy like any other.

mod conformance_model;

use conformance_model::*;

fn table(policies_yaml: &str, port: &str, grid: &str) {
    assert_table(&cluster(), &policies(policies_yaml), port, grid);
}

const DENY_INGRESS_X: &str = "
kind: NetworkPolicy
metadata: {name: deny-ingress, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
";

#[test]
fn no_policies_allow_everything() {
    for port in ["80/TCP", "81/UDP", "80/SCTP"] {
        table("", port, ALL_ALLOWED);
    }
}

#[test]
fn default_deny_ingress() {
    table(DENY_INGRESS_X, "80/TCP", X_INGRESS_BLOCKED);
    table(DENY_INGRESS_X, "81/UDP", X_INGRESS_BLOCKED);
}

#[test]
fn default_deny_ingress_without_policy_types() {
    // policyTypes defaults to [Ingress] when spec.egress is absent.
    table(
        "metadata: {name: deny, namespace: x}\nspec: {podSelector: {}}",
        "80/TCP",
        X_INGRESS_BLOCKED,
    );
}

#[test]
fn default_deny_all() {
    let p = "
metadata: {name: deny-all, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   X   X   X   X   X   X   X   X
x/b  X   X   X   X   X   X   X   X   X
x/c  X   X   X   X   X   X   X   X   X
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
fn allow_from_pods_in_server_namespace_by_pod_selector() {
    let p = "
metadata: {name: x-a-allows-x-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - podSelector: {matchLabels: {pod: b}}
";
    table(p, "80/TCP", XA_FROM_XB_ONLY);
}

#[test]
fn allow_ingress_for_a_target_over_default_deny() {
    let p = format!(
        "{DENY_INGRESS_X}
---
metadata: {{name: allow-all-to-a, namespace: x}}
spec:
  podSelector: {{matchLabels: {{pod: a}}}}
  ingress:
  - from:
    - podSelector: {{}}
      namespaceSelector: {{}}
"
    );
    table(
        &p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   X   X   .   .   .   .   .   .
x/b  .   X   X   .   .   .   .   .   .
x/c  .   X   X   .   .   .   .   .   .
y/a  .   X   X   .   .   .   .   .   .
y/b  .   X   X   .   .   .   .   .   .
y/c  .   X   X   .   .   .   .   .   .
z/a  .   X   X   .   .   .   .   .   .
z/b  .   X   X   .   .   .   .   .   .
z/c  .   X   X   .   .   .   .   .   .
",
    );
}

#[test]
fn allow_from_all_namespaces_with_empty_namespace_selector() {
    let p = "
metadata: {name: allow-from-another-ns, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {}}
";
    table(p, "80/TCP", ALL_ALLOWED);
}

#[test]
fn allow_only_from_other_namespace_by_namespace_selector() {
    let p = "
metadata: {name: allow-client-a-via-ns-selector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}
";
    table(p, "80/TCP", XA_FROM_Y_ONLY);
}

#[test]
fn namespace_selector_on_custom_label() {
    let p = "
metadata: {name: allow-ns-label, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: y}}
";
    table(p, "80/TCP", XA_FROM_Y_ONLY);
}

#[test]
fn pod_selector_with_match_expressions() {
    let p = "
metadata: {name: x-a-allows-x-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - podSelector:
        matchExpressions: [{key: pod, operator: In, values: [b]}]
";
    table(p, "80/TCP", XA_FROM_XB_ONLY);
}

#[test]
fn namespace_selector_with_match_expressions() {
    let p = "
metadata: {name: allow-ns-y-match-selector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [y]}]
";
    table(p, "80/TCP", XA_FROM_Y_ONLY);
}

#[test]
fn pod_selector_or_namespace_selector() {
    // Two peers: OR.
    let p = "
metadata: {name: allow-ns-y-match-selector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}]
    - podSelector: {matchLabels: {pod: b}}
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   .   .   .   .   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
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
fn pod_selector_and_namespace_selector() {
    // One peer with both selectors: AND.
    let p = "
metadata: {name: allow-ns-y-podselector-and-nsselector, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}]
      podSelector: {matchLabels: {pod: b}}
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   .   .   .   .   .   .
x/b  X   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
",
    );
}

#[test]
fn multiple_pod_selectors_and_namespace_selectors() {
    let p = "
metadata: {name: allow-ns-y-z-pod-b-c, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}]
      podSelector:
        matchExpressions: [{key: pod, operator: In, values: [b, c]}]
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   .   .   .   .   .   .
x/b  X   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
",
    );
}

#[test]
fn any_of_several_pod_selectors() {
    let p = "
metadata: {name: allow-x-b-or-x-c, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - podSelector: {matchLabels: {pod: b}}
    - podSelector: {matchLabels: {pod: c}}
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   .   .   .   .   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
",
    );
}

#[test]
fn pod_in_a_different_namespace_by_both_selectors() {
    let p = "
metadata: {name: allow-ns-y-pod-a, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: y}}
      podSelector: {matchLabels: {pod: a}}
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   .   .   .   .   .   .
x/b  X   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
",
    );
}

#[test]
fn pod_selector_alone_means_the_policy_namespace() {
    // In namespace y: `pod=b` is y/b only, not x/b or z/b.
    let p = "
metadata: {name: y-a-allows-y-b, namespace: y}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - podSelector: {matchLabels: {pod: b}}
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   .   .   X   .   .   .   .   .
x/b  .   .   .   X   .   .   .   .   .
x/c  .   .   .   X   .   .   .   .   .
y/a  .   .   .   X   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   X   .   .   .   .   .
z/a  .   .   .   X   .   .   .   .   .
z/b  .   .   .   X   .   .   .   .   .
z/c  .   .   .   X   .   .   .   .   .
",
    );
}

#[test]
fn empty_namespace_selector_with_pod_selector_means_every_namespace() {
    let p = "
metadata: {name: allow-any-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {}
      podSelector: {matchLabels: {pod: b}}
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   .   .   .   .   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
",
    );
}

#[test]
fn match_expressions_exists_and_does_not_exist() {
    let exists = "
metadata: {name: any-labelled, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: ns, operator: Exists}]}
";
    table(exists, "80/TCP", ALL_ALLOWED);
    let missing = "
metadata: {name: unlabelled-only, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {}
      podSelector: {matchExpressions: [{key: pod, operator: DoesNotExist}]}
";
    table(missing, "80/TCP", XA_INGRESS_BLOCKED);
}

#[test]
fn ports_restrict_ingress() {
    let p = "
metadata: {name: allow-ns-y-81, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: y}}
    ports:
    - port: 81
      protocol: TCP
";
    table(p, "80/TCP", XA_INGRESS_BLOCKED);
    table(p, "81/TCP", XA_FROM_Y_ONLY);
}

#[test]
fn stacked_policies_with_overlapping_pod_selectors() {
    let p = "
metadata: {name: allow-80, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: y}}
    ports: [{port: 80}]
---
metadata: {name: allow-81, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: y}}
    ports: [{port: 81}]
";
    table(p, "80/TCP", XA_FROM_Y_ONLY);
    table(p, "81/TCP", XA_FROM_Y_ONLY);
    table(p, "80/UDP", XA_INGRESS_BLOCKED);
}

#[test]
fn allow_all_ingress() {
    let p = "
metadata: {name: allow-all, namespace: x}
spec:
  podSelector: {}
  ingress:
  - {}
";
    table(p, "80/TCP", ALL_ALLOWED);
    table(p, "81/SCTP", ALL_ALLOWED);
}

#[test]
fn empty_from_list_allows_all_sources() {
    let p = "
metadata: {name: empty-from, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from: []
    ports: [{port: 80}]
";
    table(p, "80/TCP", ALL_ALLOWED);
    table(p, "81/TCP", X_INGRESS_BLOCKED);
}

#[test]
fn ingress_on_one_named_port() {
    let p = "
metadata: {name: allow-all-on-81, namespace: x}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: serve-81-tcp}]
";
    table(p, "81/TCP", ALL_ALLOWED);
    table(p, "80/TCP", X_INGRESS_BLOCKED);
    table(p, "81/UDP", X_INGRESS_BLOCKED);
}

#[test]
fn ingress_from_namespace_on_one_named_port() {
    let p = "
metadata: {name: allow-y-on-80, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: y}}
    ports: [{port: serve-80-tcp, protocol: TCP}]
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
    table(p, "81/TCP", X_INGRESS_BLOCKED);
}

#[test]
fn named_port_protocol_must_match() {
    // serve-80-udp is a UDP port: with protocol TCP (the default) it matches nothing.
    let p = "
metadata: {name: mismatched, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - ports: [{port: serve-80-udp}]
";
    table(p, "80/TCP", XA_INGRESS_BLOCKED);
    table(p, "80/UDP", XA_INGRESS_BLOCKED);
    let udp = "
metadata: {name: udp-named, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - ports: [{port: serve-81-udp, protocol: UDP}]
";
    table(udp, "81/UDP", ALL_ALLOWED);
    table(udp, "81/TCP", XA_INGRESS_BLOCKED);
}

#[test]
fn egress_on_one_named_port() {
    let p = "
metadata: {name: allow-egress-on-80, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: serve-80-tcp}]
";
    table(p, "80/TCP", ALL_ALLOWED);
    table(p, "81/TCP", X_EGRESS_BLOCKED);
}

#[test]
fn deny_ingress_from_other_namespaces() {
    let p = "
metadata: {name: deny-other-ns, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector: {}
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
fn deny_egress_from_one_pod() {
    let p = "
metadata: {name: deny-egress-pod-a, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
";
    table(p, "80/TCP", XA_EGRESS_BLOCKED);
}

#[test]
fn deny_egress_from_all_pods_in_a_namespace() {
    let p = "
metadata: {name: deny-egress-ns-x, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
";
    table(p, "80/TCP", X_EGRESS_BLOCKED);
    table(p, "81/UDP", X_EGRESS_BLOCKED);
}

#[test]
fn ingress_and_egress_together() {
    let p = "
metadata: {name: allow-client-a-via-pod-selector-with-match-labels, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - podSelector: {matchLabels: {pod: b}}
  egress:
  - ports: [{port: 80, protocol: TCP}]
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   .   .   .   .   .   .   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
",
    );
    table(
        p,
        "81/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   X   X   X   X   X   X   X   X
x/b  .   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
",
    );
}

#[test]
fn client_side_egress_denies_even_when_server_allows() {
    let p = "
metadata: {name: x-a-egress-to-y-a, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {ns: y}}
      podSelector: {matchLabels: {pod: a}}
---
metadata: {name: y-b-allows-x, namespace: y}
spec:
  podSelector: {matchLabels: {pod: b}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: x}}
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   X   X   .   X   X   X   X   X
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  .   .   .   .   X   .   .   .   .
y/b  .   .   .   .   X   .   .   .   .
y/c  .   .   .   .   X   .   .   .   .
z/a  .   .   .   .   X   .   .   .   .
z/b  .   .   .   .   X   .   .   .   .
z/c  .   .   .   .   X   .   .   .   .
",
    );
}

#[test]
fn ingress_any_port_on_a_specific_protocol() {
    let p = "
metadata: {name: tcp-only, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: y}}
    ports: [{protocol: TCP}]
";
    table(p, "80/TCP", XA_FROM_Y_ONLY);
    table(p, "81/TCP", XA_FROM_Y_ONLY);
    table(p, "80/UDP", XA_INGRESS_BLOCKED);
}

#[test]
fn ingress_allow_all_takes_precedence_in_the_union() {
    let p = "
metadata: {name: allow-80-from-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
    ports: [{port: 80}]
---
metadata: {name: allow-all, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - {}
";
    table(p, "80/TCP", ALL_ALLOWED);
    table(p, "81/TCP", ALL_ALLOWED);
}

#[test]
fn egress_allow_all_takes_precedence_in_the_union() {
    let p = "
metadata: {name: allow-egress-80, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 80}]
---
metadata: {name: allow-egress-all, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - {}
";
    table(p, "81/TCP", ALL_ALLOWED);
}

#[test]
fn egress_only_to_port_80() {
    let p = "
metadata: {name: allow-egress-80, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 80}]
";
    table(p, "80/TCP", ALL_ALLOWED);
    table(p, "81/TCP", XA_EGRESS_BLOCKED);
}

#[test]
fn egress_to_server_in_cidr_block() {
    let p = "
metadata: {name: allow-client-a-via-cidr-egress-rule, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.2.1/32}
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   X   X   .   X   X   X   X   X
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
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
fn egress_cidr_except_clause() {
    let p = "
metadata: {name: deny-client-a-via-except-cidr-egress-rule, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/16, except: [10.0.1.2/32]}
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   X   .   .   .   .   .   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
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
fn ip_in_both_cidr_and_except_is_allowed_by_another_rule() {
    let p = "
metadata: {name: overlap, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/16, except: [10.0.1.2/32]}
  - to:
    - ipBlock: {cidr: 10.0.1.2/32}
";
    table(p, "80/TCP", ALL_ALLOWED);
}

#[test]
fn ingress_from_ip_block_matches_pod_ips() {
    let p = "
metadata: {name: from-y-cidr, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.2.0/24}
";
    table(p, "80/TCP", XA_FROM_Y_ONLY);
}

#[test]
fn ip_block_matches_no_pod_ip_under_the_cilium_like_option() {
    let p = policies(
        "
metadata: {name: from-y-cidr, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.2.0/24}
",
    );
    let mut c = cluster();
    c.options.ip_block_matches_pod_ips = false;
    assert_table(&c, &p, "80/TCP", XA_INGRESS_BLOCKED);
    let v = verdict(&c, &p, "y/a", "x/a", "80/TCP");
    assert!(
        v.reasons().iter().any(|r| r.contains("Cilium-like")),
        "{:#?}",
        v.reasons()
    );
    let v = verdict(&cluster(), &p, "y/a", "x/a", "80/TCP");
    assert!(
        v.reasons()
            .iter()
            .any(|r| r.contains("matched pod IP 10.0.2.1")),
        "{:#?}",
        v.reasons()
    );
}

#[test]
fn policy_types_ingress_ignores_egress_rules() {
    let p = "
metadata: {name: ingress-only, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
  egress:
  - to: [{namespaceSelector: {matchLabels: {ns: z}}}]
";
    table(p, "80/TCP", XA_FROM_XB_ONLY);
}

#[test]
fn policy_types_egress_ignores_ingress_rules() {
    let p = "
metadata: {name: egress-only, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
";
    table(p, "80/TCP", X_EGRESS_BLOCKED);
}

#[test]
fn egress_section_without_policy_types_isolates_both_directions() {
    // policyTypes defaults to [Ingress, Egress]: ingress has no rule, so it is denied.
    let p = "
metadata: {name: egress-to-y, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  egress:
  - to: [{namespaceSelector: {matchLabels: {ns: y}}}]
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   X   X   .   .   .   X   X   X
x/b  X   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
",
    );
}

#[test]
fn empty_egress_list_does_not_imply_egress() {
    let p = "
metadata: {name: empty-egress, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - {}
  egress: []
";
    table(p, "80/TCP", ALL_ALLOWED);
}

#[test]
fn sctp_is_not_tcp() {
    let p = "
metadata: {name: allow-sctp-80, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - ports: [{port: 80, protocol: SCTP}]
";
    table(p, "80/SCTP", ALL_ALLOWED);
    table(p, "80/TCP", XA_INGRESS_BLOCKED);
    table(p, "80/UDP", XA_INGRESS_BLOCKED);
}

#[test]
fn udp_only_policy_blocks_tcp() {
    let p = "
metadata: {name: allow-udp-81, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - ports: [{port: 81, protocol: UDP}]
";
    table(p, "81/UDP", ALL_ALLOWED);
    table(p, "81/TCP", XA_INGRESS_BLOCKED);
}

#[test]
fn end_port_ranges() {
    let p = "
metadata: {name: allow-80-81, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
    ports: [{port: 80, endPort: 81, protocol: TCP}]
";
    table(p, "80/TCP", XA_FROM_Y_ONLY);
    table(p, "81/TCP", XA_FROM_Y_ONLY);
    let q = "
metadata: {name: allow-81-90, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
    ports: [{port: 81, endPort: 90}]
";
    table(q, "80/TCP", XA_INGRESS_BLOCKED);
    table(q, "81/TCP", XA_FROM_Y_ONLY);
}

#[test]
fn rules_are_or_ed_each_with_its_own_ports() {
    let p = "
metadata: {name: two-rules, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
    ports: [{port: 80}]
  - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
    ports: [{port: 81}]
";
    table(p, "80/TCP", XA_FROM_XB_ONLY);
    table(p, "81/TCP", XA_FROM_Y_ONLY);
}

#[test]
fn deny_ingress_in_y_and_egress_in_z() {
    let p = "
metadata: {name: deny-ingress, namespace: y}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
metadata: {name: deny-egress, namespace: z}
spec: {podSelector: {}, policyTypes: [Egress]}
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  .   .   .   X   X   X   .   .   .
x/b  .   .   .   X   X   X   .   .   .
x/c  .   .   .   X   X   X   .   .   .
y/a  .   .   .   X   X   X   .   .   .
y/b  .   .   .   X   X   X   .   .   .
y/c  .   .   .   X   X   X   .   .   .
z/a  X   X   X   X   X   X   X   X   X
z/b  X   X   X   X   X   X   X   X   X
z/c  X   X   X   X   X   X   X   X   X
",
    );
}

#[test]
fn egress_to_namespace_and_ingress_from_pod_across_namespaces() {
    let p = "
metadata: {name: x-egress-to-z, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: [z]}]}}]
---
metadata: {name: z-c-from-x-b, namespace: z}
spec:
  podSelector: {matchLabels: {pod: c}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: x}}, podSelector: {matchLabels: {pod: b}}}]
";
    table(
        p,
        "80/TCP",
        "
-   x/a x/b x/c y/a y/b y/c z/a z/b z/c
x/a  X   X   X   X   X   X   .   .   X
x/b  X   X   X   X   X   X   .   .   .
x/c  X   X   X   X   X   X   .   .   X
y/a  .   .   .   .   .   .   .   .   X
y/b  .   .   .   .   .   .   .   .   X
y/c  .   .   .   .   .   .   .   .   X
z/a  .   .   .   .   .   .   .   .   X
z/b  .   .   .   .   .   .   .   .   X
z/c  .   .   .   .   .   .   .   .   X
",
    );
}

#[test]
fn verdict_reasons_name_policy_rule_peer_and_port() {
    let p = policies(
        "
metadata: {name: allow-ns-y-81, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - podSelector: {matchLabels: {pod: b}}
    - namespaceSelector: {matchLabels: {ns: y}}
    ports:
    - port: serve-81-tcp
",
    );
    let c = cluster();
    let v = verdict(&c, &p, "y/c", "x/a", "81/TCP");
    assert!(v.allowed);
    let m = &v.ingress.allowed_by[0];
    assert_eq!(m.policy.name, "x/allow-ns-y-81");
    assert_eq!(m.rule, "spec.ingress[0]");
    assert_eq!(m.peer_index, Some(1));
    assert!(m.port.contains("serve-81-tcp"), "{}", m.port);
    assert!(
        v.explain().contains("y/c can reach x/a on 81/TCP"),
        "{}",
        v.explain()
    );
    let denied = verdict(&c, &p, "z/c", "x/a", "81/TCP");
    assert!(!denied.allowed);
    assert!(denied.ingress.isolated);
    assert!(
        denied
            .reasons()
            .iter()
            .any(|r| r.contains("no rule allows it")),
        "{:#?}",
        denied.reasons()
    );
    assert!(
        denied.explain().contains("cannot reach"),
        "{}",
        denied.explain()
    );
}

#[test]
fn external_endpoints_and_host_network_pods() {
    use policy_core::cluster::PodInfo;
    let mut c = cluster();
    c.add_external("8.8.8.8".parse().unwrap());
    let mut host = PodInfo::new("x", "node-agent", Default::default());
    host.host_network = true;
    host.node_ip = Some("192.168.0.1".parse().unwrap());
    c.add_pod(host);
    let p = policies(
        "
metadata: {name: egress-world, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress, Ingress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
    ports: [{port: serve-80-tcp}, {port: 443}]
  ingress:
  - from: [{podSelector: {}}]
",
    );
    // External: the named port never matches an external address; 443 does.
    assert!(!verdict(&c, &p, "x/a", "ip:8.8.8.8", "80/TCP").allowed);
    assert!(verdict(&c, &p, "x/a", "ip:8.8.8.8", "443/TCP").allowed);
    // The host-network pod is its node IP: ipBlock matches it, pod selectors never select it.
    assert!(verdict(&c, &p, "x/a", "x/node-agent", "443/TCP").allowed);
    let v = verdict(&c, &p, "x/node-agent", "x/a", "80/TCP");
    assert!(
        !v.allowed,
        "podSelector {{}} must not match a host-network pod"
    );
    assert!(!v.egress.policed);
    // Traffic from outside is not policed at egress; ingress decides.
    assert!(!verdict(&c, &p, "ip:8.8.8.8", "x/a", "80/TCP").allowed);
    assert!(verdict(&c, &p, "ip:8.8.8.8", "y/a", "80/TCP").allowed);
}

/// The documentation's other possibility, netpol-analyzer's model: a
/// host-network pod is an ordinary pod, selected by its labels.
#[test]
fn host_network_pods_as_ordinary_pods() {
    use policy_core::cluster::{HostNetworkPods, PodInfo};
    let build = |model| {
        let mut c = cluster();
        let labels = [("app".to_string(), "agent".to_string())].into();
        let mut host = PodInfo::new("x", "node-agent", labels);
        host.host_network = true;
        host.node_ip = Some("192.168.0.1".parse().unwrap());
        c.add_pod(host);
        c.set_host_network_pods(model);
        c
    };
    let p = policies(
        "
metadata: {name: agent-from-a, namespace: x}
spec:
  podSelector: {matchLabels: {app: agent}}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: a}}}]
  egress:
  - to: [{ipBlock: {cidr: 192.168.0.0/16}}]
  policyTypes: [Ingress, Egress]
",
    );
    let node = build(HostNetworkPods::Node);
    let pod = build(HostNetworkPods::Pod);
    assert_eq!(pod.options.host_network_pods, HostNetworkPods::Pod);
    // As its node: the policy does not select it, so it is not isolated.
    assert!(verdict(&node, &p, "x/b", "x/node-agent", "80/TCP").allowed);
    assert!(verdict(&node, &p, "x/node-agent", "x/b", "80/TCP").allowed);
    // As a pod: isolated both ways, `pod: a` may reach it, and its egress
    // goes to the ipBlock only.
    assert!(!verdict(&pod, &p, "x/b", "x/node-agent", "80/TCP").allowed);
    assert!(verdict(&pod, &p, "x/a", "x/node-agent", "80/TCP").allowed);
    assert!(!verdict(&pod, &p, "x/node-agent", "x/b", "80/TCP").allowed);
    // Its address is its node IP, which the ipBlock matches (pods' IPs
    // match ipBlocks unless told otherwise).
    let mut other = PodInfo::new("y", "on-node", Default::default());
    other.ips = vec!["192.168.0.7".parse().unwrap()];
    let mut pod = pod;
    pod.add_pod(other);
    assert!(verdict(&pod, &p, "x/node-agent", "y/on-node", "80/TCP").allowed);
    assert_eq!(
        HostNetworkPods::resolve(None, false),
        HostNetworkPods::Pod,
        "netpol-analyzer's model"
    );
    assert_eq!(HostNetworkPods::resolve(None, true), HostNetworkPods::Node);
    assert_eq!(
        HostNetworkPods::resolve(Some(HostNetworkPods::Node), false),
        HostNetworkPods::Node
    );
}
