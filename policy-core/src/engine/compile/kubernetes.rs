//! NetworkPolicy (`networking.k8s.io/v1`) to compiled rules, following the
//! Kubernetes API reference and the upstream netpol e2e suite:
//! per-direction isolation; `policyTypes` defaulting (Ingress always, Egress
//! when `spec.egress` is non-empty); AND inside a peer, OR across peers and
//! rules; a peer with only `podSelector` means the policy's namespace; named
//! ports resolve on the destination pod; a port without protocol is TCP.

use crate::model::IntOrString;
use crate::model::{NetworkPolicyPeer, NetworkPolicyPort};

use super::{Builder, CidrPeer, Compiled, Group, IcmpMatch, Peer, PortClause, Rule, push_rule};
use crate::engine::bitset::BitSet;
use crate::engine::port::{PortSpec, ProtoMatch, Protocol};
use crate::engine::selector::{describe, selector_key};
use crate::engine::verdict::Direction;
use crate::model::NetworkPolicy;
use crate::model::cidr::parse_ip_block_cidr;

pub(super) fn compile(b: &mut Builder<'_>, out: &mut Compiled, index: usize, np: &NetworkPolicy) {
    let name = out.policies[index].describe();
    let ns = np
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let ns_id = b.ns_id(&ns);
    let spec = np.spec.clone().unwrap_or_default();

    let isolated = np.isolated_directions();
    let (ingress_on, egress_on) = (isolated.ingress, isolated.egress);

    let key = format!(
        "np|{ns_id:?}|{:?}",
        spec.pod_selector.as_ref().map(selector_key)
    );
    let selected = b.cached(key, |b| {
        b.k8s_pods(&|n| Some(n) == ns_id, spec.pod_selector.as_ref())
    });
    let group = out.groups.len();
    out.groups.push(Group {
        policy: index,
        cilium: false,
        selected,
        isolates: [egress_on, ingress_on],
        requires: [None, None],
        rules: [Vec::new(), Vec::new()],
    });

    if ingress_on {
        for (i, rule) in spec.ingress.iter().flatten().enumerate() {
            let path = format!("spec.ingress[{i}]");
            let peers = compile_peers(b, &ns, ns_id, rule.from.as_deref(), "from", &name, &path);
            let ports = compile_ports(rule.ports.as_deref());
            push_rule(
                out,
                Rule {
                    group,
                    direction: Direction::Ingress,
                    deny: false,
                    path,
                    index: i,
                    peers,
                    peer_union: BitSet::new(b.n),
                    node_relative: false,
                    icmp: IcmpMatch::NotExpressible,
                    ports,
                },
            );
        }
    } else if spec.ingress.as_ref().is_some_and(|r| !r.is_empty()) {
        b.notes.push(format!(
            "{name}: spec.ingress is ignored because spec.policyTypes does not list Ingress"
        ));
    }
    if egress_on {
        for (i, rule) in spec.egress.iter().flatten().enumerate() {
            let path = format!("spec.egress[{i}]");
            let peers = compile_peers(b, &ns, ns_id, rule.to.as_deref(), "to", &name, &path);
            let ports = compile_ports(rule.ports.as_deref());
            push_rule(
                out,
                Rule {
                    group,
                    direction: Direction::Egress,
                    deny: false,
                    path,
                    index: i,
                    peers,
                    peer_union: BitSet::new(b.n),
                    node_relative: false,
                    icmp: IcmpMatch::NotExpressible,
                    ports,
                },
            );
        }
    } else if spec.egress.as_ref().is_some_and(|r| !r.is_empty()) {
        b.notes.push(format!(
            "{name}: spec.egress is ignored because spec.policyTypes does not list Egress"
        ));
    }
}

fn compile_peers(
    b: &mut Builder<'_>,
    ns: &str,
    ns_id: Option<u32>,
    peers: Option<&[NetworkPolicyPeer]>,
    field: &str,
    policy: &str,
    path: &str,
) -> Option<Vec<Peer>> {
    let peers = match peers {
        None | Some([]) => return None,
        Some(p) => p,
    };
    let mut out = Vec::new();
    for (i, peer) in peers.iter().enumerate() {
        let mut compiled = Peer {
            index: i,
            describe: String::new(),
            set: BitSet::new(b.n),
            node: None,
            conditions: Vec::new(),
            cidr: None,
        };
        if let Some(block) = &peer.ip_block {
            let except: Vec<_> = block
                .except
                .iter()
                .flatten()
                .filter_map(|e| parse_ip_block_cidr(e))
                .collect();
            match parse_ip_block_cidr(&block.cidr) {
                Some(net) => {
                    let cidr = CidrPeer {
                        net,
                        except,
                        matches_pods: b.cluster.options.ip_block_matches_pod_ips,
                        ip_block: true,
                    };
                    compiled.set = b.cidr_endpoints(&cidr);
                    compiled.cidr = Some(cidr);
                }
                None => b.notes.push(format!(
                    "{policy}: {path}.{field}[{i}].ipBlock.cidr `{}` is not a CIDR; it matches nothing",
                    block.cidr
                )),
            }
            let except = block.except.as_deref().unwrap_or(&[]);
            compiled.describe = if except.is_empty() {
                format!("ipBlock {}", block.cidr)
            } else {
                format!("ipBlock {} except {}", block.cidr, except.join(", "))
            };
        } else {
            match (&peer.namespace_selector, &peer.pod_selector) {
                (None, None) => {
                    compiled.describe = "an empty peer (matches nothing)".into();
                    b.notes.push(format!(
                        "{policy}: {path}.{field}[{i}] names no selector or ipBlock"
                    ));
                }
                (None, Some(pod)) => {
                    let key = format!("np|{ns_id:?}|{:?}", Some(selector_key(pod)));
                    compiled.set = b.cached(key, |b| b.k8s_pods(&|n| Some(n) == ns_id, Some(pod)));
                    compiled.describe = format!("pods {} in namespace {ns}", describe(pod));
                }
                (Some(nsel), pod) => {
                    let key = format!(
                        "np-ns|{}|{:?}",
                        selector_key(nsel),
                        pod.as_ref().map(selector_key)
                    );
                    compiled.set = b.cached(key, |b| {
                        let ns_ok = b.namespaces_matching(nsel);
                        b.k8s_pods(&|n| ns_ok[n as usize], pod.as_ref())
                    });
                    compiled.describe = match pod {
                        Some(pod) => {
                            format!("pods {} in namespaces {}", describe(pod), describe(nsel))
                        }
                        None => format!("all pods in namespaces {}", describe(nsel)),
                    };
                }
            }
        }
        out.push(compiled);
    }
    Some(out)
}

fn compile_ports(ports: Option<&[NetworkPolicyPort]>) -> Vec<PortClause> {
    let ports = match ports {
        None | Some([]) => {
            return vec![PortClause {
                spec: PortSpec::All,
                l7: None,
            }];
        }
        Some(p) => p,
    };
    ports
        .iter()
        .map(|p| {
            let proto = match p.protocol.as_deref() {
                None => ProtoMatch::One(Protocol::Tcp),
                Some(s) => Protocol::parse(s)
                    .map(ProtoMatch::One)
                    .unwrap_or(ProtoMatch::Other),
            };
            let spec = match &p.port {
                None => PortSpec::Range {
                    start: 1,
                    end: 65535,
                    proto,
                },
                Some(IntOrString::Int(n)) => match u16::try_from(*n) {
                    Ok(start) if start > 0 => {
                        let end = p
                            .end_port
                            .and_then(|e| u16::try_from(e).ok())
                            .filter(|e| *e >= start)
                            .unwrap_or(start);
                        PortSpec::Range { start, end, proto }
                    }
                    _ => PortSpec::Nothing,
                },
                Some(IntOrString::String(s)) => match s.parse::<u16>() {
                    Ok(n) if n > 0 => PortSpec::Range {
                        start: n,
                        end: n,
                        proto,
                    },
                    _ => PortSpec::Named {
                        name: s.clone(),
                        proto,
                    },
                },
            };
            PortClause { spec, l7: None }
        })
        .collect()
}
