//! Reader and aggregation: the real Hubble samples, every input form, and bad input.

use policy_core::flows::{
    AggregateOptions, Aggregates, Aggregator, Direction, FlowReader, Identity, L7Key,
    ProblemSeverity, Protocol, ReadError, ReadReport, ReaderOptions, ReservedEntity, Verdict,
    aggregate_bytes,
};

use policy_core::flows::timestamp::format_rfc3339;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hubble/");

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DATA}{name}")).unwrap()
}

fn read(input: &[u8]) -> (Aggregates, ReadReport) {
    aggregate_bytes(input, ReaderOptions::default(), AggregateOptions::default()).unwrap()
}

/// Feeds `input` in chunks of the given sizes (cycled).
fn read_chunked(
    input: &[u8],
    sizes: &[usize],
    opts: ReaderOptions,
) -> Result<(Aggregates, ReadReport), ReadError> {
    let mut agg = Aggregator::default();
    let mut r = FlowReader::new(opts);
    let mut pos = 0;
    let mut i = 0;
    while pos < input.len() {
        let n = sizes[i % sizes.len()].max(1).min(input.len() - pos);
        r.feed(&input[pos..pos + n], &mut |ev| agg.add(ev))?;
        pos += n;
        i += 1;
    }
    let report = r.finish(&mut |ev| agg.add(ev))?;
    Ok((agg.finish(), report))
}

const WRAPPED: &str = r#"{"flow":{"time":"2024-01-01T00:00:01Z","verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":40000,"destination_port":8080}},"source":{"identity":1234,"namespace":"shop","labels":["k8s:app=web","k8s:pod-template-hash=abc123","k8s:io.kubernetes.pod.namespace=shop"],"pod_name":"web-abc123-xyz12"},"destination":{"identity":5678,"namespace":"shop","labels":["k8s:app=api","k8s:io.kubernetes.pod.namespace=shop"],"pod_name":"api-0"},"Type":"L3_L4","traffic_direction":"EGRESS","is_reply":false},"node_name":"n1","time":"2024-01-01T00:00:01Z"}"#;
const BARE: &str = r#"{"time":"2024-01-01T00:00:02Z","verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":40001,"destination_port":8080}},"source":{"identity":1234,"namespace":"shop","labels":["k8s:app=web","k8s:pod-template-hash=def456","k8s:io.kubernetes.pod.namespace=shop"],"pod_name":"web-def456-abc12"},"destination":{"identity":5678,"namespace":"shop","labels":["k8s:app=api","k8s:io.kubernetes.pod.namespace=shop"],"pod_name":"api-1"},"Type":"L3_L4","traffic_direction":"EGRESS","is_reply":false}"#;

#[test]
fn reads_every_real_sample() {
    for (name, n) in [
        ("basic-sample-10-flows.json", 10),
        ("basic-sample-400-tcp-flows.json", 400),
        ("basic-sample-400-udp-flows.json", 400),
        ("basic-sample-5-dns-flows.json", 5),
        ("basic-sample-5-http-flows.json", 5),
        ("cilium-docs-export-events.log", 2),
        ("basic-sample-400-icmpv4-flows.json", 18),
    ] {
        let (agg, report) = read(&sample(name));
        assert_eq!(report.flows, n, "{name}: {:?}", report.problems);
        assert_eq!(report.errors, 0, "{name}: {:?}", report.problems);
        assert_eq!(agg.total_flows, n);
        assert_eq!(agg.flows.iter().map(|f| f.count).sum::<u64>(), n, "{name}");
    }
}

#[test]
fn sample_identities_and_l7() {
    let (agg, _) = read(&sample("basic-sample-5-http-flows.json"));
    let prom = agg
        .identities
        .iter()
        .find(|i| i.display == "istio-system/prometheus")
        .expect("prometheus workload");
    match &prom.identity {
        Identity::Workload { namespace, labels } => {
            assert_eq!(namespace, "istio-system");
            assert_eq!(labels.get("app").map(String::as_str), Some("prometheus"));
            assert!(
                labels
                    .keys()
                    .all(|k| !k.starts_with("io.cilium") && k != "io.kubernetes.pod.namespace")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(agg.flows.iter().any(|f| *agg.l7(f)
        == L7Key::Http {
            method: "GET".into(),
            path: "/metrics".into()
        }));
    // reserved:world with an address is an external /32 peer.
    assert!(agg.identities.iter().any(|i| i.display == "ip:10.128.0.4"));

    let (agg, _) = read(&sample("basic-sample-5-dns-flows.json"));
    assert!(agg.flows.iter().any(|f| matches!(agg.l7(f), L7Key::Dns { query } if query == "istiod-istio-1611.istio-system.svc.istio-system.svc.cluster.local")));
    // The DNS answer is a reply.
    assert!(
        agg.flows
            .iter()
            .any(|f| f.is_reply && matches!(agg.l7(f), L7Key::Dns { .. }))
    );
}

#[test]
fn reserved_identities_from_labels_and_numbers() {
    let (agg, _) = read(&sample("basic-sample-10-flows.json"));
    assert!(agg.identities.iter().any(|i| matches!(
        i.identity,
        Identity::Reserved {
            entity: ReservedEntity::Host,
            ..
        }
    )));
    let by_number = r#"{"flow":{"verdict":"FORWARDED","IP":{"source":"10.0.0.9","destination":"10.0.0.2"},"l4":{"TCP":{"destination_port":80}},"source":{"identity":6},"destination":{"namespace":"a","labels":["k8s:app=x"]}}}"#;
    let (agg, _) = read(by_number.as_bytes());
    assert!(agg.identities.iter().any(|i| i.identity
        == Identity::Reserved {
            entity: ReservedEntity::RemoteNode,
            ip: Some("10.0.0.9".parse().unwrap())
        }));
}

#[test]
fn wrapper_and_bare_lines_aggregate_together_dropping_volatile_labels() {
    let input = format!("{WRAPPED}\n{BARE}\n");
    let (agg, report) = read(input.as_bytes());
    assert_eq!((report.flows, report.errors), (2, 0));
    assert_eq!(
        agg.flows.len(),
        1,
        "pod-template-hash must not split the workload"
    );
    let f = &agg.flows[0];
    assert_eq!(f.count, 2);
    assert_eq!(
        (f.protocol, f.port, f.direction, f.verdict),
        (
            Protocol::Tcp,
            Some(8080),
            Direction::Egress,
            Verdict::Forwarded
        )
    );
    assert_eq!(
        f.first_seen.map(format_rfc3339).as_deref(),
        Some("2024-01-01T00:00:01Z")
    );
    assert_eq!(
        f.last_seen.map(format_rfc3339).as_deref(),
        Some("2024-01-01T00:00:02Z")
    );
    assert_eq!(agg.identity(f.source).display, "shop/web");
    assert_eq!(agg.identity(f.destination).display, "shop/api");
}

#[test]
fn arrays_single_line_and_pretty_printed() {
    let one_line = format!("[{WRAPPED},{BARE}]");
    let (agg, report) = read(one_line.as_bytes());
    assert_eq!(
        (report.flows, report.errors),
        (2, 0),
        "{:?}",
        report.problems
    );
    assert_eq!(agg.flows[0].count, 2);

    let v: Vec<serde_json::Value> = vec![
        serde_json::from_str(WRAPPED).unwrap(),
        serde_json::from_str(BARE).unwrap(),
    ];
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    for sizes in [vec![usize::MAX], vec![1], vec![7, 13, 64]] {
        let (agg, report) =
            read_chunked(pretty.as_bytes(), &sizes, ReaderOptions::default()).unwrap();
        assert_eq!(
            (report.flows, report.errors),
            (2, 0),
            "{:?}",
            report.problems
        );
        assert_eq!(agg.flows[0].count, 2);
    }
    // An array followed by JSON lines, with strings holding brackets and escapes.
    let tricky = format!(
        "[{{\"flow\":{{\"verdict\":\"FORWARDED\",\"IP\":{{\"source\":\"10.0.0.9\"}},\"Summary\":\"]}} \\\" [{{\",\"l4\":{{\"UDP\":{{\"destination_port\":53}}}}}}}}]\n{WRAPPED}\n"
    );
    let (_, report) = read(tricky.as_bytes());
    assert_eq!(
        (report.flows, report.errors),
        (2, 0),
        "{:?}",
        report.problems
    );
}

#[test]
fn non_flow_events_are_skipped() {
    let input = format!(
        "{WRAPPED}\n{{\"node_status\":{{\"state_change\":\"NODE_CONNECTED\"}},\"node_name\":\"n1\"}}\n{{\"lost_events\":{{\"source\":\"HUBBLE_RING_BUFFER\",\"num_events_lost\":\"3\"}}}}\n"
    );
    let (_, report) = read(input.as_bytes());
    assert_eq!(
        (report.flows, report.skipped_events, report.errors),
        (1, 2, 0)
    );
}

#[test]
fn garbage_lines_are_reported_with_line_numbers() {
    let input = format!(
        "{WRAPPED}\nhello world\n\n{{}}\n{{\"flow\":{{\"verdict\":\"FORWARDED\",\"l4\":\n{BARE}\n[1,2]\n"
    );
    let (agg, report) = read(input.as_bytes());
    assert_eq!(report.flows, 2);
    assert_eq!(agg.flows[0].count, 2);
    let lines: Vec<u64> = report
        .problems
        .iter()
        .filter(|p| p.severity == ProblemSeverity::Error)
        .map(|p| p.line)
        .collect();
    assert_eq!(lines, [2, 4, 5, 7, 7], "{:?}", report.problems);
    assert_eq!(report.errors, 5);
    assert!(
        report.problems[0].message.contains("not a JSON object"),
        "{}",
        report.problems[0]
    );
    assert!(
        report.problems[2].message.contains("truncated"),
        "{}",
        report.problems[2]
    );
}

#[test]
fn too_many_errors_stops_reading() {
    let input = "x\n".repeat(20);
    let opts = ReaderOptions {
        max_errors: 5,
        ..ReaderOptions::default()
    };
    let err = aggregate_bytes(input.as_bytes(), opts, AggregateOptions::default()).unwrap_err();
    match err {
        ReadError::TooManyErrors { limit, line, .. } => assert_eq!((limit, line), (5, 6)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_last_line_and_crlf_and_bom() {
    let input = format!("\u{feff}{WRAPPED}\r\n{}", &BARE[..BARE.len() / 2]);
    let (_, report) = read(input.as_bytes());
    assert_eq!((report.flows, report.errors), (1, 1));
    assert_eq!(report.problems[0].line, 2);
    assert!(report.problems[0].message.contains("truncated"));
}

#[test]
fn invalid_utf8_is_a_per_line_error() {
    let mut input = WRAPPED
        .replace("web-abc123-xyz12", "web-\u{1}")
        .into_bytes();
    let pos = input.windows(5).position(|w| w == b"web-\x01").unwrap();
    input[pos + 4] = 0xff;
    input.push(b'\n');
    input.extend_from_slice(BARE.as_bytes());
    let (agg, report) = read(&input);
    assert_eq!(
        (report.flows, report.errors),
        (1, 1),
        "{:?}",
        report.problems
    );
    assert_eq!(agg.total_flows, 1);
    assert_eq!(report.problems[0].line, 1);
    assert!(report.problems[0].column.is_some());
    assert!(
        report.problems[0].message.contains("UTF-8"),
        "{}",
        report.problems[0]
    );
    let input2 = b"{\"flow\":{\"verdict\":\"FORW\xffARDED\"}}\n";
    let (_, report) = read(input2);
    assert_eq!(report.errors, 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].line, 1);
}

#[test]
fn a_100_mb_line_is_skipped_with_bounded_memory() {
    let mut agg = Aggregator::default();
    let mut r = FlowReader::new(ReaderOptions::default());
    r.feed(
        format!("{WRAPPED}\n{{\"flow\":{{\"Summary\":\"").as_bytes(),
        &mut |ev| agg.add(ev),
    )
    .unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..100 {
        r.feed(&chunk, &mut |ev| agg.add(ev)).unwrap();
        assert!(
            r.buffer_capacity() <= 2 << 20,
            "buffer grew to {}",
            r.buffer_capacity()
        );
    }
    r.feed(format!("\"}}}}\n{BARE}\n").as_bytes(), &mut |ev| {
        agg.add(ev)
    })
    .unwrap();
    let report = r.finish(&mut |ev| agg.add(ev)).unwrap();
    assert_eq!((report.flows, report.errors), (2, 1));
    assert_eq!(report.problems[0].line, 2);
    assert!(
        report.problems[0].message.contains("longer than"),
        "{}",
        report.problems[0]
    );
    assert_eq!(report.lines, 3);
}

#[test]
fn unknown_enums_and_missing_fields() {
    let input = concat!(
        r#"{"flow":{"verdict":"MAYBE","Type":"L9","traffic_direction":"SIDEWAYS","IP":{"source":"10.0.0.1"},"l4":{"TCP":{"destination_port":99999}}}}"#,
        "\n",
        r#"{"flow":{}}"#,
        "\n",
        r#"{"flow":{"verdict":2,"traffic_direction":1,"isReply":true,"IP":{"destination":"10.0.0.2"},"l4":{"UDP":{"destinationPort":53}}}}"#,
        "\n"
    );
    let (agg, report) = read(input.as_bytes());
    // `{"flow":{}}` names no endpoint: a problem, not a flow.
    assert_eq!(
        (report.flows, report.errors, report.warnings),
        (2, 1, 4),
        "{:?}",
        report.problems
    );
    let msgs: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(msgs.iter().any(|m| m.contains("unknown verdict \"MAYBE\"")));
    assert!(msgs.iter().any(|m| m.contains("unknown flow Type")));
    assert!(msgs.iter().any(|m| m.contains("traffic_direction")));
    assert!(msgs.iter().any(|m| m.contains("port 99999")));
    let numeric = agg
        .flows
        .iter()
        .find(|f| f.verdict == Verdict::Dropped)
        .expect("numeric enums");
    assert_eq!(
        (
            numeric.direction,
            numeric.is_reply,
            numeric.protocol,
            numeric.port
        ),
        (Direction::Ingress, true, Protocol::Udp, Some(53))
    );
}

#[test]
fn chunking_does_not_change_the_result() {
    let input = sample("basic-sample-400-udp-flows.json");
    let (whole, _) = read(&input);
    for sizes in [vec![1usize, 2, 3], vec![4096], vec![100, 5000, 17]] {
        let (agg, report) = read_chunked(
            &input[..input.len().min(200_000)],
            &sizes,
            ReaderOptions::default(),
        )
        .unwrap();
        let (expect, expect_report) = read(&input[..input.len().min(200_000)]);
        assert_eq!(agg, expect);
        assert_eq!(report, expect_report);
    }
    assert_eq!(whole.total_flows, 400);
}

/// Found by the flow_chunks fuzz target: an array element ending within
/// a chunk did not mark its line as holding bytes, so a last unterminated
/// line was counted only when a chunk boundary fell inside the element.
#[test]
fn an_unterminated_last_line_counts_whatever_the_chunking() {
    for input in [&b"[\n{}"[..], b"[\n{},\n{}", b"[\n1", b"[{\n}"] {
        let whole = read_chunked(input, &[input.len()], ReaderOptions::default())
            .unwrap()
            .1;
        let bytewise = read_chunked(input, &[1], ReaderOptions::default())
            .unwrap()
            .1;
        assert_eq!(whole, bytewise, "{:?}", String::from_utf8_lossy(input));
        let lines = input.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        assert_eq!(whole.lines, lines, "{:?}", String::from_utf8_lossy(input));
    }
}

/// Found by the flow_chunks fuzz target: a record cut off by the next one
/// (`{` at the start of a line) could go over the error limit and reading
/// went on within the chunk, so the error named a later line when the
/// whole input came in one chunk.
#[test]
fn the_error_limit_stops_at_the_same_record_whatever_the_chunking() {
    let input = b"x\nx\n{\n{}\n{}\n";
    let opts = ReaderOptions {
        max_errors: 2,
        ..ReaderOptions::default()
    };
    let message = |sizes: &[usize]| {
        read_chunked(input, sizes, opts.clone())
            .unwrap_err()
            .to_string()
    };
    let whole = message(&[input.len()]);
    assert!(
        whole.contains("last at line 3: truncated record"),
        "{whole}"
    );
    assert_eq!(message(&[1]), whole);
}

#[test]
fn external_addresses_and_replies() {
    let (agg, _) = read(&sample("basic-sample-400-tcp-flows.json"));
    assert!(agg.flows.iter().any(|f| f.is_reply));
    for i in &agg.identities {
        if let Identity::External { ip } = i.identity {
            assert_eq!(i.display, format!("ip:{ip}"));
        }
    }
}

mod chunking {
    use super::*;
    use proptest::prelude::*;

    fn mixed_input() -> Vec<u8> {
        let mut v = sample("basic-sample-5-dns-flows.json");
        v.extend_from_slice(b"garbage line\n[");
        v.extend_from_slice(WRAPPED.as_bytes());
        v.extend_from_slice(b",\n  ");
        v.extend_from_slice(BARE.as_bytes());
        v.extend_from_slice(b"\n]\n{\"node_status\":{}}\n");
        v.extend_from_slice(&sample("basic-sample-10-flows.json"));
        v.extend_from_slice(&BARE.as_bytes()[..100]);
        v
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
        /// However the input is cut into chunks, the result is the same.
        #[test]
        fn any_chunking_gives_the_same_result(sizes in proptest::collection::vec(1usize..3000, 1..20)) {
            let input = mixed_input();
            let (expect, expect_report) = read(&input);
            let (agg, report) = read_chunked(&input, &sizes, ReaderOptions::default()).unwrap();
            prop_assert_eq!(&agg, &expect);
            prop_assert_eq!(&report, &expect_report);
            prop_assert_eq!(report.flows, 5 + 2 + 10);
            prop_assert_eq!(report.errors, 2);
        }
    }
}

#[test]
fn wrapper_time_stands_in_for_a_masked_flow_time() {
    let input = r#"{"flow":{"verdict":"FORWARDED","IP":{"source":"10.0.0.1"},"l4":{"TCP":{"destination_port":80}}},"node_name":"n","time":"2024-01-01T00:00:05Z"}"#;
    let (agg, _) = read(input.as_bytes());
    assert_eq!(
        agg.flows[0].first_seen.map(format_rfc3339).as_deref(),
        Some("2024-01-01T00:00:05Z")
    );
}

/// Every sample, re-printed as `jq .` prints it (one object over many
/// lines), and with several objects on one line, reads with the same counts
/// and the same aggregates as its one-line form, in any chunking.
#[test]
fn pretty_printed_and_concatenated_captures_read_like_json_lines() {
    for name in [
        "basic-sample-10-flows.json",
        "basic-sample-400-tcp-flows.json",
        "basic-sample-400-udp-flows.json",
        "basic-sample-5-dns-flows.json",
        "basic-sample-5-http-flows.json",
        "cilium-docs-export-events.log",
        "basic-sample-400-icmpv4-flows.json",
    ] {
        let original = sample(name);
        let (agg, report) = read(&original);
        let values: Vec<serde_json::Value> = std::str::from_utf8(&original)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let pretty: String = values
            .iter()
            .map(|v| serde_json::to_string_pretty(v).unwrap() + "\n")
            .collect();
        let packed: String = values
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        for (form, text) in [("pretty", &pretty), ("several per line", &packed)] {
            for sizes in [vec![usize::MAX], vec![1, 7, 4096]] {
                let (a, r) =
                    read_chunked(text.as_bytes(), &sizes, ReaderOptions::default()).unwrap();
                assert_eq!(
                    (r.flows, r.errors),
                    (report.flows, 0),
                    "{name} {form}: {:?}",
                    r.problems
                );
                assert_eq!(a.flows.len(), agg.flows.len(), "{name} {form}");
                let counts = |a: &Aggregates| a.flows.iter().map(|f| f.count).collect::<Vec<_>>();
                assert_eq!(counts(&a), counts(&agg), "{name} {form}");
            }
        }
    }
}

#[test]
fn a_record_without_endpoints_is_a_problem_with_its_line() {
    let input = format!(
        "{WRAPPED}\n{{\"flow\":{{}}}}\n{{\"flow\":{{\"verdict\":\"FORWARDED\"}}}}\n{BARE}\n"
    );
    let (agg, report) = read(input.as_bytes());
    assert_eq!(
        (report.flows, report.errors),
        (2, 2),
        "{:?}",
        report.problems
    );
    assert_eq!(report.problems[0].line, 2);
    assert_eq!(report.problems[1].line, 3);
    assert!(report.problems[0].message.contains("names no endpoint"));
    assert!(
        agg.identities
            .iter()
            .all(|i| !matches!(i.identity, Identity::Unknown { ip: None }))
    );
}

#[test]
fn a_cut_off_record_is_reported_and_the_next_line_read() {
    // Cut inside a string, and cut between fields.
    let cut_in_string = &WRAPPED[..60];
    let cut_between = &WRAPPED[..WRAPPED.find(",\"l4\"").unwrap()];
    for cut in [cut_in_string, cut_between] {
        let input = format!("{cut}\n{BARE}\n{WRAPPED}\n");
        let (_, report) = read(input.as_bytes());
        assert_eq!(
            (report.flows, report.errors),
            (2, 1),
            "{cut}: {:?}",
            report.problems
        );
        assert_eq!(report.problems[0].line, 1);
    }
    // A pretty-printed record with an error points at the line inside it.
    let v: serde_json::Value = serde_json::from_str(BARE).unwrap();
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let broken = pretty.replacen("\"FORWARDED\"", "FORWARDED", 1);
    let at = broken
        .lines()
        .position(|l| l.contains("FORWARDED"))
        .unwrap() as u64
        + 2;
    let (_, report) = read(format!("{WRAPPED}\n{broken}\n").as_bytes());
    assert_eq!(
        (report.flows, report.errors),
        (1, 1),
        "{:?}",
        report.problems
    );
    assert_eq!(report.problems[0].line, at);
}

#[test]
fn icmp_echo_replies_without_a_type_are_type_zero() {
    let (agg, _) = read(&sample("basic-sample-400-icmpv4-flows.json"));
    let replies: Vec<_> = agg.flows.iter().filter(|f| f.is_reply).collect();
    assert!(!replies.is_empty());
    assert!(
        replies
            .iter()
            .all(|f| f.protocol == Protocol::Icmp && f.port == Some(0))
    );
    let entities: std::collections::BTreeSet<_> = agg
        .identities
        .iter()
        .filter_map(|i| match i.identity {
            Identity::Reserved { entity, .. } => Some(entity),
            _ => None,
        })
        .collect();
    assert!(entities.contains(&ReservedEntity::Health));
    assert!(entities.contains(&ReservedEntity::Host));
    assert!(entities.contains(&ReservedEntity::RemoteNode));
}

#[test]
fn a_100_mb_pretty_printed_record_is_skipped_with_bounded_memory() {
    let mut agg = Aggregator::default();
    let mut r = FlowReader::new(ReaderOptions::default());
    r.feed(
        format!("{WRAPPED}\n{{\n  \"flow\": {{\n    \"Summary\": [\n").as_bytes(),
        &mut |ev| agg.add(ev),
    )
    .unwrap();
    let mut line = vec![b' '; 6];
    line.push(b'"');
    line.extend(std::iter::repeat_n(b'a', (1 << 20) - 10));
    line.extend_from_slice(b"\",\n");
    for _ in 0..100 {
        r.feed(&line, &mut |ev| agg.add(ev)).unwrap();
        assert!(
            r.buffer_capacity() <= 2 << 20,
            "buffer grew to {}",
            r.buffer_capacity()
        );
    }
    r.feed(
        format!("      \"\"\n    ]\n  }}\n}}\n{BARE}\n").as_bytes(),
        &mut |ev| agg.add(ev),
    )
    .unwrap();
    let report = r.finish(&mut |ev| agg.add(ev)).unwrap();
    assert_eq!(
        (report.flows, report.errors),
        (2, 1),
        "{:?}",
        report.problems
    );
    assert_eq!(report.problems[0].line, 2);
    assert!(report.problems[0].message.contains("longer than"));
}

/// JSON lines take a fast path (a whole line parsed as one record) when the
/// line break is in the chunk fed; fed one byte at a time, every record goes
/// through the byte scanner. Both must read every form, and every broken
/// record, alike: flows, counts, problems and their line numbers.
#[test]
fn the_json_lines_fast_path_reads_as_the_scanner() {
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(BARE).unwrap())
            .unwrap();
    let mut input = String::new();
    input.push_str(WRAPPED);
    input.push('\n');
    input.push_str(BARE);
    input.push_str("  \r\n");
    input.push_str(&pretty);
    input.push('\n');
    // Concatenated on one line, then a record cut off, then one broken.
    input.push_str(&format!("{WRAPPED}{BARE}\n"));
    input.push_str(&WRAPPED[..WRAPPED.len() / 2]);
    input.push('\n');
    input.push_str(&BARE.replace("\"verdict\"", "\"verdict\" 1"));
    input.push('\n');
    input.push_str("{\"node_status\":{}}\n");
    input.push_str("{} \n\n");
    input.push_str(&format!("{BARE} {{\n"));
    input.push_str(WRAPPED);
    input.push('\n');
    // Over the record limit.
    input.push_str(&WRAPPED.replace("\"n1\"", &format!("\"{}\"", "n".repeat(2000))));
    input.push('\n');
    input.push_str(BARE);
    let input = input.as_bytes();
    let opts = || ReaderOptions {
        max_record_bytes: 1500,
        ..ReaderOptions::default()
    };
    let whole = read_chunked(input, &[input.len()], opts()).unwrap();
    let bytewise = read_chunked(input, &[1], opts()).unwrap();
    assert_eq!(whole, bytewise);
    let odd = read_chunked(input, &[700, 13, 4096], opts()).unwrap();
    assert_eq!(whole, odd);
    let (agg, report) = whole;
    assert!(report.flows >= 6, "{report:?}");
    assert!(report.errors >= 3, "{report:?}");
    assert!(agg.total_flows >= 6);
}
