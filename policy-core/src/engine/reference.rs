//! A deliberately naive reference evaluator: an oracle for tests and
//! benchmarks, not for production use (enable the `reference` feature).
//!
//! It reads the policy objects directly for every connection, with no
//! compilation, no caching and no bitsets, so that the indexed engine can be
//! checked against an independent, obviously-correct reading of the rules.

use std::net::IpAddr;

use crate::model::IntOrString;
use crate::model::{NetworkPolicyPeer, NetworkPolicyPort};
use ipnet::IpNet;

use super::port::{PortKey, Protocol};
use super::selector::{self, Labels};
use super::verdict::Direction;
use crate::cluster::{Cluster, ContainerPort, EndpointId, PodInfo, ReservedEntity};
use crate::model::cilium::{CidrRule, CiliumPolicy, PortRule};
use crate::model::{LabelSelector, NetworkPolicy, Policy};

/// Whether `from` can reach `to` on `port` under `policies`.
pub fn allowed(
    cluster: &Cluster,
    policies: &[Policy],
    from: EndpointId,
    to: EndpointId,
    port: PortKey,
) -> bool {
    side(cluster, policies, Direction::Egress, from, to, port)
        && side(cluster, policies, Direction::Ingress, to, from, port)
}

/// The whole truth table, pair by pair: `result[port][from][to]`.
pub fn truth_table(
    cluster: &Cluster,
    policies: &[Policy],
    ports: &[PortKey],
) -> Vec<Vec<Vec<bool>>> {
    let n = cluster.endpoint_count();
    ports
        .iter()
        .map(|&k| {
            (0..n)
                .map(|s| {
                    (0..n)
                        .map(|t| allowed(cluster, policies, EndpointId(s), EndpointId(t), k))
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn side(
    cluster: &Cluster,
    policies: &[Policy],
    dir: Direction,
    subject: EndpointId,
    peer: EndpointId,
    key: PortKey,
) -> bool {
    let Some(pod) = cluster.pod(subject).filter(|p| p.selectable()) else {
        return true;
    };
    let dst = if dir == Direction::Ingress {
        Some(pod)
    } else {
        cluster.pod(peer).filter(|p| p.selectable())
    };
    let dst_ports: Option<&[ContainerPort]> = dst.map(|p| p.ports.as_slice());
    let (mut isolated, mut allow, mut deny) = (false, false, false);
    // Cilium requirements, checked once every selecting rule is known.
    let mut requires: Vec<LabelSelector> = Vec::new();
    let mut cilium_allow_peers: Vec<bool> = Vec::new();
    for policy in policies {
        match policy {
            Policy::NetworkPolicy(np) => {
                let (iso, ok) = np_side(cluster, np, dir, pod, peer, key, dst_ports);
                isolated |= iso;
                allow |= ok;
            }
            Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
                let clusterwide = matches!(policy, Policy::CiliumClusterwideNetworkPolicy(_));
                cilium_side(
                    cluster,
                    p,
                    clusterwide,
                    dir,
                    pod,
                    peer,
                    key,
                    dst_ports,
                    &mut isolated,
                    &mut deny,
                    &mut requires,
                    &mut cilium_allow_peers,
                );
            }
        }
    }
    if !cilium_allow_peers.is_empty() {
        let peer_labels = cilium_labels_of(cluster, peer);
        let ok = requires
            .iter()
            .all(|r| selector::cilium_matches(r, &peer_labels));
        allow |= ok && cilium_allow_peers.iter().any(|x| *x);
    }
    !deny && (!isolated || allow)
}

fn ns_labels(cluster: &Cluster, ns: &str) -> Labels {
    match cluster.namespace(ns) {
        Some(n) => n.labels.clone(),
        None => [(
            crate::cluster::NAMESPACE_NAME_LABEL.to_string(),
            ns.to_string(),
        )]
        .into(),
    }
}

fn cilium_labels_of(cluster: &Cluster, e: EndpointId) -> Labels {
    match cluster.pod(e) {
        Some(p) if p.selectable() => selector::cilium_labels(
            &p.labels,
            &p.namespace,
            &ns_labels(cluster, &p.namespace),
            p.service_account.as_deref(),
        ),
        _ => Labels::new(),
    }
}

fn addresses(cluster: &Cluster, e: EndpointId) -> (Vec<IpAddr>, bool) {
    match cluster.pod(e) {
        Some(p) => (p.addresses(), true),
        None => (vec![cluster.externals[e.0 - cluster.pods.len()]], false),
    }
}

fn cidr(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

fn in_block(ips: &[IpAddr], c: &str, except: &[String]) -> bool {
    let Some(net) = cidr(c) else { return false };
    ips.iter().any(|ip| {
        net.contains(ip)
            && !except
                .iter()
                .filter_map(|e| cidr(e))
                .any(|e| e.contains(ip))
    })
}

fn np_side(
    cluster: &Cluster,
    np: &NetworkPolicy,
    dir: Direction,
    pod: &PodInfo,
    peer: EndpointId,
    key: PortKey,
    dst_ports: Option<&[ContainerPort]>,
) -> (bool, bool) {
    let ns = np.metadata.namespace.as_deref().unwrap_or("default");
    if pod.namespace != ns {
        return (false, false);
    }
    let spec = np.spec.clone().unwrap_or_default();
    if !selector::matches(&spec.pod_selector.clone().unwrap_or_default(), &pod.labels) {
        return (false, false);
    }
    let isolated = np.isolated_directions();
    let isolates = if dir == Direction::Ingress {
        isolated.ingress
    } else {
        isolated.egress
    };
    if !isolates {
        return (false, false);
    }
    type RuleParts = (
        Option<Vec<NetworkPolicyPeer>>,
        Option<Vec<NetworkPolicyPort>>,
    );
    let rules: Vec<RuleParts> = if dir == Direction::Ingress {
        spec.ingress
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.from, r.ports))
            .collect()
    } else {
        spec.egress
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.to, r.ports))
            .collect()
    };
    let mut ok = false;
    for (peers, ports) in rules {
        let peer_ok = match peers.filter(|p| !p.is_empty()) {
            None => true,
            Some(peers) => peers.iter().any(|p| np_peer(cluster, ns, p, peer)),
        };
        let port_ok = match ports.filter(|p| !p.is_empty()) {
            None => true,
            Some(ports) => ports.iter().any(|p| np_port(p, key, dst_ports)),
        };
        ok |= peer_ok && port_ok;
    }
    (true, ok)
}

fn np_peer(cluster: &Cluster, ns: &str, p: &NetworkPolicyPeer, peer: EndpointId) -> bool {
    if let Some(block) = &p.ip_block {
        let (ips, is_pod) = addresses(cluster, peer);
        if is_pod && !cluster.options.ip_block_matches_pod_ips {
            return false;
        }
        return in_block(&ips, &block.cidr, block.except.as_deref().unwrap_or(&[]));
    }
    let Some(pod) = cluster.pod(peer).filter(|p| p.selectable()) else {
        return false;
    };
    let ns_ok = match &p.namespace_selector {
        None => pod.namespace == ns && p.pod_selector.is_some(),
        Some(sel) => selector::matches(sel, &ns_labels(cluster, &pod.namespace)),
    };
    ns_ok
        && p.pod_selector
            .as_ref()
            .is_none_or(|s| selector::matches(s, &pod.labels))
}

fn np_port(p: &NetworkPolicyPort, key: PortKey, dst_ports: Option<&[ContainerPort]>) -> bool {
    let proto = p.protocol.as_deref().unwrap_or("TCP");
    if Protocol::parse(proto) != Some(key.protocol) {
        return false;
    }
    match &p.port {
        None => true,
        Some(IntOrString::Int(n)) => {
            let end = p.end_port.filter(|e| *e >= *n).unwrap_or(*n);
            (*n..=end).contains(&i32::from(key.port))
        }
        Some(IntOrString::String(s)) => match s.parse::<u16>() {
            Ok(n) => n == key.port,
            Err(_) => named(s, key, dst_ports, true),
        },
    }
}

fn named(name: &str, key: PortKey, dst_ports: Option<&[ContainerPort]>, _strict: bool) -> bool {
    dst_ports.is_some_and(|ports| {
        ports.iter().any(|c| {
            c.name.as_deref() == Some(name) && c.port == key.port && c.protocol == key.protocol
        })
    })
}

#[allow(clippy::too_many_arguments)]
fn cilium_side(
    cluster: &Cluster,
    p: &CiliumPolicy,
    clusterwide: bool,
    dir: Direction,
    pod: &PodInfo,
    peer: EndpointId,
    key: PortKey,
    dst_ports: Option<&[ContainerPort]>,
    isolated: &mut bool,
    deny: &mut bool,
    requires: &mut Vec<LabelSelector>,
    allow_peers: &mut Vec<bool>,
) {
    let ns = p.metadata.namespace.as_deref().unwrap_or("default");
    if !clusterwide && pod.namespace != ns {
        return;
    }
    let labels = selector::cilium_labels(
        &pod.labels,
        &pod.namespace,
        &ns_labels(cluster, &pod.namespace),
        pod.service_account.as_deref(),
    );
    for (_, rule) in p.rules() {
        let Some(sel) = &rule.endpoint_selector else {
            continue;
        };
        if !selector::cilium_matches(sel, &labels) {
            continue;
        }
        let scope = if clusterwide { None } else { Some(ns) };
        // (peer fields, ports, icmps, unmodelled) per rule, for allow and deny.
        type Generic = (
            Vec<LabelSelector>,
            Vec<LabelSelector>,
            Vec<String>,
            Vec<CidrRule>,
            Vec<String>,
            bool,
            Option<Vec<PortRule>>,
            bool,
        );
        let (allows, denies): (Vec<Generic>, Vec<Generic>) = if dir == Direction::Ingress {
            let f = |r: &crate::model::cilium::IngressRule| -> Generic {
                (
                    r.from_endpoints.clone().unwrap_or_default(),
                    r.from_requires.clone().unwrap_or_default(),
                    r.from_cidr.clone().unwrap_or_default(),
                    r.from_cidr_set.clone().unwrap_or_default(),
                    r.from_entities.clone().unwrap_or_default(),
                    r.extra.contains_key("fromNodes") || r.extra.contains_key("fromGroups"),
                    r.to_ports.clone(),
                    r.icmps.as_ref().is_some_and(|i| !i.is_empty()),
                )
            };
            (
                rule.ingress.iter().flatten().map(f).collect(),
                rule.ingress_deny.iter().flatten().map(f).collect(),
            )
        } else {
            let f = |r: &crate::model::cilium::EgressRule| -> Generic {
                let mut entities = r.to_entities.clone().unwrap_or_default();
                if r.to_fqdns.as_ref().is_some_and(|f| !f.is_empty()) {
                    entities.push("world".into());
                }
                (
                    r.to_endpoints.clone().unwrap_or_default(),
                    r.to_requires.clone().unwrap_or_default(),
                    r.to_cidr.clone().unwrap_or_default(),
                    r.to_cidr_set.clone().unwrap_or_default(),
                    entities,
                    r.extra.contains_key("toNodes")
                        || r.extra.contains_key("toGroups")
                        || r.to_services.as_ref().is_some_and(|s| !s.is_empty()),
                    r.to_ports.clone(),
                    r.icmps.as_ref().is_some_and(|i| !i.is_empty()),
                )
            };
            (
                rule.egress.iter().flatten().map(f).collect(),
                rule.egress_deny.iter().flatten().map(f).collect(),
            )
        };
        let dd = rule.enable_default_deny.as_ref().and_then(|d| {
            if dir == Direction::Ingress {
                d.ingress
            } else {
                d.egress
            }
        });
        if (!allows.is_empty() || !denies.is_empty()) && dd != Some(false) {
            *isolated = true;
        }
        for g in allows.iter().chain(&denies) {
            for r in &g.1 {
                requires.push(scoped(r, scope));
            }
        }
        let matches = |g: &Generic| -> bool {
            let (eps, _, cidrs, sets, entities, unmodelled, to_ports, icmps) = g;
            let l3 = !eps.is_empty()
                || !cidrs.is_empty()
                || !sets.is_empty()
                || !entities.is_empty()
                || *unmodelled;
            let peer_ok = if !l3 {
                to_ports.as_ref().is_some_and(|p| !p.is_empty()) || *icmps
            } else {
                eps.iter()
                    .any(|s| cilium_endpoint(cluster, s, scope, peer, pod))
                    || cidrs.iter().any(|c| cilium_cidr(cluster, peer, c, &[]))
                    || sets.iter().any(|c| {
                        c.cidr.as_ref().is_some_and(|cc| {
                            cilium_cidr(cluster, peer, cc, c.except.as_deref().unwrap_or(&[]))
                        })
                    })
                    || entities.iter().any(|e| entity(cluster, e, peer, pod))
            };
            let port_ok = match to_ports.as_deref().filter(|p| !p.is_empty()) {
                None => !icmps,
                Some(prs) => {
                    prs.iter()
                        .any(|pr| match pr.ports.as_deref().filter(|p| !p.is_empty()) {
                            None => true,
                            Some(ports) => ports.iter().any(|pp| {
                                let proto_ok = match pp.protocol.as_deref() {
                                    None => true,
                                    Some(s) if s.eq_ignore_ascii_case("any") => true,
                                    Some(s) => Protocol::parse(s) == Some(key.protocol),
                                };
                                proto_ok
                                    && match pp.port.trim() {
                                        "" | "0" => true,
                                        s => match s.parse::<u16>() {
                                            Ok(n) => {
                                                let end = pp
                                                    .end_port
                                                    .filter(|e| *e >= i32::from(n))
                                                    .unwrap_or(i32::from(n));
                                                (i32::from(n)..=end).contains(&i32::from(key.port))
                                            }
                                            Err(_) => named(s, key, dst_ports, false),
                                        },
                                    }
                            }),
                        })
                }
            };
            peer_ok && port_ok
        };
        for g in &allows {
            allow_peers.push(matches(g));
        }
        for g in &denies {
            *deny |= matches(g);
        }
    }
}

fn scoped(sel: &LabelSelector, ns: Option<&str>) -> LabelSelector {
    let mut s = sel.clone();
    if let Some(ns) = ns
        && !selector::names_cilium_namespace(sel)
    {
        s.match_labels
            .get_or_insert_with(Default::default)
            .insert("io.kubernetes.pod.namespace".into(), ns.into());
    }
    s
}

fn cilium_endpoint(
    cluster: &Cluster,
    sel: &LabelSelector,
    scope: Option<&str>,
    peer: EndpointId,
    subject: &PodInfo,
) -> bool {
    if let Some(e) = selector::reserved_entity(sel) {
        return entity(cluster, e, peer, subject);
    }
    let Some(p) = cluster.pod(peer).filter(|p| p.selectable()) else {
        return false;
    };
    if let Some(ns) = scope
        && !selector::names_cilium_namespace(sel)
        && p.namespace != ns
    {
        return false;
    }
    selector::cilium_matches(sel, &cilium_labels_of(cluster, peer))
}

fn cilium_cidr(cluster: &Cluster, peer: EndpointId, c: &str, except: &[String]) -> bool {
    let (ips, is_pod) = addresses(cluster, peer);
    // Cilium's CIDR rules match outside addresses and unmanaged endpoints.
    let cidr_selectable = cluster
        .pod(peer)
        .and_then(|p| p.reserved)
        .is_some_and(|e| e.cidr_selectable());
    (!is_pod || cidr_selectable) && in_block(&ips, c, except)
}

fn entity(cluster: &Cluster, e: &str, peer: EndpointId, subject: &PodInfo) -> bool {
    let pod = cluster.pod(peer);
    let external = if pod.is_none() {
        Some(cluster.externals[peer.0 - cluster.pods.len()])
    } else {
        None
    };
    let host_net = pod.filter(|p| p.host_network);
    match e {
        "all" => true,
        "world" => external.is_some(),
        "world-ipv4" => external.is_some_and(|ip| ip.is_ipv4()),
        "world-ipv6" => external.is_some_and(|ip| ip.is_ipv6()),
        "cluster" => {
            pod.is_some()
                || external.is_some_and(|ip| cluster.options.kube_apiserver_ips.contains(&ip))
        }
        "host" => host_net.is_some_and(|h| h.node_ip.is_some() && h.node_ip == subject.node_ip),
        "remote-node" => host_net.is_some_and(|h| {
            h.node_ip.is_none() || subject.node_ip.is_none() || h.node_ip != subject.node_ip
        }),
        "kube-apiserver" => {
            external.is_some_and(|ip| cluster.options.kube_apiserver_ips.contains(&ip))
                || pod.is_some_and(|p| p.reserved == Some(ReservedEntity::KubeApiserver))
        }
        "health" | "init" | "ingress" | "unmanaged" => {
            pod.is_some_and(|p| p.reserved == ReservedEntity::from_label(e))
        }
        _ => false,
    }
}
