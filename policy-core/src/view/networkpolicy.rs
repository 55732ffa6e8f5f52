//! The graph of a Kubernetes NetworkPolicy.

use crate::model::IntOrString;
use crate::model::{
    IPBlock, LabelSelector, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};

use super::{
    Direction, Edge, GroupKind, Isolation, Peer, PeerField, PeerKind, PeerRef, PeerSelector,
    PolicyGraph, PortLabel, RuleRef, Side, Subject, grouped, is_dns_edge, selector_terms,
    selector_text, sentence,
};
use crate::model::{NetworkPolicy, PolicyKind};

/// Whether the policy isolates a direction ([`NetworkPolicy::isolated_directions`]).
pub(crate) fn isolates(np: &NetworkPolicy, direction: Direction) -> bool {
    let isolated = np.isolated_directions();
    match direction {
        Direction::Ingress => isolated.ingress,
        Direction::Egress => isolated.egress,
    }
}

/// A rule's peers and ports, direction-neutral.
type RulePeersPorts = (
    Option<Vec<NetworkPolicyPeer>>,
    Option<Vec<NetworkPolicyPort>>,
);

pub(super) fn graph(np: &NetworkPolicy) -> PolicyGraph {
    let spec = np.spec.clone().unwrap_or_default();
    let namespace = np.metadata.namespace.clone().filter(|n| !n.is_empty());
    let ns_text = namespace.clone().unwrap_or_else(|| "default".to_string());
    let pod_selector = spec.pod_selector.clone().unwrap_or_default();
    let terms = selector_terms(&pod_selector);
    let summary = if terms.is_empty() {
        "all pods".to_string()
    } else {
        terms.join(", ")
    };
    let subject_words = if terms.is_empty() {
        format!("all pods in {ns_text}")
    } else {
        format!("pods {summary} in {ns_text}")
    };

    let mut not_drawn = Vec::new();
    let mut side_of = |direction| {
        let (side, ignored) = side(np, &spec, direction, &ns_text, &subject_words);
        not_drawn.extend(ignored);
        side
    };
    let ingress = side_of(Direction::Ingress);
    let egress = side_of(Direction::Egress);
    PolicyGraph {
        kind: PolicyKind::NetworkPolicy,
        name: np.metadata.name.clone().unwrap_or_default(),
        subject: Subject {
            namespace,
            selector: terms,
            summary,
        },
        ingress,
        egress,
        not_drawn,
    }
}

/// One direction of the graph, and why its rules are not drawn when the
/// policy does not isolate that direction.
fn side(
    np: &NetworkPolicy,
    spec: &NetworkPolicySpec,
    direction: Direction,
    ns_text: &str,
    subject_words: &str,
) -> (Side, Option<String>) {
    let rules: Vec<RulePeersPorts> = match direction {
        Direction::Ingress => spec
            .ingress
            .iter()
            .flatten()
            .map(|r| (r.from.clone(), r.ports.clone()))
            .collect(),
        Direction::Egress => spec
            .egress
            .iter()
            .flatten()
            .map(|r| (r.to.clone(), r.ports.clone()))
            .collect(),
    };
    let isolated = isolates(np, direction);
    let mut not_drawn = None;
    if !isolated && !rules.is_empty() {
        // The engine ignores these rules: drawing them as edges would
        // show connections the policy does not allow.
        let (field, ty) = match direction {
            Direction::Ingress => ("spec.ingress", "Ingress"),
            Direction::Egress => ("spec.egress", "Egress"),
        };
        not_drawn = Some(format!(
            "{field}: ignored, because policyTypes does not list {ty}"
        ));
    }
    let drawn = if isolated { rules.as_slice() } else { &[] };
    let mut peers = Vec::new();
    for (i, (rule_peers, ports)) in drawn.iter().enumerate() {
        let edge = Edge {
            ports: ports.iter().flatten().map(port_label).collect(),
            l7: Vec::new(),
            deny: false,
            icmp: Vec::new(),
        };
        let rule = RuleRef {
            direction,
            deny: false,
            spec: 0,
            rule: i,
        };
        let list = rule_peers.clone().unwrap_or_default();
        if list.is_empty() {
            let who = match direction {
                Direction::Ingress => "Any source",
                Direction::Egress => "any destination",
            };
            peers.push((
                GroupKind::Anywhere,
                Peer {
                    at: PeerRef {
                        rule,
                        field: PeerField::All,
                        index: 0,
                    },
                    kind: PeerKind::Any,
                    title: "anywhere".to_string(),
                    details: vec![format!("rule {} names no peers", i + 1)],
                    sentence: sentence(direction, who, subject_words, &edge),
                    edge,
                    selector: None,
                },
            ));
            continue;
        }
        for (j, p) in list.iter().enumerate() {
            let at = PeerRef {
                rule,
                field: PeerField::K8sPeer,
                index: j,
            };
            let (group, peer) = peer_box(at, p, ns_text, subject_words, &edge);
            let group = if direction == Direction::Egress && is_dns_edge(&edge) {
                GroupKind::Dns
            } else {
                group
            };
            peers.push((group, peer));
        }
    }
    let isolation = if !isolated {
        Isolation::Open
    } else if rules.is_empty() {
        Isolation::DenyAll
    } else {
        Isolation::Restricted
    };
    let side = Side {
        direction,
        isolation,
        groups: grouped(direction, peers),
    };
    (side, not_drawn)
}

fn port_label(p: &NetworkPolicyPort) -> PortLabel {
    PortLabel {
        port: match &p.port {
            Some(IntOrString::Int(n)) => n.to_string(),
            Some(IntOrString::String(s)) => s.clone(),
            None => String::new(),
        },
        end_port: p.end_port,
        protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_string()),
    }
}

fn peer_box(
    at: PeerRef,
    p: &NetworkPolicyPeer,
    ns: &str,
    subject: &str,
    edge: &Edge,
) -> (GroupKind, Peer) {
    let direction = at.rule.direction;
    if let Some(block) = &p.ip_block {
        return ip_block_peer(at, block, subject, edge);
    }
    let editable = PeerSelector {
        pods: p
            .pod_selector
            .as_ref()
            .map(|s| selector_terms(s).join(", "))
            .unwrap_or_default(),
        namespaces: p
            .namespace_selector
            .as_ref()
            .map(|s| selector_terms(s).join(", ")),
    };
    let pods = p
        .pod_selector
        .as_ref()
        .map(|s| selector_text(s, "all pods"));
    match &p.namespace_selector {
        None => {
            let pods = pods.unwrap_or_else(|| "all pods".to_string());
            let who = if pods == "all pods" {
                format!("All pods in {ns}")
            } else {
                format!("Pods {pods} in {ns}")
            };
            let who = if direction == Direction::Egress {
                lower_first(&who)
            } else {
                who
            };
            (
                GroupKind::InNamespace,
                Peer {
                    at,
                    kind: PeerKind::Pods,
                    title: pods,
                    details: vec![format!("namespace {ns}")],
                    sentence: sentence(direction, &who, subject, edge),
                    edge: edge.clone(),
                    selector: Some(editable),
                },
            )
        }
        Some(nss) => {
            let nss_text = selector_text(nss, "all namespaces");
            let pods = pods.unwrap_or_else(|| "all pods".to_string());
            let where_ = namespaces_words(nss, &nss_text);
            let who = format!("{} in {where_}", upper_first(&pods_words(&pods)));
            let who = if direction == Direction::Egress {
                lower_first(&who)
            } else {
                who
            };
            (
                GroupKind::InCluster,
                Peer {
                    at,
                    kind: PeerKind::Namespaces,
                    title: pods,
                    details: vec![where_],
                    sentence: sentence(direction, &who, subject, edge),
                    edge: edge.clone(),
                    selector: Some(editable),
                },
            )
        }
    }
}

/// An `ipBlock` peer: outside the cluster, with its excepts.
fn ip_block_peer(at: PeerRef, block: &IPBlock, subject: &str, edge: &Edge) -> (GroupKind, Peer) {
    let direction = at.rule.direction;
    let excepts: Vec<String> = block.except.iter().flatten().cloned().collect();
    let mut details = Vec::new();
    if !excepts.is_empty() {
        details.push(format!("except {}", excepts.join(", ")));
    }
    let who = if excepts.is_empty() {
        format!("Addresses in {}", block.cidr)
    } else {
        format!("Addresses in {} except {}", block.cidr, excepts.join(", "))
    };
    let who = if direction == Direction::Egress {
        lower_first(&who)
    } else {
        who
    };
    (
        GroupKind::OutsideCluster,
        Peer {
            at,
            kind: PeerKind::Cidr,
            title: block.cidr.clone(),
            details,
            sentence: sentence(direction, &who, subject, edge),
            edge: edge.clone(),
            selector: None,
        },
    )
}

/// The namespaces a `namespaceSelector` picks, in words: all of them, one
/// by name (the `kubernetes.io/metadata.name` label alone), or by labels.
fn namespaces_words(nss: &LabelSelector, nss_text: &str) -> String {
    let by_name = nss.match_expressions.as_ref().is_none_or(Vec::is_empty)
        && nss.match_labels.as_ref().is_some_and(|l| l.len() == 1);
    let name = nss
        .match_labels
        .as_ref()
        .and_then(|l| l.get(crate::model::NAMESPACE_NAME_LABEL));
    match name {
        _ if nss_text == "all namespaces" => "all namespaces".to_string(),
        Some(name) if by_name => format!("namespace {name}"),
        _ => format!("namespaces {nss_text}"),
    }
}

fn pods_words(pods: &str) -> String {
    if pods == "all pods" {
        pods.to_string()
    } else {
        format!("pods {pods}")
    }
}

pub(super) fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(super) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
