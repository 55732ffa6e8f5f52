//! The graph of a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy.

use super::networkpolicy::{lower_first, upper_first};
use super::{
    Direction, Edge, GroupKind, Isolation, L7Badge, Peer, PeerField, PeerKind, PeerRef,
    PeerSelector, PolicyGraph, PortLabel, RuleRef, Side, Subject, grouped, is_dns_edge,
    selector_terms, sentence,
};
use crate::model::cilium::{
    CidrRule, CiliumRule, EgressRule, FqdnSelector, IcmpRule, IngressRule, PortRule,
    ServiceSelector,
};
use crate::model::{CiliumPolicy, LabelSelector, PolicyKind};

/// The label Cilium gives every endpoint for its namespace.
pub(crate) const NAMESPACE_LABEL: &str = "k8s:io.kubernetes.pod.namespace";

/// Entities that live inside the cluster.
const CLUSTER_ENTITIES: &[&str] = &[
    "cluster",
    "host",
    "remote-node",
    "kube-apiserver",
    "health",
    "init",
    "ingress",
    "unmanaged",
    "none",
];

/// The peers of one rule, in a direction-neutral form.
struct RulePeers {
    endpoints: Vec<LabelSelector>,
    requires: Vec<LabelSelector>,
    cidr: Vec<String>,
    cidr_set: Vec<CidrRule>,
    entities: Vec<String>,
    services: Vec<ServiceSelector>,
    fqdns: Vec<FqdnSelector>,
    ports: Vec<PortRule>,
    icmps: Vec<IcmpRule>,
    has_extra_peers: bool,
}

impl RulePeers {
    fn has_l3(&self) -> bool {
        !(self.endpoints.is_empty()
            && self.cidr.is_empty()
            && self.cidr_set.is_empty()
            && self.entities.is_empty()
            && self.services.is_empty()
            && self.fqdns.is_empty())
            || self.has_extra_peers
    }
}

fn from_ingress(r: &IngressRule) -> RulePeers {
    RulePeers {
        endpoints: r.from_endpoints.clone().unwrap_or_default(),
        requires: r.from_requires.clone().unwrap_or_default(),
        cidr: r.from_cidr.clone().unwrap_or_default(),
        cidr_set: r.from_cidr_set.clone().unwrap_or_default(),
        entities: r.from_entities.clone().unwrap_or_default(),
        services: Vec::new(),
        fqdns: Vec::new(),
        ports: r.to_ports.clone().unwrap_or_default(),
        icmps: r.icmps.clone().unwrap_or_default(),
        has_extra_peers: r.extra.keys().any(|k| k.starts_with("from")),
    }
}

fn from_egress(r: &EgressRule) -> RulePeers {
    RulePeers {
        endpoints: r.to_endpoints.clone().unwrap_or_default(),
        requires: r.to_requires.clone().unwrap_or_default(),
        cidr: r.to_cidr.clone().unwrap_or_default(),
        cidr_set: r.to_cidr_set.clone().unwrap_or_default(),
        entities: r.to_entities.clone().unwrap_or_default(),
        services: r.to_services.clone().unwrap_or_default(),
        fqdns: r.to_fqdns.clone().unwrap_or_default(),
        ports: r.to_ports.clone().unwrap_or_default(),
        icmps: r.icmps.clone().unwrap_or_default(),
        has_extra_peers: r
            .extra
            .keys()
            .any(|k| k.starts_with("to") && k != "toPorts"),
    }
}

/// The rules of a direction of one Cilium rule, with their deny flag.
fn direction_rules(rule: &CiliumRule, direction: Direction) -> Vec<(bool, Vec<RulePeers>)> {
    match direction {
        Direction::Ingress => vec![
            (
                false,
                rule.ingress.iter().flatten().map(from_ingress).collect(),
            ),
            (
                true,
                rule.ingress_deny
                    .iter()
                    .flatten()
                    .map(from_ingress)
                    .collect(),
            ),
        ],
        Direction::Egress => vec![
            (
                false,
                rule.egress.iter().flatten().map(from_egress).collect(),
            ),
            (
                true,
                rule.egress_deny.iter().flatten().map(from_egress).collect(),
            ),
        ],
    }
}

/// Whether a Cilium rule puts its endpoints in default deny for a direction
/// ([`CiliumRule::isolated_directions`]).
fn default_deny(rule: &CiliumRule, direction: Direction) -> bool {
    let isolated = rule.isolated_directions();
    match direction {
        Direction::Ingress => isolated.ingress,
        Direction::Egress => isolated.egress,
    }
}

/// The namespace an endpoint selector pins, if any.
fn pinned_namespace(sel: &LabelSelector) -> Option<String> {
    sel.match_labels.iter().flatten().find_map(|(k, v)| {
        (k == NAMESPACE_LABEL || k == "io.kubernetes.pod.namespace").then(|| v.clone())
    })
}

/// Selector terms without the namespace label and with `k8s:` dropped.
fn endpoint_terms(sel: &LabelSelector) -> Vec<String> {
    let mut stripped = sel.clone();
    if let Some(labels) = stripped.match_labels.as_mut() {
        labels.retain(|k, _| k != NAMESPACE_LABEL && k != "io.kubernetes.pod.namespace");
    }
    selector_terms(&stripped)
        .into_iter()
        .map(|t| t.strip_prefix("k8s:").map(str::to_string).unwrap_or(t))
        .collect()
}

fn port_labels(rules: &[PortRule]) -> (Vec<PortLabel>, Vec<L7Badge>) {
    let mut ports = Vec::new();
    let mut l7 = Vec::new();
    for pr in rules {
        for p in pr.ports.iter().flatten() {
            ports.push(PortLabel {
                port: if p.port == "0" {
                    String::new()
                } else {
                    p.port.clone()
                },
                end_port: p.end_port,
                protocol: p.protocol.clone().unwrap_or_else(|| "ANY".to_string()),
            });
        }
        if let Some(rules) = &pr.rules {
            let http: Vec<String> = rules
                .http
                .iter()
                .flatten()
                .map(|h| {
                    let mut parts = vec![
                        h.method.clone().unwrap_or_else(|| "any method".to_string()),
                        h.path.clone().unwrap_or_else(|| "any path".to_string()),
                    ];
                    if let Some(host) = &h.host {
                        parts.push(format!("host {host}"));
                    }
                    for header in h.headers.iter().flatten() {
                        parts.push(format!("header {header}"));
                    }
                    parts.join(" ")
                })
                .collect();
            if !http.is_empty() {
                l7.push(L7Badge {
                    protocol: "HTTP".to_string(),
                    rules: http,
                });
            }
            let dns: Vec<String> = rules
                .dns
                .iter()
                .flatten()
                .map(|d| {
                    d.match_name
                        .clone()
                        .or_else(|| d.match_pattern.clone())
                        .unwrap_or_else(|| "(empty)".to_string())
                })
                .collect();
            if !dns.is_empty() {
                l7.push(L7Badge {
                    protocol: "DNS".to_string(),
                    rules: dns,
                });
            }
            for proto in rules.extra.keys() {
                l7.push(L7Badge {
                    protocol: proto.to_uppercase(),
                    rules: vec![proto.clone()],
                });
            }
        }
    }
    (ports, l7)
}

fn icmp_labels(icmps: &[IcmpRule]) -> Vec<String> {
    icmps
        .iter()
        .flat_map(|r| r.fields.iter().flatten())
        .map(|f| match &f.icmp_type {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

pub(super) fn graph(policy: &CiliumPolicy, kind: PolicyKind) -> PolicyGraph {
    let clusterwide = kind == PolicyKind::CiliumClusterwideNetworkPolicy;
    let namespace = if clusterwide {
        None
    } else {
        policy.metadata.namespace.clone().filter(|n| !n.is_empty())
    };
    let ns_text = namespace.clone().unwrap_or_else(|| "default".to_string());
    let rules = policy.rules();
    let mut not_drawn = Vec::new();

    // Subject: the union of the rules' selectors.
    let mut subject_terms = Vec::new();
    let mut summaries = Vec::new();
    for (path, rule) in &rules {
        if let Some(sel) = &rule.endpoint_selector {
            let terms = endpoint_terms(sel);
            summaries.push(if terms.is_empty() {
                "all pods".to_string()
            } else {
                terms.join(", ")
            });
            subject_terms.extend(terms);
        } else if let Some(sel) = &rule.node_selector {
            let terms = endpoint_terms(sel);
            summaries.push(format!(
                "nodes {}",
                if terms.is_empty() {
                    "(all)".to_string()
                } else {
                    terms.join(", ")
                }
            ));
        } else {
            summaries.push("nothing (no endpointSelector)".to_string());
        }
        for key in rule.extra.keys() {
            not_drawn.push(format!("{path}.{key}"));
        }
    }
    let summary = if summaries.is_empty() {
        "no rules".to_string()
    } else {
        summaries.join(" | ")
    };
    let where_ = if clusterwide {
        "the cluster".to_string()
    } else {
        ns_text.clone()
    };
    let subject_words = if summary == "all pods" {
        format!("all pods in {where_}")
    } else {
        format!("pods {summary} in {where_}")
    };

    let side_of = |direction| side(&rules, direction, clusterwide, &ns_text, &subject_words);
    let ingress = side_of(Direction::Ingress);
    let egress = side_of(Direction::Egress);
    for key in policy.extra.keys() {
        not_drawn.push(key.clone());
    }
    PolicyGraph {
        kind,
        name: policy.metadata.name.clone().unwrap_or_default(),
        subject: Subject {
            namespace,
            selector: subject_terms,
            summary,
        },
        ingress,
        egress,
        not_drawn,
    }
}

/// One direction of a Cilium policy's graph: every rule's peers, allow and
/// deny, and the isolation they give.
fn side(
    rules: &[(String, &CiliumRule)],
    direction: Direction,
    clusterwide: bool,
    ns_text: &str,
    subject_words: &str,
) -> Side {
    let mut peers = Vec::new();
    let mut any_rules = false;
    let mut any_allow = false;
    let mut any_default_deny = false;
    for (spec, (_, rule)) in rules.iter().enumerate() {
        any_default_deny |= default_deny(rule, direction);
        for (deny, list) in direction_rules(rule, direction) {
            for (i, rp) in list.iter().enumerate() {
                any_rules = true;
                let r = RuleRef {
                    direction,
                    deny,
                    spec,
                    rule: i,
                };
                let (ports, l7) = port_labels(&rp.ports);
                let edge = Edge {
                    ports,
                    l7,
                    deny,
                    icmp: icmp_labels(&rp.icmps),
                };
                let before = peers.len();
                rule_peers(
                    r,
                    rp,
                    &edge,
                    clusterwide,
                    ns_text,
                    subject_words,
                    &mut peers,
                );
                if !deny && peers.len() > before {
                    any_allow = true;
                }
            }
        }
    }
    let isolation = if !any_rules {
        Isolation::Open
    } else if !any_default_deny {
        Isolation::NotIsolating
    } else if any_allow {
        Isolation::Restricted
    } else {
        Isolation::DenyAll
    };
    Side {
        direction,
        isolation,
        groups: grouped(direction, peers),
    }
}

/// A peer of a rule before it is placed: its group, where it is written,
/// its title and details, and how a sentence names it.
struct Described {
    group: GroupKind,
    field: PeerField,
    index: usize,
    kind: PeerKind,
    title: String,
    details: Vec<String>,
    who: String,
}

#[allow(clippy::too_many_arguments)]
fn rule_peers(
    rule: RuleRef,
    rp: &RulePeers,
    edge: &Edge,
    clusterwide: bool,
    ns: &str,
    subject: &str,
    out: &mut Vec<(GroupKind, Peer)>,
) {
    let direction = rule.direction;
    let requires: Vec<String> = rp.requires.iter().flat_map(endpoint_terms).collect();
    let described = if rp.has_l3() {
        let mut all = endpoint_peers(rp, clusterwide, ns);
        all.extend(cidr_peers(rp));
        all.extend(entity_peers(rp));
        all.extend(service_peers(rp, ns));
        all.extend(fqdn_peers(rp));
        all
    } else if !rp.ports.is_empty() || !rp.icmps.is_empty() {
        // Cilium: a rule with ports but no L3 selector applies to every peer;
        // a rule with neither (`{}`) selects nothing and only isolates.
        vec![Described {
            group: GroupKind::Anywhere,
            field: PeerField::All,
            index: 0,
            kind: PeerKind::Any,
            title: "anywhere".to_string(),
            details: vec![format!("rule {} names no peers", rule.rule + 1)],
            who: if direction == Direction::Ingress {
                "Any source"
            } else {
                "any destination"
            }
            .to_string(),
        }]
    } else {
        Vec::new()
    };
    for d in described {
        let mut details = d.details;
        if !requires.is_empty() {
            details.push(format!("requires {}", requires.join(", ")));
        }
        let who = if direction == Direction::Egress {
            lower_first(&d.who)
        } else {
            upper_first(&d.who)
        };
        let group = if direction == Direction::Egress
            && is_dns_edge(edge)
            && matches!(d.group, GroupKind::InCluster | GroupKind::InNamespace)
        {
            GroupKind::Dns
        } else {
            d.group
        };
        out.push((
            group,
            Peer {
                at: PeerRef {
                    rule,
                    field: d.field,
                    index: d.index,
                },
                kind: d.kind,
                title: d.title,
                details,
                sentence: sentence(direction, &who, subject, edge),
                edge: edge.clone(),
                selector: (d.field == PeerField::Endpoints).then(|| PeerSelector {
                    pods: rp
                        .endpoints
                        .get(d.index)
                        .map(|s| selector_terms(s).join(", "))
                        .unwrap_or_default(),
                    namespaces: None,
                }),
            },
        ));
    }
}

/// `toEndpoints` / `fromEndpoints`: pods of the policy's namespace, of a
/// pinned namespace, or (clusterwide) of any namespace.
fn endpoint_peers(rp: &RulePeers, clusterwide: bool, ns: &str) -> Vec<Described> {
    rp.endpoints
        .iter()
        .enumerate()
        .map(|(index, sel)| {
            let terms = endpoint_terms(sel);
            let (pods, pods_words) = if terms.is_empty() {
                ("all pods".to_string(), "all pods".to_string())
            } else {
                let pods = terms.join(", ");
                let words = format!("pods {pods}");
                (pods, words)
            };
            let (group, kind, details, who) = match pinned_namespace(sel) {
                Some(peer_ns) if clusterwide || peer_ns != ns => (
                    GroupKind::InCluster,
                    PeerKind::Namespaces,
                    vec![format!("namespace {peer_ns}")],
                    format!("{pods_words} in namespace {peer_ns}"),
                ),
                _ if clusterwide => (
                    GroupKind::InCluster,
                    PeerKind::Pods,
                    vec!["any namespace".to_string()],
                    format!("{pods_words} in any namespace"),
                ),
                _ => (
                    GroupKind::InNamespace,
                    PeerKind::Pods,
                    vec![format!("namespace {ns}")],
                    format!("{pods_words} in {ns}"),
                ),
            };
            Described {
                group,
                field: PeerField::Endpoints,
                index,
                kind,
                title: pods,
                details,
                who,
            }
        })
        .collect()
}

/// `toCIDR` and `toCIDRSet` (with their excepts and CIDR groups).
fn cidr_peers(rp: &RulePeers) -> Vec<Described> {
    let cidrs = rp.cidr.iter().enumerate().map(|(index, cidr)| Described {
        group: GroupKind::OutsideCluster,
        field: PeerField::Cidr,
        index,
        kind: PeerKind::Cidr,
        title: cidr.clone(),
        details: Vec::new(),
        who: format!("addresses in {cidr}"),
    });
    let sets = rp.cidr_set.iter().enumerate().map(|(index, set)| {
        let title = set
            .cidr
            .clone()
            .or_else(|| set.cidr_group_ref.as_ref().map(|g| format!("group {g}")))
            .unwrap_or_else(|| "(no CIDR)".to_string());
        let excepts: Vec<String> = set.except.iter().flatten().cloned().collect();
        let mut details = Vec::new();
        let mut who = format!("addresses in {title}");
        if !excepts.is_empty() {
            details.push(format!("except {}", excepts.join(", ")));
            who = format!("{who} except {}", excepts.join(", "));
        }
        Described {
            group: GroupKind::OutsideCluster,
            field: PeerField::CidrSet,
            index,
            kind: PeerKind::Cidr,
            title,
            details,
            who,
        }
    });
    cidrs.chain(sets).collect()
}

/// `toEntities` / `fromEntities`: in the cluster or outside it.
fn entity_peers(rp: &RulePeers) -> Vec<Described> {
    rp.entities
        .iter()
        .enumerate()
        .map(|(index, entity)| Described {
            group: if CLUSTER_ENTITIES.contains(&entity.as_str()) {
                GroupKind::InCluster
            } else {
                GroupKind::OutsideCluster
            },
            field: PeerField::Entities,
            index,
            kind: PeerKind::Entity,
            title: entity.clone(),
            details: vec!["entity".to_string()],
            who: format!("the {entity} entity"),
        })
        .collect()
}

/// `toServices`, by name or by label.
fn service_peers(rp: &RulePeers, ns: &str) -> Vec<Described> {
    rp.services
        .iter()
        .enumerate()
        .map(|(index, svc)| {
            let (title, details) = if let Some(named) = &svc.k8s_service {
                (
                    named.service_name.clone().unwrap_or_default(),
                    vec![format!(
                        "service in {}",
                        named.namespace.clone().unwrap_or_else(|| ns.to_string())
                    )],
                )
            } else if let Some(by_label) = &svc.k8s_service_selector {
                (
                    endpoint_terms(&by_label.selector).join(", "),
                    vec![format!(
                        "services in {}",
                        by_label.namespace.clone().unwrap_or_else(|| ns.to_string())
                    )],
                )
            } else {
                ("(no service)".to_string(), Vec::new())
            };
            Described {
                group: GroupKind::InCluster,
                field: PeerField::Services,
                index,
                kind: PeerKind::Service,
                who: format!("service {title}"),
                title,
                details,
            }
        })
        .collect()
}

/// `toFQDNs`, by name or pattern.
fn fqdn_peers(rp: &RulePeers) -> Vec<Described> {
    rp.fqdns
        .iter()
        .enumerate()
        .map(|(index, fqdn)| {
            let name = fqdn
                .match_name
                .clone()
                .or_else(|| fqdn.match_pattern.clone())
                .unwrap_or_else(|| "(empty)".to_string());
            Described {
                group: GroupKind::OutsideCluster,
                field: PeerField::Fqdns,
                index,
                kind: PeerKind::Fqdn,
                title: name.clone(),
                details: vec!["DNS name".to_string()],
                who: format!("hosts named {name}"),
            }
        })
        .collect()
}
