//! The whole truth table, by classes of endpoints instead of pairs.
//!
//! For each port, per direction, endpoints selected by the same policy rules
//! form one class and get one row (egress) or one set of allowed sources
//! (ingress), computed as unions of the rules' peer bitsets. Named ports and
//! node-relative Cilium entities split a class further only where they are
//! used. The ingress answer (per destination, the admitted sources) is
//! turned around by a blocked 64x64 bit transpose, so the final step is one
//! bitwise AND per source row.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Engine;
use super::bitset::BitSet;
use super::compile::{Rule, dir_index};
use super::port::{PortKey, PortSpec};
use super::verdict::Direction;
use crate::cluster::{Endpoint, EndpointId};

/// A square bit matrix: row = source endpoint, column = destination endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BitMatrix {
    /// Number of rows and columns.
    pub n: usize,
    /// `u64` words per row.
    pub words_per_row: usize,
    /// Row-major words; bit `to % 64` of word `from * words_per_row + to / 64`.
    pub words: Vec<u64>,
}

impl BitMatrix {
    fn new(n: usize) -> Self {
        let wpr = n.div_ceil(64);
        BitMatrix {
            n,
            words_per_row: wpr,
            words: vec![0; wpr * n],
        }
    }

    /// Whether bit (`from`, `to`) is set.
    pub fn get(&self, from: usize, to: usize) -> bool {
        self.words[from * self.words_per_row + to / 64] & (1u64 << (to % 64)) != 0
    }

    /// The words of row `from`.
    pub fn row(&self, from: usize) -> &[u64] {
        &self.words[from * self.words_per_row..(from + 1) * self.words_per_row]
    }

    /// Number of set bits.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
}

/// Allowed connections between every pair of endpoints, per port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthTable {
    /// The ports, in the order given.
    pub ports: Vec<PortKey>,
    /// One matrix per port.
    pub matrices: Vec<BitMatrix>,
}

impl TruthTable {
    /// Whether `from` can reach `to` on `ports[port_index]`.
    pub fn allowed(&self, port_index: usize, from: EndpointId, to: EndpointId) -> bool {
        self.matrices[port_index].get(from.0, to.0)
    }

    /// The index of `port` in [`TruthTable::ports`].
    pub fn port_index(&self, port: PortKey) -> Option<usize> {
        self.ports.iter().position(|p| *p == port)
    }
}

/// A port-dependence id of a rule for one port: the rule's ports admit every
/// destination, none, or the destinations in an interned named-port set.
const PORT_ALL: u32 = 0;
const PORT_NONE: u32 = 1;

/// Endpoints selected by the same rules (and, where node-relative entities
/// are used, on the same node) share one class per direction.
struct Class {
    /// Rule ids of the selecting groups, in order.
    rules: Vec<usize>,
    /// Whether some rule is node-relative (then `subject` fixes the node).
    subject: usize,
    isolated: bool,
    /// Intersection of the Cilium requirements of the selecting groups.
    requires: Option<BitSet>,
}

/// Classes per direction, computed once per table.
struct Classes {
    of: Vec<u32>,
    list: Vec<Class>,
}

fn classes(engine: &Engine, d: usize, policed: &[bool]) -> Classes {
    let compiled = &engine.compiled;
    let mut ids: HashMap<(&[u32], Option<u32>), u32> = HashMap::new();
    let mut list = Vec::new();
    let mut of = Vec::with_capacity(policed.len());
    for (e, &is_policed) in policed.iter().enumerate() {
        let groups: &[u32] = if is_policed {
            &engine.selecting[d][e]
        } else {
            &[]
        };
        let node_rel = groups.iter().any(|&g| {
            compiled.groups[g as usize].rules[d]
                .iter()
                .any(|&r| compiled.rules[r].node_relative)
        });
        let node = if node_rel {
            compiled.node_of[e].map(|x| x + 1).or(Some(0))
        } else {
            None
        };
        let id = *ids.entry((groups, node)).or_insert_with(|| {
            let mut requires: Option<BitSet> = None;
            for &g in groups {
                if let Some(r) = &compiled.groups[g as usize].requires[d] {
                    match &mut requires {
                        Some(acc) => acc.intersect_with(r),
                        None => requires = Some(r.clone()),
                    }
                }
            }
            list.push(Class {
                rules: groups
                    .iter()
                    .flat_map(|&g| compiled.groups[g as usize].rules[d].iter().copied())
                    .collect(),
                subject: e,
                isolated: groups
                    .iter()
                    .any(|&g| compiled.groups[g as usize].isolates[d]),
                requires,
            });
            (list.len() - 1) as u32
        });
        of.push(id);
    }
    Classes { of, list }
}

/// Interned named-port destination sets, shared by all ports of a table.
#[derive(Default)]
struct NamedSets {
    ids: HashMap<BitSet, u32>,
    sets: Vec<BitSet>,
}

impl NamedSets {
    fn id(&mut self, set: BitSet) -> u32 {
        if set.is_empty() {
            return PORT_NONE;
        }
        if let Some(id) = self.ids.get(&set) {
            return *id;
        }
        self.sets.push(set.clone());
        let id = self.sets.len() as u32 + 1;
        self.ids.insert(set, id);
        id
    }

    fn get(&self, id: u32) -> &BitSet {
        &self.sets[id as usize - 2]
    }
}

/// Per rule, which destinations its ports admit on `key`.
fn rule_ports(
    engine: &Engine,
    key: PortKey,
    named: &HashMap<&str, Vec<(usize, u16, super::Protocol)>>,
    interned: &mut NamedSets,
) -> Vec<u32> {
    let n = engine.cluster.endpoint_count();
    engine
        .compiled
        .rules
        .iter()
        .map(|rule| {
            let mut set: Option<BitSet> = None;
            for clause in &rule.ports {
                match &clause.spec {
                    PortSpec::Named { name, proto } => {
                        if !proto.matches(key.protocol) {
                            continue;
                        }
                        for &(pod, port, protocol) in named.get(name.as_str()).into_iter().flatten()
                        {
                            if port == key.port && protocol == key.protocol {
                                set.get_or_insert_with(|| BitSet::new(n)).insert(pod);
                            }
                        }
                    }
                    spec => {
                        if spec.matches(key, None) {
                            return PORT_ALL;
                        }
                    }
                }
            }
            match set {
                Some(s) => interned.id(s),
                None => PORT_NONE,
            }
        })
        .collect()
}

/// The peers `rule` admits for `subject`, borrowed when fixed.
fn peers_of<'a>(
    engine: &'a Engine,
    rule: &'a Rule,
    subject: usize,
    full: &'a BitSet,
) -> std::borrow::Cow<'a, BitSet> {
    match &rule.peers {
        None => std::borrow::Cow::Borrowed(full),
        Some(_) if !rule.node_relative => std::borrow::Cow::Borrowed(&rule.peer_union),
        Some(_) => std::borrow::Cow::Owned(
            engine
                .compiled
                .rule_peers(rule, subject)
                .unwrap_or_else(|| full.clone()),
        ),
    }
}

/// The set a class admits given, per rule, its port id (egress: the ports
/// restrict destinations) or whether it is active (ingress: the ports were
/// checked against the destination). `port_of(i)` returns `None` to skip
/// rule `i`, `Some(None)` for no restriction, `Some(Some(set))` to restrict.
fn class_set<'s>(
    engine: &Engine,
    class: &Class,
    full: &BitSet,
    port_of: impl Fn(usize) -> Option<Option<&'s BitSet>>,
) -> BitSet {
    let compiled = &engine.compiled;
    let n = full.universe();
    let mut allow = if class.isolated {
        BitSet::new(n)
    } else {
        full.clone()
    };
    let mut deny = BitSet::new(n);
    let mut scratch = BitSet::new(n);
    for (i, &r) in class.rules.iter().enumerate() {
        let Some(restrict) = port_of(i) else { continue };
        let rule = &compiled.rules[r];
        let peers = peers_of(engine, rule, class.subject, full);
        let cilium_req = (!rule.deny && compiled.groups[rule.group].cilium)
            .then_some(())
            .and(class.requires.as_ref());
        if restrict.is_none() && cilium_req.is_none() {
            if rule.deny {
                deny.union_with(&peers)
            } else {
                allow.union_with(&peers)
            }
            continue;
        }
        scratch.clone_from(&peers);
        if let Some(p) = restrict {
            scratch.intersect_with(p);
        }
        if let Some(req) = cilium_req {
            scratch.intersect_with(req);
        }
        if rule.deny {
            deny.union_with(&scratch)
        } else {
            allow.union_with(&scratch)
        }
    }
    allow.difference_with(&deny);
    allow
}

pub(super) fn build(engine: &Engine, ports: &[PortKey]) -> TruthTable {
    let cluster = &engine.cluster;
    let n = cluster.endpoint_count();
    // Named container ports of policed pods: name -> (endpoint, port, protocol).
    let mut named: HashMap<&str, Vec<(usize, u16, super::Protocol)>> = HashMap::new();
    for (i, pod) in cluster.pods.iter().enumerate() {
        if !pod.selectable() {
            continue;
        }
        for cp in &pod.ports {
            if let Some(name) = &cp.name {
                named
                    .entry(name.as_str())
                    .or_default()
                    .push((i, cp.port, cp.protocol));
            }
        }
    }
    let policed: Vec<bool> = (0..n)
        .map(|e| matches!(cluster.endpoint(EndpointId(e)), Endpoint::Pod(p) if p.selectable()))
        .collect();
    let egress = classes(engine, dir_index(Direction::Egress), &policed);
    let ingress = classes(engine, dir_index(Direction::Ingress), &policed);
    let full = BitSet::full(n);
    let mut interned = NamedSets::default();
    // Results shared across ports: a class's answer depends on the port only
    // through its rules' port ids (egress) or active rules (ingress).
    let mut egress_cache: HashMap<(u32, Vec<u32>), BitSet> = HashMap::new();
    let mut ingress_ids: HashMap<(u32, Vec<bool>), u32> = HashMap::new();
    let mut ingress_sets: Vec<BitSet> = vec![full.clone()];
    // Ports with the same ingress answers share one transposed matrix.
    let mut transposed: HashMap<Vec<u32>, BitMatrix> = HashMap::new();

    let mut matrices = Vec::with_capacity(ports.len());
    for &key in ports {
        let rp = rule_ports(engine, key, &named, &mut interned);
        // Ingress: per destination, the admitted sources (ids of shared
        // sets), then turned around into per source the admitting destinations.
        let mut row_ids: Vec<u32> = Vec::with_capacity(n);
        for t in 0..n {
            let c = ingress.of[t];
            let class = &ingress.list[c as usize];
            let id = if class.rules.is_empty() && !class.isolated {
                0
            } else {
                let active: Vec<bool> = class
                    .rules
                    .iter()
                    .map(|&r| match rp[r] {
                        PORT_ALL => true,
                        PORT_NONE => false,
                        id => interned.get(id).contains(t),
                    })
                    .collect();
                *ingress_ids
                    .entry((c, active))
                    .or_insert_with_key(|(_, active)| {
                        ingress_sets.push(class_set(engine, class, &full, |i| {
                            active[i].then_some(None)
                        }));
                        (ingress_sets.len() - 1) as u32
                    })
            };
            row_ids.push(id);
        }
        let mut m = transposed
            .entry(row_ids)
            .or_insert_with_key(|row_ids| {
                let mut admitted = BitMatrix::new(n);
                let wpr = admitted.words_per_row;
                for (t, id) in row_ids.iter().enumerate() {
                    admitted.words[t * wpr..(t + 1) * wpr]
                        .copy_from_slice(ingress_sets[*id as usize].words());
                }
                admitted.transposed()
            })
            .clone();
        let wpr = m.words_per_row;
        // Egress: AND each source row with its class's admitted destinations.
        for s in 0..n {
            let c = egress.of[s];
            let class = &egress.list[c as usize];
            if class.rules.is_empty() && !class.isolated {
                continue;
            }
            let sig: Vec<u32> = class.rules.iter().map(|&r| rp[r]).collect();
            let row_set = egress_cache.entry((c, sig)).or_insert_with_key(|(_, sig)| {
                class_set(engine, class, &full, |i| match sig[i] {
                    PORT_ALL => Some(None),
                    PORT_NONE => None,
                    id => Some(Some(interned.get(id))),
                })
            });
            for (w, e) in m.words[s * wpr..(s + 1) * wpr]
                .iter_mut()
                .zip(row_set.words())
            {
                *w &= e;
            }
        }
        matrices.push(m);
    }
    TruthTable {
        ports: ports.to_vec(),
        matrices,
    }
}

impl BitMatrix {
    /// The transpose: bit (i, j) becomes bit (j, i). Works on 64x64 blocks,
    /// output row bands outermost; all-zero and all-one blocks are not
    /// transposed.
    fn transposed(&self) -> BitMatrix {
        let n = self.n;
        let wpr = self.words_per_row;
        let mut out = BitMatrix::new(n);
        let mut block = [0u64; 64];
        for bj in 0..wpr {
            for bi in 0..wpr {
                let (mut any, mut all) = (0u64, u64::MAX);
                for (r, slot) in block.iter_mut().enumerate() {
                    let row = bi * 64 + r;
                    *slot = if row < n {
                        self.words[row * wpr + bj]
                    } else {
                        0
                    };
                    any |= *slot;
                    all &= *slot;
                }
                if any == 0 {
                    continue;
                }
                if all != u64::MAX {
                    transpose64(&mut block);
                }
                for (r, word) in block.iter().enumerate() {
                    let row = bj * 64 + r;
                    if row < n {
                        out.words[row * wpr + bi] = *word;
                    }
                }
            }
        }
        out
    }
}

/// Transposes a 64x64 bit block in place (bit `c` of word `r` is cell
/// (r, c)), by swapping ever smaller quadrants (Hacker's Delight, 7-3).
fn transpose64(a: &mut [u64; 64]) {
    let mut j = 32usize;
    let mut m: u64 = 0x0000_0000_FFFF_FFFF;
    while j != 0 {
        let mut k = 0usize;
        while k < 64 {
            let t = ((a[k] >> j) ^ a[k + j]) & m;
            a[k] ^= t << j;
            a[k + j] ^= t;
            k = (k + j + 1) & !j;
        }
        j >>= 1;
        m ^= m << j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_matches_definition() {
        let n = 150;
        let mut m = BitMatrix::new(n);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..n {
            for j in 0..n {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x.is_multiple_of(3) {
                    m.words[i * m.words_per_row + j / 64] |= 1 << (j % 64);
                }
            }
        }
        // One all-ones and one all-zeros 64x64 block, which skip the swap.
        for i in 0..64 {
            m.words[i * m.words_per_row + 1] = u64::MAX;
            m.words[(64 + i) * m.words_per_row] = 0;
        }
        let t = m.transposed();
        for i in 0..n {
            for j in 0..n {
                assert_eq!(m.get(i, j), t.get(j, i), "({i}, {j})");
            }
        }
    }
}
