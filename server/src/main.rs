//! The `palisade` binary.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Visual network policy editor for Kubernetes NetworkPolicy and Cilium policies.
#[derive(Parser)]
#[command(name = "palisade", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate least-privilege policies from Hubble flow logs.
    Generate(cli::generate::GenerateArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let result = match &cli.command {
        Command::Generate(args) => cli::generate::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("palisade: {err:#}");
            ExitCode::from(2)
        }
    }
}
