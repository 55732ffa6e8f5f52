//! `POST /api/probe` and `POST /api/diff`: reachability over a cluster model.
//!
//! Both take JSON with YAML texts inside (the cluster as `kubectl get
//! namespaces,pods -A -o yaml` prints it, or workload manifests, and policies) and answer in the
//! shapes of `palisade probe --output json` and `palisade diff --output json`.
//! The verdicts, reasons and default ports come from policy-core's engine.

use std::net::IpAddr;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use policy_core::cluster::{Cluster, ClusterReader, EndpointId, EndpointRef, HostNetworkPods};
use policy_core::diagnostic::Severity;
use policy_core::diff::{ChangedConnection, diff};
use policy_core::engine::{Engine, PortKey, ProbeScope};
use policy_core::model::Policy;
use policy_core::yaml::{Object, parse_documents};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::http::AppState;
use crate::http::error::ApiError;

/// Most connections one probe answers (pairs × ports).
pub const MAX_PROBED_CONNECTIONS: usize = 100_000;

/// Body of `POST /api/probe`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeRequest {
    /// Namespaces and pods, YAML (a `List`, multi-doc or single doc).
    pub cluster: String,
    /// The policies, YAML.
    pub policies: String,
    /// Addresses outside the cluster to include as endpoints.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub external: Vec<IpAddr>,
    /// Ports to probe (`80/TCP`); default: each target's container ports,
    /// and for external targets the ports the policies name.
    #[serde(default)]
    pub ports: Vec<String>,
    /// Only from this endpoint (`namespace/pod` or `ip:ADDR`).
    pub from: Option<String>,
    /// Only to this endpoint.
    pub to: Option<String>,
    /// Make ipBlock match no in-cluster pod IP (Cilium's and
    /// netpol-analyzer's behaviour); host-network pods are then ordinary
    /// pods unless `host_network_pods` says otherwise.
    #[serde(default)]
    pub ipblock_excludes_pods: bool,
    /// How host-network pods take part in policy: `node` (never selected,
    /// seen at the node IP) or `pod` (ordinary pods). Default: `node`, or
    /// `pod` with `ipblock_excludes_pods`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub host_network_pods: Option<HostNetworkPods>,
}

/// One probed connection.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProbeResult {
    /// Source endpoint.
    pub from: String,
    /// Destination endpoint.
    pub to: String,
    /// Destination port.
    pub port: u16,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
    /// The verdict.
    pub allowed: bool,
    /// Why: which policies selected each side and which rule allowed it.
    pub reasons: Vec<String>,
}

/// Answer of `POST /api/probe`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProbeResponse {
    /// One row per probed connection.
    pub results: Vec<ProbeResult>,
    /// Policy parts the engine does not model, in words.
    pub notes: Vec<String>,
}

/// Body of `POST /api/diff`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffRequest {
    /// Namespaces and pods, YAML.
    pub cluster: String,
    /// The policies before the edit, YAML.
    pub before: String,
    /// The policies after the edit, YAML.
    pub after: String,
    /// Addresses outside the cluster to include as endpoints.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub external: Vec<IpAddr>,
    /// Compare only on these ports (default: every port either side names
    /// and every container port).
    #[serde(default)]
    pub ports: Vec<String>,
    /// Make ipBlock match no in-cluster pod IP (Cilium's and
    /// netpol-analyzer's behaviour); host-network pods are then ordinary
    /// pods unless `host_network_pods` says otherwise.
    #[serde(default)]
    pub ipblock_excludes_pods: bool,
    /// How host-network pods take part in policy: `node` (never selected,
    /// seen at the node IP) or `pod` (ordinary pods). Default: `node`, or
    /// `pod` with `ipblock_excludes_pods`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub host_network_pods: Option<HostNetworkPods>,
}

/// Reads the objects of one request field, refusing unreadable text with
/// the field name and the line and column.
fn read_objects(text: &str, field: &str) -> Result<Vec<Object>, ApiError> {
    let parsed = parse_documents(text);
    if let Some(error) = parsed
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
    {
        return Err(ApiError::Unreadable {
            code: error.code.clone(),
            message: format!("{field}: {}", error.message),
            field: Some(match &error.field {
                Some(path) if !path.is_empty() => format!("{field}: {path}"),
                _ => field.to_owned(),
            }),
            line: error.line,
            column: error.column,
        });
    }
    Ok(parsed
        .objects
        .into_iter()
        .map(|object| object.object)
        .collect())
}

fn read_policies(text: &str, field: &str) -> Result<Vec<Policy>, ApiError> {
    Ok(read_objects(text, field)?
        .into_iter()
        .filter_map(|object| match object {
            Object::Policy(policy) => Some(policy),
            _ => None,
        })
        .collect())
}

fn read_cluster(
    text: &str,
    external: &[IpAddr],
    ipblock_excludes_pods: bool,
    host_network_pods: Option<HostNetworkPods>,
) -> Result<Cluster, ApiError> {
    // Pod dumps and workload manifests, through policy-core's one reader.
    let mut reader = ClusterReader::new();
    if let Some(error) = reader
        .read(text)
        .into_iter()
        .find(|d| d.severity == Severity::Error)
    {
        return Err(ApiError::Unreadable {
            code: error.code.clone(),
            message: format!("cluster: {}", error.message),
            field: Some(match &error.field {
                Some(path) if !path.is_empty() => format!("cluster: {path}"),
                _ => "cluster".to_owned(),
            }),
            line: error.line,
            column: error.column,
        });
    }
    let mut cluster = reader
        .finish()
        .map_err(|err| {
            ApiError::invalid(
                "invalid-cluster",
                format!("cluster: {err}"),
                Some("cluster"),
            )
        })?
        .cluster;
    cluster.set_address_model(!ipblock_excludes_pods, host_network_pods);
    for ip in external {
        cluster.add_external(*ip);
    }
    Ok(cluster)
}

fn read_ports(ports: &[String]) -> Result<Vec<PortKey>, ApiError> {
    ports
        .iter()
        .enumerate()
        .map(|(index, port)| {
            port.parse::<PortKey>().map_err(|err| {
                ApiError::invalid(
                    "invalid-port",
                    err.to_string(),
                    Some(&format!("ports[{index}]")),
                )
            })
        })
        .collect()
}

fn resolve(
    cluster: &mut Cluster,
    text: Option<&str>,
    field: &str,
) -> Result<Option<EndpointId>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    let reference: EndpointRef =
        text.parse()
            .map_err(|err: policy_core::cluster::EndpointRefError| {
                ApiError::invalid("invalid-endpoint", err.to_string(), Some(field))
            })?;
    cluster.find_or_add(&reference).map(Some).ok_or_else(|| {
        ApiError::invalid(
            "unknown-endpoint",
            format!("{field}: no pod {reference} in the cluster"),
            Some(field),
        )
    })
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>, state: &AppState) -> Result<T, ApiError> {
    let limit = reachability_body_limit(state.config().max_body_bytes) as u64;
    body.map(|Json(value)| value)
        .map_err(|rejection| ApiError::from_json_rejection(rejection, limit))
}

/// Body limit of the reachability routes: cluster dumps are larger than policies.
pub fn reachability_body_limit(max_body_bytes: usize) -> usize {
    max_body_bytes.saturating_mul(8)
}

/// The answer of `POST /api/probe` to a request: reads the cluster and the
/// policies and probes, with no I/O (the handler runs it on a blocking
/// thread; the fuzz crate calls it directly).
pub fn probe_blocking(request: ProbeRequest) -> Result<ProbeResponse, ApiError> {
    let mut cluster = read_cluster(
        &request.cluster,
        &request.external,
        request.ipblock_excludes_pods,
        request.host_network_pods,
    )?;
    let policies = read_policies(&request.policies, "policies")?;
    let ports = read_ports(&request.ports)?;
    let from = resolve(&mut cluster, request.from.as_deref(), "from")?;
    let to = resolve(&mut cluster, request.to.as_deref(), "to")?;
    if from.is_some() && from == to {
        return Err(ApiError::invalid(
            "same-endpoint",
            "from and to name the same endpoint; pod-to-itself connections are not probed",
            Some("to"),
        ));
    }
    let engine = Engine::new(&cluster, &policies);
    let scope = ProbeScope { from, to, ports };
    let connections = engine.probe_count(&scope);
    if connections > MAX_PROBED_CONNECTIONS {
        return Err(ApiError::invalid(
            "too-many-connections",
            format!(
                "this probe covers {connections} connections, more than {MAX_PROBED_CONNECTIONS}; name `from`, `to` or `ports`"
            ),
            None,
        ));
    }
    let mut results = Vec::with_capacity(connections);
    engine
        .probe_each(&scope, |source, target, port| {
            let verdict = engine.verdict(source, target, port);
            results.push(ProbeResult {
                reasons: verdict.reasons(),
                from: verdict.from,
                to: verdict.to,
                port: port.port,
                protocol: port.protocol.as_str().to_owned(),
                allowed: verdict.allowed,
            });
            Ok::<(), std::convert::Infallible>(())
        })
        .unwrap_or_else(|never| match never {});
    Ok(ProbeResponse {
        results,
        notes: engine.notes().to_vec(),
    })
}

/// Who can reach whom, on which port, and why.
#[utoipa::path(
    post,
    path = "/api/probe",
    request_body = ProbeRequest,
    responses(
        (status = 200, body = ProbeResponse),
        (status = 400, body = crate::http::openapi::ErrorEnvelope, description = "unreadable YAML, bad port or endpoint, too many connections"),
        (status = 413, body = crate::http::openapi::ErrorEnvelope),
    )
)]
pub async fn probe(
    State(state): State<AppState>,
    body: Result<Json<ProbeRequest>, JsonRejection>,
) -> Result<Json<ProbeResponse>, ApiError> {
    let request = json_body(body, &state)?;
    let response = tokio::task::spawn_blocking(move || probe_blocking(request))
        .await
        .map_err(|err| ApiError::Internal(format!("probe task failed: {err}")))??;
    Ok(Json(response))
}

fn change_json(change: &ChangedConnection) -> Value {
    json!({
        "from": change.from,
        "to": change.to,
        "port": change.port.port,
        "protocol": change.port.protocol.as_str(),
        "explanation": change.after.explain(),
        "reasons": change.after.reasons(),
        "reasons_before": change.before.reasons(),
    })
}

/// The answer of `POST /api/diff` to a request, with no I/O (the handler
/// runs it on a blocking thread; the fuzz crate calls it directly).
pub fn diff_blocking(request: DiffRequest) -> Result<Value, ApiError> {
    let cluster = read_cluster(
        &request.cluster,
        &request.external,
        request.ipblock_excludes_pods,
        request.host_network_pods,
    )?;
    let before = read_policies(&request.before, "before")?;
    let after = read_policies(&request.after, "after")?;
    let ports = read_ports(&request.ports)?;
    let changes = diff(
        &cluster,
        &before,
        &after,
        (!ports.is_empty()).then_some(ports.as_slice()),
    );
    let allowed: Vec<Value> = changes.newly_allowed.iter().map(change_json).collect();
    let denied: Vec<Value> = changes.newly_denied.iter().map(change_json).collect();
    Ok(json!({
        "summary": {
            "newly_allowed": allowed.len(),
            "newly_denied": denied.len(),
            "ports": changes.ports.iter().map(ToString::to_string).collect::<Vec<_>>(),
        },
        "newly_allowed": allowed,
        "newly_denied": denied,
    }))
}

/// Which connections an edit of the policies allows or denies, across the cluster.
#[utoipa::path(
    post,
    path = "/api/diff",
    request_body = DiffRequest,
    responses(
        (status = 200, description = "`{\"newly_allowed\":[...],\"newly_denied\":[...],\"summary\":{...}}`, as `palisade diff --output json`"),
        (status = 400, body = crate::http::openapi::ErrorEnvelope),
        (status = 413, body = crate::http::openapi::ErrorEnvelope),
    )
)]
pub async fn diff_policies(
    State(state): State<AppState>,
    body: Result<Json<DiffRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let request = json_body(body, &state)?;
    let response = tokio::task::spawn_blocking(move || diff_blocking(request))
        .await
        .map_err(|err| ApiError::Internal(format!("diff task failed: {err}")))??;
    Ok(Json(response))
}
