//! `POST /api/explain`: plain-language explanations of policies.

use axum::Json;
use axum::extract::Query;
use policy_core::explain::explain as explain_policy;
use policy_core::yaml::parse_documents;
use serde::Serialize;

use crate::http::api::body::YamlBody;
use crate::http::api::check::CheckQuery;
use crate::http::api::compute::analyse;
use crate::http::api::export::diagnostic_error;
use crate::http::error::ApiError;

/// One rule's explanation, placed in the submitted text.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleText {
    /// Field path of the rule (`spec.ingress[0]`).
    pub field: String,
    /// What the rule does, as one sentence.
    pub text: String,
    /// 1-based line of the rule in the submitted text.
    pub line: u32,
}

/// The explanation of one policy.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PolicyExplanation {
    /// The file name given in `?file=`, else `null`.
    pub file: Option<String>,
    /// `namespace/name` of the policy.
    pub policy: String,
    /// `NetworkPolicy`, `CiliumNetworkPolicy` or `CiliumClusterwideNetworkPolicy`.
    pub kind: String,
    /// Sentences about the whole policy.
    pub summary: Vec<String>,
    /// One entry per rule.
    pub rules: Vec<RuleText>,
    /// 1-based line where the policy starts in the submitted text.
    pub line: u32,
}

/// Answer of `POST /api/explain`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExplainResponse {
    /// One entry per policy, in source order.
    pub explanations: Vec<PolicyExplanation>,
}

/// Explains each policy of the body in plain language: a summary and one
/// sentence per rule (with its field path and line).
#[utoipa::path(
    post,
    path = "/api/explain",
    params(CheckQuery),
    request_body(content = String, content_type = "application/yaml", description = "policies, YAML or JSON"),
    responses(
        (status = 200, body = ExplainResponse),
        (status = 400, body = crate::http::openapi::ErrorEnvelope, description = "YAML syntax error, with line and column"),
        (status = 413, body = crate::http::openapi::ErrorEnvelope),
    )
)]
pub async fn explain(
    query: Result<Query<CheckQuery>, axum::extract::rejection::QueryRejection>,
    YamlBody(text): YamlBody,
) -> Result<Json<ExplainResponse>, ApiError> {
    let Query(CheckQuery { file }) = query
        .map_err(|rejection| ApiError::invalid("invalid-query", rejection.body_text(), None))?;
    let explanations = analyse(text.len(), move || {
        let parsed = parse_documents(&text);
        if let Some(error) = parsed.syntax_error() {
            return Err(diagnostic_error(error));
        }
        Ok(parsed
            .objects
            .iter()
            .filter_map(|object| {
                let policy = object.policy()?;
                let explanation = explain_policy(policy);
                let rules = explanation
                    .rules
                    .into_iter()
                    .map(|rule| {
                        let line = object.source_map.position(&rule.field).line;
                        RuleText {
                            field: rule.field,
                            text: rule.text,
                            line,
                        }
                    })
                    .collect();
                Some(PolicyExplanation {
                    file: file.clone(),
                    policy: explanation.policy,
                    kind: explanation.kind,
                    summary: explanation.summary,
                    rules,
                    line: object.source_map.position("").line,
                })
            })
            .collect())
    })
    .await??;
    Ok(Json(ExplainResponse { explanations }))
}
