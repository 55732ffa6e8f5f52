//! PA013 unknown fields, found by walking the raw document tree against the
//! schema of each kind (k8s-openapi types drop unknown fields silently, and
//! our Cilium types keep them in `extra`, so the typed model cannot tell).

use super::LintSource;
use super::Lints;
use super::fix::{rename_key, single};
use crate::model::PolicyKind;
use crate::source_map::{SourceNode, SourceValue};
use crate::yaml::{edit_distance, within_edit_distance};

/// The shape of a node: which keys a mapping may have.
#[derive(Debug)]
pub enum Shape {
    /// Anything (free-form maps such as labels, or unmodelled subtrees).
    Any,
    /// A scalar or a list of scalars.
    Leaf,
    /// A mapping with these keys.
    Map(&'static [(&'static str, &'static Shape)]),
    /// A sequence of this shape.
    Seq(&'static Shape),
}

use Shape::{Any, Leaf, Map, Seq};

static EXPR: Shape = Map(&[("key", &Leaf), ("operator", &Leaf), ("values", &Leaf)]);
static EXPRS: Shape = Seq(&EXPR);
static SEL: Shape = Map(&[("matchLabels", &Any), ("matchExpressions", &EXPRS)]);
static SELS: Shape = Seq(&SEL);
static META: Shape = Map(&[
    ("name", &Leaf),
    ("generateName", &Leaf),
    ("namespace", &Leaf),
    ("labels", &Any),
    ("annotations", &Any),
    ("uid", &Leaf),
    ("resourceVersion", &Leaf),
    ("generation", &Leaf),
    ("creationTimestamp", &Leaf),
    ("deletionTimestamp", &Leaf),
    ("deletionGracePeriodSeconds", &Leaf),
    ("finalizers", &Leaf),
    ("managedFields", &Any),
    ("ownerReferences", &Any),
    ("selfLink", &Leaf),
]);

// NetworkPolicy.
static IPBLOCK: Shape = Map(&[("cidr", &Leaf), ("except", &Leaf)]);
static PEER: Shape = Map(&[
    ("podSelector", &SEL),
    ("namespaceSelector", &SEL),
    ("ipBlock", &IPBLOCK),
]);
static PEERS: Shape = Seq(&PEER);
static NP_PORT: Shape = Map(&[("port", &Leaf), ("endPort", &Leaf), ("protocol", &Leaf)]);
static NP_PORTS: Shape = Seq(&NP_PORT);
static NP_INGRESS: Shape = Map(&[("from", &PEERS), ("ports", &NP_PORTS)]);
static NP_EGRESS: Shape = Map(&[("to", &PEERS), ("ports", &NP_PORTS)]);
static NP_INGRESSES: Shape = Seq(&NP_INGRESS);
static NP_EGRESSES: Shape = Seq(&NP_EGRESS);
static NP_SPEC: Shape = Map(&[
    ("podSelector", &SEL),
    ("ingress", &NP_INGRESSES),
    ("egress", &NP_EGRESSES),
    ("policyTypes", &Leaf),
]);
static NP: Shape = Map(&[
    ("apiVersion", &Leaf),
    ("kind", &Leaf),
    ("metadata", &META),
    ("spec", &NP_SPEC),
    ("status", &Any),
]);

// Cilium.
static CIDR_RULE: Shape = Map(&[
    ("cidr", &Leaf),
    ("cidrGroupRef", &Leaf),
    ("cidrGroupSelector", &Any),
    ("except", &Leaf),
]);
static CIDR_RULES: Shape = Seq(&CIDR_RULE);
static PP: Shape = Map(&[("port", &Leaf), ("endPort", &Leaf), ("protocol", &Leaf)]);
static PPS: Shape = Seq(&PP);
static HTTP: Shape = Map(&[
    ("method", &Leaf),
    ("path", &Leaf),
    ("host", &Leaf),
    ("headers", &Leaf),
    ("headerMatches", &Any),
]);
static HTTPS: Shape = Seq(&HTTP);
static FQDN: Shape = Map(&[("matchName", &Leaf), ("matchPattern", &Leaf)]);
static FQDNS: Shape = Seq(&FQDN);
static L7: Shape = Map(&[
    ("http", &HTTPS),
    ("dns", &FQDNS),
    ("kafka", &Any),
    ("l7proto", &Leaf),
    ("l7", &Any),
]);
static PORT_RULE: Shape = Map(&[
    ("ports", &PPS),
    ("rules", &L7),
    ("serverNames", &Leaf),
    ("originatingTLS", &Any),
    ("terminatingTLS", &Any),
    ("listener", &Any),
]);
static PORT_RULES: Shape = Seq(&PORT_RULE);
static ICMP_FIELD: Shape = Map(&[("family", &Leaf), ("type", &Leaf)]);
static ICMP_FIELDS: Shape = Seq(&ICMP_FIELD);
static ICMP: Shape = Map(&[("fields", &ICMP_FIELDS)]);
static ICMPS: Shape = Seq(&ICMP);
static C_INGRESS: Shape = Map(&[
    ("fromEndpoints", &SELS),
    ("fromRequires", &SELS),
    ("fromCIDR", &Leaf),
    ("fromCIDRSet", &CIDR_RULES),
    ("fromEntities", &Leaf),
    ("fromNodes", &SELS),
    ("fromGroups", &Any),
    ("toPorts", &PORT_RULES),
    ("icmps", &ICMPS),
    ("authentication", &Any),
    // Renamed to `authentication` in Cilium 1.14: PA023 says so, with the rewrite.
    ("auth", &Any),
]);
static C_EGRESS: Shape = Map(&[
    ("toEndpoints", &SELS),
    ("toRequires", &SELS),
    ("toCIDR", &Leaf),
    ("toCIDRSet", &CIDR_RULES),
    ("toEntities", &Leaf),
    ("toServices", &Any),
    ("toFQDNs", &FQDNS),
    ("toGroups", &Any),
    ("toNodes", &SELS),
    ("toPorts", &PORT_RULES),
    ("icmps", &ICMPS),
    ("authentication", &Any),
    // Renamed to `authentication` in Cilium 1.14: PA023 says so, with the rewrite.
    ("auth", &Any),
]);
static C_INGRESSES: Shape = Seq(&C_INGRESS);
static C_EGRESSES: Shape = Seq(&C_EGRESS);
static DEFAULT_DENY: Shape = Map(&[("ingress", &Leaf), ("egress", &Leaf)]);
static C_RULE: Shape = Map(&[
    ("endpointSelector", &SEL),
    ("nodeSelector", &SEL),
    ("ingress", &C_INGRESSES),
    ("ingressDeny", &C_INGRESSES),
    ("egress", &C_EGRESSES),
    ("egressDeny", &C_EGRESSES),
    ("enableDefaultDeny", &DEFAULT_DENY),
    ("description", &Leaf),
    ("labels", &Any),
    ("log", &Any),
]);
static C_RULES: Shape = Seq(&C_RULE);
static CNP: Shape = Map(&[
    ("apiVersion", &Leaf),
    ("kind", &Leaf),
    ("metadata", &META),
    ("spec", &C_RULE),
    ("specs", &C_RULES),
    ("status", &Any),
]);

/// The schema of a policy kind.
pub fn schema(kind: PolicyKind) -> &'static Shape {
    match kind {
        PolicyKind::NetworkPolicy => &NP,
        _ => &CNP,
    }
}

/// One step of a path, with its parent's index in the step list (paths are
/// only rendered for the nodes that get a finding).
enum Step<'a> {
    Key(Option<usize>, &'a str),
    Index(Option<usize>, usize),
}

fn render(steps: &[Step<'_>], at: Option<usize>) -> String {
    let mut chain = Vec::new();
    let mut cur = at;
    while let Some(i) = cur {
        chain.push(&steps[i]);
        cur = match steps[i] {
            Step::Key(parent, _) | Step::Index(parent, _) => parent,
        };
    }
    let mut path = String::new();
    for step in chain.into_iter().rev() {
        match step {
            Step::Key(_, k) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Step::Index(_, i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

/// PA013: fields the schema of `kind` does not have.
pub(super) fn unknown_field(kind: PolicyKind, src: &LintSource<'_>, l: &mut Lints<'_>) {
    let mut steps: Vec<Step<'_>> = Vec::new();
    let mut stack: Vec<(&SourceNode, &Shape, Option<usize>)> =
        vec![(src.map.root(), schema(kind), None)];
    // Only mappings and sequences with a schema are walked: leaves and
    // free-form maps cannot hold unknown fields.
    let walks = |shape: &Shape| matches!(shape, Map(_) | Seq(_));
    while let Some((node, shape, at)) = stack.pop() {
        match (shape, &node.value) {
            (Map(keys), SourceValue::Map(entries)) => {
                for e in entries {
                    match keys.iter().find(|(k, _)| *k == e.key) {
                        Some((_, s)) => {
                            if walks(s) {
                                steps.push(Step::Key(at, &e.key));
                                stack.push((&e.value, s, Some(steps.len() - 1)));
                            }
                        }
                        None => {
                            steps.push(Step::Key(at, &e.key));
                            let child = render(&steps, Some(steps.len() - 1));
                            let suggestion = keys
                                .iter()
                                .map(|(k, _)| *k)
                                .filter(|k| {
                                    k.eq_ignore_ascii_case(&e.key)
                                        || within_edit_distance(
                                            &k.to_ascii_lowercase(),
                                            &e.key.to_ascii_lowercase(),
                                            2,
                                        )
                                })
                                .min_by_key(|k| edit_distance(k, &e.key));
                            let known: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
                            let (msg, fix) = match suggestion {
                                Some(s) => (
                                    format!("unknown field {:?}; did you mean {s:?}?", e.key),
                                    single(
                                        format!("Rename to {s}"),
                                        rename_key(src.map, &child, s),
                                    ),
                                ),
                                None => (
                                    format!(
                                        "unknown field {:?}; expected one of: {}",
                                        e.key,
                                        known.join(", ")
                                    ),
                                    None,
                                ),
                            };
                            l.emit("PA013", &child, msg, fix);
                        }
                    }
                }
            }
            (Seq(item), SourceValue::Seq(items)) if walks(item) => {
                for (i, n) in items.iter().enumerate() {
                    steps.push(Step::Index(at, i));
                    stack.push((n, item, Some(steps.len() - 1)));
                }
            }
            _ => {}
        }
    }
}
