//! Generated policies as Kubernetes NetworkPolicies: `podSelector`, peers
//! in other namespaces through `namespaceSelector` on
//! `kubernetes.io/metadata.name`, addresses as `ipBlock`, DNS as the kube-dns
//! rule.

use crate::model::{
    IPBlock, IntOrString, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};

use super::{
    KUBE_DNS_LABEL, KUBE_DNS_NAMESPACE, NAMESPACE_NAME_LABEL, Peer, PolicyAcc, Side, match_labels,
    metadata, namespace_of, peer_text, ports_text, workload_selector,
};
use crate::flows::aggregate::Aggregates;
use crate::flows::event::Protocol;
use crate::model::{NetworkPolicy, Policy};

pub(super) fn kubernetes_policy(
    agg: &Aggregates,
    own: usize,
    side: Side,
    acc: &PolicyAcc,
) -> Policy {
    let own_ns = namespace_of(agg, own);
    let mut lines = Vec::new();
    let mut peers_rules: Vec<(Vec<NetworkPolicyPeer>, Vec<NetworkPolicyPort>)> = Vec::new();
    let dir = if side == Side::Ingress {
        "ingress"
    } else {
        "egress"
    };
    if let Some(dns) = &acc.dns {
        let peer = NetworkPolicyPeer {
            namespace_selector: Some(match_labels([(NAMESPACE_NAME_LABEL, KUBE_DNS_NAMESPACE)])),
            pod_selector: Some(match_labels([KUBE_DNS_LABEL])),
            ip_block: None,
        };
        let ports = [Protocol::Udp, Protocol::Tcp]
            .into_iter()
            .map(|p| k8s_port(p, Some(53)))
            .collect();
        let why = if dns.flows == 0 {
            "no DNS flows seen".to_string()
        } else {
            dns.describe()
        };
        lines.push(format!(
            "{dir}[{}] DNS to kube-system/kube-dns 53/UDP+TCP: {why}",
            peers_rules.len(),
        ));
        lines.extend(acc.dns_notes.iter().map(|n| format!("  {n}")));
        peers_rules.push((vec![peer], ports));
    }
    for (peer, rules) in &acc.peers {
        let peers = match peer {
            Peer::Workload(i) => {
                let ns = namespace_of(agg, *i);
                vec![NetworkPolicyPeer {
                    pod_selector: Some(workload_selector(agg, *i, None)),
                    namespace_selector: (ns != own_ns)
                        .then(|| match_labels([(NAMESPACE_NAME_LABEL, ns)])),
                    ip_block: None,
                }]
            }
            Peer::Cidr(net) => vec![ip_block(net.to_string())],
            Peer::Entity(_) | Peer::Fqdn(_) => unreachable!("Cilium-only peers"),
        };
        let ports = rules
            .ports
            .keys()
            .map(|k| k8s_port(k.protocol, k.port))
            .collect();
        lines.push(format!(
            "{dir}[{}] {} {}: {}: {}",
            peers_rules.len(),
            if side == Side::Ingress { "from" } else { "to" },
            peer_text(agg, peer),
            ports_text(&rules.ports),
            rules.evidence.describe()
        ));
        peers_rules.push((peers, ports));
    }
    let mut spec = NetworkPolicySpec {
        pod_selector: Some(workload_selector(agg, own, None)),
        ..NetworkPolicySpec::default()
    };
    match side {
        Side::Ingress => {
            spec.policy_types = Some(vec!["Ingress".to_string()]);
            spec.ingress = Some(
                peers_rules
                    .into_iter()
                    .map(|(from, ports)| NetworkPolicyIngressRule {
                        from: Some(from),
                        ports: Some(ports),
                    })
                    .collect(),
            );
        }
        Side::Egress => {
            spec.policy_types = Some(vec!["Egress".to_string()]);
            spec.egress = Some(
                peers_rules
                    .into_iter()
                    .map(|(to, ports)| NetworkPolicyEgressRule {
                        to: Some(to),
                        ports: Some(ports),
                    })
                    .collect(),
            );
        }
    }
    Policy::NetworkPolicy(NetworkPolicy {
        metadata: metadata(agg, own, side, acc, lines),
        spec: Some(spec),
    })
}

fn ip_block(cidr: String) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(IPBlock { cidr, except: None }),
        ..NetworkPolicyPeer::default()
    }
}

fn k8s_port(protocol: Protocol, port: Option<u16>) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some(protocol.as_str().to_string()),
        port: port.map(|p| IntOrString::Int(i32::from(p))),
        end_port: None,
    }
}
