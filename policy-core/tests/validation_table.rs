//! Apiserver parity: a table of NetworkPolicy and Cilium cases, each
//! asserting the field path (and code) of the error, or that there is none.
//! The NetworkPolicy cases mirror Kubernetes'
//! `pkg/apis/networking/validation/validation_test.go`.

use policy_core::diagnostic::Severity;
use policy_core::validate::validate;
use policy_core::yaml::parse_documents;

/// Parse + validate; returns the errors as (field, code).
fn errors_of(text: &str) -> Vec<(String, String, String)> {
    let out = parse_documents(text);
    let mut errs: Vec<(String, String, String)> = out
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            (
                d.field.clone().unwrap_or_default(),
                d.code.clone(),
                d.message.clone(),
            )
        })
        .collect();
    for p in out.policies() {
        for d in validate(p) {
            if d.severity == Severity::Error {
                errs.push((d.field.clone().unwrap_or_default(), d.code, d.message));
            }
        }
    }
    errs
}

fn np(meta: &str, spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {meta}\nspec: {spec}\n"
    )
}

const META: &str = "{name: np, namespace: default}";

/// (name, metadata, spec, expected (field, code) or None when valid)
/// Expected error: (field path, code).
type Expect = Option<(&'static str, &'static str)>;

const NP_CASES: &[(&str, &str, &str, Expect)] = &[
    // ---- valid ----
    ("empty selector", META, "{podSelector: {}}", None),
    // A null label value is "" to the apiserver (Go's decoding; kubernetes
    // PR 129257), in selectors, in expressions and in metadata.
    (
        "null label value",
        "{name: np, namespace: default, labels: {team: null}}",
        "{podSelector: {matchLabels: {a: null}}, ingress: [{from: [{podSelector: {matchExpressions: [{key: k, operator: In, values: [null]}]}}]}]}",
        None,
    ),
    (
        "match labels",
        META,
        "{podSelector: {matchLabels: {a: b}}}",
        None,
    ),
    (
        "allow all ingress rule",
        META,
        "{podSelector: {}, ingress: [{}]}",
        None,
    ),
    (
        "tcp port",
        META,
        "{podSelector: {}, ingress: [{ports: [{protocol: TCP, port: 80}]}]}",
        None,
    ),
    (
        "udp port",
        META,
        "{podSelector: {}, ingress: [{ports: [{protocol: UDP, port: 53}]}]}",
        None,
    ),
    (
        "sctp port",
        META,
        "{podSelector: {}, ingress: [{ports: [{protocol: SCTP, port: 7777}]}]}",
        None,
    ),
    (
        "named port",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: http}]}]}",
        None,
    ),
    (
        "port range",
        META,
        "{podSelector: {}, egress: [{ports: [{port: 30000, endPort: 32768}]}]}",
        None,
    ),
    (
        "port range of one",
        META,
        "{podSelector: {}, egress: [{ports: [{port: 80, endPort: 80}]}]}",
        None,
    ),
    (
        "pod peer",
        META,
        "{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {c: d}}}]}]}",
        None,
    ),
    (
        "namespace peer",
        META,
        "{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {c: d}}}]}]}",
        None,
    ),
    (
        "pod and namespace peer",
        META,
        "{podSelector: {}, ingress: [{from: [{podSelector: {}, namespaceSelector: {}}]}]}",
        None,
    ),
    (
        "ipblock except",
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.3.0/24, 192.168.4.0/24]}}]}]}",
        None,
    ),
    (
        "ipv6 ipblock",
        META,
        "{podSelector: {}, egress: [{to: [{ipBlock: {cidr: 'fd00:192:168::/48', except: ['fd00:192:168:3::/64']}}]}]}",
        None,
    ),
    (
        "egress only",
        META,
        "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{podSelector: {}}]}]}",
        None,
    ),
    (
        "both policy types",
        META,
        "{podSelector: {}, policyTypes: [Ingress, Egress]}",
        None,
    ),
    (
        "expression in",
        META,
        "{podSelector: {matchExpressions: [{key: app, operator: In, values: [a, b]}]}}",
        None,
    ),
    (
        "expression exists",
        META,
        "{podSelector: {matchExpressions: [{key: app, operator: Exists}]}}",
        None,
    ),
    (
        "prefixed label key",
        META,
        "{podSelector: {matchLabels: {app.kubernetes.io/name: web}}}",
        None,
    ),
    (
        "empty label value",
        META,
        "{podSelector: {matchLabels: {tier: ''}}}",
        None,
    ),
    (
        "generateName",
        "{generateName: np-, namespace: default}",
        "{podSelector: {}}",
        None,
    ),
    (
        "no namespace in file",
        "{name: np}",
        "{podSelector: {}}",
        None,
    ),
    (
        "dns egress",
        META,
        "{podSelector: {}, egress: [{ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}]}",
        None,
    ),
    // ---- metadata ----
    (
        "missing name",
        "{namespace: default}",
        "{podSelector: {}}",
        Some(("metadata.name", "field-required")),
    ),
    (
        "bad name",
        "{name: Bad_Name}",
        "{podSelector: {}}",
        Some(("metadata.name", "field-invalid")),
    ),
    (
        "long name",
        "{name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}",
        "{podSelector: {}}",
        Some(("metadata.name", "field-invalid")),
    ),
    (
        "bad namespace",
        "{name: np, namespace: Prod}",
        "{podSelector: {}}",
        Some(("metadata.namespace", "field-invalid")),
    ),
    (
        "dotted namespace",
        "{name: np, namespace: a.b}",
        "{podSelector: {}}",
        Some(("metadata.namespace", "field-invalid")),
    ),
    (
        "bad label key",
        "{name: np, labels: {'bad key': x}}",
        "{podSelector: {}}",
        Some(("metadata.labels", "field-invalid")),
    ),
    (
        "bad label value",
        "{name: np, labels: {k: -x}}",
        "{podSelector: {}}",
        Some(("metadata.labels", "field-invalid")),
    ),
    (
        "bad annotation key",
        "{name: np, annotations: {'no spaces!': x}}",
        "{podSelector: {}}",
        Some(("metadata.annotations", "field-invalid")),
    ),
    // ---- selectors ----
    (
        "selector bad key",
        META,
        "{podSelector: {matchLabels: {'a b': c}}}",
        Some(("spec.podSelector.matchLabels", "field-invalid")),
    ),
    (
        "selector bad value",
        META,
        "{podSelector: {matchLabels: {a: 'c d'}}}",
        Some(("spec.podSelector.matchLabels", "field-invalid")),
    ),
    (
        "selector empty prefix",
        META,
        "{podSelector: {matchLabels: {/a: c}}}",
        Some(("spec.podSelector.matchLabels", "field-invalid")),
    ),
    (
        "selector long value",
        META,
        "{podSelector: {matchLabels: {a: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}}",
        Some(("spec.podSelector.matchLabels", "field-invalid")),
    ),
    (
        "bad operator",
        META,
        "{podSelector: {matchExpressions: [{key: a, operator: Equals, values: [b]}]}}",
        Some((
            "spec.podSelector.matchExpressions[0].operator",
            "field-invalid",
        )),
    ),
    (
        "in without values",
        META,
        "{podSelector: {matchExpressions: [{key: a, operator: In}]}}",
        Some((
            "spec.podSelector.matchExpressions[0].values",
            "field-required",
        )),
    ),
    (
        "notin without values",
        META,
        "{podSelector: {matchExpressions: [{key: a, operator: NotIn, values: []}]}}",
        Some((
            "spec.podSelector.matchExpressions[0].values",
            "field-required",
        )),
    ),
    (
        "exists with values",
        META,
        "{podSelector: {matchExpressions: [{key: a, operator: Exists, values: [b]}]}}",
        Some((
            "spec.podSelector.matchExpressions[0].values",
            "field-forbidden",
        )),
    ),
    (
        "doesnotexist with values",
        META,
        "{podSelector: {matchExpressions: [{key: a, operator: DoesNotExist, values: [b]}]}}",
        Some((
            "spec.podSelector.matchExpressions[0].values",
            "field-forbidden",
        )),
    ),
    (
        "expression bad key",
        META,
        "{podSelector: {matchExpressions: [{key: 'Bad.Prefix/x', operator: Exists}]}}",
        Some(("spec.podSelector.matchExpressions[0].key", "field-invalid")),
    ),
    (
        "expression bad value",
        META,
        "{podSelector: {matchExpressions: [{key: a, operator: In, values: ['no way']}]}}",
        Some((
            "spec.podSelector.matchExpressions[0].values[0]",
            "field-invalid",
        )),
    ),
    (
        "peer pod selector bad value",
        META,
        "{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {a: '%'}}}]}]}",
        Some((
            "spec.ingress[0].from[0].podSelector.matchLabels",
            "field-invalid",
        )),
    ),
    (
        "peer ns notin no values",
        META,
        "{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: a, operator: NotIn}]}}]}]}",
        Some((
            "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values",
            "field-required",
        )),
    ),
    (
        "egress ns bad operator",
        META,
        "{podSelector: {}, egress: [{to: [{namespaceSelector: {matchExpressions: [{key: a, operator: in, values: [b]}]}}]}]}",
        Some((
            "spec.egress[0].to[0].namespaceSelector.matchExpressions[0].operator",
            "field-invalid",
        )),
    ),
    // ---- ports ----
    (
        "port zero",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: 0}]}]}",
        Some(("spec.ingress[0].ports[0].port", "field-invalid")),
    ),
    (
        "port too big",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: 65536}]}]}",
        Some(("spec.ingress[0].ports[0].port", "field-invalid")),
    ),
    (
        "negative port",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: -1}]}]}",
        Some(("spec.ingress[0].ports[0].port", "field-invalid")),
    ),
    (
        "huge port is a type error",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: 99999999999}]}]}",
        Some(("spec.ingress[0].ports[0].port", "invalid-type")),
    ),
    (
        "quoted number is a bad name",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: '80'}]}]}",
        Some(("spec.ingress[0].ports[0].port", "field-invalid")),
    ),
    (
        "named port too long",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: a-very-long-port-name}]}]}",
        Some(("spec.ingress[0].ports[0].port", "field-invalid")),
    ),
    (
        "named port upper case",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: HTTP}]}]}",
        Some(("spec.ingress[0].ports[0].port", "field-invalid")),
    ),
    (
        "named port double hyphen",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: a--b}]}]}",
        Some(("spec.ingress[0].ports[0].port", "field-invalid")),
    ),
    (
        "named port leading hyphen",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: -ab}]}]}",
        Some(("spec.ingress[0].ports[0].port", "field-invalid")),
    ),
    (
        "protocol icmp",
        META,
        "{podSelector: {}, ingress: [{ports: [{protocol: ICMP, port: 80}]}]}",
        Some(("spec.ingress[0].ports[0].protocol", "field-not-supported")),
    ),
    (
        "protocol lower case",
        META,
        "{podSelector: {}, ingress: [{ports: [{protocol: tcp, port: 80}]}]}",
        Some(("spec.ingress[0].ports[0].protocol", "field-not-supported")),
    ),
    (
        "endPort below port",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: 80, endPort: 79}]}]}",
        Some(("spec.ingress[0].ports[0].endPort", "field-invalid")),
    ),
    (
        "endPort too big",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: 80, endPort: 65536}]}]}",
        Some(("spec.ingress[0].ports[0].endPort", "field-invalid")),
    ),
    (
        "endPort with named port",
        META,
        "{podSelector: {}, ingress: [{ports: [{port: http, endPort: 90}]}]}",
        Some(("spec.ingress[0].ports[0].endPort", "field-invalid")),
    ),
    (
        "endPort without port",
        META,
        "{podSelector: {}, ingress: [{ports: [{endPort: 90}]}]}",
        Some(("spec.ingress[0].ports[0].endPort", "field-invalid")),
    ),
    (
        "second rule second port",
        META,
        "{podSelector: {}, ingress: [{}, {ports: [{port: 80}, {port: 0}]}]}",
        Some(("spec.ingress[1].ports[1].port", "field-invalid")),
    ),
    (
        "egress port zero",
        META,
        "{podSelector: {}, egress: [{ports: [{port: 0}]}]}",
        Some(("spec.egress[0].ports[0].port", "field-invalid")),
    ),
    (
        "egress port too big",
        META,
        "{podSelector: {}, egress: [{ports: [{port: 70000}]}]}",
        Some(("spec.egress[0].ports[0].port", "field-invalid")),
    ),
    (
        "egress endPort below port",
        META,
        "{podSelector: {}, egress: [{ports: [{port: 443, endPort: 80}]}]}",
        Some(("spec.egress[0].ports[0].endPort", "field-invalid")),
    ),
    // ---- peers ----
    (
        "empty peer",
        META,
        "{podSelector: {}, ingress: [{from: [{}]}]}",
        Some(("spec.ingress[0].from[0]", "field-required")),
    ),
    (
        "empty egress peer",
        META,
        "{podSelector: {}, egress: [{to: [{}]}]}",
        Some(("spec.egress[0].to[0]", "field-required")),
    ),
    (
        "ipblock and pod selector",
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}",
        Some(("spec.ingress[0].from[0]", "field-forbidden")),
    ),
    (
        "ipblock and namespace selector",
        META,
        "{podSelector: {}, ingress: [{from: [{podSelector: {}}, {ipBlock: {cidr: 10.0.0.0/8}, namespaceSelector: {}}]}]}",
        Some(("spec.ingress[0].from[1]", "field-forbidden")),
    ),
    (
        "egress ipblock and pod selector",
        META,
        "{podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}",
        Some(("spec.egress[0].to[0]", "field-forbidden")),
    ),
    // ---- ipBlock ----
    (
        "empty cidr",
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: ''}}]}]}",
        Some(("spec.ingress[0].from[0].ipBlock.cidr", "field-required")),
    ),
    (
        "prefix too long",
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/33}}]}]}",
        Some(("spec.ingress[0].from[0].ipBlock.cidr", "field-invalid")),
    ),
    (
        "not a cidr",
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: not-a-cidr}}]}]}",
        Some(("spec.ingress[0].from[0].ipBlock.cidr", "field-invalid")),
    ),
    (
        "address without prefix",
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.1}}]}]}",
        Some(("spec.ingress[0].from[0].ipBlock.cidr", "field-invalid")),
    ),
    (
        "except outside",
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.169.3.0/24]}}]}]}",
        Some(("spec.ingress[0].from[0].ipBlock.except[0]", "field-invalid")),
    ),
    (
        "except equal",
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.0.0/16]}}]}]}",
        Some(("spec.ingress[0].from[0].ipBlock.except[0]", "field-invalid")),
    ),
    (
        "except larger",
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.0.0.0/8]}}]}]}",
        Some(("spec.ingress[0].from[0].ipBlock.except[0]", "field-invalid")),
    ),
    (
        "except invalid",
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24, nope]}}]}]}",
        Some(("spec.ingress[0].from[0].ipBlock.except[1]", "field-invalid")),
    ),
    (
        "except other family",
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/16, except: ['fd00::/64']}}]}]}",
        Some(("spec.ingress[0].from[0].ipBlock.except[0]", "field-invalid")),
    ),
    (
        "egress except outside",
        META,
        "{podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]}",
        Some(("spec.egress[0].to[0].ipBlock.except[0]", "field-invalid")),
    ),
    // ---- policyTypes ----
    (
        "three policy types",
        META,
        "{podSelector: {}, policyTypes: [Ingress, Egress, Ingress]}",
        Some(("spec.policyTypes", "field-invalid")),
    ),
    (
        "unknown policy type",
        META,
        "{podSelector: {}, policyTypes: [Foo]}",
        Some(("spec.policyTypes[0]", "field-not-supported")),
    ),
    (
        "lower-case policy type",
        META,
        "{podSelector: {}, policyTypes: [Ingress, egress]}",
        Some(("spec.policyTypes[1]", "field-not-supported")),
    ),
];

#[test]
fn network_policy_table() {
    assert!(NP_CASES.len() >= 60, "{} cases", NP_CASES.len());
    let mut failures = Vec::new();
    for (name, meta, spec, expected) in NP_CASES {
        let errs = errors_of(&np(meta, spec));
        match expected {
            None if !errs.is_empty() => {
                failures.push(format!("{name}: expected valid, got {errs:?}"))
            }
            Some((field, code)) if !errs.iter().any(|(f, c, _)| f == field && c == code) => {
                failures.push(format!("{name}: expected {code} at {field}, got {errs:?}"));
            }
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn messages_match_the_apiserver() {
    let errs = errors_of(&np(
        META,
        "{podSelector: {}, ingress: [{ports: [{port: 0}]}]}",
    ));
    assert_eq!(
        errs[0].2,
        "Invalid value: 0: must be between 1 and 65535, inclusive"
    );
    let errs = errors_of(&np(META, "{podSelector: {}, ingress: [{from: [{}]}]}"));
    assert_eq!(errs[0].2, "Required value: must specify a peer");
    let errs = errors_of(&np(
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}",
    ));
    assert_eq!(
        errs[0].2,
        "Forbidden: may not specify both ipBlock and another peer"
    );
    let errs = errors_of(&np(
        META,
        "{podSelector: {}, ingress: [{ports: [{protocol: ICMP}]}]}",
    ));
    assert_eq!(
        errs[0].2,
        "Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\""
    );
    let errs = errors_of(&np(
        META,
        "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}}]}]}",
    ));
    assert_eq!(
        errs[0].2,
        "Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`"
    );
}

#[test]
fn duplicate_policy_types_warn() {
    let out = parse_documents(&np(
        META,
        "{podSelector: {}, policyTypes: [Egress, Egress]}",
    ));
    let d = validate(out.policies().next().unwrap());
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Warning);
    assert_eq!(d[0].field.as_deref(), Some("spec.policyTypes[1]"));
}

fn cnp(spec: &str) -> String {
    format!(
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: c, namespace: default}}\nspec: {spec}\n"
    )
}

const SEL: &str = "endpointSelector: {matchLabels: {app: a}}";

fn cilium_cases() -> Vec<(&'static str, String, Expect)> {
    let ports41: Vec<String> = (1..=41)
        .map(|p| format!("{{port: '{p}', protocol: TCP}}"))
        .collect();
    vec![
        ("valid l3", cnp(&format!("{{{SEL}, ingress: [{{fromEndpoints: [{{matchLabels: {{app: b}}}}]}}]}}")), None),
        ("valid http", cnp(&format!("{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], rules: {{http: [{{method: GET}}]}}}}]}}]}}")), None),
        ("valid dns", cnp(&format!("{{{SEL}, egress: [{{toEndpoints: [{{}}], toPorts: [{{ports: [{{port: '53', protocol: ANY}}], rules: {{dns: [{{matchPattern: '*'}}]}}}}]}}]}}")), None),
        ("valid node selector", cnp("{nodeSelector: {}, ingress: [{fromEntities: [cluster]}]}"), None),
        ("no selector", cnp("{ingress: [{fromEntities: [world]}]}"), Some(("spec", "cilium-selector-required"))),
        ("both selectors", cnp(&format!("{{{SEL}, nodeSelector: {{}}}}")), Some(("spec.nodeSelector", "cilium-selector-exclusive"))),
        ("l3 mix egress", cnp(&format!("{{{SEL}, egress: [{{toEndpoints: [{{}}], toCIDR: [10.0.0.0/8]}}]}}")), Some(("spec.egress[0].toEndpoints", "cilium-l3-mix"))),
        ("l3 mix ingress", cnp(&format!("{{{SEL}, ingress: [{{fromEndpoints: [{{}}], fromEntities: [world]}}]}}")), Some(("spec.ingress[0].fromEntities", "cilium-l3-mix"))),
        ("http over udp", cnp(&format!("{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80', protocol: UDP}}], rules: {{http: [{{}}]}}}}]}}]}}")), Some(("spec.ingress[0].toPorts[0].ports[0].protocol", "cilium-l7-protocol"))),
        ("http without protocol", cnp(&format!("{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80'}}], rules: {{http: [{{}}]}}}}]}}]}}")), Some(("spec.ingress[0].toPorts[0].ports[0]", "cilium-l7-protocol"))),
        ("dns on ingress", cnp(&format!("{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '53', protocol: UDP}}], rules: {{dns: [{{matchName: a.com}}]}}}}]}}]}}")), Some(("spec.ingress[0].toPorts[0].rules.dns", "cilium-dns-ingress"))),
        // Cilium accepts DNS rules on any port (lint PA022 warns).
        ("dns on other port", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '5353', protocol: UDP}}], rules: {{dns: [{{matchName: a.com}}]}}}}]}}]}}")), None),
        ("dns without ports", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{rules: {{dns: [{{matchName: a.com}}]}}}}]}}]}}")), Some(("spec.egress[0].toPorts[0]", "cilium-dns-port"))),
        ("too many ports", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{}]}}]}}]}}", ports41.join(", "))), Some(("spec.egress[0].toPorts[0].ports", "cilium-too-many-ports"))),
        ("icmps with toPorts", cnp(&format!("{{{SEL}, egress: [{{icmps: [{{fields: [{{type: 8}}]}}], toPorts: [{{ports: [{{port: '80'}}]}}]}}]}}")), Some(("spec.egress[0].icmps", "cilium-icmp-with-ports"))),
        ("icmp family", cnp(&format!("{{{SEL}, egress: [{{icmps: [{{fields: [{{type: 8, family: IPv5}}]}}]}}]}}")), Some(("spec.egress[0].icmps[0].fields[0].family", "field-not-supported"))),
        ("unknown entity", cnp(&format!("{{{SEL}, egress: [{{toEntities: [wrold]}}]}}")), Some(("spec.egress[0].toEntities[0]", "cilium-unknown-entity"))),
        ("deny with l7", cnp(&format!("{{{SEL}, ingressDeny: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], rules: {{http: [{{}}]}}}}]}}]}}")), Some(("spec.ingressDeny[0].toPorts[0].rules", "cilium-deny-l7"))),
        ("port too big", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '99999'}}]}}]}}]}}")), Some(("spec.egress[0].toPorts[0].ports[0].port", "field-invalid"))),
        ("protocol case", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '80', protocol: tcp}}]}}]}}]}}")), Some(("spec.egress[0].toPorts[0].ports[0].protocol", "cilium-protocol-case"))),
        ("cidrset except outside", cnp(&format!("{{{SEL}, egress: [{{toCIDRSet: [{{cidr: 10.0.0.0/8, except: [11.0.0.0/8]}}]}}]}}")), Some(("spec.egress[0].toCIDRSet[0].except[0]", "field-invalid"))),
        ("bad toCIDR", cnp(&format!("{{{SEL}, egress: [{{toCIDR: [10.0.0.0/40]}}]}}")), Some(("spec.egress[0].toCIDR[0]", "field-invalid"))),
        ("fqdn both", cnp(&format!("{{{SEL}, egress: [{{toFQDNs: [{{matchName: a.com, matchPattern: '*.a.com'}}]}}]}}")), Some(("spec.egress[0].toFQDNs[0]", "cilium-fqdn"))),
        ("fqdn chars", cnp(&format!("{{{SEL}, egress: [{{toFQDNs: [{{matchPattern: 'a?.com'}}]}}]}}")), Some(("spec.egress[0].toFQDNs[0].matchPattern", "cilium-fqdn"))),
        ("lower-case operator", cnp(&format!("{{{SEL}, ingress: [{{fromEndpoints: [{{matchExpressions: [{{key: env, operator: in, values: [a]}}]}}]}}]}}")), Some(("spec.ingress[0].fromEndpoints[0].matchExpressions[0].operator", "field-invalid"))),
        // Current Cilium lets toServices take toPorts (l3DependentL4Support).
        ("services with ports", cnp(&format!("{{{SEL}, egress: [{{toServices: [{{k8sService: {{serviceName: s, namespace: d}}}}], toPorts: [{{ports: [{{port: '80'}}]}}]}}]}}")), None),
        // Cilium's rule_validation_test.go, PortRule.sanitize and the CRD schema.
        ("server name empty", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '443', protocol: TCP}}], serverNames: ['']}}]}}]}}")), Some(("spec.egress[0].toPorts[0].serverNames[0]", "cilium-server-names"))),
        ("server names with http, no tls", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '443', protocol: TCP}}], serverNames: [a.com], rules: {{http: [{{}}]}}}}]}}]}}")), Some(("spec.egress[0].toPorts[0].serverNames", "cilium-server-names"))),
        ("server names with http, terminating tls", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '443', protocol: TCP}}], serverNames: [a.com], terminatingTLS: {{secret: {{name: s}}}}, rules: {{http: [{{}}]}}}}]}}]}}")), None),
        ("tls without secret", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '443', protocol: TCP}}], originatingTLS: {{certificate: c}}}}]}}]}}")), Some(("spec.egress[0].toPorts[0].originatingTLS.secret", "field-required"))),
        ("listener on egress", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], listener: {{envoyConfig: {{name: e}}, name: l}}}}]}}]}}")), None),
        ("listener on ingress", cnp(&format!("{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], listener: {{envoyConfig: {{name: e}}, name: l}}}}]}}]}}")), Some(("spec.ingress[0].toPorts[0].listener", "cilium-listener"))),
        ("listener with http", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], listener: {{envoyConfig: {{name: e}}, name: l}}, rules: {{http: [{{}}]}}}}]}}]}}")), Some(("spec.egress[0].toPorts[0].listener", "cilium-listener"))),
        ("listener without name", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], listener: {{envoyConfig: {{name: e}}}}}}]}}]}}")), Some(("spec.egress[0].toPorts[0].listener.name", "field-required"))),
        ("header match without name", cnp(&format!("{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], rules: {{http: [{{headerMatches: [{{value: v}}]}}]}}}}]}}]}}")), Some(("spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0].name", "field-required"))),
        ("header match action", cnp(&format!("{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], rules: {{http: [{{headerMatches: [{{name: h, mismatch: DROP}}]}}]}}}}]}}]}}")), Some(("spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0].mismatch", "field-not-supported"))),
        ("kafka role", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '9092', protocol: TCP}}], rules: {{kafka: [{{role: write}}]}}}}]}}]}}")), Some(("spec.egress[0].toPorts[0].rules.kafka[0].role", "field-not-supported"))),
        ("kafka role and api key", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '9092', protocol: TCP}}], rules: {{kafka: [{{role: produce, apiKey: fetch}}]}}}}]}}]}}")), Some(("spec.egress[0].toPorts[0].rules.kafka[0]", "cilium-kafka"))),
        ("l7 empty key", cnp(&format!("{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], rules: {{l7proto: p, l7: [{{'': v}}]}}}}]}}]}}")), Some(("spec.ingress[0].toPorts[0].rules.l7[0]", "cilium-l7-key"))),
        ("authentication mode", cnp(&format!("{{{SEL}, ingress: [{{fromEndpoints: [{{}}], authentication: {{mode: strict}}}}]}}")), Some(("spec.ingress[0].authentication.mode", "field-not-supported"))),
        ("authentication required", cnp(&format!("{{{SEL}, ingress: [{{fromEndpoints: [{{}}], authentication: {{mode: required}}}}]}}")), None),
        ("icmp name of the other family", cnp(&format!("{{{SEL}, egress: [{{icmps: [{{fields: [{{type: ICMPNodeInformationQuery}}]}}]}}]}}")), Some(("spec.egress[0].icmps[0].fields[0].type", "cilium-icmp-type"))),
        ("icmp v6 name", cnp(&format!("{{{SEL}, egress: [{{icmps: [{{fields: [{{type: ICMPNodeInformationQuery, family: IPv6}}]}}]}}]}}")), None),
        ("cidr set with group ref too", cnp(&format!("{{{SEL}, egress: [{{toCIDRSet: [{{cidr: 10.0.0.0/8, cidrGroupRef: g}}]}}]}}")), Some(("spec.egress[0].toCIDRSet[0]", "cilium-cidr-rule"))),
        ("toCIDR without prefix", cnp(&format!("{{{SEL}, egress: [{{toCIDR: [192.0.2.3]}}]}}")), Some(("spec.egress[0].toCIDR[0]", "field-invalid"))),
        ("host egress dns", cnp("{nodeSelector: {}, egress: [{toEntities: [world], toPorts: [{ports: [{port: '53', protocol: UDP}], rules: {dns: [{matchPattern: '*'}]}}]}]}"), None),
        ("host egress http", cnp("{nodeSelector: {}, egress: [{toEntities: [world], toPorts: [{ports: [{port: '80', protocol: TCP}], rules: {http: [{}]}}]}]}"), Some(("spec.egress[0].toPorts[0].rules", "cilium-host-l7"))),
        ("host ingress dns-free l7", cnp("{nodeSelector: {}, ingress: [{fromEntities: [world], toPorts: [{ports: [{port: '80', protocol: TCP}], rules: {http: [{}]}}]}]}"), Some(("spec.ingress[0].toPorts[0].rules", "cilium-host-l7"))),
        // PortRuleHTTP.Sanitize compiles path and method (Go RE2 syntax).
        ("http path glob", cnp(&format!("{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], rules: {{http: [{{path: '*'}}]}}}}]}}]}}")), Some(("spec.ingress[0].toPorts[0].rules.http[0].path", "cilium-http-regex"))),
        ("http method unclosed group", cnp(&format!("{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], rules: {{http: [{{method: 'G(ET'}}]}}}}]}}]}}")), Some(("spec.ingress[0].toPorts[0].rules.http[0].method", "cilium-http-regex"))),
        ("http regexes", cnp(&format!("{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80', protocol: TCP}}], rules: {{http: [{{method: 'GET|POST', path: '/a/\\p{{L}}+/[0-9]{{1,3}}/.*'}}]}}}}]}}]}}")), None),
        // PortRuleDNS.Sanitize checks characters only.
        ("dns rule with name and pattern", cnp(&format!("{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '53', protocol: UDP}}], rules: {{dns: [{{matchName: a.com, matchPattern: '*.b.com'}}]}}}}]}}]}}")), None),
        ("specs second rule", "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: c}\nspecs:\n- {endpointSelector: {}}\n- {ingress: [{}]}\n".to_string(), Some(("specs[1]", "cilium-selector-required"))),
        ("clusterwide with namespace", "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: c, namespace: x}\nspec: {endpointSelector: {}}\n".to_string(), Some(("metadata.namespace", "field-forbidden"))),
        ("no spec", "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: c}\n".to_string(), Some(("spec", "field-required"))),
    ]
}

#[test]
fn cilium_table() {
    let mut failures = Vec::new();
    for (name, text, expected) in cilium_cases() {
        let errs = errors_of(&text);
        match expected {
            None if !errs.is_empty() => {
                failures.push(format!("{name}: expected valid, got {errs:?}"))
            }
            Some((field, code)) if !errs.iter().any(|(f, c, _)| f == field && c == code) => {
                failures.push(format!("{name}: expected {code} at {field}, got {errs:?}"));
            }
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn samples_validate() {
    // Every copied sample is accepted, except the two upstream examples that
    // write the operator `in` in lower case (the CRD enum rejects it).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut stack = vec![root];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            seen += 1;
            let errs = errors_of(&std::fs::read_to_string(&p).unwrap());
            if p.parent().is_some_and(|d| d.ends_with("match-expressions")) {
                assert!(
                    errs.iter().any(|(f, _, _)| f.ends_with("operator")),
                    "{errs:?}"
                );
            } else {
                assert!(errs.is_empty(), "{}: {errs:?}", p.display());
            }
        }
    }
    assert!(seen >= 40);
}
