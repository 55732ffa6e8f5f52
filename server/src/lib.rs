//! Palisade's server and CLI adapters over policy-core.
//!
//! - [`http`]: the axum application ([`http::router`], [`http::serve`]);
//! - [`share`]: share links in SQLite or GitHub gists;
//! - [`hubble`]: live flows from Hubble Relay's Observer gRPC API;
//! - [`fetch`]: SSRF-safe download of `?policy-url=` documents;
//! - [`config`]: the flags and environment variables of `palisade serve`.
//!
//! The server never implements policy semantics: every analysis is a call
//! into policy-core.

pub mod config;
pub mod fetch;
pub mod http;
pub mod hubble;
pub mod share;

pub use config::{ServeArgs, ServeConfig};
pub use http::{AppState, router, serve, serve_on};
