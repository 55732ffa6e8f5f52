//! The route table and the middleware stack.

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::http::api::{check, export, fetch, generate, health, reachability, shares, timeout};
use crate::http::error::ApiError;
use crate::http::{AppState, assets, metrics, openapi, security};

/// The whole application: page, API, health and metrics, with every middleware.
pub fn router(state: AppState) -> Router {
    let config = state.config();
    let request_timeout = config.request_timeout;

    // Small bodies: YAML analyses and shares.
    let api = Router::new()
        .route("/api/check", post(check::check))
        .route("/api/export", post(export::export))
        .route("/api/shares", post(shares::create))
        .route("/api/shares/{id}", get(shares::get))
        .route("/api/fetch", get(fetch::fetch))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(from_fn_with_state(request_timeout, timeout::limit));

    // Reachability: cluster dumps are larger than policies.
    let reachability_routes = Router::new()
        .route("/api/probe", post(reachability::probe))
        .route("/api/diff", post(reachability::diff_policies))
        .layer(DefaultBodyLimit::max(
            reachability::reachability_body_limit(config.max_body_bytes),
        ))
        .layer(from_fn_with_state(request_timeout, timeout::limit));

    // Flow-log uploads: streamed, larger and slower.
    let uploads = Router::new()
        .route("/api/generate", post(generate::generate))
        .layer(DefaultBodyLimit::max(
            usize::try_from(config.max_upload_bytes).unwrap_or(usize::MAX),
        ))
        .layer(from_fn_with_state(
            upload_timeout(request_timeout),
            timeout::limit,
        ));

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::metrics_handler))
        .merge(api)
        .merge(reachability_routes)
        .merge(uploads)
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(assets::serve_asset)
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal("handler panicked".to_owned()).into_response()
        }))
        .layer(CompressionLayer::new())
        .layer(from_fn(security::security_headers))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Time limit of flow uploads, relative to other requests.
pub fn upload_timeout(request_timeout: Duration) -> Duration {
    request_timeout * 10
}
