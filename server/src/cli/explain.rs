//! `palisade explain FILE...|-`: plain-language explanations of policies.
//!
//! Text output: per policy, a heading, the summary sentences and one line
//! per rule. `--output json` prints
//! `{"explanations":[{"file","policy","kind","summary":[...],"rules":[{"field","text"}]}]}`.
//! Exit 0 when every file was read, 1 when a file has YAML errors (they are
//! printed to stderr; the policies that could be read are still explained),
//! 2 on usage or I/O errors.

use std::process::ExitCode;

use policy_core::diagnostic::Severity;
use policy_core::explain::{Explanation, explain};
use policy_core::yaml::parse_bytes;
use serde::Serialize;

use super::check::{OutputFormat, format_text, read_input};

/// Arguments of `palisade explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// YAML or JSON files with policies; `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[derive(Serialize)]
struct Row<'a> {
    file: &'a str,
    #[serde(flatten)]
    explanation: &'a Explanation,
}

#[derive(Serialize)]
struct Report<'a> {
    explanations: Vec<Row<'a>>,
}

/// Runs `palisade explain`.
pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let mut io_failed = false;
    let mut parse_failed = false;
    let mut out: Vec<(String, Explanation)> = Vec::new();
    for file in &args.files {
        let (name, bytes) = match read_input(file) {
            Ok(x) => x,
            Err(msg) => {
                eprintln!("{msg}");
                io_failed = true;
                continue;
            }
        };
        let parsed = parse_bytes(&bytes);
        for d in parsed.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            eprintln!("{}", format_text(&name, d));
            parse_failed = true;
        }
        for p in parsed.policies() {
            out.push((name.clone(), explain(p)));
        }
    }
    match args.output {
        OutputFormat::Json => {
            let rows: Vec<Row<'_>> = out.iter().map(|(file, explanation)| Row { file, explanation }).collect();
            println!("{}", serde_json::to_string(&Report { explanations: rows })?);
        }
        OutputFormat::Text => {
            let multi = args.files.len() > 1;
            for (i, (file, e)) in out.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                if multi {
                    println!("# {file}");
                }
                print!("{}", e.to_text());
            }
        }
    }
    Ok(if io_failed {
        ExitCode::from(2)
    } else if parse_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
