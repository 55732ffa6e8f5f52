//! The demo cluster the tutorials (and the page's cluster view) run on: a
//! small shop with a web tier, an API, a database, monitoring, a dev
//! namespace and kube-dns, written as `kubectl get namespaces,pods -A -o yaml`
//! prints it.

/// The demo cluster as a `kubectl get namespaces,pods -A -o yaml` dump.
pub const DEMO_CLUSTER_YAML: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
    labels: {kubernetes.io/metadata.name: shop, team: shop}
- apiVersion: v1
  kind: Namespace
  metadata:
    name: monitoring
    labels: {kubernetes.io/metadata.name: monitoring, team: ops}
- apiVersion: v1
  kind: Namespace
  metadata:
    name: dev
    labels: {kubernetes.io/metadata.name: dev, team: shop-dev}
- apiVersion: v1
  kind: Namespace
  metadata:
    name: kube-system
    labels: {kubernetes.io/metadata.name: kube-system}
- apiVersion: v1
  kind: Pod
  metadata: {name: frontend-1, namespace: shop, labels: {app: frontend, tier: edge}}
  spec:
    containers:
    - name: nginx
      ports: [{containerPort: 443, name: https}]
  status: {phase: Running, podIP: 10.0.1.40, podIPs: [{ip: 10.0.1.40}], hostIP: 192.168.0.11}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: shop, labels: {app: web, tier: frontend}}
  spec:
    containers:
    - name: web
      ports: [{containerPort: 80, name: http}]
  status: {phase: Running, podIP: 10.0.1.10, podIPs: [{ip: 10.0.1.10}], hostIP: 192.168.0.11}
- apiVersion: v1
  kind: Pod
  metadata: {name: api-1, namespace: shop, labels: {app: api, tier: backend}}
  spec:
    containers:
    - name: api
      ports: [{containerPort: 8080, name: http-api}]
  status: {phase: Running, podIP: 10.0.1.20, podIPs: [{ip: 10.0.1.20}], hostIP: 192.168.0.12}
- apiVersion: v1
  kind: Pod
  metadata: {name: db-1, namespace: shop, labels: {app: db, tier: data}}
  spec:
    containers:
    - name: postgres
      ports: [{containerPort: 5432, name: postgres}]
  status: {phase: Running, podIP: 10.0.1.30, podIPs: [{ip: 10.0.1.30}], hostIP: 192.168.0.12}
- apiVersion: v1
  kind: Pod
  metadata: {name: prometheus-1, namespace: monitoring, labels: {app: prometheus}}
  spec:
    containers:
    - name: prometheus
      ports: [{containerPort: 9090, name: web}]
  status: {phase: Running, podIP: 10.0.2.10, podIPs: [{ip: 10.0.2.10}], hostIP: 192.168.0.13}
- apiVersion: v1
  kind: Pod
  metadata: {name: grafana-1, namespace: monitoring, labels: {app: grafana}}
  spec:
    containers:
    - name: grafana
      ports: [{containerPort: 3000, name: http}]
  status: {phase: Running, podIP: 10.0.2.20, podIPs: [{ip: 10.0.2.20}], hostIP: 192.168.0.13}
- apiVersion: v1
  kind: Pod
  metadata: {name: prometheus-1, namespace: dev, labels: {app: prometheus}}
  spec:
    containers:
    - name: prometheus
      ports: [{containerPort: 9090, name: web}]
  status: {phase: Running, podIP: 10.0.3.10, podIPs: [{ip: 10.0.3.10}], hostIP: 192.168.0.13}
- apiVersion: v1
  kind: Pod
  metadata: {name: coredns-1, namespace: kube-system, labels: {k8s-app: kube-dns}}
  spec:
    containers:
    - name: coredns
      ports:
      - {containerPort: 53, name: dns, protocol: UDP}
      - {containerPort: 53, name: dns-tcp, protocol: TCP}
  status: {phase: Running, podIP: 10.0.0.10, podIPs: [{ip: 10.0.0.10}], hostIP: 192.168.0.11}
"#;
