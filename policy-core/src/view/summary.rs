//! Large peer groups, summarised: what a collapsed group box says, and the
//! one edge drawn for it.
//!
//! A group with more than [`COLLAPSE_ABOVE`] peers is more than a screenful
//! of boxes; the view model gives it a [`GroupSummary`] and the page draws
//! it as one box ("640 CIDRs in 49.50.0.0/16 and 50.0.0.0/8", "35
//! namespaces") that expands into a list. Everything here is
//! O(n log n) in the number of peers: the CIDR ranges come from one sort.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::{Direction, Edge, Peer, PeerKind};

/// Groups with more peers than this are collapsed into one box.
pub const COLLAPSE_ABOVE: usize = 12;

/// At most this many address ranges are named in a CIDR summary.
const MAX_RANGES: usize = 3;

/// What a collapsed group box says, and its one edge.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GroupSummary {
    /// How many peers the group holds.
    pub count: usize,
    /// What it holds: `640 CIDRs in 49.50.0.0/16 and 50.0.0.0/8`,
    /// `35 namespaces`, `52 peers: 40 pod selectors; 12 namespaces`.
    pub text: String,
    /// The label of the group's edge: the peers' ports when they all share
    /// them (`443/TCP`), else how many different port sets there are with
    /// the first one (`1000/TCP and 49 other port sets`).
    pub edge_label: String,
    /// Whether every peer of the group is denied (a deny edge).
    pub deny: bool,
    /// One sentence for the whole group, shown on hover and focus.
    pub sentence: String,
}

/// The summary of a group's peers, or `None` when they fit on screen.
pub(super) fn summarise(
    direction: Direction,
    subject: &str,
    peers: &[Peer],
) -> Option<GroupSummary> {
    if peers.len() <= COLLAPSE_ABOVE {
        return None;
    }
    let text = contents(peers);
    let edge_label = edge_label(peers);
    let deny = peers.iter().all(|p| p.edge.deny);
    let denied = peers.iter().filter(|p| p.edge.deny).count();
    let verb = match (direction, deny) {
        (Direction::Ingress, false) => format!("{text} may connect to {subject}"),
        (Direction::Ingress, true) => format!("{text} are denied connecting to {subject}"),
        (Direction::Egress, false) => format!("{subject} may connect to {text}"),
        (Direction::Egress, true) => format!("{subject} are denied connecting to {text}"),
    };
    let ports = if edge_label == "all ports" {
        "on any port".to_string()
    } else {
        format!("on {edge_label}")
    };
    let mixed = if denied > 0 && !deny {
        format!(" ({denied} of them denied)")
    } else {
        String::new()
    };
    let sentence = super::networkpolicy::upper_first(&format!("{verb} {ports}{mixed}."));
    Some(GroupSummary {
        count: peers.len(),
        text,
        edge_label,
        deny,
        sentence,
    })
}

/// `640 CIDRs in 49.50.0.0/16 and 50.0.0.0/8`, or, for several kinds,
/// `52 peers: 40 pod selectors; 12 namespaces`.
fn contents(peers: &[Peer]) -> String {
    const KINDS: [PeerKind; 7] = [
        PeerKind::Any,
        PeerKind::Pods,
        PeerKind::Namespaces,
        PeerKind::Service,
        PeerKind::Entity,
        PeerKind::Cidr,
        PeerKind::Fqdn,
    ];
    let mut counts = [0usize; 7];
    for p in peers {
        counts[usize::from(kind_order(p.kind))] += 1;
    }
    let parts: Vec<String> = KINDS
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(&kind, n)| {
            let noun = kind_noun(kind, n);
            if kind == PeerKind::Cidr {
                let ranges = cidr_ranges(
                    peers
                        .iter()
                        .filter(|p| p.kind == PeerKind::Cidr)
                        .map(|p| p.title.as_str()),
                );
                if ranges.is_empty() {
                    format!("{n} {noun}")
                } else {
                    format!("{n} {noun} in {}", join_and(&ranges))
                }
            } else {
                format!("{n} {noun}")
            }
        })
        .collect();
    match parts.as_slice() {
        [one] => one.clone(),
        _ => format!("{} peers: {}", peers.len(), parts.join("; ")),
    }
}

fn kind_order(kind: PeerKind) -> u8 {
    match kind {
        PeerKind::Any => 0,
        PeerKind::Pods => 1,
        PeerKind::Namespaces => 2,
        PeerKind::Service => 3,
        PeerKind::Entity => 4,
        PeerKind::Cidr => 5,
        PeerKind::Fqdn => 6,
    }
}

fn kind_noun(kind: PeerKind, n: usize) -> &'static str {
    let one = n == 1;
    match kind {
        PeerKind::Any if one => "rule open to anywhere",
        PeerKind::Any => "rules open to anywhere",
        PeerKind::Pods if one => "pod selector",
        PeerKind::Pods => "pod selectors",
        PeerKind::Namespaces if one => "namespace",
        PeerKind::Namespaces => "namespaces",
        PeerKind::Service if one => "service",
        PeerKind::Service => "services",
        PeerKind::Entity if one => "entity",
        PeerKind::Entity => "entities",
        PeerKind::Cidr if one => "CIDR",
        PeerKind::Cidr => "CIDRs",
        PeerKind::Fqdn if one => "DNS name",
        PeerKind::Fqdn => "DNS names",
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The few ranges (at most [`MAX_RANGES`]) that hold every valid CIDR of
/// the list. The CIDRs are sorted by address and cut into clusters where
/// neighbours share the fewest leading bits; each cluster is named by its
/// longest common prefix. Of the one to three clusterings, the one with the
/// smallest log2(addresses covered) + number of ranges wins, so a range is
/// added only when it at least halves what the summary claims. Empty when
/// the best summary is everything (a /0) or no CIDR is valid.
pub fn cidr_ranges<'a>(cidrs: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut nets: Vec<IpNet> = cidrs
        .filter_map(|c| c.trim().parse::<IpNet>().ok())
        .map(|n| n.trunc())
        .collect();
    if nets.is_empty() {
        return Vec::new();
    }
    nets.sort_by(|a, b| {
        (a.addr().is_ipv6(), a.network(), a.prefix_len()).cmp(&(
            b.addr().is_ipv6(),
            b.network(),
            b.prefix_len(),
        ))
    });
    // Bits shared by neighbours; `None` between address families, which
    // are always cut apart.
    let shared: Vec<Option<u8>> = nets.windows(2).map(|w| common_bits(&w[0], &w[1])).collect();
    let family_cuts = shared.iter().filter(|s| s.is_none()).count();
    let extra = MAX_RANGES.saturating_sub(family_cuts + 1);
    let mut within: Vec<u8> = shared.iter().flatten().copied().collect();
    within.sort_unstable();
    let mut best: Option<(f64, Vec<IpNet>)> = None;
    for k in 0..=extra.min(within.len()) {
        // Cut where neighbours share fewer bits than the k-th smallest
        // count (at most k cuts besides the family ones).
        let threshold = within.get(k).copied().unwrap_or(u8::MAX);
        let ranges = clusters(&nets, &shared, threshold);
        let covered: f64 = ranges
            .iter()
            .map(|r| 2f64.powi(i32::from(r.max_prefix_len() - r.prefix_len())))
            .sum();
        let cost = covered.log2() + ranges.len() as f64;
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, ranges));
        }
    }
    let ranges = best.map(|(_, r)| r).unwrap_or_default();
    if ranges.iter().any(|r| r.prefix_len() == 0) {
        return Vec::new();
    }
    ranges.iter().map(IpNet::to_string).collect()
}

/// The common prefixes of the runs of `nets` between cuts (where
/// neighbours share fewer than `threshold` bits, or differ in family).
fn clusters(nets: &[IpNet], shared: &[Option<u8>], threshold: u8) -> Vec<IpNet> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..=shared.len() {
        if i < shared.len() && shared[i].is_some_and(|s| s >= threshold) {
            continue;
        }
        let run = &nets[start..=i];
        let bits = run
            .windows(2)
            .filter_map(|w| common_bits(&w[0], &w[1]))
            .chain(run.iter().map(IpNet::prefix_len))
            .min()
            .unwrap_or(0);
        out.push(
            IpNet::new(run[0].network(), bits)
                .map(|n| n.trunc())
                .unwrap_or(run[0]),
        );
        start = i + 1;
    }
    out
}

/// Leading bits two networks' addresses share (capped at the shorter
/// prefix), or `None` across address families.
fn common_bits(a: &IpNet, b: &IpNet) -> Option<u8> {
    let bits = match (a.network(), b.network()) {
        (IpAddr::V4(x), IpAddr::V4(y)) => (u32::from(x) ^ u32::from(y)).leading_zeros() as u8,
        (IpAddr::V6(x), IpAddr::V6(y)) => (u128::from(x) ^ u128::from(y)).leading_zeros() as u8,
        _ => return None,
    };
    Some(bits.min(a.prefix_len()).min(b.prefix_len()))
}

/// The group edge's label: the shared ports, or how many port sets differ.
fn edge_label(peers: &[Peer]) -> String {
    let mut labels: Vec<String> = peers.iter().map(|p| full_label(&p.edge)).collect();
    let first = labels.first().cloned().unwrap_or_default();
    labels.sort_unstable();
    labels.dedup();
    match labels.len() {
        0 | 1 => first,
        n => format!("{first} and {} other port sets", n - 1),
    }
}

fn full_label(edge: &Edge) -> String {
    let label = edge.label();
    if edge.l7.is_empty() {
        label
    } else {
        let l7: Vec<&str> = edge.l7.iter().map(|b| b.protocol.as_str()).collect();
        format!("{label} + {}", l7.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(cidrs: &[&str]) -> Vec<String> {
        cidr_ranges(cidrs.iter().copied())
    }

    #[test]
    fn cidrs_are_summarised_by_their_common_prefixes() {
        let mut list: Vec<String> = (0..400)
            .map(|i| format!("49.50.{}.{}/32", i / 128, (i % 128) * 2))
            .collect();
        list.extend((0..240).map(|i| format!("50.{}.0.0/16", i)));
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        assert_eq!(ranges(&refs), vec!["49.50.0.0/22", "50.0.0.0/8"]);
    }

    #[test]
    fn one_cidr_is_its_own_range_and_a_spread_gives_none() {
        assert_eq!(ranges(&["10.1.2.3/24"]), vec!["10.1.2.0/24"]);
        assert_eq!(
            ranges(&["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
            vec!["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        );
        // Four ranges with nothing in common above bit 0: no useful summary.
        assert!(ranges(&["1.0.0.0/8", "64.0.0.0/8", "128.0.0.0/8", "200.0.0.0/8"]).is_empty());
        assert!(ranges(&["not a cidr"]).is_empty());
    }

    #[test]
    fn families_are_kept_apart() {
        assert_eq!(
            ranges(&["10.0.0.1/32", "10.0.0.2/32", "fd00::1/128", "fd00::2/128"]),
            vec!["10.0.0.0/30", "fd00::/126"]
        );
    }
}
