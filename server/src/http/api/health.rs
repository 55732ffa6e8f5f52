//! `GET /healthz`.

use axum::Json;
use serde::Serialize;

/// Health report.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    /// Server version.
    pub version: &'static str,
}

/// Liveness probe: answers as long as the server accepts requests.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}
