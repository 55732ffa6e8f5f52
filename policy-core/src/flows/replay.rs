//! Replay: would these policies allow the observed flows? (impact preview)
//!
//! The flows' identities become a cluster model ([`replay_cluster`]): one
//! pod per workload (namespace, stable labels, an observed address), the
//! namespaces with the labels Hubble reported for them, external addresses,
//! the kube-apiserver's addresses, and one endpoint per reserved identity
//! (`host` and `remote-node` as host-network endpoints on their node;
//! `health`, `init`, `ingress`, `unmanaged` as reserved endpoints with the
//! addresses seen, see [`crate::cluster::PodInfo::reserved`]). Then the
//! reachability [`Engine`] answers each distinct flow, so replay has exactly
//! the engine's semantics; this module only translates.
//!
//! - A request on TCP, UDP or SCTP gets [`Engine::verdict`]; ICMP gets
//!   [`Engine::icmp_verdict`] (Cilium `icmps`; NetworkPolicy cannot express
//!   ICMP, and the note says so when that leaves no verdict).
//! - A reply gets its request's verdict: the same engine question with the
//!   endpoints swapped back and the reply's source port as the request's
//!   destination port (an ICMP echo reply's request is the echo request),
//!   whether or not the request is in the capture. Connection tracking lets
//!   a reply through exactly when its request was allowed.
//! - `allowed` is `null` only with a note saying why no verdict exists: no
//!   L4 information, no port, a peer known by nothing at all, an ICMP
//!   message that answers no request, or ICMP where a NetworkPolicy decides.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::aggregate::{AggregatedFlow, Aggregates, L7Key};
use super::event::{Direction, Protocol, Verdict};
use super::identity::{Identity, ReservedEntity};
use super::timestamp::format_rfc3339;
use crate::cluster::{Cluster, EndpointId, PodInfo};
use crate::engine::{self, Engine, IcmpKey, PortKey, RuleMatch};
use crate::model::Policy;

/// Address standing for `world` when the flows carried none (TEST-NET-1).
const ANY_WORLD_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

/// One distinct flow under the given policies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplayRow {
    /// `namespace/workload`, `ip:ADDR`, `reserved:ENTITY[@ADDR]`.
    pub source: String,
    /// Same forms as `source`.
    pub destination: String,
    /// Destination port (or ICMP type).
    pub port: Option<u16>,
    /// L4 protocol.
    pub protocol: Protocol,
    /// The verdict Hubble observed.
    pub verdict: Verdict,
    /// A reply flow.
    pub is_reply: bool,
    /// How many flows.
    pub count: u64,
    /// Whether the policies allow it; `null` when it cannot be evaluated
    /// (see `note`).
    pub allowed: Option<bool>,
    /// The rules that allow it: `KIND namespace/name RULE-PATH`, egress
    /// side first.
    pub matched: Vec<String>,
    /// Conditions beyond L3/L4 the allow depends on (L7 rules, DNS names).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// Why it is denied, when it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Observation point.
    pub direction: Direction,
    /// L7 request.
    pub l7: L7Key,
    /// Earliest timestamp.
    pub first_seen: Option<String>,
    /// Latest timestamp.
    pub last_seen: Option<String>,
    /// Why the flow was not evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For a reply: where its verdict comes from, in words ("reply: allowed
    /// because the request … is allowed", "reply to a request these policies
    /// deny: …").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

impl ReplayRow {
    /// One line saying why the row has its verdict: for a reply, where its
    /// verdict comes from; the note when there is no verdict; the rules that
    /// allow it; or the reason it is denied. What the CLI's table and the
    /// page's flows table show.
    pub fn explanation(&self) -> String {
        if let Some(reply) = &self.reply {
            return reply.clone();
        }
        match self.allowed {
            None => self.note.clone().unwrap_or_default(),
            Some(true) if self.matched.is_empty() => {
                "allowed: no policy isolates either end for it".to_string()
            }
            Some(true) => self.matched.join("; "),
            Some(false) => self
                .reasons
                .iter()
                .find(|r| r.contains("no rule allows") || r.contains("denied by"))
                .or(self.reasons.first())
                .cloned()
                .unwrap_or_else(|| "denied".to_string()),
        }
    }
}

/// Counts over the rows (`*_flows` weigh rows by their flow count).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReplaySummary {
    /// Distinct flows (rows).
    pub distinct: u64,
    /// Flows (sum of counts).
    pub flows: u64,
    /// Request rows allowed (replies are counted in `replies`).
    pub allowed: u64,
    /// Request rows denied.
    pub denied: u64,
    /// Reply rows (whatever their verdict).
    pub replies: u64,
    /// Reply rows allowed (their request is).
    pub replies_allowed: u64,
    /// Reply rows denied (their request is).
    pub replies_denied: u64,
    /// Rows, requests or replies, with no verdict (see their `note`).
    pub not_evaluated: u64,
    /// Rows whose outcome differs from what Hubble observed: observed going
    /// through (FORWARDED, REDIRECTED, AUDIT) but denied now, or observed
    /// DROPPED but allowed now.
    pub changed: u64,
    /// Observed going through, denied now.
    pub newly_denied: u64,
    /// Observed DROPPED, allowed now.
    pub newly_allowed: u64,
    /// Flows allowed.
    pub allowed_flows: u64,
    /// Flows denied.
    pub denied_flows: u64,
}

/// The result of [`replay`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Replay {
    /// One row per distinct flow, in the aggregates' order.
    pub flows: Vec<ReplayRow>,
    /// Totals.
    pub summary: ReplaySummary,
    /// The engine's remarks about policy parts it does not model.
    pub notes: Vec<String>,
}

/// The cluster model built from flow identities, with each identity's
/// endpoint (or why it has none).
#[derive(Clone, Debug)]
pub struct ReplayCluster {
    /// The cluster.
    pub cluster: Cluster,
    /// Per identity (index into [`Aggregates::identities`]): its endpoint,
    /// or why the engine cannot evaluate it.
    pub endpoints: Vec<Result<EndpointId, String>>,
}

/// Builds the cluster model of the flows' identities.
pub fn replay_cluster(agg: &Aggregates) -> ReplayCluster {
    let mut cluster = Cluster::new();
    for (ns, labels) in &agg.namespace_labels {
        cluster.add_namespace(ns, labels.clone());
    }
    // Node of each workload: the address of a `host` peer it talked with.
    let mut node_of: BTreeMap<usize, IpAddr> = BTreeMap::new();
    for f in &agg.flows {
        for (own, peer) in [(f.source, f.destination), (f.destination, f.source)] {
            if let Identity::Reserved {
                entity: ReservedEntity::Host,
                ip: Some(ip),
            } = agg.identities[peer].identity
            {
                node_of.entry(own).or_insert(ip);
            }
        }
    }
    // Pods and reserved endpoints first (externals are numbered after them).
    let mut endpoints: Vec<Option<Result<EndpointId, String>>> = vec![None; agg.identities.len()];
    let mut nodes: BTreeMap<IpAddr, EndpointId> = BTreeMap::new();
    for (i, info) in agg.identities.iter().enumerate() {
        let add = |cluster: &mut Cluster, pod: PodInfo| {
            cluster.pods.push(pod);
            EndpointId(cluster.pods.len() - 1)
        };
        match &info.identity {
            Identity::Workload { namespace, labels } => {
                let mut pod = PodInfo::new(namespace, &info.name, labels.clone());
                pod.ips = info.ip.into_iter().collect();
                pod.node_ip = node_of.get(&i).copied();
                endpoints[i] = Some(Ok(cluster.add_pod(pod)));
            }
            // A node (one endpoint per address: the same node is `host` on
            // itself and `remote-node` elsewhere).
            Identity::Reserved {
                entity: entity @ (ReservedEntity::Host | ReservedEntity::RemoteNode),
                ip: Some(ip),
            } => {
                let id = match nodes.get(ip) {
                    Some(id) => *id,
                    None => {
                        let pod = PodInfo::reserved(*entity, &format!("node-{ip}"), vec![*ip]);
                        let id = add(&mut cluster, pod);
                        nodes.insert(*ip, id);
                        id
                    }
                };
                endpoints[i] = Some(Ok(id));
            }
            Identity::Reserved {
                entity:
                    entity @ (ReservedEntity::Host
                    | ReservedEntity::RemoteNode
                    | ReservedEntity::Health
                    | ReservedEntity::Init
                    | ReservedEntity::Ingress
                    | ReservedEntity::Unmanaged),
                ip,
            } => {
                let pod = PodInfo::reserved(*entity, &info.display, ip.iter().copied().collect());
                endpoints[i] = Some(Ok(add(&mut cluster, pod)));
            }
            Identity::Reserved {
                entity: ReservedEntity::KubeApiserver,
                ip: None,
            } => {
                let pod =
                    PodInfo::reserved(ReservedEntity::KubeApiserver, &info.display, Vec::new());
                endpoints[i] = Some(Ok(add(&mut cluster, pod)));
            }
            _ => {}
        }
    }
    for (i, info) in agg.identities.iter().enumerate() {
        if endpoints[i].is_some() {
            continue;
        }
        endpoints[i] = Some(match &info.identity {
            Identity::External { ip } | Identity::Unknown { ip: Some(ip) } => {
                Ok(cluster.add_external(*ip))
            }
            Identity::Reserved {
                entity: ReservedEntity::World,
                ip,
            } => Ok(cluster.add_external(ip.unwrap_or(ANY_WORLD_ADDRESS))),
            Identity::Reserved {
                entity: ReservedEntity::KubeApiserver,
                ip: Some(ip),
            } => {
                if !cluster.options.kube_apiserver_ips.contains(ip) {
                    cluster.options.kube_apiserver_ips.push(*ip);
                }
                Ok(cluster.add_external(*ip))
            }
            Identity::Unknown { ip: None } => {
                Err("the flows carry neither labels nor address for one endpoint".to_string())
            }
            Identity::Reserved { .. } | Identity::Workload { .. } => {
                unreachable!("pods and reserved endpoints were added above")
            }
        });
    }
    ReplayCluster {
        cluster,
        endpoints: endpoints
            .into_iter()
            .map(|e| e.expect("every identity placed"))
            .collect(),
    }
}

/// What the engine is asked about one flow.
enum Question {
    Port(PortKey),
    Icmp(IcmpKey),
}

/// The engine question for traffic to `port` over `protocol`, or why there
/// is none.
fn question(protocol: Protocol, port: Option<u16>) -> Result<Question, String> {
    let proto = match protocol {
        Protocol::Tcp => engine::Protocol::Tcp,
        Protocol::Udp => engine::Protocol::Udp,
        Protocol::Sctp => engine::Protocol::Sctp,
        Protocol::Icmp | Protocol::IcmpV6 => {
            let Some(t) = port.and_then(|t| u8::try_from(t).ok()) else {
                return Err("the flows carry no ICMP type".to_string());
            };
            return Ok(Question::Icmp(IcmpKey {
                v6: protocol == Protocol::IcmpV6,
                icmp_type: t,
            }));
        }
        Protocol::None => return Err("the flows carry no L4 information".to_string()),
    };
    match port {
        Some(p) => Ok(Question::Port(PortKey::new(p, proto))),
        None => Err("the flows carry no destination port".to_string()),
    }
}

/// The engine's answer: allowed (or no verdict), the rules that allow, the
/// conditions, the reasons it is denied or has no verdict.
struct Answer {
    allowed: Option<bool>,
    matched: Vec<String>,
    conditions: Vec<String>,
    reasons: Vec<String>,
}

fn matched_names<'a>(matches: impl Iterator<Item = &'a RuleMatch>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in matches {
        let name = format!("{} {}", m.policy.describe(), m.rule);
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

fn ask(engine: &Engine, from: EndpointId, to: EndpointId, q: &Question) -> Answer {
    match q {
        Question::Port(port) => {
            let v = engine.verdict(from, to, *port);
            if v.allowed {
                Answer {
                    allowed: Some(true),
                    matched: matched_names(v.egress.allowed_by.iter().chain(&v.ingress.allowed_by)),
                    conditions: v.conditions(),
                    reasons: Vec::new(),
                }
            } else {
                Answer {
                    allowed: Some(false),
                    matched: Vec::new(),
                    conditions: Vec::new(),
                    reasons: v.reasons(),
                }
            }
        }
        Question::Icmp(key) => {
            let v = engine.icmp_verdict(from, to, *key);
            Answer {
                allowed: v.allowed,
                matched: if v.allowed == Some(true) {
                    matched_names(v.egress.allowed_by.iter().chain(&v.ingress.allowed_by))
                } else {
                    Vec::new()
                },
                conditions: Vec::new(),
                reasons: v.reasons(),
            }
        }
    }
}

/// The request a reply answers: (from, to, question), or why there is none.
fn request_of(
    f: &AggregatedFlow,
    model: &ReplayCluster,
) -> Result<(EndpointId, EndpointId, Question), String> {
    let from = model.endpoints[f.destination].clone()?;
    let to = model.endpoints[f.source].clone()?;
    let q = match f.protocol {
        Protocol::Icmp | Protocol::IcmpV6 => match question(f.protocol, f.port)? {
            Question::Icmp(key) => match key.request_of_reply() {
                Some(req) => Question::Icmp(req),
                None => {
                    return Err(format!(
                        "reply of {key}, which answers no request: its verdict depends on the connection it reports on"
                    ));
                }
            },
            Question::Port(_) => unreachable!("ICMP asks an ICMP question"),
        },
        p => match f.source_port {
            Some(port) => question(p, Some(port))?,
            None => {
                return Err(
                    "reply whose source port (the port of its request) the flows do not carry"
                        .to_string(),
                );
            }
        },
    };
    Ok((from, to, q))
}

/// Replays every distinct flow against `policies`. See the module docs.
pub fn replay(agg: &Aggregates, policies: &[Policy]) -> Replay {
    let model = replay_cluster(agg);
    let engine = Engine::new(&model.cluster, policies);
    let mut out = Replay {
        notes: engine.notes().to_vec(),
        ..Replay::default()
    };
    for f in &agg.flows {
        let mut row = ReplayRow {
            source: agg.identities[f.source].display.clone(),
            destination: agg.identities[f.destination].display.clone(),
            port: f.port,
            protocol: f.protocol,
            verdict: f.verdict,
            is_reply: f.is_reply,
            count: f.count,
            allowed: None,
            matched: Vec::new(),
            conditions: Vec::new(),
            reasons: Vec::new(),
            direction: f.direction,
            l7: agg.l7(f).clone(),
            first_seen: f.first_seen.map(format_rfc3339),
            last_seen: f.last_seen.map(format_rfc3339),
            note: None,
            reply: None,
        };
        let asked = if f.is_reply {
            request_of(f, &model)
        } else {
            question(f.protocol, f.port).and_then(|q| {
                let from = model.endpoints[f.source].clone()?;
                let to = model.endpoints[f.destination].clone()?;
                Ok((from, to, q))
            })
        };
        match asked {
            Err(note) => row.note = Some(note),
            Ok((from, to, q)) => {
                let a = ask(&engine, from, to, &q);
                row.allowed = a.allowed;
                row.matched = a.matched;
                row.conditions = a.conditions;
                if f.is_reply {
                    let request = format!(
                        "{} -> {} {}",
                        row.destination,
                        row.source,
                        match &q {
                            Question::Port(p) => p.to_string(),
                            Question::Icmp(k) => k.to_string(),
                        }
                    );
                    row.reply = Some(match a.allowed {
                        Some(true) => {
                            format!("reply: allowed because the request ({request}) is allowed")
                        }
                        Some(false) => {
                            format!("reply to a request these policies deny ({request})")
                        }
                        None => format!("reply to a request with no verdict ({request})"),
                    });
                }
                if a.allowed.is_none() {
                    row.note = Some(a.reasons.join("; "));
                } else {
                    row.reasons = a.reasons;
                }
            }
        }
        tally(&mut out.summary, &row);
        out.flows.push(row);
    }
    out
}

fn tally(s: &mut ReplaySummary, row: &ReplayRow) {
    s.distinct += 1;
    s.flows += row.count;
    if row.is_reply {
        s.replies += 1;
    }
    match row.allowed {
        None => s.not_evaluated += 1,
        Some(true) => {
            if row.is_reply {
                s.replies_allowed += 1;
            } else {
                s.allowed += 1;
            }
            s.allowed_flows += row.count;
            if row.verdict == Verdict::Dropped {
                s.changed += 1;
                s.newly_allowed += 1;
            }
        }
        Some(false) => {
            if row.is_reply {
                s.replies_denied += 1;
            } else {
                s.denied += 1;
            }
            s.denied_flows += row.count;
            if row.verdict.is_allowed_traffic() {
                s.changed += 1;
                s.newly_denied += 1;
            }
        }
    }
}
