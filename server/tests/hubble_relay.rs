//! Live flows over the Observer gRPC API, against an in-process tonic
//! Observer that streams the real sample captures (Hubble Relay itself needs
//! a Cilium cluster). The gRPC path must give exactly the aggregates the
//! file path gives, and the CLI the same output.

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
