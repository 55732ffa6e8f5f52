//! Exact connection sets: which (protocol, port) pairs a connection may use,
//! as a union of port ranges per protocol over TCP, UDP and SCTP 1–65535.
//!
//! [`Engine::connections`] computes the set for an ordered pair of
//! endpoints in one walk over the rules that select either side, the same
//! walk [`Engine::is_allowed`] makes for one probed port: every port clause
//! becomes a [`ConnSet`] (named ports resolved against the destination pod's
//! container ports, `endPort` as a range, Cilium `ANY` as all three
//! protocols), allow rules are unioned, deny rules subtracted, and the two
//! sides intersected. L7 rules do not narrow the set; they come back as
//! conditions.
//!
//! The text form is netpol-analyzer's: `All Connections`, or the protocols
//! in alphabetical order, each with its ranges, such as
//! `SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535` or `TCP 8080`.

use std::fmt;

use serde::{Serialize, Serializer};

use super::Engine;
use super::compile::dir_index;
use super::port::{PortKey, PortSpec, ProtoMatch, Protocol};
use super::verdict::Direction;
use crate::cluster::{ContainerPort, Endpoint, EndpointId};

/// Lowest and highest port of a connection set.
pub const MIN_PORT: u16 = 1;
/// Highest port.
pub const MAX_PORT: u16 = 65535;

/// Sorted, disjoint, non-adjacent inclusive port ranges of one protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PortRanges(Vec<(u16, u16)>);

impl PortRanges {
    fn full() -> Self {
        PortRanges(vec![(MIN_PORT, MAX_PORT)])
    }

    /// The ranges, sorted.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.0
    }

    fn is_full(&self) -> bool {
        self.0 == [(MIN_PORT, MAX_PORT)]
    }

    fn contains(&self, port: u16) -> bool {
        // Few ranges per set: a binary search is not worth it.
        self.0.iter().any(|&(a, b)| a <= port && port <= b)
    }

    fn add(&mut self, start: u16, end: u16) {
        let start = start.max(MIN_PORT);
        if start > end {
            return;
        }
        let mut out = Vec::with_capacity(self.0.len() + 1);
        let (mut s, mut e) = (start, end);
        let mut placed = false;
        for &(a, b) in &self.0 {
            if u32::from(b) + 1 < u32::from(s) {
                out.push((a, b));
            } else if u32::from(e) + 1 < u32::from(a) {
                if !placed {
                    out.push((s, e));
                    placed = true;
                }
                out.push((a, b));
            } else {
                s = s.min(a);
                e = e.max(b);
            }
        }
        if !placed {
            out.push((s, e));
        }
        self.0 = out;
    }

    fn union_with(&mut self, other: &PortRanges) {
        if self.is_full() || other.0.is_empty() {
            return;
        }
        if other.is_full() || self.0.is_empty() {
            self.0.clone_from(&other.0);
            return;
        }
        for &(a, b) in &other.0 {
            self.add(a, b);
        }
    }

    fn intersect(&self, other: &PortRanges) -> PortRanges {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < self.0.len() && j < other.0.len() {
            let (a1, b1) = self.0[i];
            let (a2, b2) = other.0[j];
            let (a, b) = (a1.max(a2), b1.min(b2));
            if a <= b {
                out.push((a, b));
            }
            if b1 < b2 { i += 1 } else { j += 1 }
        }
        PortRanges(out)
    }

    fn complement(&self) -> PortRanges {
        let mut out = Vec::new();
        let mut next = u32::from(MIN_PORT);
        for &(a, b) in &self.0 {
            if u32::from(a) > next {
                out.push((next as u16, a - 1));
            }
            next = u32::from(b) + 1;
        }
        if next <= u32::from(MAX_PORT) {
            out.push((next as u16, MAX_PORT));
        }
        PortRanges(out)
    }
}

/// A set of (protocol, port) pairs over TCP, UDP and SCTP ports 1–65535.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ConnSet {
    /// Indexed like [`Protocol::ALL`]: TCP, UDP, SCTP.
    by_protocol: [PortRanges; 3],
}

fn proto_index(p: Protocol) -> usize {
    match p {
        Protocol::Tcp => 0,
        Protocol::Udp => 1,
        Protocol::Sctp => 2,
    }
}

impl ConnSet {
    /// No connection.
    pub fn empty() -> Self {
        ConnSet::default()
    }

    /// Every port of every protocol.
    pub fn all() -> Self {
        ConnSet {
            by_protocol: [PortRanges::full(), PortRanges::full(), PortRanges::full()],
        }
    }

    /// Ports `start..=end` of `protocol`.
    pub fn range(protocol: Protocol, start: u16, end: u16) -> Self {
        let mut s = ConnSet::empty();
        s.by_protocol[proto_index(protocol)].add(start, end);
        s
    }

    /// Whether the set holds nothing.
    pub fn is_empty(&self) -> bool {
        self.by_protocol.iter().all(|r| r.0.is_empty())
    }

    /// Whether the set holds every port of every protocol.
    pub fn is_all(&self) -> bool {
        self.by_protocol.iter().all(PortRanges::is_full)
    }

    /// Whether `key` is in the set.
    pub fn contains(&self, key: PortKey) -> bool {
        self.by_protocol[proto_index(key.protocol)].contains(key.port)
    }

    /// The ranges of `protocol`, sorted.
    pub fn ranges(&self, protocol: Protocol) -> &[(u16, u16)] {
        self.by_protocol[proto_index(protocol)].ranges()
    }

    /// Adds ports `start..=end` of `protocol`.
    pub fn add_range(&mut self, protocol: Protocol, start: u16, end: u16) {
        self.by_protocol[proto_index(protocol)].add(start, end);
    }

    /// `self ∪= other`.
    pub fn union_with(&mut self, other: &ConnSet) {
        for (a, b) in self.by_protocol.iter_mut().zip(&other.by_protocol) {
            a.union_with(b);
        }
    }

    /// `self ∩ other`.
    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            by_protocol: std::array::from_fn(|i| {
                self.by_protocol[i].intersect(&other.by_protocol[i])
            }),
        }
    }

    /// `self − other`.
    pub fn difference(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            by_protocol: std::array::from_fn(|i| {
                self.by_protocol[i].intersect(&other.by_protocol[i].complement())
            }),
        }
    }

    /// The ports where membership can change: the first and last port of
    /// every range, and the ports just outside them. Probing these (and the
    /// same points of any other set) is enough to tell two sets apart.
    pub fn boundaries(&self) -> Vec<PortKey> {
        let mut out = Vec::new();
        for p in Protocol::ALL {
            for &(a, b) in self.ranges(p) {
                for port in [a.checked_sub(1), Some(a), Some(b), b.checked_add(1)]
                    .into_iter()
                    .flatten()
                    .filter(|p| *p >= MIN_PORT)
                {
                    out.push(PortKey::new(port, p));
                }
            }
        }
        out
    }

    /// The set a compiled port clause admits towards a destination whose
    /// container ports are `dst_ports` (`None`: not a pod, so named ports
    /// admit nothing).
    pub(crate) fn of_spec(spec: &PortSpec, dst_ports: Option<&[ContainerPort]>) -> ConnSet {
        let protos = |m: ProtoMatch| -> &'static [Protocol] {
            match m {
                ProtoMatch::One(Protocol::Tcp) => &[Protocol::Tcp],
                ProtoMatch::One(Protocol::Udp) => &[Protocol::Udp],
                ProtoMatch::One(Protocol::Sctp) => &[Protocol::Sctp],
                ProtoMatch::Any => &Protocol::ALL,
                ProtoMatch::Other => &[],
            }
        };
        match spec {
            PortSpec::All => ConnSet::all(),
            PortSpec::Nothing => ConnSet::empty(),
            PortSpec::Range { start, end, proto } => {
                let mut s = ConnSet::empty();
                for &p in protos(*proto) {
                    s.add_range(p, *start, *end);
                }
                s
            }
            PortSpec::Named { name, proto } => {
                let mut s = ConnSet::empty();
                for cp in dst_ports.into_iter().flatten() {
                    if cp.name.as_deref() == Some(name.as_str()) && proto.matches(cp.protocol) {
                        s.add_range(cp.protocol, cp.port, cp.port);
                    }
                }
                s
            }
        }
    }
}

impl fmt::Display for ConnSet {
    /// netpol-analyzer's form: `All Connections`, `No Connections`, or
    /// `SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        // Alphabetical, as netpol-analyzer sorts protocol names.
        for p in [Protocol::Sctp, Protocol::Tcp, Protocol::Udp] {
            let ranges = self.ranges(p);
            if ranges.is_empty() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{} ", p.as_str())?;
            for (i, &(a, b)) in ranges.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                if a == b {
                    write!(f, "{a}")?;
                } else {
                    write!(f, "{a}-{b}")?;
                }
            }
        }
        Ok(())
    }
}

impl Serialize for ConnSet {
    /// As its text form.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What a connection from one endpoint to another may carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Connections {
    /// The allowed (protocol, port) pairs.
    pub conns: ConnSet,
    /// L7 rules some allowed ports are subject to, in words (`HTTP GET /`,
    /// DNS patterns, …): the ports are allowed, the requests are filtered.
    pub conditions: Vec<String>,
}

impl Connections {
    /// The connection set of a pair from its two sides: the egress set at
    /// the source intersected with the ingress set at the destination, with
    /// the conditions of both (egress first, each once). Empty when the
    /// intersection is.
    pub(crate) fn of_sides(egress: &SideSet, ingress: &SideSet) -> Connections {
        let conns = egress.conns.intersect(&ingress.conns);
        if conns.is_empty() {
            return Connections::default();
        }
        let mut conditions = egress.conditions.clone();
        for c in &ingress.conditions {
            if !conditions.contains(c) {
                conditions.push(c.clone());
            }
        }
        Connections { conns, conditions }
    }
}

/// What one side (egress at the source, or ingress at the destination)
/// allows for one peer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SideSet {
    /// The allowed (protocol, port) pairs.
    pub conns: ConnSet,
    /// L7 conditions of the allow rules that admitted some port, in rule
    /// order.
    pub conditions: Vec<String>,
}

impl SideSet {
    fn all() -> SideSet {
        SideSet {
            conns: ConnSet::all(),
            conditions: Vec::new(),
        }
    }
}

/// The rules of one side at one subject, gathered once, so that the set for
/// any peer is: which of these rules apply to the peer (a bit mask,
/// [`Engine::side_matches`]), then the set those rules make
/// ([`Engine::side_set`]). A set depends on the peer only through that mask
/// and, where a rule names a port, the destination's container ports; the
/// connection list relies on this to compute each distinct set once.
#[derive(Clone, Debug)]
pub(crate) struct SideRules {
    /// Every connection is allowed whatever the peer: the subject is not a
    /// policed pod, or nothing selects it in this direction.
    open: bool,
    /// Some selecting policy isolates the subject in this direction.
    isolated: bool,
    /// Cilium's `fromRequires`/`toRequires` of the selecting rules,
    /// intersected.
    requires: Option<super::bitset::BitSet>,
    /// In walk order: the rule id, and whether the requirements apply to it
    /// (an allow rule of a Cilium policy).
    rules: Vec<(usize, bool)>,
    /// Some rule's port clause names a port, so the set depends on the
    /// destination's container ports.
    pub named_ports: bool,
}

impl SideRules {
    /// Whether every connection is allowed whatever the peer.
    pub(crate) fn is_open(&self) -> bool {
        self.open
    }

    /// Words of a mask over the rules.
    pub(crate) fn mask_words(&self) -> usize {
        self.rules.len().div_ceil(64)
    }
}

impl Engine {
    /// Exactly which (protocol, port) pairs `from` may use to reach `to`:
    /// the egress set at `from` intersected with the ingress set at `to`.
    /// Agrees with [`Engine::is_allowed`] on every port.
    pub fn connections(&self, from: EndpointId, to: EndpointId) -> Connections {
        let egress = self.side_connections(Direction::Egress, from, to);
        if egress.conns.is_empty() {
            return Connections::default();
        }
        let ingress = self.side_connections(Direction::Ingress, to, from);
        Connections::of_sides(&egress, &ingress)
    }

    /// The set one side allows: `dir` at `subject` for traffic with `peer`.
    /// Mirrors [`Engine::is_allowed`]'s side walk, with sets for booleans.
    fn side_connections(&self, dir: Direction, subject: EndpointId, peer: EndpointId) -> SideSet {
        let side = self.side_rules(dir, subject);
        if side.open {
            return SideSet::all();
        }
        let mut mask = Vec::new();
        self.side_matches(&side, subject, peer, &mut mask);
        self.side_set(&side, &mask, self.side_dst_ports(dir, subject, peer))
    }

    /// The rules of side `dir` at `subject`.
    pub(crate) fn side_rules(&self, dir: Direction, subject: EndpointId) -> SideRules {
        let d = dir_index(dir);
        let mut side = SideRules {
            open: false,
            isolated: false,
            requires: None,
            rules: Vec::new(),
            named_ports: false,
        };
        let groups = &self.selecting[d][subject.0];
        side.open = match self.cluster.endpoint(subject) {
            Endpoint::External(_) => true,
            Endpoint::Pod(p) => p.host_network || groups.is_empty(),
        };
        if side.open {
            return side;
        }
        for &g in groups {
            let group = &self.compiled.groups[g as usize];
            side.isolated |= group.isolates[d];
            if let Some(r) = &group.requires[d] {
                match &mut side.requires {
                    Some(acc) => acc.intersect_with(r),
                    None => side.requires = Some(r.clone()),
                }
            }
        }
        for &g in groups {
            let group = &self.compiled.groups[g as usize];
            for &r in &group.rules[d] {
                let rule = &self.compiled.rules[r];
                side.named_ports |= rule
                    .ports
                    .iter()
                    .any(|c| matches!(c.spec, PortSpec::Named { .. }));
                side.rules.push((r, !rule.deny && group.cilium));
            }
        }
        side
    }

    /// Appends to `mask` one bit per rule of `side` (in order, 64 to a
    /// word): whether the rule applies to traffic between `subject` and
    /// `peer` (a peer of the rule matches, and for a Cilium allow rule the
    /// requirements admit the peer).
    pub(crate) fn side_matches(
        &self,
        side: &SideRules,
        subject: EndpointId,
        peer: EndpointId,
        mask: &mut Vec<u64>,
    ) {
        let base = mask.len();
        mask.resize(base + side.mask_words(), 0);
        let required = side
            .requires
            .as_ref()
            .is_none_or(|req| req.contains(peer.0));
        for (i, &(r, check_requires)) in side.rules.iter().enumerate() {
            if check_requires && !required {
                continue;
            }
            let rule = &self.compiled.rules[r];
            let hit = match &rule.peers {
                None => true,
                Some(_) if !rule.node_relative => rule.peer_union.contains(peer.0),
                Some(_) => self.match_peer(rule, subject, peer, false).is_some(),
            };
            if hit {
                mask[base + i / 64] |= 1 << (i % 64);
            }
        }
    }

    /// The set that the rules of `side` marked in `mask` allow, towards a
    /// destination whose container ports are `dst_ports`: the allow rules'
    /// ports (or everything, when no policy isolates the subject) minus the
    /// deny rules' ports.
    pub(crate) fn side_set(
        &self,
        side: &SideRules,
        mask: &[u64],
        dst_ports: Option<&[ContainerPort]>,
    ) -> SideSet {
        if side.open {
            return SideSet::all();
        }
        let mut allow = ConnSet::empty();
        let mut deny = ConnSet::empty();
        let mut conditions = Vec::new();
        for (i, &(r, _)) in side.rules.iter().enumerate() {
            if mask[i / 64] & (1 << (i % 64)) == 0 {
                continue;
            }
            let rule = &self.compiled.rules[r];
            let target = if rule.deny { &mut deny } else { &mut allow };
            for clause in &rule.ports {
                let set = ConnSet::of_spec(&clause.spec, dst_ports);
                if set.is_empty() {
                    continue;
                }
                if !rule.deny
                    && let Some(l7) = &clause.l7
                    && !conditions.contains(l7)
                {
                    conditions.push(l7.clone());
                }
                target.union_with(&set);
            }
        }
        let base = if side.isolated { allow } else { ConnSet::all() };
        let conns = if deny.is_empty() {
            base
        } else {
            base.difference(&deny)
        };
        SideSet { conns, conditions }
    }

    /// The container ports that resolve named ports on side `dir` at
    /// `subject` with `peer`: the destination's (the subject for ingress,
    /// the peer for egress), `None` when it is not a pod network pod.
    pub(crate) fn side_dst_ports(
        &self,
        dir: Direction,
        subject: EndpointId,
        peer: EndpointId,
    ) -> Option<&[ContainerPort]> {
        let dst = match dir {
            Direction::Ingress => subject,
            Direction::Egress => peer,
        };
        self.cluster
            .pod(dst)
            .filter(|p| !p.host_network)
            .map(|p| p.ports.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_merges_adjacent_and_overlapping_ranges() {
        let mut s = ConnSet::range(Protocol::Tcp, 80, 80);
        s.union_with(&ConnSet::range(Protocol::Tcp, 81, 90));
        s.union_with(&ConnSet::range(Protocol::Tcp, 10, 20));
        s.union_with(&ConnSet::range(Protocol::Tcp, 15, 79));
        assert_eq!(s.ranges(Protocol::Tcp), &[(10, 90)]);
        s.union_with(&ConnSet::range(Protocol::Udp, 53, 53));
        assert_eq!(s.to_string(), "TCP 10-90,UDP 53");
    }

    #[test]
    fn netpol_analyzer_text_form() {
        let all_but = ConnSet::all().difference(&ConnSet::range(Protocol::Tcp, 80, 80));
        assert_eq!(
            all_but.to_string(),
            "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535"
        );
        assert_eq!(ConnSet::all().to_string(), "All Connections");
        assert_eq!(ConnSet::empty().to_string(), "No Connections");
        let mut dns = ConnSet::range(Protocol::Tcp, 10053, 10054);
        dns.add_range(Protocol::Udp, 10053, 10053);
        assert_eq!(dns.to_string(), "TCP 10053-10054,UDP 10053");
    }

    #[test]
    fn intersection_and_difference_at_the_edges() {
        let a = ConnSet::range(Protocol::Tcp, 1, 100);
        let b = ConnSet::range(Protocol::Tcp, 100, 65535);
        assert_eq!(a.intersect(&b).ranges(Protocol::Tcp), &[(100, 100)]);
        assert_eq!(a.difference(&b).ranges(Protocol::Tcp), &[(1, 99)]);
        assert!(ConnSet::all().difference(&ConnSet::all()).is_empty());
        let edges = ConnSet::range(Protocol::Udp, 1, 65535).boundaries();
        assert_eq!(
            edges,
            vec![
                PortKey::new(1, Protocol::Udp),
                PortKey::new(65535, Protocol::Udp)
            ]
        );
    }
}
