//! CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy to compiled rules,
//! following Cilium's policy language documentation:
//!
//! - `endpointSelector` matches pod labels (`k8s:app` is `app`) plus
//!   `io.kubernetes.pod.namespace` and `io.cilium.k8s.namespace.labels.*`;
//!   in a namespaced policy it only selects pods of that namespace, and
//!   `fromEndpoints`/`toEndpoints` are scoped to it unless they name the
//!   namespace label. Clusterwide policies are not scoped.
//! - An endpoint enters default deny in a direction when a selecting rule
//!   has `ingress`/`ingressDeny` (or egress) rules, unless
//!   `enableDefaultDeny` says `false` for that direction.
//! - A rule with only `toPorts` (no L3 peer) matches every peer; a rule with
//!   neither (`ingress: [{}]`) matches nothing.
//! - Deny rules win over every allow, of any policy kind.
//! - `toFQDNs` is treated as an allow to every external address (DNS is not
//!   resolved); the reasons say so. L7 rules allow at L4 and are stated as a
//!   condition.
//! - CIDR rules match addresses outside the cluster, and unmanaged endpoints
//!   (Cilium docs, "IP/CIDR based"); never pods, nodes or health endpoints.
//! - `icmps` admit the listed ICMP types; a rule without L4 admits all ICMP;
//!   a rule with `toPorts` only admits none (Cilium docs, "Layer 4 Examples").

use super::{
    Builder, CidrPeer, Compiled, Group, IcmpMatch, NodeRelative, Peer, PortClause, Rule, push_rule,
};
use crate::cluster::ReservedEntity;
use crate::engine::bitset::BitSet;
use crate::engine::icmp::IcmpKey;
use crate::engine::port::{PortSpec, ProtoMatch, Protocol};
use crate::engine::selector::{describe, names_cilium_namespace, reserved_entity};
use crate::engine::verdict::Direction;
use crate::model::LabelSelector;
use crate::model::cidr::parse_cilium_cidr;
use crate::model::cilium::{
    CidrRule, CiliumPolicy, CiliumRule, EgressRule, IcmpRule, IngressRule, L7Rules, PortRule,
};

/// L3 peer fields of an ingress or egress rule, borrowed.
struct L3<'a> {
    endpoints: Option<&'a [LabelSelector]>,
    cidr: Option<&'a [String]>,
    cidr_set: Option<&'a [CidrRule]>,
    entities: Option<&'a [String]>,
    fqdns: Vec<String>,
    unmodelled: Vec<&'a str>,
    to_ports: Option<&'a [PortRule]>,
    has_icmps: bool,
    icmps: Option<&'a [IcmpRule]>,
}

impl<'a> L3<'a> {
    fn ingress(r: &'a IngressRule) -> Self {
        L3 {
            endpoints: r.from_endpoints.as_deref(),
            cidr: r.from_cidr.as_deref(),
            cidr_set: r.from_cidr_set.as_deref(),
            entities: r.from_entities.as_deref(),
            fqdns: Vec::new(),
            unmodelled: ["fromNodes", "fromGroups"]
                .into_iter()
                .filter(|k| r.extra.contains_key(*k))
                .collect(),
            to_ports: r.to_ports.as_deref(),
            has_icmps: r.icmps.as_ref().is_some_and(|i| !i.is_empty()),
            icmps: r.icmps.as_deref(),
        }
    }

    fn egress(r: &'a EgressRule) -> Self {
        let mut unmodelled: Vec<&str> = ["toNodes", "toGroups"]
            .into_iter()
            .filter(|k| r.extra.contains_key(*k))
            .collect();
        if r.to_services.as_ref().is_some_and(|s| !s.is_empty()) {
            unmodelled.push("toServices");
        }
        let fqdns = r
            .to_fqdns
            .iter()
            .flatten()
            .filter_map(|f| {
                f.match_name
                    .as_ref()
                    .map(|n| format!("matchName {n}"))
                    .or_else(|| {
                        f.match_pattern
                            .as_ref()
                            .map(|p| format!("matchPattern {p}"))
                    })
            })
            .collect();
        L3 {
            endpoints: r.to_endpoints.as_deref(),
            cidr: r.to_cidr.as_deref(),
            cidr_set: r.to_cidr_set.as_deref(),
            entities: r.to_entities.as_deref(),
            fqdns,
            unmodelled,
            to_ports: r.to_ports.as_deref(),
            has_icmps: r.icmps.as_ref().is_some_and(|i| !i.is_empty()),
            icmps: r.icmps.as_deref(),
        }
    }

    fn names_l3(&self) -> bool {
        let some = |o: Option<usize>| o.is_some_and(|n| n > 0);
        some(self.endpoints.map(<[_]>::len))
            || some(self.cidr.map(<[_]>::len))
            || some(self.cidr_set.map(<[_]>::len))
            || some(self.entities.map(<[_]>::len))
            || !self.fqdns.is_empty()
            || !self.unmodelled.is_empty()
    }
}

pub(super) fn compile(
    b: &mut Builder<'_>,
    out: &mut Compiled,
    index: usize,
    p: &CiliumPolicy,
    clusterwide: bool,
) {
    let name = out.policies[index].describe();
    let ns = if clusterwide {
        None
    } else {
        Some(
            p.metadata
                .namespace
                .clone()
                .unwrap_or_else(|| "default".into()),
        )
    };
    // A namespace that holds no pod still scopes the policy: to nothing.
    let scope = ns.as_ref().map(|n| b.ns_id(n).unwrap_or(u32::MAX));
    for (path, rule) in p.rules() {
        compile_rule(b, out, index, &name, &path, rule, ns.as_deref(), scope);
    }
}

#[allow(clippy::too_many_arguments)]
fn compile_rule(
    b: &mut Builder<'_>,
    out: &mut Compiled,
    index: usize,
    name: &str,
    path: &str,
    rule: &CiliumRule,
    ns: Option<&str>,
    scope: Option<u32>,
) {
    let selected = match &rule.endpoint_selector {
        Some(sel) => b.cilium_pods(sel, scope),
        None => {
            let what = if rule.node_selector.is_some() {
                "nodeSelector (host policies) is not modelled"
            } else {
                "has no endpointSelector"
            };
            b.notes
                .push(format!("{name}: {path} {what}; the rule is skipped"));
            return;
        }
    };
    let isolated = rule.isolated_directions();
    let (isolates_in, isolates_eg) = (isolated.ingress, isolated.egress);

    // fromRequires / toRequires of every rule in this group.
    let mut req_in: Vec<LabelSelector> = Vec::new();
    for r in rule
        .ingress
        .iter()
        .flatten()
        .chain(rule.ingress_deny.iter().flatten())
    {
        req_in.extend(r.from_requires.iter().flatten().map(|s| scoped(s, ns)));
    }
    let mut req_eg: Vec<LabelSelector> = Vec::new();
    for r in rule
        .egress
        .iter()
        .flatten()
        .chain(rule.egress_deny.iter().flatten())
    {
        req_eg.extend(r.to_requires.iter().flatten().map(|s| scoped(s, ns)));
    }
    let requires = [
        (!req_eg.is_empty()).then(|| b.cilium_requires(&req_eg)),
        (!req_in.is_empty()).then(|| b.cilium_requires(&req_in)),
    ];

    let group = out.groups.len();
    out.groups.push(Group {
        policy: index,
        cilium: true,
        selected,
        isolates: [isolates_eg, isolates_in],
        requires,
        rules: [Vec::new(), Vec::new()],
    });

    let lists: [(&str, Direction, bool, Vec<L3<'_>>); 4] = [
        (
            "ingress",
            Direction::Ingress,
            false,
            rule.ingress.iter().flatten().map(L3::ingress).collect(),
        ),
        (
            "ingressDeny",
            Direction::Ingress,
            true,
            rule.ingress_deny
                .iter()
                .flatten()
                .map(L3::ingress)
                .collect(),
        ),
        (
            "egress",
            Direction::Egress,
            false,
            rule.egress.iter().flatten().map(L3::egress).collect(),
        ),
        (
            "egressDeny",
            Direction::Egress,
            true,
            rule.egress_deny.iter().flatten().map(L3::egress).collect(),
        ),
    ];
    for (field, direction, deny, rules) in lists {
        for (i, l3) in rules.iter().enumerate() {
            let rule_path = format!("{path}.{field}[{i}]");
            let peers = compile_peers(b, name, &rule_path, l3, direction, ns, scope);
            let ports = compile_ports(l3);
            push_rule(
                out,
                Rule {
                    group,
                    direction,
                    deny,
                    path: rule_path,
                    index: i,
                    peers,
                    peer_union: BitSet::new(b.n),
                    node_relative: false,
                    icmp: compile_icmps(l3),
                    ports,
                },
            );
        }
    }
}

/// A `fromRequires` selector as Cilium reads it in a namespaced policy.
fn scoped(sel: &LabelSelector, ns: Option<&str>) -> LabelSelector {
    let mut s = sel.clone();
    if let Some(ns) = ns
        && !names_cilium_namespace(sel)
    {
        s.match_labels
            .get_or_insert_with(Default::default)
            .insert("k8s:io.kubernetes.pod.namespace".into(), ns.into());
    }
    s
}

fn compile_peers(
    b: &mut Builder<'_>,
    policy: &str,
    path: &str,
    l3: &L3<'_>,
    direction: Direction,
    ns: Option<&str>,
    scope: Option<u32>,
) -> Option<Vec<Peer>> {
    let (ep_field, cidr_field, set_field, ent_field) = match direction {
        Direction::Ingress => ("fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities"),
        Direction::Egress => ("toEndpoints", "toCIDR", "toCIDRSet", "toEntities"),
    };
    if !l3.names_l3() {
        // L4-only rules match every peer; an empty rule matches none.
        let has_l4 = l3.to_ports.is_some_and(|p| !p.is_empty()) || l3.has_icmps;
        return if has_l4 { None } else { Some(Vec::new()) };
    }
    let mut peers = Vec::new();
    let push = |peers: &mut Vec<Peer>, describe: String, set: BitSet, node, conditions, cidr| {
        peers.push(Peer {
            index: peers.len(),
            describe,
            set,
            node,
            conditions,
            cidr,
        });
    };
    for (i, sel) in l3.endpoints.iter().copied().flatten().enumerate() {
        if let Some(entity) = reserved_entity(sel) {
            let (set, node, note) = entity_set(b, entity);
            if let Some(note) = note {
                b.notes
                    .push(format!("{policy}: {path}.{ep_field}[{i}]: {note}"));
            }
            push(
                &mut peers,
                format!("{ep_field}[{i}] reserved:{entity}"),
                set,
                node,
                Vec::new(),
                None,
            );
            continue;
        }
        let own_scope = if names_cilium_namespace(sel) {
            None
        } else {
            scope
        };
        let set = b.cilium_pods(sel, own_scope);
        let where_ = match (own_scope, ns) {
            (Some(_), Some(ns)) => format!(" in namespace {ns}"),
            _ => String::new(),
        };
        push(
            &mut peers,
            format!("{ep_field}[{i}] endpoints {}{where_}", describe(sel)),
            set,
            None,
            Vec::new(),
            None,
        );
    }
    for (i, c) in l3.cidr.iter().copied().flatten().enumerate() {
        let d = format!("{cidr_field}[{i}] {c}");
        cidr_peer(b, policy, &mut peers, d, c, &[]);
    }
    for (i, c) in l3.cidr_set.iter().copied().flatten().enumerate() {
        match &c.cidr {
            Some(cidr) => {
                let except = c.except.as_deref().unwrap_or(&[]);
                let d = if except.is_empty() {
                    format!("{set_field}[{i}] {cidr}")
                } else {
                    format!("{set_field}[{i}] {cidr} except {}", except.join(", "))
                };
                cidr_peer(b, policy, &mut peers, d, cidr, except);
            }
            None => {
                b.notes.push(format!(
                    "{policy}: {path}.{set_field}[{i}]: cidrGroupRef is not modelled; it matches nothing"
                ));
                push(
                    &mut peers,
                    format!("{set_field}[{i}] (CIDR group)"),
                    BitSet::new(b.n),
                    None,
                    Vec::new(),
                    None,
                );
            }
        }
    }
    for (i, e) in l3.entities.iter().copied().flatten().enumerate() {
        let (set, node, note) = entity_set(b, e);
        if let Some(note) = note {
            b.notes
                .push(format!("{policy}: {path}.{ent_field}[{i}]: {note}"));
        }
        push(
            &mut peers,
            format!("{ent_field}[{i}] entity {e}"),
            set,
            node,
            Vec::new(),
            None,
        );
    }
    if !l3.fqdns.is_empty() {
        let names = l3.fqdns.join(", ");
        let cond = format!(
            "toFQDNs ({names}) treated as an external allow: DNS names are not resolved, so every address outside the cluster is assumed to match"
        );
        push(
            &mut peers,
            format!("toFQDNs {names}"),
            b.externals(None),
            None,
            vec![cond],
            None,
        );
    }
    for field in &l3.unmodelled {
        b.notes.push(format!(
            "{policy}: {path}.{field} is not modelled; it matches no endpoint"
        ));
        push(
            &mut peers,
            format!("{field} (not modelled)"),
            BitSet::new(b.n),
            None,
            Vec::new(),
            None,
        );
    }
    Some(peers)
}

fn cidr_peer(
    b: &mut Builder<'_>,
    policy: &str,
    peers: &mut Vec<Peer>,
    describe: String,
    cidr: &str,
    except: &[String],
) {
    let mut peer = Peer {
        index: peers.len(),
        describe,
        set: BitSet::new(b.n),
        node: None,
        conditions: Vec::new(),
        cidr: None,
    };
    match parse_cilium_cidr(cidr) {
        Some(net) => {
            let except = except.iter().filter_map(|e| parse_cilium_cidr(e)).collect();
            let c = CidrPeer {
                net,
                except,
                matches_pods: false,
                ip_block: false,
            };
            peer.set = b.cidr_endpoints(&c);
            peer.cidr = Some(c);
        }
        None => b.notes.push(format!(
            "{policy}: `{cidr}` is not a CIDR; it matches nothing"
        )),
    }
    peers.push(peer);
}

/// The endpoints a Cilium entity matches, and a note for entities that
/// match nothing. The entity names and their meaning are Cilium's (docs,
/// "Layer 3 Examples" → "Entities based"; `pkg/policy/api/entity.go`).
fn entity_set(b: &Builder<'_>, entity: &str) -> (BitSet, Option<NodeRelative>, Option<String>) {
    let n = b.n;
    match entity {
        // "The all entity represents the combination of all known clusters
        // as well world and whitelists all communication."
        "all" => (BitSet::full(n), None, None),
        // "Allowing to world is identical to allowing to CIDR 0.0.0.0/0."
        "world" => (b.externals(None), None, None),
        "world-ipv4" => (b.externals(Some(true)), None, None),
        "world-ipv6" => (b.externals(Some(false)), None, None),
        // "all network endpoints inside of the local cluster": every pod and
        // reserved identity but world, and the API server wherever it runs.
        "cluster" => {
            let mut set = b.all_pods();
            set.union_with(&b.kube_apiserver_externals());
            (set, None, None)
        }
        "host" => (BitSet::new(n), Some(NodeRelative::Host), None),
        "remote-node" => (BitSet::new(n), Some(NodeRelative::RemoteNode), None),
        // "both deployments of the kube-apiserver: within the cluster and
        // outside of the cluster".
        "kube-apiserver" => {
            let mut set = b.kube_apiserver_externals();
            set.union_with(&b.reserved(ReservedEntity::KubeApiserver));
            (set, None, None)
        }
        "health" | "init" | "ingress" | "unmanaged" => {
            let e = ReservedEntity::from_label(entity).expect("a reserved entity name");
            (b.reserved(e), None, None)
        }
        // "an entity that can be selected but never exist".
        "none" => (BitSet::new(n), None, None),
        other => (
            BitSet::new(n),
            None,
            Some(format!("unknown entity `{other}` matches nothing")),
        ),
    }
}

/// The ICMP messages a Cilium rule admits (see [`IcmpMatch`]). Types the
/// engine cannot read (an unknown name) admit nothing.
fn compile_icmps(l3: &L3<'_>) -> IcmpMatch {
    if l3.has_icmps {
        let keys = l3
            .icmps
            .into_iter()
            .flatten()
            .flat_map(|r| r.fields.iter().flatten())
            .filter_map(|f| IcmpKey::from_field(f.family.as_deref(), &f.icmp_type))
            .collect();
        return IcmpMatch::Types(keys);
    }
    if l3.to_ports.is_some_and(|p| !p.is_empty()) {
        IcmpMatch::Nothing
    } else {
        IcmpMatch::Any
    }
}

fn compile_ports(l3: &L3<'_>) -> Vec<PortClause> {
    let rules = match l3.to_ports {
        Some(r) if !r.is_empty() => r,
        // An ICMP-only rule admits no TCP, UDP or SCTP connection.
        _ if l3.has_icmps => {
            return vec![PortClause {
                spec: PortSpec::Nothing,
                l7: None,
            }];
        }
        _ => {
            return vec![PortClause {
                spec: PortSpec::All,
                l7: None,
            }];
        }
    };
    let mut out = Vec::new();
    for pr in rules {
        let l7 = pr.rules.as_ref().and_then(describe_l7);
        let ports = pr.ports.as_deref().unwrap_or(&[]);
        if ports.is_empty() {
            out.push(PortClause {
                spec: PortSpec::All,
                l7: l7.clone(),
            });
        }
        for p in ports {
            let proto = match p.protocol.as_deref() {
                None => ProtoMatch::Any,
                Some(s) if s.eq_ignore_ascii_case("ANY") => ProtoMatch::Any,
                Some(s) => Protocol::parse(s)
                    .map(ProtoMatch::One)
                    .unwrap_or(ProtoMatch::Other),
            };
            let spec = match p.port.trim() {
                "" | "0" => PortSpec::Range {
                    start: 1,
                    end: 65535,
                    proto,
                },
                s => match s.parse::<u16>() {
                    Ok(start) => {
                        let end = p
                            .end_port
                            .and_then(|e| u16::try_from(e).ok())
                            .filter(|e| *e >= start)
                            .unwrap_or(start);
                        PortSpec::Range { start, end, proto }
                    }
                    Err(_) => PortSpec::Named {
                        name: s.to_string(),
                        proto,
                    },
                },
            };
            out.push(PortClause {
                spec,
                l7: l7.clone(),
            });
        }
    }
    out
}

/// "L4 allowed, subject to L7 rule ..." text for a port rule's L7 section.
fn describe_l7(rules: &L7Rules) -> Option<String> {
    let mut parts = Vec::new();
    for h in rules.http.iter().flatten() {
        let mut s = String::from("HTTP");
        if let Some(m) = &h.method {
            s.push_str(&format!(" method {m}"));
        }
        if let Some(p) = &h.path {
            s.push_str(&format!(" path {p}"));
        }
        if let Some(host) = &h.host {
            s.push_str(&format!(" host {host}"));
        }
        for hd in h.headers.iter().flatten() {
            s.push_str(&format!(" header {hd}"));
        }
        parts.push(s);
    }
    for d in rules.dns.iter().flatten() {
        if let Some(n) = &d.match_name {
            parts.push(format!("DNS matchName {n}"));
        }
        if let Some(p) = &d.match_pattern {
            parts.push(format!("DNS matchPattern {p}"));
        }
    }
    for k in rules.extra.keys() {
        parts.push(format!("{k} rules"));
    }
    if rules.http.as_ref().is_some_and(Vec::is_empty) && parts.is_empty() {
        parts.push("HTTP (any request)".into());
    }
    (!parts.is_empty()).then(|| format!("L4 allowed, subject to L7 rule: {}", parts.join(" or ")))
}
