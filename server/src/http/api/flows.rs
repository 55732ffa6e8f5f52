//! `POST /api/flows`: the aggregated flows of an uploaded flow log.
//!
//! The page reads small flow logs itself; larger ones it uploads here, and it
//! gets back the same [`Aggregates`] it would have computed, so that the
//! table, filters, generation and impact preview work the same whatever the
//! file's size.

use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use policy_core::flows::{Aggregates, ReadReport};
use serde::Serialize;

use crate::http::AppState;
use crate::http::api::flow_upload::read_upload;
use crate::http::error::ApiError;

/// Answer of `POST /api/flows`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FlowsResponse {
    /// policy-core's aggregates: `identities`, `flows` (distinct tuples
    /// indexing identities and `l7_keys`), `l7_keys`, `dns_names`,
    /// `namespace_labels`, `total_flows`, `over_limit`, `problems`, `warnings`.
    #[schema(value_type = Object)]
    pub aggregates: Aggregates,
    /// Flows aggregated.
    pub total_flows: u64,
    /// One read report per uploaded flow file (counts and the first problems by line).
    #[schema(value_type = Vec<Object>)]
    pub inputs: Vec<ReadReport>,
}

/// Reads and aggregates an uploaded flow log (`hubble observe -o json`
/// output: JSON lines, bare flows, or arrays), sent as the raw body or as
/// `multipart/form-data` files. The upload is processed as a stream; bad
/// records are skipped and reported by line in `inputs`.
#[utoipa::path(
    post,
    path = "/api/flows",
    request_body(content = String, content_type = "application/x-ndjson", description = "Hubble flows (raw body or multipart files)"),
    responses(
        (status = 200, body = FlowsResponse),
        (status = 400, body = crate::http::openapi::ErrorEnvelope, description = "not a flow log"),
        (status = 413, body = crate::http::openapi::ErrorEnvelope),
    )
)]
pub async fn flows(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let upload = read_upload(request, &state, &[]).await?;
    let response = FlowsResponse {
        total_flows: upload.aggregates.total_flows,
        aggregates: upload.aggregates,
        inputs: upload.inputs,
    };
    // Up to hundreds of thousands of tuples: serialize off the async workers.
    let body = tokio::task::spawn_blocking(move || serde_json::to_vec(&response))
        .await
        .map_err(|err| ApiError::Internal(format!("serialization task failed: {err}")))?
        .map_err(|err| ApiError::Internal(format!("cannot serialize the aggregates: {err}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
