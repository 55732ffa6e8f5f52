//! `palisade check FILE...|-`: apiserver-grade validation and lints.
//!
//! Text output is one line per finding, compiler style:
//! `file:line:col: error[code]: message (field)`. `--output json` prints
//! `{"diagnostics":[{"file","policy","severity","code","message","field","line","column"}]}`.
//! Exit 0 without errors (warnings allowed), 1 with errors, 2 on usage or
//! I/O errors.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use policy_core::check::check_files;
use policy_core::cluster::ClusterReader;
use policy_core::diagnostic::{Diagnostic, Severity};
use policy_core::lint::ClusterView;
use policy_core::model::{Namespace, Pod};
use serde::Serialize;

/// Output formats of `check` and `explain`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// Machine-readable JSON.
    Json,
}

/// Arguments of `palisade check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// YAML or JSON files (policies, multi-document streams, `kind: List`); `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// The cluster, for the lints that check selectors and named ports
    /// against real pods: a dump (`kubectl get namespaces,pods -A -o yaml`)
    /// or workload manifests, a file or a directory (read recursively).
    #[arg(long, value_name = "PATH")]
    pub cluster: Option<PathBuf>,
}

/// One row of the JSON output (the contract: keep the field names and order).
#[derive(Debug, Serialize)]
pub struct Row<'a> {
    file: &'a str,
    policy: Option<&'a str>,
    severity: Severity,
    code: &'a str,
    message: &'a str,
    field: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
}

/// The JSON document: `{"diagnostics":[...]}`.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    diagnostics: Vec<Row<'a>>,
}

/// Reads a file argument (`-` is stdin). Returns the display name and bytes.
pub fn read_input(file: &str) -> Result<(String, Vec<u8>), String> {
    if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("palisade: <stdin>: {e}"))?;
        Ok(("<stdin>".to_string(), buf))
    } else {
        std::fs::read(file)
            .map(|b| (file.to_string(), b))
            .map_err(|e| format!("palisade: {file}: {e}"))
    }
}

/// Namespaces and Pods of a cluster: pod dumps and workload manifests, a
/// file or a directory, read by policy-core's [`ClusterReader`] as `probe`
/// reads them. An object that cannot be read is an error at its place.
pub fn read_cluster(path: &Path) -> Result<(Vec<Namespace>, Vec<Pod>), String> {
    let shown = path.display().to_string();
    let files = super::inputs::expand(&shown).map_err(|e| format!("palisade: {e:#}"))?;
    let mut reader = ClusterReader::new();
    let mut errors = Vec::new();
    for file in files {
        let text = super::inputs::read_input(&file).map_err(|e| format!("palisade: {e:#}"))?;
        for d in reader.read(&text) {
            if d.severity == Severity::Error {
                errors.push(format!(
                    "palisade: {file}:{}:{}: {}",
                    d.line.unwrap_or(1),
                    d.column.unwrap_or(1),
                    d.message
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    Ok(reader.into_objects())
}

/// `file:line:col: severity[code]: message (field)`.
pub fn format_text(file: &str, d: &Diagnostic) -> String {
    let at = match (d.line, d.column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_string(),
    };
    let sev = d.severity.as_str();
    let field = d
        .field
        .as_deref()
        .map(|f| format!(" ({f})"))
        .unwrap_or_default();
    format!("{at}: {sev}[{}]: {}{field}", d.code, d.message)
}

/// Runs `palisade check`.
pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let cluster_data = match &args.cluster {
        Some(path) => match read_cluster(path) {
            Ok(c) => Some(c),
            Err(msg) => {
                eprintln!("{msg}");
                return Ok(ExitCode::from(2));
            }
        },
        None => None,
    };
    let view = cluster_data
        .as_ref()
        .map(|(namespaces, pods)| ClusterView { namespaces, pods });

    let mut io_failed = false;
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for file in &args.files {
        match read_input(file) {
            Ok(input) => inputs.push(input),
            Err(msg) => {
                eprintln!("{msg}");
                io_failed = true;
            }
        }
    }
    // The files are one workspace: cross-policy lints see them all.
    let texts: Vec<&[u8]> = inputs.iter().map(|(_, bytes)| bytes.as_slice()).collect();
    let results: Vec<(String, Vec<Diagnostic>)> = inputs
        .iter()
        .map(|(name, _)| name.clone())
        .zip(check_files(&texts, view.as_ref()))
        .collect();

    let (mut errors, mut warnings, mut infos) = (0usize, 0usize, 0usize);
    for (_, diags) in &results {
        for d in diags {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
                Severity::Info => infos += 1,
            }
        }
    }
    match args.output {
        OutputFormat::Json => {
            let rows: Vec<Row<'_>> = results
                .iter()
                .flat_map(|(file, diags)| {
                    diags.iter().map(move |d| Row {
                        file,
                        policy: d.policy.as_deref(),
                        severity: d.severity,
                        code: &d.code,
                        message: &d.message,
                        field: d.field.as_deref(),
                        line: d.line,
                        column: d.column,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string(&Report { diagnostics: rows })?);
        }
        OutputFormat::Text => {
            for (file, diags) in &results {
                for d in diags {
                    println!("{}", format_text(file, d));
                }
            }
            let files = results.len();
            eprintln!(
                "palisade check: {errors} error{}, {warnings} warning{}, {infos} note{} in {files} file{}",
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
                if infos == 1 { "" } else { "s" },
                if files == 1 { "" } else { "s" }
            );
        }
    }
    Ok(if io_failed {
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
