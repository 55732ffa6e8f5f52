//! CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (`cilium.io/v2`).
//!
//! The types follow Cilium's CRD (`pkg/policy/api`) field for field, with the
//! same camelCase names. Every struct keeps fields it does not model in
//! `extra`, so a round trip never loses what a user wrote (for example
//! `authentication`, `fromGroups`, Kafka rules).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{LabelSelector, ObjectMeta};

/// Unmodelled fields, kept verbatim.
pub type Extra = BTreeMap<String, Value>;

/// A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy object. The
/// `apiVersion` and `kind` live in [`super::Policy`]'s variant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CiliumPolicy {
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// A single rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<CiliumRule>,
    /// A list of rules; combined with `spec` when both are set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specs: Option<Vec<CiliumRule>>,
    /// Anything else at the top level (such as `status`).
    #[serde(flatten)]
    pub extra: Extra,
}

impl CiliumPolicy {
    /// All rules: `spec` first, then `specs`, each with its field path
    /// (`spec` or `specs[i]`).
    pub fn rules(&self) -> Vec<(String, &CiliumRule)> {
        let mut out = Vec::new();
        if let Some(spec) = &self.spec {
            out.push(("spec".to_string(), spec));
        }
        for (i, rule) in self.specs.iter().flatten().enumerate() {
            out.push((format!("specs[{i}]"), rule));
        }
        out
    }
}

impl CiliumRule {
    /// Which directions the rule puts its endpoints in default deny. This is
    /// the one place that reads Cilium's rule: a direction is isolated when
    /// the rule has at least one allow or deny rule in it, unless
    /// `enableDefaultDeny` turns that off for the direction (Cilium's
    /// `Rule.Sanitize` defaults `enableDefaultDeny` to "has rules"; an empty
    /// list, `ingress: []`, has none).
    pub fn isolated_directions(&self) -> super::IsolatedDirections {
        let non_empty = |a: bool, b: bool| a || b;
        let has_in = non_empty(
            self.ingress.as_ref().is_some_and(|r| !r.is_empty()),
            self.ingress_deny.as_ref().is_some_and(|r| !r.is_empty()),
        );
        let has_eg = non_empty(
            self.egress.as_ref().is_some_and(|r| !r.is_empty()),
            self.egress_deny.as_ref().is_some_and(|r| !r.is_empty()),
        );
        let dd = self.enable_default_deny.as_ref();
        super::IsolatedDirections {
            ingress: has_in && dd.and_then(|d| d.ingress) != Some(false),
            egress: has_eg && dd.and_then(|d| d.egress) != Some(false),
        }
    }
}

/// One Cilium rule (`spec` or an element of `specs`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CiliumRule {
    /// Selects the endpoints the rule applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_selector: Option<LabelSelector>,
    /// Selects nodes (host policies); exclusive with `endpointSelector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<LabelSelector>,
    /// Ingress allow rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Vec<IngressRule>>,
    /// Ingress deny rules; deny wins over allow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_deny: Option<Vec<IngressRule>>,
    /// Egress allow rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<EgressRule>>,
    /// Egress deny rules; deny wins over allow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_deny: Option<Vec<EgressRule>>,
    /// Whether selecting endpoints puts them in default deny, per direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_default_deny: Option<DefaultDeny>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Rule labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<RuleLabel>>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `enableDefaultDeny`. A missing direction means `true` when the rule has
/// rules in that direction (Cilium's default).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultDeny {
    /// Ingress default deny.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<bool>,
    /// Egress default deny.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<bool>,
}

/// A rule label (`labels:` on a rule).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleLabel {
    /// Label key.
    pub key: String,
    /// Label value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Label source, such as `k8s` or `unspec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An ingress rule, used for both `ingress` and `ingressDeny` (deny rules
/// must not carry L7 rules; validation reports it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressRule {
    /// Peers selected by endpoint labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_endpoints: Option<Vec<LabelSelector>>,
    /// Extra requirements every peer must also meet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_requires: Option<Vec<LabelSelector>>,
    /// Peer CIDRs.
    #[serde(default, rename = "fromCIDR", skip_serializing_if = "Option::is_none")]
    pub from_cidr: Option<Vec<String>>,
    /// Peer CIDRs with exceptions.
    #[serde(
        default,
        rename = "fromCIDRSet",
        skip_serializing_if = "Option::is_none"
    )]
    pub from_cidr_set: Option<Vec<CidrRule>>,
    /// Peer entities (`world`, `cluster`, `host`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_entities: Option<Vec<String>>,
    /// L4 (and L7) restrictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ports: Option<Vec<PortRule>>,
    /// ICMP restrictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmps: Option<Vec<IcmpRule>>,
    /// Unmodelled fields (`fromNodes`, `fromGroups`, `authentication`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// An egress rule, used for both `egress` and `egressDeny`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressRule {
    /// Peers selected by endpoint labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_endpoints: Option<Vec<LabelSelector>>,
    /// Extra requirements every peer must also meet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_requires: Option<Vec<LabelSelector>>,
    /// Peer CIDRs.
    #[serde(default, rename = "toCIDR", skip_serializing_if = "Option::is_none")]
    pub to_cidr: Option<Vec<String>>,
    /// Peer CIDRs with exceptions.
    #[serde(default, rename = "toCIDRSet", skip_serializing_if = "Option::is_none")]
    pub to_cidr_set: Option<Vec<CidrRule>>,
    /// Peer entities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_entities: Option<Vec<String>>,
    /// Kubernetes services as peers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_services: Option<Vec<ServiceSelector>>,
    /// DNS names as peers.
    #[serde(default, rename = "toFQDNs", skip_serializing_if = "Option::is_none")]
    pub to_fqdns: Option<Vec<FqdnSelector>>,
    /// L4 (and L7) restrictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ports: Option<Vec<PortRule>>,
    /// ICMP restrictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmps: Option<Vec<IcmpRule>>,
    /// Unmodelled fields (`toNodes`, `toGroups`, `authentication`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `fromCIDRSet` / `toCIDRSet` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CidrRule {
    /// The CIDR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    /// A CiliumCIDRGroup reference instead of a literal CIDR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_group_ref: Option<String>,
    /// Sub-ranges excluded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub except: Option<Vec<String>>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `toFQDNs` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FqdnSelector {
    /// An exact name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_name: Option<String>,
    /// A pattern with `*` wildcards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_pattern: Option<String>,
}

/// `toServices` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSelector {
    /// A service by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k8s_service: Option<K8sServiceName>,
    /// Services by label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k8s_service_selector: Option<K8sServiceSelector>,
}

/// A service by name and namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct K8sServiceName {
    /// Service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// Service namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// Services by label selector.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct K8sServiceSelector {
    /// Service label selector.
    #[serde(default)]
    pub selector: LabelSelector,
    /// Namespace, when restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// `toPorts` entry: ports, and optionally L7 rules on them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortRule {
    /// Ports (at most 40).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<PortProtocol>>,
    /// L7 rules on these ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<L7Rules>,
    /// Unmodelled fields (`serverNames`, TLS contexts, `listener`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A port (number or name), optional end of range, and protocol.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortProtocol {
    /// Port number or name, as a string (`"80"`, `"http"`). Cilium's CRD
    /// types it as a string; numbers are accepted on input.
    #[serde(default, deserialize_with = "string_or_number")]
    pub port: String,
    /// Inclusive end of a port range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_port: Option<i32>,
    /// `TCP`, `UDP`, `SCTP`, `ICMP`, `ICMPv6`, `VRRP`, `IGMP` or `ANY`
    /// (Cilium's default when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// L7 rules under `toPorts[].rules`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L7Rules {
    /// HTTP rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<Vec<HttpRule>>,
    /// DNS rules (egress to a DNS server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<Vec<DnsRule>>,
    /// Unmodelled L7 protocols (`kafka`, `l7proto`, `l7`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// An HTTP rule. Fields are regular expressions as in Cilium.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRule {
    /// Method regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Host regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Required headers, `Name: value` or `Name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<String>>,
    /// Unmodelled fields (`headerMatches`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A DNS rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsRule {
    /// An exact name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_name: Option<String>,
    /// A pattern with `*` wildcards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_pattern: Option<String>,
}

/// `icmps` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IcmpRule {
    /// ICMP fields (at most 40).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<IcmpField>>,
}

/// One ICMP type, by number or name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IcmpField {
    /// `IPv4` (default) or `IPv6`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Type number or name (`8`, `EchoRequest`).
    #[serde(rename = "type")]
    pub icmp_type: Value,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Ok(String::new()),
        other => Err(serde::de::Error::custom(format!(
            "port must be a number or a name, not {other}"
        ))),
    }
}
