//! Live flows from Hubble Relay (`--hubble-relay HOST:PORT`).
//!
//! - [`proto`]: the vendored Observer API (`proto/`), compiled by `build.rs`;
//! - [`relay`]: connection options (TLS as in hubble's CLI), the
//!   `GetFlows` request, and reading the stream into policy-core's
//!   aggregation;
//! - [`recorded`]: an Observer server that streams recorded flow files, the
//!   stand-in for Hubble Relay in tests and demos.
//!
//! Each `GetFlowsResponse` is written as the JSON line `hubble observe -o
//! json` prints for it (proto field names, enum names) and fed to
//! policy-core's [`FlowReader`](policy_core::flows::FlowReader), so flows
//! from Relay and flows from a file go through the same reader and the same
//! aggregation: there is no second interpretation of a Flow here.

pub mod proto;
pub mod recorded;
pub mod relay;
