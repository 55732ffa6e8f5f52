//! The connection list: for every ordered pair of endpoints, the exact set
//! of allowed connections, in netpol-analyzer's `connlist` form
//! (`SRC => DST : CONNS`).
//!
//! - Endpoints are pods (`ns/name[Pod]`), workloads (`ns/name[Kind]`, from
//!   [`PodInfo::owner`] or inferred from a pod name's stem) or address
//!   ranges (`a.b.c.d-e.f.g.h[External]`, as netpol-analyzer writes them).
//!   As in netpol-analyzer, sources and destinations are partitioned apart
//!   ([`Engine::address_partitions`]): a range as a source is a piece of the
//!   partition that the ingress rules' CIDRs (and their exceptions) induce,
//!   a range as a destination one of the egress rules' partition; only
//!   ingress rules can tell two sources outside the cluster apart, only
//!   egress rules two destinations.
//! - Pods that no policy can tell apart (in exactly the same compiled
//!   endpoint sets, with the same container ports, host networking and,
//!   where node-relative entities are used, node) form one equivalence
//!   class; each pair of classes is computed once. A workload whose pods
//!   fall in several classes is split, never merged.
//! - [`ConnList::for_each`] walks the pairs in name order and hands out each
//!   line as it is computed; results are kept per pair of classes in a
//!   cache of bounded size, so memory does not grow with the number of
//!   pairs.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Engine;
use super::Protocol;
use super::compile::dir_index;
use super::connset::{Connections, SideRules, SideSet};
use super::verdict::Direction;
use crate::cluster::{Cluster, Endpoint, EndpointId, Owner, PodInfo};

/// How endpoints are grouped in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// One line per pod (`ns/name[Pod]`).
    Pod,
    /// One line per workload (`ns/name[Kind]`); pods without an owner keep
    /// their own line unless their name has a Deployment's or StatefulSet's
    /// stem.
    Workload,
    /// A summary per namespace pair (see [`NamespaceSummary`]).
    Namespace,
}

/// A contiguous range of addresses outside the cluster that every CIDR of
/// the policies either contains whole or not at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddressRange {
    /// First address.
    pub start: IpAddr,
    /// Last address.
    pub end: IpAddr,
}

/// The kind netpol-analyzer appends to an address range in its connlist
/// (`0.0.0.0-9.255.255.255[External]`).
pub const EXTERNAL_KIND: &str = "[External]";

impl fmt::Display for AddressRange {
    /// `0.0.0.0-9.255.255.255`: first and last address (the connlist adds
    /// [`EXTERNAL_KIND`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Splits `[0, max]` at every boundary in `cuts` (each the first address of
/// a new range).
fn partition(mut cuts: Vec<u128>, max: u128) -> Vec<(u128, u128)> {
    cuts.retain(|c| *c > 0 && *c <= max);
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0u128;
    for c in cuts {
        out.push((start, c - 1));
        start = c;
    }
    out.push((start, max));
    out
}

/// The address ranges of a connection list: the partition of the address
/// space that the ingress rules' CIDRs induce (the ranges written as
/// sources) and the egress rules' (the ranges written as destinations).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressPartitions {
    /// Ranges as sources, sorted: each is matched by exactly the same
    /// ingress peers.
    pub sources: Vec<AddressRange>,
    /// Ranges as destinations, sorted: each is matched by exactly the same
    /// egress peers.
    pub destinations: Vec<AddressRange>,
}

/// The cut points (first addresses of new ranges) that CIDRs make, IPv4
/// and IPv6 apart, and whether any CIDR is IPv6.
#[derive(Default)]
struct Cuts {
    v4: Vec<u128>,
    v6: Vec<u128>,
    any_v6: bool,
}

impl Cuts {
    fn add(&mut self, net: &ipnet::IpNet) {
        match net {
            ipnet::IpNet::V4(n) => {
                self.v4.push(u128::from(u32::from(n.network())));
                self.v4.push(u128::from(u32::from(n.broadcast())) + 1);
            }
            ipnet::IpNet::V6(n) => {
                self.any_v6 = true;
                self.v6.push(u128::from(n.network()));
                if let Some(next) = u128::from(n.broadcast()).checked_add(1) {
                    self.v6.push(next);
                }
            }
        }
    }

    /// IPv4 always (the whole space when no CIDR is IPv4), IPv6 only when
    /// some CIDR is.
    fn ranges(self) -> Vec<AddressRange> {
        let mut out: Vec<AddressRange> = partition(self.v4, u128::from(u32::MAX))
            .into_iter()
            .map(|(a, b)| AddressRange {
                start: IpAddr::V4(Ipv4Addr::from(a as u32)),
                end: IpAddr::V4(Ipv4Addr::from(b as u32)),
            })
            .collect();
        if self.any_v6 {
            out.extend(
                partition(self.v6, u128::MAX)
                    .into_iter()
                    .map(|(a, b)| AddressRange {
                        start: IpAddr::V6(Ipv6Addr::from(a)),
                        end: IpAddr::V6(Ipv6Addr::from(b)),
                    }),
            );
        }
        out
    }
}

impl Engine {
    /// The partition of the address space that the CIDRs of the rules of
    /// `direction` (NetworkPolicy `ipBlock` with its `except`, Cilium
    /// `fromCIDR`/`toCIDR`, `…CIDRSet`, …) induce, sorted: IPv4 always
    /// (the whole space when those rules name no IPv4 CIDR), IPv6 only when
    /// one of them names one. Every address of a range is matched by
    /// exactly the same peers of those rules.
    fn direction_ranges(&self, direction: super::verdict::Direction) -> Vec<AddressRange> {
        let mut cuts = Cuts::default();
        for rule in self
            .compiled
            .rules
            .iter()
            .filter(|r| r.direction == direction)
        {
            for peer in rule.peers.iter().flatten() {
                let Some(c) = &peer.cidr else { continue };
                for net in std::iter::once(&c.net).chain(&c.except) {
                    cuts.add(net);
                }
            }
        }
        cuts.ranges()
    }

    /// The address ranges a connection list writes: sources partitioned by
    /// the ingress rules' CIDRs, destinations by the egress rules' (what
    /// netpol-analyzer does, `GetIPBlockPeersLists`). An address outside
    /// the cluster reaches a pod through ingress rules only, and is reached
    /// through egress rules only, so each range holds addresses with one
    /// answer in the role it is written in.
    pub fn address_partitions(&self) -> AddressPartitions {
        AddressPartitions {
            sources: self.direction_ranges(super::verdict::Direction::Ingress),
            destinations: self.direction_ranges(super::verdict::Direction::Egress),
        }
    }
}

/// An address range of the list, with the endpoint computed for it (its
/// first address) and the roles it is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternalRange {
    /// The endpoint standing for every address of the range.
    pub id: EndpointId,
    /// The addresses.
    pub range: AddressRange,
    /// Written as a source (a piece of the ingress partition).
    pub source: bool,
    /// Written as a destination (a piece of the egress partition).
    pub destination: bool,
}

/// Adds one external endpoint per distinct first address of the ranges to
/// `cluster` and returns every range with its endpoint and roles (a range
/// in both partitions is one entry). Call it on the cluster before building
/// the engine that lists connections.
pub fn add_address_ranges(
    cluster: &mut Cluster,
    partitions: &AddressPartitions,
) -> Vec<ExternalRange> {
    let mut out: Vec<ExternalRange> = Vec::new();
    let mut by_start: HashMap<IpAddr, EndpointId> = HashMap::new();
    let mut add = |range: AddressRange, source: bool| {
        if let Some(e) = out.iter_mut().find(|e| e.range == range) {
            e.source |= source;
            e.destination |= !source;
            return;
        }
        let id = *by_start
            .entry(range.start)
            .or_insert_with(|| cluster.add_external(range.start));
        out.push(ExternalRange {
            id,
            range,
            source,
            destination: !source,
        });
    };
    for r in &partitions.sources {
        add(*r, true);
    }
    for r in &partitions.destinations {
        add(*r, false);
    }
    out
}

/// One endpoint of the list: a pod, a workload (a class of its pods) or an
/// address range.
#[derive(Clone, Debug)]
pub struct ListNode {
    /// How it is written.
    pub name: String,
    /// The endpoint computed for it.
    pub representative: EndpointId,
    /// Its pods (empty for an address range).
    pub pods: Vec<EndpointId>,
    /// Equivalence class of the representative.
    class: u32,
    external: bool,
    /// Written as a source (pods always; a range of the ingress partition).
    pub source: bool,
    /// Written as a destination (pods always; a range of the egress
    /// partition).
    pub destination: bool,
}

/// The connection list of an engine, ready to be walked.
#[derive(Debug)]
pub struct ConnList<'e> {
    engine: &'e Engine,
    nodes: Vec<ListNode>,
    classes: usize,
}

/// The name stem and kind a controller gives its pods: `web-7d4b9c-x2k8p`
/// (a Deployment's ReplicaSet hash and a random suffix, both in the
/// apiserver's safe alphabet) → `web`, Deployment; `db-0` with StatefulSet
/// labels → `db`, StatefulSet.
pub fn infer_owner(pod: &PodInfo) -> Option<Owner> {
    const SAFE: &str = "bcdfghjklmnpqrstvwxz2456789";
    let safe = |s: &str| !s.is_empty() && s.chars().all(|c| SAFE.contains(c));
    let mut parts = pod.name.rsplitn(3, '-');
    let (last, hash, stem) = (parts.next(), parts.next(), parts.next());
    if let (Some(last), Some(hash), Some(stem)) = (last, hash, stem)
        && last.len() == 5
        && safe(last)
        && (6..=10).contains(&hash.len())
        && safe(hash)
        && pod
            .labels
            .get("pod-template-hash")
            .is_none_or(|h| h == hash)
    {
        return Some(Owner {
            kind: "Deployment".into(),
            name: stem.to_string(),
        });
    }
    let statefulset = pod
        .labels
        .contains_key("statefulset.kubernetes.io/pod-name")
        || pod.labels.contains_key("apps.kubernetes.io/pod-index");
    if statefulset
        && let Some((stem, ordinal)) = pod.name.rsplit_once('-')
        && !ordinal.is_empty()
        && ordinal.chars().all(|c| c.is_ascii_digit())
    {
        return Some(Owner {
            kind: "StatefulSet".into(),
            name: stem.to_string(),
        });
    }
    None
}

/// What makes two pods indistinguishable to every policy: membership in
/// every endpoint set the policies compiled to (selected pods, peers,
/// requirements: labels, namespaces, service accounts and addresses only
/// matter through these), the container ports that resolve named ports,
/// host networking, and the node where node-relative entities are used.
#[derive(Hash, PartialEq, Eq)]
struct ClassKey<'a> {
    sets: Vec<u64>,
    ports: Vec<(Option<&'a str>, u16, super::Protocol)>,
    host_network: bool,
    node_ip: Option<IpAddr>,
}

impl Engine {
    /// Per pod, a bit per distinct compiled endpoint set: whether the pod
    /// is in it.
    fn set_signatures(&self) -> Vec<Vec<u64>> {
        let c = &self.compiled;
        let mut distinct: HashMap<&super::bitset::BitSet, ()> = HashMap::new();
        let mut sets: Vec<&super::bitset::BitSet> = Vec::new();
        let mut add = |set| {
            if distinct.insert(set, ()).is_none() {
                sets.push(set);
            }
        };
        for g in &c.groups {
            add(&g.selected);
            for r in g.requires.iter().flatten() {
                add(r);
            }
        }
        for rule in &c.rules {
            for p in rule.peers.iter().flatten() {
                add(&p.set);
            }
        }
        let pods = self.cluster.pods.len();
        let words = sets.len().div_ceil(64);
        let mut sig = vec![vec![0u64; words]; pods];
        for (k, set) in sets.iter().enumerate() {
            for e in set.iter() {
                if e < pods {
                    sig[e][k / 64] |= 1 << (k % 64);
                }
            }
        }
        sig
    }
}

impl<'e> ConnList<'e> {
    /// The list for `engine`, whose cluster holds the address ranges
    /// `externals` (from [`add_address_ranges`]); other external endpoints
    /// are written by address, in both roles.
    pub fn new(engine: &'e Engine, externals: &[ExternalRange], group_by: GroupBy) -> Self {
        let cluster = engine.cluster();
        // Nodes tell pods apart only for Cilium's `host` and `remote-node`.
        let by_node = engine.compiled.rules.iter().any(|r| r.node_relative);
        let signatures = engine.set_signatures();
        // Equivalence classes of pods.
        let mut class_ids: HashMap<ClassKey, u32> = HashMap::new();
        let mut class_of: Vec<u32> = Vec::with_capacity(cluster.pods.len());
        for (pod, sets) in cluster.pods.iter().zip(signatures) {
            let mut ports: Vec<_> = pod
                .ports
                .iter()
                .map(|p| (p.name.as_deref(), p.port, p.protocol))
                .collect();
            ports.sort_unstable();
            ports.dedup();
            let key = ClassKey {
                sets,
                ports,
                host_network: pod.host_network,
                node_ip: pod.node_ip.filter(|_| by_node || pod.host_network),
            };
            let next = class_ids.len() as u32;
            class_of.push(*class_ids.entry(key).or_insert(next));
        }
        let mut classes = class_ids.len();
        drop(class_ids);

        let mut nodes: Vec<ListNode> = Vec::new();
        let pod_node = |id: usize, name: String| ListNode {
            name,
            representative: EndpointId(id),
            pods: vec![EndpointId(id)],
            class: class_of[id],
            external: false,
            source: true,
            destination: true,
        };
        match group_by {
            GroupBy::Pod | GroupBy::Namespace => {
                for (i, pod) in cluster.pods.iter().enumerate() {
                    nodes.push(pod_node(i, format!("{}/{}[Pod]", pod.namespace, pod.name)));
                }
            }
            GroupBy::Workload => {
                // (namespace, owner) → per class, the node index.
                let mut workloads: HashMap<(&str, Owner), Vec<(u32, usize)>> = HashMap::new();
                for (i, pod) in cluster.pods.iter().enumerate() {
                    let owner = pod.owner.clone().or_else(|| infer_owner(pod));
                    let Some(owner) = owner else {
                        nodes.push(pod_node(i, format!("{}/{}[Pod]", pod.namespace, pod.name)));
                        continue;
                    };
                    let variants = workloads
                        .entry((&pod.namespace, owner.clone()))
                        .or_default();
                    match variants.iter().find(|(c, _)| *c == class_of[i]) {
                        Some(&(_, n)) => nodes[n].pods.push(EndpointId(i)),
                        None => {
                            variants.push((class_of[i], nodes.len()));
                            nodes.push(pod_node(
                                i,
                                format!("{}/{}[{}]", pod.namespace, owner.name, owner.kind),
                            ));
                        }
                    }
                }
                // A workload split in several classes: each part names its
                // first pod, so no two lines share a name.
                for variants in workloads.values().filter(|v| v.len() > 1) {
                    for &(_, n) in variants {
                        let first = nodes[n]
                            .pods
                            .iter()
                            .map(|p| cluster.pods[p.0].name.as_str())
                            .min()
                            .unwrap_or_default()
                            .to_string();
                        nodes[n].name.push('~');
                        nodes[n].name.push_str(&first);
                    }
                }
            }
        }
        let mut external = |name: String, id: EndpointId, source: bool, destination: bool| {
            nodes.push(ListNode {
                name,
                representative: id,
                pods: Vec::new(),
                class: classes as u32,
                external: true,
                source,
                destination,
            });
            classes += 1;
        };
        for e in externals {
            external(
                format!("{}{EXTERNAL_KIND}", e.range),
                e.id,
                e.source,
                e.destination,
            );
        }
        let ranged: std::collections::HashSet<EndpointId> =
            externals.iter().map(|e| e.id).collect();
        for (j, ip) in cluster.externals.iter().enumerate() {
            let id = EndpointId(cluster.pods.len() + j);
            if !ranged.contains(&id) {
                external(ip.to_string(), id, true, true);
            }
        }
        nodes.sort_by(|a, b| a.name.cmp(&b.name));
        ConnList {
            engine,
            nodes,
            classes,
        }
    }

    /// The endpoints, sorted by name.
    pub fn nodes(&self) -> &[ListNode] {
        &self.nodes
    }

    /// Number of equivalence classes (pods) plus address ranges: the rows
    /// actually computed per source class.
    pub fn class_count(&self) -> usize {
        self.classes
    }

    /// Calls `f(source, destination, connections)` for every ordered pair
    /// of distinct endpoints with some allowed connection, sorted by source
    /// then destination name, each address range only in its roles. Pairs
    /// of two address ranges are left out (no policy governs them). Stops
    /// at the first error `f` returns.
    pub fn for_each<E>(
        &self,
        mut f: impl FnMut(&ListNode, &ListNode, &Listed) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut pairs = PairSets::new(self);
        for (si, src) in self.nodes.iter().enumerate() {
            pairs.start_row(src);
            for (ti, dst) in self.nodes.iter().enumerate() {
                if si == ti || (src.external && dst.external) || !src.source || !dst.destination {
                    continue;
                }
                if let Some(conns) = pairs.get(src, dst) {
                    f(src, dst, conns)?;
                }
            }
        }
        Ok(())
    }

    /// Per (source namespace, destination namespace), how many ordered pod
    /// pairs have some allowed connection, of how many pairs. Pods only.
    pub fn namespace_summary(&self) -> NamespaceSummary {
        let cluster = self.engine.cluster();
        let mut names: Vec<String> = cluster.namespaces.iter().map(|n| n.name.clone()).collect();
        names.sort();
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let k = names.len();
        let mut allowed = vec![0u64; k * k];
        let mut pairs = vec![0u64; k * k];
        let ns_of = |node: &ListNode| -> Option<usize> {
            match cluster.endpoint(node.representative) {
                Endpoint::Pod(p) => index.get(p.namespace.as_str()).copied(),
                Endpoint::External(_) => None,
            }
        };
        let mut sets = PairSets::new(self);
        for (si, src) in self.nodes.iter().enumerate() {
            let Some(sn) = ns_of(src) else { continue };
            sets.start_row(src);
            for (ti, dst) in self.nodes.iter().enumerate() {
                if si == ti {
                    continue;
                }
                let Some(tn) = ns_of(dst) else { continue };
                let n = (src.pods.len() * dst.pods.len()) as u64;
                pairs[sn * k + tn] += n;
                if sets.get(src, dst).is_some() {
                    allowed[sn * k + tn] += n;
                }
            }
        }
        NamespaceSummary {
            namespaces: names,
            allowed,
            pairs,
        }
    }
}

/// The connection sets of the list's pairs, each distinct set computed
/// once.
///
/// A pair's set is its egress side at the source intersected with its
/// ingress side at the destination (the composition
/// [`Engine::connections`] makes). A side's set depends on the peer only
/// through which of the subject's rules apply to it (a bit mask) and, when
/// a rule names a port, the destination's container ports. So per subject
/// class and direction, the sets are kept by mask; per pair of side sets,
/// the pair's set; and per source row, each destination class's answer.
/// What differs from pair to pair is one mask per side: a bit test per
/// rule selecting the subject. Bounded: past [`PairSets::LIMIT`] kept
/// masks and side pairs everything starts over (between rows), so a cluster with very
/// many distinct sets costs recomputation, never memory.
///
/// Memory: a side set per distinct mask of each subject class, a number per
/// pair of side sets, one copy of each distinct result, and a number per
/// class for the row.
struct PairSets<'l> {
    engine: &'l Engine,
    /// Per direction (egress, ingress) and class: its rules, once needed.
    rules: [Vec<Option<SideRules>>; 2],
    /// Per direction and class: mask (prefixed by the peer's container
    /// ports when the destination's named ports matter) → side set id.
    by_mask: [Vec<HashMap<Vec<u64>, u32, BuildPairHasher>>; 2],
    /// Side sets by id.
    sides: Vec<SideSet>,
    /// (egress side id, ingress side id) → result id.
    by_sides: HashMap<(u32, u32), u32, BuildPairHasher>,
    /// Distinct results → id.
    by_value: HashMap<Connections, u32>,
    /// Pair results by id; `None` (id [`PairSets::NOTHING`]) is no
    /// connection.
    results: Vec<Option<Listed>>,
    /// Per class: its container ports (interned), which resolve named
    /// ports when it is the destination.
    ports: Vec<u32>,
    /// Masks kept, for the bound.
    kept: usize,
    /// The source class of the current row, and per destination class its
    /// result id in this row (`u32::MAX`: not yet asked).
    row_class: u32,
    row: Vec<u32>,
    mask: Vec<u64>,
}

impl<'l> PairSets<'l> {
    const LIMIT: usize = 1 << 16;
    const UNKNOWN: u32 = u32::MAX;
    /// The result id of "no connection".
    const NOTHING: u32 = 0;

    fn new(list: &'l ConnList<'_>) -> Self {
        let classes = list.classes;
        let mut port_lists: HashMap<Option<Vec<PortEntry>>, u32> = HashMap::new();
        let mut ports = vec![0; classes];
        for node in &list.nodes {
            let rep = node.representative;
            let list = list
                .engine
                .side_dst_ports(Direction::Egress, rep, rep)
                .map(|ps| {
                    ps.iter()
                        .map(|p| (p.name.as_deref(), p.port, p.protocol))
                        .collect()
                });
            let next = port_lists.len() as u32;
            ports[node.class as usize] = *port_lists.entry(list).or_insert(next);
        }
        PairSets {
            ports,
            engine: list.engine,
            rules: [vec![None; classes], vec![None; classes]],
            by_mask: [
                (0..classes).map(|_| HashMap::default()).collect(),
                (0..classes).map(|_| HashMap::default()).collect(),
            ],
            sides: Vec::new(),
            by_sides: HashMap::default(),
            by_value: HashMap::new(),
            results: vec![None],
            kept: 0,
            row_class: u32::MAX,
            row: vec![Self::UNKNOWN; classes],
            mask: Vec::new(),
        }
    }

    /// Starts the row of source `src`: the answers of the previous row are
    /// kept when its class is the same.
    fn start_row(&mut self, src: &ListNode) {
        if self.kept >= Self::LIMIT {
            for maps in &mut self.by_mask {
                maps.iter_mut().for_each(HashMap::clear);
            }
            self.sides.clear();
            self.by_sides.clear();
            self.by_value.clear();
            self.results.truncate(1);
            self.kept = 0;
            self.row_class = u32::MAX;
        }
        if self.row_class != src.class {
            self.row_class = src.class;
            self.row.fill(Self::UNKNOWN);
        }
    }

    /// The connections from `src` to `dst` (in the row started last), or
    /// `None` when nothing is allowed.
    fn get(&mut self, src: &ListNode, dst: &ListNode) -> Option<&Listed> {
        debug_assert_eq!(src.class, self.row_class);
        let mut id = self.row[dst.class as usize];
        if id == Self::UNKNOWN {
            id = self.compute(src, dst);
            self.row[dst.class as usize] = id;
        }
        self.results[id as usize].as_ref()
    }

    fn compute(&mut self, src: &ListNode, dst: &ListNode) -> u32 {
        let egress = self.side(Direction::Egress, src, dst);
        if self.sides[egress as usize].conns.is_empty() {
            return self.result(None);
        }
        let ingress = self.side(Direction::Ingress, dst, src);
        if let Some(&id) = self.by_sides.get(&(egress, ingress)) {
            return id;
        }
        let c = Connections::of_sides(&self.sides[egress as usize], &self.sides[ingress as usize]);
        let id = self.result((!c.conns.is_empty()).then_some(c));
        self.by_sides.insert((egress, ingress), id);
        self.kept += 1;
        id
    }

    /// The id of a result, each distinct one kept once.
    fn result(&mut self, c: Option<Connections>) -> u32 {
        let Some(c) = c else {
            return Self::NOTHING;
        };
        if let Some(&id) = self.by_value.get(&c) {
            return id;
        }
        let id = self.results.len() as u32;
        self.by_value.insert(c.clone(), id);
        self.results.push(Some(Listed::new(c)));
        id
    }

    /// The id of the side set `dir` at `subject` for `peer`.
    fn side(&mut self, dir: Direction, subject: &ListNode, peer: &ListNode) -> u32 {
        let d = dir_index(dir);
        let engine = self.engine;
        let (s, p) = (subject.representative, peer.representative);
        let rules =
            self.rules[d][subject.class as usize].get_or_insert_with(|| engine.side_rules(dir, s));
        self.mask.clear();
        if !rules.is_open() {
            // The destination's ports matter only on egress (on ingress the
            // destination is the subject) and only for named ports.
            let prefix = if dir == Direction::Egress && rules.named_ports {
                u64::from(self.ports[peer.class as usize]) + 1
            } else {
                0
            };
            self.mask.push(prefix);
            engine.side_matches(rules, s, p, &mut self.mask);
        }
        let map = &mut self.by_mask[d][subject.class as usize];
        if let Some(&id) = map.get(self.mask.as_slice()) {
            return id;
        }
        let set = engine.side_set(
            rules,
            self.mask.get(1..).unwrap_or_default(),
            engine.side_dst_ports(dir, s, p),
        );
        let id = self.sides.len() as u32;
        self.sides.push(set);
        map.insert(self.mask.clone(), id);
        self.kept += 1;
        id
    }
}

/// A container port as a key: name, number, protocol.
type PortEntry<'a> = (Option<&'a str>, u16, Protocol);

/// A multiplicative hash for the keys of [`PairSets`]: small numbers and
/// masks (SipHash was a tenth of the listing's time). The keys are ours,
/// never an attacker's, so no seed is needed.
#[derive(Clone, Copy, Default)]
struct BuildPairHasher;

impl std::hash::BuildHasher for BuildPairHasher {
    type Hasher = PairHasher;
    fn build_hasher(&self) -> PairHasher {
        PairHasher(0)
    }
}

#[derive(Default)]
struct PairHasher(u64);

impl std::hash::Hasher for PairHasher {
    fn finish(&self) -> u64 {
        // A product's low bits depend only on its factors' low bits, and
        // hashbrown picks buckets with the low bits: fold the high half in.
        self.0 ^ (self.0 >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.write_u64(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        for b in chunks.remainder() {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(26) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// A pair's connections as [`ConnList::for_each`] hands them out: the
/// [`Connections`] (through `Deref`) and their text form, written once per
/// distinct set rather than once per line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    connections: Connections,
    text: String,
}

impl Listed {
    fn new(connections: Connections) -> Self {
        let text = connections.conns.to_string();
        Listed { connections, text }
    }

    /// The set in netpol-analyzer's form (`TCP 8080`, `All Connections`).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The connections.
    pub fn connections(&self) -> &Connections {
        &self.connections
    }
}

impl std::ops::Deref for Listed {
    type Target = Connections;
    fn deref(&self) -> &Connections {
        &self.connections
    }
}

/// Allowed pod pairs per namespace pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceSummary {
    /// Namespace names, sorted; rows and columns of the matrices.
    pub namespaces: Vec<String>,
    /// Row-major: pairs with some allowed connection.
    pub allowed: Vec<u64>,
    /// Row-major: all ordered pod pairs (pod-to-itself excluded).
    pub pairs: Vec<u64>,
}

impl NamespaceSummary {
    /// (allowed, pairs) from namespace `from` to namespace `to` (indices).
    pub fn cell(&self, from: usize, to: usize) -> (u64, u64) {
        let k = self.namespaces.len();
        (self.allowed[from * k + to], self.pairs[from * k + to])
    }
}

impl fmt::Display for NamespaceSummary {
    /// A matrix: rows are sources, columns destinations, cells
    /// `allowed/pairs` of pod pairs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.namespaces.len();
        let cells: Vec<String> = (0..k * k)
            .map(|i| format!("{}/{}", self.allowed[i], self.pairs[i]))
            .collect();
        let first = self
            .namespaces
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(0)
            .max("from\\to".len());
        let widths: Vec<usize> = (0..k)
            .map(|c| {
                (0..k)
                    .map(|r| cells[r * k + c].len())
                    .max()
                    .unwrap_or(0)
                    .max(self.namespaces[c].len())
            })
            .collect();
        write!(f, "{:first$}", "from\\to")?;
        for (n, w) in self.namespaces.iter().zip(&widths) {
            write!(f, "  {n:>w$}")?;
        }
        writeln!(f)?;
        for (r, n) in self.namespaces.iter().enumerate() {
            write!(f, "{n:first$}")?;
            for (c, w) in widths.iter().enumerate() {
                write!(f, "  {:>w$}", cells[r * k + c])?;
            }
            writeln!(f)?;
        }
        writeln!(
            f,
            "cells: ordered pod pairs with some allowed connection / all ordered pod pairs"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::PodInfo;
    use crate::model::Policy;

    fn pod(ns: &str, name: &str, app: &str) -> PodInfo {
        PodInfo::new(
            ns,
            name,
            [("app".to_string(), app.to_string())].into_iter().collect(),
        )
    }

    #[test]
    fn sources_and_destinations_are_partitioned_by_their_own_rules_cidrs() {
        // An egress ipBlock cuts the destinations only; an ingress one the
        // sources only (netpol-analyzer's GetIPBlockPeersLists).
        let np: crate::model::NetworkPolicy = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "x", "namespace": "a"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}],
                "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.0/16"}}]}]}
        }))
        .unwrap();
        let parts = Engine::new(&Cluster::new(), &[Policy::NetworkPolicy(np)]).address_partitions();
        let names = |v: &[AddressRange]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            names(&parts.destinations),
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.0.255.255",
                "10.1.0.0-10.1.255.255",
                "10.2.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255"
            ]
        );
        assert_eq!(
            names(&parts.sources),
            [
                "0.0.0.0-192.167.255.255",
                "192.168.0.0-192.168.255.255",
                "192.169.0.0-255.255.255.255"
            ]
        );
        let none = Engine::new(&Cluster::new(), &[]).address_partitions();
        assert_eq!(names(&none.sources), ["0.0.0.0-255.255.255.255"]);
        assert_eq!(none.sources, none.destinations);
        // One endpoint per first address; a range in both partitions is one
        // entry in both roles.
        let mut c = Cluster::new();
        let ext = add_address_ranges(&mut c, &none);
        assert_eq!(ext.len(), 1);
        assert!(ext[0].source && ext[0].destination);
        let mut c = Cluster::new();
        let ext = add_address_ranges(&mut c, &parts);
        assert_eq!(ext.len(), 8);
        assert_eq!(
            c.externals.len(),
            7,
            "0.0.0.0 starts a source and a destination range"
        );
        assert!(ext.iter().all(|e| e.source != e.destination));
    }

    #[test]
    fn owner_stems() {
        let p = pod("a", "web-7d4b9c-x2k8p", "web");
        assert_eq!(infer_owner(&p).unwrap().name, "web");
        assert!(infer_owner(&pod("a", "my-app-server", "x")).is_none());
        let mut s = pod("a", "db-0", "db");
        assert!(infer_owner(&s).is_none());
        s.labels
            .insert("statefulset.kubernetes.io/pod-name".into(), "db-0".into());
        assert_eq!(
            infer_owner(&s),
            Some(Owner {
                kind: "StatefulSet".into(),
                name: "db".into()
            })
        );
    }

    #[test]
    fn workloads_split_when_pods_differ_and_lines_are_sorted() {
        let mut c = Cluster::new();
        c.add_pod(pod("a", "web-7d4b9c-x2k8p", "web"));
        c.add_pod(pod("a", "web-7d4b9c-zzzzz", "web"));
        c.add_pod(pod("a", "web-7d4b9c-bbbbb", "web-canary"));
        c.add_pod(pod("a", "lone", "lone"));
        // A policy that tells the canary apart from the other web pods.
        let np: crate::model::NetworkPolicy = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "x", "namespace": "a"},
            "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{}]}
        }))
        .unwrap();
        let policies = [Policy::NetworkPolicy(np)];
        let ranges = Engine::new(&c, &policies).address_partitions();
        let ext = add_address_ranges(&mut c, &ranges);
        let engine = Engine::new(&c, &policies);
        let list = ConnList::new(&engine, &ext, GroupBy::Workload);
        let names: Vec<&str> = list.nodes().iter().map(|n| n.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "0.0.0.0-255.255.255.255[External]",
                "a/lone[Pod]",
                "a/web[Deployment]~web-7d4b9c-bbbbb",
                "a/web[Deployment]~web-7d4b9c-x2k8p"
            ]
        );
        let mut lines = Vec::new();
        list.for_each(|s, t, c| {
            lines.push(format!("{} => {} : {}", s.name, t.name, c.conns));
            Ok::<(), ()>(())
        })
        .unwrap();
        // 4 nodes, 12 ordered pairs, none between two address ranges.
        assert_eq!(lines.len(), 12);
        // Without the policy the canary is indistinguishable: one workload.
        let bare = Engine::new(&c, &[]);
        let merged = ConnList::new(&bare, &ext, GroupBy::Workload);
        assert_eq!(merged.nodes().len(), 3);
        assert_eq!(merged.nodes()[2].pods.len(), 3);
        assert!(lines.windows(2).all(|w| w[0] <= w[1]));
        assert!(lines.iter().all(|l| l.ends_with(": All Connections")));
    }
}
