//! The policy graph the page draws: plain data computed from the model.
//!
//! [`graph`] turns one [`Policy`] into a [`PolicyGraph`]: the selected pods
//! in the centre, and on each side the peers grouped the same way everywhere
//! (anywhere, in the namespace, in the cluster, outside the cluster, DNS).
//! Each peer carries its edge (ports, protocols, L7 badges, allow or deny)
//! and a [`PeerRef`] that the edits in [`crate::edit`] take to change exactly
//! that peer. The page only draws this; it never reads the model itself.

mod cilium;
mod networkpolicy;
mod selector;
mod summary;

use serde::{Deserialize, Serialize};

use crate::model::{Policy, PolicyKind};

pub use selector::{selector_terms, selector_text};
pub use summary::{COLLAPSE_ABOVE, GroupSummary, cidr_ranges};

pub(crate) use cilium::NAMESPACE_LABEL;
pub(crate) use networkpolicy::isolates as networkpolicy_isolates;

/// Traffic direction, as seen from the selected pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Traffic into the selected pods.
    Ingress,
    /// Traffic out of the selected pods.
    Egress,
}

impl Direction {
    /// `"ingress"` or `"egress"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// Whether a direction is isolated, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    /// The policy does not isolate this direction: it does not restrict it.
    Open,
    /// Isolated with no allow rules: all traffic in this direction is denied.
    DenyAll,
    /// Isolated: only what the rules allow passes.
    Restricted,
    /// Cilium with `enableDefaultDeny: false`: rules add allows/denies but
    /// do not isolate the pods.
    NotIsolating,
}

impl Isolation {
    /// A short label for the centre box.
    pub fn label(self) -> &'static str {
        match self {
            Isolation::Open => "open",
            Isolation::DenyAll => "deny all",
            Isolation::Restricted => "rules only",
            Isolation::NotIsolating => "not isolating",
        }
    }

    /// Whether pods are isolated in this direction (the lock is shown).
    pub fn is_isolated(self) -> bool {
        matches!(self, Isolation::DenyAll | Isolation::Restricted)
    }
}

/// The peer groups, in the order they are drawn on each side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupKind {
    /// A rule without peer restriction: every source or destination.
    Anywhere,
    /// Pods in the policy's own namespace.
    InNamespace,
    /// Pods in other namespaces (or selected cluster-wide), cluster entities, services.
    InCluster,
    /// CIDRs, the `world` entity, DNS names outside the cluster.
    OutsideCluster,
    /// Kubernetes DNS (egress to port 53).
    Dns,
}

impl GroupKind {
    /// The group heading.
    pub fn title(self) -> &'static str {
        match self {
            GroupKind::Anywhere => "Anywhere",
            GroupKind::InNamespace => "In namespace",
            GroupKind::InCluster => "In cluster",
            GroupKind::OutsideCluster => "Outside cluster",
            GroupKind::Dns => "DNS",
        }
    }

    /// Stable id for the page (`in-namespace`, …).
    pub fn id(self) -> &'static str {
        match self {
            GroupKind::Anywhere => "anywhere",
            GroupKind::InNamespace => "in-namespace",
            GroupKind::InCluster => "in-cluster",
            GroupKind::OutsideCluster => "outside-cluster",
            GroupKind::Dns => "dns",
        }
    }
}

/// Which field of a rule a peer comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeerField {
    /// The rule names no peers: it applies to every peer.
    All,
    /// NetworkPolicy `from[i]` / `to[i]`.
    K8sPeer,
    /// Cilium `fromEndpoints[i]` / `toEndpoints[i]`.
    Endpoints,
    /// Cilium `fromCIDR[i]` / `toCIDR[i]`.
    Cidr,
    /// Cilium `fromCIDRSet[i]` / `toCIDRSet[i]`.
    CidrSet,
    /// Cilium `fromEntities[i]` / `toEntities[i]`.
    Entities,
    /// Cilium `toServices[i]`.
    Services,
    /// Cilium `toFQDNs[i]`.
    Fqdns,
}

/// Where a rule lives in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RuleRef {
    /// Ingress or egress.
    pub direction: Direction,
    /// `ingressDeny` / `egressDeny` (Cilium only).
    pub deny: bool,
    /// Which Cilium rule: index in [`crate::model::CiliumPolicy::rules`]
    /// order (`spec` first, then `specs`). Always 0 for NetworkPolicy.
    pub spec: usize,
    /// Index in the direction's rule list.
    pub rule: usize,
}

/// Where a peer lives in the model: a rule, a field and an index in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PeerRef {
    /// The rule.
    pub rule: RuleRef,
    /// The field of the rule.
    pub field: PeerField,
    /// Index in that field (0 for [`PeerField::All`]).
    pub index: usize,
}

impl PeerRef {
    /// A stable string id, for DOM ids and test hooks
    /// (`ingress-0-1-k8s-peer-0`, `egress-deny-0-0-cidr-2`).
    pub fn id(&self) -> String {
        let field = match self.field {
            PeerField::All => "all",
            PeerField::K8sPeer => "peer",
            PeerField::Endpoints => "endpoints",
            PeerField::Cidr => "cidr",
            PeerField::CidrSet => "cidrset",
            PeerField::Entities => "entity",
            PeerField::Services => "service",
            PeerField::Fqdns => "fqdn",
        };
        format!(
            "{}{}-{}-{}-{}-{}",
            self.rule.direction.as_str(),
            if self.rule.deny { "-deny" } else { "" },
            self.rule.spec,
            self.rule.rule,
            field,
            self.index
        )
    }
}

/// One port (or range) on an edge.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortLabel {
    /// Port number or name, empty for all ports of the protocol.
    pub port: String,
    /// End of range, when a range.
    pub end_port: Option<i32>,
    /// Protocol (`TCP` when unset in a NetworkPolicy, `ANY` in Cilium).
    pub protocol: String,
}

impl PortLabel {
    /// `80/TCP`, `8000-8080/TCP`, `all/UDP`.
    pub fn text(&self) -> String {
        let port = if self.port.is_empty() {
            "all"
        } else {
            self.port.as_str()
        };
        match self.end_port {
            Some(end) => format!("{port}-{end}/{}", self.protocol),
            None => format!("{port}/{}", self.protocol),
        }
    }
}

/// An L7 rule shown as a badge on an edge.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct L7Badge {
    /// `HTTP`, `DNS` or another protocol name.
    pub protocol: String,
    /// One line per rule (`GET /api/.*`, `*.example.com`).
    pub rules: Vec<String>,
}

/// The edge between a peer and the selected pods.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edge {
    /// Ports allowed (or denied); empty means all ports.
    pub ports: Vec<PortLabel>,
    /// L7 rules on the ports.
    pub l7: Vec<L7Badge>,
    /// Deny rule (drawn red and dashed).
    pub deny: bool,
    /// ICMP types, when the rule restricts ICMP.
    pub icmp: Vec<String>,
}

impl Edge {
    /// The edge label: ports joined, or `all ports`.
    pub fn label(&self) -> String {
        let mut parts: Vec<String> = self.ports.iter().map(PortLabel::text).collect();
        parts.extend(self.icmp.iter().map(|t| format!("ICMP {t}")));
        if parts.is_empty() {
            "all ports".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// What kind of thing a peer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeerKind {
    /// Every source or destination.
    Any,
    /// Pods selected by labels.
    Pods,
    /// Namespaces (and optionally pods in them) selected by labels.
    Namespaces,
    /// An IP block, with exceptions.
    Cidr,
    /// A Cilium entity (`world`, `cluster`, `host`, …).
    Entity,
    /// A Kubernetes service.
    Service,
    /// DNS names (Cilium `toFQDNs`).
    Fqdn,
}

/// One peer box.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Peer {
    /// Where it lives in the model.
    pub at: PeerRef,
    /// What it is.
    pub kind: PeerKind,
    /// Main line (`app=frontend`, `10.0.0.0/16`, `world`).
    pub title: String,
    /// Further lines (`namespace: team=a`, `except 10.0.1.0/24`).
    pub details: Vec<String>,
    /// The edge to the selected pods.
    pub edge: Edge,
    /// One plain-language sentence about what this peer may do.
    pub sentence: String,
    /// For label-selected peers: the selectors as editable text, in the
    /// syntax [`crate::edit::parse_selector`] reads.
    pub selector: Option<PeerSelector>,
}

/// The selectors of a label-selected peer, as text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PeerSelector {
    /// Pod (or Cilium endpoint) selector terms, comma-separated.
    pub pods: String,
    /// Namespace selector terms, when the peer selects namespaces
    /// (NetworkPolicy `namespaceSelector`).
    pub namespaces: Option<String>,
}

/// A group of peers on one side.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PeerGroup {
    /// Which group.
    pub kind: GroupKind,
    /// Its peers, in rule order.
    pub peers: Vec<Peer>,
    /// Set when the group holds more than [`COLLAPSE_ABOVE`] peers: it is
    /// drawn as one box saying what it holds, with one edge, and expands
    /// into a list.
    pub collapsed: Option<GroupSummary>,
}

/// One side of the graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Side {
    /// Ingress or egress.
    pub direction: Direction,
    /// Isolation state of the selected pods in this direction.
    pub isolation: Isolation,
    /// The groups, always present and in drawing order (empty groups offer "+").
    pub groups: Vec<PeerGroup>,
}

impl Side {
    /// All peers of the side, in drawing order.
    pub fn peers(&self) -> impl Iterator<Item = &Peer> {
        self.groups.iter().flat_map(|g| g.peers.iter())
    }

    /// The group of a kind.
    pub fn group(&self, kind: GroupKind) -> Option<&PeerGroup> {
        self.groups.iter().find(|g| g.kind == kind)
    }
}

/// The selected pods.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Subject {
    /// Namespace, or `None` for clusterwide policies.
    pub namespace: Option<String>,
    /// Selector terms (`app=web`), empty when every pod is selected.
    pub selector: Vec<String>,
    /// `all pods`, `app=web`, `nodes: role=worker`.
    pub summary: String,
}

/// The whole policy graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PolicyGraph {
    /// Flavour.
    pub kind: PolicyKind,
    /// `metadata.name`.
    pub name: String,
    /// The selected pods.
    pub subject: Subject,
    /// Ingress peers.
    pub ingress: Side,
    /// Egress peers.
    pub egress: Side,
    /// Parts of the policy the graph does not draw (unmodelled fields), so
    /// the page can say so instead of silently hiding them.
    pub not_drawn: Vec<String>,
}

impl PolicyGraph {
    /// The side of a direction.
    pub fn side(&self, direction: Direction) -> &Side {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// Finds a peer by its reference.
    pub fn peer(&self, at: &PeerRef) -> Option<&Peer> {
        self.side(at.rule.direction).peers().find(|p| &p.at == at)
    }
}

/// The field path of a rule (`spec.ingress[0]`, `specs[1].egressDeny[2]`),
/// as diagnostics and [`crate::explain`] name it.
pub fn rule_field(policy: &Policy, at: &RuleRef) -> String {
    let list = match (at.direction, at.deny) {
        (Direction::Ingress, false) => "ingress",
        (Direction::Ingress, true) => "ingressDeny",
        (Direction::Egress, false) => "egress",
        (Direction::Egress, true) => "egressDeny",
    };
    let base = match policy {
        Policy::NetworkPolicy(_) => "spec".to_string(),
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => p
            .rules()
            .into_iter()
            .nth(at.spec)
            .map(|(path, _)| path)
            .unwrap_or_else(|| "spec".to_string()),
    };
    format!("{base}.{list}[{}]", at.rule)
}

/// Computes the graph of one policy.
pub fn graph(policy: &Policy) -> PolicyGraph {
    let mut g = match policy {
        Policy::NetworkPolicy(np) => networkpolicy::graph(np),
        Policy::CiliumNetworkPolicy(p) => cilium::graph(p, PolicyKind::CiliumNetworkPolicy),
        Policy::CiliumClusterwideNetworkPolicy(p) => {
            cilium::graph(p, PolicyKind::CiliumClusterwideNetworkPolicy)
        }
    };
    let subject = subject_words(&g);
    for side in [&mut g.ingress, &mut g.egress] {
        for group in &mut side.groups {
            group.collapsed = summary::summarise(side.direction, &subject, &group.peers);
        }
    }
    g
}

/// The selected pods as the peer sentences name them (`pods app=web in
/// prod`, `all pods in the cluster`).
fn subject_words(g: &PolicyGraph) -> String {
    let where_ = match (&g.subject.namespace, g.kind) {
        (Some(ns), _) => ns.clone(),
        (None, PolicyKind::CiliumClusterwideNetworkPolicy) => "the cluster".to_string(),
        (None, _) => "default".to_string(),
    };
    if g.subject.summary == "all pods" {
        format!("all pods in {where_}")
    } else {
        format!("pods {} in {where_}", g.subject.summary)
    }
}

/// Builds the groups of a side from classified peers, keeping group order.
fn grouped(direction: Direction, peers: Vec<(GroupKind, Peer)>) -> Vec<PeerGroup> {
    let mut kinds = vec![
        GroupKind::Anywhere,
        GroupKind::InNamespace,
        GroupKind::InCluster,
        GroupKind::OutsideCluster,
    ];
    if direction == Direction::Egress {
        kinds.push(GroupKind::Dns);
    }
    let mut groups: Vec<PeerGroup> = kinds
        .into_iter()
        .map(|kind| PeerGroup {
            kind,
            peers: Vec::new(),
            collapsed: None,
        })
        .collect();
    for (kind, peer) in peers {
        let kind = if kind == GroupKind::Dns && direction == Direction::Ingress {
            GroupKind::InCluster
        } else {
            kind
        };
        if let Some(g) = groups.iter_mut().find(|g| g.kind == kind) {
            g.peers.push(peer);
        }
    }
    groups
}

/// Whether every port of an edge is DNS (53 over UDP or TCP, or Cilium ANY).
fn is_dns_edge(edge: &Edge) -> bool {
    !edge.ports.is_empty()
        && edge.ports.iter().all(|p| {
            (p.port == "53" || p.port == "dns" || p.port == "dns-tcp")
                && p.end_port.is_none()
                && matches!(p.protocol.as_str(), "UDP" | "TCP" | "ANY")
        })
}

/// The sentence for a peer: "`who` may connect to the selected pods on …".
fn sentence(direction: Direction, who: &str, subject: &str, edge: &Edge) -> String {
    let ports = if edge.ports.is_empty() && edge.icmp.is_empty() {
        "on any port".to_string()
    } else {
        format!("on {}", edge.label())
    };
    let l7 = if edge.l7.is_empty() {
        String::new()
    } else {
        let rules: Vec<String> = edge
            .l7
            .iter()
            .map(|b| format!("{} {}", b.protocol, b.rules.join(" or ")))
            .collect();
        format!(", limited to {}", rules.join("; "))
    };
    let text = match (direction, edge.deny) {
        (Direction::Ingress, false) => format!("{who} may connect to {subject} {ports}{l7}."),
        (Direction::Ingress, true) => format!("{who} are denied connecting to {subject} {ports}."),
        (Direction::Egress, false) => format!("{subject} may connect to {who} {ports}{l7}."),
        (Direction::Egress, true) => format!("{subject} are denied connecting to {who} {ports}."),
    };
    networkpolicy::upper_first(&text)
}

#[cfg(test)]
mod tests;
