//! Flows → generated policies → `check`.
//!
//! The input is a 4-byte header of generation options, then a Hubble flow
//! log, read and aggregated as `POST /api/flows` and `palisade generate`
//! read it. Header byte 0: flavour (bit 0), directions (bits 1–2), a
//! namespace filter of `default` (bit 3); byte 1: the IPv4 prefix (mod 33);
//! byte 2: the IPv6 prefix (mod 129); byte 3: the verdicts to allow
//! (bits 0–2: FORWARDED, DROPPED, AUDIT; FORWARDED when none).
//!
//! Invariants:
//! - nothing panics;
//! - the generated YAML checks without a single error (apiserver or Cilium
//!   validation, lints of error severity);
//! - it reads back to the generated policies.

use policy_core::check::check;
use policy_core::diagnostic::Severity;
use policy_core::flows::{
    AggregateOptions, Flavor, GenerateOptions, PolicyDirections, ReaderOptions, Verdict,
    aggregate_bytes, generate, to_yaml,
};
use policy_core::yaml::parse_documents;

use crate::split::header;

fn options(head: [u8; 4]) -> GenerateOptions {
    let mut verdicts: Vec<Verdict> = [Verdict::Forwarded, Verdict::Dropped, Verdict::Audit]
        .into_iter()
        .enumerate()
        .filter(|(bit, _)| head[3] & (1 << bit) != 0)
        .map(|(_, v)| v)
        .collect();
    if verdicts.is_empty() {
        verdicts.push(Verdict::Forwarded);
    }
    GenerateOptions {
        flavor: if head[0] & 1 == 0 {
            Flavor::Kubernetes
        } else {
            Flavor::Cilium
        },
        directions: match (head[0] >> 1) % 3 {
            0 => PolicyDirections::Both,
            1 => PolicyDirections::Ingress,
            _ => PolicyDirections::Egress,
        },
        namespaces: if head[0] & 8 != 0 {
            vec!["default".to_owned()]
        } else {
            Vec::new()
        },
        ipv4_prefix: head[1] % 33,
        ipv6_prefix: head[2] % 129,
        verdicts,
    }
}

/// The target's body.
pub fn run(data: &[u8]) {
    let (head, input) = header::<4>(data);
    let opts = options(head);
    let reader = ReaderOptions {
        max_errors: 100,
        ..ReaderOptions::default()
    };
    let Ok((aggregates, _)) = aggregate_bytes(input, reader, AggregateOptions::default()) else {
        return;
    };
    let generated = generate(&aggregates, &opts);
    let yaml = to_yaml(&generated.policies);
    let errors: Vec<_> = check(&yaml, None)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(
        errors.is_empty(),
        "generated policies do not check: {errors:#?}\n{yaml}"
    );
    let back: Vec<_> = parse_documents(&yaml).policies().cloned().collect();
    assert_eq!(
        back, generated.policies,
        "the generated YAML reads back to other policies:\n{yaml}"
    );
}
