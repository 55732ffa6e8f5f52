//! The OpenAPI description of the JSON API, served at `/api/openapi.json`.

use axum::Json;
use serde::Serialize;
use utoipa::OpenApi;

use crate::http::api;

/// The error body of every API failure (documentation type).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorDetail,
}

/// Details of an API error (documentation type).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, such as `yaml-syntax` or `payload-too-large`.
    pub code: String,
    /// What is wrong and what to do.
    pub message: String,
    /// The offending request field, if any.
    pub field: Option<String>,
    /// 1-based line in the submitted text, if any.
    pub line: Option<u32>,
    /// 1-based column in the submitted text, if any.
    pub column: Option<u32>,
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Palisade API",
        description = "Check, explain, simulate, generate and share Kubernetes and Cilium network policies."
    ),
    paths(
        api::health::healthz,
        api::shares::create,
        api::shares::get,
        api::fetch::fetch,
        api::check::check,
        api::explain::explain,
        api::export::export,
        api::generate::generate,
        api::flows::flows,
        api::live_flows::live,
        api::replay::replay,
        api::reachability::probe,
        api::reachability::diff_policies,
    ),
    components(schemas(ErrorEnvelope, ErrorDetail))
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
