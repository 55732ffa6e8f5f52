//! `POST /api/replay`: would these policies allow the observed flows?

use axum::Json;
use axum::extract::{Request, State};
use policy_core::flows::ReadReport;
use policy_core::flows::replay::{Replay, replay as replay_flows};
use policy_core::model::Policy;
use policy_core::yaml::parse_documents;
use serde::Serialize;

use crate::http::AppState;
use crate::http::api::export::diagnostic_error;
use crate::http::api::flow_upload::read_upload;
use crate::http::error::ApiError;

/// Name of the multipart field holding the policies' YAML.
pub const POLICIES_FIELD: &str = "policies";

/// Answer of `POST /api/replay`: `palisade replay --output json`, plus the
/// read reports of the uploaded flow files.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReplayResponse {
    /// `flows` (one row per distinct flow: `source`, `destination`, `port`,
    /// `protocol`, `verdict`, `is_reply`, `count`, `allowed`, `matched`, …),
    /// `summary` and `notes`.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub replay: Replay,
    /// One read report per uploaded flow file.
    #[schema(value_type = Vec<Object>)]
    pub inputs: Vec<ReadReport>,
}

fn read_policies(text: &str) -> Result<Vec<Policy>, ApiError> {
    let parsed = parse_documents(text);
    if let Some(error) = parsed
        .diagnostics
        .iter()
        .find(|d| d.severity == policy_core::diagnostic::Severity::Error)
    {
        let mut error = diagnostic_error(error);
        if let ApiError::Unreadable { field, message, .. } = &mut error {
            *message = format!("{POLICIES_FIELD}: {message}");
            *field = Some(match field.take() {
                Some(path) => format!("{POLICIES_FIELD}: {path}"),
                None => POLICIES_FIELD.to_owned(),
            });
        }
        return Err(error);
    }
    Ok(parsed.policies().cloned().collect())
}

/// Replays uploaded Hubble flows against policies (impact preview).
///
/// `multipart/form-data` with a text field `policies` (YAML) and one or more
/// flow files (fields named `flows`, or any part with a file name). The flow
/// files are processed as a stream.
#[utoipa::path(
    post,
    path = "/api/replay",
    request_body(content = String, content_type = "multipart/form-data", description = "`policies` (YAML text) and `flows` (Hubble JSON files)"),
    responses(
        (status = 200, body = ReplayResponse),
        (status = 400, body = crate::http::openapi::ErrorEnvelope, description = "no policies field, unreadable YAML, not a flow log"),
        (status = 413, body = crate::http::openapi::ErrorEnvelope),
    )
)]
pub async fn replay(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<ReplayResponse>, ApiError> {
    let content_type = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if !content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return Err(ApiError::UnsupportedMediaType {
            got: if content_type.is_empty() {
                "none".to_owned()
            } else {
                content_type
            },
            expected: "multipart/form-data with a `policies` text field and `flows` files",
        });
    }
    let upload = read_upload(request, &state, &[POLICIES_FIELD]).await?;
    let Some(text) = upload.fields.get(POLICIES_FIELD) else {
        return Err(ApiError::invalid(
            "no-policies",
            "send the policies as a multipart text field named `policies`, next to the flow files",
            Some(POLICIES_FIELD),
        ));
    };
    let policies = read_policies(text)?;
    let aggregates = upload.aggregates;
    let replay = tokio::task::spawn_blocking(move || replay_flows(&aggregates, &policies))
        .await
        .map_err(|err| ApiError::Internal(format!("replay task failed: {err}")))?;
    Ok(Json(ReplayResponse {
        replay,
        inputs: upload.inputs,
    }))
}
