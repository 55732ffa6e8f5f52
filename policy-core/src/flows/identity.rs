//! Who a flow's endpoint is: a workload (namespace + stable labels), a
//! reserved Cilium identity, or an external address.
//!
//! Hubble prints labels as `source:key=value` strings (`k8s:app=web`,
//! `reserved:world`). Pod labels (`k8s:`) are kept without their source
//! prefix; labels that change with every rollout (`pod-template-hash`, …) and
//! Cilium's derived labels (`io.cilium.k8s.policy.*`) are dropped, so that all
//! the pods of one workload share one identity. `io.kubernetes.pod.namespace`
//! becomes the namespace, and `io.cilium.k8s.namespace.labels.*` the
//! namespace's own labels.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::validate::names;

pub use crate::cluster::ReservedEntity;

/// A flow endpoint's identity: what generated rules select.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Identity {
    /// Pods of one workload: namespace and stable pod labels.
    Workload {
        /// Namespace.
        namespace: String,
        /// Stable pod labels, without source prefix.
        labels: BTreeMap<String, String>,
    },
    /// A reserved identity other than an addressed `world` peer. The address
    /// is kept (Kubernetes policies can only name it by IP).
    Reserved {
        /// The entity.
        entity: ReservedEntity,
        /// Its address, when the flow had one.
        ip: Option<IpAddr>,
    },
    /// An address outside the cluster (`reserved:world` with an IP).
    External {
        /// The address.
        ip: IpAddr,
    },
    /// Nothing known but, perhaps, an address (fields masked out).
    Unknown {
        /// The address, when known.
        ip: Option<IpAddr>,
    },
}

impl Identity {
    /// The workload's namespace, if this is one.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Identity::Workload { namespace, .. } => Some(namespace),
            _ => None,
        }
    }
}

/// Labels that change with every rollout, upgrade or pod, or that Cilium
/// derives: they would make one workload look like many, and a selector
/// that named them would select nothing after the next rollout. Besides
/// the well-known ones, any label whose name ends in `hash` or `checksum`
/// (an operator's `config-hash`, Argo's `rollouts-pod-template-hash`).
pub fn is_volatile_label(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    let ends_with = |suffix: &str| {
        name.len() >= suffix.len()
            && name.as_bytes()[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    matches!(
        key,
        "pod-template-hash"
            | "pod-template-generation"
            | "controller-revision-hash"
            | "statefulset.kubernetes.io/pod-name"
            | "job-name"
            | "controller-uid"
            | "apps.kubernetes.io/pod-index"
            | "io.kubernetes.pod.namespace"
            | "helm.sh/chart"
            | "app.kubernetes.io/version"
    ) || ends_with("hash")
        || ends_with("checksum")
        || key.starts_with("batch.kubernetes.io/")
        || key.starts_with("io.cilium.k8s.policy.")
        || key.starts_with("io.cilium.k8s.namespace.labels.")
        || key.starts_with("io.cilium.")
}

/// An endpoint's labels, sorted into what they mean.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedLabels {
    /// Stable pod labels.
    pub pod: BTreeMap<String, String>,
    /// `io.kubernetes.pod.namespace`.
    pub namespace: Option<String>,
    /// `io.cilium.k8s.namespace.labels.*`: the namespace's labels.
    pub namespace_labels: BTreeMap<String, String>,
    /// The most specific `reserved:` label.
    pub reserved: Option<ReservedEntity>,
}

/// Whether a key and value are a label the apiserver accepts. Others (a
/// damaged log) are left out: no selector could name them, and a policy
/// generated from them would be refused.
fn is_label(key: &str, value: &str) -> bool {
    names::qualified_name(key).is_empty() && names::label_value(value).is_empty()
}

/// Sorts Hubble label strings (`k8s:app=web`, `reserved:host`). Labels and
/// namespace names Kubernetes would not accept are left out.
pub fn parse_labels<'a>(labels: impl IntoIterator<Item = &'a str>) -> ParsedLabels {
    let mut out = ParsedLabels::default();
    for label in labels {
        let (source, rest) = match label.split_once(':') {
            // A key never holds ':' but a value may; only a prefix before
            // any '=' is a source.
            Some((s, r)) if !s.contains('=') => (s, r),
            _ => ("k8s", label),
        };
        let (key, value) = rest.split_once('=').unwrap_or((rest, ""));
        match source {
            "reserved" => {
                if let Some(e) = ReservedEntity::from_label(key)
                    && out
                        .reserved
                        .is_none_or(|old| e.specificity() > old.specificity())
                {
                    out.reserved = Some(e);
                }
            }
            "k8s" | "any" | "unspec" => {
                if key == "io.kubernetes.pod.namespace" {
                    if names::dns1123_label(value).is_empty() {
                        out.namespace = Some(value.to_string());
                    }
                } else if let Some(ns_key) = key.strip_prefix("io.cilium.k8s.namespace.labels.") {
                    if is_label(ns_key, value) {
                        out.namespace_labels
                            .insert(ns_key.to_string(), value.to_string());
                    }
                } else if !is_volatile_label(key) && is_label(key, value) {
                    out.pod.insert(key.to_string(), value.to_string());
                }
            }
            // cidr:, fqdn:, container:, cni: … say nothing about the pod.
            _ => {}
        }
    }
    out
}

/// A workload's short name, for policy names and messages: the usual app
/// label, else the pod name without its ReplicaSet/StatefulSet suffix.
pub fn workload_name(labels: &BTreeMap<String, String>, pod_name: Option<&str>) -> String {
    for key in [
        "app.kubernetes.io/name",
        "app",
        "k8s-app",
        "name",
        "app.kubernetes.io/instance",
        "component",
    ] {
        if let Some(v) = labels.get(key).filter(|v| !v.is_empty()) {
            return v.clone();
        }
    }
    if let Some(pod) = pod_name.filter(|p| !p.is_empty()) {
        return strip_pod_suffix(pod).to_string();
    }
    labels
        .values()
        .find(|v| !v.is_empty())
        .cloned()
        .unwrap_or_else(|| "workload".to_string())
}

/// `web-7d4b9c8f6-x2x9z` → `web`; `db-0` → `db`.
fn strip_pod_suffix(pod: &str) -> &str {
    let mut name = pod;
    // ReplicaSet pods: <deployment>-<hash>-<5 chars>.
    if let Some((head, tail)) = name.rsplit_once('-')
        && tail.len() == 5
        && tail
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        name = head;
        if let Some((head, tail)) = name.rsplit_once('-')
            && (6..=10).contains(&tail.len())
            && tail
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            name = head;
        }
        return name;
    }
    // StatefulSet pods: <name>-<ordinal>.
    if let Some((head, tail)) = name.rsplit_once('-')
        && !tail.is_empty()
        && tail.bytes().all(|b| b.is_ascii_digit())
    {
        return head;
    }
    name
}

/// Turns any text into a DNS-1123 label fragment (lowercase alphanumerics
/// and `-`, no leading/trailing `-`, at most `max` bytes).
pub fn dns_label(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.truncate(max);
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push('x');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_that_change_with_rollouts_are_volatile() {
        for key in [
            "pod-template-hash",
            "rollouts-pod-template-hash",
            "elasticsearch.k8s.elastic.co/config-hash",
            "kibana.k8s.elastic.co/config-checksum",
            "helm.sh/chart",
            "app.kubernetes.io/version",
            "batch.kubernetes.io/job-name",
        ] {
            assert!(is_volatile_label(key), "{key}");
        }
        for key in [
            "app",
            "version",
            "app.kubernetes.io/name",
            "tier",
            "hashes-of/app",
        ] {
            assert!(!is_volatile_label(key), "{key}");
        }
        let parsed = parse_labels([
            "k8s:app=es",
            "k8s:elasticsearch.k8s.elastic.co/config-hash=4178477",
            "k8s:version=7.8.0",
        ]);
        assert_eq!(
            parsed.pod.keys().collect::<Vec<_>>(),
            ["app", "version"],
            "a config hash never reaches a selector"
        );
    }

    /// Found by the generate_check fuzz target: a damaged label key in a
    /// flow log became a selector the apiserver refuses.
    #[test]
    fn labels_kubernetes_refuses_are_left_out() {
        let p = parse_labels([
            "k8s:app=web",
            "k8s:io.kubernetes.pod.na``mespace=x",
            "k8s:tier=-bad",
            "k8s:io.cilium.k8s.namespace.labels.team=a b",
            "k8s:io.kubernetes.pod.namespace=Not/A/Namespace",
        ]);
        assert_eq!(p.pod.keys().collect::<Vec<_>>(), ["app"]);
        assert!(p.namespace_labels.is_empty());
        assert_eq!(p.namespace, None);
    }

    #[test]
    fn labels_are_sorted_into_meaning() {
        let p = parse_labels([
            "k8s:app=reviews",
            "k8s:io.cilium.k8s.namespace.labels.istio-injection=enabled",
            "k8s:io.cilium.k8s.policy.cluster=default",
            "k8s:io.cilium.k8s.policy.serviceaccount=bookinfo-reviews",
            "k8s:io.kubernetes.pod.namespace=bookinfo",
            "k8s:pod-template-hash=545db77b95",
            "k8s:security.istio.io/tlsMode=istio",
            "k8s:version=v1",
            "container:foo=bar",
        ]);
        assert_eq!(p.namespace.as_deref(), Some("bookinfo"));
        assert_eq!(
            p.pod.keys().map(String::as_str).collect::<Vec<_>>(),
            ["app", "security.istio.io/tlsMode", "version"]
        );
        assert_eq!(
            p.namespace_labels
                .get("istio-injection")
                .map(String::as_str),
            Some("enabled")
        );
        assert_eq!(p.reserved, None);
    }

    #[test]
    fn reserved_labels_pick_the_most_specific() {
        let p = parse_labels(["reserved:host", "reserved:kube-apiserver"]);
        assert_eq!(p.reserved, Some(ReservedEntity::KubeApiserver));
        assert_eq!(
            parse_labels(["reserved:world-ipv4"]).reserved,
            Some(ReservedEntity::World)
        );
        assert_eq!(
            ReservedEntity::from_number(6),
            Some(ReservedEntity::RemoteNode)
        );
        assert_eq!(ReservedEntity::from_number(256), None);
    }

    #[test]
    fn workload_names() {
        let mut l = BTreeMap::new();
        assert_eq!(
            workload_name(&l, Some("reviews-v1-545db77b95-s6jb8")),
            "reviews-v1"
        );
        assert_eq!(workload_name(&l, Some("db-0")), "db");
        assert_eq!(workload_name(&l, Some("xwing")), "xwing");
        l.insert("k8s-app".into(), "kube-dns".into());
        assert_eq!(workload_name(&l, Some("coredns-abc")), "kube-dns");
        assert_eq!(dns_label("Foo_Bar..baz-", 63), "foo-bar-baz");
    }
}
