//! The probe loop: which (source, destination, port) connections a probe
//! covers. The CLI and the HTTP API both walk it, so they probe the same
//! connections: every ordered pair of the chosen sources and destinations
//! except an endpoint to itself, on the ports asked for, or else on each
//! destination's [`Engine::probe_ports`].

use super::Engine;
use super::port::PortKey;
use crate::cluster::EndpointId;

/// Which connections to probe.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProbeScope {
    /// Only from this endpoint (every endpoint when `None`).
    pub from: Option<EndpointId>,
    /// Only to this endpoint (every endpoint when `None`).
    pub to: Option<EndpointId>,
    /// Only these ports (each destination's probe ports when empty).
    pub ports: Vec<PortKey>,
}

impl ProbeScope {
    /// Whether this is one connection (both ends named).
    pub fn is_single(&self) -> bool {
        self.from.is_some() && self.to.is_some()
    }
}

impl Engine {
    fn scope_ends(&self, scope: &ProbeScope) -> (Vec<EndpointId>, Vec<EndpointId>) {
        let all = || self.cluster.endpoint_ids().collect::<Vec<_>>();
        (
            scope.from.map_or_else(all, |id| vec![id]),
            scope.to.map_or_else(all, |id| vec![id]),
        )
    }

    fn scope_ports(&self, scope: &ProbeScope, to: EndpointId) -> Vec<PortKey> {
        if scope.ports.is_empty() {
            self.probe_ports(to)
        } else {
            scope.ports.clone()
        }
    }

    /// Every port worth drawing for the whole cluster: every container port
    /// and every port the policies name, sorted.
    pub fn cluster_ports(&self) -> Vec<PortKey> {
        let mut set: std::collections::BTreeSet<PortKey> =
            self.policy_ports().into_iter().collect();
        for pod in &self.cluster.pods {
            set.extend(
                pod.ports
                    .iter()
                    .map(|cp| PortKey::new(cp.port, cp.protocol)),
            );
        }
        set.into_iter().collect()
    }

    /// How many connections [`Engine::probe_each`] would visit.
    pub fn probe_count(&self, scope: &ProbeScope) -> usize {
        let (sources, targets) = self.scope_ends(scope);
        let per_target: Vec<(EndpointId, usize)> = targets
            .iter()
            .map(|&t| (t, self.scope_ports(scope, t).len()))
            .collect();
        sources
            .iter()
            .map(|&s| {
                per_target
                    .iter()
                    .filter(|(t, _)| *t != s)
                    .map(|(_, n)| n)
                    .sum::<usize>()
            })
            .sum()
    }

    /// Calls `f(from, to, port)` for every connection of `scope`, sources
    /// outermost, in endpoint order; stops at the first error.
    pub fn probe_each<E>(
        &self,
        scope: &ProbeScope,
        mut f: impl FnMut(EndpointId, EndpointId, PortKey) -> Result<(), E>,
    ) -> Result<(), E> {
        let (sources, targets) = self.scope_ends(scope);
        let per_target: Vec<(EndpointId, Vec<PortKey>)> = targets
            .iter()
            .map(|&t| (t, self.scope_ports(scope, t)))
            .collect();
        for &s in &sources {
            for (t, ports) in &per_target {
                if s == *t {
                    continue;
                }
                for &port in ports {
                    f(s, *t, port)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Cluster, ContainerPort, PodInfo};
    use crate::engine::Protocol;

    #[test]
    fn every_pair_but_self_on_each_targets_ports() {
        let mut c = Cluster::new();
        let mut a = PodInfo::new("x", "a", Default::default());
        a.ports.push(ContainerPort {
            name: None,
            port: 80,
            protocol: Protocol::Tcp,
        });
        let a = c.add_pod(a);
        let b = c.add_pod(PodInfo::new("x", "b", Default::default()));
        let engine = Engine::new(&c, &[]);
        let mut seen = Vec::new();
        let scope = ProbeScope::default();
        engine
            .probe_each(&scope, |s, t, p| {
                seen.push((s, t, p));
                Ok::<(), ()>(())
            })
            .unwrap();
        // b has no container port and no policy names one: nothing to probe on b.
        assert_eq!(seen, vec![(b, a, PortKey::tcp(80))]);
        assert_eq!(engine.probe_count(&scope), 1);
        let one = ProbeScope {
            from: Some(a),
            to: Some(b),
            ports: vec![PortKey::tcp(443)],
        };
        assert!(one.is_single());
        assert_eq!(engine.probe_count(&one), 1);
        assert_eq!(engine.cluster_ports(), vec![PortKey::tcp(80)]);
    }
}
