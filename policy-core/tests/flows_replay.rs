//! Replay of reserved identities, replies and ICMP: every forwarded flow gets
//! a verdict, or a note saying exactly why there is none.

use policy_core::flows::{
    AggregateOptions, Aggregates, Flavor, GenerateOptions, ReaderOptions, Replay, aggregate_bytes,
    generate, replay,
};
use policy_core::model::Policy;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hubble/");

fn read(input: &str) -> Aggregates {
    aggregate_bytes(
        input.as_bytes(),
        ReaderOptions::default(),
        AggregateOptions::default(),
    )
    .unwrap()
    .0
}

fn policies(yaml: &str) -> Vec<Policy> {
    let (p, d) = policy_core::yaml::parse_policies(yaml);
    assert!(d.is_empty(), "{d:?}");
    p
}

fn row<'a>(r: &'a Replay, source: &str, destination: &str) -> &'a policy_core::flows::ReplayRow {
    r.flows
        .iter()
        .find(|f| f.source == source && f.destination == destination)
        .unwrap_or_else(|| panic!("no row {source} -> {destination}: {:#?}", r.flows))
}

fn flow(src: &str, dst: &str, l4: &str, reply: bool) -> String {
    format!(
        r#"{{"flow":{{"verdict":"FORWARDED","IP":{{"source":"{}","destination":"{}"}},"l4":{l4},"source":{},"destination":{},"is_reply":{reply}}}}}"#,
        ip(src),
        ip(dst),
        endpoint(src),
        endpoint(dst)
    )
}

fn ip(who: &str) -> &'static str {
    match who {
        "web" => "10.0.0.1",
        "db" => "10.0.0.2",
        "health" => "10.0.5.5",
        "unmanaged" => "10.0.9.9",
        "host" => "192.168.1.10",
        _ => "203.0.113.7",
    }
}

fn endpoint(who: &str) -> String {
    match who {
        "web" | "db" => format!(
            r#"{{"namespace":"shop","labels":["k8s:app={who}","k8s:io.kubernetes.pod.namespace=shop"]}}"#
        ),
        "world" => r#"{"labels":["reserved:world"]}"#.to_string(),
        other => format!(r#"{{"labels":["reserved:{other}"]}}"#),
    }
}

const TCP_80: &str = r#"{"TCP":{"source_port":41000,"destination_port":80}}"#;
const TCP_REPLY: &str = r#"{"TCP":{"source_port":80,"destination_port":41000}}"#;

const DB_FROM_WEB: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 80, protocol: TCP}]
";

#[test]
fn a_reply_gets_its_requests_verdict_even_when_the_request_is_not_captured() {
    let agg = read(&flow("db", "web", TCP_REPLY, true));
    let r = replay(&agg, &policies(DB_FROM_WEB));
    let reply = row(&r, "shop/db", "shop/web");
    assert!(reply.is_reply);
    assert_eq!(reply.allowed, Some(true));
    assert!(
        reply.reply.as_deref().unwrap().starts_with(
            "reply: allowed because the request (shop/web -> shop/db 80/TCP) is allowed"
        ),
        "{reply:?}"
    );
    assert_eq!(r.summary.replies, 1);
    assert_eq!(r.summary.replies_allowed, 1);
    assert_eq!(r.summary.allowed, 0);

    // The same reply to a request the policies deny.
    let deny_all = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
";
    let r = replay(&agg, &policies(deny_all));
    let reply = row(&r, "shop/db", "shop/web");
    assert_eq!(reply.allowed, Some(false));
    assert!(
        reply
            .reply
            .as_deref()
            .unwrap()
            .starts_with("reply to a request these policies deny"),
        "{reply:?}"
    );
    assert_eq!(reply.explanation(), reply.reply.clone().unwrap());
}

#[test]
fn network_policy_sees_reserved_identities_as_addresses() {
    let input = [
        flow("health", "db", TCP_80, false),
        flow("unmanaged", "db", TCP_80, false),
        flow("host", "db", TCP_80, false),
    ]
    .join("\n");
    let agg = read(&input);
    let ip_blocks = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.5.0/24}}, {ipBlock: {cidr: 192.168.1.10/32}}]
";
    let r = replay(&agg, &policies(ip_blocks));
    assert_eq!(
        row(&r, "reserved:health@10.0.5.5", "shop/db").allowed,
        Some(true)
    );
    assert_eq!(
        row(&r, "reserved:host@192.168.1.10", "shop/db").allowed,
        Some(true)
    );
    let unmanaged = row(&r, "reserved:unmanaged@10.0.9.9", "shop/db");
    assert_eq!(unmanaged.allowed, Some(false), "{unmanaged:?}");
    assert_eq!(r.summary.not_evaluated, 0);
}

#[test]
fn cilium_matches_reserved_identities_by_entity_and_cidr_where_cilium_allows() {
    let input = [
        flow("health", "db", TCP_80, false),
        flow("unmanaged", "db", TCP_80, false),
        flow("world", "db", TCP_80, false),
    ]
    .join("\n");
    let agg = read(&input);
    let entities = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEntities: [health]
  - fromCIDR: [10.0.0.0/8]
";
    let r = replay(&agg, &policies(entities));
    assert_eq!(
        row(&r, "reserved:health@10.0.5.5", "shop/db").allowed,
        Some(true)
    );
    // CIDR rules match unmanaged endpoints (Cilium docs: "within the cluster
    // prefix but the IP's networking is not provided by Cilium") …
    assert_eq!(
        row(&r, "reserved:unmanaged@10.0.9.9", "shop/db").allowed,
        Some(true)
    );
    // … but not health endpoints, which Cilium manages.
    let only_cidr = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromCIDR: [10.0.0.0/8]
";
    let r = replay(&agg, &policies(only_cidr));
    assert_eq!(
        row(&r, "reserved:health@10.0.5.5", "shop/db").allowed,
        Some(false)
    );
    assert_eq!(row(&r, "ip:203.0.113.7", "shop/db").allowed, Some(false));
    let cluster = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEntities: [cluster]
";
    let r = replay(&agg, &policies(cluster));
    assert_eq!(
        row(&r, "reserved:health@10.0.5.5", "shop/db").allowed,
        Some(true)
    );
    assert_eq!(
        row(&r, "reserved:unmanaged@10.0.9.9", "shop/db").allowed,
        Some(true)
    );
    assert_eq!(row(&r, "ip:203.0.113.7", "shop/db").allowed, Some(false));
}

#[test]
fn icmp_under_cilium_and_network_policy() {
    let echo = r#"{"ICMPv4":{"type":8}}"#;
    let echo_reply = r#"{"ICMPv4":{}}"#;
    let input = [
        flow("web", "db", echo, false),
        flow("db", "web", echo_reply, true),
    ]
    .join("\n");
    let agg = read(&input);
    let cilium = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}]
    icmps: [{fields: [{type: 8, family: IPv4}]}]
";
    let r = replay(&agg, &policies(cilium));
    let request = row(&r, "shop/web", "shop/db");
    assert_eq!(request.allowed, Some(true), "{request:?}");
    assert_eq!(
        request.matched,
        ["CiliumNetworkPolicy shop/db spec.ingress[0]"]
    );
    let reply = row(&r, "shop/db", "shop/web");
    assert_eq!(reply.allowed, Some(true), "{reply:?}");
    assert!(
        reply
            .reply
            .as_deref()
            .unwrap()
            .contains("ICMP type 8 (EchoRequest)")
    );

    let r = replay(&agg, &policies(DB_FROM_WEB));
    let request = row(&r, "shop/web", "shop/db");
    assert_eq!(request.allowed, None);
    assert!(
        request
            .note
            .as_deref()
            .unwrap()
            .starts_with("NetworkPolicy cannot express ICMP"),
        "{request:?}"
    );
}

#[test]
fn the_real_icmp_capture_gets_a_verdict_for_every_forwarded_flow() {
    let mut input =
        std::fs::read_to_string(format!("{DATA}basic-sample-400-icmpv4-flows.json")).unwrap();
    input.push_str(
        &std::fs::read_to_string(format!("{DATA}basic-sample-400-tcp-flows.json")).unwrap(),
    );
    let agg = read(&input);
    for flavor in [Flavor::Kubernetes, Flavor::Cilium] {
        let generated = generate(
            &agg,
            &GenerateOptions {
                flavor,
                ..GenerateOptions::default()
            },
        );
        for policies in [Vec::new(), generated.policies] {
            let r = replay(&agg, &policies);
            for row in &r.flows {
                // Under NetworkPolicy, ICMP at a pod a NetworkPolicy isolates
                // has no verdict, and the note says exactly why.
                let icmp_under_np = row
                    .note
                    .as_deref()
                    .is_some_and(|n| n.starts_with("NetworkPolicy cannot express ICMP"));
                if row.verdict.is_allowed_traffic() && !icmp_under_np {
                    assert!(
                        row.allowed.is_some(),
                        "{flavor:?}: {} -> {} {:?}/{}: {:?}",
                        row.source,
                        row.destination,
                        row.port,
                        row.protocol,
                        row.note
                    );
                }
            }
            assert!(r.summary.replies > 0);
        }
    }
}

/// Reserved endpoints: the truth table, single verdicts and the naive
/// reference oracle agree.
#[test]
fn truth_table_and_verdicts_agree_on_reserved_endpoints() {
    use policy_core::engine::{Engine, PortKey};
    use policy_core::flows::replay_cluster;
    let input = [
        flow("health", "db", TCP_80, false),
        flow("unmanaged", "db", TCP_80, false),
        flow("host", "db", TCP_80, false),
        flow("world", "db", TCP_80, false),
        flow("web", "db", TCP_80, false),
        flow("db", "unmanaged", TCP_80, false),
    ]
    .join("\n");
    let agg = read(&input);
    let model = replay_cluster(&agg);
    for yaml in [
        DB_FROM_WEB,
        "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEntities: [health, host]
  - fromCIDR: [10.0.0.0/8]
  egress:
  - toEntities: [unmanaged]
",
    ] {
        let policies = policies(yaml);
        let engine = Engine::new(&model.cluster, &policies);
        let ports = [PortKey::tcp(80), PortKey::tcp(443)];
        let table = engine.truth_table(&ports);
        // The naive oracle agrees too.
        let oracle = policy_core::engine::reference::truth_table(&model.cluster, &policies, &ports);
        for from in model.cluster.endpoint_ids() {
            for to in model.cluster.endpoint_ids() {
                for (i, p) in ports.iter().enumerate() {
                    assert_eq!(
                        table.allowed(i, from, to),
                        oracle[i][from.0][to.0],
                        "oracle: {} -> {} {p}",
                        model.cluster.endpoint_name(from),
                        model.cluster.endpoint_name(to)
                    );
                    assert_eq!(
                        table.allowed(i, from, to),
                        engine.verdict(from, to, *p).allowed,
                        "{} -> {} {p}",
                        model.cluster.endpoint_name(from),
                        model.cluster.endpoint_name(to)
                    );
                }
            }
        }
    }
}
