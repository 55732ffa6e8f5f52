//! `palisade replay`: would these policies allow the traffic Hubble saw?
//!
//! ```text
//! palisade replay --flows FILE... --policies FILE... [--output json|table]
//! palisade replay --hubble-relay HOST:PORT [--since DURATION] [--follow-for DURATION] --policies FILE...
//! ```
//!
//! One row per distinct flow: the observed verdict, whether the policies
//! allow it (through the reachability engine) and which rules do. JSON:
//! `{"flows":[{"source","destination","port","protocol","verdict","is_reply",
//! "count","allowed","matched":[...],…}],"summary":{...},"notes":[...]}`.
//! Exit 1 when a flow that went through would be denied, 2 on bad input.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use policy_core::diagnostic::Severity;
use policy_core::flows::{L7Key, Replay, replay};
use policy_core::model::Policy;

use super::generate::{FlowInputArgs, read_flow_files};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReplayOutput {
    /// Machine-readable JSON.
    Json,
    /// A table for people.
    #[value(alias = "text")]
    Table,
}

/// `palisade replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Hubble output (`hubble observe -o json`, bare flows, or JSON arrays); `-` for stdin.
    #[arg(long = "flows", value_name = "FILE", required_unless_present = "hubble_relay", conflicts_with = "hubble_relay", num_args = 1..)]
    pub flows: Vec<PathBuf>,
    #[command(flatten)]
    pub live: super::live::LiveFlowArgs,
    /// Policy YAML (single or multi-document, or a `List`); `-` for stdin.
    #[arg(long = "policies", value_name = "FILE", required = true, num_args = 1..)]
    pub policies: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub output: ReplayOutput,
    #[command(flatten)]
    pub input: FlowInputArgs,
}

/// Runs `palisade replay`.
pub fn run(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    if args
        .flows
        .iter()
        .chain(&args.policies)
        .filter(|p| p.as_os_str() == "-")
        .count()
        > 1
    {
        eprintln!("palisade: only one of --flows and --policies can be `-` (stdin)");
        return Ok(ExitCode::from(2));
    }
    let Some(policies) = read_policies(&args.policies)? else {
        return Ok(ExitCode::from(2));
    };
    let aggregates = match super::live::read_if_requested(&args.live, &args.input)? {
        Some(live) => live,
        None => match read_flow_files(&args.flows, &args.input)? {
            Some(aggregates) => aggregates,
            None => return Ok(ExitCode::from(2)),
        },
    };
    let result = replay(&aggregates, &policies);
    let mut out = std::io::stdout().lock();
    match args.output {
        ReplayOutput::Json => {
            serde_json::to_writer_pretty(&mut out, &result).context("writing to stdout")?;
            writeln!(out).context("writing to stdout")?;
        }
        ReplayOutput::Table => write_table(&mut out, &result).context("writing to stdout")?,
    }
    out.flush().context("writing to stdout")?;
    for n in &result.notes {
        eprintln!("palisade: note: {n}");
    }
    let s = &result.summary;
    eprintln!(
        "palisade: {} distinct flows ({} flows): {} allowed, {} denied, {} replies ({} allowed, {} denied), {} not evaluated; {} changed ({} newly denied, {} newly allowed)",
        s.distinct,
        s.flows,
        s.allowed,
        s.denied,
        s.replies,
        s.replies_allowed,
        s.replies_denied,
        s.not_evaluated,
        s.changed,
        s.newly_denied,
        s.newly_allowed
    );
    Ok(if s.newly_denied > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads and parses policy files; prints syntax errors (`file:line:col`).
fn read_policies(files: &[PathBuf]) -> anyhow::Result<Option<Vec<Policy>>> {
    let mut all = Vec::new();
    let mut failed = false;
    for path in files {
        let (shown, text) = if path.as_os_str() == "-" {
            let mut s = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut s) {
                eprintln!("palisade: <stdin>: {e}");
                return Ok(None);
            }
            ("<stdin>".to_string(), s)
        } else {
            match std::fs::read_to_string(path) {
                Ok(s) => (path.display().to_string(), s),
                Err(e) => {
                    eprintln!("palisade: {}: {e}", path.display());
                    return Ok(None);
                }
            }
        };
        let (policies, diagnostics) = policy_core::yaml::parse_policies(&text);
        for d in diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            let at = match (d.line, d.column) {
                (Some(l), Some(c)) => format!("{shown}:{l}:{c}"),
                (Some(l), None) => format!("{shown}:{l}"),
                _ => shown.clone(),
            };
            eprintln!("palisade: {at}: error: {} [{}]", d.message, d.code);
            failed = true;
        }
        all.extend(policies);
    }
    Ok((!failed).then_some(all))
}

fn write_table(out: &mut impl Write, r: &Replay) -> std::io::Result<()> {
    let rows: Vec<[String; 7]> = r
        .flows
        .iter()
        .map(|f| {
            let mut port = match f.port {
                Some(p) => format!("{p}/{}", f.protocol),
                None => format!("-/{}", f.protocol),
            };
            match &f.l7 {
                L7Key::Http { method, path } => port.push_str(&format!(" {method} {path}")),
                L7Key::Dns { query } => port.push_str(&format!(" DNS {query}")),
                L7Key::None => {}
            }
            let allowed = match f.allowed {
                Some(true) => "allowed",
                Some(false) => "DENIED",
                None => "-",
            };
            let why = f.explanation();
            [
                f.source.clone(),
                f.destination.clone(),
                port,
                format!("{}{}", f.verdict, if f.is_reply { " (reply)" } else { "" }),
                f.count.to_string(),
                allowed.to_string(),
                why,
            ]
        })
        .collect();
    let head = [
        "SOURCE",
        "DESTINATION",
        "PORT / L7",
        "OBSERVED",
        "COUNT",
        "POLICIES",
        "RULES / WHY",
    ];
    let mut width = head.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: [&str; 7]| -> std::io::Result<()> {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  ", w = width[i]));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, head)?;
    for row in &rows {
        line(out, row.each_ref().map(String::as_str))?;
    }
    Ok(())
}
