//! Where the graph's boxes and edges go: a pure function of the view model.
//!
//! Ingress groups stack on the left, egress groups on the right, the
//! selected pods sit in the centre. Coordinates are SVG user units; the SVG
//! scales to its container.

use policy_core::view::{Direction, GroupKind, Peer, PolicyGraph};

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
    /// Its peers.
    pub peers: Vec<PeerBox>,
}

/// A positioned edge between a peer and the centre.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgePath {
    /// The peer's DOM id.
    pub id: String,
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

/// Lays out a graph.
pub fn layout(graph: &PolicyGraph) -> Layout {
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
            if group.peers.is_empty() {
                y += EMPTY_H + PEER_GAP;
            }
            for peer in &group.peers {
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
        let n = g.peers.len().max(1) as f64;
        for (i, pb) in g.peers.iter().enumerate() {
            let py = pb.y + pb.h / 2.0;
            // Spread the attachment points along the centre box's side.
            let spread = centre_h - 40.0;
            let cy = centre_y + 20.0 + spread * ((i as f64 + 0.5) / n);
            // A straight lead at the peer (where the label sits), then a curve.
            let (d, lx) = match g.direction {
                Direction::Ingress => {
                    let x1 = pb.x + pb.w;
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
                    let x2 = pb.x;
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
                id: pb.peer.at.id(),
                d,
                label_x: lx,
                label_y: py,
                deny: pb.peer.edge.deny,
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
        let l = layout(&big(12));
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
    fn the_centre_stays_near_the_top_of_long_graphs() {
        let l = layout(&big(100));
        assert!(l.height > 3000.0);
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
}
