//! The real binary: no acknowledged share is lost to `kill -9`; SIGTERM stops
//! the server gracefully.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Spawns `palisade serve` on a free port with `data_dir`; returns it and its base URL.
fn spawn_server(data_dir: &Path) -> (Child, String) {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["serve", "--addr", &addr, "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "info")
        .env("PALISADE_SHARE_BURST", "100000")
        .env("PALISADE_SHARE_RATE_PER_MINUTE", "100000")
        .env_remove("GITHUB_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn palisade");
    (child, format!("http://{addr}"))
}

async fn wait_up(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{base} did not come up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_acknowledged_share_is_lost_to_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let (mut child, base) = spawn_server(data.path());
    wait_up(&client, &base).await;

    // Writers create shares as fast as they can; the server is killed mid-stream.
    let mut writers = Vec::new();
    for writer in 0..8 {
        let client = client.clone();
        let base = base.clone();
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 0.. {
                let yaml = format!("kind: NetworkPolicy\nmetadata:\n  name: w{writer}-n{n}\n");
                let sent = client
                    .post(format!("{base}/api/shares"))
                    .json(&json!({"yaml": yaml}))
                    .send()
                    .await;
                let Ok(response) = sent else { break };
                if response.status() != 201 {
                    break;
                }
                let Ok(body) = response.json::<Value>().await else {
                    break;
                };
                acknowledged.push((body["id"].as_str().unwrap().to_owned(), yaml));
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix.
    child.wait().unwrap();
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(
        acknowledged.len() >= 20,
        "too few shares written before the kill: {}",
        acknowledged.len()
    );

    let (mut child, base) = spawn_server(data.path());
    wait_up(&client, &base).await;
    for (id, yaml) in &acknowledged {
        let response = client
            .get(format!("{base}/api/shares/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "acknowledged share {id} lost");
        let share: Value = response.json().await.unwrap();
        assert_eq!(share["yaml"], yaml.as_str());
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn sigterm_stops_gracefully() {
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let (mut child, base) = spawn_server(data.path());
    wait_up(&client, &base).await;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status after SIGTERM: {status:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "server did not stop after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let log: Vec<String> = stdout.lines().map_while(Result::ok).collect();
    assert!(
        log.iter().any(|line| line.contains("shutting down")),
        "{log:?}"
    );
    assert!(log.iter().any(|line| line.contains("stopped")), "{log:?}");
}
