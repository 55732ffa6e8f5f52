//! `GET /api/fetch`: SSRF refusals and limits, against local servers.

mod common;

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use common::{TestServer, expect_error};
use serde_json::Value;

const POLICY: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\nspec:\n  podSelector: {}\n";

fn typed(content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    let mut response = Response::new(body.into());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A document server on loopback.
async fn start_origin() -> String {
    let app = axum::Router::new()
        .route(
            "/policy.yaml",
            get(|| async { typed("application/yaml", POLICY) }),
        )
        .route(
            "/bom.yaml",
            get(|| async { typed("text/plain; charset=utf-8", format!("\u{feff}{POLICY}")) }),
        )
        .route(
            "/image.png",
            get(|| async { typed("image/png", vec![0x89u8, b'P', b'N', b'G']) }),
        )
        .route(
            "/huge.yaml",
            get(|| async { typed("application/yaml", "#".repeat(300_000)) }),
        )
        .route(
            "/binary",
            get(|| async { typed("application/octet-stream", vec![0xffu8, 0xfe, 0x00]) }),
        )
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                typed("application/yaml", POLICY)
            }),
        )
        .route(
            "/redirect",
            get(|| async { Redirect::temporary("/policy.yaml") }),
        )
        .route(
            "/to-file",
            get(|| async { Redirect::temporary("file:///etc/passwd") }),
        )
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route(
            "/to",
            get(
                |axum::extract::Query(query): axum::extract::Query<
                    std::collections::HashMap<String, String>,
                >| async move { Redirect::temporary(&query["url"]) },
            ),
        )
        .route(
            "/chunked-huge",
            get(|| async {
                let chunks = futures_util::stream::iter(
                    (0..100).map(|_| Ok::<_, std::io::Error>(vec![b'#'; 10_000])),
                );
                typed("application/yaml", axum::body::Body::from_stream(chunks)).into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

async fn fetch(server: &TestServer, url: &str) -> reqwest::Response {
    server
        .client
        .get(server.url("/api/fetch"))
        .query(&[("url", url)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn private_targets_are_refused_by_default() {
    let origin = start_origin().await;
    let server = TestServer::start().await;
    let port = origin.rsplit(':').next().unwrap().to_owned();
    for url in [
        format!("{origin}/policy.yaml"),
        format!("http://localhost:{port}/policy.yaml"),
        format!("http://[::1]:{port}/policy.yaml"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://100.64.1.1/".to_owned(),
        "http://0.0.0.0/".to_owned(),
        "http://224.0.0.1/".to_owned(),
        "http://[fe80::1]/".to_owned(),
        "http://[::ffff:127.0.0.1]/".to_owned(),
        "http://2130706433/".to_owned(),
    ] {
        let error = expect_error(fetch(&server, &url).await, 403, "forbidden-target").await;
        assert!(
            error["message"].as_str().unwrap().contains("public"),
            "{url}: {error}"
        );
    }
    server.stop().await;
}

/// A trusted host (an internal Git server) is fetched although private, and
/// its redirects to other private addresses, even to the same machine under
/// another name, are refused: the policy-url SSRF through a redirect.
#[tokio::test]
async fn redirects_from_a_trusted_host_to_private_addresses_are_refused() {
    let origin = start_origin().await;
    let port = origin.rsplit(':').next().unwrap().to_owned();
    let server =
        TestServer::start_with(|config| config.fetch_trusted_hosts = vec!["127.0.0.1".into()])
            .await;
    let ok = fetch(&server, &format!("{origin}/redirect")).await;
    assert_eq!(ok.status(), 200, "the trusted host itself is fetched");
    for (target, why) in [
        (
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            "link-local",
        ),
        ("http://10.0.0.1/policy.yaml".to_owned(), "private"),
        (format!("http://localhost:{port}/policy.yaml"), "loopback"),
        (format!("http://[::1]:{port}/policy.yaml"), "loopback"),
        ("http://0x0a.1/policy.yaml".to_owned(), "private"),
    ] {
        let url = format!("{origin}/to?url={}", urlencode(&target));
        let error = expect_error(fetch(&server, &url).await, 403, "forbidden-target").await;
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(why) && message.contains("public"),
            "{target}: {error}"
        );
    }
    server.stop().await;
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn only_http_urls() {
    let server = TestServer::start_with(|config| config.allow_private_fetch = true).await;
    for url in [
        "file:///etc/passwd",
        "ftp://example.com/p.yaml",
        "not a url",
        "/relative/path.yaml",
    ] {
        expect_error(fetch(&server, url).await, 400, "invalid-url").await;
    }
    let missing = server
        .client
        .get(server.url("/api/fetch"))
        .send()
        .await
        .unwrap();
    expect_error(missing, 400, "invalid-url").await;
    server.stop().await;
}

#[tokio::test]
async fn fetches_yaml_when_private_targets_are_allowed() {
    let origin = start_origin().await;
    let server = TestServer::start_with(|config| config.allow_private_fetch = true).await;
    for path in ["/policy.yaml", "/bom.yaml", "/redirect"] {
        let response = fetch(&server, &format!("{origin}{path}")).await;
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["yaml"], POLICY, "{path}");
        assert_eq!(
            body["url"],
            format!(
                "{origin}/{}",
                if path == "/bom.yaml" {
                    "bom.yaml"
                } else {
                    "policy.yaml"
                }
            )
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn remote_limits_and_failures() {
    let origin = start_origin().await;
    let server = TestServer::start_with(|config| {
        config.allow_private_fetch = true;
        config.fetch_max_bytes = 100_000;
        config.fetch_timeout = Duration::from_millis(700);
    })
    .await;
    let cases = [
        ("/image.png", 502, "upstream-content-type"),
        ("/huge.yaml", 502, "upstream-too-large"),
        ("/chunked-huge", 502, "upstream-too-large"),
        ("/binary", 502, "upstream-not-utf8"),
        ("/missing", 502, "upstream-status"),
        ("/slow", 504, "upstream-timeout"),
        ("/to-file", 403, "forbidden-target"),
        ("/loop", 403, "forbidden-target"),
    ];
    for (path, status, code) in cases {
        let response = fetch(&server, &format!("{origin}{path}")).await;
        if response.status().as_u16() != status {
            panic!(
                "{path}: {} {}",
                response.status(),
                response.text().await.unwrap()
            );
        }
        expect_error(response, status, code).await;
    }
    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/p.yaml", closed.local_addr().unwrap());
    drop(closed);
    expect_error(fetch(&server, &url).await, 502, "upstream-unreachable").await;
    server.stop().await;
}
