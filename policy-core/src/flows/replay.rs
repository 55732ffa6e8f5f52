//! Replay: would these policies allow the observed flows? (impact preview)
//!
//! The flows' identities become a cluster model ([`replay_cluster`]): one
//! pod per workload (namespace, stable labels, an observed address), the
//! namespaces with the labels Hubble reported for them, external addresses,
//! host-network pods for `host`/`remote-node` addresses, and the
//! kube-apiserver's addresses. Then the reachability [`Engine`] answers each
//! distinct flow, so replay has exactly the engine's semantics; this module
//! only translates.
//!
//! Not evaluated (`allowed: null`, with a note): reply flows (connection
//! tracking lets them through when their request is allowed), flows without
//! L4 information or with a protocol the engine does not model (ICMP), and
//! peers the model has no endpoint for (`health`, `init`, `ingress`,
//! `unmanaged`, peers known by nothing at all).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::aggregate::{AggregatedFlow, Aggregates, L7Key};
use super::event::{Direction, Protocol, Verdict};
use super::identity::{Identity, ReservedEntity};
use crate::cluster::{Cluster, EndpointId, Labels, PodInfo};
use crate::engine::{self, Engine, PortKey};
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
}

/// Counts over the rows (`*_flows` weigh rows by their flow count).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReplaySummary {
    /// Distinct flows (rows).
    pub distinct: u64,
    /// Flows (sum of counts).
    pub flows: u64,
    /// Rows allowed.
    pub allowed: u64,
    /// Rows denied.
    pub denied: u64,
    /// Rows not evaluated (replies, no L4, unmodelled peers).
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
    // Pods first (endpoint ids of externals shift when pods are added).
    let mut endpoints: Vec<Option<Result<EndpointId, String>>> = vec![None; agg.identities.len()];
    let mut host_pods: BTreeMap<IpAddr, EndpointId> = BTreeMap::new();
    for (i, info) in agg.identities.iter().enumerate() {
        match &info.identity {
            Identity::Workload { namespace, labels } => {
                let mut pod = PodInfo::new(namespace, &info.name, labels.clone());
                pod.ips = info.ip.into_iter().collect();
                pod.node_ip = node_of.get(&i).copied();
                endpoints[i] = Some(Ok(cluster.add_pod(pod)));
            }
            Identity::Reserved {
                entity: entity @ (ReservedEntity::Host | ReservedEntity::RemoteNode),
                ip,
            } => {
                // A node: a host-network pod on it.
                let ip = match ip {
                    Some(ip) => *ip,
                    None => {
                        endpoints[i] = Some(Err(format!(
                            "reserved:{entity} without an address has no endpoint in the model"
                        )));
                        continue;
                    }
                };
                let id = *host_pods.entry(ip).or_insert_with(|| {
                    let mut pod = PodInfo::new("", &format!("node-{ip}"), Labels::new());
                    pod.host_network = true;
                    pod.node_ip = Some(ip);
                    cluster.pods.push(pod);
                    EndpointId(cluster.pods.len() - 1)
                });
                endpoints[i] = Some(Ok(id));
            }
            _ => {}
        }
    }
    for (i, info) in agg.identities.iter().enumerate() {
        if endpoints[i].is_some() {
            continue;
        }
        endpoints[i] = Some(match &info.identity {
            Identity::External { ip } | Identity::Unknown { ip: Some(ip) } => Ok(cluster.add_external(*ip)),
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
            Identity::Reserved { entity, .. } => Err(format!("reserved:{entity} has no endpoint in the model")),
            Identity::Unknown { ip: None } => Err("the flows carry neither labels nor address for it".to_string()),
            Identity::Workload { .. } => unreachable!("workloads were added above"),
        });
    }
    ReplayCluster {
        cluster,
        endpoints: endpoints.into_iter().map(|e| e.expect("every identity placed")).collect(),
    }
}

/// The engine's port for a flow, or why there is none.
fn port_key(f: &AggregatedFlow) -> Result<PortKey, String> {
    let protocol = match f.protocol {
        Protocol::Tcp => engine::Protocol::Tcp,
        Protocol::Udp => engine::Protocol::Udp,
        Protocol::Sctp => engine::Protocol::Sctp,
        Protocol::Icmp | Protocol::IcmpV6 => return Err("ICMP is not modelled by the engine".to_string()),
        Protocol::None => return Err("the flows carry no L4 information".to_string()),
    };
    match f.port {
        Some(p) => Ok(PortKey::new(p, protocol)),
        None => Err("the flows carry no destination port".to_string()),
    }
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
            l7: f.l7.clone(),
            first_seen: f.first_seen.clone(),
            last_seen: f.last_seen.clone(),
            note: None,
        };
        let evaluable = if f.is_reply {
            Err("reply: allowed when its request is (connection tracking)".to_string())
        } else {
            port_key(f).and_then(|port| {
                let from = model.endpoints[f.source].clone()?;
                let to = model.endpoints[f.destination].clone()?;
                Ok((from, to, port))
            })
        };
        match evaluable {
            Err(note) => row.note = Some(note),
            Ok((from, to, port)) => {
                let v = engine.verdict(from, to, port);
                row.allowed = Some(v.allowed);
                if v.allowed {
                    for m in v.egress.allowed_by.iter().chain(&v.ingress.allowed_by) {
                        let name = format!("{} {}", m.policy.describe(), m.rule);
                        if !row.matched.contains(&name) {
                            row.matched.push(name);
                        }
                    }
                    row.conditions = v.conditions();
                } else {
                    row.reasons = v.reasons();
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
    match row.allowed {
        None => s.not_evaluated += 1,
        Some(true) => {
            s.allowed += 1;
            s.allowed_flows += row.count;
            if row.verdict == Verdict::Dropped {
                s.changed += 1;
                s.newly_allowed += 1;
            }
        }
        Some(false) => {
            s.denied += 1;
            s.denied_flows += row.count;
            if row.verdict.is_allowed_traffic() {
                s.changed += 1;
                s.newly_denied += 1;
            }
        }
    }
}
