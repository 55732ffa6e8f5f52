//! `POST /api/check`: apiserver-grade validation and lints.

use axum::Json;
use axum::extract::Query;
use policy_core::check::check_parsed;
use policy_core::diagnostic::Diagnostic;
use policy_core::yaml::parse_documents;
use serde::{Deserialize, Serialize};

use crate::http::api::body::YamlBody;
use crate::http::api::compute::analyse;
use crate::http::api::export::diagnostic_error;
use crate::http::error::ApiError;

/// Query of `POST /api/check`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CheckQuery {
    /// A file name to put in each diagnostic's `file` (default: none).
    pub file: Option<String>,
}

/// One finding, as `palisade check --output json` prints it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FileDiagnostic {
    /// The file name given in `?file=`, else `null`.
    pub file: Option<String>,
    /// The finding: `policy`, `severity` (`error` | `warning`), `code`,
    /// `message`, `field`, `line`, `column`, and `fix` when one exists.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub diagnostic: Diagnostic,
}

/// Answer of `POST /api/check`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CheckResponse {
    /// Findings, sorted by position.
    pub diagnostics: Vec<FileDiagnostic>,
}

/// Checks policies as the apiserver (and Cilium) would, plus lints.
///
/// The body is YAML or JSON (`application/yaml` or `text/plain`); single
/// documents, `---` streams and `kind: List` work. Text that cannot be parsed
/// at all is a 400 with the line and column of the syntax error; everything
/// else, errors included, is a finding in a 200 answer.
#[utoipa::path(
    post,
    path = "/api/check",
    params(CheckQuery),
    request_body(content = String, content_type = "application/yaml", description = "policies, YAML or JSON"),
    responses(
        (status = 200, body = CheckResponse),
        (status = 400, body = crate::http::openapi::ErrorEnvelope, description = "YAML syntax error, with line and column"),
        (status = 413, body = crate::http::openapi::ErrorEnvelope),
        (status = 415, body = crate::http::openapi::ErrorEnvelope),
    )
)]
pub async fn check(
    query: Result<Query<CheckQuery>, axum::extract::rejection::QueryRejection>,
    YamlBody(text): YamlBody,
) -> Result<Json<CheckResponse>, ApiError> {
    let Query(query) = query
        .map_err(|rejection| ApiError::invalid("invalid-query", rejection.body_text(), None))?;
    let diagnostics = analyse(text.len(), move || {
        let parsed = parse_documents(&text);
        if let Some(error) = parsed.syntax_error() {
            return Err(diagnostic_error(error));
        }
        Ok(check_parsed(&text, &parsed, None))
    })
    .await??;
    let diagnostics = diagnostics
        .into_iter()
        .map(|diagnostic| FileDiagnostic {
            file: query.file.clone(),
            diagnostic,
        })
        .collect();
    Ok(Json(CheckResponse { diagnostics }))
}
