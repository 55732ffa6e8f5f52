//! Random clusters and policies for the property tests (shared by
//! `engine_vs_reference` and `semantics_agree`).

#![allow(dead_code, unreachable_pub)] // Each test target uses part of it; the crate is a test.

use std::collections::BTreeMap;

use policy_core::cluster::{Cluster, ContainerPort, PodInfo};
use policy_core::engine::Protocol;
use policy_core::model::{CiliumPolicy, NetworkPolicy, Policy};
use proptest::prelude::*;
use serde_json::{Value, json};

pub const NAMESPACES: [&str; 3] = ["a", "b", "c"];

pub fn labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    (
        prop::option::of(prop_oneof!["web", "db"]),
        prop::option::of(prop_oneof!["front", "back"]),
    )
        .prop_map(|(app, tier)| {
            let mut l = BTreeMap::new();
            if let Some(a) = app {
                l.insert("app".to_string(), a.to_string());
            }
            if let Some(t) = tier {
                l.insert("tier".to_string(), t.to_string());
            }
            l
        })
}

pub fn pod() -> impl Strategy<Value = (usize, BTreeMap<String, String>, bool, usize, u8)> {
    // (namespace, labels, host network, node, named-port layout)
    (
        0..3usize,
        labels(),
        prop::bool::weighted(0.1),
        0..2usize,
        0..3u8,
    )
}

pub fn cluster_strategy() -> impl Strategy<Value = Cluster> {
    (
        prop::collection::vec(labels(), 3),
        prop::collection::vec(pod(), 1..8),
        prop::collection::vec(
            prop_oneof![Just("8.8.8.8"), Just("10.1.0.9"), Just("192.168.7.1")],
            0..3,
        ),
        any::<bool>(),
    )
        .prop_map(|(ns_labels, pods, externals, ip_block_pods)| {
            let mut c = Cluster::new();
            for (i, l) in ns_labels.into_iter().enumerate() {
                c.add_namespace(NAMESPACES[i], l);
            }
            for (i, (ns, l, host, node, layout)) in pods.into_iter().enumerate() {
                let mut p = PodInfo::new(NAMESPACES[ns], &format!("p{i}"), l);
                p.ips = vec![format!("10.0.{ns}.{}", i + 1).parse().unwrap()];
                p.host_network = host;
                p.node_ip = Some(format!("192.168.0.{}", node + 1).parse().unwrap());
                let (name, port, protocol) = match layout {
                    0 => ("http", 80, Protocol::Tcp),
                    1 => ("http", 81, Protocol::Tcp),
                    _ => ("dns", 53, Protocol::Udp),
                };
                p.ports = vec![
                    ContainerPort {
                        name: Some(name.into()),
                        port,
                        protocol,
                    },
                    ContainerPort {
                        name: None,
                        port: 443,
                        protocol: Protocol::Tcp,
                    },
                ];
                c.add_pod(p);
            }
            for e in externals {
                c.add_external(e.parse().unwrap());
            }
            c.options.ip_block_matches_pod_ips = ip_block_pods;
            c
        })
}

pub fn selector() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        labels().prop_map(|l| json!({ "matchLabels": l })),
        (
            prop_oneof!["app", "tier"],
            prop_oneof!["In", "NotIn", "Exists", "DoesNotExist"],
            prop_oneof!["web", "front"]
        )
            .prop_map(|(k, op, v)| {
                if op == "Exists" || op == "DoesNotExist" {
                    json!({"matchExpressions": [{"key": k, "operator": op}]})
                } else {
                    json!({"matchExpressions": [{"key": k, "operator": op, "values": [v]}]})
                }
            }),
    ]
}

pub fn np_port() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"port": 80})),
        Just(json!({"port": 80, "endPort": 443})),
        Just(json!({"port": "http"})),
        Just(json!({"port": "dns", "protocol": "UDP"})),
        // A named port whose protocol the pods never give it: matches nothing.
        Just(json!({"port": "dns"})),
        Just(json!({"port": "http", "protocol": "UDP"})),
        Just(json!({"protocol": "UDP"})),
        Just(json!({"port": 443, "protocol": "SCTP"})),
    ]
}

pub fn np_peer() -> impl Strategy<Value = Value> {
    prop_oneof![
        selector().prop_map(|s| json!({"podSelector": s})),
        selector().prop_map(|s| json!({"namespaceSelector": s})),
        (selector(), selector())
            .prop_map(|(n, p)| json!({"namespaceSelector": n, "podSelector": p})),
        Just(json!({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}})),
        Just(json!({"ipBlock": {"cidr": "0.0.0.0/0"}})),
        Just(json!({"ipBlock": {"cidr": "192.168.0.0/16"}})),
    ]
}

pub fn np_rule(peer_key: &'static str) -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::collection::vec(np_peer(), 0..3)),
        prop::option::of(prop::collection::vec(np_port(), 0..3)),
    )
        .prop_map(move |(peers, ports)| {
            let mut r = serde_json::Map::new();
            if let Some(p) = peers {
                r.insert(peer_key.into(), Value::Array(p));
            }
            if let Some(p) = ports {
                r.insert("ports".into(), Value::Array(p));
            }
            Value::Object(r)
        })
}

pub fn network_policy() -> impl Strategy<Value = Policy> {
    (
        0..3usize,
        selector(),
        prop::option::of(prop::collection::vec(np_rule("from"), 0..3)),
        prop::option::of(prop::collection::vec(np_rule("to"), 0..3)),
        prop_oneof![
            Just(None),
            Just(Some(Vec::<&str>::new())),
            Just(Some(vec!["Ingress"])),
            Just(Some(vec!["Egress"])),
            Just(Some(vec!["Ingress", "Egress"]))
        ],
    )
        .prop_map(|(ns, sel, ingress, egress, types)| {
            let mut spec = json!({"podSelector": sel});
            if let Some(i) = ingress {
                spec["ingress"] = json!(i);
            }
            if let Some(e) = egress {
                spec["egress"] = json!(e);
            }
            if let Some(t) = types {
                spec["policyTypes"] = json!(t);
            }
            let v = json!({"metadata": {"name": "np", "namespace": NAMESPACES[ns]}, "spec": spec});
            Policy::NetworkPolicy(serde_json::from_value::<NetworkPolicy>(v).unwrap())
        })
}

pub fn cilium_selector() -> impl Strategy<Value = Value> {
    prop_oneof![
        selector(),
        (0..3usize).prop_map(
            |n| json!({"matchLabels": {"k8s:io.kubernetes.pod.namespace": NAMESPACES[n]}})
        ),
        labels().prop_map(|l| {
            let m: BTreeMap<String, String> = l
                .into_iter()
                .map(|(k, v)| (format!("k8s:{k}"), v))
                .collect();
            json!({ "matchLabels": m })
        }),
        Just(json!({"matchLabels": {"reserved:host": ""}})),
    ]
}

pub fn cilium_ports() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!([{"ports": [{"port": "80", "protocol": "TCP"}]}])),
        Just(json!([{"ports": [{"port": "80", "endPort": 443}]}])),
        Just(json!([{"ports": [{"port": "http"}]}])),
        Just(json!([{"ports": [{"port": "dns", "protocol": "UDP"}]}])),
        Just(
            json!([{"ports": [{"port": "53", "protocol": "UDP"}], "rules": {"dns": [{"matchPattern": "*"}]}}])
        ),
        Just(json!([{"ports": [{"port": "443", "protocol": "ANY"}]}])),
    ]
}

pub fn cilium_rule(dir: &'static str) -> impl Strategy<Value = Value> {
    let (ep, cidr, set, ent, req) = if dir == "in" {
        (
            "fromEndpoints",
            "fromCIDR",
            "fromCIDRSet",
            "fromEntities",
            "fromRequires",
        )
    } else {
        (
            "toEndpoints",
            "toCIDR",
            "toCIDRSet",
            "toEntities",
            "toRequires",
        )
    };
    (
        prop::option::of(prop::collection::vec(cilium_selector(), 0..3)),
        prop::option::of(prop_oneof![
            Just(json!(["8.8.8.8/32"])),
            Just(json!(["10.0.0.0/8"]))
        ]),
        prop::option::of(Just(
            json!([{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}]),
        )),
        prop::option::of(prop::collection::vec(
            prop_oneof![
                Just("world"),
                Just("cluster"),
                Just("host"),
                Just("remote-node"),
                Just("all")
            ],
            1..3,
        )),
        prop::option::of(cilium_ports()),
        prop::option::weighted(0.15, cilium_selector()),
        prop::bool::weighted(0.1),
    )
        .prop_map(move |(eps, c, s, e, ports, requires, fqdn)| {
            let mut r = serde_json::Map::new();
            if let Some(x) = eps {
                r.insert(ep.into(), json!(x));
            }
            if let Some(x) = c {
                r.insert(cidr.into(), x);
            }
            if let Some(x) = s {
                r.insert(set.into(), x);
            }
            if let Some(x) = e {
                r.insert(ent.into(), json!(x));
            }
            if let Some(x) = ports {
                r.insert("toPorts".into(), x);
            }
            if let Some(x) = requires {
                r.insert(req.into(), json!([x]));
            }
            if fqdn && dir == "out" {
                r.insert("toFQDNs".into(), json!([{"matchName": "example.com"}]));
            }
            Value::Object(r)
        })
}

pub fn cilium_policy() -> impl Strategy<Value = Policy> {
    (
        prop::option::of(0..3usize),
        cilium_selector(),
        prop::collection::vec(cilium_rule("in"), 0..2),
        prop::collection::vec(cilium_rule("in"), 0..2),
        prop::collection::vec(cilium_rule("out"), 0..2),
        prop::collection::vec(cilium_rule("out"), 0..2),
        prop::option::of((prop::option::of(any::<bool>()), prop::option::of(any::<bool>()))),
    )
        .prop_map(|(ns, sel, ingress, ingress_deny, egress, egress_deny, dd)| {
            let mut spec = json!({"endpointSelector": sel});
            if !ingress.is_empty() {
                spec["ingress"] = json!(ingress);
            }
            if !ingress_deny.is_empty() {
                spec["ingressDeny"] = json!(ingress_deny);
            }
            if !egress.is_empty() {
                spec["egress"] = json!(egress);
            }
            if !egress_deny.is_empty() {
                spec["egressDeny"] = json!(egress_deny);
            }
            if let Some((i, e)) = dd {
                spec["enableDefaultDeny"] = json!({"ingress": i, "egress": e});
            }
            match ns {
                Some(ns) => {
                    let v = json!({"metadata": {"name": "cnp", "namespace": NAMESPACES[ns]}, "spec": spec});
                    Policy::CiliumNetworkPolicy(serde_json::from_value::<CiliumPolicy>(v).unwrap())
                }
                None => {
                    let v = json!({"metadata": {"name": "ccnp"}, "spec": spec});
                    Policy::CiliumClusterwideNetworkPolicy(serde_json::from_value::<CiliumPolicy>(v).unwrap())
                }
            }
        })
}

pub fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![3 => network_policy(), 2 => cilium_policy()]
}

pub const PORTS: [&str; 6] = [
    "80/TCP", "81/TCP", "443/TCP", "53/UDP", "443/SCTP", "100/UDP",
];
