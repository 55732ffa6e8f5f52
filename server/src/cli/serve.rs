//! `palisade serve`: run the HTTP server.

use std::process::ExitCode;

use anyhow::Context as _;
use tracing_subscriber::EnvFilter;

/// Starts logging (`RUST_LOG`, default `info`), then serves until SIGTERM or Ctrl-C.
pub fn run(args: &server::ServeArgs) -> anyhow::Result<ExitCode> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
    let config = args.clone().resolve()?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(server::serve(config))?;
    Ok(ExitCode::SUCCESS)
}
