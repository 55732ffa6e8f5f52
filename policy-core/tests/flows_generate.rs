//! Generation: golden files for the samples in both flavors, and options.

use policy_core::flows::{
    AggregateOptions, Aggregates, Flavor, GenerateOptions, PolicyDirections, ReaderOptions,
    Verdict, aggregate_bytes, generate, parse_verdicts, to_yaml,
};
use policy_core::model::Policy;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");

fn aggregates(path: &str) -> Aggregates {
    let bytes = std::fs::read(format!("{DATA}{path}")).unwrap();
    aggregate_bytes(
        &bytes,
        ReaderOptions::default(),
        AggregateOptions::default(),
    )
    .unwrap()
    .0
}

fn yaml(path: &str, opts: &GenerateOptions) -> String {
    to_yaml(&generate(&aggregates(path), opts).policies)
}

/// Compares with `tests/data/flows/golden/NAME`; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, actual: &str) {
    let path = format!("{DATA}flows/golden/{name}");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(format!("{DATA}flows/golden")).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (UPDATE_GOLDEN=1 to create)"));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or(expected.lines().count().min(actual.lines().count()), |i| i);
        panic!(
            "{name} differs from the golden file at line {}:\n  golden: {:?}\n  actual: {:?}\n(UPDATE_GOLDEN=1 to accept)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

#[test]
fn golden_files_both_flavors() {
    for (input, stem) in [
        ("hubble/basic-sample-400-tcp-flows.json", "400-tcp"),
        ("hubble/basic-sample-400-udp-flows.json", "400-udp"),
        ("hubble/basic-sample-5-http-flows.json", "5-http"),
        ("hubble/basic-sample-10-flows.json", "10-flows"),
        ("flows/synthetic-mixed.jsonl", "synthetic-mixed"),
    ] {
        for (flavor, suffix) in [
            (Flavor::Kubernetes, "kubernetes"),
            (Flavor::Cilium, "cilium"),
        ] {
            let out = yaml(
                input,
                &GenerateOptions {
                    flavor,
                    ..GenerateOptions::default()
                },
            );
            golden(&format!("{stem}.{suffix}.yaml"), &out);
        }
    }
}

#[test]
fn output_is_deterministic_whatever_the_input_order() {
    let bytes = std::fs::read(format!("{DATA}flows/synthetic-mixed.jsonl")).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.reverse();
    let reversed = lines.join("\n");
    let a = aggregate_bytes(
        text.as_bytes(),
        ReaderOptions::default(),
        AggregateOptions::default(),
    )
    .unwrap()
    .0;
    let b = aggregate_bytes(
        reversed.as_bytes(),
        ReaderOptions::default(),
        AggregateOptions::default(),
    )
    .unwrap()
    .0;
    for flavor in [Flavor::Kubernetes, Flavor::Cilium] {
        let opts = GenerateOptions {
            flavor,
            ..GenerateOptions::default()
        };
        let (ya, yb) = (
            to_yaml(&generate(&a, &opts).policies),
            to_yaml(&generate(&b, &opts).policies),
        );
        assert_eq!(ya, yb);
    }
}

fn names(policies: &[Policy]) -> Vec<String> {
    policies.iter().map(Policy::display_name).collect()
}

#[test]
fn direction_and_namespace_filters() {
    let agg = aggregates("flows/synthetic-mixed.jsonl");
    let all = generate(&agg, &GenerateOptions::default());
    assert!(names(&all.policies).contains(&"shop/web-egress".to_string()));
    assert!(names(&all.policies).contains(&"shop/api-ingress".to_string()));
    let ingress = generate(
        &agg,
        &GenerateOptions {
            directions: PolicyDirections::Ingress,
            ..GenerateOptions::default()
        },
    );
    assert!(!ingress.policies.is_empty());
    assert!(
        ingress
            .policies
            .iter()
            .all(|p| p.name().ends_with("-ingress"))
    );
    let shop = generate(
        &agg,
        &GenerateOptions {
            namespaces: vec!["data".into()],
            ..GenerateOptions::default()
        },
    );
    assert_eq!(names(&shop.policies), ["data/postgres-ingress"]);
    // Every distinct flow is accounted for: used, skipped, warned about,
    // or between endpoints no policy here selects (the other namespaces).
    for g in [&all, &ingress, &shop] {
        assert!(
            g.used_tuples + g.ignored_tuples + g.unselectable_tuples + g.warnings.len() as u64
                >= agg.flows.len() as u64,
            "{} used, {} ignored, {} unselectable, {} warnings of {}",
            g.used_tuples,
            g.ignored_tuples,
            g.unselectable_tuples,
            g.warnings.len(),
            agg.flows.len()
        );
    }
    assert!(shop.unselectable_tuples > all.unselectable_tuples);
}

#[test]
fn replies_and_drops_make_no_rules() {
    let agg = aggregates("flows/synthetic-mixed.jsonl");
    let out = yaml("flows/synthetic-mixed.jsonl", &GenerateOptions::default());
    // The reply api -> web (to port 41000) and the DROPPED web -> postgres are absent.
    assert!(!out.contains("41000"));
    let g = generate(&agg, &GenerateOptions::default());
    let web_egress = g
        .policies
        .iter()
        .find(|p| p.display_name() == "shop/web-egress")
        .unwrap();
    let text = to_yaml(std::slice::from_ref(web_egress));
    assert!(!text.contains("5432"), "{text}");
    // AUDIT and DROPPED only when asked for (`--verdicts`, default FORWARDED).
    assert!(
        g.policies
            .iter()
            .filter(|p| p.display_name() == "shop/web-canary-egress")
            .all(|p| !to_yaml(std::slice::from_ref(p)).contains("5432"))
    );
    let audited = generate(
        &agg,
        &GenerateOptions {
            verdicts: parse_verdicts("FORWARDED,AUDIT").unwrap(),
            ..GenerateOptions::default()
        },
    );
    let canary = audited
        .policies
        .iter()
        .find(|p| p.display_name() == "shop/web-canary-egress")
        .unwrap();
    assert!(to_yaml(std::slice::from_ref(canary)).contains("5432"));
    // Allow what was dropped: web -> postgres gets its rule, and replaying
    // the same flows shows it allowed.
    let opts = GenerateOptions {
        verdicts: parse_verdicts("forwarded, dropped").unwrap(),
        ..GenerateOptions::default()
    };
    let dropped = generate(&agg, &opts);
    let web_egress = dropped
        .policies
        .iter()
        .find(|p| p.display_name() == "shop/web-egress")
        .unwrap();
    assert!(to_yaml(std::slice::from_ref(web_egress)).contains("5432"));
    let r = policy_core::flows::replay(&agg, &dropped.policies);
    let drops: Vec<_> = r
        .flows
        .iter()
        .filter(|f| f.verdict == Verdict::Dropped && !f.is_reply)
        .collect();
    assert!(!drops.is_empty());
    assert!(drops.iter().all(|f| f.allowed == Some(true)), "{drops:#?}");
    assert!(parse_verdicts("FORWARDED,MAYBE").is_err());
    assert!(parse_verdicts(" , ").is_err());
}

#[test]
fn external_addresses_widen_to_a_prefix() {
    let opts = GenerateOptions {
        ipv4_prefix: 24,
        ipv6_prefix: 64,
        ..GenerateOptions::default()
    };
    let out = yaml("flows/synthetic-mixed.jsonl", &opts);
    assert!(out.contains("cidr: 203.0.113.0/24"), "{out}");
    assert!(out.contains("cidr: 2001:db8::/64"), "{out}");
    assert!(!out.contains("203.0.113.7/32"));
}

#[test]
fn cilium_specifics() {
    let out = yaml(
        "flows/synthetic-mixed.jsonl",
        &GenerateOptions {
            flavor: Flavor::Cilium,
            ..GenerateOptions::default()
        },
    );
    // toFQDNs from the DNS answer, with the DNS proxy rule on the kube-dns egress.
    assert!(out.contains("matchName: payments.example.com"), "{out}");
    assert!(out.contains("matchPattern: '*'"));
    // HTTP rules from L7 flows, escaped as regular expressions.
    assert!(out.contains("path: /v1/items"));
    assert!(out.contains("method: POST"));
    // Reserved identities as entities.
    for e in ["kube-apiserver", "host", "remote-node", "world"] {
        assert!(out.contains(&format!("- {e}\n")), "{e}: {out}");
    }
    // ICMP as icmps.
    assert!(out.contains("icmps:"));
}

/// Found by the generate_check fuzz target: HTTP seen over UDP became a
/// Cilium HTTP rule on a UDP port, which Cilium's validation refuses. The
/// port is allowed without it, and a warning says so.
#[test]
fn http_over_udp_gives_no_http_rule() {
    let line = br#"{"flow":{"verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"UDP":{"source_port":40000,"destination_port":8080}},"source":{"namespace":"shop","labels":["k8s:app=web"]},"destination":{"namespace":"shop","labels":["k8s:app=api"]},"l7":{"type":"REQUEST","http":{"method":"GET","url":"http://api/metrics"}},"traffic_direction":"EGRESS","Type":"L7"}}"#;
    let (agg, _) =
        aggregate_bytes(line, ReaderOptions::default(), AggregateOptions::default()).unwrap();
    let opts = GenerateOptions {
        flavor: Flavor::Cilium,
        ..GenerateOptions::default()
    };
    let generated = generate(&agg, &opts);
    let text = to_yaml(&generated.policies);
    assert!(text.contains("protocol: UDP"), "{text}");
    assert!(!text.contains("http:"), "{text}");
    assert!(
        generated
            .warnings
            .iter()
            .any(|w| w.contains("HTTP seen over UDP")),
        "{:?}",
        generated.warnings
    );
    let errors: Vec<_> = policy_core::check::check(&text, None)
        .into_iter()
        .filter(|d| d.severity == policy_core::diagnostic::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// Found by the generate_check fuzz target: a DNS name Cilium refuses in
/// `matchName` (here with `=`) became a `toFQDNs` rule. Such names are not
/// used; the address is.
#[test]
fn dns_names_cilium_refuses_fall_back_to_the_address() {
    let text = std::fs::read_to_string(format!("{DATA}flows/synthetic-mixed.jsonl"))
        .unwrap()
        .replace("payments.example.com", "pay=ments.example.com");
    let (agg, _) = aggregate_bytes(
        text.as_bytes(),
        ReaderOptions::default(),
        AggregateOptions::default(),
    )
    .unwrap();
    let opts = GenerateOptions {
        flavor: Flavor::Cilium,
        ..GenerateOptions::default()
    };
    let yaml = to_yaml(&generate(&agg, &opts).policies);
    assert!(!yaml.contains("matchName: pay=ments"), "{yaml}");
    assert!(yaml.contains("203.0.113.7/32"), "{yaml}");
    let errors: Vec<_> = policy_core::check::check(&yaml, None)
        .into_iter()
        .filter(|d| d.severity == policy_core::diagnostic::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
