//! Extractors for request bodies and the client address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;

use crate::http::AppState;
use crate::http::error::ApiError;

/// Content types accepted for a YAML body (compared without parameters).
pub const YAML_CONTENT_TYPES: [&str; 6] = [
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "text/x-yaml",
    "text/plain",
    "application/json",
];

/// A UTF-8 YAML request body, within the route's body limit.
/// Accepts the types in [`YAML_CONTENT_TYPES`], or no content type at all.
pub struct YamlBody(pub String);

impl FromRequest<AppState> for YamlBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(value) = request.headers().get(header::CONTENT_TYPE) {
            let text = value.to_str().unwrap_or("");
            let essence = text
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if !YAML_CONTENT_TYPES.contains(&essence.as_str()) {
                return Err(ApiError::UnsupportedMediaType {
                    got: text.to_owned(),
                    expected: "the YAML as application/yaml or text/plain",
                });
            }
        }
        let limit = state.config().max_body_bytes as u64;
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::from_body_rejection(rejection, limit))?;
        let text = String::from_utf8(bytes.into()).map_err(|err| {
            ApiError::invalid(
                "invalid-utf8",
                format!(
                    "the body is not UTF-8 (byte {})",
                    err.utf8_error().valid_up_to()
                ),
                None,
            )
        })?;
        Ok(YamlBody(text))
    }
}

/// The client's IP address, from the TCP connection. (No proxy headers are
/// trusted: behind a reverse proxy, every client shares the proxy's address.)
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(ClientIp(ip))
    }
}
