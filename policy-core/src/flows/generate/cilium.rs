//! Generated policies as CiliumNetworkPolicies: `endpointSelector`,
//! `from/toEndpoints` (with `k8s:io.kubernetes.pod.namespace` for peers in
//! other namespaces), `from/toEntities` for reserved identities, `toCIDR`,
//! `toFQDNs` with the DNS proxy rule, `icmps`, and HTTP rules.

use super::{
    CILIUM_NAMESPACE_LABEL, KUBE_DNS_LABEL, KUBE_DNS_NAMESPACE, Peer, PeerRules, PolicyAcc, Side,
    match_labels, metadata, namespace_of, peer_text, ports_text, workload_selector,
};
use crate::flows::aggregate::Aggregates;
use crate::flows::event::Protocol;
use crate::model::Policy;
use crate::model::cilium::{
    CiliumPolicy, CiliumRule, DnsRule, EgressRule, FqdnSelector, HttpRule, IcmpField, IcmpRule,
    IngressRule, L7Rules, PortProtocol, PortRule,
};

/// Cilium `toPorts` (and `icmps`) for one peer's ports.
fn cilium_ports(rules: &PeerRules) -> (Vec<PortRule>, Vec<IcmpRule>) {
    let mut plain = Vec::new();
    let mut with_http = Vec::new();
    let mut icmp = Vec::new();
    for (k, http) in &rules.ports {
        match k.protocol {
            Protocol::Icmp | Protocol::IcmpV6 => {
                if let Some(t) = k.port {
                    icmp.push(IcmpField {
                        family: Some(
                            if k.protocol == Protocol::Icmp {
                                "IPv4"
                            } else {
                                "IPv6"
                            }
                            .to_string(),
                        ),
                        icmp_type: serde_json::Value::from(t),
                    });
                }
            }
            _ => {
                let pp = PortProtocol {
                    port: k.port.unwrap_or(0).to_string(),
                    end_port: None,
                    protocol: Some(k.protocol.as_str().to_string()),
                };
                if http.is_empty() {
                    plain.push(pp);
                } else {
                    with_http.push(PortRule {
                        ports: Some(vec![pp]),
                        rules: Some(L7Rules {
                            http: Some(
                                http.iter()
                                    .map(|(method, path)| HttpRule {
                                        method: Some(regex_escape(method)),
                                        path: Some(regex_escape(path)),
                                        ..HttpRule::default()
                                    })
                                    .collect(),
                            ),
                            ..L7Rules::default()
                        }),
                        ..PortRule::default()
                    });
                }
            }
        }
    }
    let mut port_rules = Vec::new();
    if !plain.is_empty() {
        // Cilium allows at most 40 ports per PortRule.
        for chunk in plain.chunks(40) {
            port_rules.push(PortRule {
                ports: Some(chunk.to_vec()),
                ..PortRule::default()
            });
        }
    }
    port_rules.extend(with_http);
    let icmps = if icmp.is_empty() {
        Vec::new()
    } else {
        icmp.chunks(40)
            .map(|c| IcmpRule {
                fields: Some(c.to_vec()),
            })
            .collect()
    };
    (port_rules, icmps)
}

/// Cilium HTTP fields are regular expressions matched against the whole
/// value: escape what was observed literally.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(super) fn cilium_policy(agg: &Aggregates, own: usize, side: Side, acc: &PolicyAcc) -> Policy {
    let own_ns = namespace_of(agg, own);
    let mut lines = Vec::new();
    let dir = if side == Side::Ingress {
        "ingress"
    } else {
        "egress"
    };
    let mut ingress = Vec::new();
    let mut egress = Vec::new();
    if let Some(dns) = &acc.dns {
        let mut sel = match_labels([
            (CILIUM_NAMESPACE_LABEL, KUBE_DNS_NAMESPACE),
            ("k8s:k8s-app", KUBE_DNS_LABEL.1),
        ]);
        sel.match_expressions = None;
        egress.push(EgressRule {
            to_endpoints: Some(vec![sel]),
            to_ports: Some(vec![PortRule {
                ports: Some(
                    [Protocol::Udp, Protocol::Tcp]
                        .into_iter()
                        .map(|p| PortProtocol {
                            port: "53".to_string(),
                            end_port: None,
                            protocol: Some(p.as_str().to_string()),
                        })
                        .collect(),
                ),
                rules: Some(L7Rules {
                    dns: Some(vec![DnsRule {
                        match_name: None,
                        match_pattern: Some("*".to_string()),
                    }]),
                    ..L7Rules::default()
                }),
                ..PortRule::default()
            }]),
            ..EgressRule::default()
        });
        let why = if dns.flows == 0 {
            "no DNS flows seen".to_string()
        } else {
            dns.describe()
        };
        lines.push(format!(
            "{dir}[0] DNS to kube-system/kube-dns 53/UDP+TCP via DNS proxy: {why}"
        ));
        lines.extend(acc.dns_notes.iter().map(|n| format!("  {n}")));
    }
    for (peer, rules) in &acc.peers {
        let (to_ports, icmps) = cilium_ports(rules);
        // Cilium: `icmps` may not share a rule with `toPorts`.
        let parts = match (
            (!to_ports.is_empty()).then_some(to_ports),
            (!icmps.is_empty()).then_some(icmps),
        ) {
            (Some(p), Some(i)) => vec![(Some(p), None), (None, Some(i))],
            (p, i) => vec![(p, i)],
        };
        let split = parts.len() > 1;
        for (to_ports, icmps) in parts {
            let index = ingress.len() + egress.len();
            let towards = if side == Side::Ingress { "from" } else { "to" };
            if split && to_ports.is_none() {
                lines.push(format!(
                    "{dir}[{index}] {towards} {}: the ICMP part of {dir}[{}] (Cilium keeps icmps apart from toPorts)",
                    peer_text(agg, peer),
                    index - 1
                ));
            } else {
                lines.push(format!(
                    "{dir}[{index}] {towards} {}: {}: {}",
                    peer_text(agg, peer),
                    ports_text(&rules.ports),
                    rules.evidence.describe()
                ));
            }
            match side {
                Side::Ingress => {
                    let mut r = IngressRule {
                        to_ports,
                        icmps,
                        ..IngressRule::default()
                    };
                    match peer {
                        Peer::Workload(i) => {
                            let ns = namespace_of(agg, *i);
                            r.from_endpoints = Some(vec![workload_selector(
                                agg,
                                *i,
                                (ns != own_ns).then_some(ns),
                            )]);
                        }
                        Peer::Entity(e) => r.from_entities = Some(vec![e.as_str().to_string()]),
                        Peer::Cidr(net) => r.from_cidr = Some(vec![net.to_string()]),
                        Peer::Fqdn(_) => unreachable!("FQDN peers are egress only"),
                    }
                    ingress.push(r);
                }
                Side::Egress => {
                    let mut r = EgressRule {
                        to_ports,
                        icmps,
                        ..EgressRule::default()
                    };
                    match peer {
                        Peer::Workload(i) => {
                            let ns = namespace_of(agg, *i);
                            r.to_endpoints = Some(vec![workload_selector(
                                agg,
                                *i,
                                (ns != own_ns).then_some(ns),
                            )]);
                        }
                        Peer::Entity(e) => r.to_entities = Some(vec![e.as_str().to_string()]),
                        Peer::Cidr(net) => r.to_cidr = Some(vec![net.to_string()]),
                        Peer::Fqdn(names) => {
                            r.to_fqdns = Some(
                                names
                                    .iter()
                                    .map(|n| FqdnSelector {
                                        match_name: Some(n.clone()),
                                        match_pattern: None,
                                    })
                                    .collect(),
                            )
                        }
                    }
                    egress.push(r);
                }
            }
        }
    }
    let rule = CiliumRule {
        endpoint_selector: Some(workload_selector(agg, own, None)),
        ingress: (side == Side::Ingress).then_some(ingress),
        egress: (side == Side::Egress).then_some(egress),
        ..CiliumRule::default()
    };
    Policy::CiliumNetworkPolicy(CiliumPolicy {
        metadata: metadata(agg, own, side, acc, lines),
        spec: Some(rule),
        specs: None,
        extra: Default::default(),
    })
}
