//! YAML analyses over loopback: `/api/export`.

mod common;

use common::{TestServer, expect_error};

const POLICY: &str = "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nspec:\n  podSelector:\n    matchLabels: {app: web}\nmetadata:\n  name: web\n  namespace: shop\n  labels: {team: a}\n";

async fn post(
    server: &TestServer,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    server
        .client
        .post(server.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn export_is_canonical_yaml() {
    let server = TestServer::start().await;
    let response = post(&server, "/api/export", "application/yaml", POLICY).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/yaml; charset=utf-8"
    );
    let yaml = response.text().await.unwrap();
    assert!(
        yaml.starts_with("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"),
        "{yaml}"
    );
    assert!(yaml.contains("team: a"), "labels are kept: {yaml}");
    // Stable: exporting the export changes nothing.
    let again = post(&server, "/api/export", "text/plain", yaml.clone())
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(again, yaml);
    // Two documents stay two.
    let two = post(
        &server,
        "/api/export",
        "application/yaml",
        format!("{POLICY}---\n{}", POLICY.replace("name: web", "name: api")),
    )
    .await;
    assert_eq!(
        two.text()
            .await
            .unwrap()
            .matches("kind: NetworkPolicy")
            .count(),
        2
    );
    server.stop().await;
}

#[tokio::test]
async fn export_errors() {
    let server = TestServer::start_with(|config| config.max_body_bytes = 2048).await;
    let broken = post(
        &server,
        "/api/export",
        "application/yaml",
        "kind: NetworkPolicy\nspec: [1,\n  2\nmetadata: x\n",
    )
    .await;
    let error = expect_error(broken, 400, "yaml-syntax").await;
    assert!(
        error["line"].as_u64().is_some() && error["column"].as_u64().is_some(),
        "{error}"
    );
    let not_policy = post(&server, "/api/export", "application/yaml", "a: 1\n").await;
    assert_eq!(not_policy.status(), 400);
    let huge = post(&server, "/api/export", "application/yaml", "#".repeat(4096)).await;
    expect_error(huge, 413, "payload-too-large").await;
    let form = post(
        &server,
        "/api/export",
        "application/x-www-form-urlencoded",
        "a=b",
    )
    .await;
    expect_error(form, 415, "unsupported-media-type").await;
    let latin1 = post(
        &server,
        "/api/export",
        "text/plain",
        vec![b'a', b':', b' ', 0xe9, b'\n'],
    )
    .await;
    expect_error(latin1, 400, "invalid-utf8").await;
    server.stop().await;
}

const INVALID_PORT: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\n  namespace: shop\nspec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - protocol: TCP\n      port: 70000\n";

#[tokio::test]
async fn check_answers_diagnostics_in_the_cli_shape() {
    let server = TestServer::start().await;
    let clean = post(
        &server,
        "/api/check",
        "application/yaml",
        include_str!("../benches/data/policy-30.yaml"),
    )
    .await;
    assert_eq!(clean.status(), 200);
    let body: serde_json::Value = clean.json().await.unwrap();
    assert!(
        body["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["severity"] != "error"),
        "{body}"
    );

    let response = post(
        &server,
        "/api/check?file=shop.yaml",
        "text/plain",
        INVALID_PORT,
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let diagnostics = body["diagnostics"].as_array().unwrap();
    let error = diagnostics
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap_or_else(|| panic!("an error for port 70000: {body}"));
    for key in [
        "file", "policy", "severity", "code", "message", "field", "line", "column",
    ] {
        assert!(error.get(key).is_some(), "{key} missing: {error}");
    }
    assert_eq!(error["file"], "shop.yaml");
    assert_eq!(error["policy"], "shop/x");
    assert_eq!(error["field"], "spec.ingress[0].ports[0].port");
    assert_eq!(error["line"], 11);
    assert!(error["message"].as_str().unwrap().contains("70000"));
    // Without ?file= the key is there, null.
    let anonymous: serde_json::Value =
        post(&server, "/api/check", "application/yaml", INVALID_PORT)
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(anonymous["diagnostics"][0]["file"], serde_json::Value::Null);
    server.stop().await;
}

#[tokio::test]
async fn check_errors() {
    let server = TestServer::start_with(|config| config.max_body_bytes = 4096).await;
    let broken = post(
        &server,
        "/api/check",
        "application/yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\n   bad: indent\n",
    )
    .await;
    let error = expect_error(broken, 400, "yaml-syntax").await;
    assert_eq!(error["line"], 5, "{error}");
    assert!(error["column"].as_u64().is_some(), "{error}");
    let huge = post(
        &server,
        "/api/check",
        "application/yaml",
        format!("# {}\n", "x".repeat(5000)),
    )
    .await;
    expect_error(huge, 413, "payload-too-large").await;
    let wrong_type = post(&server, "/api/check", "image/png", INVALID_PORT).await;
    expect_error(wrong_type, 415, "unsupported-media-type").await;
    let wrong_method = server
        .client
        .get(server.url("/api/check"))
        .send()
        .await
        .unwrap();
    expect_error(wrong_method, 405, "method-not-allowed").await;
    server.stop().await;
}
