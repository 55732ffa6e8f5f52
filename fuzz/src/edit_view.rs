//! A sequence of the page's visual edits → the view model.
//!
//! The input is a two-byte length `n`, then `n` bytes that `arbitrary`
//! turns into edit operations, then (optionally) a YAML policy to start
//! from; without one, the first operation's bytes pick a new empty policy's
//! kind. Peers and rules are addressed the way the page addresses them:
//! through the references the current graph hands out.
//!
//! Invariants, after every edit that applies:
//! - nothing panics (edits, `view::graph`, `explain`, `validate`);
//! - the policy emits to YAML that reads back, without a syntax error, to
//!   the same model;
//! - a peer's selector text, as the graph shows it for editing, when
//!   `edit::parse_selector` reads it, shows (`view::selector_terms`) as a
//!   text that reads back to the same selector.

use arbitrary::{Arbitrary, Unstructured};
use policy_core::edit::{self, NewPeer, NewPort, parse_selector};
use policy_core::explain::explain;
use policy_core::model::cilium::{DnsRule, HttpRule};
use policy_core::model::{Policy, PolicyKind};
use policy_core::validate::validate;
use policy_core::view::{Direction, PeerRef, PolicyGraph, RuleRef, graph};
use policy_core::yaml::{emit_policies, parse_documents};

use crate::split::header;

/// Most operations applied from one input.
const MAX_OPS: usize = 32;

/// Words the operations are built from: mostly meaningful ones, so edits
/// apply, and sometimes anything at all.
#[derive(Arbitrary, Debug)]
enum Word {
    Known(u8),
    Free(String),
}

const WORDS: &[&str] = &[
    "",
    "app=web",
    "app=db, tier in (a, b), !legacy",
    "team",
    "kubernetes.io/metadata.name=prod",
    "prod",
    "default",
    "10.0.0.0/8",
    "10.1.0.0/16",
    "192.168.0.0/24",
    "::/0",
    "fd00::/64",
    "0.0.0.0/0",
    "world",
    "cluster",
    "host",
    "kube-apiserver",
    "*.example.com",
    "api.example.com",
    "80",
    "443/TCP",
    "53/UDP",
    "8000-8080/TCP",
    "http/TCP",
    "5000/SCTP",
    "0-65535/ANY",
    "GET",
    "/api/.*",
    "web",
];

impl Word {
    fn text(&self) -> &str {
        match self {
            Word::Known(i) => WORDS[usize::from(*i) % WORDS.len()],
            Word::Free(s) => s,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum PeerSpec {
    Anywhere,
    Pods(Word),
    Namespaces {
        namespaces: Word,
        pods: Option<Word>,
    },
    Cidr {
        cidr: Word,
        except: Vec<Word>,
    },
    Entity(Word),
    Fqdn(Word),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Rename(Word),
    SetNamespace(Word),
    SetSubjectSelector(Word),
    AddPeer {
        egress: bool,
        peer: PeerSpec,
        ports: Vec<Word>,
    },
    RemovePeer(u8),
    RemoveRule(u8),
    SetPeerSelector {
        peer: u8,
        pods: Word,
        namespaces: Option<Word>,
    },
    SetPeerCidr {
        peer: u8,
        cidr: Word,
        except: Vec<Word>,
    },
    AddPort {
        rule: u8,
        port: Word,
    },
    RemovePort {
        rule: u8,
        index: u8,
    },
    SetDefaultDeny {
        egress: bool,
        on: bool,
    },
    AllowDns,
    AddHttpRule {
        rule: u8,
        method: Option<Word>,
        path: Option<Word>,
    },
    AddDnsRule {
        rule: u8,
        pattern: Word,
    },
    ClearL7(u8),
    Convert(u8),
}

/// The target's body.
pub fn run(data: &[u8]) {
    let (len, rest) = header::<2>(data);
    let len = usize::from(u16::from_le_bytes(len)).min(rest.len());
    let (ops, start) = rest.split_at(len);
    let mut policy = starting_policy(start, ops.first().copied().unwrap_or(0));
    check_policy(&policy);
    let mut u = Unstructured::new(ops);
    for _ in 0..MAX_OPS {
        let Ok(op) = Op::arbitrary(&mut u) else { break };
        if let Some(next) = apply(&policy, &op) {
            policy = next;
            check_policy(&policy);
        }
        if u.is_empty() {
            break;
        }
    }
}

fn starting_policy(yaml: &[u8], pick: u8) -> Policy {
    let read = std::str::from_utf8(yaml)
        .ok()
        .and_then(|text| parse_documents(text).policies().next().cloned());
    read.unwrap_or_else(|| {
        let kind = match pick % 3 {
            0 => PolicyKind::NetworkPolicy,
            1 => PolicyKind::CiliumNetworkPolicy,
            _ => PolicyKind::CiliumClusterwideNetworkPolicy,
        };
        edit::new_policy(kind, "fuzz", "default")
    })
}

fn direction(egress: bool) -> Direction {
    if egress {
        Direction::Egress
    } else {
        Direction::Ingress
    }
}

/// The peers of the graph, ingress then egress, as the page lists them.
fn peers(g: &PolicyGraph) -> Vec<PeerRef> {
    g.ingress
        .peers()
        .chain(g.egress.peers())
        .map(|p| p.at)
        .collect()
}

fn pick<T: Copy>(items: &[T], i: u8) -> Option<T> {
    (!items.is_empty()).then(|| items[usize::from(i) % items.len()])
}

fn new_peer(spec: &PeerSpec) -> Option<NewPeer> {
    Some(match spec {
        PeerSpec::Anywhere => NewPeer::Anywhere,
        PeerSpec::Pods(w) => NewPeer::Pods(parse_selector(w.text()).ok()?),
        PeerSpec::Namespaces { namespaces, pods } => NewPeer::Namespaces {
            namespaces: parse_selector(namespaces.text()).ok()?,
            pods: match pods {
                Some(w) => Some(parse_selector(w.text()).ok()?),
                None => None,
            },
        },
        PeerSpec::Cidr { cidr, except } => NewPeer::Cidr {
            cidr: cidr.text().to_owned(),
            except: except.iter().map(|w| w.text().to_owned()).collect(),
        },
        PeerSpec::Entity(w) => NewPeer::Entity(w.text().to_owned()),
        PeerSpec::Fqdn(w) => NewPeer::Fqdn(w.text().to_owned()),
    })
}

/// Applies one operation; `None` when it does not apply (an edit error is
/// an answer, not a failure).
fn apply(policy: &Policy, op: &Op) -> Option<Policy> {
    let g = graph(policy);
    let peer_refs = peers(&g);
    let mut rules: Vec<RuleRef> = peer_refs.iter().map(|p| p.rule).collect();
    rules.dedup();
    let result = match op {
        Op::Rename(w) => edit::rename(policy, w.text()),
        Op::SetNamespace(w) => edit::set_namespace(policy, w.text()),
        Op::SetSubjectSelector(w) => {
            edit::set_subject_selector(policy, parse_selector(w.text()).ok()?)
        }
        Op::AddPeer {
            egress,
            peer,
            ports,
        } => {
            let ports: Vec<NewPort> = ports
                .iter()
                .map(|w| NewPort::parse(w.text()))
                .collect::<Result<_, _>>()
                .ok()?;
            edit::add_peer(policy, direction(*egress), new_peer(peer)?, &ports).map(|(p, at)| {
                let added = graph(&p);
                assert!(
                    added.peer(&at).is_some(),
                    "add_peer answered {at:?}, which the new graph does not hold"
                );
                p
            })
        }
        Op::RemovePeer(i) => edit::remove_peer(policy, &pick(&peer_refs, *i)?),
        Op::RemoveRule(i) => edit::remove_rule(policy, &pick(&rules, *i)?),
        Op::SetPeerSelector {
            peer,
            pods,
            namespaces,
        } => {
            let namespaces = match namespaces {
                Some(w) => Some(parse_selector(w.text()).ok()?),
                None => None,
            };
            edit::set_peer_selector(
                policy,
                &pick(&peer_refs, *peer)?,
                parse_selector(pods.text()).ok()?,
                namespaces,
            )
        }
        Op::SetPeerCidr { peer, cidr, except } => {
            let except: Vec<String> = except.iter().map(|w| w.text().to_owned()).collect();
            edit::set_peer_cidr(policy, &pick(&peer_refs, *peer)?, cidr.text(), &except)
        }
        Op::AddPort { rule, port } => edit::add_port(
            policy,
            &pick(&rules, *rule)?,
            &NewPort::parse(port.text()).ok()?,
        ),
        Op::RemovePort { rule, index } => {
            edit::remove_port(policy, &pick(&rules, *rule)?, usize::from(*index % 4))
        }
        Op::SetDefaultDeny { egress, on } => {
            edit::set_default_deny(policy, direction(*egress), *on)
        }
        Op::AllowDns => edit::allow_dns(policy),
        Op::AddHttpRule { rule, method, path } => edit::add_http_rule(
            policy,
            &pick(&rules, *rule)?,
            HttpRule {
                method: method.as_ref().map(|w| w.text().to_owned()),
                path: path.as_ref().map(|w| w.text().to_owned()),
                ..HttpRule::default()
            },
        ),
        Op::AddDnsRule { rule, pattern } => edit::add_dns_rule(
            policy,
            &pick(&rules, *rule)?,
            DnsRule {
                match_pattern: Some(pattern.text().to_owned()),
                ..DnsRule::default()
            },
        ),
        Op::ClearL7(i) => edit::clear_l7(policy, &pick(&rules, *i)?),
        Op::Convert(k) => {
            let kind = match k % 3 {
                0 => PolicyKind::NetworkPolicy,
                1 => PolicyKind::CiliumNetworkPolicy,
                _ => PolicyKind::CiliumClusterwideNetworkPolicy,
            };
            edit::convert(policy, kind).map(|c| c.policy)
        }
    };
    result.ok()
}

/// The invariants every policy the edits produce must hold.
fn check_policy(policy: &Policy) {
    let g = graph(policy);
    let _ = validate(policy);
    let _ = explain(policy).to_text();

    let yaml = emit_policies(std::slice::from_ref(policy));
    let read = parse_documents(&yaml);
    assert!(
        read.syntax_error().is_none(),
        "the emitted YAML does not read: {:?}\n{yaml}",
        read.syntax_error()
    );
    let back: Vec<&Policy> = read.policies().collect();
    assert_eq!(
        back,
        [policy],
        "the emitted YAML reads back to another model:\n{yaml}"
    );

    for peer in g.ingress.peers().chain(g.egress.peers()) {
        let Some(shown) = &peer.selector else {
            continue;
        };
        for text in std::iter::once(&shown.pods).chain(shown.namespaces.as_ref()) {
            if let Ok(selector) = parse_selector(text) {
                let again = policy_core::view::selector_terms(&selector).join(", ");
                assert_eq!(
                    parse_selector(&again).ok(),
                    Some(selector),
                    "selector text {text:?} shows as {again:?}, which reads differently"
                );
            }
        }
    }
}
