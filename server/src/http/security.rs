//! Security headers on every response.

use axum::http::{HeaderName, HeaderValue, header};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::set_header::SetResponseHeaderLayer;

/// The Content-Security-Policy of every response.
///
/// - scripts only from our origin, no inline script, no `eval`; the page's
///   WASM needs `'wasm-unsafe-eval'` (compiling WebAssembly, nothing else);
/// - styles only from our origin (styles set through the CSSOM by the page
///   are not inline style and stay allowed);
/// - `data:` images for small inline icons;
/// - `connect-src 'self'`: the page only talks to this server (remote
///   `policy-url`s go through `/api/fetch`);
/// - no plugins, no `<base>`, no framing, forms only to ourselves.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
frame-ancestors 'none'; form-action 'self'";

/// Browser features the page never uses.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()";

const HEADERS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("permissions-policy"),
        PERMISSIONS_POLICY,
    ),
];

type SetHeader = SetResponseHeaderLayer<HeaderValue>;

/// The five header layers, outermost first.
pub type SecurityHeaders = ServiceBuilder<
    Stack<
        SetHeader,
        Stack<SetHeader, Stack<SetHeader, Stack<SetHeader, Stack<SetHeader, Identity>>>>,
    >,
>;

/// Layers adding the security headers, unless a handler set its own.
/// (Plain layers rather than a `from_fn` middleware: no boxed future per request.)
pub fn security_headers() -> SecurityHeaders {
    let [a, b, c, d, e] = HEADERS.map(|(name, value)| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    });
    ServiceBuilder::new()
        .layer(a)
        .layer(b)
        .layer(c)
        .layer(d)
        .layer(e)
}
