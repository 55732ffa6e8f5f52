//! A stand-in for Hubble Relay: serves recorded `hubble observe -o json`
//! output over the Observer gRPC API, for trying `--hubble-relay` without a
//! Cilium cluster (and for the browser tests).
//!
//! ```text
//! cargo run -p server --example recorded_relay -- [--addr 127.0.0.1:4245] [--pace-ms N] FILE...
//! ```
//!
//! Prints `listening on HOST:PORT` once it accepts connections.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use server::hubble::recorded::RecordedObserver;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut addr = "127.0.0.1:4245".to_owned();
    let mut pace = Duration::ZERO;
    let mut text = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().context("--addr needs HOST:PORT")?,
            "--pace-ms" => {
                let ms: u64 = args
                    .next()
                    .context("--pace-ms needs a number")?
                    .parse()
                    .context("--pace-ms needs a number")?;
                pace = Duration::from_millis(ms);
            }
            file => {
                let content = std::fs::read_to_string(file)
                    .with_context(|| format!("{file}: cannot read"))?;
                text.push_str(&content);
                text.push('\n');
            }
        }
    }
    if text.trim().is_empty() {
        bail!("usage: recorded_relay [--addr HOST:PORT] [--pace-ms N] FILE...");
    }
    let observer = RecordedObserver::from_json_lines(&text)?.with_pace(pace);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    println!("listening on {local}");
    std::io::stdout().flush()?;
    observer
        .serve(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
