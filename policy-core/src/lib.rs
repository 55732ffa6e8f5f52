//! Palisade's policy domain.
//!
//! Everything that knows what a Kubernetes NetworkPolicy or a Cilium policy
//! *means* lives here. The crate is pure: no files, no network, no clocks, no
//! threads. It compiles for native targets and for `wasm32-unknown-unknown`,
//! so the server, the CLI and the page share one implementation.

pub mod check;
pub mod cluster;
pub mod diagnostic;
pub mod diff;
pub mod edit;
pub mod engine;
pub mod explain;
pub mod flows;
pub mod lint;
pub mod model;
pub mod posture;
pub mod source_map;
pub mod tutorial;
pub mod validate;
pub mod view;
pub mod yaml;
