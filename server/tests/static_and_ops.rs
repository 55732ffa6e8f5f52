//! The page, security headers, /healthz, /metrics, fallbacks: over loopback.

mod common;

use common::{TestServer, expect_error};

const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

fn assert_security_headers(response: &reqwest::Response) {
    let headers = response.headers();
    assert_eq!(headers["content-security-policy"], CSP);
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers.contains_key("permissions-policy"));
}

#[tokio::test]
async fn index_is_served_for_root_and_client_routes_without_caching() {
    let server = TestServer::start().await;
    for path in ["/", "/?id=abc", "/tutorials/default-deny", "/index.html"] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_security_headers(&response);
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8",
            "{path}"
        );
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
        let body = response.text().await.unwrap();
        assert!(body.contains("<html"), "{path}: {body}");
    }
    server.stop().await;
}

#[tokio::test]
async fn every_asset_the_index_references_is_served_immutable_with_its_type() {
    let server = TestServer::start().await;
    let index = server
        .client
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // With the real bundle built, check each hashed asset; the placeholder page references none.
    for reference in index.split('"').filter(|part| part.starts_with("/assets/")) {
        let response = server
            .client
            .get(server.url(reference))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{reference}");
        assert_security_headers(&response);
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        if reference.ends_with(".wasm") {
            let raw = reqwest::Client::builder()
                .no_proxy()
                .no_gzip()
                .no_brotli()
                .build()
                .unwrap();
            let compressed = raw
                .get(server.url(reference))
                .header("accept-encoding", "br")
                .send()
                .await
                .unwrap();
            assert_eq!(
                compressed.headers()["content-encoding"],
                "br",
                "the WASM is sent compressed"
            );
        }
        let expected = if reference.ends_with(".wasm") {
            "application/wasm"
        } else if reference.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else if reference.ends_with(".css") {
            "text/css; charset=utf-8"
        } else {
            continue;
        };
        assert_eq!(response.headers()["content-type"], expected, "{reference}");
    }
    server.stop().await;
}

#[tokio::test]
async fn unknown_assets_and_files_are_404_not_the_page() {
    let server = TestServer::start().await;
    for path in [
        "/assets/missing-0123.js",
        "/assets/",
        "/favicon-missing.png",
    ] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_security_headers(&response);
    }
    let response = server
        .client
        .get(server.url("/api/nope"))
        .send()
        .await
        .unwrap();
    assert_security_headers(&response);
    expect_error(response, 404, "not-found").await;
    let response = server
        .client
        .delete(server.url("/api/shares"))
        .send()
        .await
        .unwrap();
    expect_error(response, 405, "method-not-allowed").await;
    let response = server.client.post(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    server.stop().await;
}

#[tokio::test]
async fn index_revalidates_with_etag() {
    let server = TestServer::start().await;
    let first = server.client.get(server.url("/")).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let second = server
        .client
        .get(server.url("/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 304);
    assert_eq!(second.headers()["etag"], etag.as_str());
    server.stop().await;
}

#[tokio::test]
async fn responses_are_compressed_when_asked() {
    let server = TestServer::start().await;
    let raw = reqwest::Client::builder()
        .no_proxy()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();
    for encoding in ["gzip", "br"] {
        let response = raw
            .get(server.url("/"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding);
        assert_security_headers(&response);
    }
    // The decoding client gets the same page back.
    let plain = server
        .client
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let decoded = server
        .client
        .get(server.url("/"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(decoded.text().await.unwrap(), plain);
    server.stop().await;
}

#[tokio::test]
async fn healthz_and_metrics() {
    let server = TestServer::start().await;
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_security_headers(&health);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    server
        .client
        .get(server.url("/api/shares/xyz"))
        .send()
        .await
        .unwrap();
    let metrics = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text; version=1.0.0")
    );
    let text = metrics.text().await.unwrap();
    // The harness polled /healthz until the server was up: at least two answers.
    let healthz = text
        .lines()
        .find_map(|line| {
            line.strip_prefix(
                "palisade_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"2xx\"} ",
            )
        })
        .expect("healthz counted");
    assert!(healthz.parse::<u64>().unwrap() >= 2, "{text}");
    assert!(text.contains(
        "palisade_http_requests_total{method=\"GET\",route=\"/api/shares/{id}\",status=\"4xx\"} 1\n"
    ));
    assert!(text.contains("palisade_http_request_duration_seconds_bucket{le=\"+Inf\",method=\"GET\",route=\"/api/shares/{id}\"} 1\n"));
    assert!(text.contains("# TYPE palisade_shares_created counter\n"));
    server.stop().await;
}

#[tokio::test]
async fn openapi_document_lists_the_api() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/check",
        "/api/export",
        "/api/explain",
        "/api/probe",
        "/api/diff",
        "/api/generate",
        "/api/flows",
        "/api/replay",
        "/api/shares",
        "/api/shares/{id}",
        "/api/fetch",
        "/healthz",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from {}",
            doc["paths"]
        );
    }
    // Every referenced schema is defined.
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "schema {name} is referenced but not defined"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn connections_that_never_finish_a_request_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start_with(|config| {
        config.idle_timeout = std::time::Duration::from_millis(500)
    })
    .await;
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buffer = [0u8; 256];
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(5), slow.read(&mut buffer)).await;
    let closed = matches!(read, Ok(Ok(0)) | Ok(Err(_)));
    assert!(closed, "the half-sent request should be dropped: {read:?}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(400));
    // A normal client is unaffected.
    assert_eq!(
        server
            .client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    server.stop().await;
}
