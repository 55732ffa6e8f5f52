//! A truth table summed up by namespace: for each (source namespace,
//! destination namespace) pair, how many of its pod pairs are allowed.
//!
//! This is what a cluster too large to draw pod by pod looks like at a
//! glance. It reads the table the engine built; it decides nothing itself.

use serde::{Deserialize, Serialize};

use super::table::TruthTable;
use crate::cluster::{Cluster, EndpointId};

/// Allowed pod pairs from one namespace to another on one port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceCell {
    /// Source namespace.
    pub from: String,
    /// Destination namespace.
    pub to: String,
    /// Pod pairs (source in `from`, destination in `to`, never a pod with
    /// itself) whose connection is allowed.
    pub allowed: usize,
    /// All such pod pairs.
    pub total: usize,
}

impl NamespaceCell {
    /// Every pair is allowed (and there is at least one).
    pub fn all_allowed(&self) -> bool {
        self.total > 0 && self.allowed == self.total
    }

    /// No pair is allowed (and there is at least one).
    pub fn none_allowed(&self) -> bool {
        self.total > 0 && self.allowed == 0
    }
}

/// A namespaces × namespaces summary of one port of a [`TruthTable`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceTable {
    /// Namespaces with at least one of the counted pods, in the cluster's
    /// namespace order.
    pub namespaces: Vec<String>,
    /// Pods counted per namespace, parallel to `namespaces`.
    pub pods: Vec<usize>,
    /// Row-major cells: `cells[i * namespaces.len() + j]` is from
    /// `namespaces[i]` to `namespaces[j]`.
    pub cells: Vec<NamespaceCell>,
}

impl NamespaceTable {
    /// The cell from namespace `from` to namespace `to`, if both have pods.
    pub fn cell(&self, from: &str, to: &str) -> Option<&NamespaceCell> {
        let i = self.namespaces.iter().position(|n| n == from)?;
        let j = self.namespaces.iter().position(|n| n == to)?;
        self.cells.get(i * self.namespaces.len() + j)
    }

    /// The cells of source namespace `namespaces[i]`, in column order.
    pub fn row(&self, i: usize) -> &[NamespaceCell] {
        let k = self.namespaces.len();
        &self.cells[i * k..(i + 1) * k]
    }
}

/// Sums up `table.matrices[port_index]` by namespace over `pods` (pod
/// endpoints of `cluster`, such as the pods a filter kept; external
/// endpoints and ids out of range are ignored, duplicates count once).
///
/// A cell counts the ordered pairs (source in its row namespace,
/// destination in its column namespace) of distinct pods, so a namespace
/// of `n` pods has `n * (n - 1)` pairs with itself: pod-to-itself traffic is
/// left out, as in `palisade probe` and the pod heat map.
pub fn by_namespace(
    cluster: &Cluster,
    table: &TruthTable,
    port_index: usize,
    pods: &[EndpointId],
) -> NamespaceTable {
    let matrix = &table.matrices[port_index];
    // Namespace index of each counted pod, in the cluster's namespace order
    // (then, for a pod whose namespace is somehow not listed, first seen).
    let mut names: Vec<&str> = Vec::new();
    let mut member: Vec<Option<usize>> = vec![None; matrix.n];
    let mut order: Vec<&str> = cluster.namespaces.iter().map(|n| n.name.as_str()).collect();
    for id in pods {
        if let Some(p) = cluster.pod(*id)
            && !order.contains(&p.namespace.as_str())
        {
            order.push(&p.namespace);
        }
    }
    for ns in order {
        let in_ns: Vec<usize> = pods
            .iter()
            .filter(|id| id.0 < matrix.n && cluster.pod(**id).is_some_and(|p| p.namespace == ns))
            .map(|id| id.0)
            .collect();
        if in_ns.is_empty() {
            continue;
        }
        for e in in_ns {
            member[e] = Some(names.len());
        }
        names.push(ns);
    }
    let k = names.len();
    // One destination mask per namespace, so a source row is counted with a
    // popcount per namespace.
    let mut masks = vec![vec![0u64; matrix.words_per_row]; k];
    let mut sizes = vec![0usize; k];
    for (e, m) in member.iter().enumerate() {
        if let Some(m) = *m {
            masks[m][e / 64] |= 1 << (e % 64);
            sizes[m] += 1;
        }
    }
    let mut allowed = vec![0usize; k * k];
    for (s, m) in member.iter().enumerate() {
        let Some(i) = *m else { continue };
        let row = matrix.row(s);
        for (j, mask) in masks.iter().enumerate() {
            let mut count: usize = row
                .iter()
                .zip(mask)
                .map(|(r, m)| (r & m).count_ones() as usize)
                .sum();
            if i == j && matrix.get(s, s) {
                count -= 1;
            }
            allowed[i * k + j] += count;
        }
    }
    let mut cells = Vec::with_capacity(k * k);
    for i in 0..k {
        for j in 0..k {
            let total = if i == j {
                sizes[i] * sizes[i].saturating_sub(1)
            } else {
                sizes[i] * sizes[j]
            };
            cells.push(NamespaceCell {
                from: names[i].to_string(),
                to: names[j].to_string(),
                allowed: allowed[i * k + j],
                total,
            });
        }
    }
    NamespaceTable {
        namespaces: names.iter().map(|n| n.to_string()).collect(),
        pods: sizes,
        cells,
    }
}
