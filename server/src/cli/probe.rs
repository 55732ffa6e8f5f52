//! `palisade probe`: who can reach whom, on which ports, and why.
//!
//! ```text
//! palisade probe --cluster PATH [--policies PATH...] [--external IP]... \
//!     [--port PORT/PROTO]... [--from A] [--to B] [--why] \
//!     [--output connlist|json|table|text] [--group-by workload|pod|namespace]
//! ```
//!
//! `--cluster` and `--policies` take files or directories. Without `--port`,
//! `--output connlist` and `--output json` print the exact connection set of
//! every ordered pair (netpol-analyzer's connlist, or
//! `{"connections":[{"from","to","conns"}]}`), streamed as computed. With
//! `--port` (or `--output text|table`) each pair is probed port by port:
//! each target pod on its container ports, external targets on the ports the
//! policies name. Pod-to-itself pairs are omitted. With both `--from` and
//! `--to` the exit code is 1 when a probed connection is denied.

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use policy_core::cluster::{Cluster, EndpointId, EndpointRef};
use policy_core::engine::connlist::{self, ConnList, GroupBy};
use policy_core::engine::{Engine, PortKey, ProbeScope};
use policy_core::model::Policy;
use serde::Serialize;

use super::inputs::{HostNetworkArg, NO_POLICIES, set_address_model};
pub(crate) use super::inputs::{load_cluster, load_policies};

/// Output formats of `probe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeOutput {
    /// netpol-analyzer's connlist: `SRC => DST : CONNS`, one line per pair.
    Connlist,
    /// Without `--port`: `{"connections":[...]}`; with it, `{"results":[...]}`.
    Json,
    /// One matrix per port: rows are sources, columns destinations.
    Table,
    /// One line per connection and port (with reasons for one connection).
    Text,
}

/// How endpoints are grouped by `--output connlist` and compact JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupByArg {
    /// One line per workload (`ns/name[Kind]`); the default when the
    /// cluster names owners.
    Workload,
    /// One line per pod (`ns/name[Pod]`).
    Pod,
    /// A matrix of allowed pod pairs per namespace pair.
    Namespace,
}

/// Arguments of `palisade probe`.
#[derive(clap::Args, Debug)]
pub struct ProbeArgs {
    /// The cluster: what `kubectl get namespaces,pods -A -o yaml` prints, or
    /// workload manifests (Deployment, StatefulSet, DaemonSet, ReplicaSet,
    /// ReplicationController, Job, CronJob, Pod); a file, a directory (read
    /// recursively) or `-` for stdin.
    #[arg(long, value_name = "PATH")]
    pub cluster: String,
    /// Policy files or directories (NetworkPolicy, CiliumNetworkPolicy,
    /// CiliumClusterwideNetworkPolicy). Without it: no policies, everything
    /// is allowed.
    #[arg(long, value_name = "PATH", num_args = 1..)]
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
    /// Make ipBlock match no in-cluster pod IP (Cilium's and
    /// netpol-analyzer's behaviour). By default ipBlock also matches pod
    /// IPs, as upstream Kubernetes asserts. With it, host-network pods are
    /// ordinary pods unless --host-network-pods says otherwise
    /// (netpol-analyzer's model).
    #[arg(long)]
    pub ipblock_excludes_pods: bool,
    /// How host-network pods (`hostNetwork: true`) take part in policy,
    /// which Kubernetes leaves to the network plugin (default: node, or pod
    /// with --ipblock-excludes-pods).
    #[arg(long, value_enum, value_name = "MODEL")]
    pub host_network_pods: Option<HostNetworkArg>,
    /// Add the reasons (which policies and rules decided) to each per-port
    /// result of `--output json`.
    #[arg(long)]
    pub why: bool,
    /// Group endpoints of the connection list (default: workload when the
    /// cluster names owners, else pod).
    #[arg(long, value_enum)]
    pub group_by: Option<GroupByArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: ProbeOutput,
}

/// One probed connection, as `--output json --port` prints it.
#[derive(Debug, Serialize)]
struct ProbeResult<'a> {
    from: &'a str,
    to: &'a str,
    port: u16,
    protocol: &'a str,
    allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasons: Option<Vec<String>>,
}

/// One pair of the compact JSON.
#[derive(Debug, Serialize)]
struct ConnectionLine<'a> {
    from: &'a str,
    to: &'a str,
    conns: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    conditions: &'a [String],
}

/// Runs `palisade probe`. A closed pipe (`| head`) ends the output quietly.
pub fn run(args: &ProbeArgs) -> anyhow::Result<ExitCode> {
    match probe(args) {
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        r => r,
    }
}

fn probe(args: &ProbeArgs) -> anyhow::Result<ExitCode> {
    let input = load_cluster(&args.cluster)?;
    let mut cluster = input.cluster;
    set_address_model(
        &mut cluster,
        args.ipblock_excludes_pods,
        args.host_network_pods,
    );
    let policies = if args.policies.is_empty() {
        Vec::new()
    } else {
        load_policies(&args.policies)?
    };
    let no_policies = policies.is_empty();
    if no_policies {
        eprintln!("palisade: note: {NO_POLICIES}");
    }
    let sets = args.port.is_empty() && matches!(args.output, ProbeOutput::Json);
    if args.output == ProbeOutput::Connlist || sets {
        if !args.port.is_empty() {
            bail!(
                "--port does not apply to --output connlist, which lists every port; use --output json or text to probe ports"
            );
        }
        return connection_list(args, cluster, &policies);
    }

    for ip in &args.external {
        cluster.add_external(*ip);
    }
    let from = resolve(&mut cluster, args.from.as_ref(), "--from")?;
    let to = resolve(&mut cluster, args.to.as_ref(), "--to")?;
    let single = from.is_some() && to.is_some();
    if single && from == to {
        bail!("--from and --to name the same endpoint; pod-to-itself connections are not probed");
    }
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
        if args.port.is_empty() {
            engine.probe_ports(t)
        } else {
            args.port.clone()
        }
    };

    let mut out = Output::stdout();
    if args.output == ProbeOutput::Table {
        if no_policies {
            writeln!(out.w, "{NO_POLICIES}")?;
        }
        out.w
            .write_all(render_tables(&engine, &sources, &targets, &ports_of).as_bytes())?;
        return out.finish(ExitCode::SUCCESS);
    }
    let json = args.output == ProbeOutput::Json;
    let reasons = args.why || single;
    let (mut probed, mut allowed, mut denied_single) = (0usize, 0usize, false);
    if json {
        out.w.write_all(b"{\"results\":[")?;
    } else if no_policies {
        writeln!(out.w, "{NO_POLICIES}")?;
    }
    let scope = ProbeScope {
        from,
        to,
        ports: args.port.clone(),
    };
    let mut names: Option<(EndpointId, String, EndpointId, String)> = None;
    engine.probe_each(&scope, |s, t, port| -> anyhow::Result<()> {
        if names.as_ref().is_none_or(|n| n.0 != s || n.2 != t) {
            names = Some((s, cluster.endpoint_name(s), t, cluster.endpoint_name(t)));
        }
        let (_, from_name, _, to_name) = names.as_ref().expect("just set");
        let verdict = (reasons || (single && !json)).then(|| engine.verdict(s, t, port));
        let ok = match &verdict {
            Some(v) => v.allowed,
            None => engine.is_allowed(s, t, port),
        };
        if json {
            if probed > 0 {
                out.w.write_all(b",")?;
            }
            out.w.write_all(b"\n")?;
            let result = ProbeResult {
                from: from_name,
                to: to_name,
                port: port.port,
                protocol: port.protocol.as_str(),
                allowed: ok,
                reasons: verdict.as_ref().filter(|_| reasons).map(|v| v.reasons()),
            };
            serde_json::to_writer(&mut out.w, &result)?;
        } else if single && let Some(v) = &verdict {
            writeln!(out.w, "{}", v.explain())?;
            for r in v.reasons() {
                writeln!(out.w, "  - {r}")?;
            }
        } else {
            writeln!(
                out.w,
                "{} {from_name} -> {to_name} {}/{}",
                if ok { "ALLOWED" } else { "DENIED " },
                port.port,
                port.protocol
            )?;
        }
        probed += 1;
        allowed += usize::from(ok);
        denied_single |= single && !ok;
        Ok(())
    })?;
    if json {
        out.w.write_all(b"\n]")?;
        if no_policies {
            write!(out.w, ",\"note\":{}", serde_json::to_string(NO_POLICIES)?)?;
        }
        out.w.write_all(b"}\n")?;
    } else if single {
        if probed == 0 {
            writeln!(out.w, "no port to probe: name one with --port PORT/PROTO")?;
        }
    } else {
        writeln!(
            out.w,
            "{probed} connections probed: {allowed} allowed, {} denied",
            probed - allowed
        )?;
    }
    out.finish(if denied_single {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Buffered stdout where a closed pipe (`| head`) ends the output quietly.
struct Output {
    w: BufWriter<std::io::StdoutLock<'static>>,
}

impl Output {
    fn stdout() -> Self {
        Output {
            w: BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
        }
    }

    fn finish(mut self, code: ExitCode) -> anyhow::Result<ExitCode> {
        self.w.flush()?;
        Ok(code)
    }
}

/// `--output connlist`, or `--output json` without `--port`: the exact set
/// of every ordered pair, streamed in name order.
fn connection_list(
    args: &ProbeArgs,
    mut cluster: Cluster,
    policies: &[Policy],
) -> anyhow::Result<ExitCode> {
    // The address ranges depend only on the policies' CIDRs.
    let ranges = Engine::new(&Cluster::new(), policies).address_partitions();
    let externals = connlist::add_address_ranges(&mut cluster, &ranges);
    if !args.external.is_empty() {
        eprintln!(
            "palisade: note: --external is not needed for connection sets: the address ranges cover every address"
        );
    }
    // An address outside the cluster is the range that holds it, among the
    // sources for --from and the destinations for --to.
    let in_list = |cluster: &Cluster, r: Option<&EndpointRef>, flag: &str, source: bool| {
        let Some(r) = r else { return Ok(None) };
        if let Some(id) = cluster.find(r) {
            return Ok(Some(id));
        }
        match r {
            EndpointRef::Ip(ip) => match externals.iter().find(|e| {
                (if source { e.source } else { e.destination })
                    && e.range.start <= *ip
                    && *ip <= e.range.end
            }) {
                Some(e) => Ok(Some(e.id)),
                None => bail!("{flag} {r}: no policy names an address of its family"),
            },
            EndpointRef::Pod { .. } => bail!("{flag} {r}: no such pod in the cluster file"),
        }
    };
    let from = in_list(&cluster, args.from.as_ref(), "--from", true)?;
    let to = in_list(&cluster, args.to.as_ref(), "--to", false)?;
    let group_by = match args.group_by {
        Some(GroupByArg::Pod) => GroupBy::Pod,
        Some(GroupByArg::Namespace) => GroupBy::Namespace,
        Some(GroupByArg::Workload) => GroupBy::Workload,
        None if cluster.pods.iter().any(|p| p.owner.is_some()) => GroupBy::Workload,
        None => GroupBy::Pod,
    };
    let engine = Engine::new(&cluster, policies);
    for note in engine.notes() {
        eprintln!("palisade: note: {note}");
    }
    let list = ConnList::new(&engine, &externals, group_by);
    let json = args.output == ProbeOutput::Json;
    let mut out = Output::stdout();
    if group_by == GroupBy::Namespace {
        let summary = list.namespace_summary();
        if json {
            let k = summary.namespaces.len();
            let rows =
                |v: &[u64]| -> Vec<Vec<u64>> { v.chunks(k.max(1)).map(<[u64]>::to_vec).collect() };
            serde_json::to_writer(
                &mut out.w,
                &serde_json::json!({
                    "namespaces": summary.namespaces,
                    "allowed_pod_pairs": rows(&summary.allowed),
                    "pod_pairs": rows(&summary.pairs),
                }),
            )?;
            out.w.write_all(b"\n")?;
        } else {
            write!(out.w, "{summary}")?;
        }
        return out.finish(ExitCode::SUCCESS);
    }
    let wanted = |node: &connlist::ListNode, id: Option<EndpointId>| {
        id.is_none_or(|id| node.representative == id || node.pods.contains(&id))
    };
    if json {
        out.w.write_all(b"{\"connections\":[")?;
    }
    let mut first = true;
    let written = list.for_each(|src, dst, c| -> std::io::Result<()> {
        if !wanted(src, from) || !wanted(dst, to) {
            return Ok(());
        }
        if json {
            out.w.write_all(if first { b"\n" } else { b",\n" })?;
            let line = ConnectionLine {
                from: &src.name,
                to: &dst.name,
                conns: c.text(),
                conditions: &c.conditions,
            };
            serde_json::to_writer(&mut out.w, &line)?;
        } else {
            for part in [&src.name, " => ", &dst.name, " : ", c.text(), "\n"] {
                out.w.write_all(part.as_bytes())?;
            }
        }
        first = false;
        Ok(())
    });
    written?;
    if json {
        out.w.write_all(b"\n]")?;
        if policies.is_empty() {
            write!(out.w, ",\"note\":{}", serde_json::to_string(NO_POLICIES)?)?;
        }
        out.w.write_all(b"}\n")?;
    }
    out.finish(ExitCode::SUCCESS)
}

fn resolve(
    cluster: &mut Cluster,
    r: Option<&EndpointRef>,
    flag: &str,
) -> anyhow::Result<Option<EndpointId>> {
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
    let per_target: Vec<BTreeSet<PortKey>> = targets
        .iter()
        .map(|t| ports_of(*t).into_iter().collect())
        .collect();
    let all_ports: BTreeSet<PortKey> = per_target.iter().flatten().copied().collect();
    let ports: Vec<PortKey> = all_ports.into_iter().collect();
    let table = engine.truth_table(&ports);
    let names = |ids: &[EndpointId]| -> Vec<String> {
        ids.iter().map(|i| cluster.endpoint_name(*i)).collect()
    };
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
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}
