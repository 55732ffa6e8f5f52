//! The `palisade` binary: `palisade <serve|check|explain|probe|generate|replay|diff>`.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Visual network policy editor for Kubernetes NetworkPolicy and Cilium
/// policies: checks, explanations, reachability, generation from Hubble flows.
#[derive(Parser)]
#[command(name = "palisade", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the page, the JSON API, /healthz and /metrics.
    Serve(server::ServeArgs),
    /// Generate least-privilege policies from Hubble flow logs.
    Generate(cli::generate::GenerateArgs),
    /// Validate policies as the apiserver would, and lint them.
    Check(cli::check::CheckArgs),
    /// Explain policies in plain language.
    Explain(cli::explain::ExplainArgs),
    /// Who can reach whom, on which port, and why.
    Probe(cli::probe::ProbeArgs),
    /// Which connections an edit of the policies allows or denies.
    Diff(cli::diff::DiffArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match &cli.command {
        Command::Serve(args) => cli::serve::run(args),
        Command::Generate(args) => cli::generate::run(args),
        Command::Check(args) => cli::check::run(args),
        Command::Explain(args) => cli::explain::run(args),
        Command::Probe(args) => cli::probe::run(args),
        Command::Diff(args) => cli::diff::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("palisade: {err:#}");
            ExitCode::from(2)
        }
    }
}
