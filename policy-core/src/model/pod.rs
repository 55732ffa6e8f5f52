//! `v1` Pod, reduced to what policies care about.
//!
//! k8s-openapi's `Pod` drags in the whole `PodSpec` tree (containers,
//! volumes, probes, affinity, security contexts: a few hundred types), and
//! with them their (de)serialization code into the page's WASM bundle.
//! Policies only look at a pod's labels, namespace, host
//! networking, service account, declared container ports (named ports),
//! phase and IPs, so this type reads those, with the field names and shapes
//! k8s-openapi uses. The object as read is kept in [`Pod::source`], so a pod
//! read and written back loses nothing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ObjectMeta;

/// A `v1` Pod.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pod {
    /// Name, namespace, labels.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The pod's spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<PodSpec>,
    /// The pod's status (IPs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PodStatus>,
    /// The whole object as read (when it was read from text); the emitter
    /// writes it back as is, so fields this model does not interpret
    /// survive. `None` for pods built in code.
    #[serde(skip)]
    pub source: Option<Value>,
}

/// The part of `PodSpec` policies use.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// Containers; their ports give named ports their numbers.
    #[serde(default)]
    pub containers: Vec<Container>,
    /// Host-network pods are not isolated by NetworkPolicy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    /// The service account (Cilium's `io.cilium.k8s.policy.serviceaccount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
}

/// A container, for its ports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// The container's name.
    #[serde(default)]
    pub name: String,
    /// Declared ports. An empty object (`ports: {}`) reads as no ports:
    /// the apiserver would refuse it, netpol-analyzer's test clusters use
    /// it, and it declares nothing (the cluster reader warns about it).
    #[serde(
        default,
        deserialize_with = "ports_or_empty_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub ports: Option<Vec<ContainerPort>>,
}

/// `ports` as a list, or an empty object read as an empty list.
fn ports_or_empty_object<'de, D>(deserializer: D) -> Result<Option<Vec<ContainerPort>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct PortsVisitor;
    impl<'de> serde::de::Visitor<'de> for PortsVisitor {
        type Value = Option<Vec<ContainerPort>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of container ports")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(Some)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            match map.next_key::<String>()? {
                None => Ok(Some(Vec::new())),
                Some(key) => Err(serde::de::Error::custom(format!(
                    "expected a list of container ports, found a map (key `{key}`)"
                ))),
            }
        }
    }
    deserializer.deserialize_any(PortsVisitor)
}

/// A declared container port.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    /// The port number. Required by the apiserver; a manifest that leaves
    /// it out (or misspells it, `containerport`) still reads, as it does in
    /// netpol-analyzer, and the port is ignored with a warning
    /// ([`ContainerPort::is_numbered`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
    /// The port's name, which policies can use instead of the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `TCP` (default), `UDP` or `SCTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

impl ContainerPort {
    /// Whether the port has a number; one without is ignored (no policy
    /// port, named or numbered, can match it).
    pub fn is_numbered(&self) -> bool {
        self.container_port.is_some()
    }
}

impl PodSpec {
    /// `(container index, port index)` of every declared port without a
    /// number, for the warning that says it is ignored.
    pub fn unnumbered_ports(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (ci, c) in self.containers.iter().enumerate() {
            for (pi, p) in c.ports.iter().flatten().enumerate() {
                if !p.is_numbered() {
                    out.push((ci, pi));
                }
            }
        }
        out
    }
}

/// The part of `PodStatus` policies use.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    /// `Pending`, `Running`, `Succeeded`, `Failed`; finished pods hold no
    /// IP: cluster models keep them without addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The primary pod IP.
    #[serde(default, rename = "podIP", skip_serializing_if = "Option::is_none")]
    pub pod_ip: Option<String>,
    /// All pod IPs (dual stack).
    #[serde(default, rename = "podIPs", skip_serializing_if = "Option::is_none")]
    pub pod_ips: Option<Vec<PodIp>>,
    /// The node's IP (host-network pods use it).
    #[serde(default, rename = "hostIP", skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
}

/// One entry of `status.podIPs`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PodIp {
    /// The address.
    pub ip: String,
}
