//! The bodies of the HTTP API: deserialized into the server's request
//! types, then run through the handlers' logic that needs no I/O (the same
//! functions the handlers call).
//!
//! The input reads like a request: a first line naming the route, then the
//! body.
//!
//! - `POST /api/probe` + JSON: `ProbeRequest`, then `probe_blocking`;
//! - `POST /api/diff` + JSON: `DiffRequest`, then `diff_blocking`;
//! - `POST /api/shares` + JSON: `CreateShareRequest`, then
//!   `into_new_share` (what is checked before the store is asked);
//! - `GET /api/shares/ID`: `ShareId::parse`;
//! - `POST /api/generate?QUERY` + a flow log: the query read by axum's
//!   `Query` into `GenerateQuery` and its `options()`, the flows read and
//!   aggregated, the policies generated, the answer serialized.
//!
//! Invariants:
//! - nothing panics, serializing the answer and rendering the error
//!   included;
//! - a request refused is a client error (4xx), never a 500;
//! - a share accepted has some YAML and a title of at most 300 characters
//!   without control characters; a share id accepted is letters and digits
//!   only and prints as given (no path tricks reach the store).

use axum::extract::Query;
use axum::http::Uri;
use axum::response::IntoResponse;
use policy_core::flows::{AggregateOptions, ReaderOptions, aggregate_bytes, generate, to_yaml};
use server::http::api::generate::{GenerateQuery, GenerateResponse};
use server::http::api::reachability::{DiffRequest, ProbeRequest, diff_blocking, probe_blocking};
use server::http::api::shares::{CreateShareRequest, MAX_TITLE_CHARS};
use server::http::error::ApiError;
use server::share::ShareId;

/// The target's body.
pub fn run(data: &[u8]) {
    let (line, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(line) = std::str::from_utf8(line) else {
        return;
    };
    let line = line.trim_end_matches('\r');
    if line == "POST /api/probe" {
        if let Ok(request) = serde_json::from_slice::<ProbeRequest>(body) {
            answered(probe_blocking(request));
        }
    } else if line == "POST /api/diff" {
        if let Ok(request) = serde_json::from_slice::<DiffRequest>(body) {
            answered(diff_blocking(request));
        }
    } else if line == "POST /api/shares" {
        if let Ok(request) = serde_json::from_slice::<CreateShareRequest>(body) {
            shares(request);
        }
    } else if let Some(id) = line.strip_prefix("GET /api/shares/") {
        if let Ok(parsed) = ShareId::parse(id) {
            assert!(
                id.bytes().all(|b| b.is_ascii_alphanumeric()),
                "share id {id:?} accepted"
            );
            assert_eq!(parsed.to_string(), id, "share id prints otherwise");
        }
    } else if let Some(query) = line.strip_prefix("POST /api/generate") {
        generate_answer(query, body);
    }
}

/// Serializes an answer, or renders a refusal, as the handler would.
fn answered<T: serde::Serialize>(result: Result<T, ApiError>) {
    match result {
        Ok(answer) => {
            serde_json::to_vec(&answer).expect("the answer serializes");
        }
        Err(err) => refused(err),
    }
}

fn refused(err: ApiError) {
    let status = err.status();
    assert!(
        status.is_client_error(),
        "a request answered {status}: {err}"
    );
    let _ = err.into_response();
}

fn shares(request: CreateShareRequest) {
    match request.into_new_share() {
        Ok(share) => {
            assert!(!share.yaml.trim().is_empty(), "an empty share accepted");
            if let Some(title) = &share.title {
                assert!(title.chars().count() <= MAX_TITLE_CHARS);
                assert!(!title.chars().any(char::is_control));
            }
        }
        Err(err) => refused(err),
    }
}

fn generate_answer(query: &str, body: &[u8]) {
    let Ok(uri) = format!("/api/generate{query}").parse::<Uri>() else {
        return;
    };
    let Ok(Query(query)) = Query::<GenerateQuery>::try_from_uri(&uri) else {
        return;
    };
    let options = match query.options() {
        Ok(options) => options,
        Err(err) => return refused(err),
    };
    let Ok((aggregates, report)) =
        aggregate_bytes(body, ReaderOptions::default(), AggregateOptions::default())
    else {
        return;
    };
    let generated = generate(&aggregates, &options);
    let answer = GenerateResponse {
        yaml: to_yaml(&generated.policies),
        policies: generated.policies.len(),
        used_tuples: generated.used_tuples,
        ignored_tuples: generated.ignored_tuples,
        unselectable_tuples: generated.unselectable_tuples,
        warnings: generated.warnings,
        total_flows: aggregates.total_flows,
        inputs: vec![report],
    };
    answered(Ok::<_, ApiError>(answer));
}
