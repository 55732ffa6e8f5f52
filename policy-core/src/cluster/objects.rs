//! Building a [`Cluster`] from Kubernetes `Namespace` and `Pod` objects.

use std::net::IpAddr;

use crate::model::port::Protocol;
use crate::model::{Namespace, Pod};

use super::{Cluster, ContainerPort, Owner, PodInfo};

/// A Pod or Namespace object the cluster model cannot use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// An object lacks `metadata.name`.
    #[error("{kind} #{index} has no metadata.name")]
    MissingName {
        /// `Pod` or `Namespace`.
        kind: &'static str,
        /// Position among objects of that kind.
        index: usize,
    },
    /// A field holds a value of the wrong form.
    #[error("pod {pod}: {field}: {why}")]
    InvalidField {
        /// `namespace/name`.
        pod: String,
        /// Field path, such as `status.podIPs[0].ip`.
        field: String,
        /// What is wrong.
        why: String,
    },
    /// The same pod twice.
    #[error("pod {0} is listed twice")]
    DuplicatePod(String),
}

impl Cluster {
    /// Builds the cluster from Namespace and Pod objects (what `kubectl get
    /// namespaces,pods -A -o yaml` lists). Pods without a namespace are in
    /// `default`; namespaces not listed are created with only their
    /// `kubernetes.io/metadata.name` label. Pods that have finished
    /// (`status.phase` Succeeded or Failed, such as a CronJob's last run)
    /// stay, as their workload's pods (the policies select its next run as
    /// they select them; netpol-analyzer keeps them too), but without
    /// addresses: a finished pod's IP is released, and may be another
    /// pod's by now.
    pub fn from_objects(namespaces: &[Namespace], pods: &[Pod]) -> Result<Cluster, ClusterError> {
        let mut cluster = Cluster::new();
        let mut names: std::collections::HashSet<(String, String)> = Default::default();
        for (index, ns) in namespaces.iter().enumerate() {
            let name = ns
                .metadata
                .name
                .as_deref()
                .ok_or(ClusterError::MissingName {
                    kind: "Namespace",
                    index,
                })?;
            cluster.add_namespace(name, ns.metadata.labels.clone().unwrap_or_default());
        }
        for (index, pod) in pods.iter().enumerate() {
            let finished = pod
                .status
                .as_ref()
                .and_then(|s| s.phase.as_deref())
                .is_some_and(|p| p == "Succeeded" || p == "Failed");
            let mut info = pod_info(pod, index)?;
            if finished {
                info.ips.clear();
            }
            if !names.insert((info.namespace.clone(), info.name.clone())) {
                return Err(ClusterError::DuplicatePod(format!(
                    "{}/{}",
                    info.namespace, info.name
                )));
            }
            cluster.add_pod(info);
        }
        Ok(cluster)
    }
}

fn pod_info(pod: &Pod, index: usize) -> Result<PodInfo, ClusterError> {
    let name = pod
        .metadata
        .name
        .as_deref()
        .ok_or(ClusterError::MissingName { kind: "Pod", index })?;
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    let id = format!("{namespace}/{name}");
    let invalid = |field: String, why: String| ClusterError::InvalidField {
        pod: id.clone(),
        field,
        why,
    };
    // The apiserver's rules: a pod's namespace is a DNS-1123 label, its
    // name a DNS-1123 subdomain. Anything else (a `/` in particular) could
    // not be named as `namespace/pod` on the command line or in the API.
    let names = [
        (
            "metadata.namespace",
            crate::validate::names::dns1123_label(namespace),
        ),
        (
            "metadata.name",
            crate::validate::names::dns1123_subdomain(name),
        ),
    ];
    for (field, errors) in names {
        if let Some(why) = errors.into_iter().next() {
            return Err(invalid(field.to_string(), why));
        }
    }
    let parse_ip = |s: &str, field: String| -> Result<IpAddr, ClusterError> {
        s.parse()
            .map_err(|_| invalid(field, format!("`{s}` is not an IP address")))
    };

    let mut info = PodInfo::new(
        namespace,
        name,
        pod.metadata.labels.clone().unwrap_or_default(),
    );
    info.owner = controller_owner(pod.metadata.owner_references.as_ref());
    if let Some(spec) = &pod.spec {
        info.host_network = spec.host_network.unwrap_or(false);
        info.service_account = spec.service_account_name.clone();
        for (ci, container) in spec.containers.iter().enumerate() {
            for (pi, port) in container.ports.iter().flatten().enumerate() {
                // A port without a number matches nothing; the reader
                // warns about it (`ClusterReader::read`).
                let Some(container_port) = port.container_port else {
                    continue;
                };
                let field = format!("spec.containers[{ci}].ports[{pi}]");
                let number = u16::try_from(container_port)
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| {
                        invalid(format!("{field}.containerPort"), "must be 1-65535".into())
                    })?;
                let protocol = match port.protocol.as_deref() {
                    None => Protocol::Tcp,
                    Some(p) => Protocol::parse(p).ok_or_else(|| {
                        invalid(
                            format!("{field}.protocol"),
                            format!("unknown protocol `{p}`"),
                        )
                    })?,
                };
                info.ports.push(ContainerPort {
                    name: port.name.clone(),
                    port: number,
                    protocol,
                });
            }
        }
    }
    if let Some(status) = &pod.status {
        for (i, ip) in status.pod_ips.iter().flatten().enumerate() {
            let addr = parse_ip(&ip.ip, format!("status.podIPs[{i}].ip"))?;
            if !info.ips.contains(&addr) {
                info.ips.push(addr);
            }
        }
        if let Some(ip) = status.pod_ip.as_deref().filter(|s| !s.is_empty()) {
            let addr = parse_ip(ip, "status.podIP".into())?;
            if !info.ips.contains(&addr) {
                info.ips.insert(0, addr);
            }
        }
        if let Some(ip) = status.host_ip.as_deref().filter(|s| !s.is_empty()) {
            info.node_ip = Some(parse_ip(ip, "status.hostIP".into())?);
        }
    }
    Ok(info)
}

/// The workload a pod belongs to, as netpol-analyzer reads it: its
/// controlling owner reference (`controller: true`; other owners only
/// collect garbage), unless that is a Node (the mirror of a static pod,
/// which belongs to no workload). An owner without a `kind` is written as
/// a Pod, as netpol-analyzer writes it.
fn controller_owner(refs: Option<&serde_json::Value>) -> Option<Owner> {
    let owner = refs?
        .as_array()?
        .iter()
        .find(|r| r["controller"].as_bool() == Some(true))?;
    let kind = owner["kind"].as_str().unwrap_or_default();
    if kind == "Node" {
        return None;
    }
    Some(Owner {
        kind: if kind.is_empty() { "Pod" } else { kind }.to_string(),
        name: owner["name"]
            .as_str()
            .filter(|n| !n.is_empty())?
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_pods_stay_without_addresses() {
        let pod = |name: &str, phase: &str| -> Pod {
            serde_yaml::from_str(&format!(
                "metadata: {{name: {name}, namespace: x, labels: {{job: j}}}}\n\
                 status: {{phase: {phase}, podIP: 10.0.0.9, podIPs: [{{ip: 10.0.0.9}}], hostIP: 192.168.0.1}}"
            ))
            .unwrap()
        };
        let c = Cluster::from_objects(
            &[],
            &[
                pod("done", "Succeeded"),
                pod("broke", "Failed"),
                pod("runs", "Running"),
            ],
        )
        .unwrap();
        let ips: Vec<(&str, usize)> = c
            .pods
            .iter()
            .map(|p| (p.name.as_str(), p.ips.len()))
            .collect();
        assert_eq!(ips, [("done", 0), ("broke", 0), ("runs", 1)]);
        // The address is the running pod's alone.
        let found = c.find(&"ip:10.0.0.9".parse().unwrap()).unwrap();
        assert_eq!(found, crate::cluster::EndpointId(2));
    }

    #[test]
    fn the_workload_is_the_controlling_owner_but_a_node() {
        let owner = |refs: &str| {
            let v: serde_json::Value = serde_json::from_str(refs).unwrap();
            controller_owner(Some(&v)).map(|o| format!("{}/{}", o.kind, o.name))
        };
        let rs = r#"{"kind": "ReplicaSet", "name": "web-7d4b9c", "controller": true}"#;
        assert_eq!(
            owner(&format!("[{rs}]")).as_deref(),
            Some("ReplicaSet/web-7d4b9c")
        );
        // Only the controller: other owners collect garbage.
        let gc = r#"{"kind": "ConfigMap", "name": "cm"}"#;
        assert_eq!(
            owner(&format!("[{gc}, {rs}]")).as_deref(),
            Some("ReplicaSet/web-7d4b9c")
        );
        assert_eq!(owner(&format!("[{gc}]")), None);
        // A static pod's mirror is owned by its Node: no workload.
        assert_eq!(
            owner(r#"[{"kind": "Node", "name": "n1", "controller": true}]"#),
            None
        );
        // No kind: written as a Pod (netpol-analyzer); no name: no owner.
        assert_eq!(
            owner(r#"[{"name": "internal-security", "controller": true}]"#).as_deref(),
            Some("Pod/internal-security")
        );
        assert_eq!(owner(r#"[{"kind": "Job", "controller": true}]"#), None);
        assert_eq!(owner("[]"), None);
    }

    #[test]
    fn reads_pods_and_namespaces() {
        let ns: Namespace = serde_yaml::from_str("metadata: {name: x, labels: {ns: x}}").unwrap();
        let pod: Pod = serde_yaml::from_str(
            r#"
metadata: {name: a, namespace: x, labels: {pod: a}}
spec:
  containers:
  - name: c
    ports:
    - {containerPort: 80, name: serve-80-tcp}
    - {containerPort: 81, protocol: UDP}
status: {podIP: 10.0.0.1, hostIP: 192.168.0.1, podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}]}
"#,
        )
        .unwrap();
        let other: Pod = serde_yaml::from_str("metadata: {name: b, namespace: y}").unwrap();
        let c = Cluster::from_objects(&[ns], &[pod, other]).unwrap();
        assert_eq!(c.pods[0].ips.len(), 2);
        assert_eq!(c.pods[0].ports[0].protocol, Protocol::Tcp);
        assert_eq!(c.pods[0].ports[1].protocol, Protocol::Udp);
        assert_eq!(
            c.namespace("x").unwrap().labels["kubernetes.io/metadata.name"],
            "x"
        );
        assert_eq!(c.namespace("y").unwrap().labels.len(), 1);
    }

    #[test]
    fn bad_ip_says_where() {
        let pod: Pod =
            serde_yaml::from_str("metadata: {name: a, namespace: x}\nstatus: {podIP: nope}")
                .unwrap();
        let err = Cluster::from_objects(&[], &[pod]).unwrap_err().to_string();
        assert!(err.contains("x/a") && err.contains("status.podIP"), "{err}");
    }

    /// Found by the cluster_reader fuzz target: a pod named
    /// `networking.k7s.io/v1` made a cluster whose pod no `namespace/pod`
    /// text could name. Names follow the apiserver's rules.
    #[test]
    fn pod_names_and_namespaces_are_kubernetes_names() {
        for (yaml, field) in [
            ("metadata: {name: a/b}", "metadata.name"),
            ("metadata: {name: Web}", "metadata.name"),
            ("metadata: {name: a, namespace: x/y}", "metadata.namespace"),
            ("metadata: {name: a, namespace: x.y}", "metadata.namespace"),
        ] {
            let pod: Pod = serde_yaml::from_str(yaml).unwrap();
            let err = Cluster::from_objects(&[], &[pod]).unwrap_err().to_string();
            assert!(err.contains(field), "{yaml}: {err}");
        }
        let pod: Pod = serde_yaml::from_str("metadata: {name: web-0.a, namespace: x-1}").unwrap();
        assert!(Cluster::from_objects(&[], &[pod]).is_ok());
    }
}
