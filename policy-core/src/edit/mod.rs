//! The page's visual operations as pure functions on the model.
//!
//! Every edit takes a [`Policy`] and returns a new one (or an [`EditError`]
//! saying why it cannot apply), so undo/redo is a stack of models and every
//! edit is testable natively. Peers and rules are addressed with the
//! [`PeerRef`]/[`RuleRef`] that [`crate::view::graph`] hands out.

mod cilium;
mod convert;
mod networkpolicy;
mod selector;

use crate::model::{LabelSelector, ObjectMeta, Policy, PolicyKind};
use crate::view::{Direction, PeerRef, RuleRef};

pub use convert::{Conversion, convert};
pub use selector::{SelectorParseError, parse_selector};

/// Why an edit cannot apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The reference does not point at anything in this policy.
    #[error("{0} does not exist in this policy")]
    NotFound(String),
    /// The flavour cannot express the edit.
    #[error("{flavor} cannot express this: {reason}")]
    Unsupported {
        /// The policy's kind.
        flavor: &'static str,
        /// Why, and what to do instead.
        reason: String,
    },
    /// The edit would not change anything.
    #[error("nothing to do: {0}")]
    NoChange(String),
    /// A value given to the edit is not valid.
    #[error("invalid value: {0}")]
    Invalid(String),
    /// A conversion between flavours would change the policy's meaning.
    #[error("cannot convert faithfully: {0}")]
    NotFaithful(String),
}

/// A peer to add.
#[derive(Debug, Clone, PartialEq)]
pub enum NewPeer {
    /// Every source or destination.
    Anywhere,
    /// Pods in the policy's namespace selected by labels.
    Pods(LabelSelector),
    /// Pods (all when `pods` is `None`) in the namespaces selected by labels.
    Namespaces {
        /// Namespace selector (`kubernetes.io/metadata.name=x` picks one by name).
        namespaces: LabelSelector,
        /// Pod selector within those namespaces.
        pods: Option<LabelSelector>,
    },
    /// An IP block with exceptions.
    Cidr {
        /// The block, such as `10.0.0.0/16`.
        cidr: String,
        /// Sub-blocks excluded.
        except: Vec<String>,
    },
    /// A Cilium entity (`world`, `cluster`, `host`, …).
    Entity(String),
    /// A DNS name or pattern (Cilium egress only).
    Fqdn(String),
}

/// A port to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPort {
    /// Number or name; empty for all ports of the protocol.
    pub port: String,
    /// End of a range.
    pub end_port: Option<i32>,
    /// `TCP`, `UDP`, `SCTP` (and `ANY` for Cilium).
    pub protocol: String,
}

impl NewPort {
    /// Parses `80`, `80/TCP`, `8000-8080/udp`, `http/TCP`.
    pub fn parse(text: &str) -> Result<NewPort, EditError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(EditError::Invalid("empty port".to_string()));
        }
        let (port, protocol) = match text.split_once('/') {
            Some((p, proto)) => (p.trim(), proto.trim().to_ascii_uppercase()),
            None => (text, "TCP".to_string()),
        };
        if !matches!(protocol.as_str(), "TCP" | "UDP" | "SCTP" | "ANY") {
            return Err(EditError::Invalid(format!(
                "protocol {protocol:?} is not TCP, UDP, SCTP or ANY"
            )));
        }
        let (port, end_port) = match port.split_once('-') {
            Some((a, b)) if a.chars().all(|c| c.is_ascii_digit()) && !a.is_empty() => {
                let end: i32 = b.trim().parse().map_err(|_| {
                    EditError::Invalid(format!("port range end {b:?} is not a number"))
                })?;
                (a.trim().to_string(), Some(end))
            }
            _ => (port.to_string(), None),
        };
        if let Ok(n) = port.parse::<i64>() {
            if !(1..=65535).contains(&n) {
                return Err(EditError::Invalid(format!("port {n} is outside 1-65535")));
            }
            if let Some(end) = end_port
                && (i64::from(end) < n || end > 65535)
            {
                return Err(EditError::Invalid(format!(
                    "port range {n}-{end} must go up and end at 65535 at most"
                )));
            }
        } else if end_port.is_some() {
            return Err(EditError::Invalid(
                "a range needs a numeric start port".to_string(),
            ));
        } else if port.is_empty()
            || port.len() > 15
            || !port
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(EditError::Invalid(format!(
                "{port:?} is neither a port number nor a port name (lowercase, at most 15 characters)"
            )));
        }
        Ok(NewPort {
            port,
            end_port,
            protocol,
        })
    }
}

/// A new, empty policy of a kind: selects every pod of the namespace and
/// isolates ingress (deny all ingress).
pub fn new_policy(kind: PolicyKind, name: &str, namespace: &str) -> Policy {
    let metadata = ObjectMeta {
        name: Some(name.to_string()),
        namespace: (kind != PolicyKind::CiliumClusterwideNetworkPolicy)
            .then(|| namespace.to_string()),
        ..Default::default()
    };
    match kind {
        PolicyKind::NetworkPolicy => Policy::NetworkPolicy(networkpolicy::new(metadata)),
        PolicyKind::CiliumNetworkPolicy => Policy::CiliumNetworkPolicy(cilium::new(metadata)),
        PolicyKind::CiliumClusterwideNetworkPolicy => {
            Policy::CiliumClusterwideNetworkPolicy(cilium::new(metadata))
        }
    }
}

/// Renames the policy (`metadata.name`).
pub fn rename(policy: &Policy, name: &str) -> Result<Policy, EditError> {
    if name.is_empty() {
        return Err(EditError::Invalid("a policy needs a name".to_string()));
    }
    let mut out = policy.clone();
    out.metadata_mut().name = Some(name.to_string());
    Ok(out)
}

/// Sets the namespace (`metadata.namespace`); not for clusterwide policies.
pub fn set_namespace(policy: &Policy, namespace: &str) -> Result<Policy, EditError> {
    if policy.kind() == PolicyKind::CiliumClusterwideNetworkPolicy {
        return Err(unsupported(
            policy,
            "clusterwide policies have no namespace",
        ));
    }
    let mut out = policy.clone();
    out.metadata_mut().namespace = Some(namespace.to_string());
    Ok(out)
}

/// Replaces the selector of the selected pods (`spec.podSelector` or every
/// Cilium rule's `endpointSelector`).
pub fn set_subject_selector(policy: &Policy, selector: LabelSelector) -> Result<Policy, EditError> {
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(np) => networkpolicy::set_pod_selector(np, selector),
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::set_endpoint_selector(p, selector)
        }
    }
    Ok(out)
}

/// Adds a new rule in `direction` with one peer and the given ports (all
/// ports when empty). Returns the policy and where the peer landed.
pub fn add_peer(
    policy: &Policy,
    direction: Direction,
    peer: NewPeer,
    ports: &[NewPort],
) -> Result<(Policy, PeerRef), EditError> {
    let mut out = policy.clone();
    let at = match &mut out {
        Policy::NetworkPolicy(np) => networkpolicy::add_peer(np, direction, peer, ports)?,
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::add_peer(p, direction, peer, ports)?
        }
    };
    Ok((out, at))
}

/// Removes one peer. When it was its rule's only peer the whole rule goes
/// (an empty peer list would mean "everyone" instead).
pub fn remove_peer(policy: &Policy, at: &PeerRef) -> Result<Policy, EditError> {
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(np) => networkpolicy::remove_peer(np, at)?,
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::remove_peer(p, at)?
        }
    }
    Ok(out)
}

/// Removes a whole rule.
pub fn remove_rule(policy: &Policy, at: &RuleRef) -> Result<Policy, EditError> {
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(np) => networkpolicy::remove_rule(np, at)?,
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::remove_rule(p, at)?
        }
    }
    Ok(out)
}

/// Replaces a label-selected peer's selectors: `pods` for the pods, and
/// `namespaces` for the namespaces (`None` keeps the peer in the policy's
/// namespace).
pub fn set_peer_selector(
    policy: &Policy,
    at: &PeerRef,
    pods: LabelSelector,
    namespaces: Option<LabelSelector>,
) -> Result<Policy, EditError> {
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(np) => networkpolicy::set_peer_selector(np, at, pods, namespaces)?,
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::set_peer_selector(p, at, pods, namespaces)?
        }
    }
    Ok(out)
}

/// Replaces a CIDR peer's block and exceptions.
pub fn set_peer_cidr(
    policy: &Policy,
    at: &PeerRef,
    cidr: &str,
    except: &[String],
) -> Result<Policy, EditError> {
    check_cidr(cidr)?;
    for e in except {
        check_cidr(e)?;
    }
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(np) => networkpolicy::set_peer_cidr(np, at, cidr, except)?,
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::set_peer_cidr(p, at, cidr, except)?
        }
    }
    Ok(out)
}

/// Adds a port (or range) to a rule.
pub fn add_port(policy: &Policy, at: &RuleRef, port: &NewPort) -> Result<Policy, EditError> {
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(np) => networkpolicy::add_port(np, at, port)?,
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::add_port(p, at, port)?
        }
    }
    Ok(out)
}

/// Removes the `index`-th port of a rule (in the order the graph lists them).
pub fn remove_port(policy: &Policy, at: &RuleRef, index: usize) -> Result<Policy, EditError> {
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(np) => networkpolicy::remove_port(np, at, index)?,
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::remove_port(p, at, index)?
        }
    }
    Ok(out)
}

/// Turns default deny (isolation) on or off for a direction.
///
/// NetworkPolicy: adds or removes the direction in `policyTypes`; turning it
/// off drops that direction's rules, which would no longer apply. Cilium:
/// sets `enableDefaultDeny` on every rule, adding an empty rule (`{}`) when
/// there is none so that the endpoints are isolated.
pub fn set_default_deny(
    policy: &Policy,
    direction: Direction,
    on: bool,
) -> Result<Policy, EditError> {
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(np) => networkpolicy::set_default_deny(np, direction, on)?,
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::set_default_deny(p, direction, on)?
        }
    }
    Ok(out)
}

/// Allows DNS to kube-dns (`kube-system`, `k8s-app=kube-dns`) on 53/UDP and
/// 53/TCP; for Cilium with a DNS L7 rule allowing every name (which also
/// enables Cilium's DNS proxy for `toFQDNs`).
pub fn allow_dns(policy: &Policy) -> Result<Policy, EditError> {
    let graph = crate::view::graph(policy);
    if !graph.egress.isolation.is_isolated() {
        return Err(EditError::NoChange(
            "egress is not restricted by this policy, so DNS is already allowed".to_string(),
        ));
    }
    if graph
        .egress
        .group(crate::view::GroupKind::Dns)
        .is_some_and(|g| g.peers.iter().any(|p| !p.edge.deny))
    {
        return Err(EditError::NoChange(
            "the policy already allows DNS".to_string(),
        ));
    }
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(np) => networkpolicy::allow_dns(np),
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::allow_dns(p)
        }
    }
    Ok(out)
}

/// Adds a Cilium L7 HTTP rule to the port rules of an ingress or egress
/// allow rule. The rule must name ports (L7 rules need L4 ports).
pub fn add_http_rule(
    policy: &Policy,
    at: &RuleRef,
    rule: crate::model::cilium::HttpRule,
) -> Result<Policy, EditError> {
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(_) => {
            return Err(unsupported(
                policy,
                "L7 HTTP rules are Cilium-only; convert the policy to Cilium first",
            ));
        }
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::add_l7(p, at, cilium::L7::Http(rule))?
        }
    }
    Ok(out)
}

/// Adds a Cilium L7 DNS rule to the port rules of an egress allow rule.
pub fn add_dns_rule(
    policy: &Policy,
    at: &RuleRef,
    rule: crate::model::cilium::DnsRule,
) -> Result<Policy, EditError> {
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(_) => {
            return Err(unsupported(
                policy,
                "L7 DNS rules are Cilium-only; convert the policy to Cilium first",
            ));
        }
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            if at.direction != Direction::Egress {
                return Err(EditError::Invalid(
                    "DNS rules apply to egress only".to_string(),
                ));
            }
            cilium::add_l7(p, at, cilium::L7::Dns(rule))?
        }
    }
    Ok(out)
}

/// Removes every L7 rule of a rule's ports.
pub fn clear_l7(policy: &Policy, at: &RuleRef) -> Result<Policy, EditError> {
    let mut out = policy.clone();
    match &mut out {
        Policy::NetworkPolicy(_) => {
            return Err(EditError::NoChange(
                "NetworkPolicies have no L7 rules".to_string(),
            ));
        }
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::clear_l7(p, at)?
        }
    }
    Ok(out)
}

fn unsupported(policy: &Policy, reason: &str) -> EditError {
    EditError::Unsupported {
        flavor: policy.kind().as_str(),
        reason: reason.to_string(),
    }
}

/// Checks a CIDR (`10.0.0.0/16`, `2001:db8::/32`).
fn check_cidr(cidr: &str) -> Result<(), EditError> {
    crate::model::cidr::parse_ip_block_cidr(cidr)
        .map(|_| ())
        .ok_or_else(|| EditError::Invalid(format!("{cidr:?} is not a CIDR such as 10.0.0.0/16")))
}

#[cfg(test)]
mod tests;
