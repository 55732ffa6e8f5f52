//! `POST /api/shares` and `GET /api/shares/{id}`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};

use crate::http::AppState;
use crate::http::api::body::ClientIp;
use crate::http::error::ApiError;
use crate::share::{NewShare, ShareError, ShareId};

/// Longest title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 300;

/// Body of `POST /api/shares`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShareRequest {
    /// The policy YAML, stored verbatim.
    pub yaml: String,
    /// A short title for the link.
    #[serde(default)]
    pub title: Option<String>,
}

impl CreateShareRequest {
    /// The share to store, or why the request cannot be one (an empty
    /// `yaml`, a title too long or with control characters). No I/O.
    pub fn into_new_share(self) -> Result<NewShare, ApiError> {
        if self.yaml.trim().is_empty() {
            return Err(ApiError::invalid(
                "empty-yaml",
                "there is nothing to share: `yaml` is empty",
                Some("yaml"),
            ));
        }
        let title = match self
            .title
            .map(|title| title.trim().to_owned())
            .filter(|title| !title.is_empty())
        {
            Some(title) if title.chars().count() > MAX_TITLE_CHARS => {
                return Err(ApiError::invalid(
                    "invalid-title",
                    format!("the title is longer than {MAX_TITLE_CHARS} characters"),
                    Some("title"),
                ));
            }
            Some(title) if title.chars().any(char::is_control) => {
                return Err(ApiError::invalid(
                    "invalid-title",
                    "the title contains control characters",
                    Some("title"),
                ));
            }
            other => other,
        };
        Ok(NewShare {
            yaml: self.yaml,
            title,
        })
    }
}

/// Answer of `POST /api/shares`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedShare {
    /// The share id.
    pub id: String,
    /// The page link, relative to this server: `/?id=<id>`.
    pub url: String,
}

/// Answer of `GET /api/shares/{id}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ShareBody {
    /// The share id.
    pub id: String,
    /// The policy YAML.
    pub yaml: String,
    /// The title given at creation.
    pub title: Option<String>,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
}

impl From<ShareError> for ApiError {
    fn from(err: ShareError) -> Self {
        match err {
            ShareError::Storage(message) => ApiError::Internal(message),
            ShareError::Unavailable(message) => {
                // Where the database is stays in the log.
                tracing::warn!(error = %message, "share database unreachable");
                ApiError::Unavailable(
                    "shares are unavailable: the share database cannot be reached; retry in a moment"
                        .to_owned(),
                )
            }
            ShareError::Upstream(message) => ApiError::Upstream {
                code: "github-error",
                message,
            },
            ShareError::Refused(message) => ApiError::Upstream {
                code: "github-refused",
                message: format!("GitHub refused the request: {message}"),
            },
            ShareError::NotAShare(message) => ApiError::NotFound(message),
        }
    }
}

/// Stores a policy and answers its id and link.
#[utoipa::path(
    post,
    path = "/api/shares",
    request_body = CreateShareRequest,
    responses(
        (status = 201, body = CreatedShare, description = "stored durably"),
        (status = 400, body = crate::http::openapi::ErrorEnvelope),
        (status = 413, body = crate::http::openapi::ErrorEnvelope),
        (status = 429, body = crate::http::openapi::ErrorEnvelope, description = "too many shares from this address"),
        (status = 503, body = crate::http::openapi::ErrorEnvelope, description = "the share database is unreachable"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Result<Json<CreateShareRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let limit = state.config().max_body_bytes as u64;
    let Json(request) =
        body.map_err(|rejection| ApiError::from_json_rejection(rejection, limit))?;
    let share = request.into_new_share()?;
    if let Err(wait) = state.share_limiter().check(client) {
        return Err(ApiError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let store = state.shares().writer().name();
    let share = state.shares().create(share).await?;
    state.metrics().share_created(store);
    tracing::info!(id = %share.id, store, "share created");
    let id = share.id.to_string();
    let location = HeaderValue::try_from(format!("/api/shares/{id}"))
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    let body = CreatedShare {
        url: format!("/?id={id}"),
        id,
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

/// Reads a shared policy.
#[utoipa::path(
    get,
    path = "/api/shares/{id}",
    params(("id" = String, Path, description = "16 base62 characters, or a hexadecimal gist id")),
    responses(
        (status = 200, body = ShareBody),
        (status = 400, body = crate::http::openapi::ErrorEnvelope, description = "malformed id"),
        (status = 404, body = crate::http::openapi::ErrorEnvelope, description = "no such share"),
        (status = 503, body = crate::http::openapi::ErrorEnvelope, description = "the share database is unreachable"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ShareBody>, ApiError> {
    let id = ShareId::parse(&id).map_err(|err| ApiError::MalformedShareId(err.0))?;
    let share = state
        .shares()
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no share with id {id}")))?;
    Ok(Json(ShareBody {
        id: share.id.to_string(),
        yaml: share.yaml,
        title: share.title,
        created_at: share
            .created_at
            .to_rfc3339_opts(SecondsFormat::Millis, true),
    }))
}
