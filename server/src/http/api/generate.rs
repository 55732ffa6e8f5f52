//! `POST /api/generate`: least-privilege policies from Hubble flow logs.

use axum::Json;
use axum::extract::{Query, Request, State};
use policy_core::flows::{
    Flavor, GenerateOptions, PolicyDirections, ReadReport, generate as generate_policies,
    parse_verdicts, to_yaml,
};
use serde::{Deserialize, Serialize};

use crate::http::AppState;
use crate::http::api::flow_upload::read_upload;
use crate::http::error::ApiError;

/// Query of `POST /api/generate`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct GenerateQuery {
    /// `kubernetes` (default) or `cilium`.
    pub flavor: Option<String>,
    /// `ingress`, `egress` or `both` (default).
    pub directions: Option<String>,
    /// Comma-separated namespaces to generate policies for (default: all).
    pub namespaces: Option<String>,
    /// Prefix length external IPv4 addresses are widened to (default 32).
    pub ipv4_prefix: Option<u8>,
    /// Prefix length external IPv6 addresses are widened to (default 128).
    pub ipv6_prefix: Option<u8>,
    /// Comma-separated observed verdicts to allow: `FORWARDED` (default),
    /// `DROPPED`, `AUDIT`.
    pub verdicts: Option<String>,
}

/// Answer of `POST /api/generate`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GenerateResponse {
    /// The policies, multi-document YAML (as `palisade generate` prints it).
    pub yaml: String,
    /// How many policies.
    pub policies: usize,
    /// Distinct flows that produced rules.
    pub used_tuples: u64,
    /// Distinct flows skipped (replies, verdicts not asked for).
    pub ignored_tuples: u64,
    /// Distinct flows between endpoints no generated policy could select
    /// (host, health, world, or outside the namespaces asked for).
    pub unselectable_tuples: u64,
    /// Observed traffic that produced no rule, and why.
    pub warnings: Vec<String>,
    /// Flows aggregated.
    pub total_flows: u64,
    /// One read report per uploaded flow file (counts and the first problems by line).
    #[schema(value_type = Vec<Object>)]
    pub inputs: Vec<ReadReport>,
}

impl GenerateQuery {
    /// The generation options the query asks for, or why they are invalid.
    pub fn options(&self) -> Result<GenerateOptions, ApiError> {
        let flavor = match self.flavor.as_deref() {
            None | Some("kubernetes") => Flavor::Kubernetes,
            Some("cilium") => Flavor::Cilium,
            Some(other) => {
                return Err(ApiError::invalid(
                    "invalid-flavor",
                    format!("unknown flavor {other:?}: use kubernetes or cilium"),
                    Some("flavor"),
                ));
            }
        };
        let directions = match self.directions.as_deref() {
            None | Some("both") => PolicyDirections::Both,
            Some("ingress") => PolicyDirections::Ingress,
            Some("egress") => PolicyDirections::Egress,
            Some(other) => {
                return Err(ApiError::invalid(
                    "invalid-directions",
                    format!("unknown directions {other:?}: use ingress, egress or both"),
                    Some("directions"),
                ));
            }
        };
        let mut options = GenerateOptions {
            flavor,
            directions,
            ..GenerateOptions::default()
        };
        if let Some(namespaces) = &self.namespaces {
            options.namespaces = namespaces
                .split(',')
                .map(str::trim)
                .filter(|ns| !ns.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = &self.verdicts {
            options.verdicts = parse_verdicts(v)
                .map_err(|why| ApiError::invalid("invalid-verdicts", why, Some("verdicts")))?;
        }
        if let Some(prefix) = self.ipv4_prefix {
            if prefix > 32 {
                return Err(ApiError::invalid(
                    "invalid-prefix",
                    "ipv4_prefix must be 0 to 32",
                    Some("ipv4_prefix"),
                ));
            }
            options.ipv4_prefix = prefix;
        }
        if let Some(prefix) = self.ipv6_prefix {
            if prefix > 128 {
                return Err(ApiError::invalid(
                    "invalid-prefix",
                    "ipv6_prefix must be 0 to 128",
                    Some("ipv6_prefix"),
                ));
            }
            options.ipv6_prefix = prefix;
        }
        Ok(options)
    }
}

/// Generates policies from an uploaded flow log (`hubble observe -o json`
/// output: JSON lines, bare flows, or arrays), sent as the raw body or as
/// `multipart/form-data` files. The upload is processed as a stream.
#[utoipa::path(
    post,
    path = "/api/generate",
    params(GenerateQuery),
    request_body(content = String, content_type = "application/x-ndjson", description = "Hubble flows (raw body or multipart files)"),
    responses(
        (status = 200, body = GenerateResponse),
        (status = 400, body = crate::http::openapi::ErrorEnvelope, description = "bad options, not a flow log"),
        (status = 413, body = crate::http::openapi::ErrorEnvelope),
    )
)]
pub async fn generate(
    State(state): State<AppState>,
    query: Result<Query<GenerateQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Result<Json<GenerateResponse>, ApiError> {
    let Query(query) = query
        .map_err(|rejection| ApiError::invalid("invalid-query", rejection.body_text(), None))?;
    let options = query.options()?;
    let upload = read_upload(request, &state, &[]).await?;
    let total_flows = upload.aggregates.total_flows;
    let generated = tokio::task::spawn_blocking(move || {
        let generated = generate_policies(&upload.aggregates, &options);
        let yaml = to_yaml(&generated.policies);
        (generated, yaml)
    })
    .await
    .map_err(|err| ApiError::Internal(format!("generation task failed: {err}")))?;
    let (generated, yaml) = generated;
    Ok(Json(GenerateResponse {
        yaml,
        policies: generated.policies.len(),
        used_tuples: generated.used_tuples,
        ignored_tuples: generated.ignored_tuples,
        unselectable_tuples: generated.unselectable_tuples,
        warnings: generated.warnings,
        total_flows,
        inputs: upload.inputs,
    }))
}
