//! Conversion between NetworkPolicy and CiliumNetworkPolicy.
//!
//! NetworkPolicy → Cilium is always possible; where Cilium's meaning differs
//! slightly (ipBlock vs CIDR rules) the [`Conversion`] carries a note.
//! Cilium → NetworkPolicy works only when the Cilium policy uses what a
//! NetworkPolicy can say; otherwise [`EditError::NotFaithful`] lists why.

use std::collections::BTreeMap;

use crate::model::IntOrString;
use crate::model::LabelSelectorRequirement;
use crate::model::{
    IPBlock, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};

use super::EditError;
use super::cilium::{NAMESPACE_LABELS_PREFIX, endpoints_in_namespaces};
use crate::model::cilium::{CidrRule, CiliumRule, EgressRule, IngressRule, PortProtocol, PortRule};
use crate::model::{CiliumPolicy, LabelSelector, NetworkPolicy, ObjectMeta, Policy, PolicyKind};
use crate::view::NAMESPACE_LABEL;

/// A converted policy and what the user should know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// The policy in the target flavour.
    pub policy: Policy,
    /// Differences in meaning worth reading (empty when exact).
    pub notes: Vec<String>,
}

/// Converts a policy to `target`. Converting to the same kind returns it
/// unchanged.
pub fn convert(policy: &Policy, target: PolicyKind) -> Result<Conversion, EditError> {
    if policy.kind() == target {
        return Ok(Conversion {
            policy: policy.clone(),
            notes: Vec::new(),
        });
    }
    match (policy, target) {
        (Policy::NetworkPolicy(np), PolicyKind::CiliumNetworkPolicy) => {
            let (p, notes) = to_cilium(np);
            Ok(Conversion { policy: Policy::CiliumNetworkPolicy(p), notes })
        }
        (Policy::CiliumNetworkPolicy(p), PolicyKind::NetworkPolicy) => {
            to_networkpolicy(p).map(|(np, notes)| Conversion { policy: Policy::NetworkPolicy(np), notes })
        }
        (_, PolicyKind::CiliumClusterwideNetworkPolicy) | (Policy::CiliumClusterwideNetworkPolicy(_), _) => {
            Err(EditError::NotFaithful(
                "clusterwide policies select pods in every namespace; a namespaced policy cannot say that"
                    .to_string(),
            ))
        }
        _ => Err(EditError::NotFaithful("unsupported conversion".to_string())),
    }
}

fn meta(m: &ObjectMeta) -> ObjectMeta {
    ObjectMeta {
        name: m.name.clone(),
        namespace: m.namespace.clone(),
        labels: m.labels.clone(),
        annotations: m.annotations.clone(),
        ..Default::default()
    }
}

fn np_ports_to_cilium(ports: &Option<Vec<NetworkPolicyPort>>) -> Option<Vec<PortRule>> {
    let ports: Vec<PortProtocol> = ports
        .iter()
        .flatten()
        .map(|p| PortProtocol {
            port: match &p.port {
                Some(IntOrString::Int(n)) => n.to_string(),
                Some(IntOrString::String(s)) => s.clone(),
                None => "0".to_string(),
            },
            end_port: p.end_port,
            protocol: Some(p.protocol.clone().unwrap_or_else(|| "TCP".to_string())),
        })
        .collect();
    (!ports.is_empty()).then(|| {
        vec![PortRule {
            ports: Some(ports),
            ..Default::default()
        }]
    })
}

/// Cilium peer fields of one rule: (endpoints, CIDR sets, entities).
type CiliumPeerFields = (
    Option<Vec<LabelSelector>>,
    Option<Vec<CidrRule>>,
    Option<Vec<String>>,
);

/// The peers of a NetworkPolicy rule as Cilium fields: (endpoints, CIDR sets, entities).
fn np_peers_to_cilium(
    peers: &Option<Vec<NetworkPolicyPeer>>,
    has_ports: bool,
    notes: &mut Vec<String>,
) -> CiliumPeerFields {
    let list = peers.clone().unwrap_or_default();
    if list.is_empty() {
        // Every peer: ports alone say it in Cilium; without ports use `all`.
        return (None, None, (!has_ports).then(|| vec!["all".to_string()]));
    }
    let mut endpoints = Vec::new();
    let mut cidrs = Vec::new();
    for p in list {
        if let Some(block) = p.ip_block {
            cidrs.push(CidrRule {
                cidr: Some(block.cidr),
                except: block.except,
                ..Default::default()
            });
        } else if let Some(ns) = p.namespace_selector {
            endpoints.push(endpoints_in_namespaces(&ns, p.pod_selector.as_ref()));
        } else {
            endpoints.push(p.pod_selector.unwrap_or_default());
        }
    }
    if !cidrs.is_empty() {
        let note = "ipBlock peers became CIDR rules: Cilium's CIDR rules never match pods or nodes of the cluster, while a NetworkPolicy ipBlock may (it depends on the network plugin)".to_string();
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    (
        (!endpoints.is_empty()).then_some(endpoints),
        (!cidrs.is_empty()).then_some(cidrs),
        None,
    )
}

fn to_cilium(np: &NetworkPolicy) -> (CiliumPolicy, Vec<String>) {
    let mut notes = Vec::new();
    let spec = np.spec.clone().unwrap_or_default();
    let mut rule = CiliumRule {
        endpoint_selector: Some(spec.pod_selector.clone().unwrap_or_default()),
        ..Default::default()
    };
    let isolated = np.isolated_directions();
    if isolated.ingress {
        let mut rules: Vec<IngressRule> = spec
            .ingress
            .iter()
            .flatten()
            .map(|r| {
                let to_ports = np_ports_to_cilium(&r.ports);
                let (from_endpoints, from_cidr_set, from_entities) =
                    np_peers_to_cilium(&r.from, to_ports.is_some(), &mut notes);
                IngressRule {
                    from_endpoints,
                    from_cidr_set,
                    from_entities,
                    to_ports,
                    ..Default::default()
                }
            })
            .collect();
        if rules.is_empty() {
            rules.push(IngressRule::default());
        }
        rule.ingress = Some(rules);
    }
    if isolated.egress {
        let mut rules: Vec<EgressRule> = spec
            .egress
            .iter()
            .flatten()
            .map(|r| {
                let to_ports = np_ports_to_cilium(&r.ports);
                let (to_endpoints, to_cidr_set, to_entities) =
                    np_peers_to_cilium(&r.to, to_ports.is_some(), &mut notes);
                EgressRule {
                    to_endpoints,
                    to_cidr_set,
                    to_entities,
                    to_ports,
                    ..Default::default()
                }
            })
            .collect();
        if rules.is_empty() {
            rules.push(EgressRule::default());
        }
        rule.egress = Some(rules);
    }
    (
        CiliumPolicy {
            metadata: meta(&np.metadata),
            spec: Some(rule),
            ..Default::default()
        },
        notes,
    )
}

/// Splits a Cilium endpoint selector into a NetworkPolicy
/// (namespaceSelector, podSelector) pair.
fn split_endpoints(
    sel: &LabelSelector,
    why: &mut Vec<String>,
    at: &str,
) -> (Option<LabelSelector>, LabelSelector) {
    let mut ns_labels = BTreeMap::new();
    let mut ns_exprs = Vec::new();
    let mut any_namespace = false;
    let mut pod_labels = BTreeMap::new();
    let mut pod_exprs = Vec::new();
    let classify = |key: &str, why: &mut Vec<String>| -> Option<(bool, String)> {
        if key == NAMESPACE_LABEL || key == "io.kubernetes.pod.namespace" {
            return Some((true, crate::model::NAMESPACE_NAME_LABEL.to_string()));
        }
        if let Some(k) = key
            .strip_prefix(NAMESPACE_LABELS_PREFIX)
            .or_else(|| key.strip_prefix("io.cilium.k8s.namespace.labels."))
        {
            return Some((true, k.to_string()));
        }
        let plain = key
            .strip_prefix("k8s:")
            .or_else(|| key.strip_prefix("any:"))
            .unwrap_or(key);
        if plain.contains(':') || plain.starts_with("io.cilium.") {
            why.push(format!("{at}: the label {key:?} is Cilium-specific"));
            return None;
        }
        Some((false, plain.to_string()))
    };
    for (k, v) in sel.match_labels.iter().flatten() {
        match classify(k, why) {
            Some((true, key)) => {
                ns_labels.insert(key, v.clone());
            }
            Some((false, key)) => {
                pod_labels.insert(key, v.clone());
            }
            None => {}
        }
    }
    for req in sel.match_expressions.iter().flatten() {
        if (req.key == NAMESPACE_LABEL || req.key == "io.kubernetes.pod.namespace")
            && req.operator == "Exists"
        {
            any_namespace = true;
            continue;
        }
        match classify(&req.key, why) {
            Some((true, key)) => ns_exprs.push(LabelSelectorRequirement { key, ..req.clone() }),
            Some((false, key)) => pod_exprs.push(LabelSelectorRequirement { key, ..req.clone() }),
            None => {}
        }
    }
    let pods = LabelSelector {
        match_labels: (!pod_labels.is_empty()).then_some(pod_labels),
        match_expressions: (!pod_exprs.is_empty()).then_some(pod_exprs),
    };
    let ns =
        (any_namespace || !ns_labels.is_empty() || !ns_exprs.is_empty()).then(|| LabelSelector {
            match_labels: (!ns_labels.is_empty()).then_some(ns_labels),
            match_expressions: (!ns_exprs.is_empty()).then_some(ns_exprs),
        });
    (ns, pods)
}

fn cilium_ports_to_np(
    ports: &Option<Vec<PortRule>>,
    why: &mut Vec<String>,
    at: &str,
    notes: &mut Vec<String>,
) -> Option<Vec<NetworkPolicyPort>> {
    let mut out = Vec::new();
    for (i, pr) in ports.iter().flatten().enumerate() {
        if pr.rules.is_some() {
            why.push(format!(
                "{at}.toPorts[{i}]: L7 rules (HTTP, DNS, …) have no NetworkPolicy equivalent"
            ));
        }
        if !pr.extra.is_empty() {
            why.push(format!(
                "{at}.toPorts[{i}]: {} ha{} no NetworkPolicy equivalent",
                pr.extra.keys().cloned().collect::<Vec<_>>().join(", "),
                if pr.extra.len() == 1 { "s" } else { "ve" }
            ));
        }
        for p in pr.ports.iter().flatten() {
            let port = match p.port.as_str() {
                "" | "0" => None,
                s => Some(
                    s.parse::<i32>()
                        .map(IntOrString::Int)
                        .unwrap_or_else(|_| IntOrString::String(s.to_string())),
                ),
            };
            let protocols: Vec<String> = match p
                .protocol
                .as_deref()
                .unwrap_or("ANY")
                .to_ascii_uppercase()
                .as_str()
            {
                "ANY" => {
                    let note = "protocol ANY became TCP and UDP".to_string();
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                    vec!["TCP".to_string(), "UDP".to_string()]
                }
                proto @ ("TCP" | "UDP" | "SCTP") => vec![proto.to_string()],
                other => {
                    why.push(format!(
                        "{at}.toPorts[{i}]: protocol {other} has no NetworkPolicy equivalent"
                    ));
                    Vec::new()
                }
            };
            for protocol in protocols {
                out.push(NetworkPolicyPort {
                    port: port.clone(),
                    end_port: p.end_port,
                    protocol: Some(protocol),
                });
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Peer fields of a Cilium rule, direction-neutral, for conversion.
struct CiliumPeers<'a> {
    endpoints: &'a Option<Vec<LabelSelector>>,
    requires: &'a Option<Vec<LabelSelector>>,
    cidr: &'a Option<Vec<String>>,
    cidr_set: &'a Option<Vec<CidrRule>>,
    entities: &'a Option<Vec<String>>,
    others: Vec<&'static str>,
    ports: &'a Option<Vec<PortRule>>,
    icmps: bool,
    extra: Vec<String>,
}

fn cilium_peers_to_np(
    r: &CiliumPeers<'_>,
    why: &mut Vec<String>,
    at: &str,
    notes: &mut Vec<String>,
) -> (
    Option<Vec<NetworkPolicyPeer>>,
    Option<Vec<NetworkPolicyPort>>,
) {
    for other in &r.others {
        why.push(format!("{at}.{other} has no NetworkPolicy equivalent"));
    }
    if r.requires.as_ref().is_some_and(|v| !v.is_empty()) {
        why.push(format!(
            "{at}: fromRequires/toRequires have no NetworkPolicy equivalent"
        ));
    }
    if r.icmps {
        why.push(format!("{at}.icmps: NetworkPolicy cannot restrict ICMP"));
    }
    for k in &r.extra {
        why.push(format!("{at}.{k} has no NetworkPolicy equivalent"));
    }
    let mut peers = Vec::new();
    let mut everyone = false;
    for (i, sel) in r.endpoints.iter().flatten().enumerate() {
        let (ns, pods) = split_endpoints(sel, why, &format!("{at}.endpoints[{i}]"));
        peers.push(match ns {
            Some(ns) => NetworkPolicyPeer {
                namespace_selector: Some(ns),
                pod_selector: (pods != LabelSelector::default()).then_some(pods),
                ..Default::default()
            },
            None => NetworkPolicyPeer {
                pod_selector: Some(pods),
                ..Default::default()
            },
        });
    }
    for c in r.cidr.iter().flatten() {
        peers.push(NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: c.clone(),
                except: None,
            }),
            ..Default::default()
        });
    }
    for (i, c) in r.cidr_set.iter().flatten().enumerate() {
        match &c.cidr {
            Some(cidr) => peers.push(NetworkPolicyPeer {
                ip_block: Some(IPBlock {
                    cidr: cidr.clone(),
                    except: c.except.clone(),
                }),
                ..Default::default()
            }),
            None => why.push(format!(
                "{at}.cidrSet[{i}]: CIDR group references have no NetworkPolicy equivalent"
            )),
        }
    }
    if r.cidr.is_some() || r.cidr_set.is_some() {
        let note = "CIDR rules became ipBlocks: depending on the network plugin an ipBlock may also match pods of the cluster".to_string();
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    for e in r.entities.iter().flatten() {
        if e == "all" {
            everyone = true;
        } else {
            why.push(format!(
                "{at}: the entity {e:?} has no NetworkPolicy equivalent (NetworkPolicy cannot tell cluster from world)"
            ));
        }
    }
    let ports = cilium_ports_to_np(r.ports, why, at, notes);
    let has_l3 = !peers.is_empty() || everyone;
    if !has_l3 && ports.is_none() {
        // `{}`: isolates only; signalled to the caller by (None, None).
        return (None, None);
    }
    let peers = if everyone || peers.is_empty() {
        None
    } else {
        Some(peers)
    };
    (peers, ports)
}

/// The features of a Cilium policy's rule that no NetworkPolicy can say:
/// host policies, deny rules, non-isolating rules, unknown fields.
fn without_equivalent(p: &CiliumPolicy, path: &str, rule: &CiliumRule) -> Vec<String> {
    let mut why = Vec::new();
    if rule.node_selector.is_some() {
        why.push(format!(
            "{path}.nodeSelector: host policies have no NetworkPolicy equivalent"
        ));
    }
    if rule.ingress_deny.is_some() || rule.egress_deny.is_some() {
        why.push(format!(
            "{path}: deny rules have no NetworkPolicy equivalent"
        ));
    }
    if let Some(dd) = &rule.enable_default_deny
        && (dd.ingress == Some(false) || dd.egress == Some(false))
    {
        why.push(format!(
            "{path}.enableDefaultDeny: false (non-isolating rules) has no NetworkPolicy equivalent"
        ));
    }
    for k in rule.extra.keys().chain(p.extra.keys()) {
        why.push(format!("{path}.{k} has no NetworkPolicy equivalent"));
    }
    why
}

fn to_networkpolicy(p: &CiliumPolicy) -> Result<(NetworkPolicy, Vec<String>), EditError> {
    let mut why = Vec::new();
    let mut notes = Vec::new();
    let rules = p.rules();
    if rules.len() != 1 {
        return Err(EditError::NotFaithful(format!(
            "the policy has {} rules; a NetworkPolicy has one selector. Split it first",
            rules.len()
        )));
    }
    let (path, rule) = &rules[0];
    let namespace = p.metadata.namespace.clone().unwrap_or_default();
    why.extend(without_equivalent(p, path, rule));
    let mut sub_why = Vec::new();
    let (ns, pods) = split_endpoints(
        &rule.endpoint_selector.clone().unwrap_or_default(),
        &mut sub_why,
        &format!("{path}.endpointSelector"),
    );
    why.extend(sub_why);
    if let Some(ns) = ns {
        let pinned_here = ns.match_expressions.is_none()
            && ns.match_labels.as_ref().is_some_and(|l| {
                l.len() == 1 && l.get(crate::model::NAMESPACE_NAME_LABEL) == Some(&namespace)
            });
        if !pinned_here {
            why.push(format!("{path}.endpointSelector selects by namespace; a NetworkPolicy selects pods of its own namespace only"));
        }
    }
    // The directions Cilium isolates become policyTypes; `ingress: []`
    // isolates nothing in Cilium, so it must not become policyTypes [Ingress].
    let isolated = rule.isolated_directions();
    let mut policy_types = Vec::new();
    let mut ingress = Vec::new();
    if let Some(list) = rule.ingress.as_ref().filter(|_| isolated.ingress) {
        policy_types.push("Ingress".to_string());
        for (i, r) in list.iter().enumerate() {
            let peers = CiliumPeers {
                endpoints: &r.from_endpoints,
                requires: &r.from_requires,
                cidr: &r.from_cidr,
                cidr_set: &r.from_cidr_set,
                entities: &r.from_entities,
                others: Vec::new(),
                ports: &r.to_ports,
                icmps: r.icmps.is_some(),
                extra: r.extra.keys().cloned().collect(),
            };
            match cilium_peers_to_np(
                &peers,
                &mut why,
                &format!("{path}.ingress[{i}]"),
                &mut notes,
            ) {
                (None, None) => {}
                (from, ports) => ingress.push(NetworkPolicyIngressRule { from, ports }),
            }
        }
    }
    let mut egress = Vec::new();
    if let Some(list) = rule.egress.as_ref().filter(|_| isolated.egress) {
        policy_types.push("Egress".to_string());
        for (i, r) in list.iter().enumerate() {
            let mut others = Vec::new();
            if r.to_services.is_some() {
                others.push("toServices");
            }
            if r.to_fqdns.is_some() {
                others.push("toFQDNs");
            }
            let peers = CiliumPeers {
                endpoints: &r.to_endpoints,
                requires: &r.to_requires,
                cidr: &r.to_cidr,
                cidr_set: &r.to_cidr_set,
                entities: &r.to_entities,
                others,
                ports: &r.to_ports,
                icmps: r.icmps.is_some(),
                extra: r.extra.keys().cloned().collect(),
            };
            match cilium_peers_to_np(&peers, &mut why, &format!("{path}.egress[{i}]"), &mut notes) {
                (None, None) => {}
                (to, ports) => egress.push(NetworkPolicyEgressRule { to, ports }),
            }
        }
    }
    if policy_types.is_empty() {
        why.push(format!(
            "{path}: no ingress or egress rules; a NetworkPolicy always isolates a direction"
        ));
    }
    if !why.is_empty() {
        return Err(EditError::NotFaithful(why.join("; ")));
    }
    let np = NetworkPolicy {
        metadata: meta(&p.metadata),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(pods),
            ingress: (!ingress.is_empty()).then_some(ingress),
            egress: (!egress.is_empty()).then_some(egress),
            policy_types: Some(policy_types),
        }),
    };
    Ok((np, notes))
}
