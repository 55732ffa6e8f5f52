//! `POST /api/probe` and `POST /api/diff` over loopback.

mod common;

use common::{TestServer, expect_error};
use serde_json::{Value, json};

const CLUSTER: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
    labels: {kubernetes.io/metadata.name: shop}
- apiVersion: v1
  kind: Pod
  metadata: {name: web, namespace: shop, labels: {app: web}}
  spec:
    containers:
    - name: web
      image: nginx
      ports: [{containerPort: 80, protocol: TCP}]
  status: {podIP: 10.0.0.1}
- apiVersion: v1
  kind: Pod
  metadata: {name: api, namespace: shop, labels: {app: api}}
  spec:
    containers:
    - name: api
      image: api
      ports: [{containerPort: 8080, protocol: TCP}]
  status: {podIP: 10.0.0.2}
- apiVersion: v1
  kind: Pod
  metadata: {name: stranger, namespace: shop, labels: {app: stranger}}
  spec:
    containers: [{name: s, image: s}]
  status: {podIP: 10.0.0.3}
"#;

const WEB_FROM_API: &str = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: api}}
    ports: [{port: 80}]
"#;

async fn post(server: &TestServer, path: &str, body: Value) -> reqwest::Response {
    server
        .client
        .post(server.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn probe_one_connection_and_all_pairs() {
    let server = TestServer::start().await;
    let allowed = post(&server, "/api/probe", json!({"cluster": CLUSTER, "policies": WEB_FROM_API, "from": "shop/api", "to": "shop/web", "ports": ["80/TCP"]})).await;
    assert_eq!(allowed.status(), 200);
    let body: Value = allowed.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["from"], "shop/api");
    assert_eq!(results[0]["to"], "shop/web");
    assert_eq!(results[0]["port"], 80);
    assert_eq!(results[0]["protocol"], "TCP");
    assert_eq!(results[0]["allowed"], true);
    assert!(
        results[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("web-from-api")),
        "{body}"
    );

    let denied: Value = post(&server, "/api/probe", json!({"cluster": CLUSTER, "policies": WEB_FROM_API, "from": "shop/stranger", "to": "shop/web", "ports": ["80"]})).await.json().await.unwrap();
    assert_eq!(denied["results"][0]["allowed"], false);

    // All pairs, default ports: each target's container ports; no pod-to-itself rows.
    let all: Value = post(
        &server,
        "/api/probe",
        json!({"cluster": CLUSTER, "policies": WEB_FROM_API}),
    )
    .await
    .json()
    .await
    .unwrap();
    let rows = all["results"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["from"] != r["to"]));
    let to_web: Vec<&Value> = rows.iter().filter(|r| r["to"] == "shop/web").collect();
    assert_eq!(to_web.len(), 2, "api and stranger probe web on 80: {all}");
    for row in to_web {
        assert_eq!(row["port"], 80);
        assert_eq!(row["allowed"], row["from"] == "shop/api");
    }
    let to_api: Vec<&Value> = rows.iter().filter(|r| r["to"] == "shop/api").collect();
    assert!(
        to_api
            .iter()
            .all(|r| r["port"] == 8080 && r["allowed"] == true),
        "api is not isolated"
    );
    server.stop().await;
}

#[tokio::test]
async fn probe_errors() {
    let server = TestServer::start().await;
    let bad_yaml = post(
        &server,
        "/api/probe",
        json!({"cluster": CLUSTER, "policies": "kind: [\n"}),
    )
    .await;
    let error = expect_error(bad_yaml, 400, "yaml-syntax").await;
    assert!(
        error["field"].as_str().unwrap().starts_with("policies"),
        "{error}"
    );
    assert!(
        error["line"].is_u64() && error["column"].is_u64(),
        "{error}"
    );
    let bad_port = post(
        &server,
        "/api/probe",
        json!({"cluster": CLUSTER, "policies": WEB_FROM_API, "ports": ["80/TCP", "http"]}),
    )
    .await;
    let error = expect_error(bad_port, 400, "invalid-port").await;
    assert_eq!(error["field"], "ports[1]");
    let bad_endpoint = post(
        &server,
        "/api/probe",
        json!({"cluster": CLUSTER, "policies": WEB_FROM_API, "from": "web"}),
    )
    .await;
    expect_error(bad_endpoint, 400, "invalid-endpoint").await;
    let unknown = post(
        &server,
        "/api/probe",
        json!({"cluster": CLUSTER, "policies": WEB_FROM_API, "to": "shop/nobody"}),
    )
    .await;
    expect_error(unknown, 400, "unknown-endpoint").await;
    let same = post(
        &server,
        "/api/probe",
        json!({"cluster": CLUSTER, "policies": WEB_FROM_API, "from": "shop/web", "to": "shop/web"}),
    )
    .await;
    expect_error(same, 400, "same-endpoint").await;
    let missing = post(&server, "/api/probe", json!({"policies": WEB_FROM_API})).await;
    expect_error(missing, 400, "invalid-json").await;
    server.stop().await;
}

#[tokio::test]
async fn diff_reports_newly_allowed_and_denied() {
    let server = TestServer::start().await;
    let response = post(
        &server,
        "/api/diff",
        json!({"cluster": CLUSTER, "before": "", "after": WEB_FROM_API}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["summary"]["newly_allowed"], 0);
    let denied = body["newly_denied"].as_array().unwrap();
    assert!(
        denied
            .iter()
            .any(|c| c["from"] == "shop/stranger" && c["to"] == "shop/web" && c["port"] == 80),
        "{body}"
    );
    assert!(
        denied.iter().all(|c| c["to"] == "shop/web"),
        "only web became isolated: {body}"
    );
    assert!(
        !denied
            .iter()
            .any(|c| c["from"] == "shop/api" && c["port"] == 80),
        "{body}"
    );

    let reverse: Value = post(
        &server,
        "/api/diff",
        json!({"cluster": CLUSTER, "before": WEB_FROM_API, "after": ""}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        reverse["summary"]["newly_allowed"],
        body["summary"]["newly_denied"]
    );
    assert_eq!(reverse["summary"]["newly_denied"], 0);
    server.stop().await;
}

#[tokio::test]
async fn probe_host_network_pods_by_the_model_asked_for() {
    let server = TestServer::start().await;
    let cluster = CLUSTER.replace(
        "containers: [{name: s, image: s}]",
        "hostNetwork: true\n    containers: [{name: s, image: s}]",
    );
    let policy = WEB_FROM_API.replace("app: web", "app: stranger");
    let ask = |extra: Value| {
        let mut body = json!({"cluster": cluster, "policies": policy, "from": "shop/web", "to": "shop/stranger", "ports": ["80/TCP"]});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let allowed = |body: Value| async {
        let v: Value = post(&server, "/api/probe", body)
            .await
            .json()
            .await
            .unwrap();
        v["results"][0]["allowed"].clone()
    };
    // As its node (the default), the policy does not select it.
    assert_eq!(allowed(ask(json!({}))).await, true);
    assert_eq!(
        allowed(ask(json!({"host_network_pods": "pod"}))).await,
        false
    );
    assert_eq!(
        allowed(ask(json!({"ipblock_excludes_pods": true}))).await,
        false
    );
    assert_eq!(
        allowed(ask(
            json!({"ipblock_excludes_pods": true, "host_network_pods": "node"})
        ))
        .await,
        true
    );
    let bad = post(
        &server,
        "/api/probe",
        ask(json!({"host_network_pods": "host"})),
    )
    .await;
    assert_eq!(bad.status(), 400);
    server.stop().await;
}
