//! `POST /api/export`: canonical, kubectl-ready YAML.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use policy_core::diagnostic::Severity;
use policy_core::yaml::{emit_policies, parse_documents};

use crate::http::api::body::YamlBody;
use crate::http::api::compute::analyse;
use crate::http::error::ApiError;

/// Rewrites the policies of the body as canonical YAML: `apiVersion`, `kind`,
/// `metadata`, `spec` in kubectl's order, multi-doc with `---`. Objects that
/// are not policies (Namespaces, Pods) are left out.
///
/// Refused (400) when the text cannot be read completely: a field that could
/// not be read would silently vanish from the export.
#[utoipa::path(
    post,
    path = "/api/export",
    request_body(content = String, content_type = "application/yaml", description = "policies, YAML or JSON"),
    responses(
        (status = 200, body = String, content_type = "application/yaml", description = "canonical YAML"),
        (status = 400, body = crate::http::openapi::ErrorEnvelope, description = "unreadable YAML, or no policy"),
        (status = 413, body = crate::http::openapi::ErrorEnvelope),
    )
)]
pub async fn export(YamlBody(text): YamlBody) -> Result<Response, ApiError> {
    let yaml = analyse(text.len(), move || {
        let parsed = parse_documents(&text);
        if let Some(error) = parsed.syntax_error().or_else(|| parsed.diagnostics.iter().find(|d| d.severity == Severity::Error)) {
            return Err(diagnostic_error(error));
        }
        let policies: Vec<_> = parsed.policies().cloned().collect();
        if policies.is_empty() {
            return Err(ApiError::invalid(
                "no-policy",
                "the text holds no NetworkPolicy, CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy",
                None,
            ));
        }
        Ok(emit_policies(&policies))
    })
    .await??;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/yaml; charset=utf-8"),
        )],
        yaml,
    )
        .into_response())
}

/// A reading error of policy-core as the API's 400 answer, keeping its code,
/// field path, line and column.
pub fn diagnostic_error(diagnostic: &policy_core::diagnostic::Diagnostic) -> ApiError {
    ApiError::Unreadable {
        code: diagnostic.code.clone(),
        message: diagnostic.message.clone(),
        field: diagnostic.field.clone(),
        line: diagnostic.line,
        column: diagnostic.column,
    }
}
