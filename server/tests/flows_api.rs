//! `POST /api/flows`, `POST /api/generate` and `POST /api/replay`: flow uploads
//! as raw bodies and multipart, streamed.

mod common;

use common::{TestServer, expect_error};
use serde_json::Value;

const TEN_FLOWS: &str = include_str!("data/hubble/basic-sample-10-flows.json");
const HTTP_FLOWS: &str = include_str!("data/hubble/basic-sample-5-http-flows.json");

/// What the page computes itself for a small file.
fn aggregate_locally(input: &str) -> policy_core::flows::Aggregates {
    policy_core::flows::aggregate_bytes(
        input.as_bytes(),
        policy_core::flows::ReaderOptions::default(),
        policy_core::flows::AggregateOptions::default(),
    )
    .unwrap()
    .0
}

/// A flow upload over the server's limit gets 413 when streamed without
/// Content-Length (the limit is counted as it arrives) and as a multipart
/// file.
async fn expect_streamed_and_multipart_limits(server: &TestServer, path: &str, big: String) {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .as_bytes()
        .chunks(4096)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let streamed = server
        .client
        .post(server.url(path))
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
        .post(server.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap();
    expect_error(multipart, 413, "payload-too-large").await;
}

#[tokio::test]
async fn flows_answers_the_aggregates_the_page_would_compute() {
    let server = TestServer::start().await;
    let response = server
        .client
        .post(server.url("/api/flows"))
        .header("content-type", "application/x-ndjson")
        .body(TEN_FLOWS)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["total_flows"], 10);
    assert_eq!(body["inputs"][0]["flows"], 10);
    assert_eq!(body["inputs"][0]["errors"], 0);
    let aggregates: policy_core::flows::Aggregates =
        serde_json::from_value(body["aggregates"].clone()).unwrap();
    assert_eq!(aggregates, aggregate_locally(TEN_FLOWS));
    assert_eq!(aggregates.total_flows, 10);
    assert_eq!(aggregates.flows.len(), 10);
    let display = |i: usize| aggregates.identities[i].display.as_str();
    assert!(
        aggregates
            .flows
            .iter()
            .any(|f| display(f.source) == "istio-system/prometheus"
                && display(f.destination) == "bookinfo/reviews"
                && f.port == Some(15090)),
        "{body}"
    );

    // Several files in one multipart upload are aggregated together.
    let form = reqwest::multipart::Form::new()
        .part(
            "flows",
            reqwest::multipart::Part::text(TEN_FLOWS).file_name("a.json"),
        )
        .part(
            "flows",
            reqwest::multipart::Part::text(HTTP_FLOWS).file_name("b.json"),
        );
    let both: Value = server
        .client
        .post(server.url("/api/flows"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(both["total_flows"], 15);
    assert_eq!(both["inputs"].as_array().unwrap().len(), 2);
    let both: policy_core::flows::Aggregates =
        serde_json::from_value(both["aggregates"].clone()).unwrap();
    assert!(
        both.l7_keys
            .iter()
            .any(|k| matches!(k, policy_core::flows::L7Key::Http { .. }))
    );
    server.stop().await;
}

#[tokio::test]
async fn flows_reports_a_malformed_line_by_number() {
    let server = TestServer::start().await;
    let mut lines: Vec<&str> = TEN_FLOWS.lines().collect();
    lines.insert(3, "{\"flow\": not json");
    let upload = lines.join("\n");
    let response = server
        .client
        .post(server.url("/api/flows"))
        .body(upload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["total_flows"], 10, "{body}");
    let input = &body["inputs"][0];
    assert_eq!(input["errors"], 1, "{input}");
    assert_eq!(input["lines"], 11, "{input}");
    let problem = &input["problems"][0];
    assert_eq!(problem["line"], 4, "{problem}");
    assert_eq!(problem["severity"], "error", "{problem}");
    assert!(
        problem["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{problem}"
    );
    // The good lines are all there, each with its own line number.
    let aggregates: policy_core::flows::Aggregates =
        serde_json::from_value(body["aggregates"].clone()).unwrap();
    assert_eq!(aggregates, aggregate_locally(&upload));
    assert_eq!(aggregates.flows.len(), 10);
    assert!(aggregates.flows.iter().all(|f| f.first_line != 4));

    // Nothing but garbage is not a flow log.
    let garbage = "not json\n".repeat(1100);
    let response = server
        .client
        .post(server.url("/api/flows"))
        .body(garbage)
        .send()
        .await
        .unwrap();
    expect_error(response, 400, "invalid-flows").await;
    server.stop().await;
}

#[tokio::test]
async fn flows_refuses_an_oversized_upload() {
    let server = TestServer::start_with(|config| config.max_upload_bytes = 20_000).await;
    let big = TEN_FLOWS.repeat(3);
    assert!(big.len() > 20_000);
    let response = server
        .client
        .post(server.url("/api/flows"))
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let error = expect_error(response, 413, "payload-too-large").await;
    assert!(
        error["message"].as_str().unwrap().contains("20000"),
        "{error}"
    );
    expect_streamed_and_multipart_limits(&server, "/api/flows", big).await;
    // Under the limit, the same server answers.
    let small = server
        .client
        .post(server.url("/api/flows"))
        .body(TEN_FLOWS)
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
    server.stop().await;
}

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
    expect_streamed_and_multipart_limits(&server, "/api/generate", big).await;
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

const DENY_BOOKINFO_INGRESS: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: bookinfo}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n";

fn replay_form(policies: Option<&str>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    if let Some(policies) = policies {
        form = form.text("policies", policies.to_owned());
    }
    form.part(
        "flows",
        reqwest::multipart::Part::text(TEN_FLOWS).file_name("flows.json"),
    )
}

#[tokio::test]
async fn replay_previews_the_impact_of_policies() {
    let server = TestServer::start().await;
    let response = server
        .client
        .post(server.url("/api/replay"))
        .multipart(replay_form(Some(DENY_BOOKINFO_INGRESS)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["inputs"][0]["flows"], 10);
    let rows = body["flows"].as_array().unwrap();
    let row = |source: &str, destination: &str| {
        rows.iter()
            .find(|r| r["source"] == source && r["destination"] == destination)
            .unwrap_or_else(|| panic!("no row {source} -> {destination}: {body}"))
    };
    // Observed FORWARDED, denied by the new default-deny in bookinfo.
    let prometheus = row("istio-system/prometheus", "bookinfo/reviews");
    assert_eq!(prometheus["verdict"], "FORWARDED");
    assert_eq!(prometheus["allowed"], false);
    assert_eq!(prometheus["port"], 15090);
    // Outside bookinfo nothing changes.
    assert_eq!(
        row("istio-system/telemetry", "istio-system/galley")["allowed"],
        true
    );
    // Two requests, and the two replies that answer them (a reply's verdict
    // is its request's).
    assert_eq!(body["summary"]["newly_denied"], 4, "{}", body["summary"]);
    assert_eq!(body["summary"]["denied"], 2, "{}", body["summary"]);
    assert_eq!(body["summary"]["replies_denied"], 2, "{}", body["summary"]);
    assert_eq!(body["summary"]["distinct"], 10);

    // With no policy at all, nothing is denied.
    let open: Value = server
        .client
        .post(server.url("/api/replay"))
        .multipart(replay_form(Some("")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(open["summary"]["denied"], 0, "{}", open["summary"]);
    server.stop().await;
}

#[tokio::test]
async fn replay_errors() {
    let server = TestServer::start().await;
    let raw = server
        .client
        .post(server.url("/api/replay"))
        .body(TEN_FLOWS)
        .send()
        .await
        .unwrap();
    expect_error(raw, 415, "unsupported-media-type").await;
    let no_policies = server
        .client
        .post(server.url("/api/replay"))
        .multipart(replay_form(None))
        .send()
        .await
        .unwrap();
    let error = expect_error(no_policies, 400, "no-policies").await;
    assert_eq!(error["field"], "policies");
    let broken = server
        .client
        .post(server.url("/api/replay"))
        .multipart(replay_form(Some("kind: [\n")))
        .send()
        .await
        .unwrap();
    let error = expect_error(broken, 400, "yaml-syntax").await;
    assert!(
        error["field"].as_str().unwrap().starts_with("policies"),
        "{error}"
    );
    assert!(error["line"].is_u64(), "{error}");
    server.stop().await;
}
