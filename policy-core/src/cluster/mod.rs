//! The cluster model the reachability engine runs on: namespaces with labels,
//! pods with labels, IPs and container ports, and external endpoints by IP.
//!
//! Build it from what `kubectl get namespaces,pods -A -o yaml` prints with
//! [`Cluster::from_objects`], or piece by piece with [`Cluster::add_namespace`],
//! [`Cluster::add_pod`] and [`Cluster::add_external`].

mod endpoint;
mod entity;
pub mod filter;
pub mod manifests;
mod objects;

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

pub use endpoint::{EndpointRef, EndpointRefError};
pub use entity::ReservedEntity;
pub use manifests::{ClusterInput, ClusterReader};
pub use objects::ClusterError;

pub use crate::model::labels::{Labels, NAMESPACE_NAME_LABEL};
use crate::model::port::Protocol;

/// A namespace and its labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceInfo {
    /// Namespace name.
    pub name: String,
    /// Namespace labels (including `kubernetes.io/metadata.name`).
    pub labels: Labels,
}

/// A container port of a pod.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerPort {
    /// The port's name (for named ports in policies), when set.
    pub name: Option<String>,
    /// The port number.
    pub port: u16,
    /// Its protocol (TCP when unset in the pod spec).
    pub protocol: Protocol,
}

/// A pod as the engine sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodInfo {
    /// Namespace name.
    pub namespace: String,
    /// Pod name.
    pub name: String,
    /// Pod labels.
    pub labels: Labels,
    /// Pod IPs (`status.podIPs`, or `status.podIP`).
    pub ips: Vec<IpAddr>,
    /// Container ports of all containers.
    pub ports: Vec<ContainerPort>,
    /// `spec.hostNetwork`: the pod uses its node's network namespace. Such a
    /// pod is not selected by pod selectors; peers see it as its node IP
    /// ([`HostNetworkPods::Node`]; [`Cluster::set_host_network_pods`] can
    /// make it an ordinary pod instead).
    pub host_network: bool,
    /// The node's IP (`status.hostIP`).
    pub node_ip: Option<IpAddr>,
    /// `spec.serviceAccountName` (Cilium exposes it as a label).
    pub service_account: Option<String>,
    /// Set when this endpoint is not a pod but one of Cilium's reserved
    /// identities (a health endpoint, an unmanaged pod whose labels are
    /// unknown, the ingress proxy, …). Such an endpoint is never selected by
    /// pod or endpoint selectors and is not subject to policy; NetworkPolicy
    /// sees only its addresses (`ipBlock` decides), Cilium matches it by
    /// entity ([`ReservedEntity`]). `host` and `remote-node` endpoints are
    /// also `host_network`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved: Option<ReservedEntity>,
    /// The workload the pod belongs to: its controlling owner reference, or
    /// the workload manifest it was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// The workload a pod belongs to, such as a Deployment or a ReplicaSet.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Owner {
    /// `Deployment`, `ReplicaSet`, `StatefulSet`, `DaemonSet`, `Job`, …
    pub kind: String,
    /// The workload's name.
    pub name: String,
}

impl PodInfo {
    /// A pod with labels and nothing else, for building clusters in code.
    pub fn new(namespace: &str, name: &str, labels: Labels) -> Self {
        PodInfo {
            namespace: namespace.to_string(),
            name: name.to_string(),
            labels,
            ips: Vec::new(),
            ports: Vec::new(),
            host_network: false,
            node_ip: None,
            service_account: None,
            owner: None,
            reserved: None,
        }
    }

    /// An endpoint of a reserved identity (see [`PodInfo::reserved`]) with
    /// its addresses; `host` and `remote-node` are host-network endpoints
    /// whose node IP is their first address.
    pub fn reserved(entity: ReservedEntity, name: &str, ips: Vec<IpAddr>) -> Self {
        let node = matches!(entity, ReservedEntity::Host | ReservedEntity::RemoteNode);
        let mut pod = PodInfo::new("", name, Labels::new());
        pod.reserved = Some(entity);
        pod.host_network = node;
        pod.node_ip = if node { ips.first().copied() } else { None };
        pod.ips = ips;
        pod
    }

    /// Whether selectors can select it: a pod in the pod network, not a
    /// host-network pod nor a reserved identity.
    pub fn selectable(&self) -> bool {
        !self.host_network && self.reserved.is_none()
    }

    /// The addresses other endpoints see: the node IP for host-network pods,
    /// the pod IPs otherwise.
    pub fn addresses(&self) -> Vec<IpAddr> {
        if self.host_network {
            self.node_ip
                .into_iter()
                .chain(self.ips.iter().copied())
                .collect()
        } else {
            self.ips.clone()
        }
    }
}

/// How host-network pods (`spec.hostNetwork: true`) take part in
/// NetworkPolicy, which the Kubernetes documentation leaves to the network
/// plugin ("NetworkPolicy behavior for hostNetwork pods is undefined", with
/// two possibilities).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostNetworkPods {
    /// As their node: pod selectors never select them, and peers see their
    /// traffic as the node IP's (the plugin cannot tell them apart; Cilium
    /// and Calico behave so). How a cluster is read.
    #[default]
    Node,
    /// As ordinary pods, selected by their labels and isolated by policies
    /// (the plugin tells their traffic apart; netpol-analyzer's model).
    Pod,
}

impl HostNetworkPods {
    /// The model asked for, else the one that goes with the ipBlock mode:
    /// [`HostNetworkPods::Pod`] when ipBlocks match no pod IP (the
    /// netpol-analyzer model, where both hold), [`HostNetworkPods::Node`]
    /// otherwise.
    pub fn resolve(asked: Option<Self>, ip_block_matches_pod_ips: bool) -> Self {
        asked.unwrap_or(if ip_block_matches_pod_ips {
            HostNetworkPods::Node
        } else {
            HostNetworkPods::Pod
        })
    }
}

/// How address-based peers (NetworkPolicy `ipBlock`) treat in-cluster addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterOptions {
    /// Whether a NetworkPolicy `ipBlock` matches pod IPs (and node IPs of
    /// host-network pods). `true` (the default) is what the upstream
    /// Kubernetes e2e suite asserts; `false` is Cilium's behaviour, where
    /// `ipBlock` and CIDR rules only match addresses outside the cluster.
    /// Cilium's own `fromCIDR`/`toCIDR` rules never match pods either way.
    pub ip_block_matches_pod_ips: bool,
    /// Addresses of the Kubernetes API server, for Cilium's `kube-apiserver`
    /// entity (they must also be listed as external endpoints).
    pub kube_apiserver_ips: Vec<IpAddr>,
    /// The host-network model the cluster's pods follow; set with
    /// [`Cluster::set_host_network_pods`].
    #[serde(default)]
    pub host_network_pods: HostNetworkPods,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            ip_block_matches_pod_ips: true,
            kube_apiserver_ips: Vec::new(),
            host_network_pods: HostNetworkPods::Node,
        }
    }
}

/// Index of an endpoint in a [`Cluster`]: pods first (in insertion order),
/// then external endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EndpointId(pub usize);

/// What an endpoint is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint<'a> {
    /// A pod.
    Pod(&'a PodInfo),
    /// An address outside the cluster.
    External(IpAddr),
}

/// Namespaces, pods and external endpoints.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// Namespaces, in insertion order.
    pub namespaces: Vec<NamespaceInfo>,
    /// Pods, in insertion order. Pod `i` is endpoint `i`.
    pub pods: Vec<PodInfo>,
    /// External addresses. External `j` is endpoint `pods.len() + j`.
    pub externals: Vec<IpAddr>,
    /// Options for address matching.
    pub options: ClusterOptions,
}

impl Cluster {
    /// An empty cluster with default options.
    pub fn new() -> Self {
        Cluster::default()
    }

    /// Adds (or replaces the labels of) a namespace. The
    /// `kubernetes.io/metadata.name` label is added when missing, as the
    /// apiserver does.
    pub fn add_namespace(&mut self, name: &str, mut labels: Labels) {
        labels
            .entry(NAMESPACE_NAME_LABEL.to_string())
            .or_insert_with(|| name.to_string());
        match self.namespaces.iter_mut().find(|n| n.name == name) {
            Some(ns) => ns.labels = labels,
            None => self.namespaces.push(NamespaceInfo {
                name: name.to_string(),
                labels,
            }),
        }
    }

    /// Adds a pod and returns its endpoint id. A pod in an unknown namespace
    /// creates that namespace with only its `kubernetes.io/metadata.name`
    /// label. Adding a pod after externals renumbers the externals.
    pub fn add_pod(&mut self, pod: PodInfo) -> EndpointId {
        if self.namespace(&pod.namespace).is_none() {
            self.add_namespace(&pod.namespace, Labels::new());
        }
        self.pods.push(pod);
        EndpointId(self.pods.len() - 1)
    }

    /// Sets how in-cluster addresses are read: whether NetworkPolicy
    /// `ipBlock`s match pod IPs, and the host-network model asked for, else
    /// the one that goes with that choice ([`HostNetworkPods::resolve`]).
    pub fn set_address_model(
        &mut self,
        ip_block_matches_pod_ips: bool,
        host_network_pods: Option<HostNetworkPods>,
    ) {
        self.options.ip_block_matches_pod_ips = ip_block_matches_pod_ips;
        self.set_host_network_pods(HostNetworkPods::resolve(
            host_network_pods,
            ip_block_matches_pod_ips,
        ));
    }

    /// Makes the cluster's host-network pods follow `model`. Pods are read
    /// as [`HostNetworkPods::Node`] (what [`PodInfo::host_network`]
    /// describes); [`HostNetworkPods::Pod`] turns each host-network pod
    /// into an ordinary pod at its pod IPs (its node IP when it has none).
    /// Cilium's reserved `host` and `remote-node` endpoints stay what they
    /// are. A cluster made `Pod` does not go back: read it again for `Node`.
    pub fn set_host_network_pods(&mut self, model: HostNetworkPods) {
        if model == HostNetworkPods::Pod {
            for pod in &mut self.pods {
                if pod.host_network && pod.reserved.is_none() {
                    pod.host_network = false;
                    if pod.ips.is_empty() {
                        pod.ips.extend(pod.node_ip);
                    }
                }
            }
            self.options.host_network_pods = model;
        }
    }

    /// Adds an external endpoint (or finds it when present) and returns its id.
    pub fn add_external(&mut self, ip: IpAddr) -> EndpointId {
        match self.externals.iter().position(|e| *e == ip) {
            Some(j) => EndpointId(self.pods.len() + j),
            None => {
                self.externals.push(ip);
                EndpointId(self.pods.len() + self.externals.len() - 1)
            }
        }
    }

    /// A namespace by name.
    pub fn namespace(&self, name: &str) -> Option<&NamespaceInfo> {
        self.namespaces.iter().find(|n| n.name == name)
    }

    /// Number of endpoints (pods and externals).
    pub fn endpoint_count(&self) -> usize {
        self.pods.len() + self.externals.len()
    }

    /// All endpoint ids.
    pub fn endpoint_ids(&self) -> impl Iterator<Item = EndpointId> + use<> {
        (0..self.endpoint_count()).map(EndpointId)
    }

    /// What endpoint `id` is. Panics when out of range.
    pub fn endpoint(&self, id: EndpointId) -> Endpoint<'_> {
        match self.pods.get(id.0) {
            Some(pod) => Endpoint::Pod(pod),
            None => Endpoint::External(self.externals[id.0 - self.pods.len()]),
        }
    }

    /// The pod at `id`, if it is one.
    pub fn pod(&self, id: EndpointId) -> Option<&PodInfo> {
        self.pods.get(id.0)
    }

    /// How to write endpoint `id` (`namespace/pod` or `ip:ADDR`).
    pub fn endpoint_ref(&self, id: EndpointId) -> EndpointRef {
        match self.endpoint(id) {
            Endpoint::Pod(p) => EndpointRef::Pod {
                namespace: p.namespace.clone(),
                name: p.name.clone(),
            },
            Endpoint::External(ip) => EndpointRef::Ip(ip),
        }
    }

    /// `namespace/pod` or `ip:ADDR` for endpoint `id`.
    pub fn endpoint_name(&self, id: EndpointId) -> String {
        self.endpoint_ref(id).to_string()
    }

    /// Finds an endpoint. An `ip:ADDR` that is a pod's IP finds the pod.
    pub fn find(&self, r: &EndpointRef) -> Option<EndpointId> {
        match r {
            EndpointRef::Pod { namespace, name } => self
                .pods
                .iter()
                .position(|p| &p.namespace == namespace && &p.name == name)
                .map(EndpointId),
            EndpointRef::Ip(ip) => self
                .pods
                .iter()
                .position(|p| !p.host_network && p.ips.contains(ip))
                .or_else(|| {
                    self.externals
                        .iter()
                        .position(|e| e == ip)
                        .map(|j| self.pods.len() + j)
                })
                .map(EndpointId),
        }
    }

    /// Finds an endpoint, adding an `ip:ADDR` that is not yet known as an
    /// external endpoint.
    pub fn find_or_add(&mut self, r: &EndpointRef) -> Option<EndpointId> {
        match self.find(r) {
            Some(id) => Some(id),
            None => match r {
                EndpointRef::Ip(ip) => Some(self.add_external(*ip)),
                EndpointRef::Pod { .. } => None,
            },
        }
    }
}
