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
#[cfg(not(target_arch = "wasm32"))]
use crate::yaml::{LeanObject, read_lean};
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
        // A valid JSON dump is read without positions, a small part of the
        // memory; anything with something to report is read again with
        // them. (Not in the page, to keep its bundle small.)
        #[cfg(not(target_arch = "wasm32"))]
        if self.read_lean(text) {
            return Vec::new();
        }
        self.read_with_spans(text)
    }

    /// [`ClusterReader::read`] with the span-keeping reader alone.
    fn read_with_spans(&mut self, text: &str) -> Vec<Diagnostic> {
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

    /// Reads `text` with the lean reader ([`read_lean`]): `false`, having
    /// read nothing, when it declines the text or a workload in it is
    /// invalid (the span-keeping reader then says where). The objects are
    /// kept in the order [`ClusterReader::read`] keeps them: namespaces,
    /// pods and policies in source order, then the workloads' pods.
    #[cfg(not(target_arch = "wasm32"))]
    fn read_lean(&mut self, text: &str) -> bool {
        // What the span-keeping reader warns about (with its line) is left
        // to it: `ports` given as a map, ports without a number.
        if ports_map_in_json(text) {
            return false;
        }
        let Some(objects) = read_lean(text) else {
            return false;
        };
        let mut workload_pods = Vec::new();
        for o in &objects {
            if let LeanObject::Other { kind, json } = o
                && WORKLOAD_KINDS.contains(&kind.as_str())
            {
                let Ok(value) = serde_json::from_str::<Value>(json) else {
                    return false;
                };
                match workload_pod(kind, &value) {
                    Ok(pod) => workload_pods.push(pod),
                    Err(_) => return false,
                }
            }
        }
        let unnumbered = |pod: &Pod| {
            pod.spec
                .as_ref()
                .is_some_and(|s| !s.unnumbered_ports().is_empty())
        };
        let direct_pods = objects.iter().filter_map(|o| match o {
            LeanObject::Object(Object::Pod(p)) => Some(p),
            _ => None,
        });
        if direct_pods.chain(&workload_pods).any(unnumbered) {
            return false;
        }
        for o in objects {
            match o {
                LeanObject::Object(Object::Namespace(n)) => self.namespaces.push(n),
                LeanObject::Object(Object::Pod(p)) => self.pods.push(p),
                LeanObject::Object(Object::Policy(p)) => self.policies.push(p),
                LeanObject::Other { kind, .. } => {
                    if !WORKLOAD_KINDS.contains(&kind.as_str()) {
                        *self.skipped.entry(kind).or_default() += 1;
                    }
                }
            }
        }
        self.workloads += workload_pods.len();
        self.pods.append(&mut workload_pods);
        true
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
        let pods = named_apart(self.pods);
        let cluster = Cluster::from_objects(&self.namespaces, &pods)?;
        Ok(ClusterInput {
            cluster,
            policies: self.policies,
            skipped: self.skipped,
            workloads: self.workloads,
        })
    }

    /// The namespaces and pods read, a workload as one pod named as in
    /// [`ClusterReader::finish`]: what the lints' cluster view takes.
    pub fn into_objects(self) -> (Vec<Namespace>, Vec<Pod>) {
        (self.namespaces, named_apart(self.pods))
    }
}

/// A workload and a pod (or two workloads of different kinds) may share a
/// name; the pod keeps it, the workload's pod is renamed `name.kind`.
fn named_apart(mut pods: Vec<Pod>) -> Vec<Pod> {
    let mut seen: HashSet<(String, String)> = HashSet::new();
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
    pods
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

/// Whether a JSON text gives some `ports` as an object (`"ports": {}`),
/// which the span-keeping reader reads with a warning.
#[cfg(not(target_arch = "wasm32"))]
fn ports_map_in_json(text: &str) -> bool {
    text.match_indices("\"ports\"").any(|(at, key)| {
        let rest = text[at + key.len()..].trim_start();
        rest.strip_prefix(':')
            .is_some_and(|value| value.trim_start().starts_with('{'))
    })
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

    /// A JSON dump with every kind the reader meets, as `kubectl get -o
    /// json` writes it.
    const DUMP: &str = r#"{
  "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
  "items": [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"kubernetes.io/metadata.name": "shop", "team": "a\u00e9\n"}}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-7d4b9c-x2k8p", "namespace": "shop", "labels": {"app": "web", "pod-template-hash": "7d4b9c"},
      "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c", "controller": true, "uid": "1"}]},
     "spec": {"serviceAccountName": "web", "containers": [{"name": "c", "image": "x", "ports": [{"name": "http", "containerPort": 8080}, {"containerPort": 53, "protocol": "UDP"}]}]},
     "status": {"phase": "Running", "podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}], "hostIP": "192.168.0.1"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "node-agent", "namespace": "kube-system"}, "spec": {"hostNetwork": true, "containers": []}, "status": {"podIP": "192.168.0.1"}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}, "spec": {"template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 9090, "name": "metrics"}]}]}}}},
    {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "shop"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}},
    null,
    {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}]},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np", "namespace": "shop"},
     "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}], "ports": [{"port": "http"}, {"port": 30000, "endPort": 30010}]}]}},
    {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "cnp", "namespace": "shop"},
     "spec": {"endpointSelector": {}, "egress": [{"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}], "toPorts": [{"ports": [{"port": "443"}], "rules": {"http": [{"method": "GET"}]}}]}]}},
    {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "ccnp"}, "spec": {"endpointSelector": {}, "ingress": [{"fromEntities": ["world"]}]}}
  ]
}"#;

    /// Whether the lean reader took `text`, and what `read` and the span
    /// reader alone made of it (their diagnostics must be equal too).
    fn both_readers(text: &str) -> (bool, ClusterInput, ClusterInput) {
        let took = ClusterReader::new().read_lean(text);
        let mut spans = ClusterReader::new();
        let diags = spans.read_with_spans(text);
        let mut either = ClusterReader::new();
        assert_eq!(either.read(text), diags);
        (took, either.finish().unwrap(), spans.finish().unwrap())
    }

    #[test]
    fn the_lean_reader_reads_a_valid_dump_as_the_span_reader_does() {
        for text in [
            DUMP.to_string(),
            format!("\u{feff}{DUMP}"),
            DUMP.replace("  ", "\t"),
        ] {
            let (took, lean, spans) = both_readers(&text);
            assert!(took, "a valid JSON dump is read lean");
            assert_eq!(lean, spans);
        }
        let (_, lean, _) = both_readers(DUMP);
        assert_eq!(lean.policies.len(), 3);
        assert_eq!(lean.workloads, 2);
        assert_eq!(lean.skipped.len(), 2);
        assert_eq!(lean.cluster.pods.len(), 4);
    }

    #[test]
    fn the_lean_reader_leaves_what_has_a_diagnostic_to_the_span_reader() {
        for (what, from, to) in [
            (
                "duplicate key",
                r#""team": "a"#,
                r#""team": "b", "team": "a"#,
            ),
            (
                "wrong apiVersion",
                r#""apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy""#,
                r#""apiVersion": "cilium.io/v1", "kind": "CiliumNetworkPolicy""#,
            ),
            (
                "wrong type",
                r#""containerPort": 8080"#,
                r#""containerPort": "x""#,
            ),
            (
                "a float",
                r#""containerPort": 8080"#,
                r#""containerPort": 8080.0"#,
            ),
            (
                "a huge integer",
                r#""containerPort": 8080"#,
                r#""containerPort": 18446744073709551615"#,
            ),
            ("no kind", r#""kind": "Service", "#, ""),
            (
                "a workload without template",
                r#""jobTemplate""#,
                r#""notJobTemplate""#,
            ),
            (
                "a surrogate escape",
                r#""team": "a"#,
                r#""team": "\ud83d\ude00a"#,
            ),
            ("a syntax error", r#""items": ["#, r#""items": [,"#),
            ("two objects", "\n}", "\n}{}"),
        ] {
            assert!(DUMP.contains(from), "{what}");
            let text = DUMP.replacen(from, to, 1);
            let (took, lean, spans) = both_readers(&text);
            assert!(!took, "{what} is declined");
            assert_eq!(lean, spans, "{what}");
        }
        // An item of a typed List without its own kind.
        let typed = r#"{"apiVersion": "v1", "kind": "NamespaceList", "items": [{"metadata": {"name": "a"}}]}"#;
        let (took, lean, spans) = both_readers(typed);
        assert!(!took);
        assert_eq!(lean, spans);
        assert!(lean.cluster.namespace("a").is_some());
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
    fn json_dumps_with_what_the_span_reader_warns_about_keep_the_warning() {
        // The lean JSON reader leaves these to the span-keeping reader.
        let unnumbered = r#"{"kind": "Pod", "apiVersion": "v1",
 "metadata": {"name": "p", "namespace": "default"},
 "spec": {"containers": [{"ports": [{"containerport": 80}]}]}}"#;
        let diags = ClusterReader::new().read(unnumbered);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, "port-without-number");
        assert_eq!(diags[0].line, Some(3));
        assert!(super::ports_map_in_json(r#"{"spec": {"ports" :  {}}}"#));
        assert!(!super::ports_map_in_json(r#"{"ports": [], "x": "ports"}"#));
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
