//! `GET /api/fetch?url=`: the server-side download behind `?policy-url=`.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use crate::fetch::FetchError;
use crate::http::AppState;
use crate::http::error::ApiError;

/// Query of `GET /api/fetch`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct FetchQuery {
    /// An absolute `http` or `https` URL of a public server.
    pub url: String,
}

/// Answer of `GET /api/fetch`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FetchedDocument {
    /// The URL finally read, after redirects.
    pub url: String,
    /// The remote content type, if any.
    pub content_type: Option<String>,
    /// The document text.
    pub yaml: String,
}

impl From<FetchError> for ApiError {
    fn from(err: FetchError) -> Self {
        match err {
            FetchError::BadUrl(message) => ApiError::invalid("invalid-url", message, Some("url")),
            FetchError::Forbidden(message) => ApiError::ForbiddenTarget(message),
            FetchError::Timeout(_) => ApiError::UpstreamTimeout(err.to_string()),
            FetchError::TooLarge(_) => ApiError::Upstream {
                code: "upstream-too-large",
                message: err.to_string(),
            },
            FetchError::ContentType(_) => ApiError::Upstream {
                code: "upstream-content-type",
                message: err.to_string(),
            },
            FetchError::Status(_) => ApiError::Upstream {
                code: "upstream-status",
                message: err.to_string(),
            },
            FetchError::NotUtf8 => ApiError::Upstream {
                code: "upstream-not-utf8",
                message: err.to_string(),
            },
            FetchError::Network(_) => ApiError::Upstream {
                code: "upstream-unreachable",
                message: err.to_string(),
            },
        }
    }
}

/// Downloads a policy document from a public URL.
#[utoipa::path(
    get,
    path = "/api/fetch",
    params(FetchQuery),
    responses(
        (status = 200, body = FetchedDocument),
        (status = 400, body = crate::http::openapi::ErrorEnvelope, description = "not an http(s) URL"),
        (status = 403, body = crate::http::openapi::ErrorEnvelope, description = "non-public target"),
        (status = 502, body = crate::http::openapi::ErrorEnvelope, description = "remote error, too large, wrong type"),
        (status = 504, body = crate::http::openapi::ErrorEnvelope, description = "remote too slow"),
    )
)]
pub async fn fetch(
    State(state): State<AppState>,
    query: Result<Query<FetchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<FetchedDocument>, ApiError> {
    let Query(query) = query
        .map_err(|_| ApiError::invalid("invalid-url", "pass the URL as ?url=<url>", Some("url")))?;
    let fetched = state.fetcher().fetch(&query.url).await?;
    tracing::info!(url = %fetched.url, bytes = fetched.text.len(), "policy fetched");
    Ok(Json(FetchedDocument {
        url: fetched.url.to_string(),
        content_type: fetched.content_type,
        yaml: fetched.text,
    }))
}
