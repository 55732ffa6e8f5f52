//! A per-route time limit answered with the API's JSON error.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::error::ApiError;

/// Middleware: fails the request with `408 {"error":{"code":"timeout"}}`
/// when it takes longer than `limit` (body upload included).
pub async fn limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout(limit.as_secs()).into_response(),
    }
}
