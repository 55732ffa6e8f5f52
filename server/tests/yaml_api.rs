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
