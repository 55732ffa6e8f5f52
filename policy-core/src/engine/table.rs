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

use super::bitset::BitSet;
use super::compile::{Rule, dir_index};
use super::port::{PortKey, PortSpec};
use super::verdict::Direction;
use super::Engine;
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
        BitMatrix { n, words_per_row: wpr, words: vec![0; wpr * n] }
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

/// Which destinations each rule's ports admit, for one port key.
struct PortSets {
    /// `None`: every destination; `Some(set)`: only those.
    per_rule: Vec<Option<BitSet>>,
}

fn port_sets(engine: &Engine, key: PortKey, named: &HashMap<&str, Vec<(usize, u16, super::Protocol)>>) -> PortSets {
    let n = engine.cluster.endpoint_count();
    let per_rule = engine
        .compiled
        .rules
        .iter()
        .map(|rule| {
            let mut set: Option<BitSet> = Some(BitSet::new(n));
            for clause in &rule.ports {
                match &clause.spec {
                    PortSpec::Named { name, proto } => {
                        if !proto.matches(key.protocol) {
                            continue;
                        }
                        if let (Some(s), Some(list)) = (set.as_mut(), named.get(name.as_str())) {
                            for &(pod, port, protocol) in list {
                                if port == key.port && protocol == key.protocol {
                                    s.insert(pod);
                                }
                            }
                        }
                    }
                    spec => {
                        if spec.matches(key, None) {
                            set = None;
                            break;
                        }
                    }
                }
            }
            set
        })
        .collect();
    PortSets { per_rule }
}

/// Peers a rule admits for `subject` (node-relative parts resolved), as a set.
fn rule_peers(engine: &Engine, rule: &Rule, subject: usize, n: usize) -> BitSet {
    engine.compiled.rule_peers(rule, subject).unwrap_or_else(|| BitSet::full(n))
}

pub(super) fn build(engine: &Engine, ports: &[PortKey]) -> TruthTable {
    let cluster = &engine.cluster;
    let n = cluster.endpoint_count();
    // Named container ports of policed pods: name -> (endpoint, port, protocol).
    let mut named: HashMap<&str, Vec<(usize, u16, super::Protocol)>> = HashMap::new();
    for (i, pod) in cluster.pods.iter().enumerate() {
        if pod.host_network {
            continue;
        }
        for cp in &pod.ports {
            if let Some(name) = &cp.name {
                named.entry(name.as_str()).or_default().push((i, cp.port, cp.protocol));
            }
        }
    }
    let policed: Vec<bool> = (0..n)
        .map(|e| matches!(cluster.endpoint(EndpointId(e)), Endpoint::Pod(p) if !p.host_network))
        .collect();

    let mut matrices = Vec::with_capacity(ports.len());
    for &key in ports {
        let ps = port_sets(engine, key, &named);
        let egress = egress_rows(engine, &ps, &policed, n);
        // Start from "ingress admits", then AND in the egress rows.
        let mut m = ingress_columns(engine, &ps, &policed, n);
        let wpr = m.words_per_row;
        for s in 0..n {
            let row = &mut m.words[s * wpr..(s + 1) * wpr];
            let e = egress.rows[egress.of[s] as usize].words();
            for (w, e) in row.iter_mut().zip(e) {
                *w &= e;
            }
        }
        matrices.push(m);
    }
    TruthTable { ports: ports.to_vec(), matrices }
}

struct Rows {
    of: Vec<u32>,
    rows: Vec<BitSet>,
}

/// Per source: the destinations its egress admits on this port.
fn egress_rows(engine: &Engine, ps: &PortSets, policed: &[bool], n: usize) -> Rows {
    let d = dir_index(Direction::Egress);
    let mut ids: HashMap<(&[u32], Option<u32>), u32> = HashMap::new();
    let mut rows: Vec<BitSet> = Vec::new();
    let mut of = Vec::with_capacity(n);
    for s in 0..n {
        let groups: &[u32] = if policed[s] { &engine.selecting[d][s] } else { &[] };
        let node_rel = groups.iter().any(|&g| {
            engine.compiled.groups[g as usize].rules[d].iter().any(|&r| engine.compiled.rules[r].node_relative)
        });
        let node = if node_rel { engine.compiled.node_of[s].map(|x| x + 1).or(Some(0)) } else { None };
        let id = *ids.entry((groups, node)).or_insert_with(|| {
            rows.push(side_set(engine, ps, d, groups, s, n, None));
            (rows.len() - 1) as u32
        });
        of.push(id);
    }
    Rows { of, rows }
}

/// The set a side admits for a subject whose groups are `groups`: for egress
/// the destinations, for ingress the sources. `dst` is the destination for
/// ingress (port clauses are checked against it); for egress the port sets
/// restrict the destinations directly.
fn side_set(
    engine: &Engine,
    ps: &PortSets,
    d: usize,
    groups: &[u32],
    subject: usize,
    n: usize,
    dst: Option<usize>,
) -> BitSet {
    let compiled = &engine.compiled;
    let isolated = groups.iter().any(|&g| compiled.groups[g as usize].isolates[d]);
    let mut requires: Option<BitSet> = None;
    for &g in groups {
        if let Some(r) = &compiled.groups[g as usize].requires[d] {
            match &mut requires {
                Some(acc) => acc.intersect_with(r),
                None => requires = Some(r.clone()),
            }
        }
    }
    let mut allow = if isolated { BitSet::new(n) } else { BitSet::full(n) };
    let mut deny = BitSet::new(n);
    for &g in groups {
        let group = &compiled.groups[g as usize];
        for &r in &group.rules[d] {
            let rule = &compiled.rules[r];
            let port_ok = &ps.per_rule[r];
            let mut set = match dst {
                // Ingress: the rule's ports must admit this destination.
                Some(dst) => {
                    if port_ok.as_ref().is_some_and(|p| !p.contains(dst)) {
                        continue;
                    }
                    rule_peers(engine, rule, subject, n)
                }
                // Egress: the ports restrict which destinations are admitted.
                None => {
                    let mut set = rule_peers(engine, rule, subject, n);
                    if let Some(p) = port_ok {
                        set.intersect_with(p);
                    }
                    set
                }
            };
            if rule.deny {
                deny.union_with(&set);
            } else {
                if group.cilium {
                    if let Some(req) = &requires {
                        set.intersect_with(req);
                    }
                }
                allow.union_with(&set);
            }
        }
    }
    allow.difference_with(&deny);
    allow
}

/// Per destination, the sources its ingress admits (row `t`), turned into
/// per source the destinations that admit it (row `s`) by a blocked bit
/// transpose.
fn ingress_columns(engine: &Engine, ps: &PortSets, policed: &[bool], n: usize) -> BitMatrix {
    let d = dir_index(Direction::Ingress);
    let compiled = &engine.compiled;
    let mut admitted = BitMatrix::new(n);
    let wpr = admitted.words_per_row;
    let full = BitSet::full(n);
    // Ingress classes: (groups, node, which rules' ports admit this destination).
    let mut ids: HashMap<(&[u32], Option<u32>, Vec<bool>), usize> = HashMap::new();
    let mut sources: Vec<BitSet> = Vec::new();
    for t in 0..n {
        let groups: &[u32] = if policed[t] { &engine.selecting[d][t] } else { &[] };
        let set = if groups.is_empty() {
            &full
        } else {
            let mut node_rel = false;
            let mut port_bits = Vec::new();
            for &g in groups {
                for &r in &compiled.groups[g as usize].rules[d] {
                    node_rel |= compiled.rules[r].node_relative;
                    if let Some(p) = &ps.per_rule[r] {
                        port_bits.push(p.contains(t));
                    }
                }
            }
            let node = if node_rel { compiled.node_of[t].map(|x| x + 1).or(Some(0)) } else { None };
            let id = *ids.entry((groups, node, port_bits)).or_insert_with(|| {
                sources.push(side_set(engine, ps, d, groups, t, n, Some(t)));
                sources.len() - 1
            });
            &sources[id]
        };
        admitted.words[t * wpr..(t + 1) * wpr].copy_from_slice(set.words());
    }
    admitted.transposed()
}

impl BitMatrix {
    /// The transpose: bit (i, j) becomes bit (j, i). Works on 64x64 blocks.
    fn transposed(&self) -> BitMatrix {
        let n = self.n;
        let wpr = self.words_per_row;
        let mut out = BitMatrix::new(n);
        let mut block = [0u64; 64];
        for bi in 0..wpr {
            for bj in 0..wpr {
                for (r, slot) in block.iter_mut().enumerate() {
                    let row = bi * 64 + r;
                    *slot = if row < n { self.words[row * wpr + bj] } else { 0 };
                }
                transpose64(&mut block);
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
                if x % 3 == 0 {
                    m.words[i * m.words_per_row + j / 64] |= 1 << (j % 64);
                }
            }
        }
        let t = m.transposed();
        for i in 0..n {
            for j in 0..n {
                assert_eq!(m.get(i, j), t.get(j, i), "({i}, {j})");
            }
        }
    }
}
