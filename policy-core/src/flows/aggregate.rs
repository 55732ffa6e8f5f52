//! Aggregation of flows into distinct (source identity, destination
//! identity, direction, protocol, port, L7, verdict, reply) tuples with
//! counts and first/last seen.
//!
//! The per-flow path allocates nothing once an endpoint has been seen:
//! endpoints are interned by their raw JSON bytes, L7 keys through a reused
//! scratch string, and a tuple's timestamps are updated in place.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::event::{Direction, FlowEvent, L7View, Protocol, TextToken, Verdict};
use super::fast_hash::FoldState;
use super::identity::{Identity, ReservedEntity, dns_label, parse_labels, workload_name};
use super::reader::{LineProblem, ProblemSeverity};
use super::timestamp::TimestampParser;
use super::wire;

/// Limits of an [`Aggregator`]; they bound its memory whatever the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregateOptions {
    /// Most distinct tuples kept (and most identities, and most distinct L7
    /// requests); flows that would need more are counted in
    /// [`Aggregates::over_limit`]. Default 200 000, which bounds the
    /// aggregator to a few tens of MB.
    pub max_distinct: usize,
    /// Most distinct endpoints (raw JSON) remembered. Default 100 000.
    pub max_endpoints: usize,
    /// Most learned DNS name → address pairs. Default 100 000.
    pub max_dns_names: usize,
    /// Problems kept in detail. Default 100.
    pub max_reported: usize,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions {
            max_distinct: 200_000,
            max_endpoints: 100_000,
            max_dns_names: 100_000,
            max_reported: 100,
        }
    }
}

/// The L7 part of a tuple.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum L7Key {
    /// No L7 information.
    None,
    /// An HTTP request: method and path (query string dropped).
    Http {
        /// `GET`, `POST`, …
        method: String,
        /// URL path, such as `/api/v1/items`.
        path: String,
    },
    /// A DNS query (name without the trailing dot).
    Dns {
        /// The queried name.
        query: String,
    },
}

/// An identity with what was seen of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityInfo {
    /// The identity.
    pub identity: Identity,
    /// Short unique name: `reviews-v1` for a workload (unique within its
    /// namespace), the entity or address otherwise.
    pub name: String,
    /// `namespace/name`, `ip:ADDR`, `reserved:ENTITY[@ADDR]`.
    pub display: String,
    /// A pod name seen for it.
    pub pod_name: Option<String>,
    /// An address seen for it.
    pub ip: Option<IpAddr>,
}

/// One distinct tuple.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregatedFlow {
    /// Index into [`Aggregates::identities`].
    pub source: usize,
    /// Index into [`Aggregates::identities`].
    pub destination: usize,
    /// Observation point.
    pub direction: Direction,
    /// L4 protocol.
    pub protocol: Protocol,
    /// Destination port or ICMP type.
    pub port: Option<u16>,
    /// For a reply: its source port, which is the port its request went to
    /// (replay evaluates the request with endpoints and ports swapped back).
    /// `None` for requests: their source ports are ephemeral and not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_port: Option<u16>,
    /// L7 request: index into [`Aggregates::l7_keys`] (0 is [`L7Key::None`]).
    pub l7: usize,
    /// Observed verdict.
    pub verdict: Verdict,
    /// A reply (server to client) flow.
    pub is_reply: bool,
    /// How many flows.
    pub count: u64,
    /// Earliest timestamp, Unix nanoseconds ([`crate::flows::timestamp::format_rfc3339`]
    /// writes it).
    pub first_seen: Option<i64>,
    /// Latest timestamp, Unix nanoseconds.
    pub last_seen: Option<i64>,
    /// Line of the first flow.
    pub first_line: u64,
}

/// The result of aggregation: identities, tuples (sorted, deterministic)
/// and what was learned on the side.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregates {
    /// Identities, sorted.
    pub identities: Vec<IdentityInfo>,
    /// Distinct tuples, sorted by source, destination, protocol, port, L7,
    /// direction, verdict, reply.
    pub flows: Vec<AggregatedFlow>,
    /// L7 requests, sorted; [`AggregatedFlow::l7`] indexes them. The first
    /// is [`L7Key::None`].
    pub l7_keys: Vec<L7Key>,
    /// Names each external address was resolved from (DNS answers seen,
    /// `destination_names`).
    pub dns_names: BTreeMap<IpAddr, BTreeSet<String>>,
    /// Namespace labels (from `io.cilium.k8s.namespace.labels.*`).
    pub namespace_labels: BTreeMap<String, BTreeMap<String, String>>,
    /// Flows aggregated.
    pub total_flows: u64,
    /// Flows not aggregated because a limit was reached.
    pub over_limit: u64,
    /// Warnings (unreadable endpoints, addresses).
    pub problems: Vec<LineProblem>,
    /// All warnings, counted.
    pub warnings: u64,
}

impl Aggregates {
    /// The identity of a tuple's side.
    pub fn identity(&self, index: usize) -> &IdentityInfo {
        &self.identities[index]
    }

    /// A tuple's L7 request.
    pub fn l7(&self, flow: &AggregatedFlow) -> &L7Key {
        &self.l7_keys[flow.l7]
    }
}

/// In `workload_ips`: an address more than one workload had.
const AMBIGUOUS: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FlowKey {
    source: u32,
    destination: u32,
    l7: u32,
    port: Option<u16>,
    source_port: Option<u16>,
    direction: Direction,
    protocol: Protocol,
    verdict: Verdict,
    is_reply: bool,
}

/// Three words where the derived impl would hash ten fields one by one
/// (every flow looks its key up). The packing is injective: each field has
/// its own bits.
impl std::hash::Hash for FlowKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let port = |p: Option<u16>| p.map_or(0, |p| u64::from(p) + 1);
        state.write_u64(u64::from(self.source) | u64::from(self.destination) << 32);
        state.write_u64(u64::from(self.l7) | port(self.port) << 32);
        state.write_u64(
            port(self.source_port)
                | (self.direction as u64) << 17
                | (self.protocol as u64) << 25
                | (self.verdict as u64) << 33
                | u64::from(self.is_reply) << 41,
        );
    }
}

struct FlowStats {
    count: u64,
    /// Unix nanoseconds.
    first_seen: Option<i64>,
    last_seen: Option<i64>,
    first_line: u64,
}

#[derive(Clone, Copy, Debug)]
enum EndpointClass {
    Workload(u32),
    Reserved(ReservedEntity),
    Unknown,
}

struct IdentitySlot {
    identity: Identity,
    pod_name: Option<String>,
    ip: Option<IpAddr>,
}

/// Accumulates flows (from one or many inputs) into [`Aggregates`].
pub struct Aggregator {
    opts: AggregateOptions,
    endpoints: HashMap<Box<[u8]>, EndpointClass, FoldState>,
    /// What `endpoints` says of a text, by the reader's token for it:
    /// emptied with `endpoints`, so a token found here is a text found
    /// there.
    tokens: HashMap<TextToken, EndpointClass, FoldState>,
    slots: Vec<IdentitySlot>,
    slot_index: HashMap<Identity, u32, FoldState>,
    l7_keys: Vec<L7Key>,
    l7_index: HashMap<String, u32, FoldState>,
    scratch: String,
    timestamps: TimestampParser,
    entries: HashMap<FlowKey, FlowStats, FoldState>,
    /// Addresses seen on workload endpoints, to resolve peers that Hubble
    /// labelled only by address (remote-node, host, unknown).
    workload_ips: HashMap<IpAddr, u32, FoldState>,
    dns_names: BTreeMap<IpAddr, BTreeSet<String>>,
    dns_count: usize,
    namespace_labels: BTreeMap<String, BTreeMap<String, String>>,
    total: u64,
    over_limit: u64,
    problems: Vec<LineProblem>,
    warnings: u64,
}

impl Default for Aggregator {
    fn default() -> Self {
        Self::new(AggregateOptions::default())
    }
}

impl Aggregator {
    /// An empty aggregator with these limits.
    pub fn new(opts: AggregateOptions) -> Self {
        Aggregator {
            opts,
            endpoints: HashMap::default(),
            tokens: HashMap::default(),
            slots: Vec::new(),
            slot_index: HashMap::default(),
            l7_keys: vec![L7Key::None],
            l7_index: HashMap::default(),
            scratch: String::new(),
            timestamps: TimestampParser::default(),
            entries: HashMap::default(),
            workload_ips: HashMap::default(),
            dns_names: BTreeMap::new(),
            dns_count: 0,
            namespace_labels: BTreeMap::new(),
            total: 0,
            over_limit: 0,
            problems: Vec::new(),
            warnings: 0,
        }
    }

    /// Adds one flow.
    pub fn add(&mut self, ev: &FlowEvent<'_>) {
        self.total += 1;
        let source_ip = self.parse_ip(ev.source_ip.as_deref(), ev.line);
        let destination_ip = self.parse_ip(ev.destination_ip.as_deref(), ev.line);
        let (Some(source), Some(destination)) = (
            self.resolve(ev.source, ev.source_token, source_ip, ev.line),
            self.resolve(
                ev.destination,
                ev.destination_token,
                destination_ip,
                ev.line,
            ),
        ) else {
            self.over_limit += 1;
            return;
        };
        let is_reply = ev.infer_reply();
        if let L7View::Dns { query, ips } = &ev.l7 {
            for ip in ips {
                if let Ok(ip) = ip.parse::<IpAddr>() {
                    self.learn_name(ip, query);
                }
            }
        }
        if let (Some(names), Some(ip)) = (ev.destination_names, destination_ip) {
            self.learn_names_raw(ip, names, ev.line);
        }
        let Some(l7) = self.intern_l7(&ev.l7) else {
            self.over_limit += 1;
            return;
        };
        let key = FlowKey {
            source,
            destination,
            l7,
            port: ev.port,
            source_port: if is_reply && ev.protocol.has_ports() {
                ev.source_port
            } else {
                None
            },
            direction: ev.direction,
            protocol: ev.protocol,
            verdict: ev.verdict,
            is_reply,
        };
        let time = match ev.time.as_deref() {
            None | Some("") => None,
            Some(t) => match self.timestamps.parse(t) {
                Some(n) => Some(n),
                None => {
                    let shown: String = t.chars().take(64).collect();
                    self.warn(ev.line, format!("not an RFC 3339 time: {shown:?}"));
                    None
                }
            },
        };
        let full = self.entries.len() >= self.opts.max_distinct;
        match self.entries.get_mut(&key) {
            Some(stats) => {
                stats.count += 1;
                if let Some(t) = time {
                    stats.first_seen = Some(stats.first_seen.map_or(t, |o| o.min(t)));
                    stats.last_seen = Some(stats.last_seen.map_or(t, |o| o.max(t)));
                }
            }
            None if full => self.over_limit += 1,
            None => {
                self.entries.insert(
                    key,
                    FlowStats {
                        count: 1,
                        first_seen: time,
                        last_seen: time,
                        first_line: ev.line,
                    },
                );
            }
        }
    }

    fn warn(&mut self, line: u64, message: String) {
        self.warnings += 1;
        if self.problems.len() < self.opts.max_reported {
            self.problems.push(LineProblem {
                line,
                column: None,
                severity: ProblemSeverity::Warning,
                message,
            });
        }
    }

    fn parse_ip(&mut self, s: Option<&str>, line: u64) -> Option<IpAddr> {
        let s = s.filter(|s| !s.is_empty())?;
        if let Some(ip) = plain_ipv4(s) {
            return Some(IpAddr::V4(ip));
        }
        match s.parse() {
            Ok(ip) => Some(ip),
            Err(_) => {
                let shown: String = s.chars().take(64).collect();
                self.warn(line, format!("not an IP address: {shown:?}"));
                None
            }
        }
    }

    fn resolve(
        &mut self,
        raw: Option<&str>,
        token: Option<TextToken>,
        ip: Option<IpAddr>,
        line: u64,
    ) -> Option<u32> {
        let class = match raw {
            None => EndpointClass::Unknown,
            Some(raw) => match token.and_then(|t| self.tokens.get(&t)) {
                Some(c) => *c,
                None => {
                    let c = match self.endpoints.get(raw.as_bytes()) {
                        Some(c) => *c,
                        None => {
                            let c = self.decode_endpoint(raw, ip, line)?;
                            if self.endpoints.len() >= self.opts.max_endpoints {
                                // Forget and start over rather than grow.
                                self.endpoints.clear();
                                self.tokens.clear();
                            }
                            self.endpoints.insert(raw.as_bytes().into(), c);
                            c
                        }
                    };
                    if let Some(t) = token {
                        if self.tokens.len() >= self.opts.max_endpoints {
                            self.tokens.clear();
                        }
                        self.tokens.insert(t, c);
                    }
                    c
                }
            },
        };
        match class {
            EndpointClass::Workload(id) => {
                let slot = &mut self.slots[id as usize];
                if slot.ip.is_none() {
                    slot.ip = ip;
                }
                if let Some(ip) = ip
                    && self.workload_ips.len() < self.opts.max_endpoints
                {
                    // Two workloads with one address (traffic leaving
                    // through a node's or a proxy's address): it names neither.
                    let owner = self.workload_ips.entry(ip).or_insert(id);
                    if *owner != id {
                        *owner = AMBIGUOUS;
                    }
                }
                Some(id)
            }
            EndpointClass::Reserved(ReservedEntity::World) => match ip {
                Some(ip) => self.intern(Identity::External { ip }, None, Some(ip)),
                None => self.intern(
                    Identity::Reserved {
                        entity: ReservedEntity::World,
                        ip: None,
                    },
                    None,
                    None,
                ),
            },
            EndpointClass::Reserved(entity) => {
                self.intern(Identity::Reserved { entity, ip }, None, ip)
            }
            EndpointClass::Unknown => self.intern(Identity::Unknown { ip }, None, ip),
        }
    }

    fn decode_endpoint(
        &mut self,
        raw: &str,
        ip: Option<IpAddr>,
        line: u64,
    ) -> Option<EndpointClass> {
        let ep: wire::Endpoint = match serde_json::from_str(raw) {
            Ok(ep) => ep,
            Err(e) => {
                self.warn(
                    line,
                    format!("unreadable endpoint ({e}); treated as unknown"),
                );
                return Some(EndpointClass::Unknown);
            }
        };
        let labels = parse_labels(ep.labels.iter().flatten().map(String::as_str));
        if let Some(e) = labels.reserved {
            return Some(EndpointClass::Reserved(e));
        }
        let namespace = match ep.namespace.filter(|n| !n.is_empty()) {
            Some(n) if !crate::validate::names::dns1123_label(&n).is_empty() => {
                // A damaged log: no policy could name this namespace.
                self.warn(
                    line,
                    format!("endpoint namespace {n:?} is not a Kubernetes namespace name; ignored"),
                );
                None
            }
            other => other,
        }
        .or(labels.namespace);
        if namespace.is_none() && labels.pod.is_empty() {
            return Some(match ep.identity.and_then(ReservedEntity::from_number) {
                Some(e) => EndpointClass::Reserved(e),
                None => EndpointClass::Unknown,
            });
        }
        let namespace = namespace.unwrap_or_default();
        if !labels.namespace_labels.is_empty() {
            self.namespace_labels
                .entry(namespace.clone())
                .or_default()
                .extend(labels.namespace_labels);
        }
        let id = self.intern(
            Identity::Workload {
                namespace,
                labels: labels.pod,
            },
            ep.pod_name,
            ip,
        )?;
        Some(EndpointClass::Workload(id))
    }

    fn intern(
        &mut self,
        identity: Identity,
        pod_name: Option<String>,
        ip: Option<IpAddr>,
    ) -> Option<u32> {
        if let Some(id) = self.slot_index.get(&identity) {
            return Some(*id);
        }
        if self.slots.len() >= self.opts.max_distinct {
            return None;
        }
        let id = self.slots.len() as u32;
        self.slot_index.insert(identity.clone(), id);
        self.slots.push(IdentitySlot {
            identity,
            pod_name,
            ip,
        });
        Some(id)
    }

    fn learn_name(&mut self, ip: IpAddr, name: &str) {
        let name = name.trim_end_matches('.');
        if name.is_empty() || self.dns_count >= self.opts.max_dns_names {
            return;
        }
        let set = self.dns_names.entry(ip).or_default();
        if !set.contains(name) {
            set.insert(name.to_ascii_lowercase());
            self.dns_count += 1;
        }
    }

    fn learn_names_raw(&mut self, ip: IpAddr, raw: &str, line: u64) {
        match serde_json::from_str::<Vec<String>>(raw) {
            Ok(names) => {
                for n in names {
                    self.learn_name(ip, &n);
                }
            }
            Err(e) => self.warn(line, format!("unreadable destination_names: {e}")),
        }
    }

    /// The L7 key's index; `None` when the table is full.
    fn intern_l7(&mut self, l7: &L7View<'_>) -> Option<u32> {
        let s = &mut self.scratch;
        s.clear();
        match l7 {
            L7View::None => return Some(0),
            L7View::Http { method, url } => {
                s.push_str("h ");
                s.push_str(method);
                s.push(' ');
                s.push_str(url_path(url));
            }
            L7View::Dns { query, .. } => {
                s.push_str("d ");
                s.push_str(query.trim_end_matches('.'));
            }
        }
        if let Some(id) = self.l7_index.get(s.as_str()) {
            return Some(*id);
        }
        if self.l7_keys.len() >= self.opts.max_distinct {
            return None;
        }
        let key = match l7 {
            L7View::None => L7Key::None,
            L7View::Http { method, url } => L7Key::Http {
                method: method.to_string(),
                path: url_path(url).to_string(),
            },
            L7View::Dns { query, .. } => L7Key::Dns {
                query: query.trim_end_matches('.').to_ascii_lowercase(),
            },
        };
        let id = self.l7_keys.len() as u32;
        self.l7_index.insert(s.clone(), id);
        self.l7_keys.push(key);
        Some(id)
    }

    /// Whether nothing was added or merged yet.
    fn is_untouched(&self) -> bool {
        self.total == 0
            && self.slots.is_empty()
            && self.l7_keys.len() == 1
            && self.entries.is_empty()
            && self.workload_ips.is_empty()
            && self.dns_count == 0
            && self.namespace_labels.is_empty()
            && self.problems.is_empty()
            && self.warnings == 0
            && self.over_limit == 0
    }

    /// Flows not aggregated so far because a limit was reached.
    pub fn over_limit(&self) -> u64 {
        self.over_limit
    }

    /// Whether [`Aggregator::merge`] of `other` into this aggregator gives
    /// exactly what one aggregator fed both inputs in order would: neither
    /// side dropped a flow, and together they stay within every limit (so
    /// the merge drops nothing either). When this is false, an adapter that
    /// wants the sequential result reads the input again on one aggregator.
    pub fn merges_exactly(&self, other: &Aggregator) -> bool {
        let within = |a: usize, b: usize, max: usize| a.saturating_add(b) <= max;
        self.over_limit == 0
            && other.over_limit == 0
            && within(
                self.entries.len(),
                other.entries.len(),
                self.opts.max_distinct,
            )
            && within(self.slots.len(), other.slots.len(), self.opts.max_distinct)
            && within(
                self.l7_keys.len(),
                other.l7_keys.len(),
                self.opts.max_distinct,
            )
            && within(self.dns_count, other.dns_count, self.opts.max_dns_names)
            && within(
                self.workload_ips.len(),
                other.workload_ips.len(),
                self.opts.max_endpoints,
            )
    }

    /// Adds what `other` aggregated, as if its flows had been added here:
    /// the adapter's way to aggregate parts of one input in parallel (each
    /// part with its own reader and aggregator) and combine them. `other`'s
    /// line numbers are shifted by `line_offset` (the lines before its part).
    /// Limits apply as for [`Aggregator::add`]: flows that no longer fit are
    /// counted in [`Aggregates::over_limit`].
    pub fn merge(&mut self, other: Aggregator, line_offset: u64) {
        if line_offset == 0 && self.is_untouched() && self.opts == other.opts {
            // Nothing here yet: `other` is the merge.
            *self = other;
            return;
        }
        let slots: Vec<Option<u32>> = other
            .slots
            .into_iter()
            .map(|slot| self.intern(slot.identity, slot.pod_name, slot.ip))
            .collect();
        let mut l7 = vec![0u32; other.l7_keys.len()];
        let mut other_keys: Vec<Option<L7Key>> = other.l7_keys.into_iter().map(Some).collect();
        for (text, id) in other.l7_index {
            let mine = match self.l7_index.get(&text) {
                Some(mine) => Some(*mine),
                None if self.l7_keys.len() < self.opts.max_distinct => {
                    let mine = self.l7_keys.len() as u32;
                    let key = other_keys[id as usize].take().unwrap_or(L7Key::None);
                    self.l7_keys.push(key);
                    self.l7_index.insert(text, mine);
                    Some(mine)
                }
                None => None,
            };
            l7[id as usize] = mine.unwrap_or(u32::MAX);
        }
        for (mut k, st) in other.entries {
            let (Some(Some(src)), Some(Some(dst))) = (
                slots.get(k.source as usize),
                slots.get(k.destination as usize),
            ) else {
                self.over_limit += st.count;
                continue;
            };
            let l = l7[k.l7 as usize];
            if l == u32::MAX {
                self.over_limit += st.count;
                continue;
            }
            (k.source, k.destination, k.l7) = (*src, *dst, l);
            let first_line = st.first_line + line_offset;
            let full = self.entries.len() >= self.opts.max_distinct;
            match self.entries.get_mut(&k) {
                Some(t) => {
                    t.count += st.count;
                    t.first_line = t.first_line.min(first_line);
                    t.first_seen = match (t.first_seen, st.first_seen) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    t.last_seen = match (t.last_seen, st.last_seen) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                }
                None if full => self.over_limit += st.count,
                None => {
                    self.entries.insert(k, FlowStats { first_line, ..st });
                }
            }
        }
        for (ip, id) in other.workload_ips {
            let Some(Some(id)) = (id != AMBIGUOUS).then(|| slots[id as usize]) else {
                self.workload_ips.insert(ip, AMBIGUOUS);
                continue;
            };
            if self.workload_ips.len() < self.opts.max_endpoints
                || self.workload_ips.contains_key(&ip)
            {
                let owner = self.workload_ips.entry(ip).or_insert(id);
                if *owner != id {
                    *owner = AMBIGUOUS;
                }
            }
        }
        for (ip, names) in other.dns_names {
            for name in names {
                if self.dns_count >= self.opts.max_dns_names {
                    break;
                }
                if self.dns_names.entry(ip).or_default().insert(name) {
                    self.dns_count += 1;
                }
            }
        }
        for (ns, labels) in other.namespace_labels {
            self.namespace_labels.entry(ns).or_default().extend(labels);
        }
        self.total += other.total;
        self.over_limit += other.over_limit;
        self.warnings += other.warnings;
        for mut p in other.problems {
            if self.problems.len() >= self.opts.max_reported {
                break;
            }
            p.line += line_offset;
            self.problems.push(p);
        }
    }

    /// Flows added so far.
    pub fn total_flows(&self) -> u64 {
        self.total
    }

    /// Distinct tuples so far.
    pub fn distinct(&self) -> usize {
        self.entries.len()
    }

    /// Resolves address-only peers to workloads, then sorts and names
    /// everything.
    pub fn finish(mut self) -> Aggregates {
        // Peers that Hubble knew only by address (world: its ipcache had no
        // identity for a pod on another node; masked labels) but whose
        // address one workload had elsewhere in the capture: they are that
        // workload. Never a node (`reserved:host`, `reserved:remote-node`:
        // traffic proxied or masqueraded leaves through the node's address,
        // so a workload "having" it says nothing), nor an address two
        // workloads had.
        let host_ips: BTreeSet<IpAddr> = self
            .slots
            .iter()
            .filter_map(|slot| match &slot.identity {
                Identity::Reserved {
                    entity: ReservedEntity::Host | ReservedEntity::RemoteNode,
                    ip: Some(ip),
                } => Some(*ip),
                _ => None,
            })
            .collect();
        let alias: Vec<u32> = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let ip = match &slot.identity {
                    Identity::External { ip } | Identity::Unknown { ip: Some(ip) } => Some(ip),
                    _ => None,
                };
                ip.filter(|ip| !host_ips.contains(ip))
                    .and_then(|ip| self.workload_ips.get(ip).copied())
                    .filter(|w| *w != AMBIGUOUS)
                    .unwrap_or(i as u32)
            })
            .collect();
        if alias.iter().enumerate().any(|(i, a)| *a as usize != i) {
            // Say what was done, once per aliased peer, at its first flow.
            let mut first_line: BTreeMap<u32, u64> = BTreeMap::new();
            for (k, s) in &self.entries {
                for e in [k.source, k.destination] {
                    if alias[e as usize] != e {
                        let l = first_line.entry(e).or_insert(s.first_line);
                        *l = (*l).min(s.first_line);
                    }
                }
            }
            for (e, line) in first_line {
                let (from, _) = base_names(&self.slots[e as usize]);
                let to = &self.slots[alias[e as usize] as usize];
                let workload = match &to.identity {
                    Identity::Workload { namespace, labels } => format!(
                        "{namespace}/{}",
                        dns_label(&workload_name(labels, to.pod_name.as_deref()), 40)
                    ),
                    _ => String::new(),
                };
                self.warn(
                    line,
                    format!(
                        "{from} is the address of pod {workload} elsewhere in the capture: its flows are read as that workload's (its labels, never its pod IP)"
                    ),
                );
            }
            let old = std::mem::take(&mut self.entries);
            self.entries.reserve(old.len());
            for (mut k, s) in old {
                k.source = alias[k.source as usize];
                k.destination = alias[k.destination as usize];
                match self.entries.get_mut(&k) {
                    None => {
                        self.entries.insert(k, s);
                    }
                    Some(t) => {
                        t.count += s.count;
                        t.first_line = t.first_line.min(s.first_line);
                        t.first_seen = match (t.first_seen, s.first_seen) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                        t.last_seen = match (t.last_seen, s.last_seen) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            (a, b) => a.or(b),
                        };
                    }
                }
            }
        }
        // Keep the identities that flows refer to; sort them; remap indices.
        let mut used = vec![false; self.slots.len()];
        for k in self.entries.keys() {
            used[k.source as usize] = true;
            used[k.destination as usize] = true;
        }
        let mut order: Vec<usize> = (0..self.slots.len()).filter(|i| used[*i]).collect();
        order.sort_by(|a, b| self.slots[*a].identity.cmp(&self.slots[*b].identity));
        let mut remap = vec![0usize; self.slots.len()];
        for (new, old) in order.iter().enumerate() {
            remap[*old] = new;
        }
        let mut slots: Vec<Option<IdentitySlot>> = self.slots.into_iter().map(Some).collect();
        let mut identities: Vec<IdentityInfo> = order
            .iter()
            .map(|old| {
                let slot = slots[*old].take().expect("each slot once");
                let (name, display) = base_names(&slot);
                IdentityInfo {
                    identity: slot.identity,
                    name,
                    display,
                    pod_name: slot.pod_name,
                    ip: slot.ip,
                }
            })
            .collect();
        disambiguate(&mut identities);
        // Sort the L7 keys too (L7Key::None, the smallest, stays first).
        let mut l7_order: Vec<usize> = (0..self.l7_keys.len()).collect();
        l7_order.sort_by(|a, b| self.l7_keys[*a].cmp(&self.l7_keys[*b]));
        let mut l7_remap = vec![0usize; self.l7_keys.len()];
        for (new, old) in l7_order.iter().enumerate() {
            l7_remap[*old] = new;
        }
        let mut l7_slots: Vec<Option<L7Key>> = self.l7_keys.into_iter().map(Some).collect();
        let l7_keys: Vec<L7Key> = l7_order
            .iter()
            .map(|old| l7_slots[*old].take().expect("each key once"))
            .collect();
        let mut flows: Vec<AggregatedFlow> = self
            .entries
            .into_iter()
            .map(|(k, s)| AggregatedFlow {
                source: remap[k.source as usize],
                destination: remap[k.destination as usize],
                direction: k.direction,
                protocol: k.protocol,
                port: k.port,
                source_port: k.source_port,
                l7: l7_remap[k.l7 as usize],
                verdict: k.verdict,
                is_reply: k.is_reply,
                count: s.count,
                first_seen: s.first_seen,
                last_seen: s.last_seen,
                first_line: s.first_line,
            })
            .collect();
        flows.sort_unstable_by_key(|f| {
            (
                f.source,
                f.destination,
                f.protocol,
                f.port,
                f.l7,
                f.direction,
                f.verdict,
                f.is_reply,
                f.source_port,
            )
        });
        Aggregates {
            identities,
            flows,
            l7_keys,
            dns_names: self.dns_names,
            namespace_labels: self.namespace_labels,
            total_flows: self.total,
            over_limit: self.over_limit,
            problems: self.problems,
            warnings: self.warnings,
        }
    }
}

/// An IPv4 address in its usual form (four decimal octets, no leading
/// zeros), faster than the standard parser, which reads every other form
/// and agrees with this one on these (a test holds them together).
fn plain_ipv4(s: &str) -> Option<std::net::Ipv4Addr> {
    let bytes = s.as_bytes();
    if bytes.len() > 15 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, octet) in octets.iter_mut().enumerate() {
        if n > 0 {
            if bytes.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut value = 0u32;
        while let Some(d) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
            value = value * 10 + u32::from(d - b'0');
            i += 1;
            if i - start > 3 {
                return None;
            }
        }
        let len = i - start;
        if len == 0 || (len > 1 && bytes[start] == b'0') {
            return None;
        }
        *octet = u8::try_from(value).ok()?;
    }
    (i == bytes.len()).then_some(std::net::Ipv4Addr::from(octets))
}

fn base_names(slot: &IdentitySlot) -> (String, String) {
    match &slot.identity {
        Identity::Workload { namespace, labels } => {
            let name = dns_label(&workload_name(labels, slot.pod_name.as_deref()), 40);
            let display = format!("{namespace}/{name}");
            (name, display)
        }
        Identity::External { ip } => (ip.to_string(), format!("ip:{ip}")),
        Identity::Reserved { entity, ip } => match ip {
            Some(ip) => (
                entity.as_str().to_string(),
                format!("reserved:{entity}@{ip}"),
            ),
            None => (entity.as_str().to_string(), format!("reserved:{entity}")),
        },
        Identity::Unknown { ip } => match ip {
            Some(ip) => (ip.to_string(), format!("unknown@{ip}")),
            None => ("unknown".to_string(), "unknown".to_string()),
        },
    }
}

/// Makes workload names unique within a namespace: `reviews` (v1, v2, v3)
/// become `reviews-v1`, … from the labels that tell them apart.
fn disambiguate(ids: &mut [IdentityInfo]) {
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, info) in ids.iter().enumerate() {
        if let Identity::Workload { namespace, .. } = &info.identity {
            groups
                .entry((namespace.clone(), info.name.clone()))
                .or_default()
                .push(i);
        }
    }
    for ((namespace, base), members) in groups {
        if members.len() < 2 {
            continue;
        }
        let label_sets: Vec<&BTreeMap<String, String>> = members
            .iter()
            .map(|i| match &ids[*i].identity {
                Identity::Workload { labels, .. } => labels,
                _ => unreachable!("grouped workloads only"),
            })
            .collect();
        let mut new_names: Vec<String> = label_sets
            .iter()
            .map(|labels| {
                let distinct: Vec<&str> = labels
                    .iter()
                    .filter(|(k, v)| !label_sets.iter().all(|o| o.get(*k) == Some(*v)))
                    .map(|(_, v)| v.as_str())
                    .filter(|v| !v.is_empty())
                    .collect();
                if distinct.is_empty() {
                    base.clone()
                } else {
                    dns_label(&format!("{base}-{}", distinct.join("-")), 50)
                }
            })
            .collect();
        // Still equal (labels that differ only in keys): number them.
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for n in new_names.iter_mut() {
            let c = seen.entry(n.clone()).or_insert(0);
            *c += 1;
            if *c > 1 {
                *n = format!("{n}-{c}");
            }
        }
        for (i, name) in members.iter().zip(new_names) {
            ids[*i].display = format!("{namespace}/{name}");
            ids[*i].name = name;
        }
    }
}

/// The path of an HTTP URL as Hubble prints it (`http://host:port/p?q`),
/// without query or fragment.
pub fn url_path(url: &str) -> &str {
    let rest = match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            match after.find('/') {
                Some(j) => &after[j..],
                None => "/",
            }
        }
        None => url,
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let path = &rest[..end];
    if path.is_empty() { "/" } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real samples (and a synthetic one with DNS names, namespace labels,
    /// reserved and external peers) as the page and the server read them.
    const SAMPLES: &[(&str, &[u8])] = &[
        (
            "basic-sample-10-flows.json",
            include_bytes!("../../tests/data/hubble/basic-sample-10-flows.json"),
        ),
        (
            "basic-sample-5-http-flows.json",
            include_bytes!("../../tests/data/hubble/basic-sample-5-http-flows.json"),
        ),
        (
            "basic-sample-5-dns-flows.json",
            include_bytes!("../../tests/data/hubble/basic-sample-5-dns-flows.json"),
        ),
        (
            "cilium-docs-export-events.log",
            include_bytes!("../../tests/data/hubble/cilium-docs-export-events.log"),
        ),
        (
            "synthetic-mixed.jsonl",
            include_bytes!("../../tests/data/flows/synthetic-mixed.jsonl"),
        ),
    ];

    /// Found by the generate_check fuzz target: an endpoint's `namespace`
    /// that is no Kubernetes name became a generated selector the apiserver
    /// refuses. It is ignored, with a warning at its line.
    #[test]
    fn an_endpoint_namespace_kubernetes_refuses_is_ignored() {
        let line = br#"{"flow":{"verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":40000,"destination_port":53}},"source":{"namespace":"k}be-system","labels":["k8s:app=web"]},"destination":{"namespace":"shop","labels":["k8s:app=api"]},"traffic_direction":"EGRESS"}}"#;
        let (aggregates, _) = crate::flows::aggregate_bytes(
            line,
            crate::flows::ReaderOptions::default(),
            AggregateOptions::default(),
        )
        .unwrap();
        assert!(
            aggregates
                .identities
                .iter()
                .all(|i| i.identity.namespace() != Some("k}be-system")),
            "{:?}",
            aggregates.identities
        );
        assert!(
            aggregates.problems.iter().any(|p| p.line == 1
                && p.message
                    .contains("\"k}be-system\" is not a Kubernetes namespace name")),
            "{:?}",
            aggregates.problems
        );
    }

    /// The server sends aggregates to the page as JSON (`POST /api/flows`):
    /// they must come back identical.
    #[test]
    fn aggregates_round_trip_through_json() {
        let mut seen_l7 = (false, false);
        let mut seen_dns_names = false;
        for (name, bytes) in SAMPLES {
            let (aggregates, _) = crate::flows::aggregate_bytes(
                bytes,
                crate::flows::ReaderOptions::default(),
                AggregateOptions::default(),
            )
            .unwrap();
            assert!(!aggregates.flows.is_empty(), "{name}: no flows");
            seen_l7.0 |= aggregates
                .l7_keys
                .iter()
                .any(|k| matches!(k, L7Key::Http { .. }));
            seen_l7.1 |= aggregates
                .l7_keys
                .iter()
                .any(|k| matches!(k, L7Key::Dns { .. }));
            seen_dns_names |= !aggregates.dns_names.is_empty();
            let json = serde_json::to_string(&aggregates).unwrap();
            let back: Aggregates =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e}\n{json}"));
            assert_eq!(back, aggregates, "{name}");
        }
        assert_eq!(seen_l7, (true, true), "the samples cover HTTP and DNS");
        assert!(seen_dns_names, "the samples cover learned DNS names");
    }

    /// Field names are a wire contract between the server and the page.
    #[test]
    fn aggregate_json_field_names() {
        let (aggregates, _) = crate::flows::aggregate_bytes(
            SAMPLES[1].1,
            crate::flows::ReaderOptions::default(),
            AggregateOptions::default(),
        )
        .unwrap();
        let value = serde_json::to_value(&aggregates).unwrap();
        for field in [
            "identities",
            "flows",
            "l7_keys",
            "dns_names",
            "namespace_labels",
            "total_flows",
            "over_limit",
            "problems",
            "warnings",
        ] {
            assert!(value.get(field).is_some(), "missing {field}: {value}");
        }
        assert_eq!(value["l7_keys"][0], serde_json::json!({"type": "none"}));
        let flow = &value["flows"][0];
        for field in [
            "source",
            "destination",
            "direction",
            "protocol",
            "port",
            "l7",
            "verdict",
            "is_reply",
            "count",
            "first_seen",
            "last_seen",
            "first_line",
        ] {
            assert!(
                flow.get(field).is_some(),
                "missing flows[0].{field}: {flow}"
            );
        }
        let identity = &value["identities"][0];
        assert!(identity["identity"]["kind"].is_string(), "{identity}");
    }

    /// The reader's tokens only save work: aggregating with them gives
    /// what aggregating the texts alone does, also when the endpoint
    /// tables fill and start over.
    #[test]
    fn endpoint_tokens_change_nothing() {
        use crate::flows::{FlowReader, ReaderOptions};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hubble/");
        let mut input = Vec::new();
        for name in [
            "basic-sample-400-tcp-flows.json",
            "basic-sample-400-udp-flows.json",
            "basic-sample-5-http-flows.json",
            "basic-sample-400-tcp-flows.json",
        ] {
            input.extend(std::fs::read(format!("{dir}{name}")).unwrap());
        }
        for max_endpoints in [1, 2, 7, 50, 200_000] {
            let opts = AggregateOptions {
                max_endpoints,
                ..AggregateOptions::default()
            };
            let (mut with, mut without) = (Aggregator::new(opts.clone()), Aggregator::new(opts));
            let mut tokens = 0;
            let mut add = |ev: &FlowEvent<'_>| {
                tokens += usize::from(ev.source_token.is_some());
                with.add(ev);
                without.add(&FlowEvent {
                    source_token: None,
                    destination_token: None,
                    ..ev.clone()
                });
            };
            let mut r = FlowReader::new(ReaderOptions::default());
            r.feed(&input, &mut add).unwrap();
            r.finish(&mut add).unwrap();
            assert!(tokens > 500, "{tokens}");
            assert_eq!(
                with.finish(),
                without.finish(),
                "max_endpoints {max_endpoints}"
            );
        }
    }

    #[test]
    fn merging_parts_equals_reading_the_whole() {
        use crate::flows::{FlowReader, ReaderOptions};
        let input = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/hubble/basic-sample-400-tcp-flows.json"
        ))
        .unwrap();
        let read = |bytes: &[u8]| {
            let mut agg = Aggregator::default();
            let mut r = FlowReader::new(ReaderOptions::default());
            r.feed(bytes, &mut |ev| agg.add(ev)).unwrap();
            let report = r.finish(&mut |ev| agg.add(ev)).unwrap();
            (agg, report)
        };
        let (whole, _) = read(&input);
        let whole = whole.finish();
        // Split on a line boundary near the middle.
        let mid = input.len() / 2;
        let cut = mid + input[mid..].iter().position(|b| *b == b'\n').unwrap() + 1;
        let (mut a, ra) = read(&input[..cut]);
        let (b, _) = read(&input[cut..]);
        a.merge(b, ra.lines);
        // Into an aggregator that has nothing yet, the merge is the part.
        let mut fresh = Aggregator::default();
        fresh.merge(a, 0);
        let merged = fresh.finish();
        assert_eq!(merged, whole);
    }

    /// Past a limit, a merge keeps flows by hash order, not input order:
    /// `merges_exactly` tells the adapter when the merged result would
    /// differ from one sequential read, and holds true exactly when it is the
    /// same.
    #[test]
    fn merges_exactly_says_when_a_merge_is_the_sequential_read() {
        use crate::flows::{FlowReader, ReaderOptions};
        let input = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/hubble/basic-sample-400-tcp-flows.json"
        ))
        .unwrap();
        let read = |bytes: &[u8], max_distinct: usize| {
            let mut agg = Aggregator::new(AggregateOptions {
                max_distinct,
                ..AggregateOptions::default()
            });
            let mut r = FlowReader::new(ReaderOptions::default());
            r.feed(bytes, &mut |ev| agg.add(ev)).unwrap();
            let report = r.finish(&mut |ev| agg.add(ev)).unwrap();
            (agg, report)
        };
        let mid = input.len() / 2;
        let cut = mid + input[mid..].iter().position(|b| *b == b'\n').unwrap() + 1;
        let distinct = read(&input, usize::MAX).0.finish().flows.len();
        assert!(distinct > 4, "{distinct}");
        let mut seen = (false, false);
        for max in (1..=2 * distinct + 8).step_by(4) {
            let (mut a, ra) = read(&input[..cut], max);
            let (b, _) = read(&input[cut..], max);
            let exact = a.merges_exactly(&b);
            a.merge(b, ra.lines);
            let merged = a.finish();
            let whole = read(&input, max).0.finish();
            if exact {
                assert_eq!(merged, whole, "limit {max}");
            }
            if max < distinct {
                assert!(!exact, "limit {max} of {distinct} distinct flows");
            }
            seen.0 |= exact;
            seen.1 |= !exact && merged != whole;
        }
        assert_eq!(seen, (true, true), "both cases are covered");
    }

    proptest::proptest! {
        /// The quick IPv4 reader takes only what the standard parser reads
        /// to the same address.
        #[test]
        fn plain_ipv4_agrees_with_std(s in "[0-9.:a-f]{0,17}", octets: [u8; 4]) {
            if let Some(ip) = plain_ipv4(&s) {
                proptest::prop_assert_eq!(s.parse::<std::net::Ipv4Addr>().ok(), Some(ip));
            }
            let dotted = std::net::Ipv4Addr::from(octets).to_string();
            proptest::prop_assert_eq!(plain_ipv4(&dotted), Some(std::net::Ipv4Addr::from(octets)));
        }
    }

    #[test]
    fn plain_ipv4_declines_other_forms() {
        for s in [
            "",
            "1.2.3",
            "1.2.3.4.",
            "01.2.3.4",
            "1.2.3.256",
            "1.2.3.4 ",
            "1..3.4",
            "1.2.3.0004",
            "::1",
            "+1.2.3.4",
        ] {
            assert_eq!(plain_ipv4(s), None, "{s}");
        }
        assert_eq!(
            plain_ipv4("0.10.255.100"),
            Some(std::net::Ipv4Addr::new(0, 10, 255, 100))
        );
    }

    #[test]
    fn url_paths() {
        assert_eq!(url_path("http://10.128.0.4:9990/metrics?x=1"), "/metrics");
        assert_eq!(url_path("http://host"), "/");
        assert_eq!(url_path("/a/b#c"), "/a/b");
    }
}
