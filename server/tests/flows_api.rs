//! `POST /api/generate`: flow uploads as raw bodies and multipart, streamed.

mod common;

use common::{TestServer, expect_error};
use serde_json::Value;

const TEN_FLOWS: &str = include_str!("data/hubble/basic-sample-10-flows.json");
const HTTP_FLOWS: &str = include_str!("data/hubble/basic-sample-5-http-flows.json");

#[tokio::test]
async fn generate_from_a_raw_body() {
    let server = TestServer::start().await;
    let response = server
        .client
        .post(server.url("/api/generate"))
        .header("content-type", "application/x-ndjson")
        .body(TEN_FLOWS)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["total_flows"], 10);
    assert_eq!(body["inputs"][0]["flows"], 10);
    assert_eq!(body["inputs"][0]["errors"], 0);
    let yaml = body["yaml"].as_str().unwrap();
    assert!(body["policies"].as_u64().unwrap() > 0);
    assert_eq!(
        yaml.matches("kind: NetworkPolicy").count() as u64,
        body["policies"].as_u64().unwrap()
    );
    // The YAML is what the CLI contract promises: readable by policy-core again.
    let (policies, diagnostics) = policy_core::yaml::parse_policies(yaml);
    assert_eq!(policies.len() as u64, body["policies"].as_u64().unwrap());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    server.stop().await;
}

#[tokio::test]
async fn generate_from_multipart_files_and_flavor() {
    let server = TestServer::start().await;
    let form = reqwest::multipart::Form::new()
        .part(
            "flows",
            reqwest::multipart::Part::text(TEN_FLOWS).file_name("a.json"),
        )
        .part(
            "flows",
            reqwest::multipart::Part::text(HTTP_FLOWS).file_name("b.json"),
        );
    let response = server
        .client
        .post(server.url("/api/generate?flavor=cilium"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["total_flows"], 15);
    assert_eq!(body["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(body["inputs"][1]["flows"], 5);
    let yaml = body["yaml"].as_str().unwrap();
    assert!(yaml.contains("kind: CiliumNetworkPolicy"));
    assert!(!yaml.contains("kind: NetworkPolicy"));
    server.stop().await;
}

#[tokio::test]
async fn streamed_in_small_chunks() {
    let server = TestServer::start().await;
    // A chunked body with no Content-Length, in 100-byte pieces.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = TEN_FLOWS
        .as_bytes()
        .chunks(100)
        .map(|chunk| Ok(chunk.to_vec()))
        .collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let response = server
        .client
        .post(server.url("/api/generate"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let chunked: Value = response.json().await.unwrap();
    let whole: Value = server
        .client
        .post(server.url("/api/generate"))
        .body(TEN_FLOWS)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(chunked["yaml"], whole["yaml"]);
    server.stop().await;
}

#[tokio::test]
async fn bad_uploads() {
    let server = TestServer::start_with(|config| config.max_upload_bytes = 20_000).await;
    let post = |query: &'static str, body: String| {
        server
            .client
            .post(server.url(&format!("/api/generate{query}")))
            .body(body)
            .send()
    };
    expect_error(
        post("?flavor=calico", TEN_FLOWS.to_owned()).await.unwrap(),
        400,
        "invalid-flavor",
    )
    .await;
    expect_error(
        post("?directions=up", TEN_FLOWS.to_owned()).await.unwrap(),
        400,
        "invalid-directions",
    )
    .await;
    expect_error(
        post("?bogus=1", TEN_FLOWS.to_owned()).await.unwrap(),
        400,
        "invalid-query",
    )
    .await;
    let garbage = "not json\n".repeat(1100);
    expect_error(post("", garbage).await.unwrap(), 400, "invalid-flows").await;
    let big = TEN_FLOWS.repeat(3);
    expect_error(
        post("", big.clone()).await.unwrap(),
        413,
        "payload-too-large",
    )
    .await;
    // Without Content-Length the limit still holds, counted while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .as_bytes()
        .chunks(4096)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let streamed = server
        .client
        .post(server.url("/api/generate"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    expect_error(streamed, 413, "payload-too-large").await;
    let form = reqwest::multipart::Form::new().part(
        "flows",
        reqwest::multipart::Part::text(big).file_name("a.json"),
    );
    let multipart = server
        .client
        .post(server.url("/api/generate"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    expect_error(multipart, 413, "payload-too-large").await;
    let empty_form = reqwest::multipart::Form::new();
    let empty = server
        .client
        .post(server.url("/api/generate"))
        .multipart(empty_form)
        .send()
        .await
        .unwrap();
    expect_error(empty, 400, "bad-multipart").await;
    let stray = reqwest::multipart::Form::new().text("note", "hello");
    let stray = server
        .client
        .post(server.url("/api/generate"))
        .multipart(stray)
        .send()
        .await
        .unwrap();
    expect_error(stray, 400, "unexpected-field").await;
    server.stop().await;
}
