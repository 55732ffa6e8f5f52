//! Label maps and the well-known labels that Kubernetes and Cilium put on
//! objects. The one place these names are spelt.

use std::collections::BTreeMap;

/// Labels as a sorted map.
pub type Labels = BTreeMap<String, String>;

/// The label the apiserver sets on every namespace to its own name
/// (Kubernetes 1.21+), which namespace selectors can match.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Cilium's label holding an endpoint's namespace.
pub const CILIUM_NAMESPACE_LABEL: &str = "io.kubernetes.pod.namespace";
/// Cilium's prefix for the labels of an endpoint's namespace.
pub const CILIUM_NAMESPACE_LABELS_PREFIX: &str = "io.cilium.k8s.namespace.labels.";
/// Cilium's label holding an endpoint's service account.
pub const CILIUM_SERVICE_ACCOUNT_LABEL: &str = "io.cilium.k8s.policy.serviceaccount";
/// Cilium's label holding an endpoint's cluster name.
pub const CILIUM_CLUSTER_LABEL: &str = "io.cilium.k8s.policy.cluster";
