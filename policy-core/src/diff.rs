//! Semantic diff: which connections an edit of the policies allows or denies
//! across a cluster.
//!
//! Both policy sets are compiled against the same cluster and their truth
//! tables compared bit by bit on the union of the ports either set names
//! (plus the pods' container ports), so the diff is exact on those ports.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::cluster::{Cluster, EndpointId};
use crate::engine::{Engine, PortKey, Verdict};
use crate::model::Policy;

/// One connection whose verdict changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedConnection {
    /// Source (`namespace/pod` or `ip:ADDR`).
    pub from: String,
    /// Destination.
    pub to: String,
    /// Port and protocol.
    pub port: PortKey,
    /// The verdict before the edit.
    pub before: Verdict,
    /// The verdict after the edit.
    pub after: Verdict,
}

impl ChangedConnection {
    /// One sentence: what changed and why, in plain language.
    pub fn explain(&self) -> String {
        if self.after.allowed {
            format!("Newly allowed: {}", self.after.explain())
        } else {
            format!("Newly denied: {}", self.after.explain())
        }
    }
}

/// What an edit changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDiff {
    /// The ports compared.
    pub ports: Vec<PortKey>,
    /// Connections denied before and allowed after.
    pub newly_allowed: Vec<ChangedConnection>,
    /// Connections allowed before and denied after.
    pub newly_denied: Vec<ChangedConnection>,
}

/// Compares `before` and `after` on `cluster`. Pod-to-itself pairs are left
/// out. Without `ports`, compares on every port either policy set names and
/// every container port of the cluster's pods.
pub fn diff(
    cluster: &Cluster,
    before: &[Policy],
    after: &[Policy],
    ports: Option<&[PortKey]>,
) -> PolicyDiff {
    let old = Engine::new(cluster, before);
    let new = Engine::new(cluster, after);
    let ports: Vec<PortKey> = match ports {
        Some(p) => p.to_vec(),
        None => {
            let mut set: BTreeSet<PortKey> = old.policy_ports().into_iter().collect();
            set.extend(new.policy_ports());
            for pod in &cluster.pods {
                set.extend(
                    pod.ports
                        .iter()
                        .map(|cp| PortKey::new(cp.port, cp.protocol)),
                );
            }
            set.into_iter().collect()
        }
    };
    let t_old = old.truth_table(&ports);
    let t_new = new.truth_table(&ports);
    let mut out = PolicyDiff {
        ports: ports.clone(),
        ..Default::default()
    };
    let n = cluster.endpoint_count();
    for (pi, &port) in ports.iter().enumerate() {
        let (a, b) = (&t_old.matrices[pi], &t_new.matrices[pi]);
        for s in 0..n {
            let (ra, rb) = (a.row(s), b.row(s));
            for (w, (x, y)) in ra.iter().zip(rb).enumerate() {
                let mut changed = x ^ y;
                while changed != 0 {
                    let bit = changed.trailing_zeros() as usize;
                    changed &= changed - 1;
                    let t = w * 64 + bit;
                    if t == s {
                        continue;
                    }
                    let (from, to) = (EndpointId(s), EndpointId(t));
                    let c = ChangedConnection {
                        from: cluster.endpoint_name(from),
                        to: cluster.endpoint_name(to),
                        port,
                        before: old.verdict(from, to, port),
                        after: new.verdict(from, to, port),
                    };
                    if y & (1u64 << bit) != 0 {
                        out.newly_allowed.push(c);
                    } else {
                        out.newly_denied.push(c);
                    }
                }
            }
        }
    }
    out
}
