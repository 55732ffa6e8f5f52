//! Every lint fires on a mistaken policy and stays silent on the corrected
//! one; where the lint offers a fix, applying it yields a policy on which
//! the lint no longer fires (and that still reads without errors).

use policy_core::check::check;
use policy_core::diagnostic::Severity;
use policy_core::lint::{ClusterView, LINTS, apply_fix};
use policy_core::model::{Namespace, Pod};
use policy_core::yaml::{Object, parse_documents};

fn np(spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: prod\nspec:\n{spec}"
    )
}

fn cnp(spec: &str) -> String {
    format!(
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: web\n  namespace: prod\nspec:\n{spec}"
    )
}

const CLUSTER: &str = "apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: prod}}
- {apiVersion: v1, kind: Namespace, metadata: {name: monitoring, labels: {team: ops}}}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: prod, labels: {app: web}}
  spec:
    containers:
    - name: web
      image: nginx
      ports: [{containerPort: 8080, name: http}]
  status: {podIP: 10.1.0.5}
- apiVersion: v1
  kind: Pod
  metadata: {name: prom-1, namespace: monitoring, labels: {app: prom}}
  spec: {containers: [{name: prom, image: prom}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: agent-1, namespace: prod, labels: {app: agent}}
  spec: {containers: [{name: agent, image: agent}]}
";

fn cluster() -> (Vec<Namespace>, Vec<Pod>) {
    let out = parse_documents(CLUSTER);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let mut ns = Vec::new();
    let mut pods = Vec::new();
    for o in out.objects {
        match o.object {
            Object::Namespace(n) => ns.push(n),
            Object::Pod(p) => pods.push(p),
            Object::Policy(_) => {}
        }
    }
    (ns, pods)
}

struct Case {
    code: &'static str,
    bad: String,
    good: String,
    with_cluster: bool,
    has_fix: bool,
}

fn case(code: &'static str, bad: String, good: String, with_cluster: bool, has_fix: bool) -> Case {
    Case {
        code,
        bad,
        good,
        with_cluster,
        has_fix,
    }
}

const DNS_NP: &str = "  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n      podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n    ports:\n    - port: 53\n      protocol: UDP\n";
const DNS_CNP: &str = "  - toEndpoints:\n    - matchLabels:\n        k8s:io.kubernetes.pod.namespace: kube-system\n        k8s:k8s-app: kube-dns\n    toPorts:\n    - ports:\n      - port: \"53\"\n        protocol: ANY\n      rules:\n        dns:\n        - matchPattern: \"*\"\n";

fn cases() -> Vec<Case> {
    let db_egress = "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector:\n        matchLabels:\n          app: db\n    ports:\n    - port: 5432\n      protocol: TCP\n";
    vec![
        case(
            "PA001",
            np(db_egress),
            np(&format!("{db_egress}{DNS_NP}")),
            false,
            true,
        ),
        case(
            "PA001",
            cnp(
                "  endpointSelector: {}\n  egress:\n  - toEndpoints:\n    - matchLabels:\n        app: db\n",
            ),
            cnp(&format!(
                "  endpointSelector: {{}}\n  egress:\n  - toEndpoints:\n    - matchLabels:\n        app: db\n{DNS_CNP}"
            )),
            false,
            true,
        ),
        case(
            "PA002",
            np(
                "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: ops\n    - podSelector:\n        matchLabels:\n          app: prom\n",
            ),
            np(
                "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: ops\n      podSelector:\n        matchLabels:\n          app: prom\n",
            ),
            false,
            true,
        ),
        case(
            "PA003",
            np(
                "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: ops\n      podSelector:\n        matchLabels:\n          app: agent\n",
            ),
            np(
                "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: ops\n    - podSelector:\n        matchLabels:\n          app: agent\n",
            ),
            true,
            false,
        ),
        case(
            "PA004",
            np(
                "  podSelector: {}\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: monitoring\n",
            ),
            np(
                "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: monitoring\n",
            ),
            false,
            true,
        ),
        case(
            "PA004",
            np(
                "  podSelector: {}\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: prom\n",
            ),
            np(
                "  podSelector: {}\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: prom\n      namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: monitoring\n",
            ),
            true,
            true,
        ),
        case(
            "PA005",
            np(
                "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n",
            ),
            np(
                "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 203.0.113.0/24\n",
            ),
            false,
            false,
        ),
        case(
            "PA005",
            np(
                "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n",
            ),
            np(
                "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n        except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]\n",
            ),
            false,
            true,
        ),
        case(
            "PA006",
            np("  podSelector: {}\n  ingress:\n  - {}\n").replace("name: web", "name: web-deny"),
            np("  podSelector: {}\n  ingress: []\n").replace("name: web", "name: web-deny"),
            false,
            true,
        ),
        case(
            "PA007",
            np("  podSelector: {}\n  egress:\n  - {}\n"),
            np("  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - {}\n"),
            false,
            true,
        ),
        case(
            "PA008",
            np("  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n"),
            np("  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n      protocol: TCP\n"),
            false,
            true,
        ),
        case(
            "PA009",
            np(
                "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 80, protocol: TCP}\n  - ports:\n    - {port: 80, protocol: TCP}\n",
            ),
            np("  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 80, protocol: TCP}\n"),
            false,
            true,
        ),
        case(
            "PA009",
            cnp(
                "  endpointSelector: {}\n  ingress:\n  - fromEntities: [world]\n  - fromEntities: [world]\n",
            ),
            cnp("  endpointSelector: {}\n  ingress:\n  - fromEntities: [world]\n"),
            false,
            true,
        ),
        case(
            "PA010",
            np(
                "  podSelector: {}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: a}}}]\n    ports: [{port: 80, protocol: TCP}]\n  - from: [{podSelector: {matchLabels: {app: a}}}]\n",
            ),
            np(
                "  podSelector: {}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: a}}}]\n",
            ),
            false,
            true,
        ),
        case(
            "PA011",
            np("  podSelector:\n    matchLabels:\n      app: nothing\n  policyTypes: [Ingress]\n"),
            np("  podSelector:\n    matchLabels:\n      app: web\n  policyTypes: [Ingress]\n"),
            true,
            false,
        ),
        case(
            "PA011",
            cnp(
                "  endpointSelector:\n    matchLabels:\n      app: nothing\n  ingress:\n  - fromEntities: [world]\n",
            ),
            cnp(
                "  endpointSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - fromEntities: [world]\n",
            ),
            true,
            false,
        ),
        case(
            "PA012",
            np(
                "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - ports:\n    - {port: metrics, protocol: TCP}\n",
            ),
            np(
                "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - ports:\n    - {port: http, protocol: TCP}\n",
            ),
            true,
            false,
        ),
        case(
            "PA013",
            np("  podselector:\n    matchLabels:\n      app: web\n  policyTypes: [Ingress]\n"),
            np("  podSelector:\n    matchLabels:\n      app: web\n  policyTypes: [Ingress]\n"),
            false,
            true,
        ),
        case(
            "PA013",
            cnp(
                "  endpointSelector: {}\n  ingress:\n  - fromEntities: [world]\n    toPort:\n    - ports: [{port: \"80\", protocol: TCP}]\n",
            ),
            cnp(
                "  endpointSelector: {}\n  ingress:\n  - fromEntities: [world]\n    toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n",
            ),
            false,
            true,
        ),
        case(
            "PA014",
            cnp(
                "  endpointSelector: {}\n  egress:\n  - toFQDNs:\n    - matchName: api.example.com\n  - toEndpoints:\n    - matchLabels:\n        k8s:k8s-app: kube-dns\n",
            ),
            cnp(&format!(
                "  endpointSelector: {{}}\n  egress:\n  - toFQDNs:\n    - matchName: api.example.com\n{DNS_CNP}"
            )),
            false,
            true,
        ),
        case(
            "PA015",
            np(
                "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 203.0.113.7/24\n",
            ),
            np(
                "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 203.0.113.0/24\n",
            ),
            false,
            true,
        ),
        case(
            "PA015",
            cnp("  endpointSelector: {}\n  egress:\n  - toCIDR: [203.0.113.7/24]\n"),
            cnp("  endpointSelector: {}\n  egress:\n  - toCIDR: [203.0.113.0/24]\n"),
            false,
            true,
        ),
        case(
            "PA017",
            np("  podSelector: {}\n  policyTypes:\n  - Ingress\n  egress:\n  - {}\n"),
            np("  podSelector: {}\n  policyTypes:\n  - Ingress\n  - Egress\n  egress:\n  - {}\n"),
            false,
            true,
        ),
        case(
            "PA018",
            cnp("  endpointSelector: {}\n  ingress:\n  - fromEndpoints:\n    - {}\n"),
            cnp(
                "  endpointSelector: {}\n  ingress:\n  - fromEndpoints:\n    - matchExpressions:\n      - {key: k8s:io.kubernetes.pod.namespace, operator: Exists}\n",
            ),
            false,
            true,
        ),
        case(
            "PA016",
            np(
                "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          name: monitoring\n",
            ),
            np(
                "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: monitoring\n",
            ),
            false,
            true,
        ),
        case(
            "PA019",
            np(
                "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - from:\n    - podSelector: {}\n  egress: []\n",
            ),
            np(
                "  podSelector:\n    matchLabels:\n      app: web\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from:\n    - podSelector: {}\n  egress: []\n",
            ),
            false,
            true,
        ),
        case(
            "PA019",
            np(&format!("  podSelector: {{}}\n  policyTypes: [Egress]\n  ingress: []\n  egress:\n{DNS_NP}")),
            np(&format!("  podSelector: {{}}\n  policyTypes: [Egress, Ingress]\n  ingress: []\n  egress:\n{DNS_NP}")),
            false,
            true,
        ),
        case(
            "PA020",
            format!(
                "{}---\n{}",
                np("  podSelector: {}\n  policyTypes: [Ingress]\n"),
                np("  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector: {}\n")
            ),
            format!(
                "{}---\n{}",
                np("  podSelector: {}\n  policyTypes: [Ingress]\n"),
                np("  podSelector: {}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector: {}\n")
                    .replace("name: web", "name: web-from-namespace")
            ),
            false,
            false,
        ),
        case(
            "PA021",
            np(&format!(
                "  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 203.0.113.0/24\n    ports:\n    - port: https\n      protocol: TCP\n{DNS_NP}"
            )),
            np(&format!(
                "  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 203.0.113.0/24\n    ports:\n    - port: 443\n      protocol: TCP\n{DNS_NP}"
            )),
            false,
            true,
        ),
        case(
            "PA022",
            cnp(
                "  endpointSelector: {}\n  egress:\n  - toEndpoints:\n    - matchLabels:\n        k8s:io.kubernetes.pod.namespace: kube-system\n        k8s:k8s-app: kube-dns\n    toPorts:\n    - ports:\n      - port: \"53\"\n        protocol: ANY\n      - port: \"9153\"\n        protocol: TCP\n      rules:\n        dns:\n        - matchPattern: \"*\"\n",
            ),
            cnp(
                "  endpointSelector: {}\n  egress:\n  - toEndpoints:\n    - matchLabels:\n        k8s:io.kubernetes.pod.namespace: kube-system\n        k8s:k8s-app: kube-dns\n    toPorts:\n    - ports:\n      - port: \"53\"\n        protocol: ANY\n      rules:\n        dns:\n        - matchPattern: \"*\"\n    - ports:\n      - port: \"9153\"\n        protocol: TCP\n",
            ),
            false,
            false,
        ),
        case(
            "PA023",
            cnp(
                "  endpointSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - fromEndpoints:\n    - matchLabels:\n        app: agent\n    auth:\n      type: spire\n",
            ),
            cnp(
                "  endpointSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - fromEndpoints:\n    - matchLabels:\n        app: agent\n    authentication:\n      mode: required\n",
            ),
            false,
            true,
        ),
        // PA011 reads Cilium's endpoint labels as the engine does: namespace
        // labels and the service account select pods (no false alarm).
        case(
            "PA011",
            cnp("  endpointSelector:\n    matchLabels:\n      io.cilium.k8s.namespace.labels.team: nobody\n  ingress:\n  - {}\n")
                .replace("namespace: prod", "namespace: monitoring"),
            cnp("  endpointSelector:\n    matchLabels:\n      io.cilium.k8s.namespace.labels.team: ops\n  ingress:\n  - {}\n")
                .replace("namespace: prod", "namespace: monitoring"),
            true,
            false,
        ),
        case(
            "PA011",
            cnp("  endpointSelector:\n    matchLabels:\n      k8s:io.cilium.k8s.policy.serviceaccount: builder\n  ingress:\n  - {}\n"),
            cnp("  endpointSelector:\n    matchLabels:\n      k8s:io.cilium.k8s.policy.serviceaccount: default\n  ingress:\n  - {}\n"),
            true,
            false,
        ),
    ]
}

#[test]
fn every_lint_fires_and_is_silent_when_corrected() {
    let (ns, pods) = cluster();
    let view = ClusterView {
        namespaces: &ns,
        pods: &pods,
    };
    let mut failures = Vec::new();
    let all = cases();
    for info in LINTS {
        assert!(
            all.iter().any(|c| c.code == info.code),
            "no test case for {}",
            info.code
        );
    }
    for c in &all {
        let cl = c.with_cluster.then_some(&view);
        let bad = check(&c.bad, cl);
        let hits: Vec<_> = bad.iter().filter(|d| d.code == c.code).collect();
        if hits.is_empty() {
            failures.push(format!(
                "{}: did not fire on\n{}\ngot {:?}",
                c.code, c.bad, bad
            ));
            continue;
        }
        let good = check(&c.good, cl);
        if good.iter().any(|d| d.code == c.code) {
            failures.push(format!(
                "{}: fired on the corrected policy\n{}\n{:?}",
                c.code, c.good, good
            ));
        }
        if good.iter().any(|d| d.severity == Severity::Error) {
            failures.push(format!(
                "{}: corrected policy has errors {:?}",
                c.code, good
            ));
        }
        let d = hits[0];
        assert!(
            d.line.is_some() && d.field.is_some(),
            "{}: no position {d:?}",
            c.code
        );
        match (&d.fix, c.has_fix) {
            (Some(fix), true) => {
                let fixed = apply_fix(&c.bad, fix).unwrap();
                let after = check(&fixed, cl);
                if after.iter().any(|x| x.code == c.code && x.field == d.field) {
                    failures.push(format!(
                        "{}: still fires after the fix\n{fixed}\n{after:?}",
                        c.code
                    ));
                }
                if after.iter().any(|x| x.severity == Severity::Error) {
                    failures.push(format!(
                        "{}: the fix introduced errors\n{fixed}\n{after:?}",
                        c.code
                    ));
                }
            }
            (None, true) => failures.push(format!("{}: expected a fix on {d:?}", c.code)),
            (Some(_), false) => failures.push(format!("{}: unexpected fix {d:?}", c.code)),
            (None, false) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_lint_is_documented() {
    let mut codes: Vec<&str> = LINTS.iter().map(|l| l.code).collect();
    codes.dedup();
    assert_eq!(codes.len(), LINTS.len());
    assert!(LINTS.len() >= 15);
    for l in LINTS {
        assert!(l.explanation.len() > 40, "{}", l.code);
        assert!(policy_core::lint::lint_info(l.code).is_some());
    }
}

#[test]
fn fixes_work_on_flow_style_and_json() {
    let text = "{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\", \"metadata\": {\"name\": \"x\", \"namespace\": \"prod\"}, \"spec\": {\"podSelector\": {}, \"egress\": [{\"ports\": [{\"port\": 5432, \"protocol\": \"TCP\"}]}]}}";
    let diags = check(text, None);
    let pa001 = diags.iter().find(|d| d.code == "PA001").expect("PA001");
    let fixed = apply_fix(text, pa001.fix.as_ref().unwrap()).unwrap();
    let after = check(&fixed, None);
    assert!(
        !after.iter().any(|d| d.code == "PA001"),
        "{fixed}\n{after:?}"
    );
    assert!(
        !after.iter().any(|d| d.severity == Severity::Error),
        "{fixed}\n{after:?}"
    );
}

#[test]
fn validation_errors_with_an_obvious_fix_carry_it() {
    let cases = [
        (
            cnp(
                "  endpointSelector: {}\n  ingress:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n      rules:\n        http:\n        - method: GET\n",
            ),
            "cilium-l7-protocol",
        ),
        (
            cnp(
                "  endpointSelector: {}\n  ingress:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n        protocol: UDP\n      rules:\n        http:\n        - method: GET\n",
            ),
            "cilium-l7-protocol",
        ),
        (
            cnp(
                "  endpointSelector: {}\n  egress:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n        protocol: tcp\n",
            ),
            "cilium-protocol-case",
        ),
        (
            cnp(
                "  endpointSelector: {}\n  ingress:\n  - fromEndpoints:\n    - matchExpressions:\n      - {key: env, operator: in, values: [a]}\n",
            ),
            "field-invalid",
        ),
        (
            np("  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n      protocol: tcp\n"),
            "field-not-supported",
        ),
        (
            np("  podSelector: {}\n  policyTypes: [ingress]\n"),
            "field-not-supported",
        ),
    ];
    for (text, code) in cases {
        let diags = check(&text, None);
        let d = diags
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("{code} in {diags:?}"));
        let fixed = apply_fix(
            &text,
            d.fix.as_ref().unwrap_or_else(|| panic!("no fix: {d:?}")),
        )
        .unwrap();
        let after = check(&fixed, None);
        assert!(
            !after.iter().any(|x| x.severity == Severity::Error),
            "{fixed}\n{after:?}"
        );
    }
}
