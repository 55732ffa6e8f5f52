//! Posture: how well a set of policies protects a cluster, at a glance.
//!
//! [`posture`] asks the reachability engine, for every pod, whether some
//! policy isolates it for ingress and for egress, and for every namespace,
//! whether a *new* pod with no labels would be isolated (that is what a
//! default-deny policy guarantees). It turns the gaps into a score from 0 to
//! 100, with one [`ScoreReason`] per deduction so the number is never a
//! mystery.
//!
//! Deductions (points are proportional to the share of pods or namespaces
//! with the gap, rounded):
//!
//! | gap                                         | at most |
//! |---------------------------------------------|---------|
//! | pods no policy isolates for ingress         | 40      |
//! | pods no policy isolates for egress          | 25      |
//! | namespaces without default-deny ingress     | 20      |
//! | namespaces without default-deny egress      | 15      |
//!
//! Host-network pods are left out: pod selectors never select them.

mod cluster_dump;

use serde::{Deserialize, Serialize};

pub use cluster_dump::{ClusterDump, ClusterDumpError, read_cluster, read_clusters};

use crate::cluster::{Cluster, EndpointId, Labels, PodInfo};
use crate::engine::{Engine, PortKey};
use crate::model::Policy;

/// Points at stake per gap.
const INGRESS_PODS_POINTS: u32 = 40;
const EGRESS_PODS_POINTS: u32 = 25;
const INGRESS_NS_POINTS: u32 = 20;
const EGRESS_NS_POINTS: u32 = 15;

/// Name of the label-less pod added to each namespace to test default deny.
const PROBE_POD: &str = "palisade-posture-probe";

/// One deduction (or a full-marks note) behind the score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreReason {
    /// Points lost (0 when the check passed in full).
    pub points: u32,
    /// Points at stake for this check.
    pub of: u32,
    /// What was found, in words.
    pub text: String,
}

/// A namespace and the directions in which it has no default deny.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceGap {
    /// The namespace.
    pub namespace: String,
    /// No default deny for ingress.
    pub ingress: bool,
    /// No default deny for egress.
    pub egress: bool,
}

/// The posture summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posture {
    /// Pods considered (host-network pods excluded).
    pub pods: usize,
    /// Namespaces considered.
    pub namespaces: usize,
    /// Pods (`namespace/pod`) that accept ingress from anywhere: no policy isolates them.
    pub open_ingress: Vec<String>,
    /// Pods that may send anywhere: no policy isolates their egress.
    pub open_egress: Vec<String>,
    /// Namespaces missing a default deny in some direction.
    pub namespace_gaps: Vec<NamespaceGap>,
    /// 0 (nothing protected) to 100.
    pub score: u32,
    /// Every check with the points it cost.
    pub reasons: Vec<ScoreReason>,
}

/// Computes the posture of `cluster` under `policies`.
pub fn posture(cluster: &Cluster, policies: &[Policy]) -> Posture {
    // The cluster plus one label-less probe pod per namespace.
    let mut probed = cluster.clone();
    let probes: Vec<(String, EndpointId)> = cluster
        .namespaces
        .iter()
        .map(|ns| {
            (
                ns.name.clone(),
                probed.add_pod(PodInfo::new(&ns.name, PROBE_POD, Labels::new())),
            )
        })
        .collect();
    let engine = Engine::new(&probed, policies);
    let isolation = |id: EndpointId| {
        let v = engine.verdict(id, id, PortKey::tcp(1));
        (v.ingress.isolated, v.egress.isolated)
    };

    let mut open_ingress = Vec::new();
    let mut open_egress = Vec::new();
    let mut pods = 0;
    for (i, pod) in cluster.pods.iter().enumerate() {
        if pod.host_network {
            continue;
        }
        pods += 1;
        let (ing, eg) = isolation(EndpointId(i));
        let name = format!("{}/{}", pod.namespace, pod.name);
        if !ing {
            open_ingress.push(name.clone());
        }
        if !eg {
            open_egress.push(name);
        }
    }
    let mut namespace_gaps = Vec::new();
    for (ns, probe) in &probes {
        let (probe_ing, probe_eg) = isolation(*probe);
        let in_ns = |list: &[String]| {
            list.iter()
                .any(|p| p.split_once('/').is_some_and(|(n, _)| n == ns))
        };
        let ingress = !probe_ing || in_ns(&open_ingress);
        let egress = !probe_eg || in_ns(&open_egress);
        if ingress || egress {
            namespace_gaps.push(NamespaceGap {
                namespace: ns.clone(),
                ingress,
                egress,
            });
        }
    }
    let namespaces = probes.len();

    let reasons = score_reasons(
        &open_ingress,
        &open_egress,
        pods,
        &namespace_gaps,
        namespaces,
    );
    let lost: u32 = reasons.iter().map(|r| r.points).sum();
    Posture {
        pods,
        namespaces,
        open_ingress,
        open_egress,
        namespace_gaps,
        score: 100u32.saturating_sub(lost),
        reasons,
    }
}

/// The checks of the score, with the points each cost: pods not isolated
/// per direction, and namespaces without a default deny per direction.
fn score_reasons(
    open_ingress: &[String],
    open_egress: &[String],
    pods: usize,
    namespace_gaps: &[NamespaceGap],
    namespaces: usize,
) -> Vec<ScoreReason> {
    let pod_reason = |bad: &[String], of: u32, what: &str| ScoreReason {
        points: share(bad.len(), pods, of),
        of,
        text: if bad.is_empty() {
            format!("every pod is isolated for {what}")
        } else {
            format!(
                "{} of {pods} pods are not isolated for {what} (no policy selects them): {}",
                bad.len(),
                first_five(bad)
            )
        },
    };
    let mut reasons = vec![
        pod_reason(open_ingress, INGRESS_PODS_POINTS, "ingress"),
        pod_reason(open_egress, EGRESS_PODS_POINTS, "egress"),
    ];
    for (of, ingress, what) in [
        (INGRESS_NS_POINTS, true, "ingress"),
        (EGRESS_NS_POINTS, false, "egress"),
    ] {
        let bad: Vec<String> = namespace_gaps
            .iter()
            .filter(|g| if ingress { g.ingress } else { g.egress })
            .map(|g| g.namespace.clone())
            .collect();
        reasons.push(ScoreReason {
            points: share(bad.len(), namespaces, of),
            of,
            text: if bad.is_empty() {
                format!("every namespace has a default deny for {what}")
            } else {
                format!(
                    "{} of {namespaces} namespaces have no default deny for {what} (a new pod there would be open): {}",
                    bad.len(),
                    first_five(&bad)
                )
            },
        });
    }
    reasons
}

/// `bad` out of `total` as a share of `of` points, rounded half up.
fn share(bad: usize, total: usize, of: u32) -> u32 {
    if total == 0 {
        0
    } else {
        ((bad as u64 * of as u64 * 2 + total as u64) / (2 * total as u64)) as u32
    }
}

/// The first five items, and how many more.
fn first_five(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(5).map(String::as_str).collect();
    let more = items.len().saturating_sub(5);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests;
