use super::*;
use crate::tutorial::{DEMO_CLUSTER_YAML, split_documents, workspace_policies};

fn cluster() -> Cluster {
    read_cluster(DEMO_CLUSTER_YAML).unwrap().cluster
}

fn policies(yaml: &str) -> Vec<Policy> {
    let (p, errors) = workspace_policies(&split_documents(yaml));
    assert!(errors.is_empty(), "{errors:?}");
    p
}

const DENY_ALL_SHOP: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

#[test]
fn no_policies_scores_zero_with_every_pod_open() {
    let c = cluster();
    let p = posture(&c, &[]);
    assert_eq!(p.pods, 8);
    assert_eq!(p.open_ingress.len(), 8);
    assert_eq!(p.open_egress.len(), 8);
    assert_eq!(p.namespace_gaps.len(), 4);
    assert_eq!(p.score, 0);
    assert_eq!(p.reasons.iter().map(|r| r.of).sum::<u32>(), 100);
    assert!(
        p.reasons[0].text.contains("8 of 8 pods"),
        "{}",
        p.reasons[0].text
    );
}

#[test]
fn default_deny_in_one_namespace_counts_its_pods_and_the_namespace() {
    let c = cluster();
    let p = posture(&c, &policies(DENY_ALL_SHOP));
    // shop has 4 of the 8 pods.
    assert_eq!(p.open_ingress.len(), 4);
    assert!(p.open_ingress.iter().all(|n| !n.starts_with("shop/")));
    assert!(!p.namespace_gaps.iter().any(|g| g.namespace == "shop"));
    assert_eq!(p.namespace_gaps.len(), 3);
    // 40*4/8=20, 25*4/8=12.5→13, 20*3/4=15, 15*3/4=11.25→11 → lost 59.
    assert_eq!(p.score, 41);
    let lost: u32 = p.reasons.iter().map(|r| r.points).sum();
    assert_eq!(100 - lost, p.score);
}

#[test]
fn selecting_every_existing_pod_by_label_is_not_a_default_deny() {
    // Every pod of monitoring is selected, but a new pod without labels would not be.
    let yaml = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-known-apps, namespace: monitoring}
spec:
  podSelector:
    matchExpressions:
    - {key: app, operator: In, values: [prometheus, grafana]}
  policyTypes: [Ingress]
";
    let p = posture(&cluster(), &policies(yaml));
    assert!(p.open_ingress.iter().all(|n| !n.starts_with("monitoring/")));
    let gap = p
        .namespace_gaps
        .iter()
        .find(|g| g.namespace == "monitoring")
        .unwrap();
    assert!(gap.ingress && gap.egress);
}

#[test]
fn cilium_clusterwide_default_deny_protects_everything() {
    let yaml = "apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: deny-all}
spec:
  endpointSelector: {}
  ingress: [{}]
  egress: [{}]
";
    let p = posture(&cluster(), &policies(yaml));
    assert!(p.open_ingress.is_empty(), "{:?}", p.open_ingress);
    assert!(p.open_egress.is_empty());
    assert!(p.namespace_gaps.is_empty(), "{:?}", p.namespace_gaps);
    assert_eq!(p.score, 100);
    assert!(p.reasons.iter().all(|r| r.points == 0));
}

#[test]
fn host_network_pods_are_left_out() {
    let mut c = cluster();
    let mut pod = PodInfo::new("kube-system", "node-agent", Labels::new());
    pod.host_network = true;
    c.add_pod(pod);
    let p = posture(&c, &[]);
    assert_eq!(p.pods, 8);
}

#[test]
fn read_cluster_reports_syntax_and_empty_input() {
    match read_cluster("items: [") {
        Err(ClusterDumpError::Syntax { line, .. }) => assert!(line >= 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        read_cluster("apiVersion: v1\nkind: List\nitems: []\n"),
        Err(ClusterDumpError::Empty)
    );
    let dup = format!(
        "{DEMO_CLUSTER_YAML}- apiVersion: v1\n  kind: Pod\n  metadata: {{name: web-1, namespace: shop}}\n"
    );
    assert!(matches!(
        read_cluster(&dup),
        Err(ClusterDumpError::Invalid(_))
    ));
}
