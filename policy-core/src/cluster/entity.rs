//! Cilium's reserved identities: endpoints that carry no pod labels.
//!
//! Cilium gives every endpoint a security identity. Pods get one from their
//! labels; everything else gets a reserved identity (`reserved:host`,
//! `reserved:health`, …), which policies name as an *entity* in
//! `fromEntities` / `toEntities` (Cilium docs, "Layer 3 Examples" →
//! "Entities based"; the entity names are Cilium's `pkg/policy/api/entity.go`).
//!
//! In the cluster model a reserved endpoint is a [`super::PodInfo`] with
//! [`super::PodInfo::reserved`] set (host and remote-node are host-network
//! pods on their node): pod selectors never select it, and it is not itself
//! subject to policy. Under NetworkPolicy it is only an address, so an
//! `ipBlock` decides; under Cilium the entities below match it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Cilium's reserved identities, as policy entities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReservedEntity {
    /// The local node (identity 1). Cilium docs: "The host entity includes
    /// the local host. This also includes all containers running in host
    /// networking mode on the local host."
    Host,
    /// Outside the cluster (identities 2, 9 `world-ipv4`, 10 `world-ipv6`).
    /// Cilium docs: "The world entity corresponds to all endpoints outside of
    /// the cluster. Allowing to world is identical to allowing to CIDR
    /// 0.0.0.0/0."
    World,
    /// Endpoints not managed by Cilium (identity 3), such as pods started
    /// before Cilium. Cilium docs: "Unmanaged endpoints are considered part
    /// of the cluster and are included in the cluster entity."
    Unmanaged,
    /// Cilium's health endpoints (identity 4). Cilium docs: "Each node
    /// managed by Cilium hosts a health endpoint."
    Health,
    /// Endpoints whose identity is not resolved yet (identity 5). Cilium
    /// docs: "all endpoints in bootstrap phase for which the security
    /// identity has not been resolved yet."
    Init,
    /// Other nodes of the cluster (identity 6). Cilium docs: "Any node in any
    /// of the connected clusters other than the local host. This also
    /// includes all containers running in host-networking mode on remote
    /// nodes."
    RemoteNode,
    /// The Kubernetes API server (identity 7). Cilium docs: "both deployments
    /// of the kube-apiserver: within the cluster and outside of the cluster."
    KubeApiserver,
    /// Cilium's ingress proxy (identity 8). Cilium docs: "the Cilium Envoy
    /// instance that handles ingress L7 traffic."
    Ingress,
}

impl ReservedEntity {
    /// Every reserved identity, most specific first (see [`Self::specificity`]).
    pub const ALL: [ReservedEntity; 8] = [
        ReservedEntity::KubeApiserver,
        ReservedEntity::Ingress,
        ReservedEntity::Health,
        ReservedEntity::Host,
        ReservedEntity::RemoteNode,
        ReservedEntity::Init,
        ReservedEntity::Unmanaged,
        ReservedEntity::World,
    ];

    /// The entity name used in `toEntities` / `fromEntities`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservedEntity::Host => "host",
            ReservedEntity::World => "world",
            ReservedEntity::Unmanaged => "unmanaged",
            ReservedEntity::Health => "health",
            ReservedEntity::Init => "init",
            ReservedEntity::RemoteNode => "remote-node",
            ReservedEntity::KubeApiserver => "kube-apiserver",
            ReservedEntity::Ingress => "ingress",
        }
    }

    /// From a `reserved:` label's key.
    pub fn from_label(key: &str) -> Option<Self> {
        Some(match key {
            "host" => ReservedEntity::Host,
            "world" | "world-ipv4" | "world-ipv6" => ReservedEntity::World,
            "unmanaged" => ReservedEntity::Unmanaged,
            "health" => ReservedEntity::Health,
            "init" => ReservedEntity::Init,
            "remote-node" => ReservedEntity::RemoteNode,
            "kube-apiserver" => ReservedEntity::KubeApiserver,
            "ingress" => ReservedEntity::Ingress,
            _ => return None,
        })
    }

    /// From a reserved numeric identity (1–10).
    pub fn from_number(n: u32) -> Option<Self> {
        Some(match n {
            1 => ReservedEntity::Host,
            2 | 9 | 10 => ReservedEntity::World,
            3 => ReservedEntity::Unmanaged,
            4 => ReservedEntity::Health,
            5 => ReservedEntity::Init,
            6 => ReservedEntity::RemoteNode,
            7 => ReservedEntity::KubeApiserver,
            8 => ReservedEntity::Ingress,
            _ => return None,
        })
    }

    /// When an endpoint carries several reserved labels (the host can also be
    /// `kube-apiserver`), the most specific one wins.
    pub fn specificity(self) -> u8 {
        match self {
            ReservedEntity::KubeApiserver => 7,
            ReservedEntity::Ingress => 6,
            ReservedEntity::Health => 5,
            ReservedEntity::Host => 4,
            ReservedEntity::RemoteNode => 3,
            ReservedEntity::Init => 2,
            ReservedEntity::Unmanaged => 1,
            ReservedEntity::World => 0,
        }
    }

    /// Whether Cilium's `cluster` entity includes it. Cilium's
    /// `InitEntities` (`pkg/policy/api/entity.go`) maps `cluster` to host,
    /// remote-node, init, ingress, health, unmanaged and kube-apiserver, plus
    /// every endpoint of the cluster; only `world` is outside.
    pub fn in_cluster_entity(self) -> bool {
        self != ReservedEntity::World
    }

    /// Whether Cilium's CIDR rules (`toCIDR`, `fromCIDRSet`, …) can match
    /// this identity's address. Cilium docs ("IP/CIDR based"): CIDR rules
    /// apply when a side is "a network endpoint outside the cluster" or
    /// "within the cluster prefix but the IP's networking is not provided by
    /// Cilium" (unmanaged); they "do not apply to traffic where both sides of
    /// the connection are either managed by Cilium or use an IP belonging to
    /// a node in the cluster (including host networking pods)", and
    /// "CIDR-based selectors do not match in-cluster entities (pods or
    /// nodes)" unless `--policy-cidr-match-mode=nodes`, which is not modelled.
    pub fn cidr_selectable(self) -> bool {
        matches!(self, ReservedEntity::World | ReservedEntity::Unmanaged)
    }
}

impl fmt::Display for ReservedEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in ReservedEntity::ALL {
            assert_eq!(ReservedEntity::from_label(e.as_str()), Some(e));
        }
        assert_eq!(
            ReservedEntity::from_label("world-ipv6"),
            Some(ReservedEntity::World)
        );
        assert_eq!(ReservedEntity::from_number(10), Some(ReservedEntity::World));
        assert!(ReservedEntity::Unmanaged.cidr_selectable());
        assert!(!ReservedEntity::Health.cidr_selectable());
        assert!(!ReservedEntity::World.in_cluster_entity());
    }
}
