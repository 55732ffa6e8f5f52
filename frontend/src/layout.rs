//! Where the graph's boxes and edges go: a pure function of the view model
//! and of which collapsed groups are expanded.
//!
//! Ingress groups stack on the left, egress groups on the right, the
//! selected pods sit in the centre. A group the view model collapsed
//! ([`policy_core::view::PeerGroup::collapsed`]) is one summary box with
//! one edge, or, expanded, a fixed-height scrollable list with that same
//! edge: so the number of boxes drawn is bounded whatever the policy's
//! size. Coordinates are SVG user units; the SVG scales to its container.

use std::collections::BTreeSet;

use policy_core::view::{Direction, GroupKind, GroupSummary, L7Badge, Peer, PolicyGraph};

/// Canvas width.
pub const WIDTH: f64 = 860.0;
/// Peer column width.
pub const COL_W: f64 = 196.0;
/// Centre box width.
pub const CENTRE_W: f64 = 188.0;
const MARGIN: f64 = 16.0;
const TOP: f64 = 34.0;
const GROUP_HEAD: f64 = 26.0;
const GROUP_GAP: f64 = 14.0;
const PEER_GAP: f64 = 8.0;
const EMPTY_H: f64 = 34.0;
/// Length of the straight part of an edge next to its peer.
pub const LEAD: f64 = 96.0;
/// Height of a collapsed group's summary box.
pub const SUMMARY_H: f64 = 80.0;
/// Height of one row of an expanded group's list.
pub const ROW_H: f64 = 30.0;
/// Rows an expanded group's list shows at once (it scrolls).
pub const ROWS_SHOWN: usize = 10;
/// Height of an expanded group's list area: header, search field, rows,
/// count line.
pub const LIST_H: f64 = 34.0 + 34.0 + ROW_H * ROWS_SHOWN as f64 + 28.0;

/// The groups the user expanded, by side and kind.
pub type Expanded = BTreeSet<(Direction, GroupKind)>;

/// A positioned peer.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerBox {
    /// The peer.
    pub peer: Peer,
    /// The group it is drawn in.
    pub group: GroupKind,
    /// Top-left corner and size.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// A positioned group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupBox {
    /// Ingress or egress.
    pub direction: Direction,
    /// Which group.
    pub kind: GroupKind,
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// Its peers, each in its own box (empty when the group is collapsed).
    pub peers: Vec<PeerBox>,
    /// The summary of a collapsed group, drawn in its place.
    pub summary: Option<SummaryBox>,
}

/// A collapsed group's summary box, or its list when expanded.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryBox {
    /// What the group holds.
    pub summary: GroupSummary,
    /// Shown as a scrollable, searchable list rather than one box.
    pub expanded: bool,
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// A positioned edge between a peer (or a collapsed group) and the centre.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EdgePath {
    /// The peer's DOM id, or `group-ingress-outside-cluster` for a group.
    pub id: String,
    /// Its label: ports, `deny …` for deny edges.
    pub label: String,
    /// L7 badges.
    pub l7: Vec<L7Badge>,
    /// The sentence shown when the edge is hovered or focused.
    pub sentence: String,
    /// SVG path data.
    pub d: String,
    /// Where the label's centre goes.
    pub label_x: f64,
    /// Label centre y.
    pub label_y: f64,
    /// Deny edge.
    pub deny: bool,
}

/// The whole laid-out graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Canvas height.
    pub height: f64,
    /// Centre box: x, y, w, h.
    pub centre: (f64, f64, f64, f64),
    /// Groups, ingress first.
    pub groups: Vec<GroupBox>,
    /// Edges.
    pub edges: Vec<EdgePath>,
}

/// Height of a peer box.
pub fn peer_height(peer: &Peer) -> f64 {
    40.0 + 15.0 * peer.details.len().min(3) as f64
}

/// Which groups are drawn: non-empty ones, plus the addable empty ones.
fn shown(kind: GroupKind, empty: bool) -> bool {
    !(empty && kind == GroupKind::Anywhere)
}

/// The DOM id of a group's summary edge.
pub fn group_edge_id(direction: Direction, kind: GroupKind) -> String {
    format!("group-{}-{}", direction.as_str(), kind.id())
}

/// Lays out a graph, with the collapsed groups in `expanded` as lists.
pub fn layout(graph: &PolicyGraph, expanded: &Expanded) -> Layout {
    let centre_x = (WIDTH - CENTRE_W) / 2.0;
    let mut groups = Vec::new();
    let mut bottom: f64 = 0.0;
    for direction in [Direction::Ingress, Direction::Egress] {
        let x = match direction {
            Direction::Ingress => MARGIN,
            Direction::Egress => WIDTH - MARGIN - COL_W,
        };
        let mut y = TOP;
        for group in &graph.side(direction).groups {
            if !shown(group.kind, group.peers.is_empty()) {
                continue;
            }
            let top = y;
            y += GROUP_HEAD;
            let mut peers = Vec::new();
            let mut summary = None;
            if group.peers.is_empty() {
                y += EMPTY_H + PEER_GAP;
            }
            if let Some(s) = &group.collapsed {
                let open = expanded.contains(&(direction, group.kind));
                let h = if open { LIST_H } else { SUMMARY_H };
                summary = Some(SummaryBox {
                    summary: s.clone(),
                    expanded: open,
                    x: x + 8.0,
                    y,
                    w: COL_W - 16.0,
                    h,
                });
                y += h + PEER_GAP;
            }
            for peer in group
                .collapsed
                .is_none()
                .then_some(&group.peers)
                .into_iter()
                .flatten()
            {
                let h = peer_height(peer);
                peers.push(PeerBox {
                    peer: peer.clone(),
                    group: group.kind,
                    x: x + 8.0,
                    y,
                    w: COL_W - 16.0,
                    h,
                });
                y += h + PEER_GAP;
            }
            let h = y - top;
            groups.push(GroupBox {
                direction,
                kind: group.kind,
                x,
                y: top,
                w: COL_W,
                h,
                peers,
                summary,
            });
            y += GROUP_GAP;
        }
        bottom = bottom.max(y);
    }
    let centre_h = 150.0;
    let content_h = bottom.max(TOP + centre_h + 40.0);
    // Centred beside short lists; near the top beside long ones, so it stays
    // in view.
    let centre_y = ((content_h - centre_h) / 2.0)
        .clamp(TOP, TOP + 160.0)
        .round();
    let centre = (centre_x, centre_y, CENTRE_W, centre_h);

    let mut edges = Vec::new();
    for g in &groups {
        let ends: Vec<(EdgePath, (f64, f64, f64, f64))> = match &g.summary {
            // An expanded list's edge meets its header.
            Some(sb) => vec![(
                EdgePath {
                    id: group_edge_id(g.direction, g.kind),
                    label: deny_label(&sb.summary.edge_label, sb.summary.deny),
                    l7: Vec::new(),
                    sentence: sb.summary.sentence.clone(),
                    deny: sb.summary.deny,
                    ..EdgePath::default()
                },
                (sb.x, sb.y, sb.w, if sb.expanded { 34.0 } else { sb.h }),
            )],
            None => g
                .peers
                .iter()
                .map(|pb| {
                    (
                        EdgePath {
                            id: pb.peer.at.id(),
                            label: deny_label(&pb.peer.edge.label(), pb.peer.edge.deny),
                            l7: pb.peer.edge.l7.clone(),
                            sentence: pb.peer.sentence.clone(),
                            deny: pb.peer.edge.deny,
                            ..EdgePath::default()
                        },
                        (pb.x, pb.y, pb.w, pb.h),
                    )
                })
                .collect(),
        };
        let n = ends.len().max(1) as f64;
        for (i, (edge, (bx, by, bw, bh))) in ends.into_iter().enumerate() {
            let py = by + bh / 2.0;
            // Spread the attachment points along the centre box's side.
            let spread = centre_h - 40.0;
            let cy = centre_y + 20.0 + spread * ((i as f64 + 0.5) / n);
            // A straight lead at the peer (where the label sits), then a curve.
            let (d, lx) = match g.direction {
                Direction::Ingress => {
                    let x1 = bx + bw;
                    let x2 = centre_x;
                    let s = x1 + LEAD;
                    let mid = (s + x2) / 2.0;
                    (
                        {
                            let (x1, py, s, mid, cy, x2) =
                                (t(x1), t(py), t(s), t(mid), t(cy), t(x2));
                            format!("M{x1},{py} H{s} C{mid},{py} {mid},{cy} {x2},{cy}")
                        },
                        x1 + LEAD / 2.0,
                    )
                }
                Direction::Egress => {
                    let x1 = centre_x + CENTRE_W;
                    let x2 = bx;
                    let s = x2 - LEAD;
                    let mid = (x1 + s) / 2.0;
                    (
                        {
                            let (x1, cy, mid, py, s, x2) =
                                (t(x1), t(cy), t(mid), t(py), t(s), t(x2));
                            format!("M{x1},{cy} C{mid},{cy} {mid},{py} {s},{py} H{x2}")
                        },
                        x2 - LEAD / 2.0,
                    )
                }
            };
            edges.push(EdgePath {
                d,
                label_x: lx,
                label_y: py,
                ..edge
            });
        }
    }
    Layout {
        height: content_h + MARGIN,
        centre,
        groups,
        edges,
    }
}

/// `deny 80/TCP` for deny edges.
fn deny_label(label: &str, deny: bool) -> String {
    if deny {
        format!("deny {label}")
    } else {
        label.to_string()
    }
}

/// A coordinate to one decimal, written with integer formatting (float
/// formatting is slow in WASM, and a 100-rule graph writes ~1,000 of these
/// per keystroke).
struct Tenths(i64);

fn t(v: f64) -> Tenths {
    Tenths((v * 10.0).round() as i64)
}

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{}", a / 10, a % 10)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn coordinates_print_to_one_decimal() {
        assert_eq!(super::t(12.34).to_string(), "12.3");
        assert_eq!(super::t(-3.06).to_string(), "-3.1");
        assert_eq!(super::t(0.0).to_string(), "0.0");
        assert_eq!(super::t(-0.04).to_string(), "0.0");
    }

    use super::*;
    use policy_core::view::graph;

    fn big(n: usize) -> PolicyGraph {
        let mut text = String::from(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: b, namespace: p}\nspec:\n  podSelector: {}\n  ingress:\n",
        );
        for i in 0..n {
            text.push_str(&format!(
                "  - from: [{{podSelector: {{matchLabels: {{app: c{i}}}}}}}]\n"
            ));
        }
        let (policies, diags) = policy_core::yaml::parse_policies(&text);
        assert!(diags.is_empty(), "{diags:?}");
        graph(&policies[0])
    }

    #[test]
    fn boxes_never_overlap_and_edges_match_peers() {
        let l = layout(&big(12), &Expanded::new());
        let peers: Vec<&PeerBox> = l.groups.iter().flat_map(|g| g.peers.iter()).collect();
        assert_eq!(peers.len(), 12);
        assert_eq!(l.edges.len(), 12);
        for w in peers.windows(2) {
            assert!(w[0].y + w[0].h <= w[1].y, "peer boxes overlap");
        }
        for (p, e) in peers.iter().zip(&l.edges) {
            assert_eq!(p.peer.at.id(), e.id);
            assert!(
                e.label_x > p.x + p.w && e.label_x < l.centre.0,
                "ingress labels sit between peer and centre"
            );
        }
        assert!(peers.last().map(|p| p.y + p.h).unwrap() < l.height);
    }

    #[test]
    fn the_centre_stays_near_the_top_and_empty_groups_offer_add() {
        let l = layout(&big(12), &Expanded::new());
        assert!(l.centre.1 <= TOP + 160.0);
        // Empty egress groups are still drawn (to offer "+"); ingress
        // "anywhere" is not.
        assert!(
            l.groups
                .iter()
                .any(|g| g.direction == Direction::Egress && g.kind == GroupKind::Dns)
        );
        assert!(!l.groups.iter().any(|g| g.kind == GroupKind::Anywhere));
    }

    #[test]
    fn large_groups_are_one_box_with_one_edge_whatever_the_size() {
        let g = big(1000);
        let l = layout(&g, &Expanded::new());
        let group = l
            .groups
            .iter()
            .find(|g| g.kind == GroupKind::InNamespace)
            .unwrap();
        assert!(group.peers.is_empty());
        let summary = group.summary.as_ref().unwrap();
        assert!(!summary.expanded);
        assert_eq!(summary.summary.count, 1000);
        assert_eq!(l.edges.len(), 1);
        assert_eq!(l.edges[0].id, "group-ingress-in-namespace");
        assert_eq!(l.edges[0].sentence, summary.summary.sentence);
        assert!(l.height < 600.0, "height {}", l.height);
        // Expanded, it is a list of fixed height, still one edge.
        let open = Expanded::from([(Direction::Ingress, GroupKind::InNamespace)]);
        let l2 = layout(&g, &open);
        let group = l2
            .groups
            .iter()
            .find(|g| g.kind == GroupKind::InNamespace)
            .unwrap();
        let summary = group.summary.as_ref().unwrap();
        assert!(summary.expanded);
        assert_eq!(summary.h, LIST_H);
        assert_eq!(l2.edges.len(), 1);
    }
}
