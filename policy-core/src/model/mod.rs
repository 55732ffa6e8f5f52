//! The policy model: what a user writes, as typed Rust values.
//!
//! The Kubernetes spec types (NetworkPolicySpec, peers, ports,
//! LabelSelector) are k8s-openapi's; the objects around them (NetworkPolicy,
//! Namespace, `ObjectMeta` in [`kubernetes`], Pod in [`pod`]) are our own
//! slim types with the same field names, which keep what they do not
//! interpret as read. Cilium's `cilium.io/v2` policies are our own serde types in
//! [`cilium`], following Cilium's CRD field for field.

pub mod cidr;
pub mod cilium;
pub mod kubernetes;
pub mod labels;
pub mod pod;
pub mod port;

pub use cilium::{CiliumPolicy, CiliumRule};
/// The Kubernetes spec types, re-exported so that only `model/` names
/// k8s-openapi (an invariant the tidy test checks).
pub use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
pub use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
pub use kubernetes::{IsolatedDirections, Namespace, NetworkPolicy, ObjectMeta};
pub use labels::{Labels, NAMESPACE_NAME_LABEL};
pub use pod::Pod;
pub use port::{PortKey, PortKeyError, Protocol};

/// `apiVersion` of Kubernetes NetworkPolicy.
pub const NETWORKING_V1: &str = "networking.k8s.io/v1";
/// `apiVersion` of Cilium's policies.
pub const CILIUM_V2: &str = "cilium.io/v2";

/// The policy flavours Palisade edits.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum PolicyKind {
    /// `networking.k8s.io/v1` NetworkPolicy.
    NetworkPolicy,
    /// `cilium.io/v2` CiliumNetworkPolicy (namespaced).
    CiliumNetworkPolicy,
    /// `cilium.io/v2` CiliumClusterwideNetworkPolicy.
    CiliumClusterwideNetworkPolicy,
}

impl PolicyKind {
    /// The `kind:` string.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::NetworkPolicy => "NetworkPolicy",
            PolicyKind::CiliumNetworkPolicy => "CiliumNetworkPolicy",
            PolicyKind::CiliumClusterwideNetworkPolicy => "CiliumClusterwideNetworkPolicy",
        }
    }

    /// The `apiVersion:` string.
    pub fn api_version(self) -> &'static str {
        match self {
            PolicyKind::NetworkPolicy => NETWORKING_V1,
            _ => CILIUM_V2,
        }
    }

    /// Parses a `kind:` string.
    pub fn from_kind(kind: &str) -> Option<Self> {
        match kind {
            "NetworkPolicy" => Some(PolicyKind::NetworkPolicy),
            "CiliumNetworkPolicy" => Some(PolicyKind::CiliumNetworkPolicy),
            "CiliumClusterwideNetworkPolicy" => Some(PolicyKind::CiliumClusterwideNetworkPolicy),
            _ => None,
        }
    }
}

/// One policy of any supported flavour.
#[derive(Clone, Debug, PartialEq)]
pub enum Policy {
    /// A Kubernetes NetworkPolicy.
    NetworkPolicy(NetworkPolicy),
    /// A CiliumNetworkPolicy (namespaced).
    CiliumNetworkPolicy(CiliumPolicy),
    /// A CiliumClusterwideNetworkPolicy.
    CiliumClusterwideNetworkPolicy(CiliumPolicy),
}

impl Policy {
    /// Which flavour this is.
    pub fn kind(&self) -> PolicyKind {
        match self {
            Policy::NetworkPolicy(_) => PolicyKind::NetworkPolicy,
            Policy::CiliumNetworkPolicy(_) => PolicyKind::CiliumNetworkPolicy,
            Policy::CiliumClusterwideNetworkPolicy(_) => PolicyKind::CiliumClusterwideNetworkPolicy,
        }
    }

    /// The object metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Policy::NetworkPolicy(p) => &p.metadata,
            Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
                &p.metadata
            }
        }
    }

    /// Mutable object metadata.
    pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Policy::NetworkPolicy(p) => &mut p.metadata,
            Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
                &mut p.metadata
            }
        }
    }

    /// `metadata.name`, or `""` when unset.
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or("")
    }

    /// `metadata.namespace`, when set. Clusterwide policies have none.
    pub fn namespace(&self) -> Option<&str> {
        self.metadata().namespace.as_deref()
    }

    /// `namespace/name` (or just `name` when there is no namespace), for messages.
    pub fn display_name(&self) -> String {
        match self.namespace() {
            Some(ns) if !ns.is_empty() => format!("{ns}/{}", self.name()),
            _ => self.name().to_string(),
        }
    }
}
