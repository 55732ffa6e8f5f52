//! Least-privilege policies from aggregated flows.
//!
//! For every workload that received traffic, an ingress policy
//! (`<workload>-ingress`) allowing exactly the observed peers on the observed
//! ports; for every workload that sent traffic, an egress policy
//! (`<workload>-egress`). The flows that count are the requests whose
//! observed verdict [`GenerateOptions::verdicts`] asks for (FORWARDED, which
//! covers REDIRECTED, by default; DROPPED and AUDIT on request), and the
//! requests that observed replies answer when the capture missed them.
//!
//! - **Kubernetes** ([`kubernetes`]): `podSelector`; peers in other
//!   namespaces through `namespaceSelector` on `kubernetes.io/metadata.name`;
//!   addresses outside the cluster and node or health addresses as
//!   `ipBlock`; never the pod IP of an endpoint the flows show is a pod (an
//!   unmanaged pod gets no rule, and a warning says why).
//! - **Cilium** ([`cilium`]): `endpointSelector` and `from/toEndpoints` (with
//!   `k8s:io.kubernetes.pod.namespace` for peers in other namespaces),
//!   `from/toEntities` for reserved identities, `toCIDR` for addresses,
//!   `toFQDNs` for addresses that observed DNS answers named, `icmps`, and
//!   HTTP rules (method + path) from HTTP flows.
//! - **DNS**: every egress policy allows DNS to kube-dns (namespace
//!   `kube-system`, `k8s-app: kube-dns`) on UDP and TCP 53, through Cilium's
//!   DNS proxy in the Cilium flavor; DNS on port 53 to an endpoint without
//!   labels (unmanaged, unknown, a bare pod address) is written as that rule
//!   rather than an address, and the generated-rules annotation says why.
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

use crate::model::{LabelSelectorRequirement, NAMESPACE_NAME_LABEL};
use ipnet::IpNet;
use serde::Serialize;

use super::aggregate::{AggregatedFlow, Aggregates, L7Key};
use super::event::{Protocol, Verdict};
use super::identity::{Identity, ReservedEntity};
use super::timestamp::format_rfc3339;
use crate::engine::IcmpKey;
use crate::model::{LabelSelector, ObjectMeta, Policy};

mod cilium;
mod kubernetes;

use cilium::cilium_policy;
use kubernetes::kubernetes_policy;

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
    /// Which observed verdicts to allow (default FORWARDED, which also
    /// covers REDIRECTED: forwarded through Cilium's L7 proxy). With DROPPED
    /// or AUDIT, the policies allow what was dropped or audited too.
    pub verdicts: Vec<Verdict>,
}

impl GenerateOptions {
    /// Whether flows observed with `verdict` produce rules.
    pub fn admits(&self, verdict: Verdict) -> bool {
        self.verdicts.contains(&verdict)
            || (verdict == Verdict::Redirected && self.verdicts.contains(&Verdict::Forwarded))
    }
}

/// Reads a `--verdicts` list: `FORWARDED,DROPPED,AUDIT` (any case; also
/// REDIRECTED). An empty list is an error.
pub fn parse_verdicts(text: &str) -> Result<Vec<Verdict>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let v = match Verdict::parse_name(&part.to_ascii_uppercase()) {
            Some(
                v @ (Verdict::Forwarded | Verdict::Dropped | Verdict::Audit | Verdict::Redirected),
            ) => v,
            _ => {
                return Err(format!(
                    "unknown verdict `{part}`: write FORWARDED, DROPPED or AUDIT, separated by commas"
                ));
            }
        };
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if out.is_empty() {
        return Err(
            "no verdict given: write FORWARDED, DROPPED or AUDIT, separated by commas".into(),
        );
    }
    Ok(out)
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            flavor: Flavor::Kubernetes,
            directions: PolicyDirections::Both,
            namespaces: Vec::new(),
            ipv4_prefix: 32,
            ipv6_prefix: 128,
            verdicts: vec![Verdict::Forwarded],
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
    /// Distinct tuples skipped: replies, verdicts not asked for.
    pub ignored_tuples: u64,
    /// Distinct tuples where neither end is a workload a policy here could
    /// select (host, health, world, a workload outside `--namespace`, or
    /// the direction not asked for): no rule is theirs to carry.
    pub unselectable_tuples: u64,
    /// Why some observed traffic produced no rule (sorted, deduplicated).
    pub warnings: Vec<String>,
}

/// Annotation with the flows behind each rule.
pub const RULES_ANNOTATION: &str = "palisade.dev/generated-rules";
/// Annotation summarising the flows behind the policy.
pub const SOURCE_ANNOTATION: &str = "palisade.dev/generated-from";

const KUBE_DNS_NAMESPACE: &str = "kube-system";
const KUBE_DNS_LABEL: (&str, &str) = ("k8s-app", "kube-dns");
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
    /// Of `tuples`, requests inferred from their replies.
    inferred: u64,
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

    fn add_request(&mut self, r: &Request) {
        self.add(r.count, r.first_seen, r.last_seen);
        if r.inferred {
            self.inferred += 1;
        }
    }

    fn describe(&self) -> String {
        let mut s = format!(
            "{} flow{} ({} distinct{})",
            self.flows,
            if self.flows == 1 { "" } else { "s" },
            self.tuples,
            if self.inferred > 0 {
                format!(
                    ", {} inferred from replies whose request the capture missed",
                    self.inferred
                )
            } else {
                String::new()
            }
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
    /// Why DNS to endpoints without labels became the kube-dns rule.
    dns_notes: BTreeSet<String>,
    /// What an ipBlock of an in-cluster address means, per address.
    notes: BTreeSet<String>,
    evidence: Evidence,
}

/// What the user must know about an ipBlock for a reserved identity's
/// address: it is not a pod's, and matching it is up to the network plugin.
fn address_note(agg: &Aggregates, peer: usize) -> Option<&'static str> {
    match &agg.identities[peer].identity {
        Identity::Reserved {
            entity: ReservedEntity::Host,
            ..
        } => Some(
            "the address of a node (reserved:host). Kubernetes always allows traffic between a pod and the node it runs on; for other nodes, Cilium matches node addresses by ipBlock only with policy-cidr-match-mode=nodes",
        ),
        Identity::Reserved {
            entity: ReservedEntity::RemoteNode,
            ..
        } => Some(
            "the address of a node (reserved:remote-node). Cilium matches node addresses by ipBlock only with policy-cidr-match-mode=nodes; other plugins match it as written",
        ),
        Identity::Reserved {
            entity: ReservedEntity::Health,
            ..
        } => Some(
            "the address of Cilium's health endpoint (reserved:health), not a pod's; it changes when the Cilium agent restarts",
        ),
        _ => None,
    }
}

/// A request the policies must allow: an observed one, or the one an
/// observed reply answers when the capture missed it (connection tracking
/// only lets a reply through when its request was allowed).
struct Request {
    source: usize,
    destination: usize,
    protocol: Protocol,
    port: Option<u16>,
    /// Index into [`Aggregates::l7_keys`].
    l7: usize,
    count: u64,
    first_seen: Option<i64>,
    last_seen: Option<i64>,
    inferred: bool,
}

/// The request a reply answers: its protocol and destination port (the
/// reply's source port, or the ICMP request type).
fn request_of_reply(f: &AggregatedFlow) -> Option<(Protocol, Option<u16>)> {
    match f.protocol {
        Protocol::Icmp | Protocol::IcmpV6 => {
            let t = u8::try_from(f.port?).ok()?;
            let key = IcmpKey {
                v6: f.protocol == Protocol::IcmpV6,
                icmp_type: t,
            };
            key.request_of_reply()
                .map(|r| (f.protocol, Some(u16::from(r.icmp_type))))
        }
        p if p.has_ports() => f.source_port.map(|port| (p, Some(port))),
        _ => None,
    }
}

/// The requests to allow (see [`Request`]) and how many tuples were left
/// out (verdicts not asked for, replies whose request is known or cannot
/// be told).
fn requests(agg: &Aggregates, opts: &GenerateOptions) -> (Vec<Request>, u64) {
    let mut out = Vec::new();
    let mut ignored = 0;
    let observed: BTreeSet<(usize, usize, Protocol, Option<u16>)> = agg
        .flows
        .iter()
        .filter(|f| !f.is_reply && opts.admits(f.verdict))
        .map(|f| (f.source, f.destination, f.protocol, f.port))
        .collect();
    let mut inferred: BTreeMap<(usize, usize, Protocol, Option<u16>), usize> = BTreeMap::new();
    for f in &agg.flows {
        if !opts.admits(f.verdict) {
            ignored += 1;
            continue;
        }
        if !f.is_reply {
            out.push(Request {
                source: f.source,
                destination: f.destination,
                protocol: f.protocol,
                port: f.port,
                l7: f.l7,
                count: f.count,
                first_seen: f.first_seen,
                last_seen: f.last_seen,
                inferred: false,
            });
            continue;
        }
        let Some((protocol, port)) = request_of_reply(f) else {
            ignored += 1;
            continue;
        };
        let key = (f.destination, f.source, protocol, port);
        if observed.contains(&key) {
            ignored += 1;
            continue;
        }
        match inferred.get(&key) {
            Some(&i) => {
                let r: &mut Request = &mut out[i];
                r.count += f.count;
                r.first_seen = match (r.first_seen, f.first_seen) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                r.last_seen = match (r.last_seen, f.last_seen) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                ignored += 1;
            }
            None => {
                inferred.insert(key, out.len());
                out.push(Request {
                    source: f.destination,
                    destination: f.source,
                    protocol,
                    port,
                    l7: 0,
                    count: f.count,
                    first_seen: f.first_seen,
                    last_seen: f.last_seen,
                    inferred: true,
                });
            }
        }
    }
    (out, ignored)
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
    let (requests, ignored) = requests(agg, opts);
    out.ignored_tuples = ignored;
    for f in &requests {
        let l7 = &agg.l7_keys[f.l7];
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
        let mut selectable = false;
        for side in [Side::Ingress, Side::Egress] {
            let (own, peer) = match side {
                Side::Ingress if opts.directions.ingress() => (f.destination, f.source),
                Side::Egress if opts.directions.egress() => (f.source, f.destination),
                _ => continue,
            };
            if !in_scope(own) {
                continue;
            }
            selectable = true;
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
                && let Some(dns) = kube_dns_traffic(agg, f.destination, f.protocol, f.port, l7)
            {
                acc.dns.get_or_insert_with(Evidence::default).add_request(f);
                acc.evidence.add_request(f);
                used = true;
                match dns {
                    KubeDns::Labelled => continue,
                    KubeDns::Unlabelled(why) => {
                        acc.dns_notes.insert(why);
                        // Cilium can also name a server it does not manage,
                        // by entity, until the server is restarted.
                        if !(opts.flavor == Flavor::Cilium
                            && matches!(
                                agg.identities[f.destination].identity,
                                Identity::Reserved {
                                    entity: ReservedEntity::Unmanaged,
                                    ..
                                }
                            ))
                        {
                            continue;
                        }
                    }
                }
            }
            let peer_index = peer;
            let peer = match map_peer(agg, peer, side, opts) {
                Ok(p) => p,
                Err(why) => {
                    warnings.insert(format!("{}: {why}; no rule", describe()));
                    continue;
                }
            };
            if let (Peer::Cidr(net), Some(note)) = (&peer, address_note(agg, peer_index)) {
                acc.notes.insert(format!("{net}: {note}"));
            }
            let rules = acc.peers.entry(peer).or_default();
            let http = rules
                .ports
                .entry(PortKey {
                    protocol: f.protocol,
                    port: f.port,
                })
                .or_default();
            if let (L7Key::Http { method, path }, Flavor::Cilium, Some(_)) =
                (l7, opts.flavor, f.port)
            {
                // Cilium applies HTTP rules on TCP only (its validation
                // refuses them on other protocols).
                if f.protocol == Protocol::Tcp {
                    http.insert((method.clone(), path.clone()));
                } else {
                    warnings.insert(format!(
                        "{}: HTTP seen over {}; Cilium's HTTP rules apply to TCP only, so the rule allows the port without them",
                        describe(),
                        f.protocol.as_str()
                    ));
                }
            }
            rules.evidence.add_request(f);
            acc.evidence.add_request(f);
            used = true;
        }
        if used {
            out.used_tuples += 1;
        } else if !selectable {
            out.unselectable_tuples += 1;
        }
    }
    // Every egress policy keeps DNS to kube-dns: a pod whose egress is
    // restricted resolves no name without it (lint PA001), and Cilium's
    // toFQDNs only work through the DNS proxy, which needs the DNS rule.
    for ((_, side), acc) in policies.iter_mut() {
        if *side == Side::Egress && acc.dns.is_none() && !acc.peers.is_empty() {
            acc.dns = Some(Evidence::default());
            let why = if acc.peers.keys().any(|p| matches!(p, Peer::Fqdn(_))) {
                "no DNS flows seen: added because toFQDNs rules only match names resolved through Cilium's DNS proxy"
            } else {
                "no DNS flows seen: added so that the pod can still resolve names once its egress is restricted"
            };
            acc.dns_notes.insert(why.to_string());
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

/// How DNS traffic maps onto the kube-dns rule.
enum KubeDns {
    /// To a kube-dns pod.
    Labelled,
    /// To an endpoint with no labels to select (unmanaged, unknown, a bare
    /// address in the cluster), why it became the kube-dns rule.
    Unlabelled(String),
}

/// Traffic that the canonical kube-dns rule covers: on port 53 (or DNS
/// requests whose port was masked out), to a kube-dns pod, or to an
/// endpoint without labels that a selector could pick: pinning its address
/// would break when the DNS pod restarts, and the cluster DNS is what a pod
/// asks on port 53.
fn kube_dns_traffic(
    agg: &Aggregates,
    dst: usize,
    protocol: Protocol,
    port: Option<u16>,
    l7: &L7Key,
) -> Option<KubeDns> {
    let dns = matches!(protocol, Protocol::Udp | Protocol::Tcp)
        && (port == Some(53) || (port.is_none() && matches!(l7, L7Key::Dns { .. })));
    if !dns {
        return None;
    }
    let info = &agg.identities[dst];
    match &info.identity {
        Identity::Workload { namespace, labels } => {
            if namespace == KUBE_DNS_NAMESPACE
                && labels.get(KUBE_DNS_LABEL.0).map(String::as_str) == Some(KUBE_DNS_LABEL.1)
            {
                Some(KubeDns::Labelled)
            } else if labels.is_empty() {
                Some(KubeDns::Unlabelled(format!(
                    "DNS to {} (a pod the flows give no labels for) is written as the kube-dns rule rather than its pod IP, which changes when it restarts",
                    info.display
                )))
            } else {
                None
            }
        }
        Identity::Reserved {
            entity: ReservedEntity::Unmanaged,
            ..
        } => Some(KubeDns::Unlabelled(format!(
            "DNS to {} (a pod Cilium does not manage, such as CoreDNS started before Cilium, so it has no labels) is written as the kube-dns rule rather than its pod IP, which changes when it restarts",
            info.display
        ))),
        Identity::Unknown { .. } => Some(KubeDns::Unlabelled(format!(
            "DNS to {} (an address the flows give no labels for) is written as the kube-dns rule rather than the address",
            info.display
        ))),
        _ => None,
    }
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
        (Identity::External { ip }, Flavor::Cilium) if side == Side::Egress => {
            // Only names Cilium accepts in `matchName` (a damaged log can
            // hold others); without one, the address.
            let names: BTreeSet<String> = agg
                .dns_names
                .get(ip)
                .into_iter()
                .flatten()
                .filter(|name| crate::validate::cilium::is_match_name(name))
                .cloned()
                .collect();
            if names.is_empty() {
                Ok(cidr(*ip))
            } else {
                Ok(Peer::Fqdn(names))
            }
        }
        (Identity::External { ip }, _) => Ok(cidr(*ip)),
        (Identity::Reserved { entity, .. }, Flavor::Cilium) => Ok(Peer::Entity(*entity)),
        (Identity::Reserved { entity: ReservedEntity::World, ip: None }, Flavor::Kubernetes) => Err(
            "the flows carry no address for this world peer, and an ipBlock of 0.0.0.0/0 would also admit pods \
             (where ipBlock matches pod IPs); add an ipBlock for the real range by hand"
                .to_string(),
        ),
        (Identity::Reserved { entity: ReservedEntity::Unmanaged, ip }, Flavor::Kubernetes) => Err(format!(
            "reserved:unmanaged{} is a pod Cilium does not manage and the flows carry no labels for it; \
             its pod IP is not pinned in an ipBlock (it changes when the pod restarts): restart the pod so Cilium \
             manages it and capture again, or use --flavor cilium (entity unmanaged)",
            ip.map(|ip| format!("@{ip}")).unwrap_or_default()
        )),
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
    let mut rule_lines = rule_lines;
    rule_lines.extend(acc.notes.iter().map(|n| format!("note: {n}")));
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

/// Multi-document YAML (`---` between documents), in canonical order: what
/// `palisade generate` prints.
pub fn to_yaml(policies: &[Policy]) -> String {
    crate::yaml::emit_policies(policies)
}
