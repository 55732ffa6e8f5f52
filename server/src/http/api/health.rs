//! `GET /healthz`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::http::AppState;

/// How long `/healthz` waits for the share database.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Health report.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the share database cannot be reached.
    pub status: &'static str,
    /// Server version.
    pub version: &'static str,
    /// The share database: `ok`, or `unreachable: …` with the reason.
    pub database: String,
    /// Which store keeps local shares (`sqlite`, `postgres`).
    pub share_store: &'static str,
}

/// Health probe: 200 while the server can do its work; 503 while the share
/// database cannot be reached (it recovers by itself when the database
/// returns). Use it as the readiness probe behind a load balancer.
#[utoipa::path(get, path = "/healthz", responses(
    (status = 200, body = Health),
    (status = 503, body = Health, description = "the share database is unreachable"),
))]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let store = state.shares().local();
    let database = match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, store.check()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!(
            "no answer within {} s",
            DATABASE_CHECK_TIMEOUT.as_secs()
        )),
    };
    let (status, text, database) = match database {
        Ok(()) => (StatusCode::OK, "ok", "ok".to_owned()),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("unreachable: {reason}"),
        ),
    };
    (
        status,
        Json(Health {
            status: text,
            version: env!("CARGO_PKG_VERSION"),
            database,
            share_store: store.name(),
        }),
    )
}
