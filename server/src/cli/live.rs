//! `--hubble-relay` for `palisade generate` and `palisade replay`: read flows
//! from Hubble Relay instead of files, into the same aggregation.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;
use policy_core::flows::{Aggregates, ReaderOptions};
use server::hubble::relay::{FlowWindow, RelayArgs, parse_duration, read_flows};

use super::generate::{FlowInputArgs, print_aggregate_problems, print_report};

/// Where and which live flows to read.
#[derive(Clone, Debug, clap::Args)]
pub struct LiveFlowArgs {
    #[command(flatten)]
    pub relay: RelayArgs,
    /// With --hubble-relay: the flows Relay holds from this long ago until
    /// now (`30s`, `5m`, `1h`). Without it (and without --follow-for), every
    /// flow Relay holds.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub since: Option<Duration>,
    /// With --hubble-relay: also keep reading new flows as they happen, for
    /// this long.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub follow_for: Option<Duration>,
}

/// Reads live flows when `--hubble-relay` is given: `Ok(None)` without it.
/// Prints a summary (and a spinner on a terminal) to stderr.
pub fn read_if_requested(
    live: &LiveFlowArgs,
    input: &FlowInputArgs,
) -> anyhow::Result<Option<Aggregates>> {
    let Some(relay) = live.relay.resolve()? else {
        if live.since.is_some() || live.follow_for.is_some() {
            anyhow::bail!(
                "--since and --follow-for read from Hubble Relay: add --hubble-relay HOST:PORT"
            );
        }
        return Ok(None);
    };
    let window = FlowWindow {
        since: live.since,
        follow_for: live.follow_for,
    };
    let options = ReaderOptions {
        max_errors: input.max_errors,
        max_record_bytes: input.max_record_bytes,
        ..ReaderOptions::default()
    };
    let spinner = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message(format!("reading flows from Hubble Relay at {}", relay.addr));
        bar
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let progress = spinner.clone();
    let addr = relay.addr.clone();
    let live_flows = runtime.block_on(read_flows(&relay, &window, options, move |flows| {
        // Drawn at most 20 times a second; skip the formatting in between.
        if let Some(bar) = progress.as_ref().filter(|_| flows % 64 == 0) {
            bar.set_message(format!("{flows} flows from Hubble Relay at {addr}"));
        }
    }));
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let live_flows = live_flows?;
    let shown = format!("hubble-relay {}", relay.addr);
    print_report(&shown, &live_flows.report);
    print_aggregate_problems(&live_flows.aggregates);
    Ok(Some(live_flows.aggregates))
}
