//! NetworkPolicy, Namespace and `ObjectMeta`, with k8s-openapi's field
//! names and shapes.
//!
//! The spec types (`NetworkPolicySpec`, peers, ports, `LabelSelector`) are
//! k8s-openapi's. The object and metadata types are ours: k8s-openapi's
//! `ObjectMeta` parses and prints timestamps through `jiff` (its whole
//! time-zone and formatting machinery, about a tenth of the page's WASM
//! bundle), while policies only read names, labels and annotations. The
//! server-set fields (`uid`, `resourceVersion`, timestamps, managed fields…)
//! are kept as the JSON values they were read as, so an object read and
//! written back loses nothing.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::NetworkPolicySpec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `metadata` of any object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// The object's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The namespace (namespaced objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// A prefix the apiserver completes into a unique name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_name: Option<String>,
    /// Server-set: the object's UID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<Value>,
    /// Server-set: the version for optimistic concurrency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<Value>,
    /// Server-set: the spec's generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<Value>,
    /// Server-set: when the object was created (RFC 3339, kept as read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<Value>,
    /// Server-set: when deletion was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<Value>,
    /// Server-set: the grace period of a pending deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<Value>,
    /// Finalizers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalizers: Option<Value>,
    /// Owner references.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_references: Option<Value>,
    /// Server-set: field managers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_fields: Option<Value>,
    /// Deprecated, server-set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<Value>,
}

/// A `networking.k8s.io/v1` NetworkPolicy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkPolicy {
    /// Name, namespace, labels, annotations.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<NetworkPolicySpec>,
}

/// A `v1` Namespace: its labels are what namespace selectors match.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Namespace {
    /// Name and labels.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// `spec` (finalizers), kept as read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Value>,
    /// `status` (phase, conditions), kept as read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
}

/// The directions a NetworkPolicy isolates its selected pods in, after the
/// apiserver's `policyTypes` defaulting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IsolatedDirections {
    /// Ingress is isolated: only the policy's ingress rules admit traffic.
    pub ingress: bool,
    /// Egress is isolated: only the policy's egress rules admit traffic.
    pub egress: bool,
}

impl NetworkPolicy {
    /// Which directions the policy isolates. This is the one place that
    /// applies `policyTypes` and its default: when `policyTypes` is absent or
    /// empty, the apiserver sets it to `Ingress`, plus `Egress` when
    /// `spec.egress` has at least one rule (so `egress: []` leaves egress
    /// unrestricted). Otherwise exactly the listed types are isolated.
    pub fn isolated_directions(&self) -> IsolatedDirections {
        let Some(spec) = &self.spec else {
            // A policy without spec is defaulted like an empty spec.
            return IsolatedDirections {
                ingress: true,
                egress: false,
            };
        };
        match &spec.policy_types {
            Some(types) if !types.is_empty() => IsolatedDirections {
                ingress: types.iter().any(|t| t == "Ingress"),
                egress: types.iter().any(|t| t == "Egress"),
            },
            _ => IsolatedDirections {
                ingress: true,
                egress: spec.egress.as_ref().is_some_and(|e| !e.is_empty()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn np(spec: &str) -> NetworkPolicy {
        NetworkPolicy {
            metadata: ObjectMeta::default(),
            spec: Some(serde_json::from_str(spec).unwrap()),
        }
    }

    fn dirs(ingress: bool, egress: bool) -> IsolatedDirections {
        IsolatedDirections { ingress, egress }
    }

    #[test]
    fn policy_types_defaulting() {
        assert_eq!(np("{}").isolated_directions(), dirs(true, false));
        assert_eq!(
            NetworkPolicy::default().isolated_directions(),
            dirs(true, false)
        );
        // `egress: []` does not add Egress to the default.
        assert_eq!(
            np(r#"{"egress": []}"#).isolated_directions(),
            dirs(true, false)
        );
        assert_eq!(
            np(r#"{"egress": [{}]}"#).isolated_directions(),
            dirs(true, true)
        );
        // An empty policyTypes list is defaulted too.
        assert_eq!(
            np(r#"{"policyTypes": [], "egress": [{}]}"#).isolated_directions(),
            dirs(true, true)
        );
        assert_eq!(
            np(r#"{"policyTypes": ["Egress"]}"#).isolated_directions(),
            dirs(false, true)
        );
        assert_eq!(
            np(r#"{"policyTypes": ["Ingress", "Egress"], "egress": []}"#).isolated_directions(),
            dirs(true, true)
        );
    }
}
