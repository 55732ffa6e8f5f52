//! Share links over loopback: the SQLite store (default) and the gist store
//! against a local server that speaks GitHub's gist API.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::{TestServer, expect_error};
use serde_json::{Value, json};

const POLICY: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n";

async fn create(server: &TestServer, body: Value) -> reqwest::Response {
    server
        .client
        .post(server.url("/api/shares"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sqlite_share_round_trip() {
    let server = TestServer::start().await;
    let response = create(
        &server,
        json!({"yaml": POLICY, "title": "Deny all in shop"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 16);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    assert_eq!(created["url"], format!("/?id={id}"));
    assert_eq!(location, format!("/api/shares/{id}"));

    let read = server
        .client
        .get(server.url(&location))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let share: Value = read.json().await.unwrap();
    assert_eq!(share["id"], id.as_str());
    assert_eq!(share["yaml"], POLICY);
    assert_eq!(share["title"], "Deny all in shop");
    let created_at = share["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created_at).is_ok(),
        "{created_at}"
    );

    // Two shares of the same text get different ids.
    let again: Value = create(&server, json!({"yaml": POLICY}))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(again["id"], id.as_str());
    let untitled: Value = server
        .client
        .get(server.url(&format!("/api/shares/{}", again["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(untitled["title"], Value::Null);
    server.stop().await;
}

#[tokio::test]
async fn shares_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), |_| {}).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let created: Value = create(&server, json!({"yaml": format!("{POLICY}# {n}\n")}))
            .await
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    server.stop().await;

    let restarted = TestServer::start_in(data.path(), |_| {}).await;
    for (n, id) in ids.iter().enumerate() {
        let share: Value = restarted
            .client
            .get(restarted.url(&format!("/api/shares/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(share["yaml"], format!("{POLICY}# {n}\n"));
    }
    restarted.stop().await;
}

#[tokio::test]
async fn malformed_and_unknown_ids() {
    let server = TestServer::start().await;
    for bad in [
        "abc",
        "AAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAA!",
        "%2e%2e%2f%2e%2e%2fetc",
        "ABCDEF0123456789ABCDEF",
    ] {
        let response = server
            .client
            .get(server.url(&format!("/api/shares/{bad}")))
            .send()
            .await
            .unwrap();
        expect_error(response, 400, "malformed-id").await;
    }
    let response = server
        .client
        .get(server.url("/api/shares/AAAAAAAAAAAAAAAA"))
        .send()
        .await
        .unwrap();
    expect_error(response, 404, "not-found").await;
    server.stop().await;
}

#[tokio::test]
async fn bad_share_requests() {
    let server = TestServer::start_with(|config| config.max_body_bytes = 4096).await;
    expect_error(
        create(&server, json!({"yaml": "  \n"})).await,
        400,
        "empty-yaml",
    )
    .await;
    expect_error(
        create(&server, json!({"title": "x"})).await,
        400,
        "invalid-json",
    )
    .await;
    expect_error(
        create(&server, json!({"yaml": POLICY, "extra": 1})).await,
        400,
        "invalid-json",
    )
    .await;
    expect_error(
        create(&server, json!({"yaml": POLICY, "title": "x".repeat(301)})).await,
        400,
        "invalid-title",
    )
    .await;
    expect_error(
        create(&server, json!({"yaml": POLICY, "title": "a\u{7}b"})).await,
        400,
        "invalid-title",
    )
    .await;
    let not_json = server
        .client
        .post(server.url("/api/shares"))
        .header("content-type", "text/plain")
        .body(POLICY)
        .send()
        .await
        .unwrap();
    expect_error(not_json, 415, "unsupported-media-type").await;
    let broken = server
        .client
        .post(server.url("/api/shares"))
        .header("content-type", "application/json")
        .body("{\"yaml\": ")
        .send()
        .await
        .unwrap();
    expect_error(broken, 400, "invalid-json").await;
    let huge = create(&server, json!({"yaml": "x".repeat(5000)})).await;
    expect_error(huge, 413, "payload-too-large").await;
    server.stop().await;
}

#[tokio::test]
async fn share_creation_is_rate_limited_per_client() {
    let server = TestServer::start_with(|config| {
        config.share_burst = 3;
        config.share_rate_per_minute = 1;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(create(&server, json!({"yaml": POLICY})).await.status(), 201);
    }
    let limited = create(&server, json!({"yaml": POLICY})).await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    expect_error(limited, 429, "rate-limited").await;
    // Reading is not limited.
    let metrics = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("palisade_shares_created_total{store=\"sqlite\"} 3\n"),
        "{metrics}"
    );
    server.stop().await;
}

async fn create_from(server: &TestServer, forwarded_for: &str) -> u16 {
    server
        .client
        .post(server.url("/api/shares"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"yaml": POLICY}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let server = TestServer::start_with(|config| {
        config.share_burst = 1;
        config.share_rate_per_minute = 1;
        config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    assert_eq!(create_from(&server, "198.51.100.1").await, 201);
    assert_eq!(create_from(&server, "198.51.100.1").await, 429);
    // Another client behind the same proxy is not held back by the first.
    assert_eq!(create_from(&server, "198.51.100.2").await, 201);
    // A client cannot escape its limit by writing its own header: the proxy
    // appends the real address, and that rightmost entry counts.
    assert_eq!(
        create_from(&server, "203.0.113.50, 198.51.100.1").await,
        429
    );
    server.stop().await;
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_for_is_ignored() {
    let server = TestServer::start_with(|config| {
        config.share_burst = 1;
        config.share_rate_per_minute = 1;
    })
    .await;
    assert_eq!(create_from(&server, "198.51.100.1").await, 201);
    assert_eq!(create_from(&server, "198.51.100.2").await, 429);
    server.stop().await;
}

// ---------------------------------------------------------------------------
// A local server speaking GitHub's gist API (shapes from docs.github.com,
// "REST API endpoints for gists": create a gist, get a gist).

/// The `Authorization` header and JSON body of a `POST /gists`.
type CreateRequest = (Option<String>, Value);

#[derive(Clone, Default)]
struct FakeGitHub {
    gists: Arc<Mutex<HashMap<String, Value>>>,
    create_requests: Arc<Mutex<Vec<CreateRequest>>>,
    base: Arc<Mutex<String>>,
}

const TOKEN: &str = "ghp_testtoken0123456789";

fn github_error(status: StatusCode, message: &str, docs: &str) -> Response {
    (
        status,
        Json(json!({"message": message, "documentation_url": docs, "status": status.as_str()})),
    )
        .into_response()
}

fn user() -> Value {
    json!({
        "login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=",
        "avatar_url": "https://github.com/images/error/octocat_happy.gif", "gravatar_id": "",
        "url": "https://api.github.com/users/octocat", "html_url": "https://github.com/octocat",
        "followers_url": "https://api.github.com/users/octocat/followers",
        "following_url": "https://api.github.com/users/octocat/following{/other_user}",
        "gists_url": "https://api.github.com/users/octocat/gists{/gist_id}",
        "starred_url": "https://api.github.com/users/octocat/starred{/owner}{/repo}",
        "subscriptions_url": "https://api.github.com/users/octocat/subscriptions",
        "organizations_url": "https://api.github.com/users/octocat/orgs",
        "repos_url": "https://api.github.com/users/octocat/repos",
        "events_url": "https://api.github.com/users/octocat/events{/privacy}",
        "received_events_url": "https://api.github.com/users/octocat/received_events",
        "type": "User", "site_admin": false
    })
}

async fn fake_create(
    State(fake): State<FakeGitHub>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let auth = headers
        .get("authorization")
        .map(|value| value.to_str().unwrap().to_owned());
    fake.create_requests
        .lock()
        .unwrap()
        .push((auth.clone(), body.clone()));
    if auth.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return github_error(
            StatusCode::UNAUTHORIZED,
            "Requires authentication",
            "https://docs.github.com/rest/gists/gists#create-a-gist",
        );
    }
    let n = fake.gists.lock().unwrap().len() + 1;
    let id = format!(
        "{:032x}",
        0xaa5a_315d_61ae_9438_b18d_u128 * 7919 + n as u128
    );
    let base = fake.base.lock().unwrap().clone();
    let mut files = serde_json::Map::new();
    for (name, file) in body["files"].as_object().unwrap() {
        let content = file["content"].as_str().unwrap();
        files.insert(name.clone(), json!({
            "filename": name, "type": "application/x-yaml", "language": "YAML",
            "raw_url": format!("https://gist.githubusercontent.com/octocat/{id}/raw/0000/{name}"),
            "size": content.len(), "truncated": false, "content": content, "encoding": "utf-8"
        }));
    }
    let gist = json!({
        "url": format!("{base}/gists/{id}"), "forks_url": format!("{base}/gists/{id}/forks"),
        "commits_url": format!("{base}/gists/{id}/commits"), "id": id, "node_id": "G_kwDOBhHyLdZDliNDQxZTA",
        "git_pull_url": format!("https://gist.github.com/{id}.git"), "git_push_url": format!("https://gist.github.com/{id}.git"),
        "html_url": format!("https://gist.github.com/octocat/{id}"), "files": files,
        "public": body["public"], "created_at": "2026-11-25T04:50:00Z", "updated_at": "2026-11-25T04:50:00Z",
        "description": body["description"], "comments": 0, "comments_enabled": true, "user": null,
        "comments_url": format!("{base}/gists/{id}/comments"), "owner": user(), "forks": [], "history": [],
        "truncated": false
    });
    fake.gists.lock().unwrap().insert(id, gist.clone());
    (StatusCode::CREATED, Json(gist)).into_response()
}

async fn fake_get(State(fake): State<FakeGitHub>, Path(id): Path<String>) -> Response {
    match fake.gists.lock().unwrap().get(&id) {
        Some(gist) => Json(gist.clone()).into_response(),
        None => github_error(
            StatusCode::NOT_FOUND,
            "Not Found",
            "https://docs.github.com/rest/gists/gists#get-a-gist",
        ),
    }
}

async fn start_fake_github() -> (FakeGitHub, String) {
    let fake = FakeGitHub::default();
    let app = axum::Router::new()
        .route("/gists", post(fake_create))
        .route("/gists/{id}", get(fake_get))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    *fake.base.lock().unwrap() = base.clone();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, base)
}

#[tokio::test]
async fn gist_share_round_trip_with_token() {
    let (fake, github) = start_fake_github().await;
    let server = TestServer::start_with(|config| {
        config.github_api_url = github.clone();
        config.github_token = Some(TOKEN.to_owned());
    })
    .await;
    let response = create(&server, json!({"yaml": POLICY, "title": "shop lockdown"})).await;
    assert_eq!(response.status(), 201);
    let raw = response.text().await.unwrap();
    assert!(!raw.contains(TOKEN), "the token never reaches the client");
    let created: Value = serde_json::from_str(&raw).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(created["url"], format!("/?id={id}"));

    // What GitHub was asked: a secret gist with policy.yaml.
    let requests = fake.create_requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let (auth, body) = &requests[0];
    assert_eq!(auth.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(body["public"], false);
    assert_eq!(body["description"], "shop lockdown");
    assert_eq!(body["files"]["policy.yaml"]["content"], POLICY);

    let share: Value = server
        .client
        .get(server.url(&format!("/api/shares/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(share["id"], id.as_str());
    assert_eq!(share["yaml"], POLICY);
    assert_eq!(share["title"], "shop lockdown");
    assert_eq!(share["created_at"], "2026-11-25T04:50:00.000Z");

    let missing = server
        .client
        .get(server.url("/api/shares/0123456789abcdef0123456789abcdef"))
        .send()
        .await
        .unwrap();
    expect_error(missing, 404, "not-found").await;
    let metrics = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("palisade_shares_created_total{store=\"gist\"} 1\n"),
        "{metrics}"
    );
    server.stop().await;

    // A server without a token still opens gist links, and keeps new shares local.
    let reader = TestServer::start_with(|config| config.github_api_url = github.clone()).await;
    let share: Value = reader
        .client
        .get(reader.url(&format!("/api/shares/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(share["yaml"], POLICY);
    let local: Value = create(&reader, json!({"yaml": POLICY}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(local["id"].as_str().unwrap().len(), 16);
    assert_eq!(
        fake.create_requests.lock().unwrap().len(),
        1,
        "no gist created without a token"
    );
    reader.stop().await;
}

#[tokio::test]
async fn github_refusal_is_a_bad_gateway() {
    let (_fake, github) = start_fake_github().await;
    let server = TestServer::start_with(|config| {
        config.github_api_url = github.clone();
        config.github_token = Some("ghp_wrong".to_owned());
    })
    .await;
    let response = create(&server, json!({"yaml": POLICY})).await;
    let error = expect_error(response, 502, "github-refused").await;
    assert!(!error.to_string().contains("ghp_wrong"));
    server.stop().await;
}

#[tokio::test]
async fn unreachable_github_is_a_bad_gateway() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let server = TestServer::start_with(|config| config.github_api_url = url).await;
    let response = server
        .client
        .get(server.url("/api/shares/0123456789abcdef0123456789abcdef"))
        .send()
        .await
        .unwrap();
    let error = expect_error(response, 502, "github-error").await;
    let message = error.to_string();
    assert!(
        message.contains("GitHub cannot be reached at http://127.0.0.1:")
            && message.contains("refused"),
        "{message}"
    );
    server.stop().await;
}
