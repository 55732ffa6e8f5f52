//! Reader and aggregation over the real Hubble samples and synthetic edge cases.

use policy_core::flows::{
    AggregateOptions, Identity, L7Key, Protocol, ReadError, ReaderOptions, ReservedEntity, Verdict,
    aggregate_bytes,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hubble/");

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DATA}{name}")).unwrap()
}

#[test]
fn reads_every_real_sample() {
    for (name, n) in [
        ("basic-sample-10-flows.json", 10),
        ("basic-sample-400-tcp-flows.json", 400),
        ("basic-sample-400-udp-flows.json", 400),
        ("basic-sample-5-dns-flows.json", 5),
        ("basic-sample-5-http-flows.json", 5),
        ("cilium-docs-export-events.log", 2),
    ] {
        let (agg, report) = aggregate_bytes(&sample(name), ReaderOptions::default(), AggregateOptions::default()).unwrap();
        assert_eq!(report.flows, n, "{name}: {:?}", report.problems);
        assert_eq!(report.errors, 0, "{name}: {:?}", report.problems);
        assert_eq!(agg.total_flows, n);
        assert_eq!(agg.flows.iter().map(|f| f.count).sum::<u64>(), n, "{name}");
    }
}
