//! Edits of a Kubernetes NetworkPolicy.

use std::collections::BTreeMap;

use crate::model::IntOrString;
use crate::model::{
    IPBlock, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};

use super::{EditError, NewPeer, NewPort};
use crate::model::{LabelSelector, NetworkPolicy, ObjectMeta};
use crate::view::{Direction, PeerField, PeerRef, RuleRef};

const FLAVOR: &str = "NetworkPolicy";

fn unsupported(reason: &str) -> EditError {
    EditError::Unsupported {
        flavor: FLAVOR,
        reason: reason.to_string(),
    }
}

pub(super) fn new(metadata: ObjectMeta) -> NetworkPolicy {
    NetworkPolicy {
        metadata,
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(vec!["Ingress".to_string()]),
            ..Default::default()
        }),
    }
}

fn spec(np: &mut NetworkPolicy) -> &mut NetworkPolicySpec {
    np.spec.get_or_insert_with(Default::default)
}

pub(super) fn set_pod_selector(np: &mut NetworkPolicy, selector: LabelSelector) {
    spec(np).pod_selector = Some(selector);
}

/// Makes `policyTypes` explicit (its defaulted value), so that adding or
/// removing rules never silently changes which directions are isolated.
fn pin_policy_types(np: &mut NetworkPolicy) {
    let types: Vec<String> = [Direction::Ingress, Direction::Egress]
        .into_iter()
        .filter(|d| crate::view::networkpolicy_isolates(np, *d))
        .map(|d| type_name(d).to_string())
        .collect();
    spec(np).policy_types = Some(types);
}

fn type_name(d: Direction) -> &'static str {
    match d {
        Direction::Ingress => "Ingress",
        Direction::Egress => "Egress",
    }
}

fn to_port(p: &NewPort) -> Result<NetworkPolicyPort, EditError> {
    if p.protocol == "ANY" {
        return Err(unsupported(
            "protocol ANY is Cilium-only; pick TCP, UDP or SCTP",
        ));
    }
    Ok(NetworkPolicyPort {
        port: if p.port.is_empty() {
            None
        } else {
            Some(match p.port.parse::<i32>() {
                Ok(n) => IntOrString::Int(n),
                Err(_) => IntOrString::String(p.port.clone()),
            })
        },
        end_port: p.end_port,
        protocol: Some(p.protocol.clone()),
    })
}

fn to_peer(peer: NewPeer, direction: Direction) -> Result<Option<NetworkPolicyPeer>, EditError> {
    Ok(match peer {
        NewPeer::Anywhere => None,
        NewPeer::Pods(sel) => Some(NetworkPolicyPeer {
            pod_selector: Some(sel),
            ..Default::default()
        }),
        NewPeer::Namespaces { namespaces, pods } => Some(NetworkPolicyPeer {
            namespace_selector: Some(namespaces),
            pod_selector: pods,
            ..Default::default()
        }),
        NewPeer::Cidr { cidr, except } => {
            super::check_cidr(&cidr)?;
            for e in &except {
                super::check_cidr(e)?;
            }
            Some(NetworkPolicyPeer {
                ip_block: Some(IPBlock {
                    cidr,
                    except: (!except.is_empty()).then_some(except),
                }),
                ..Default::default()
            })
        }
        NewPeer::Entity(e) => {
            return Err(unsupported(&format!(
                "the entity {e:?} is Cilium-only; use an ipBlock (0.0.0.0/0 for the world) or convert to Cilium"
            )));
        }
        NewPeer::Fqdn(_) => {
            let _ = direction;
            return Err(unsupported(
                "DNS names (toFQDNs) are Cilium-only; convert the policy to Cilium",
            ));
        }
    })
}

pub(super) fn add_peer(
    np: &mut NetworkPolicy,
    direction: Direction,
    peer: NewPeer,
    ports: &[NewPort],
) -> Result<PeerRef, EditError> {
    let peer = to_peer(peer, direction)?;
    let ports: Vec<NetworkPolicyPort> = ports.iter().map(to_port).collect::<Result<_, _>>()?;
    pin_policy_types(np);
    let s = spec(np);
    let types = s.policy_types.get_or_insert_with(Vec::new);
    if !types.iter().any(|t| t == type_name(direction)) {
        types.push(type_name(direction).to_string());
    }
    let field = if peer.is_some() {
        PeerField::K8sPeer
    } else {
        PeerField::All
    };
    let peers = peer.map(|p| vec![p]);
    let ports = (!ports.is_empty()).then_some(ports);
    let index = match direction {
        Direction::Ingress => {
            let rules = s.ingress.get_or_insert_with(Vec::new);
            rules.push(NetworkPolicyIngressRule { from: peers, ports });
            rules.len() - 1
        }
        Direction::Egress => {
            let rules = s.egress.get_or_insert_with(Vec::new);
            rules.push(NetworkPolicyEgressRule { to: peers, ports });
            rules.len() - 1
        }
    };
    Ok(PeerRef {
        rule: RuleRef {
            direction,
            deny: false,
            spec: 0,
            rule: index,
        },
        field,
        index: 0,
    })
}

/// A rule's peers and ports.
type RuleParts<'a> = (
    &'a mut Option<Vec<NetworkPolicyPeer>>,
    &'a mut Option<Vec<NetworkPolicyPort>>,
);

/// Mutable access to a rule's peers and ports, direction-neutral.
fn rule_parts<'a>(np: &'a mut NetworkPolicy, at: &RuleRef) -> Result<RuleParts<'a>, EditError> {
    if at.deny || at.spec != 0 {
        return Err(EditError::NotFound(format!(
            "{} rule {}",
            at.direction.as_str(),
            at.rule
        )));
    }
    let s = spec(np);
    let missing = || EditError::NotFound(format!("{} rule {}", at.direction.as_str(), at.rule));
    match at.direction {
        Direction::Ingress => {
            let r = s
                .ingress
                .as_mut()
                .and_then(|v| v.get_mut(at.rule))
                .ok_or_else(missing)?;
            Ok((&mut r.from, &mut r.ports))
        }
        Direction::Egress => {
            let r = s
                .egress
                .as_mut()
                .and_then(|v| v.get_mut(at.rule))
                .ok_or_else(missing)?;
            Ok((&mut r.to, &mut r.ports))
        }
    }
}

pub(super) fn remove_rule(np: &mut NetworkPolicy, at: &RuleRef) -> Result<(), EditError> {
    rule_parts(np, at)?;
    pin_policy_types(np);
    let s = spec(np);
    match at.direction {
        Direction::Ingress => {
            s.ingress.as_mut().map(|v| v.remove(at.rule));
        }
        Direction::Egress => {
            s.egress.as_mut().map(|v| v.remove(at.rule));
        }
    }
    Ok(())
}

pub(super) fn remove_peer(np: &mut NetworkPolicy, at: &PeerRef) -> Result<(), EditError> {
    let (peers, _) = rule_parts(np, &at.rule)?;
    match at.field {
        PeerField::All => remove_rule(np, &at.rule),
        PeerField::K8sPeer => {
            let list = peers
                .as_mut()
                .filter(|l| at.index < l.len())
                .ok_or_else(|| {
                    EditError::NotFound(format!(
                        "peer {} of {} rule {}",
                        at.index,
                        at.rule.direction.as_str(),
                        at.rule.rule
                    ))
                })?;
            list.remove(at.index);
            if list.is_empty() {
                remove_rule(np, &at.rule)?;
            }
            Ok(())
        }
        _ => Err(EditError::NotFound(
            "a Cilium peer field in a NetworkPolicy".to_string(),
        )),
    }
}

fn peer_mut<'a>(
    np: &'a mut NetworkPolicy,
    at: &PeerRef,
) -> Result<&'a mut NetworkPolicyPeer, EditError> {
    if at.field != PeerField::K8sPeer {
        return Err(EditError::NotFound(
            "this peer is not a label or CIDR peer".to_string(),
        ));
    }
    let (peers, _) = rule_parts(np, &at.rule)?;
    peers
        .as_mut()
        .and_then(|l| l.get_mut(at.index))
        .ok_or_else(|| EditError::NotFound(format!("peer {}", at.index)))
}

pub(super) fn set_peer_selector(
    np: &mut NetworkPolicy,
    at: &PeerRef,
    pods: LabelSelector,
    namespaces: Option<LabelSelector>,
) -> Result<(), EditError> {
    let p = peer_mut(np, at)?;
    if p.ip_block.is_some() {
        return Err(EditError::Invalid(
            "this peer is an IP block, not a selector".to_string(),
        ));
    }
    let empty_pods = pods == LabelSelector::default();
    p.namespace_selector = namespaces.clone();
    // Inside a namespaceSelector peer an absent podSelector means all pods;
    // alone, podSelector must be present.
    p.pod_selector = if namespaces.is_some() && empty_pods {
        None
    } else {
        Some(pods)
    };
    Ok(())
}

pub(super) fn set_peer_cidr(
    np: &mut NetworkPolicy,
    at: &PeerRef,
    cidr: &str,
    except: &[String],
) -> Result<(), EditError> {
    let p = peer_mut(np, at)?;
    if p.ip_block.is_none() {
        return Err(EditError::Invalid(
            "this peer is a selector, not an IP block".to_string(),
        ));
    }
    p.ip_block = Some(IPBlock {
        cidr: cidr.to_string(),
        except: (!except.is_empty()).then(|| except.to_vec()),
    });
    Ok(())
}

pub(super) fn add_port(
    np: &mut NetworkPolicy,
    at: &RuleRef,
    port: &NewPort,
) -> Result<(), EditError> {
    let port = to_port(port)?;
    let (_, ports) = rule_parts(np, at)?;
    let list = ports.get_or_insert_with(Vec::new);
    let normal = |p: &NetworkPolicyPort| NetworkPolicyPort {
        protocol: Some(p.protocol.clone().unwrap_or_else(|| "TCP".to_string())),
        ..p.clone()
    };
    if list.iter().any(|p| normal(p) == port) {
        return Err(EditError::NoChange(
            "the rule already has this port".to_string(),
        ));
    }
    list.push(port);
    Ok(())
}

pub(super) fn remove_port(
    np: &mut NetworkPolicy,
    at: &RuleRef,
    index: usize,
) -> Result<(), EditError> {
    let (_, ports) = rule_parts(np, at)?;
    let list = ports
        .as_mut()
        .filter(|l| index < l.len())
        .ok_or_else(|| EditError::NotFound(format!("port {index}")))?;
    list.remove(index);
    if list.is_empty() {
        // The rule now applies to all ports, which the graph shows.
        *ports = None;
    }
    Ok(())
}

pub(super) fn set_default_deny(
    np: &mut NetworkPolicy,
    direction: Direction,
    on: bool,
) -> Result<(), EditError> {
    let isolated = crate::view::networkpolicy_isolates(np, direction);
    if isolated == on {
        return Err(EditError::NoChange(format!(
            "{} is already {}",
            direction.as_str(),
            if on { "isolated" } else { "open" }
        )));
    }
    pin_policy_types(np);
    let s = spec(np);
    let types = s.policy_types.get_or_insert_with(Vec::new);
    if on {
        types.push(type_name(direction).to_string());
        types.sort();
        types.dedup();
        return Ok(());
    }
    types.retain(|t| t != type_name(direction));
    if types.is_empty() {
        return Err(unsupported(
            "a NetworkPolicy always isolates at least one direction; delete the policy to stop isolating the pods",
        ));
    }
    match direction {
        Direction::Ingress => s.ingress = None,
        Direction::Egress => s.egress = None,
    }
    Ok(())
}

pub(super) fn allow_dns(np: &mut NetworkPolicy) {
    pin_policy_types(np);
    let peer = NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([(
                crate::model::NAMESPACE_NAME_LABEL.to_string(),
                "kube-system".to_string(),
            )])),
            ..Default::default()
        }),
        pod_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([(
                "k8s-app".to_string(),
                "kube-dns".to_string(),
            )])),
            ..Default::default()
        }),
        ..Default::default()
    };
    let ports = ["UDP", "TCP"]
        .into_iter()
        .map(|proto| NetworkPolicyPort {
            port: Some(IntOrString::Int(53)),
            protocol: Some(proto.to_string()),
            end_port: None,
        })
        .collect();
    spec(np)
        .egress
        .get_or_insert_with(Vec::new)
        .push(NetworkPolicyEgressRule {
            to: Some(vec![peer]),
            ports: Some(ports),
        });
}
