//! The one error type of the JSON API, rendered as
//! `{"error":{"code","message","field"?,"line"?,"column"?}}` with a fitting status.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Everything an API handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The YAML (or JSON) text cannot be read: a syntax error, or a value
    /// that cannot be read into the policy model.
    #[error("{message}")]
    Unreadable {
        /// policy-core's diagnostic code, such as `yaml-syntax`.
        code: String,
        /// The parser's message.
        message: String,
        /// Field path of the unreadable value, if any.
        field: Option<String>,
        /// 1-based line, when known.
        line: Option<u32>,
        /// 1-based column, when known.
        column: Option<u32>,
    },
    /// The request is well-formed HTTP but its content is not acceptable.
    #[error("{message}")]
    InvalidInput {
        /// Stable machine-readable code, such as `invalid-json`.
        code: &'static str,
        /// What is wrong and what to do.
        message: String,
        /// The offending request field, when there is one.
        field: Option<String>,
    },
    /// The request body is larger than this route accepts.
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The request body has a content type this route does not read.
    #[error("unsupported content type ({got}); send {expected}")]
    UnsupportedMediaType {
        /// The content type sent.
        got: String,
        /// What the route reads.
        expected: &'static str,
    },
    /// The request body is compressed; bodies are read as sent.
    #[error(
        "request bodies are read uncompressed; `Content-Encoding: {0}` is not accepted (send the body as is)"
    )]
    UnsupportedContentEncoding(String),
    /// The route exists but not with this method.
    #[error("method not allowed here")]
    MethodNotAllowed,
    /// A share id that cannot be one of ours.
    #[error("malformed share id {0:?}: expected 16 letters/digits, or a hexadecimal gist id")]
    MalformedShareId(String),
    /// Nothing under that name.
    #[error("{0}")]
    NotFound(String),
    /// The client created too many shares recently.
    #[error("too many shares created from this address; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until the next share is accepted.
        retry_after_secs: u64,
    },
    /// `/api/fetch` was asked for a URL it must not reach.
    #[error("{0}")]
    ForbiddenTarget(String),
    /// An upstream server (GitHub, a `policy-url`) failed or answered badly.
    #[error("{message}")]
    Upstream {
        /// Stable machine-readable code.
        code: &'static str,
        /// What went wrong.
        message: String,
    },
    /// An upstream server did not answer in time.
    #[error("{0}")]
    UpstreamTimeout(String),
    /// The request took longer than the server allows.
    #[error("the request took longer than {0} s")]
    Timeout(u64),
    /// A feature that needs configuration that is missing.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an I/O failure on the server.
    #[error("internal error: {0}")]
    Internal(String),
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
}

impl ApiError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unreadable { .. }
            | ApiError::InvalidInput { .. }
            | ApiError::MalformedShareId(_) => StatusCode::BAD_REQUEST,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } | ApiError::UnsupportedContentEncoding(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ForbiddenTarget(_) => StatusCode::FORBIDDEN,
            ApiError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            ApiError::UpstreamTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code in the JSON body.
    pub fn code(&self) -> &str {
        match self {
            ApiError::Unreadable { code, .. } => code,
            ApiError::InvalidInput { code, .. } => code,
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::UnsupportedMediaType { .. } => "unsupported-media-type",
            ApiError::UnsupportedContentEncoding(_) => "unsupported-content-encoding",
            ApiError::MalformedShareId(_) => "malformed-id",
            ApiError::NotFound(_) => "not-found",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::ForbiddenTarget(_) => "forbidden-target",
            ApiError::Upstream { code, .. } => code,
            ApiError::UpstreamTimeout(_) => "upstream-timeout",
            ApiError::Timeout(_) => "timeout",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// Shorthand for [`ApiError::InvalidInput`].
    pub fn invalid(code: &'static str, message: impl Into<String>, field: Option<&str>) -> Self {
        ApiError::InvalidInput {
            code,
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }

    /// Maps axum's body rejection, keeping "too large" apart from the rest.
    pub fn from_body_rejection(rejection: BytesRejection, limit: u64) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::invalid(
                "bad-body",
                format!("cannot read the request body: {}", rejection.body_text()),
                None,
            )
        }
    }

    /// Maps axum's JSON rejection to our codes.
    pub fn from_json_rejection(rejection: JsonRejection, limit: u64) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit },
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType {
                got: "a non-JSON body".to_owned(),
                expected: "application/json",
            },
            _ => ApiError::invalid("invalid-json", rejection.body_text(), None),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(code = self.code(), error = %self, "request failed");
        }
        let (field, line, column) = match &self {
            ApiError::Unreadable {
                field,
                line,
                column,
                ..
            } => (field.as_deref(), *line, *column),
            ApiError::InvalidInput { field, .. } => (field.as_deref(), None, None),
            _ => (None, None, None),
        };
        // Server-side failures keep their details in the log, not in the answer.
        let message = match &self {
            ApiError::Internal(_) => "internal server error; see the server log".to_owned(),
            other => other.to_string(),
        };
        let body = ErrorEnvelope {
            error: ErrorBody {
                code: self.code(),
                message,
                field,
                line,
                column,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::RateLimited { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}
