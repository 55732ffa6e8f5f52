//! Property tests: arbitrary text and arbitrary policy-shaped trees never
//! make parse, validate, lint, check or explain panic, every diagnostic has
//! a position, and emit is stable on whatever was read. Runs in a few
//! seconds (bounded case counts).

use policy_core::check::check;
use policy_core::explain::explain;
use policy_core::lint::apply_fix;
use policy_core::validate::validate;
use policy_core::yaml::{emit_policies, parse_bytes, parse_documents};
use proptest::prelude::*;
use serde_json::{Map, Value};

const KEYS: &[&str] = &[
    "podSelector",
    "namespaceSelector",
    "ipBlock",
    "cidr",
    "except",
    "ingress",
    "egress",
    "from",
    "to",
    "ports",
    "port",
    "endPort",
    "protocol",
    "policyTypes",
    "matchLabels",
    "matchExpressions",
    "key",
    "operator",
    "values",
    "endpointSelector",
    "nodeSelector",
    "fromEndpoints",
    "toEndpoints",
    "toPorts",
    "rules",
    "http",
    "dns",
    "matchName",
    "matchPattern",
    "toFQDNs",
    "toCIDR",
    "toCIDRSet",
    "fromEntities",
    "toEntities",
    "icmps",
    "fields",
    "type",
    "family",
    "ingressDeny",
    "egressDeny",
    "enableDefaultDeny",
    "name",
    "namespace",
    "labels",
    "app",
    "podselector",
    "toServices",
    "fromCIDRSet",
];
const SCALARS: &[&str] = &[
    "TCP",
    "UDP",
    "SCTP",
    "tcp",
    "In",
    "NotIn",
    "Exists",
    "in",
    "Ingress",
    "Egress",
    "world",
    "cluster",
    "10.0.0.0/8",
    "10.0.0.1/33",
    "::/0",
    "fd00::/64",
    "0.0.0.0/0",
    "http",
    "53",
    "80",
    "-1",
    "",
    "*",
    "a.b",
    "x y",
    "kube-dns",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(SCALARS).prop_map(|s| Value::String(s.to_string())),
        any::<i32>().prop_map(Value::from),
        (0i64..70000).prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..5).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k.to_string(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

fn document() -> impl Strategy<Value = String> {
    (
        prop::sample::select(
            &[
                ("networking.k8s.io/v1", "NetworkPolicy"),
                ("cilium.io/v2", "CiliumNetworkPolicy"),
                ("cilium.io/v2", "CiliumClusterwideNetworkPolicy"),
                ("v1", "Pod"),
                ("v1", "List"),
            ][..],
        ),
        tree(),
        tree(),
        any::<bool>(),
    )
        .prop_map(|((api, kind), spec, meta, as_yaml)| {
            let mut m = Map::new();
            m.insert("apiVersion".into(), api.into());
            m.insert("kind".into(), kind.into());
            m.insert("metadata".into(), meta);
            m.insert(if kind == "List" { "items" } else { "spec" }.into(), spec);
            let v = Value::Object(m);
            if as_yaml {
                policy_core::yaml::value_to_block_yaml(&v)
            } else {
                v.to_string()
            }
        })
}

fn exercise(text: &str) {
    let parsed = parse_documents(text);
    for d in &parsed.diagnostics {
        assert!(d.line.is_some() && d.column.is_some(), "no position: {d:?}");
    }
    let policies: Vec<_> = parsed.policies().cloned().collect();
    for p in &policies {
        let _ = validate(p);
        let _ = explain(p).to_text();
    }
    for d in check(text, None) {
        assert!(d.line.is_some(), "no line: {d:?}");
        if let Some(fix) = &d.fix {
            // Fixes apply cleanly and the result still reads.
            let fixed = apply_fix(text, fix).expect("fix applies");
            let _ = parse_documents(&fixed);
        }
    }
    // Stable emit on whatever was read.
    let once = emit_policies(&policies);
    let again: Vec<_> = parse_documents(&once).policies().cloned().collect();
    assert_eq!(emit_policies(&again), once);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn structured_documents_never_panic(doc in document()) {
        exercise(&doc);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[ -~\n\t\u{e9}\u{2603}]{0,300}") {
        exercise(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_bytes(&bytes);
        let _ = policy_core::check::check_bytes(&bytes, None);
    }
}
