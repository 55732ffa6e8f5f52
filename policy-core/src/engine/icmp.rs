//! ICMP: which messages the policies let through.
//!
//! Cilium rules say it with `icmps` (Cilium docs, "Limit ICMP/ICMPv6
//! types"): a rule with `icmps` admits the listed (family, type) pairs; a rule
//! with no L4 part admits all ICMP; a rule with `toPorts` and no `icmps`
//! admits none ("If any layer 4 policy is specified, then ICMP will be
//! blocked unless it's related to a connection that is otherwise allowed by
//! the policy"). A Kubernetes NetworkPolicy cannot express ICMP (its ports
//! are TCP, UDP or SCTP), so at an endpoint a NetworkPolicy isolates and no
//! Cilium rule admits the message, there is no verdict: the reason says so.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::compile::{IcmpMatch, dir_index};
use super::verdict::{Direction, RuleMatch};
use super::{Engine, bitset::BitSet};
use crate::cluster::{Endpoint, EndpointId};

/// An ICMP message kind: family and type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IcmpKey {
    /// `true` for ICMPv6.
    pub v6: bool,
    /// The ICMP type.
    pub icmp_type: u8,
}

/// Cilium's ICMP type names (`pkg/policy/api/icmp.go`), IPv4.
const V4_NAMES: &[(&str, u8)] = &[
    ("EchoReply", 0),
    ("DestinationUnreachable", 3),
    ("Redirect", 5),
    ("Echo", 8),
    ("EchoRequest", 8),
    ("RouterAdvertisement", 9),
    ("RouterSelection", 10),
    ("TimeExceeded", 11),
    ("ParameterProblem", 12),
    ("Timestamp", 13),
    ("TimestampReply", 14),
    ("Photuris", 40),
    ("ExtendedEchoRequest", 42),
    ("ExtendedEchoReply", 43),
];

/// Cilium's ICMPv6 type names.
const V6_NAMES: &[(&str, u8)] = &[
    ("DestinationUnreachable", 1),
    ("PacketTooBig", 2),
    ("TimeExceeded", 3),
    ("ParameterProblem", 4),
    ("EchoRequest", 128),
    ("EchoReply", 129),
    ("MulticastListenerQuery", 130),
    ("MulticastListenerReport", 131),
    ("MulticastListenerDone", 132),
    ("RouterSolicitation", 133),
    ("RouterAdvertisement", 134),
    ("NeighborSolicitation", 135),
    ("NeighborAdvertisement", 136),
    ("RedirectMessage", 137),
    ("RouterRenumbering", 138),
    ("ICMPNodeInformationQuery", 139),
    ("ICMPNodeInformationResponse", 140),
    ("InverseNeighborDiscoverySolicitation", 141),
    ("InverseNeighborDiscoveryAdvertisement", 142),
    ("HomeAgentAddressDiscoveryRequest", 144),
    ("HomeAgentAddressDiscoveryReply", 145),
    ("MobilePrefixSolicitation", 146),
    ("MobilePrefixAdvertisement", 147),
    ("DuplicateAddressRequestCodeSuffix", 157),
    ("DuplicateAddressConfirmationCodeSuffix", 158),
    ("ExtendedEchoRequest", 160),
    ("ExtendedEchoReply", 161),
];

impl IcmpKey {
    /// ICMPv4 `icmp_type`.
    pub fn v4(icmp_type: u8) -> Self {
        IcmpKey {
            v6: false,
            icmp_type,
        }
    }

    /// ICMPv6 `icmp_type`.
    pub fn v6(icmp_type: u8) -> Self {
        IcmpKey {
            v6: true,
            icmp_type,
        }
    }

    /// From a Cilium `icmps[].fields[]` entry: `family` `IPv4` (default) or
    /// `IPv6`, `type` a number or one of Cilium's names. `None` when unreadable.
    pub fn from_field(family: Option<&str>, icmp_type: &Value) -> Option<Self> {
        let v6 = match family {
            None | Some("") | Some("IPv4") => false,
            Some("IPv6") => true,
            Some(_) => return None,
        };
        let names = if v6 { V6_NAMES } else { V4_NAMES };
        let t = match icmp_type {
            Value::Number(n) => u8::try_from(n.as_u64()?).ok()?,
            Value::String(s) => match s.parse::<u8>() {
                Ok(t) => t,
                Err(_) => names.iter().find(|(n, _)| n == s)?.1,
            },
            _ => return None,
        };
        Some(IcmpKey { v6, icmp_type: t })
    }

    /// The request an ICMP reply answers (echo, timestamp, information,
    /// extended echo), or `None` for messages that answer no request.
    pub fn request_of_reply(self) -> Option<IcmpKey> {
        let t = match (self.v6, self.icmp_type) {
            (false, 0) => 8,
            (false, 14) => 13,
            (false, 16) => 15,
            (false, 18) => 17,
            (false, 43) => 42,
            (true, 129) => 128,
            (true, 161) => 160,
            _ => return None,
        };
        Some(IcmpKey {
            v6: self.v6,
            icmp_type: t,
        })
    }

    /// Cilium's name for the type, when it has one.
    pub fn name(self) -> Option<&'static str> {
        let names = if self.v6 { V6_NAMES } else { V4_NAMES };
        names
            .iter()
            .rev()
            .find(|(_, t)| *t == self.icmp_type)
            .map(|(n, _)| *n)
    }
}

impl fmt::Display for IcmpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let family = if self.v6 { "ICMPv6" } else { "ICMP" };
        match self.name() {
            Some(n) => write!(f, "{family} type {} ({n})", self.icmp_type),
            None => write!(f, "{family} type {}", self.icmp_type),
        }
    }
}

/// One side of an ICMP verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IcmpSide {
    /// `Some(allowed)`, or `None` when a NetworkPolicy decides and cannot
    /// express ICMP.
    pub allowed: Option<bool>,
    /// Cilium rules that admit the message.
    pub allowed_by: Vec<RuleMatch>,
    /// Cilium deny rules that match.
    pub denied_by: Vec<RuleMatch>,
    /// Why it is denied, or (no verdict) which NetworkPolicies isolate the
    /// endpoint, in words.
    pub reason: Option<String>,
}

/// Whether an ICMP message from one endpoint reaches another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IcmpVerdict {
    /// The message.
    pub key: IcmpKey,
    /// Both sides allow it (`None`: a side has no verdict and none denies).
    pub allowed: Option<bool>,
    /// At the sender.
    pub egress: IcmpSide,
    /// At the receiver.
    pub ingress: IcmpSide,
}

impl IcmpVerdict {
    /// Why it is denied (the denying sides' reasons), or, with no verdict,
    /// one sentence saying that NetworkPolicy cannot express ICMP and which
    /// policies isolate which side.
    pub fn reasons(&self) -> Vec<String> {
        let sides = [&self.egress, &self.ingress];
        if self.allowed == Some(false) {
            return sides
                .into_iter()
                .filter(|s| s.allowed == Some(false))
                .filter_map(|s| s.reason.clone())
                .collect();
        }
        let unknown: Vec<String> = sides
            .into_iter()
            .filter(|s| s.allowed.is_none())
            .filter_map(|s| s.reason.clone())
            .collect();
        if unknown.is_empty() {
            return Vec::new();
        }
        vec![format!(
            "NetworkPolicy cannot express ICMP: {}, and no Cilium icmps rule admits {}, so whether it passes depends on the network plugin",
            unknown.join(" and "),
            self.key
        )]
    }
}

impl Engine {
    /// Whether the ICMP message `key` from `from` reaches `to`. See the
    /// module docs.
    pub fn icmp_verdict(&self, from: EndpointId, to: EndpointId, key: IcmpKey) -> IcmpVerdict {
        let egress = self.icmp_side(Direction::Egress, from, to, key);
        let ingress = self.icmp_side(Direction::Ingress, to, from, key);
        let allowed = match (egress.allowed, ingress.allowed) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        };
        IcmpVerdict {
            key,
            allowed,
            egress,
            ingress,
        }
    }

    fn icmp_side(
        &self,
        dir: Direction,
        subject: EndpointId,
        peer: EndpointId,
        key: IcmpKey,
    ) -> IcmpSide {
        let mut side = IcmpSide {
            allowed: Some(true),
            allowed_by: Vec::new(),
            denied_by: Vec::new(),
            reason: None,
        };
        match self.cluster.endpoint(subject) {
            Endpoint::Pod(p) if p.selectable() => {}
            _ => return side,
        }
        let d = dir_index(dir);
        let groups = &self.selecting[d][subject.0];
        let mut requires: Option<BitSet> = None;
        let mut cilium_isolates = false;
        let mut k8s_isolates = Vec::new();
        for &g in groups {
            let group = &self.compiled.groups[g as usize];
            if group.isolates[d] {
                if group.cilium {
                    cilium_isolates = true;
                } else {
                    let p = self.compiled.policies[group.policy].describe();
                    if !k8s_isolates.contains(&p) {
                        k8s_isolates.push(p);
                    }
                }
            }
            if let Some(r) = &group.requires[d] {
                match &mut requires {
                    Some(acc) => acc.intersect_with(r),
                    None => requires = Some(r.clone()),
                }
            }
        }
        for &g in groups {
            let group = &self.compiled.groups[g as usize];
            for &r in &group.rules[d] {
                let rule = &self.compiled.rules[r];
                let admits = match &rule.icmp {
                    IcmpMatch::Any => true,
                    IcmpMatch::Types(keys) => keys.contains(&key),
                    IcmpMatch::Nothing | IcmpMatch::NotExpressible => false,
                };
                if !admits {
                    continue;
                }
                let Some((peer_index, peer_desc, conditions)) =
                    self.match_peer(rule, subject, peer, true)
                else {
                    continue;
                };
                if !rule.deny && requires.as_ref().is_some_and(|req| !req.contains(peer.0)) {
                    continue;
                }
                let m = RuleMatch {
                    policy: self.compiled.policies[group.policy].clone(),
                    rule: rule.path.clone(),
                    rule_index: rule.index,
                    peer_index,
                    peer: peer_desc,
                    port: match &rule.icmp {
                        IcmpMatch::Types(_) => format!("icmps {key}"),
                        _ => "any (the rule has no L4 part)".to_string(),
                    },
                    conditions,
                };
                if rule.deny {
                    side.denied_by.push(m);
                } else {
                    side.allowed_by.push(m);
                }
            }
        }
        let at = self.cluster.endpoint_name(subject);
        let dir_word = match dir {
            Direction::Egress => "egress",
            Direction::Ingress => "ingress",
        };
        if let Some(m) = side.denied_by.first() {
            side.allowed = Some(false);
            side.reason = Some(format!(
                "{key} denied at {at} ({dir_word}) by {} {}",
                m.policy.describe(),
                m.rule
            ));
        } else if !side.allowed_by.is_empty() || (!cilium_isolates && k8s_isolates.is_empty()) {
            side.allowed = Some(true);
        } else if !k8s_isolates.is_empty() {
            side.allowed = None;
            side.reason = Some(format!(
                "{} isolate{} {at} for {dir_word}",
                k8s_isolates.join(", "),
                if k8s_isolates.len() == 1 { "s" } else { "" }
            ));
        } else {
            side.allowed = Some(false);
            side.reason = Some(format!(
                "no Cilium rule admits {key} at {at} ({dir_word}): rules with toPorts block ICMP unless their icmps list the type"
            ));
        }
        side
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Cluster, PodInfo};
    use crate::model::Policy;
    use std::collections::BTreeMap;

    fn cluster() -> (Cluster, EndpointId, EndpointId) {
        let mut c = Cluster::new();
        let l = |app: &str| BTreeMap::from([("app".to_string(), app.to_string())]);
        let a = c.add_pod(PodInfo::new("x", "a", l("a")));
        let b = c.add_pod(PodInfo::new("x", "b", l("b")));
        (c, a, b)
    }

    fn policies(yaml: &str) -> Vec<Policy> {
        crate::yaml::parse_policies(yaml).0
    }

    #[test]
    fn icmps_admit_listed_types_and_to_ports_block_icmp() {
        let (c, a, b) = cluster();
        let p = policies(
            "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: b, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: b}}
  ingress:
  - icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]
  - toPorts: [{ports: [{port: '80', protocol: TCP}]}]
",
        );
        let e = Engine::new(&c, &p);
        assert_eq!(e.icmp_verdict(a, b, IcmpKey::v4(8)).allowed, Some(true));
        let v = e.icmp_verdict(a, b, IcmpKey::v4(13));
        assert_eq!(v.allowed, Some(false));
        assert!(v.reasons()[0].contains("no Cilium rule admits ICMP type 13"));
        // The sender is not isolated.
        assert_eq!(e.icmp_verdict(b, a, IcmpKey::v4(8)).allowed, Some(true));
    }

    #[test]
    fn a_rule_without_l4_admits_all_icmp() {
        let (c, a, b) = cluster();
        let p = policies(
            "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: b, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: b}}
  ingress: [{fromEndpoints: [{matchLabels: {app: a}}]}]
",
        );
        let e = Engine::new(&c, &p);
        assert_eq!(e.icmp_verdict(a, b, IcmpKey::v6(128)).allowed, Some(true));
        assert_eq!(e.icmp_verdict(b, b, IcmpKey::v4(8)).allowed, Some(false));
    }

    #[test]
    fn network_policy_gives_no_icmp_verdict_and_says_why() {
        let (c, a, b) = cluster();
        let p = policies(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {}}]}]
",
        );
        let v = Engine::new(&c, &p).icmp_verdict(a, b, IcmpKey::v4(8));
        assert_eq!(v.allowed, None);
        assert!(v.reasons()[0].starts_with("NetworkPolicy cannot express ICMP"));
    }

    #[test]
    fn names_and_replies() {
        let k = IcmpKey::from_field(Some("IPv6"), &Value::from("EchoRequest")).unwrap();
        assert_eq!(k, IcmpKey::v6(128));
        assert_eq!(IcmpKey::v6(129).request_of_reply(), Some(k));
        assert_eq!(IcmpKey::v4(3).request_of_reply(), None);
        assert_eq!(
            IcmpKey::from_field(None, &Value::from(8)),
            Some(IcmpKey::v4(8))
        );
        assert_eq!(IcmpKey::v4(8).to_string(), "ICMP type 8 (EchoRequest)");
    }
}
