//! The reachability engine: "can A reach B on this port, and why?".
//!
//! [`Engine::new`] compiles a set of policies against a [`Cluster`]: every
//! selector is evaluated once per distinct label set and every peer becomes a
//! bitset over the cluster's endpoints. Then
//!
//! - [`Engine::verdict`] answers one connection with its reasons
//!   ([`Verdict`], plain data, plus [`Verdict::explain`] in words);
//! - [`Engine::truth_table`] answers every pair on a list of ports at once
//!   ([`TruthTable`], one bit per pair and port), grouping endpoints that
//!   share the same policies so no pair is evaluated against every policy;
//! - [`by_namespace`] sums a table up per (source, destination) namespace
//!   pair: how many of its pod pairs are allowed.
//!
//! ```
//! use std::collections::BTreeMap;
//! use policy_core::cluster::{Cluster, PodInfo};
//! use policy_core::engine::{Engine, PortKey};
//! use policy_core::model::{NetworkPolicy, Policy};
//!
//! let mut cluster = Cluster::new();
//! let labels = |app: &str| BTreeMap::from([("app".to_string(), app.to_string())]);
//! let web = cluster.add_pod(PodInfo::new("shop", "web", labels("web")));
//! let db = cluster.add_pod(PodInfo::new("shop", "db", labels("db")));
//! let np: NetworkPolicy = serde_yaml::from_str(
//!     "metadata: {name: db, namespace: shop}
//! spec:
//!   podSelector: {matchLabels: {app: db}}
//!   ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]",
//! )
//! .unwrap();
//! let engine = Engine::new(&cluster, &[Policy::NetworkPolicy(np)]);
//! let v = engine.verdict(web, db, PortKey::tcp(5432));
//! assert!(v.allowed);
//! assert_eq!(v.ingress.allowed_by[0].rule, "spec.ingress[0]");
//! assert!(!engine.verdict(db, db, PortKey::tcp(80)).allowed);
//! let table = engine.truth_table(&engine.policy_ports());
//! assert!(table.allowed(0, web, db) && !table.allowed(0, db, db));
//! println!("{}", v.explain());
//! ```
//!
//! A connection is allowed iff egress is allowed at the source AND ingress is
//! allowed at the destination. On each side: a Cilium deny rule that matches
//! denies; otherwise an endpoint that no policy isolates in that direction
//! allows; otherwise some allow rule of some selecting policy (Kubernetes or
//! Cilium: the union) must match the peer and the port.

pub mod bitset;
mod compile;
pub mod connlist;
pub mod connset;
pub mod icmp;
pub mod namespaces;
pub mod port;
pub mod probe;
pub mod selector;
mod table;
pub mod verdict;

#[cfg(feature = "reference")]
#[doc(hidden)]
pub mod reference;

use std::collections::BTreeSet;

pub use connset::{ConnSet, Connections};
pub use icmp::{IcmpKey, IcmpSide, IcmpVerdict};
pub use namespaces::{NamespaceCell, NamespaceTable, by_namespace};
pub use port::{PortKey, PortKeyError, Protocol};
pub use probe::ProbeScope;
pub use table::{BitMatrix, TruthTable};
pub use verdict::{Direction, PolicyRef, RuleMatch, SideVerdict, Verdict};

use compile::{Compiled, dir_index};

use crate::cluster::{Cluster, Endpoint, EndpointId, ReservedEntity};
use crate::model::Policy;
use bitset::BitSet;
use port::{PortSpec, ProtoMatch};

/// Policies compiled against a cluster.
#[derive(Clone, Debug)]
pub struct Engine {
    cluster: Cluster,
    compiled: Compiled,
    /// Per direction, per endpoint: the groups selecting it.
    selecting: [Vec<Vec<u32>>; 2],
}

impl Engine {
    /// Compiles `policies` against `cluster` (which is copied).
    pub fn new(cluster: &Cluster, policies: &[Policy]) -> Engine {
        let compiled = compile::compile(cluster, policies);
        let n = cluster.endpoint_count();
        let mut selecting: [Vec<Vec<u32>>; 2] = [vec![Vec::new(); n], vec![Vec::new(); n]];
        for (g, group) in compiled.groups.iter().enumerate() {
            for (d, per_endpoint) in selecting.iter_mut().enumerate() {
                let relevant =
                    group.isolates[d] || !group.rules[d].is_empty() || group.requires[d].is_some();
                if relevant {
                    for e in group.selected.iter() {
                        per_endpoint[e].push(g as u32);
                    }
                }
            }
        }
        Engine {
            cluster: cluster.clone(),
            compiled,
            selecting,
        }
    }

    /// The cluster the engine runs on.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Remarks about policy parts the engine does not model (host policies,
    /// `toServices`, CIDR groups, …) and rules it ignores, in words.
    pub fn notes(&self) -> &[String] {
        &self.compiled.notes
    }

    /// The policies, as referenced in verdicts.
    pub fn policies(&self) -> &[PolicyRef] {
        &self.compiled.policies
    }

    /// Whether `from` can reach `to` on `port` (same answer as
    /// [`Engine::verdict`], without building reasons).
    pub fn is_allowed(&self, from: EndpointId, to: EndpointId, port: PortKey) -> bool {
        self.side(Direction::Egress, from, to, port, false).allowed
            && self.side(Direction::Ingress, to, from, port, false).allowed
    }

    /// The verdict for one connection, with reasons.
    pub fn verdict(&self, from: EndpointId, to: EndpointId, port: PortKey) -> Verdict {
        let egress = self.side(Direction::Egress, from, to, port, true);
        let ingress = self.side(Direction::Ingress, to, from, port, true);
        Verdict {
            from: self.cluster.endpoint_name(from),
            to: self.cluster.endpoint_name(to),
            port,
            allowed: egress.allowed && ingress.allowed,
            egress,
            ingress,
        }
    }

    /// Every port the policies name: numbers (both ends of a range), named
    /// ports resolved against the cluster's container ports, `ANY` as TCP,
    /// UDP and SCTP. Sorted.
    pub fn policy_ports(&self) -> Vec<PortKey> {
        let mut out = BTreeSet::new();
        let protos = |p: ProtoMatch| -> Vec<Protocol> {
            match p {
                ProtoMatch::One(p) => vec![p],
                ProtoMatch::Any => Protocol::ALL.to_vec(),
                ProtoMatch::Other => Vec::new(),
            }
        };
        // Container ports by name, built once.
        let mut by_name: std::collections::HashMap<&str, BTreeSet<PortKey>> = Default::default();
        for pod in &self.cluster.pods {
            for cp in &pod.ports {
                if let Some(name) = &cp.name {
                    by_name
                        .entry(name.as_str())
                        .or_default()
                        .insert(PortKey::new(cp.port, cp.protocol));
                }
            }
        }
        let mut seen: std::collections::HashSet<&PortSpec> = Default::default();
        for rule in &self.compiled.rules {
            for clause in &rule.ports {
                if !seen.insert(&clause.spec) {
                    continue;
                }
                match &clause.spec {
                    PortSpec::Range {
                        start: 1,
                        end: 65535,
                        ..
                    }
                    | PortSpec::All
                    | PortSpec::Nothing => {}
                    PortSpec::Range { start, end, proto } => {
                        for p in protos(*proto) {
                            out.insert(PortKey::new(*start, p));
                            out.insert(PortKey::new(*end, p));
                        }
                    }
                    PortSpec::Named { name, proto } => {
                        for k in by_name.get(name.as_str()).into_iter().flatten() {
                            if proto.matches(k.protocol) {
                                out.insert(*k);
                            }
                        }
                    }
                }
            }
        }
        out.into_iter().collect()
    }

    /// The ports to probe `to` on: a pod's container ports, or for an
    /// external endpoint (or a pod with no declared port) the ports the
    /// policies name.
    pub fn probe_ports(&self, to: EndpointId) -> Vec<PortKey> {
        if let Some(pod) = self.cluster.pod(to) {
            let ports: BTreeSet<PortKey> = pod
                .ports
                .iter()
                .map(|cp| PortKey::new(cp.port, cp.protocol))
                .collect();
            if !ports.is_empty() {
                return ports.into_iter().collect();
            }
        }
        self.policy_ports()
    }

    /// Evaluates one side: `dir` at `subject` for traffic with `peer`.
    fn side(
        &self,
        dir: Direction,
        subject: EndpointId,
        peer: EndpointId,
        key: PortKey,
        explain: bool,
    ) -> SideVerdict {
        let d = dir_index(dir);
        let mut v = SideVerdict {
            direction: dir,
            endpoint: if explain {
                self.cluster.endpoint_name(subject)
            } else {
                String::new()
            },
            policed: true,
            isolated: false,
            isolated_by: Vec::new(),
            allowed_by: Vec::new(),
            denied_by: Vec::new(),
            allowed: true,
            notes: Vec::new(),
        };
        match self.cluster.endpoint(subject) {
            Endpoint::External(_) => {
                v.policed = false;
                if explain {
                    v.notes
                        .push("addresses outside the cluster are not subject to policy".into());
                }
                return v;
            }
            Endpoint::Pod(p) if let Some(entity) = p.reserved => {
                v.policed = false;
                if explain {
                    v.notes.push(reserved_not_policed(entity).into());
                }
                return v;
            }
            Endpoint::Pod(p) if p.host_network => {
                v.policed = false;
                if explain {
                    v.notes
                        .push("host-network pod: pod selectors never select it".into());
                }
                return v;
            }
            Endpoint::Pod(_) => {}
        }
        let groups = &self.selecting[d][subject.0];
        // Cilium requirements of every selecting rule.
        let mut requires: Option<BitSet> = None;
        for &g in groups {
            let group = &self.compiled.groups[g as usize];
            if group.isolates[d] {
                v.isolated = true;
                let p = &self.compiled.policies[group.policy];
                if !v.isolated_by.contains(p) {
                    v.isolated_by.push(p.clone());
                }
            }
            if let Some(r) = &group.requires[d] {
                match &mut requires {
                    Some(acc) => acc.intersect_with(r),
                    None => requires = Some(r.clone()),
                }
            }
        }
        // Which endpoint's container ports resolve named ports.
        let dst = match dir {
            Direction::Ingress => subject,
            Direction::Egress => peer,
        };
        let dst_ports = self
            .cluster
            .pod(dst)
            .filter(|p| p.selectable())
            .map(|p| p.ports.as_slice());
        let mut excluded_by_requires = false;
        for &g in groups {
            let group = &self.compiled.groups[g as usize];
            for &r in &group.rules[d] {
                let rule = &self.compiled.rules[r];
                let Some(clause) = rule.ports.iter().find(|c| c.spec.matches(key, dst_ports))
                else {
                    continue;
                };
                let Some((peer_index, peer_desc, mut conditions)) =
                    self.match_peer(rule, subject, peer, explain)
                else {
                    continue;
                };
                if !rule.deny
                    && group.cilium
                    && requires.as_ref().is_some_and(|req| !req.contains(peer.0))
                {
                    excluded_by_requires = true;
                    continue;
                }
                if !explain {
                    if rule.deny {
                        v.denied_by.push(self.bare_match(rule));
                        break;
                    }
                    v.allowed_by.push(self.bare_match(rule));
                    continue;
                }
                if let Some(l7) = &clause.l7 {
                    conditions.push(l7.clone());
                }
                let m = RuleMatch {
                    policy: self.compiled.policies[group.policy].clone(),
                    rule: rule.path.clone(),
                    rule_index: rule.index,
                    peer_index,
                    peer: peer_desc,
                    port: match &clause.spec {
                        PortSpec::Named { .. } => format!(
                            "{} (= {key} on {})",
                            clause.spec.describe(),
                            self.cluster.endpoint_name(dst)
                        ),
                        s => s.describe(),
                    },
                    conditions,
                };
                if rule.deny {
                    v.denied_by.push(m)
                } else {
                    v.allowed_by.push(m)
                }
            }
        }
        v.allowed = v.denied_by.is_empty() && (!v.isolated || !v.allowed_by.is_empty());
        if explain {
            if excluded_by_requires {
                v.notes.push(format!(
                    "a Cilium {} requirement excludes this peer",
                    if dir == Direction::Ingress {
                        "fromRequires"
                    } else {
                        "toRequires"
                    }
                ));
            }
            if !v.allowed && v.denied_by.is_empty() {
                self.near_misses(&mut v, d, groups, peer);
            }
        }
        v
    }

    fn bare_match(&self, rule: &compile::Rule) -> RuleMatch {
        RuleMatch {
            policy: self.compiled.policies[self.compiled.groups[rule.group].policy].clone(),
            rule: String::new(),
            rule_index: rule.index,
            peer_index: None,
            peer: String::new(),
            port: String::new(),
            conditions: Vec::new(),
        }
    }

    /// The first peer of `rule` matching `peer` (for `subject`): its index,
    /// description and conditions. `None` when no peer matches.
    fn match_peer(
        &self,
        rule: &compile::Rule,
        subject: EndpointId,
        peer: EndpointId,
        explain: bool,
    ) -> Option<(Option<usize>, String, Vec<String>)> {
        let Some(peers) = &rule.peers else {
            return Some((None, "any (the rule names no peer)".into(), Vec::new()));
        };
        for p in peers {
            let hit = match p.node {
                Some(rel) => self.compiled.node_contains(rel, subject.0, peer.0),
                None => p.set.contains(peer.0),
            };
            if !hit {
                continue;
            }
            let mut conditions = p.conditions.clone();
            if explain
                && let (Some(c), Some(pod)) = (&p.cidr, self.cluster.pod(peer))
                && let Some(ip) = pod.addresses().into_iter().find(|ip| c.contains(*ip))
            {
                let what = if pod.host_network {
                    "node IP"
                } else if pod.reserved.is_some() {
                    "address"
                } else {
                    "pod IP"
                };
                conditions.push(format!(
                    "ipBlock matched {what} {ip} of {} (ipBlock matches in-cluster IPs, as the upstream Kubernetes e2e suite asserts)",
                    self.cluster.endpoint_name(peer)
                ));
            }
            return Some((Some(p.index), p.describe.clone(), conditions));
        }
        None
    }

    /// Notes for ipBlocks that contain the peer's IP but do not match it
    /// because of the Cilium-like option.
    fn near_misses(&self, v: &mut SideVerdict, d: usize, groups: &[u32], peer: EndpointId) {
        let Some(pod) = self.cluster.pod(peer) else {
            return;
        };
        for &g in groups {
            for &r in &self.compiled.groups[g as usize].rules[d] {
                for p in self.compiled.rules[r].peers.iter().flatten() {
                    if let Some(c) = &p.cidr
                        && !c.matches_pods
                        && pod.addresses().into_iter().any(|ip| c.contains(ip))
                    {
                        {
                            let why = if c.ip_block {
                                "ipBlock matches no in-cluster IP under the Cilium-like cluster option"
                            } else {
                                "Cilium CIDR rules never match in-cluster endpoints"
                            };
                            v.notes.push(format!(
                                "{} {} contains an address of {} but does not match it: {why}",
                                self.compiled.policies[self.compiled.groups[g as usize].policy]
                                    .describe(),
                                p.describe,
                                self.cluster.endpoint_name(peer)
                            ));
                        }
                    }
                }
            }
        }
    }

    /// The truth table over every endpoint pair for each of `ports`.
    pub fn truth_table(&self, ports: &[PortKey]) -> TruthTable {
        table::build(self, ports)
    }
}

/// Why a reserved identity is not itself subject to the policies.
fn reserved_not_policed(entity: ReservedEntity) -> &'static str {
    match entity {
        ReservedEntity::Unmanaged => {
            "reserved:unmanaged: an endpoint Cilium does not manage (its labels are unknown), so no policy is enforced at it"
        }
        ReservedEntity::Health => {
            "reserved:health: Cilium's health endpoint; no pod or endpoint selector selects it"
        }
        ReservedEntity::Init => {
            "reserved:init: an endpoint whose identity is not resolved yet; no selector selects it"
        }
        ReservedEntity::Ingress => {
            "reserved:ingress: Cilium's ingress proxy; no pod or endpoint selector selects it"
        }
        ReservedEntity::KubeApiserver => {
            "reserved:kube-apiserver: the API server; no pod or endpoint selector selects it"
        }
        ReservedEntity::Host | ReservedEntity::RemoteNode => {
            "a node: pod and endpoint selectors never select it (host policies are not modelled)"
        }
        ReservedEntity::World => "addresses outside the cluster are not subject to policy",
    }
}
