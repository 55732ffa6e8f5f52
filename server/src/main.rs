//! The `palisade` binary: `palisade <serve|check|explain|probe|generate|replay|diff>`.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: parsing YAML is allocation-heavy, and glibc's malloc was a fifth
/// of `POST /api/check`'s CPU time under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Palisade helps you write Kubernetes NetworkPolicies and Cilium network
/// policies that do what you mean.
///
/// It checks policies as the apiserver and Cilium would and flags common
/// mistakes (an extra `-` that turns AND into OR, egress rules that break
/// DNS), explains in plain words what each policy allows, answers who can
/// reach whom in your cluster and why, shows what an edit changes, and
/// writes least-privilege policies from the traffic Hubble observed.
/// `palisade serve` opens the same in a visual editor in the browser.
#[derive(Parser)]
#[command(name = "palisade", version, propagate_version = true)]
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
    /// Replay Hubble flows against policies: which would be allowed, by which rule.
    Replay(cli::replay::ReplayArgs),
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
        Command::Replay(args) => cli::replay::run(args),
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn help_says_what_palisade_does() {
        let help = Cli::command().render_help().to_string();
        assert!(
            help.starts_with("Palisade helps you write Kubernetes NetworkPolicies"),
            "{help}"
        );
        assert!(!help.contains("adapter"), "{help}");
        let long = Cli::command().render_long_help().to_string();
        assert!(long.contains("who can"), "{long}");
    }
}
