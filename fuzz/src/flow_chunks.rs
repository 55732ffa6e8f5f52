//! The Hubble flow reader, fed the same bytes in different chunkings.
//!
//! The input is a 4-byte header, then the flow log. Header byte 0 picks the
//! record size limit (small limits reach the oversized-record paths), bytes
//! 1 to 3 are the sizes of the chunks the second reading is cut into,
//! repeated to the end.
//!
//! Invariants:
//! - nothing panics;
//! - the whole input in one chunk, the header's chunking and one byte at a
//!   time (for inputs up to 4 KiB) give the same flows (every field, in
//!   order), the same read report (counts and problems) or the same error;
//! - the aggregation of the flows takes them without panicking.

use policy_core::flows::{AggregateOptions, Aggregator, FlowReader, ReadReport, ReaderOptions};

use crate::split::header;

/// Inputs up to this size are also read one byte at a time.
const BYTEWISE_UP_TO: usize = 4096;

/// What one reading gave: every flow (its debug form holds every field) and
/// the report, or the error's message.
#[derive(Debug, PartialEq)]
struct Reading {
    flows: Vec<String>,
    outcome: Result<ReadReport, String>,
}

fn read(input: &[u8], opts: &ReaderOptions, sizes: &mut dyn Iterator<Item = usize>) -> Reading {
    let mut flows = Vec::new();
    let mut reader = FlowReader::new(opts.clone());
    // Tokens are the fast path's names for texts it has seen (a whole line
    // at once); a line read in pieces has none. The flow is the rest.
    let mut on_flow = |ev: &policy_core::flows::FlowEvent<'_>| {
        let ev = policy_core::flows::FlowEvent {
            source_token: None,
            destination_token: None,
            ..ev.clone()
        };
        flows.push(format!("{ev:?}"))
    };
    let mut rest = input;
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        if let Err(err) = reader.feed(chunk, &mut on_flow) {
            return Reading {
                flows,
                outcome: Err(err.to_string()),
            };
        }
    }
    let outcome = reader.finish(&mut on_flow).map_err(|err| err.to_string());
    Reading { flows, outcome }
}

/// The target's body.
pub fn run(data: &[u8]) {
    let (head, input) = header::<4>(data);
    let opts = ReaderOptions {
        max_record_bytes: match head[0] % 4 {
            0 => ReaderOptions::default().max_record_bytes,
            limit => 16 << (limit * 2), // 64, 256, 1024 bytes
        },
        max_errors: 20,
        max_reported: 10,
    };
    let whole = read(input, &opts, &mut std::iter::once(input.len()));
    let sizes = [head[1], head[2], head[3]].map(|b| usize::from(b) + 1);
    let cut = read(input, &opts, &mut sizes.into_iter().cycle());
    assert_eq!(
        whole, cut,
        "chunks of {sizes:?} bytes read differently from the whole input"
    );
    if input.len() <= BYTEWISE_UP_TO {
        let bytewise = read(input, &opts, &mut std::iter::repeat(1));
        assert_eq!(whole, bytewise, "byte by byte reads differently");
    }

    let mut aggregator = Aggregator::new(AggregateOptions::default());
    let mut reader = FlowReader::new(opts);
    let _ = reader.feed(input, &mut |ev| aggregator.add(ev));
    let _ = reader.finish(&mut |ev| aggregator.add(ev));
    let _ = aggregator.finish();
}
