//! The route table and the middleware stack.

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::http::api::{
    check, explain, export, fetch, flows, generate, health, live_flows, reachability, replay,
    shares, timeout,
};
use crate::http::error::ApiError;
use crate::http::{AppState, assets, metrics, openapi, security};

/// The whole application: page, API, health and metrics, with every middleware.
pub fn router(state: AppState) -> Router {
    let config = state.config();
    let request_timeout = config.request_timeout;

    // Small bodies: YAML analyses and shares.
    let api = Router::new()
        .route("/api/check", post(check::check))
        .route("/api/explain", post(explain::explain))
        .route("/api/export", post(export::export))
        .route("/api/shares", post(shares::create))
        .route("/api/shares/{id}", get(shares::get))
        .route("/api/fetch", get(fetch::fetch))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(from_fn_with_state(
            config.max_body_bytes as u64,
            refuse_declared_oversize,
        ))
        .layer(from_fn_with_state(request_timeout, timeout::limit));

    // Reachability: cluster dumps are larger than policies.
    let reachability_routes = Router::new()
        .route("/api/probe", post(reachability::probe))
        .route("/api/diff", post(reachability::diff_policies))
        .layer(DefaultBodyLimit::max(
            reachability::reachability_body_limit(config.max_body_bytes),
        ))
        .layer(from_fn_with_state(
            reachability::reachability_body_limit(config.max_body_bytes) as u64,
            refuse_declared_oversize,
        ))
        .layer(from_fn_with_state(request_timeout, timeout::limit));

    // Flow-log uploads: streamed, larger and slower.
    let uploads = Router::new()
        .route("/api/generate", post(generate::generate))
        .route("/api/flows", post(flows::flows))
        .route("/api/replay", post(replay::replay))
        .layer(DefaultBodyLimit::max(
            usize::try_from(config.max_upload_bytes).unwrap_or(usize::MAX),
        ))
        .layer(from_fn_with_state(
            config.max_upload_bytes,
            refuse_declared_oversize,
        ))
        .layer(from_fn_with_state(
            upload_timeout(request_timeout),
            timeout::limit,
        ));

    // Live flows: as long as the client asked (at most 300 s), no timeout
    // layer; the stream ends by itself.
    let live = Router::new().route("/api/flows/live", get(live_flows::live));

    Router::new()
        .route("/healthz", get(health::healthz))
        .merge(live)
        .route("/metrics", get(metrics::metrics_handler))
        .merge(api)
        .merge(reachability_routes)
        .merge(uploads)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn(refuse_compressed_bodies))
        .fallback(assets::serve_asset)
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal("handler panicked".to_owned()).into_response()
        }))
        .layer(CompressionLayer::new())
        .layer(security::security_headers())
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(
            // One `info` line per request (method, URI, status, latency);
            // `RUST_LOG=warn` silences them.
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Micros),
                ),
        )
        .with_state(state)
}

/// Answers 413 at once when the declared `Content-Length` is over the
/// route's limit, instead of waiting for a body that will be refused anyway
/// (the body limit itself still counts what arrives, for chunked bodies).
async fn refuse_declared_oversize(
    State(limit): State<u64>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit => {
            if length <= limit.saturating_mul(DRAIN_FACTOR) {
                drain(request.into_body()).await;
            }
            let mut response = ApiError::PayloadTooLarge { limit }.into_response();
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            response
        }
        _ => next.run(request).await,
    }
}

/// Bodies declared up to this many times a route's limit are read and
/// discarded before the 413 is sent (a lingering close, as nginx does): a
/// client still writing its body when the server closes would get a
/// connection reset instead of the answer. Larger bodies are refused at once
/// (clients that send `Expect: 100-continue`, as curl does for large bodies,
/// get the 413 before sending anything either way).
const DRAIN_FACTOR: u64 = 4;

/// How long a refused body may take to drain.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Reads and discards `body` until it ends, fails or `DRAIN_TIME` passes.
async fn drain(body: axum::body::Body) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
}

/// Refuses request bodies with a content coding (RFC 9110 §15.5.16: 415).
/// Nothing here decompresses request bodies, so a gzip body would otherwise
/// be read as garbage, and accepting one would invite decompression bombs.
async fn refuse_compressed_bodies(request: Request, next: Next) -> Response {
    let coding = request
        .headers()
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("?").split(','))
        .map(str::trim)
        .find(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"));
    match coding {
        Some(coding) => {
            let shown: String = coding.chars().take(40).collect();
            ApiError::UnsupportedContentEncoding(shown).into_response()
        }
        None => next.run(request).await,
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Time limit of flow uploads, relative to other requests.
pub fn upload_timeout(request_timeout: Duration) -> Duration {
    request_timeout * 10
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Response, header};
    use tower_http::compression::predicate::{DefaultPredicate, Predicate};

    fn compressed(content_type: &str) -> bool {
        let response = Response::builder()
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(vec![b'x'; 1000]))
            .unwrap();
        DefaultPredicate::new().should_compress(&response)
    }

    #[test]
    fn the_wasm_bundle_and_text_are_compressed() {
        for content_type in [
            "application/wasm",
            "text/javascript; charset=utf-8",
            "text/css; charset=utf-8",
            "text/html; charset=utf-8",
            "application/json",
            "application/yaml; charset=utf-8",
            "image/svg+xml",
        ] {
            assert!(compressed(content_type), "{content_type}");
        }
    }
}
