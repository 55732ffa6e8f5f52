//! `palisade diff`: which connections an edit of the policies allows or
//! denies across a cluster.
//!
//! ```text
//! palisade diff --cluster cluster.yaml --before old.yaml --after new.yaml [--output json|text]
//! ```
//!
//! Exit code 0 when nothing changes, 1 when some connection changes (like
//! `diff`), 2 on usage or I/O errors.

use std::net::IpAddr;
use std::process::ExitCode;

use policy_core::diff::{ChangedConnection, diff};
use policy_core::engine::PortKey;
use serde::Serialize;

use super::inputs::{HostNetworkArg, NO_POLICIES, set_address_model};
use super::probe::{load_cluster, load_policies, write_stdout};

/// Output formats of `diff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffOutput {
    /// `{"newly_allowed":[...],"newly_denied":[...],"summary":{...}}`.
    Json,
    /// Plain-language lines.
    Text,
}

/// Arguments of `palisade diff`.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The cluster: a pod dump or workload manifests; a file, a directory
    /// or `-` for stdin.
    #[arg(long, value_name = "PATH")]
    pub cluster: String,
    /// The policies before the edit: files or directories (none: no
    /// policies, everything allowed).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub before: Vec<String>,
    /// The policies after the edit: files or directories (none: no
    /// policies, everything allowed).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub after: Vec<String>,
    /// An address outside the cluster to include as an endpoint.
    #[arg(long, value_name = "IP")]
    pub external: Vec<IpAddr>,
    /// Compare only on this port (default: every port either side names and
    /// every container port); repeatable.
    #[arg(long, value_name = "PORT/PROTO")]
    pub port: Vec<PortKey>,
    /// Make ipBlock match no in-cluster pod IP (Cilium's and
    /// netpol-analyzer's behaviour). With it, host-network pods are
    /// ordinary pods unless --host-network-pods says otherwise.
    #[arg(long)]
    pub ipblock_excludes_pods: bool,
    /// How host-network pods (`hostNetwork: true`) take part in policy,
    /// which Kubernetes leaves to the network plugin (default: node, or pod
    /// with --ipblock-excludes-pods).
    #[arg(long, value_enum, value_name = "MODEL")]
    pub host_network_pods: Option<HostNetworkArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: DiffOutput,
}

#[derive(Serialize)]
struct Change {
    from: String,
    to: String,
    port: u16,
    protocol: String,
    explanation: String,
    reasons: Vec<String>,
    reasons_before: Vec<String>,
}

impl From<&ChangedConnection> for Change {
    fn from(c: &ChangedConnection) -> Self {
        Change {
            from: c.from.clone(),
            to: c.to.clone(),
            port: c.port.port,
            protocol: c.port.protocol.as_str().to_string(),
            explanation: c.after.explain(),
            reasons: c.after.reasons(),
            reasons_before: c.before.reasons(),
        }
    }
}

/// Runs `palisade diff`.
pub fn run(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let mut cluster = load_cluster(&args.cluster)?.cluster;
    set_address_model(
        &mut cluster,
        args.ipblock_excludes_pods,
        args.host_network_pods,
    );
    for ip in &args.external {
        cluster.add_external(*ip);
    }
    let read = |paths: &[String], side: &str| -> anyhow::Result<Vec<policy_core::model::Policy>> {
        let policies = if paths.is_empty() {
            Vec::new()
        } else {
            load_policies(paths)?
        };
        if policies.is_empty() {
            eprintln!("palisade: note: --{side}: {NO_POLICIES}");
        }
        Ok(policies)
    };
    let before = read(&args.before, "before")?;
    let after = read(&args.after, "after")?;
    let ports = (!args.port.is_empty()).then_some(args.port.as_slice());
    let d = diff(&cluster, &before, &after, ports);
    match args.output {
        DiffOutput::Json => {
            let allowed: Vec<Change> = d.newly_allowed.iter().map(Change::from).collect();
            let denied: Vec<Change> = d.newly_denied.iter().map(Change::from).collect();
            let out = serde_json::json!({
                "newly_allowed": allowed,
                "newly_denied": denied,
                "summary": {
                    "newly_allowed": allowed.len(),
                    "newly_denied": denied.len(),
                    "ports": d.ports.iter().map(ToString::to_string).collect::<Vec<_>>(),
                },
            });
            write_stdout(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
        }
        DiffOutput::Text => {
            let mut out = String::new();
            for c in &d.newly_allowed {
                out.push_str(&format!(
                    "+ {} -> {} {}: now allowed\n    {}\n",
                    c.from,
                    c.to,
                    c.port,
                    c.after.explain()
                ));
            }
            for c in &d.newly_denied {
                out.push_str(&format!(
                    "- {} -> {} {}: now denied\n    {}\n",
                    c.from,
                    c.to,
                    c.port,
                    c.after.explain()
                ));
            }
            out.push_str(&format!(
                "{} newly allowed, {} newly denied\n",
                d.newly_allowed.len(),
                d.newly_denied.len()
            ));
            write_stdout(&out)?;
        }
    }
    Ok(if d.newly_allowed.is_empty() && d.newly_denied.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
