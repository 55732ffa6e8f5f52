//! Live flows over the Observer gRPC API, against an in-process tonic
//! Observer that streams the real sample captures (Hubble Relay itself needs
//! a Cilium cluster). The gRPC path must give exactly the aggregates the
//! file path gives, and the CLI the same output.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use policy_core::flows::{AggregateOptions, ReaderOptions, aggregate_bytes};
use server::hubble::recorded::RecordedObserver;
use server::hubble::relay::{FlowWindow, RelayArgs, read_flows};
use tokio::sync::oneshot;

const SAMPLES: &[&str] = &[
    "basic-sample-10-flows.json",
    "basic-sample-400-tcp-flows.json",
    "basic-sample-400-udp-flows.json",
    "basic-sample-5-dns-flows.json",
    "basic-sample-5-http-flows.json",
];

fn data(path: &str) -> String {
    format!(
        "{}/../policy-core/tests/data/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(data(&format!("hubble/{name}"))).unwrap()
}

/// A recorded Observer on 127.0.0.1:0, stopped when dropped.
struct Observer {
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

async fn start_observer(observer: RecordedObserver) -> Observer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(observer.serve(listener, async {
        let _ = stopped.await;
    }));
    Observer { addr, _stop: stop }
}

fn relay_at(addr: SocketAddr) -> server::hubble::relay::Relay {
    RelayArgs {
        hubble_relay: Some(addr.to_string()),
        ..RelayArgs::default()
    }
    .resolve()
    .unwrap()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_and_file_paths_give_identical_aggregates() {
    for name in SAMPLES {
        let text = sample(name);
        let (from_file, file_report) = aggregate_bytes(
            text.as_bytes(),
            ReaderOptions::default(),
            AggregateOptions::default(),
        )
        .unwrap();
        let observer = start_observer(RecordedObserver::from_json_lines(&text).unwrap()).await;
        let mut progress = Vec::new();
        let live = read_flows(
            &relay_at(observer.addr),
            &FlowWindow::default(),
            ReaderOptions::default(),
            |flows| progress.push(flows),
        )
        .await
        .unwrap();
        assert!(
            from_file.total_flows > 0 && !from_file.flows.is_empty(),
            "{name}"
        );
        assert_eq!(live.aggregates, from_file, "{name}: aggregates differ");
        assert_eq!(live.report.flows, file_report.flows, "{name}");
        assert_eq!(live.report.errors, 0, "{name}: {:?}", live.report.problems);
        assert_eq!(progress.last(), Some(&file_report.flows), "{name}");
        assert!(!live.timed_out);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_stops_after_the_duration() {
    let text = sample("basic-sample-10-flows.json");
    let observer = start_observer(RecordedObserver::from_json_lines(&text).unwrap()).await;
    let started = Instant::now();
    let live = read_flows(
        &relay_at(observer.addr),
        &FlowWindow {
            follow_for: Some(Duration::from_millis(700)),
            ..FlowWindow::default()
        },
        ReaderOptions::default(),
        |_| {},
    )
    .await
    .unwrap();
    let took = started.elapsed();
    assert!(live.timed_out);
    assert_eq!(live.report.flows, 10);
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[tokio::test]
async fn an_unreachable_relay_is_a_clear_error() {
    // Port 1 on loopback: nothing listens there.
    let err = read_flows(
        &relay_at("127.0.0.1:1".parse().unwrap()),
        &FlowWindow::default(),
        ReaderOptions::default(),
        |_| {},
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("cannot connect to Hubble Relay at 127.0.0.1:1: "),
        "{err}"
    );
}

async fn palisade(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .expect("run palisade")
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_generate_and_replay_from_relay_match_the_file_path() {
    let file = data("hubble/basic-sample-400-tcp-flows.json");
    let observer = start_observer(
        RecordedObserver::from_json_lines(&std::fs::read_to_string(&file).unwrap()).unwrap(),
    )
    .await;
    let relay = observer.addr.to_string();

    for extra in [
        &[][..],
        &["--flavor", "cilium"][..],
        &["--namespace", "bookinfo"][..],
    ] {
        let mut from_file = args(&["generate", "--flows", &file]);
        from_file.extend(args(extra));
        let mut from_relay = args(&["generate", "--hubble-relay", &relay]);
        from_relay.extend(args(extra));
        let (file_out, relay_out) = (palisade(from_file).await, palisade(from_relay).await);
        assert!(file_out.status.success(), "{}", text(&file_out.stderr));
        assert!(relay_out.status.success(), "{}", text(&relay_out.stderr));
        assert!(!file_out.stdout.is_empty());
        assert_eq!(text(&relay_out.stdout), text(&file_out.stdout), "{extra:?}");
        let summary = text(&relay_out.stderr);
        assert!(
            summary.contains(&format!("hubble-relay {relay}: ")),
            "{summary}"
        );
    }
    // The golden file of the file path holds for the gRPC path too.
    let golden = std::fs::read_to_string(data("flows/golden/400-tcp.kubernetes.yaml")).unwrap();
    let out = palisade(args(&["generate", "--hubble-relay", &relay])).await;
    assert_eq!(text(&out.stdout), golden);
    assert!(
        text(&out.stderr).contains("400 flows read"),
        "{}",
        text(&out.stderr)
    );

    let policies = data("flows/golden/400-tcp.kubernetes.yaml");
    let replay_file = palisade(args(&[
        "replay",
        "--flows",
        &file,
        "--policies",
        &policies,
        "--output",
        "json",
    ]))
    .await;
    let replay_relay = palisade(args(&[
        "replay",
        "--hubble-relay",
        &relay,
        "--since",
        "5m",
        "--policies",
        &policies,
        "--output",
        "json",
    ]))
    .await;
    assert_eq!(replay_file.status.code(), replay_relay.status.code());
    let rows: serde_json::Value = serde_json::from_slice(&replay_relay.stdout).unwrap();
    assert!(!rows["flows"].as_array().unwrap().is_empty());
    assert_eq!(text(&replay_relay.stdout), text(&replay_file.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_relay_flags_are_checked() {
    let out = palisade(args(&["generate", "--hubble-relay", "127.0.0.1:1"])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("palisade: cannot connect to Hubble Relay at 127.0.0.1:1: "),
        "{}",
        text(&out.stderr)
    );
    let out = palisade(args(&["generate", "--hubble-relay", "nowhere"])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--hubble-relay \"nowhere\": expected HOST:PORT"),
        "{}",
        text(&out.stderr)
    );
    // --since needs --hubble-relay; --flows and --hubble-relay exclude each other.
    let file = data("hubble/basic-sample-10-flows.json");
    for bad in [
        args(&["generate", "--flows", &file, "--since", "5m"]),
        args(&[
            "generate",
            "--flows",
            &file,
            "--hubble-relay",
            "127.0.0.1:1",
        ]),
        args(&[
            "generate",
            "--hubble-relay",
            "127.0.0.1:1",
            "--since",
            "5 minutes",
        ]),
        args(&["generate"]),
    ] {
        let out = palisade(bad.clone()).await;
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    let out = palisade(args(&[
        "generate",
        "--hubble-relay",
        "127.0.0.1:1",
        "--tls-ca-cert-files",
        "/nonexistent/ca.pem",
    ]))
    .await;
    assert!(
        text(&out.stderr).starts_with("palisade: --tls-ca-cert-files /nonexistent/ca.pem: "),
        "{}",
        text(&out.stderr)
    );
}

/// The `event:` names and `data:` payloads of a `text/event-stream` body.
fn sse_events(body: &str) -> Vec<(String, String)> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut name = String::from("message");
            let mut data = String::new();
            for line in block.lines() {
                if let Some(rest) = line.strip_prefix("event:") {
                    name = rest.trim().to_owned();
                } else if let Some(rest) = line.strip_prefix("data:") {
                    data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
                }
            }
            (!data.is_empty()).then_some((name, data))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_reads_live_flows_with_progress() {
    let text = sample("basic-sample-400-udp-flows.json");
    let (from_file, _) = aggregate_bytes(
        text.as_bytes(),
        ReaderOptions::default(),
        AggregateOptions::default(),
    )
    .unwrap();
    // The records arrive at once; the stream stays open (follow) and the
    // server ticks progress every second until the 2 s are over.
    let observer = start_observer(RecordedObserver::from_json_lines(&text).unwrap()).await;
    let relay = relay_at(observer.addr);
    let server = common::TestServer::start_with(|config| config.hubble_relay = Some(relay)).await;
    let started = Instant::now();
    let response = server
        .client
        .get(server.url("/api/flows/live?seconds=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let body = response.text().await.unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(2), "{took:?}");
    let events = sse_events(&body);
    let progress: Vec<serde_json::Value> = events
        .iter()
        .filter(|(name, _)| name == "progress")
        .map(|(_, data)| serde_json::from_str(data).unwrap())
        .collect();
    assert!(progress.len() >= 2, "{body}");
    assert_eq!(progress.last().unwrap()["flows"], 400);
    assert_eq!(progress[0]["seconds"], 2);
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "result");
    let result: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(result["total_flows"], 400);
    assert_eq!(result["inputs"][0]["flows"], 400);
    let aggregates: policy_core::flows::Aggregates =
        serde_json::from_value(result["aggregates"].clone()).unwrap();
    assert_eq!(aggregates, from_file);

    for (query, status) in [("seconds=0", 400), ("seconds=301", 400), ("seconds=x", 400)] {
        let response = server
            .client
            .get(server.url(&format!("/api/flows/live?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{query}");
    }
    server.stop().await;
}

#[tokio::test]
async fn without_a_relay_live_flows_say_how_to_get_them() {
    let server = common::TestServer::start().await;
    let response = server
        .client
        .get(server.url("/api/flows/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "this server reads no live flows: start it with `palisade serve --hubble-relay HOST:PORT`"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_unreachable_relay_ends_the_stream_with_an_error_event() {
    let relay = relay_at("127.0.0.1:1".parse().unwrap());
    let server = common::TestServer::start_with(|config| config.hubble_relay = Some(relay)).await;
    let body = server
        .client
        .get(server.url("/api/flows/live?seconds=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = sse_events(&body);
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "error");
    let error: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(error["error"]["code"], "hubble-relay");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot connect to Hubble Relay at 127.0.0.1:1"),
        "{data}"
    );
    server.stop().await;
}
