//! Palisade's fuzz targets.
//!
//! Each target is one module with a `pub fn run(data: &[u8])`: it turns the
//! bytes into an input, runs the code under test through the same
//! policy-core (or server) entry points the CLI, the HTTP API and the page
//! use, and panics when an invariant breaks. The bodies live here, in a
//! normal library, so that two drivers share them:
//!
//! - libFuzzer (`fuzz_targets/*.rs`, built by `cargo fuzz` on nightly with
//!   the `libfuzzer` feature; `cargo xtask fuzz TARGET SECONDS`);
//! - the replay test (`tests/replay.rs`, stable, part of `cargo test`),
//!   which runs every file of every corpus under `corpus/TARGET/`.
//!
//! A crash found by the fuzzer is kept in its corpus, so the replay test
//! holds the fix from then on; the fix itself gets a regression test next
//! to the code it changes.

pub mod check_yaml;
pub mod cluster_reader;
pub mod edit_view;
pub mod flow_chunks;
pub mod generate_check;
#[cfg(feature = "http")]
pub mod http_api;
mod split;

/// A target's name (its corpus directory and libFuzzer binary) and body.
#[derive(Clone, Copy)]
pub struct Target {
    /// `corpus/<name>/`, `fuzz_targets/<name>.rs`.
    pub name: &'static str,
    /// The body: panics when an invariant breaks.
    pub run: fn(&[u8]),
}

/// Every target, in the order the issue lists them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "check_yaml",
        run: check_yaml::run,
    },
    Target {
        name: "edit_view",
        run: edit_view::run,
    },
    Target {
        name: "flow_chunks",
        run: flow_chunks::run,
    },
    Target {
        name: "cluster_reader",
        run: cluster_reader::run,
    },
    #[cfg(feature = "http")]
    Target {
        name: "http_api",
        run: http_api::run,
    },
    Target {
        name: "generate_check",
        run: generate_check::run,
    },
];
