//! Least-privilege policies from aggregated flows.
//!
//! For every workload that received traffic, an ingress policy
//! (`<workload>-ingress`) allowing exactly the observed peers on the observed
//! ports; for every workload that sent traffic, an egress policy
//! (`<workload>-egress`). Only flows that went through (FORWARDED,
//! REDIRECTED, AUDIT) and are not replies count.
//!
//! - **Kubernetes**: `podSelector`; peers in other namespaces through
//!   `namespaceSelector` on `kubernetes.io/metadata.name`; addresses outside
//!   the cluster (and node addresses) as `ipBlock`; DNS to kube-dns, when
//!   seen, as one rule to `kube-system`/`k8s-app=kube-dns` on UDP and TCP 53.
//! - **Cilium**: `endpointSelector` and `from/toEndpoints` (with
//!   `k8s:io.kubernetes.pod.namespace` for peers in other namespaces),
//!   `from/toEntities` for reserved identities, `toCIDR` for addresses,
//!   `toFQDNs` for addresses that observed DNS answers named, a DNS rule
//!   (`matchPattern: "*"`) on the kube-dns egress so those names resolve
//!   through Cilium's DNS proxy, and HTTP rules (method + path) from HTTP
//!   flows.
//!
//! Selectors are exact: when another observed workload in the same namespace
//! carries a superset of a workload's labels, the selector excludes it with
//! `DoesNotExist`, so no rule opens traffic that was not observed (DNS to
//! kube-dns on both protocols is the one deliberate widening).
//!
//! Output is deterministic: policies sorted by namespace and name, rules by
//! peer, ports by protocol and number. Each policy carries annotations
//! saying which flows produced each rule.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use super::aggregate::{Aggregates, L7Key};
use super::event::Protocol;
use super::identity::{Identity, ReservedEntity};
use super::timestamp::format_rfc3339;
use crate::model::cilium::{
    CiliumPolicy, CiliumRule, DnsRule, EgressRule, FqdnSelector, HttpRule, IcmpField, IcmpRule,
    IngressRule, L7Rules, PortProtocol, PortRule,
};
use crate::model::{LabelSelector, NetworkPolicy, ObjectMeta, Policy};

/// Which policy language to generate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    /// `networking.k8s.io/v1` NetworkPolicy.
    #[default]
    Kubernetes,
    /// `cilium.io/v2` CiliumNetworkPolicy.
    Cilium,
}

/// Which policies to generate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyDirections {
    /// Ingress policies only (per destination workload).
    Ingress,
    /// Egress policies only (per source workload).
    Egress,
    /// Both.
    #[default]
    Both,
}

impl PolicyDirections {
    fn ingress(self) -> bool {
        matches!(self, PolicyDirections::Ingress | PolicyDirections::Both)
    }
    fn egress(self) -> bool {
        matches!(self, PolicyDirections::Egress | PolicyDirections::Both)
    }
}

/// Options of [`generate`].
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Policy language.
    pub flavor: Flavor,
    /// Ingress, egress or both.
    pub directions: PolicyDirections,
    /// Only generate policies for workloads in these namespaces (all when
    /// empty). Peers may be anywhere.
    pub namespaces: Vec<String>,
    /// Prefix length external IPv4 addresses are widened to (default 32).
    pub ipv4_prefix: u8,
    /// Prefix length external IPv6 addresses are widened to (default 128).
    pub ipv6_prefix: u8,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            flavor: Flavor::Kubernetes,
            directions: PolicyDirections::Both,
            namespaces: Vec::new(),
            ipv4_prefix: 32,
            ipv6_prefix: 128,
        }
    }
}

/// Generated policies and what could not be expressed.
#[derive(Clone, Debug, Default)]
pub struct Generated {
    /// Policies, sorted by namespace then name.
    pub policies: Vec<Policy>,
    /// Flows (distinct tuples) that produced rules.
    pub used_tuples: u64,
    /// Distinct tuples skipped: replies, not-forwarded verdicts.
    pub ignored_tuples: u64,
    /// Why some observed traffic produced no rule (sorted, deduplicated).
    pub warnings: Vec<String>,
}

/// Annotation with the flows behind each rule.
pub const RULES_ANNOTATION: &str = "palisade.dev/generated-rules";
/// Annotation summarising the flows behind the policy.
pub const SOURCE_ANNOTATION: &str = "palisade.dev/generated-from";

const KUBE_DNS_NAMESPACE: &str = "kube-system";
const KUBE_DNS_LABEL: (&str, &str) = ("k8s-app", "kube-dns");
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
const CILIUM_NAMESPACE_LABEL: &str = "k8s:io.kubernetes.pod.namespace";

/// Which side of the policy's workload a rule is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Ingress,
    Egress,
}

/// A rule's peer after flavor-specific mapping.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Peer {
    Workload(usize),
    Entity(ReservedEntity),
    Fqdn(BTreeSet<String>),
    Cidr(IpNet),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct PortKey {
    protocol: Protocol,
    port: Option<u16>,
}

#[derive(Default)]
struct Evidence {
    flows: u64,
    tuples: u64,
    /// Unix nanoseconds.
    first: Option<i64>,
    last: Option<i64>,
}

impl Evidence {
    fn add(&mut self, count: u64, first: Option<i64>, last: Option<i64>) {
        self.flows += count;
        self.tuples += 1;
        if let Some(f) = first {
            self.first = Some(self.first.map_or(f, |o| o.min(f)));
        }
        if let Some(l) = last {
            self.last = Some(self.last.map_or(l, |o| o.max(l)));
        }
    }

    fn describe(&self) -> String {
        let mut s = format!(
            "{} flow{} ({} distinct)",
            self.flows,
            if self.flows == 1 { "" } else { "s" },
            self.tuples
        );
        match (self.first, self.last) {
            (Some(f), Some(l)) if f == l => s.push_str(&format!(" at {}", format_rfc3339(f))),
            (Some(f), Some(l)) => {
                s.push_str(&format!(", {} .. {}", format_rfc3339(f), format_rfc3339(l)))
            }
            _ => {}
        }
        s
    }
}

#[derive(Default)]
struct PeerRules {
    /// Ports, each with the HTTP requests seen on it (empty: plain L4).
    ports: BTreeMap<PortKey, BTreeSet<(String, String)>>,
    evidence: Evidence,
}

#[derive(Default)]
struct PolicyAcc {
    peers: BTreeMap<Peer, PeerRules>,
    /// DNS to kube-dns seen.
    dns: Option<Evidence>,
    evidence: Evidence,
}

/// Generates policies from aggregates. See the module docs.
pub fn generate(agg: &Aggregates, opts: &GenerateOptions) -> Generated {
    let mut out = Generated::default();
    let mut warnings = BTreeSet::new();
    let mut policies: BTreeMap<(usize, Side), PolicyAcc> = BTreeMap::new();
    let in_scope = |idx: usize| -> bool {
        match &agg.identities[idx].identity {
            Identity::Workload { namespace, .. } => {
                opts.namespaces.is_empty() || opts.namespaces.iter().any(|n| n == namespace)
            }
            _ => false,
        }
    };
    for f in &agg.flows {
        if f.is_reply || !f.verdict.is_allowed_traffic() {
            out.ignored_tuples += 1;
            continue;
        }
        let src = &agg.identities[f.source];
        let dst = &agg.identities[f.destination];
        let describe = || {
            format!(
                "{} -> {} {}",
                src.display,
                dst.display,
                port_text(f.protocol, f.port)
            )
        };
        if f.protocol == Protocol::None {
            warnings.insert(format!(
                "{}: no L4 information in the flows; no rule",
                describe()
            ));
            continue;
        }
        if matches!(f.protocol, Protocol::Icmp | Protocol::IcmpV6)
            && opts.flavor == Flavor::Kubernetes
        {
            warnings.insert(format!(
                "{}: NetworkPolicy cannot express ICMP; no rule",
                describe()
            ));
            continue;
        }
        let mut used = false;
        for side in [Side::Ingress, Side::Egress] {
            let (own, peer) = match side {
                Side::Ingress if opts.directions.ingress() => (f.destination, f.source),
                Side::Egress if opts.directions.egress() => (f.source, f.destination),
                _ => continue,
            };
            if !in_scope(own) {
                continue;
            }
            if let Identity::Workload { labels, .. } = &agg.identities[own].identity
                && labels.is_empty()
            {
                warnings.insert(format!(
                    "{}: the flows carry no labels for {}, so no selector can pick it; no {} rule",
                    describe(),
                    agg.identities[own].display,
                    if side == Side::Ingress {
                        "ingress"
                    } else {
                        "egress"
                    }
                ));
                continue;
            }
            let acc = policies.entry((own, side)).or_default();
            if side == Side::Egress
                && is_kube_dns_traffic(agg, f.destination, f.protocol, f.port, agg.l7(f))
            {
                acc.dns.get_or_insert_with(Evidence::default).add(
                    f.count,
                    f.first_seen,
                    f.last_seen,
                );
                acc.evidence.add(f.count, f.first_seen, f.last_seen);
                used = true;
                continue;
            }
            let peer = match map_peer(agg, peer, side, opts) {
                Ok(p) => p,
                Err(why) => {
                    warnings.insert(format!("{}: {why}; no rule", describe()));
                    continue;
                }
            };
            let rules = acc.peers.entry(peer).or_default();
            let http = rules
                .ports
                .entry(PortKey {
                    protocol: f.protocol,
                    port: f.port,
                })
                .or_default();
            if let (L7Key::Http { method, path }, Flavor::Cilium, Some(_)) =
                (agg.l7(f), opts.flavor, f.port)
            {
                http.insert((method.clone(), path.clone()));
            }
            rules.evidence.add(f.count, f.first_seen, f.last_seen);
            acc.evidence.add(f.count, f.first_seen, f.last_seen);
            used = true;
        }
        if used {
            out.used_tuples += 1;
        }
    }
    // Cilium: toFQDNs only work through the DNS proxy, which needs a DNS rule.
    if opts.flavor == Flavor::Cilium {
        for ((_, side), acc) in policies.iter_mut() {
            if *side == Side::Egress
                && acc.dns.is_none()
                && acc.peers.keys().any(|p| matches!(p, Peer::Fqdn(_)))
            {
                acc.dns = Some(Evidence::default());
            }
        }
    }
    for ((own, side), acc) in &policies {
        if acc.peers.is_empty() && acc.dns.is_none() {
            continue;
        }
        let policy = match opts.flavor {
            Flavor::Kubernetes => kubernetes_policy(agg, *own, *side, acc),
            Flavor::Cilium => cilium_policy(agg, *own, *side, acc),
        };
        out.policies.push(policy);
    }
    out.policies
        .sort_by(|a, b| (a.namespace(), a.name()).cmp(&(b.namespace(), b.name())));
    out.warnings = warnings.into_iter().collect();
    out
}

fn port_text(protocol: Protocol, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{p}/{protocol}"),
        None => format!("any/{protocol}"),
    }
}

/// Traffic that the canonical kube-dns rule covers: to a kube-dns pod on
/// port 53 (or DNS requests whose port was masked out).
fn is_kube_dns_traffic(
    agg: &Aggregates,
    dst: usize,
    protocol: Protocol,
    port: Option<u16>,
    l7: &L7Key,
) -> bool {
    let is_kube_dns = match &agg.identities[dst].identity {
        Identity::Workload { namespace, labels } => {
            namespace == KUBE_DNS_NAMESPACE
                && labels.get(KUBE_DNS_LABEL.0).map(String::as_str) == Some(KUBE_DNS_LABEL.1)
        }
        _ => false,
    };
    is_kube_dns
        && matches!(protocol, Protocol::Udp | Protocol::Tcp)
        && (port == Some(53) || (port.is_none() && matches!(l7, L7Key::Dns { .. })))
}

fn map_peer(
    agg: &Aggregates,
    peer: usize,
    side: Side,
    opts: &GenerateOptions,
) -> Result<Peer, String> {
    let cidr = |ip: IpAddr| -> Peer {
        let prefix = match ip {
            IpAddr::V4(_) => opts.ipv4_prefix.min(32),
            IpAddr::V6(_) => opts.ipv6_prefix.min(128),
        };
        Peer::Cidr(IpNet::new(ip, prefix).expect("prefix within range").trunc())
    };
    let info = &agg.identities[peer];
    match (&info.identity, opts.flavor) {
        (Identity::Workload { labels, .. }, _) => {
            if labels.is_empty() {
                Err(format!("the flows carry no labels for peer {}", info.display))
            } else {
                Ok(Peer::Workload(peer))
            }
        }
        (Identity::External { ip }, Flavor::Cilium) if side == Side::Egress => match agg.dns_names.get(ip) {
            Some(names) if !names.is_empty() => Ok(Peer::Fqdn(names.clone())),
            _ => Ok(cidr(*ip)),
        },
        (Identity::External { ip }, _) => Ok(cidr(*ip)),
        (Identity::Reserved { entity, .. }, Flavor::Cilium) => Ok(Peer::Entity(*entity)),
        (Identity::Reserved { entity: ReservedEntity::World, ip: None }, Flavor::Kubernetes) => Err(
            "the flows carry no address for this world peer, and an ipBlock of 0.0.0.0/0 would also admit pods \
             (where ipBlock matches pod IPs); add an ipBlock for the real range by hand"
                .to_string(),
        ),
        (Identity::Reserved { ip: Some(ip), .. }, Flavor::Kubernetes) => Ok(Peer::Cidr(IpNet::from(*ip))),
        (Identity::Reserved { entity, ip: None }, Flavor::Kubernetes) => Err(format!(
            "NetworkPolicy can only name reserved:{entity} by address, and the flows carry none"
        )),
        (Identity::Unknown { ip: Some(ip) }, _) => Ok(cidr(*ip)),
        (Identity::Unknown { ip: None }, _) => Err("the peer has neither labels nor address".to_string()),
    }
}

/// A selector for exactly one observed workload: its labels, minus other
/// observed workloads of its namespace whose labels are a strict superset.
fn workload_selector(
    agg: &Aggregates,
    idx: usize,
    cilium_namespace: Option<&str>,
) -> LabelSelector {
    let Identity::Workload { namespace, labels } = &agg.identities[idx].identity else {
        return LabelSelector::default();
    };
    let mut excluded = BTreeSet::new();
    for other in &agg.identities {
        if let Identity::Workload {
            namespace: ons,
            labels: olabels,
        } = &other.identity
            && ons == namespace
            && olabels.len() > labels.len()
            && labels.iter().all(|(k, v)| olabels.get(k) == Some(v))
            && let Some(extra) = olabels.keys().find(|k| !labels.contains_key(*k))
        {
            excluded.insert(extra.clone());
        }
    }
    let mut match_labels: BTreeMap<String, String> = labels.clone();
    if let Some(ns) = cilium_namespace {
        match_labels.insert(CILIUM_NAMESPACE_LABEL.to_string(), ns.to_string());
    }
    LabelSelector {
        match_labels: Some(match_labels),
        match_expressions: (!excluded.is_empty()).then(|| {
            excluded
                .into_iter()
                .map(|key| LabelSelectorRequirement {
                    key,
                    operator: "DoesNotExist".to_string(),
                    values: None,
                })
                .collect()
        }),
    }
}

fn namespace_of(agg: &Aggregates, idx: usize) -> &str {
    agg.identities[idx].identity.namespace().unwrap_or("")
}

fn metadata(
    agg: &Aggregates,
    own: usize,
    side: Side,
    acc: &PolicyAcc,
    rule_lines: Vec<String>,
) -> ObjectMeta {
    let info = &agg.identities[own];
    let suffix = match side {
        Side::Ingress => "ingress",
        Side::Egress => "egress",
    };
    let mut annotations = BTreeMap::new();
    annotations.insert(
        SOURCE_ANNOTATION.to_string(),
        format!(
            "palisade generate: {} observed {suffix} flows of {}",
            acc.evidence.describe(),
            info.display
        ),
    );
    annotations.insert(RULES_ANNOTATION.to_string(), rule_lines.join("\n"));
    ObjectMeta {
        name: Some(format!("{}-{suffix}", info.name)),
        namespace: Some(namespace_of(agg, own).to_string()),
        annotations: Some(annotations),
        ..ObjectMeta::default()
    }
}

fn peer_text(agg: &Aggregates, peer: &Peer) -> String {
    match peer {
        Peer::Workload(i) => agg.identities[*i].display.clone(),
        Peer::Entity(e) => format!("entity {e}"),
        Peer::Fqdn(names) => names.iter().cloned().collect::<Vec<_>>().join(","),
        Peer::Cidr(net) => net.to_string(),
    }
}

fn ports_text(ports: &BTreeMap<PortKey, BTreeSet<(String, String)>>) -> String {
    ports
        .iter()
        .map(|(k, http)| {
            let mut s = port_text(k.protocol, k.port);
            if !http.is_empty() {
                s.push_str(&format!(" ({} HTTP)", http.len()));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn kubernetes_policy(agg: &Aggregates, own: usize, side: Side, acc: &PolicyAcc) -> Policy {
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
        lines.push(format!(
            "{dir}[{}] DNS to kube-system/kube-dns 53/UDP+TCP: {}",
            peers_rules.len(),
            dns.describe()
        ));
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

fn match_labels<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        match_expressions: None,
    }
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

fn cilium_policy(agg: &Aggregates, own: usize, side: Side, acc: &PolicyAcc) -> Policy {
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
            "needed for the toFQDNs rules (no DNS flows seen)".to_string()
        } else {
            dns.describe()
        };
        lines.push(format!(
            "{dir}[0] DNS to kube-system/kube-dns 53/UDP+TCP via DNS proxy: {why}"
        ));
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

/// Multi-document YAML (`---` between documents), in canonical order: what
/// `palisade generate` prints.
pub fn to_yaml(policies: &[Policy]) -> String {
    crate::yaml::emit_policies(policies)
}
