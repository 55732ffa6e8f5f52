//! `palisade probe`: who can reach whom, on which port, and why.
//!
//! ```text
//! palisade probe --cluster cluster.yaml --policies a.yaml b.yaml [--external IP]... \
//!     [--port PORT/PROTO]... [--from A] [--to B] [--output json|table|text]
//! ```
//!
//! Endpoints are written `namespace/pod` or `ip:ADDR`. Without `--port`, each
//! target pod is probed on each of its container ports and each external
//! target on the union of the ports the policies name. Pod-to-itself pairs
//! are omitted. With both `--from` and `--to` (the single-connection form)
//! the exit code is 1 when a probed connection is denied.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::net::IpAddr;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use policy_core::cluster::{Cluster, EndpointId, EndpointRef};
use policy_core::diagnostic::Severity;
use policy_core::engine::{Engine, PortKey};
use policy_core::model::{Namespace, Pod, Policy};
use policy_core::yaml::{Object, parse_documents};
use serde::Serialize;

/// Output formats of `probe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeOutput {
    /// `{"results":[...]}`.
    Json,
    /// One matrix per port: rows are sources, columns destinations.
    Table,
    /// One line per connection with its reasons.
    Text,
}

/// Arguments of `palisade probe`.
#[derive(clap::Args, Debug)]
pub struct ProbeArgs {
    /// The cluster: what `kubectl get namespaces,pods -A -o yaml` prints (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub cluster: String,
    /// Policy files (NetworkPolicy, CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy).
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub policies: Vec<String>,
    /// An address outside the cluster to include as an endpoint.
    #[arg(long, value_name = "IP")]
    pub external: Vec<IpAddr>,
    /// Probe only this port (`80`, `80/TCP`, `53/UDP`, `9000/SCTP`); repeatable.
    #[arg(long, value_name = "PORT/PROTO")]
    pub port: Vec<PortKey>,
    /// Only connections from this endpoint (`namespace/pod` or `ip:ADDR`).
    #[arg(long, value_name = "ENDPOINT")]
    pub from: Option<EndpointRef>,
    /// Only connections to this endpoint (`namespace/pod` or `ip:ADDR`).
    #[arg(long, value_name = "ENDPOINT")]
    pub to: Option<EndpointRef>,
    /// Make ipBlock match no in-cluster pod IP (Cilium's behaviour). By
    /// default ipBlock also matches pod IPs, as upstream Kubernetes asserts.
    #[arg(long)]
    pub ipblock_excludes_pods: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: ProbeOutput,
}

/// One probed connection, as `--output json` prints it.
#[derive(Debug, Serialize)]
struct ProbeResult {
    from: String,
    to: String,
    port: u16,
    protocol: String,
    allowed: bool,
    reasons: Vec<String>,
}

/// Runs `palisade probe`.
pub fn run(args: &ProbeArgs) -> anyhow::Result<ExitCode> {
    let mut cluster = load_cluster(&args.cluster)?;
    cluster.options.ip_block_matches_pod_ips = !args.ipblock_excludes_pods;
    let policies = load_policies(&args.policies)?;
    for ip in &args.external {
        cluster.add_external(*ip);
    }
    let from = resolve(&mut cluster, args.from.as_ref(), "--from")?;
    let to = resolve(&mut cluster, args.to.as_ref(), "--to")?;
    let engine = Engine::new(&cluster, &policies);
    for note in engine.notes() {
        eprintln!("palisade: note: {note}");
    }

    let sources: Vec<EndpointId> = match from {
        Some(f) => vec![f],
        None => cluster.endpoint_ids().collect(),
    };
    let targets: Vec<EndpointId> = match to {
        Some(t) => vec![t],
        None => cluster.endpoint_ids().collect(),
    };
    let ports_of = |t: EndpointId| -> Vec<PortKey> {
        if args.port.is_empty() { engine.probe_ports(t) } else { args.port.clone() }
    };

    if args.output == ProbeOutput::Table {
        write_stdout(&render_tables(&engine, &sources, &targets, &ports_of))?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut results = Vec::new();
    let mut verdicts = Vec::new();
    for &s in &sources {
        for &t in &targets {
            if s == t {
                continue;
            }
            for port in ports_of(t) {
                let v = engine.verdict(s, t, port);
                results.push(ProbeResult {
                    from: v.from.clone(),
                    to: v.to.clone(),
                    port: port.port,
                    protocol: port.protocol.as_str().to_string(),
                    allowed: v.allowed,
                    reasons: v.reasons(),
                });
                verdicts.push(v);
            }
        }
    }
    let single = from.is_some() && to.is_some();
    if single && from == to {
        bail!("--from and --to name the same endpoint; pod-to-itself connections are not probed");
    }
    let mut out = String::new();
    match args.output {
        ProbeOutput::Json => {
            out = serde_json::to_string_pretty(&serde_json::json!({ "results": results }))?;
            out.push('\n');
        }
        ProbeOutput::Text if single => {
            for v in &verdicts {
                out.push_str(&format!("{}\n", v.explain()));
                for r in v.reasons() {
                    out.push_str(&format!("  - {r}\n"));
                }
            }
            if verdicts.is_empty() {
                out.push_str("no port to probe: name one with --port PORT/PROTO\n");
            }
        }
        _ => {
            for r in &results {
                out.push_str(&format!(
                    "{} {} -> {} {}/{}\n",
                    if r.allowed { "ALLOWED" } else { "DENIED " },
                    r.from,
                    r.to,
                    r.port,
                    r.protocol
                ));
            }
            let allowed = results.iter().filter(|r| r.allowed).count();
            out.push_str(&format!(
                "{} connections probed: {allowed} allowed, {} denied\n",
                results.len(),
                results.len() - allowed
            ));
        }
    }
    write_stdout(&out)?;
    if single && results.iter().any(|r| !r.allowed) {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn resolve(cluster: &mut Cluster, r: Option<&EndpointRef>, flag: &str) -> anyhow::Result<Option<EndpointId>> {
    match r {
        None => Ok(None),
        Some(r) => match cluster.find_or_add(r) {
            Some(id) => Ok(Some(id)),
            None => bail!("{flag} {r}: no such pod in the cluster file"),
        },
    }
}

/// One matrix per port, in the style of policy-assistant: `.` allowed,
/// `X` denied, `-` not probed (the same endpoint, or a port the target does
/// not serve).
fn render_tables(
    engine: &Engine,
    sources: &[EndpointId],
    targets: &[EndpointId],
    ports_of: &dyn Fn(EndpointId) -> Vec<PortKey>,
) -> String {
    let cluster = engine.cluster();
    let per_target: Vec<BTreeSet<PortKey>> = targets.iter().map(|t| ports_of(*t).into_iter().collect()).collect();
    let all_ports: BTreeSet<PortKey> = per_target.iter().flatten().copied().collect();
    let ports: Vec<PortKey> = all_ports.into_iter().collect();
    let table = engine.truth_table(&ports);
    let names = |ids: &[EndpointId]| -> Vec<String> { ids.iter().map(|i| cluster.endpoint_name(*i)).collect() };
    let (rows, cols) = (names(sources), names(targets));
    let first = rows.iter().map(String::len).max().unwrap_or(0).max(4);
    let widths: Vec<usize> = cols.iter().map(|c| c.len().max(1)).collect();
    let rule = {
        let mut s = format!("+{}", "-".repeat(first + 2));
        for w in &widths {
            s.push_str(&format!("+{}", "-".repeat(w + 2)));
        }
        s.push_str("+\n");
        s
    };
    let mut out = String::new();
    for (pi, port) in ports.iter().enumerate() {
        out.push_str(&format!("{port}:\n{rule}"));
        out.push_str(&format!("| {:first$} ", "from\\to"));
        for (c, w) in cols.iter().zip(&widths) {
            out.push_str(&format!("| {c:w$} "));
        }
        out.push_str(&format!("|\n{rule}"));
        for (s, row) in sources.iter().zip(&rows) {
            out.push_str(&format!("| {row:first$} "));
            for ((t, w), tports) in targets.iter().zip(&widths).zip(&per_target) {
                let cell = if s == t || !tports.contains(port) {
                    "-"
                } else if table.allowed(pi, *s, *t) {
                    "."
                } else {
                    "X"
                };
                out.push_str(&format!("| {cell:w$} "));
            }
            out.push_str("|\n");
        }
        out.push_str(&rule);
        out.push('\n');
    }
    out.push_str(". allowed   X denied   - not probed\n");
    out
}

/// Writes the whole output; a closed pipe (`| head`) is not an error.
pub(crate) fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("cannot write to stdout"),
        _ => Ok(()),
    }
}

/// Reads a file, or stdin for `-`.
pub(crate) fn read_input(path: &str) -> anyhow::Result<String> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("cannot read stdin")?;
        return Ok(s);
    }
    std::fs::read_to_string(path).with_context(|| format!("{path}: cannot read"))
}

/// Parses a file, failing on any error with `file:line:col: message`.
fn parse_file(path: &str) -> anyhow::Result<Vec<Object>> {
    let text = read_input(path)?;
    let parsed = parse_documents(&text);
    let errors: Vec<String> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{path}:{}:{}: {}", d.line.unwrap_or(1), d.column.unwrap_or(1), d.message))
        .collect();
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(parsed.objects.into_iter().map(|o| o.object).collect())
}

/// Reads the cluster file: Namespace and Pod objects (a `List`, multi-doc or
/// single doc). Policies in it are ignored.
pub(crate) fn load_cluster(path: &str) -> anyhow::Result<Cluster> {
    let mut namespaces: Vec<Namespace> = Vec::new();
    let mut pods: Vec<Pod> = Vec::new();
    for object in parse_file(path)? {
        match object {
            Object::Namespace(n) => namespaces.push(n),
            Object::Pod(p) => pods.push(p),
            Object::Policy(_) => {}
        }
    }
    Cluster::from_objects(&namespaces, &pods).with_context(|| format!("{path}: invalid cluster"))
}

/// Reads the policies of every file, in order.
pub(crate) fn load_policies(paths: &[String]) -> anyhow::Result<Vec<Policy>> {
    let mut out = Vec::new();
    for path in paths {
        for object in parse_file(path)? {
            if let Object::Policy(p) = object {
                out.push(p);
            }
        }
    }
    Ok(out)
}
