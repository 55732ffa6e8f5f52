//! Hubble flows: read, aggregate, generate least-privilege policies, replay.
//!
//! The pipeline is streaming and pure:
//!
//! 1. [`reader::FlowReader`] takes byte chunks of `hubble observe -o json`
//!    output (wrapper lines, bare Flow lines, or JSON arrays of either) and
//!    yields borrowed [`event::FlowEvent`]s, reporting bad records by line.
//! 2. [`aggregate::Aggregator`] folds them into distinct tuples keyed by
//!    [`identity::Identity`] (namespace + stable labels, reserved entities,
//!    external addresses) with counts and first/last seen.
//! 3. [`generate::generate`] turns the aggregates into one ingress policy per
//!    destination workload and one egress policy per source workload, as
//!    Kubernetes NetworkPolicies or CiliumNetworkPolicies.
//! 4. [`replay::replay`] asks the reachability engine whether each distinct
//!    flow is allowed by a set of policies, and by which rule.
//!
//! [`aggregate_bytes`] runs steps 1–2 over a whole buffer; [`read_flows`]
//! over any [`std::io::BufRead`]. [`to_yaml`] writes generated policies as
//! canonical multi-document YAML.
//!
//! Memory is bounded whatever the input size: the reader buffers at most one
//! record ([`ReaderOptions::max_record_bytes`]), the aggregator at most
//! [`AggregateOptions::max_distinct`] tuples, identities and L7 requests.

pub mod aggregate;
pub mod event;
mod fast_hash;
pub mod generate;
pub mod identity;
pub mod reader;
pub mod replay;
mod skim;
pub mod timestamp;
mod wire;

pub use aggregate::{
    AggregateOptions, AggregatedFlow, Aggregates, Aggregator, IdentityInfo, L7Key,
};
pub use event::{Direction, FlowEvent, L7View, Protocol, Verdict};
pub use generate::{
    Flavor, GenerateOptions, Generated, PolicyDirections, generate, parse_verdicts, to_yaml,
};
pub use identity::{Identity, ReservedEntity};
pub use reader::{
    FlowReader, LineProblem, ProblemSeverity, ReadError, ReadReport, ReaderOptions, read_flows,
};
pub use replay::{Replay, ReplayCluster, ReplayRow, ReplaySummary, replay, replay_cluster};

/// Reads and aggregates a whole in-memory input (what the page and the HTTP
/// API get). Large inputs should go through [`FlowReader`] chunk by chunk.
pub fn aggregate_bytes(
    input: &[u8],
    reader: ReaderOptions,
    aggregate: AggregateOptions,
) -> Result<(Aggregates, ReadReport), ReadError> {
    let mut agg = Aggregator::new(aggregate);
    let mut r = FlowReader::new(reader);
    r.feed(input, &mut |ev| agg.add(ev))?;
    let report = r.finish(&mut |ev| agg.add(ev))?;
    Ok((agg.finish(), report))
}
