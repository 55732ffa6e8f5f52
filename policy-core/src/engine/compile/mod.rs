//! Compiling policies into rules over endpoint bitsets.
//!
//! Every selector is evaluated once per distinct label set (pods with the same
//! labels share one answer), and every peer becomes a [`BitSet`] over the
//! cluster's endpoints. The single-connection verdict and the truth table
//! both read this compiled form, so they cannot disagree.

mod cilium;
mod kubernetes;

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;

use super::bitset::BitSet;
use super::icmp::IcmpKey;
use super::port::PortSpec;
use super::selector::{self, Labels};
use super::verdict::{Direction, PolicyRef};
use crate::cluster::{Cluster, Endpoint, ReservedEntity};
use crate::model::{LabelSelector, Policy};

/// Index of a direction in per-direction arrays.
pub(crate) fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Egress => 0,
        Direction::Ingress => 1,
    }
}

/// The policies, compiled.
#[derive(Clone, Debug, Default)]
pub(crate) struct Compiled {
    pub policies: Vec<PolicyRef>,
    pub groups: Vec<Group>,
    pub rules: Vec<Rule>,
    /// Parts of the policies the engine does not model, in words.
    pub notes: Vec<String>,
    /// Node id of each endpoint (pods with a `status.hostIP`).
    pub node_of: Vec<Option<u32>>,
    /// Host-network pods per node id.
    pub host_by_node: Vec<BitSet>,
    /// All host-network pods.
    pub host_all: BitSet,
}

/// What a policy (or one Cilium rule of it) selects, and what it does to them.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub policy: usize,
    /// Whether this is a Cilium rule (`fromRequires` and deny apply).
    pub cilium: bool,
    /// Endpoints it applies to.
    pub selected: BitSet,
    /// Whether it isolates its endpoints, per direction (egress, ingress).
    pub isolates: [bool; 2],
    /// Cilium `fromRequires`/`toRequires`: peers of allow rules must be in
    /// this set, per direction.
    pub requires: [Option<BitSet>; 2],
    /// Rule ids per direction.
    pub rules: [Vec<usize>; 2],
}

/// One allow or deny rule.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub group: usize,
    pub direction: Direction,
    pub deny: bool,
    /// Field path, such as `spec.ingress[0]`.
    pub path: String,
    pub index: usize,
    /// `None`: every peer (the rule names no L3 peer).
    pub peers: Option<Vec<Peer>>,
    /// Union of the peers' fixed sets.
    pub peer_union: BitSet,
    /// Whether some peer is relative to the subject's node (`host`, `remote-node`).
    pub node_relative: bool,
    pub ports: Vec<PortClause>,
    /// Which ICMP messages the rule admits.
    pub icmp: IcmpMatch,
}

/// The ICMP messages one rule admits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum IcmpMatch {
    /// A Cilium rule with no L4 part. Cilium docs ("Layer 4 Examples"): "If
    /// no layer 4 policy is specified for an endpoint, the endpoint is
    /// allowed to send and receive on all layer 4 ports and protocols
    /// including ICMP."
    Any,
    /// A Cilium rule with `icmps`: these (family, type) pairs.
    Types(Vec<IcmpKey>),
    /// A Cilium rule with `toPorts` and no `icmps`: "If any layer 4 policy is
    /// specified, then ICMP will be blocked unless it's related to a
    /// connection that is otherwise allowed by the policy."
    Nothing,
    /// A NetworkPolicy rule: the API cannot express ICMP.
    NotExpressible,
}

/// One peer of a rule.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    /// Position in the rule's peer list(s).
    pub index: usize,
    pub describe: String,
    /// Endpoints it matches (independent of the subject).
    pub set: BitSet,
    pub node: Option<NodeRelative>,
    /// Conditions stated when this peer matches.
    pub conditions: Vec<String>,
    /// For address-based peers: the CIDR and its exceptions, and whether pod
    /// IPs were allowed to match.
    pub cidr: Option<CidrPeer>,
}

/// A CIDR peer, kept for explaining why a pod IP did or did not match.
#[derive(Clone, Debug)]
pub(crate) struct CidrPeer {
    pub net: IpNet,
    pub except: Vec<IpNet>,
    pub matches_pods: bool,
    /// `true` for a NetworkPolicy `ipBlock` (follows the cluster option).
    pub ip_block: bool,
}

impl CidrPeer {
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        self.net.contains(&ip) && !self.except.iter().any(|e| e.contains(&ip))
    }
}

/// Cilium entities relative to the subject's node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeRelative {
    /// `host`: host-network endpoints on the subject's node.
    Host,
    /// `remote-node`: host-network endpoints on other nodes.
    RemoteNode,
}

/// A port clause and its L7 condition.
#[derive(Clone, Debug)]
pub(crate) struct PortClause {
    pub spec: PortSpec,
    pub l7: Option<String>,
}

impl Compiled {
    /// The endpoints a node-relative peer matches for a subject.
    pub(crate) fn node_set(&self, rel: NodeRelative, subject: usize) -> BitSet {
        let local = self.node_of.get(subject).copied().flatten();
        match (rel, local) {
            (NodeRelative::Host, Some(n)) => self.host_by_node[n as usize].clone(),
            (NodeRelative::Host, None) => BitSet::new(self.host_all.universe()),
            (NodeRelative::RemoteNode, Some(n)) => {
                let mut s = self.host_all.clone();
                s.difference_with(&self.host_by_node[n as usize]);
                s
            }
            (NodeRelative::RemoteNode, None) => self.host_all.clone(),
        }
    }

    /// Whether `peer` is in [`Compiled::node_set`]`(rel, subject)`, without
    /// building the set.
    pub(crate) fn node_contains(&self, rel: NodeRelative, subject: usize, peer: usize) -> bool {
        let local = self.node_of.get(subject).copied().flatten();
        match (rel, local) {
            (NodeRelative::Host, Some(n)) => self.host_by_node[n as usize].contains(peer),
            (NodeRelative::Host, None) => false,
            (NodeRelative::RemoteNode, Some(n)) => {
                self.host_all.contains(peer) && !self.host_by_node[n as usize].contains(peer)
            }
            (NodeRelative::RemoteNode, None) => self.host_all.contains(peer),
        }
    }

    /// All peers of `rule` for `subject`, or `None` for every peer.
    pub(crate) fn rule_peers(&self, rule: &Rule, subject: usize) -> Option<BitSet> {
        let peers = rule.peers.as_ref()?;
        let mut set = rule.peer_union.clone();
        if rule.node_relative {
            for p in peers {
                if let Some(rel) = p.node {
                    set.union_with(&self.node_set(rel, subject));
                }
            }
        }
        Some(set)
    }
}

/// Selector evaluation over interned label sets.
pub(crate) struct Builder<'a> {
    pub cluster: &'a Cluster,
    pub n: usize,
    /// Per pod: id of its Kubernetes label set.
    pod_ls: Vec<u32>,
    label_sets: Vec<Labels>,
    /// Per endpoint: id of its Cilium label set (externals and host-network
    /// pods carry the empty set).
    cil_ls: Vec<u32>,
    cil_sets: Vec<Labels>,
    /// Per namespace index: its non-host-network pods.
    ns_pods: Vec<Vec<u32>>,
    ns_labels: Vec<Labels>,
    ns_index: HashMap<String, u32>,
    k8s_cache: HashMap<String, Vec<bool>>,
    cil_cache: HashMap<String, Vec<bool>>,
    ns_cache: HashMap<String, Vec<bool>>,
    /// Endpoint sets already computed, by a key naming how.
    set_cache: HashMap<String, BitSet>,
    pub notes: Vec<String>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(cluster: &'a Cluster) -> Self {
        let n = cluster.endpoint_count();
        let mut ns_index: HashMap<String, u32> = HashMap::new();
        let mut ns_labels = Vec::new();
        for ns in &cluster.namespaces {
            ns_index.entry(ns.name.clone()).or_insert_with(|| {
                ns_labels.push(ns.labels.clone());
                (ns_labels.len() - 1) as u32
            });
        }
        // Pod label sets, interned by reference (no copies per pod).
        let mut ls_ids: HashMap<&Labels, u32> = HashMap::new();
        let mut label_sets: Vec<Labels> = Vec::new();
        // Cilium label sets are a function of (pod labels, namespace, service account).
        let mut cil_ids: HashMap<(u32, u32, Option<&str>), u32> = HashMap::new();
        let mut cil_sets: Vec<Labels> = vec![Labels::new()];
        let mut pod_ls = Vec::with_capacity(cluster.pods.len());
        let mut ns_pods: Vec<Vec<u32>> = Vec::new();
        let mut cil_ls = vec![0u32; n];
        for (i, pod) in cluster.pods.iter().enumerate() {
            let ns = match ns_index.get(&pod.namespace) {
                Some(id) => *id,
                None => {
                    let mut l = Labels::new();
                    l.insert(
                        crate::cluster::NAMESPACE_NAME_LABEL.into(),
                        pod.namespace.clone(),
                    );
                    ns_labels.push(l);
                    let id = (ns_labels.len() - 1) as u32;
                    ns_index.insert(pod.namespace.clone(), id);
                    id
                }
            };
            if ns_pods.len() <= ns as usize {
                ns_pods.resize(ns as usize + 1, Vec::new());
            }
            if pod.selectable() {
                ns_pods[ns as usize].push(i as u32);
            }
            let ls = *ls_ids.entry(&pod.labels).or_insert_with(|| {
                label_sets.push(pod.labels.clone());
                (label_sets.len() - 1) as u32
            });
            pod_ls.push(ls);
            if pod.selectable() {
                let sa = pod.service_account.as_deref();
                cil_ls[i] = *cil_ids.entry((ls, ns, sa)).or_insert_with(|| {
                    cil_sets.push(selector::cilium_labels(
                        &pod.labels,
                        &pod.namespace,
                        &ns_labels[ns as usize],
                        sa,
                    ));
                    (cil_sets.len() - 1) as u32
                });
            }
        }
        Builder {
            cluster,
            n,
            pod_ls,
            label_sets,
            cil_ls,
            cil_sets,
            ns_pods,
            ns_labels,
            ns_index,
            k8s_cache: HashMap::new(),
            cil_cache: HashMap::new(),
            ns_cache: HashMap::new(),
            set_cache: HashMap::new(),
            notes: Vec::new(),
        }
    }

    /// The set cached under `key`, computing it with `f` the first time.
    pub(super) fn cached(&mut self, key: String, f: impl FnOnce(&mut Self) -> BitSet) -> BitSet {
        if let Some(set) = self.set_cache.get(&key) {
            return set.clone();
        }
        let set = f(self);
        self.set_cache.insert(key, set.clone());
        set
    }

    /// Namespace index by name, if known.
    pub(super) fn ns_id(&self, name: &str) -> Option<u32> {
        self.ns_index.get(name).copied()
    }

    fn k8s_eval(&mut self, sel: &LabelSelector) -> &Vec<bool> {
        let key = selector::selector_key(sel);
        let sets = &self.label_sets;
        self.k8s_cache
            .entry(key)
            .or_insert_with(|| sets.iter().map(|l| selector::matches(sel, l)).collect())
    }

    fn ns_eval(&mut self, sel: &LabelSelector) -> Vec<bool> {
        let key = selector::selector_key(sel);
        let sets = &self.ns_labels;
        self.ns_cache
            .entry(key)
            .or_insert_with(|| sets.iter().map(|l| selector::matches(sel, l)).collect())
            .clone()
    }

    fn cil_eval(&mut self, sel: &LabelSelector) -> &Vec<bool> {
        let key = selector::selector_key(sel);
        let sets = &self.cil_sets;
        self.cil_cache.entry(key).or_insert_with(|| {
            sets.iter()
                .map(|l| selector::cilium_matches(sel, l))
                .collect()
        })
    }

    /// Non-host-network pods whose namespace passes `ns_ok` and whose
    /// Kubernetes labels match `pod_sel` (every pod when `None`).
    pub(super) fn k8s_pods(
        &mut self,
        ns_ok: &dyn Fn(u32) -> bool,
        pod_sel: Option<&LabelSelector>,
    ) -> BitSet {
        let mut set = BitSet::new(self.n);
        let ok: Option<Vec<bool>> = pod_sel.map(|s| self.k8s_eval(s).clone());
        for (ns, pods) in self.ns_pods.iter().enumerate() {
            if !ns_ok(ns as u32) {
                continue;
            }
            for &i in pods {
                if ok
                    .as_ref()
                    .is_none_or(|ok| ok[self.pod_ls[i as usize] as usize])
                {
                    set.insert(i as usize);
                }
            }
        }
        set
    }

    /// Namespace ids matched by a namespace selector.
    pub(super) fn namespaces_matching(&mut self, sel: &LabelSelector) -> Vec<bool> {
        self.ns_eval(sel)
    }

    /// Non-host-network pods whose Cilium label set matches `sel`, limited to
    /// namespace `scope` when given.
    pub(super) fn cilium_pods(&mut self, sel: &LabelSelector, scope: Option<u32>) -> BitSet {
        let key = format!("cilium|{scope:?}|{}", selector::selector_key(sel));
        self.cached(key, |b| b.cilium_pods_uncached(sel, scope))
    }

    fn cilium_pods_uncached(&mut self, sel: &LabelSelector, scope: Option<u32>) -> BitSet {
        let ok = self.cil_eval(sel).clone();
        let mut set = BitSet::new(self.n);
        let lists: &[Vec<u32>] = match scope {
            Some(s) => self
                .ns_pods
                .get(s as usize)
                .map(std::slice::from_ref)
                .unwrap_or(&[]),
            None => &self.ns_pods,
        };
        for &i in lists.iter().flatten() {
            if ok[self.cil_ls[i as usize] as usize] {
                set.insert(i as usize);
            }
        }
        set
    }

    /// Endpoints (pods, host-network pods, externals) whose Cilium label set
    /// matches every selector in `sels`: the `fromRequires` filter.
    pub(super) fn cilium_requires(&mut self, sels: &[LabelSelector]) -> BitSet {
        let mut set = BitSet::full(self.n);
        for sel in sels {
            let ok = self.cil_eval(sel).clone();
            for e in 0..self.n {
                if !ok[self.cil_ls[e] as usize] {
                    set.remove(e);
                }
            }
        }
        set
    }

    /// Endpoints whose address lies in `cidr` minus `except`: externals, and
    /// when `pods` is set, pod IPs and the node IPs of host-network pods.
    pub(super) fn cidr_endpoints(&mut self, cidr: &CidrPeer) -> BitSet {
        let key = format!(
            "cidr|{}|{:?}|{}|{}",
            cidr.net, cidr.except, cidr.matches_pods, cidr.ip_block
        );
        self.cached(key, |b| b.cidr_endpoints_uncached(cidr))
    }

    fn cidr_endpoints_uncached(&self, cidr: &CidrPeer) -> BitSet {
        let mut set = BitSet::new(self.n);
        for (e, id) in self.cluster.endpoint_ids().enumerate() {
            let hit = match self.cluster.endpoint(id) {
                Endpoint::External(ip) => cidr.contains(ip),
                // Cilium's CIDR rules match the addresses of the reserved
                // identities Cilium allows them to (`cidr_selectable`).
                Endpoint::Pod(p)
                    if !cidr.ip_block && p.reserved.is_some_and(|e| e.cidr_selectable()) =>
                {
                    p.addresses().into_iter().any(|ip| cidr.contains(ip))
                }
                Endpoint::Pod(p) => {
                    cidr.matches_pods
                        && (p.host_network && p.node_ip.is_some_and(|ip| cidr.contains(ip))
                            || p.ips.iter().any(|ip| cidr.contains(*ip)))
                }
            };
            if hit {
                set.insert(e);
            }
        }
        set
    }

    /// All external endpoints, optionally of one IP family.
    pub(super) fn externals(&self, v4: Option<bool>) -> BitSet {
        let mut set = BitSet::new(self.n);
        let base = self.cluster.pods.len();
        for (j, ip) in self.cluster.externals.iter().enumerate() {
            if v4.is_none_or(|v4| v4 == ip.is_ipv4()) {
                set.insert(base + j);
            }
        }
        set
    }

    /// The endpoints of one reserved identity (see `PodInfo::reserved`).
    pub(super) fn reserved(&self, entity: ReservedEntity) -> BitSet {
        let mut set = BitSet::new(self.n);
        for (i, p) in self.cluster.pods.iter().enumerate() {
            if p.reserved == Some(entity) {
                set.insert(i);
            }
        }
        set
    }

    /// External endpoints listed as the API server's addresses.
    pub(super) fn kube_apiserver_externals(&self) -> BitSet {
        let mut set = BitSet::new(self.n);
        let base = self.cluster.pods.len();
        for (j, ip) in self.cluster.externals.iter().enumerate() {
            if self.cluster.options.kube_apiserver_ips.contains(ip) {
                set.insert(base + j);
            }
        }
        set
    }

    /// All pods (including host-network pods and reserved identities).
    pub(super) fn all_pods(&self) -> BitSet {
        let mut set = BitSet::new(self.n);
        for i in 0..self.cluster.pods.len() {
            set.insert(i);
        }
        set
    }
}

/// Compiles `policies` for `cluster`.
pub(crate) fn compile(cluster: &Cluster, policies: &[Policy]) -> Compiled {
    let mut b = Builder::new(cluster);
    let mut out = Compiled::default();
    for (index, policy) in policies.iter().enumerate() {
        out.policies.push(PolicyRef {
            kind: policy.kind(),
            name: policy.display_name(),
            index,
        });
        match policy {
            Policy::NetworkPolicy(np) => kubernetes::compile(&mut b, &mut out, index, np),
            Policy::CiliumNetworkPolicy(p) => cilium::compile(&mut b, &mut out, index, p, false),
            Policy::CiliumClusterwideNetworkPolicy(p) => {
                cilium::compile(&mut b, &mut out, index, p, true)
            }
        }
    }
    // Nodes, for Cilium's `host` and `remote-node` entities.
    let n = cluster.endpoint_count();
    let mut node_ids: HashMap<IpAddr, u32> = HashMap::new();
    out.node_of = vec![None; n];
    out.host_all = BitSet::new(n);
    for (i, pod) in cluster.pods.iter().enumerate() {
        if let Some(ip) = pod.node_ip {
            let next = node_ids.len() as u32;
            let id = *node_ids.entry(ip).or_insert(next);
            if id as usize == out.host_by_node.len() {
                out.host_by_node.push(BitSet::new(n));
            }
            out.node_of[i] = Some(id);
            if pod.host_network {
                out.host_by_node[id as usize].insert(i);
            }
        }
        if pod.host_network {
            out.host_all.insert(i);
        }
    }
    out.notes.append(&mut b.notes);
    out
}

/// Adds a rule to `out` and to its group, computing the peer union.
pub(crate) fn push_rule(out: &mut Compiled, mut rule: Rule) {
    let n = rule.peer_union.universe();
    let mut union = BitSet::new(n);
    if let Some(peers) = &rule.peers {
        for p in peers {
            union.union_with(&p.set);
            if p.node.is_some() {
                rule.node_relative = true;
            }
        }
    }
    rule.peer_union = union;
    let id = out.rules.len();
    let g = rule.group;
    let d = dir_index(rule.direction);
    out.rules.push(rule);
    out.groups[g].rules[d].push(id);
}
