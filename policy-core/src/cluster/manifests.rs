//! Reading a cluster from files: `kubectl get namespaces,pods -A -o yaml`
//! dumps, and workload manifests as they sit in a Git repository.
//!
//! [`ClusterReader`] is the one place where objects become a [`Cluster`]:
//! the CLI, the HTTP API, the posture summary and the page all feed it text.
//!
//! - `Namespace` and `Pod` objects are read as they are; a pod's controlling
//!   `ownerReferences` entry names its workload.
//! - `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet`,
//!   `ReplicationController`, `Job` and `CronJob` become one pod each, with
//!   the pod template's labels and container ports, owned by the workload
//!   (`ns/name[Kind]` in the connection list). Namespaces default to
//!   `default`; namespaces only referenced still exist.
//! - Policies are collected too; every other kind (Services, ConfigMaps,
//!   CRDs, …) is skipped and counted, not an error.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use super::{Cluster, ClusterError};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Namespace, Pod, Policy};
use crate::source_map::{SourceNode, SourceValue};
use crate::yaml::{Object, parse_documents, reader};

/// Workload kinds whose pod template becomes a pod of the cluster.
pub const WORKLOAD_KINDS: [&str; 7] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

const KNOWN_KINDS: [&str; 5] = [
    "NetworkPolicy",
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "Namespace",
    "Pod",
];

/// Collects namespaces, pods, workloads and policies from any number of
/// texts, then builds the cluster.
#[derive(Clone, Debug, Default)]
pub struct ClusterReader {
    namespaces: Vec<Namespace>,
    pods: Vec<Pod>,
    policies: Vec<Policy>,
    skipped: BTreeMap<String, usize>,
    workloads: usize,
}

/// What a [`ClusterReader`] read.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterInput {
    /// The cluster model.
    pub cluster: Cluster,
    /// The policies found among the objects, in order.
    pub policies: Vec<Policy>,
    /// Objects of kinds that play no part, by kind.
    pub skipped: BTreeMap<String, usize>,
    /// How many workload manifests became pods.
    pub workloads: usize,
}

impl ClusterReader {
    /// An empty reader.
    pub fn new() -> Self {
        ClusterReader::default()
    }

    /// Reads one text (a file: YAML or JSON, one or more documents, `List`s).
    /// Returns its diagnostics; those of severity error mean some object
    /// could not be read (the rest were).
    pub fn read(&mut self, text: &str) -> Vec<Diagnostic> {
        let parsed = parse_documents(text);
        let mut other_kinds = false;
        let mut diagnostics = Vec::new();
        for d in parsed.diagnostics {
            if d.code == "unsupported-kind" {
                other_kinds = true;
            } else {
                diagnostics.push(d);
            }
        }
        for o in parsed.objects {
            match o.object {
                Object::Namespace(n) => self.namespaces.push(n),
                Object::Pod(mut p) => {
                    if let Some(spec) = o.source_map.node("spec") {
                        for ci in ports_given_as_map(spec) {
                            let field = format!("spec.containers[{ci}].ports");
                            let at = o.source_map.position(&field);
                            diagnostics.push(ports_map_warning(
                                &format!("Pod {}", pod_id(&p)),
                                &field,
                                Some((at.line, at.column)),
                            ));
                        }
                    }
                    for (ci, pi) in p
                        .spec
                        .as_ref()
                        .map(|s| s.unnumbered_ports())
                        .unwrap_or_default()
                    {
                        let field = format!("spec.containers[{ci}].ports[{pi}]");
                        let at = o.source_map.position(&field);
                        diagnostics.push(unnumbered_port_warning(
                            &format!("Pod {}", pod_id(&p)),
                            &field,
                            Some((at.line, at.column)),
                        ));
                    }
                    // The object as read is for re-emission; a cluster
                    // does not need it, and it is most of a dump's memory.
                    p.source = None;
                    self.pods.push(p);
                }
                Object::Policy(p) => self.policies.push(p),
            }
        }
        if other_kinds {
            // Only texts with other kinds are walked a second time.
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            let (docs, _) = reader::read_documents(text);
            for doc in docs {
                if let Some(root) = &doc.root {
                    self.other_kinds(root, &mut diagnostics);
                }
            }
        }
        diagnostics
    }

    fn other_kinds(&mut self, node: &SourceNode, diagnostics: &mut Vec<Diagnostic>) {
        let Some(kind) = node.get("kind").and_then(SourceNode::as_str) else {
            return;
        };
        if kind == "List" || (kind.ends_with("List") && node.get("items").is_some()) {
            if let Some(SourceNode {
                value: SourceValue::Seq(items),
                ..
            }) = node.get("items")
            {
                for item in items {
                    self.other_kinds(item, diagnostics);
                }
            }
            return;
        }
        if KNOWN_KINDS.contains(&kind) {
            return;
        }
        if !WORKLOAD_KINDS.contains(&kind) {
            *self.skipped.entry(kind.to_string()).or_default() += 1;
            return;
        }
        match workload_pod(kind, &node.to_json()) {
            Ok(pod) => {
                let template = if kind == "CronJob" {
                    "spec.jobTemplate.spec.template"
                } else {
                    "spec.template"
                };
                let spec = template
                    .split('.')
                    .chain(["spec"])
                    .try_fold(node, |n, key| n.get(key));
                for ci in spec.map(ports_given_as_map).unwrap_or_default() {
                    diagnostics.push(ports_map_warning(
                        &format!("{kind} {}", pod_id(&pod)),
                        &format!("{template}.spec.containers[{ci}].ports"),
                        Some((node.span.start.line, node.span.start.column)),
                    ));
                }
                for (ci, pi) in pod
                    .spec
                    .as_ref()
                    .map(|s| s.unnumbered_ports())
                    .unwrap_or_default()
                {
                    diagnostics.push(unnumbered_port_warning(
                        &format!("{kind} {}", pod_id(&pod)),
                        &format!("{template}.spec.containers[{ci}].ports[{pi}]"),
                        Some((node.span.start.line, node.span.start.column)),
                    ));
                }
                self.workloads += 1;
                self.pods.push(pod);
            }
            Err(message) => diagnostics.push(Diagnostic {
                policy: None,
                severity: Severity::Error,
                code: "invalid-workload".into(),
                message,
                field: None,
                line: Some(node.span.start.line),
                column: Some(node.span.start.column),
                fix: None,
            }),
        }
    }

    /// The policies read so far.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// The policies read, without building a cluster.
    pub fn into_policies(self) -> Vec<Policy> {
        self.policies
    }

    /// Builds the cluster from everything read.
    pub fn finish(self) -> Result<ClusterInput, ClusterError> {
        // A workload and a pod (or two workloads of different kinds) may
        // share a name; the pod keeps it, the workload's pod is renamed.
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut pods = self.pods;
        for pod in pods.iter_mut().filter(|p| !is_workload_pod(p)) {
            seen.insert(key(pod));
        }
        for pod in pods.iter_mut().filter(|p| is_workload_pod(p)) {
            if !seen.insert(key(pod)) {
                let kind = owner_kind(pod).to_ascii_lowercase();
                if let Some(name) = &mut pod.metadata.name {
                    name.push('.');
                    name.push_str(&kind);
                }
                seen.insert(key(pod));
            }
        }
        let cluster = Cluster::from_objects(&self.namespaces, &pods)?;
        Ok(ClusterInput {
            cluster,
            policies: self.policies,
            skipped: self.skipped,
            workloads: self.workloads,
        })
    }
}

/// `namespace/name` of a pod as read.
fn pod_id(pod: &Pod) -> String {
    let (namespace, name) = key(pod);
    format!("{namespace}/{name}")
}

/// The warning for a container port without `containerPort`: the
/// apiserver would refuse the object; netpol-analyzer reads it and the
/// port matches nothing, and so does palisade, saying so.
fn unnumbered_port_warning(object: &str, field: &str, at: Option<(u32, u32)>) -> Diagnostic {
    Diagnostic {
        policy: None,
        severity: Severity::Warning,
        code: "port-without-number".into(),
        message: format!(
            "{object}: {field} has no containerPort (field names are case-sensitive); the port is ignored"
        ),
        field: Some(field.to_string()),
        line: at.map(|a| a.0),
        column: at.map(|a| a.1),
        fix: None,
    }
}

/// Indices of the containers of a pod spec (as read) whose `ports` is an
/// empty map (`ports: {}`) rather than a list.
fn ports_given_as_map(spec: &SourceNode) -> Vec<usize> {
    let Some(SourceNode {
        value: SourceValue::Seq(containers),
        ..
    }) = spec.get("containers")
    else {
        return Vec::new();
    };
    containers
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            matches!(
                c.get("ports"),
                Some(SourceNode {
                    value: SourceValue::Map(_),
                    ..
                })
            )
        })
        .map(|(i, _)| i)
        .collect()
}

/// The warning for `ports: {}`: the apiserver would refuse it;
/// netpol-analyzer reads it as no ports, and so does palisade, saying so.
fn ports_map_warning(object: &str, field: &str, at: Option<(u32, u32)>) -> Diagnostic {
    Diagnostic {
        policy: None,
        severity: Severity::Warning,
        code: "ports-not-a-list".into(),
        message: format!("{object}: {field} is an empty map, not a list; read as no ports"),
        field: Some(field.to_string()),
        line: at.map(|a| a.0),
        column: at.map(|a| a.1),
        fix: None,
    }
}

fn key(pod: &Pod) -> (String, String) {
    (
        pod.metadata
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into()),
        pod.metadata.name.clone().unwrap_or_default(),
    )
}

/// Annotation marking a pod made from a workload's template.
const FROM_WORKLOAD: &str = "palisade.dev/from-workload";

fn is_workload_pod(pod: &Pod) -> bool {
    pod.metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(FROM_WORKLOAD))
}

fn owner_kind(pod: &Pod) -> String {
    pod.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(FROM_WORKLOAD))
        .cloned()
        .unwrap_or_default()
}

/// The pod a workload's template describes, owned by the workload.
fn workload_pod(kind: &str, object: &Value) -> Result<Pod, String> {
    let name = object["metadata"]["name"]
        .as_str()
        .ok_or_else(|| format!("{kind} has no metadata.name"))?;
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    let (template, path) = if kind == "CronJob" {
        (
            &object["spec"]["jobTemplate"]["spec"]["template"],
            "spec.jobTemplate.spec.template",
        )
    } else {
        (&object["spec"]["template"], "spec.template")
    };
    if !template.is_object() {
        return Err(format!("{kind} {namespace}/{name}: {path} is missing"));
    }
    let value = json!({
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": template["metadata"]["labels"],
            "annotations": { FROM_WORKLOAD: kind },
            "ownerReferences": [{"kind": kind, "name": name, "controller": true}],
        },
        "spec": template["spec"],
    });
    serde_json::from_value::<Pod>(value)
        .map_err(|e| format!("{kind} {namespace}/{name}: {path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_become_owned_pods_and_other_kinds_are_counted() {
        let mut r = ClusterReader::new();
        let diags = r.read(
            r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        ports: [{containerPort: 8080, name: http}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: nightly}}
        spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
- {apiVersion: v1, kind: Pod, metadata: {name: web, namespace: shop, labels: {app: debug}}}
"#,
        );
        assert!(diags.is_empty(), "{diags:?}");
        let input = r.finish().unwrap();
        assert_eq!(input.workloads, 2);
        assert_eq!(input.skipped["Service"], 1);
        assert_eq!(input.skipped["ConfigMap"], 1);
        let c = &input.cluster;
        assert_eq!(c.pods.len(), 3);
        let web = c.pods.iter().find(|p| p.name == "web.deployment").unwrap();
        assert_eq!(web.owner.as_ref().unwrap().kind, "Deployment");
        assert_eq!(web.owner.as_ref().unwrap().name, "web");
        assert_eq!(web.labels["app"], "web");
        assert_eq!(web.ports[0].port, 8080);
        let nightly = c.pods.iter().find(|p| p.name == "nightly").unwrap();
        assert_eq!(nightly.namespace, "default");
        assert_eq!(nightly.owner.as_ref().unwrap().kind, "CronJob");
        assert!(c.namespace("default").is_some() && c.namespace("shop").is_some());
        // The bare pod keeps its name and has no owner.
        let bare = c.pods.iter().find(|p| p.name == "web").unwrap();
        assert!(bare.owner.is_none());
    }

    #[test]
    fn items_of_a_typed_list_may_leave_out_their_kind() {
        // What `kubectl get namespaces -o yaml` printed in older versions.
        let mut r = ClusterReader::new();
        let diags = r.read(
            "apiVersion: v1\nkind: NamespaceList\nitems:\n- metadata: {name: a, labels: {team: x}}\n- metadata: {name: b}\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let c = r.finish().unwrap().cluster;
        assert_eq!(c.namespace("a").unwrap().labels["team"], "x");
        assert!(c.namespace("b").is_some());
    }

    #[test]
    fn a_port_without_number_is_ignored_with_a_warning() {
        // netpol-analyzer's tests/netpol_named_port_test: `containerport`.
        let mut r = ClusterReader::new();
        let diags = r.read(
            "kind: Deployment
apiVersion: apps/v1
metadata: {name: a, namespace: hw}
spec:
  template:
    metadata: {labels: {app: a}}
    spec:
      containers:
      - ports:
        - {name: newport, containerPort: 8956, protocol: SCTP}
        - {name: udps, containerport: 3535, protocol: UDP}
---
kind: Pod
apiVersion: v1
metadata: {name: p, namespace: hw}
spec:
  containers:
  - ports:
    - {name: web}
",
        );
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert!(diags.iter().all(|d| d.severity == Severity::Warning));
        assert_eq!(
            diags[0].field.as_deref(),
            Some("spec.containers[0].ports[0]"),
            "the pod's warning comes first: {diags:?}"
        );
        assert_eq!(diags[0].line, Some(19));
        assert!(
            diags[1].message.contains(
                "Deployment hw/a: spec.template.spec.containers[0].ports[1] has no containerPort"
            ),
            "{diags:?}"
        );
        let input = r.finish().unwrap();
        let ports: Vec<u16> = input
            .cluster
            .pods
            .iter()
            .flat_map(|p| p.ports.iter().map(|c| c.port))
            .collect();
        assert_eq!(ports, [8956]);
    }

    #[test]
    fn ports_given_as_an_empty_map_read_as_no_ports_with_a_warning() {
        // netpol-analyzer's semanticDiff-different-topologies-policy-b.
        let mut r = ClusterReader::new();
        let diags = r.read(
            r#"{"kind": "PodList", "apiVersion": "v1", "items": [
  {"kind": "Pod", "apiVersion": "v1",
   "metadata": {"name": "p", "namespace": "default"},
   "spec": {"containers": [{"ports": {}}]}}]}"#,
        );
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].severity, Severity::Warning);
        assert_eq!(diags[0].code, "ports-not-a-list");
        assert_eq!(diags[0].field.as_deref(), Some("spec.containers[0].ports"));
        assert_eq!(diags[0].line, Some(4));
        let input = r.finish().unwrap();
        assert!(input.cluster.pods[0].ports.is_empty());
        // A map that declares something is still an error.
        let diags = ClusterReader::new().read(
            "kind: Pod\napiVersion: v1\nmetadata: {name: q}\nspec:\n  containers:\n  - ports: {http: 80}\n",
        );
        assert!(
            diags
                .iter()
                .any(|d| d.severity == Severity::Error && d.message.contains("found a map")),
            "{diags:?}"
        );
    }

    #[test]
    fn a_workload_without_template_says_where() {
        let mut r = ClusterReader::new();
        let diags =
            r.read("kind: Deployment\napiVersion: apps/v1\nmetadata: {name: x}\nspec: {}\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].severity, Severity::Error);
        assert!(diags[0].message.contains("spec.template"), "{diags:?}");
        assert_eq!(diags[0].line, Some(1));
    }
}
