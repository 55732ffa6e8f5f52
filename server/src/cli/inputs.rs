//! Reading the files `probe` and `diff` take: clusters and policies, each a
//! file, a directory (read recursively: `.yaml`, `.yml`, `.json`) or `-` for
//! stdin. Parsing and building the cluster are policy-core's
//! ([`ClusterReader`]); this module only walks the file system.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use policy_core::cluster::{ClusterInput, ClusterReader};
use policy_core::diagnostic::Severity;
use policy_core::model::Policy;

/// The files a path names: itself, or for a directory every `.yaml`, `.yml`
/// and `.json` file below it, sorted so the order is the same every run.
pub(crate) fn expand(path: &str) -> anyhow::Result<Vec<String>> {
    if path == "-" {
        return Ok(vec![path.to_string()]);
    }
    let p = Path::new(path);
    let meta = std::fs::metadata(p).with_context(|| format!("{path}: cannot read"))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_string()]);
    }
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![p.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("{}: cannot read", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("{}: cannot read", dir.display()))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .with_context(|| format!("{}: cannot read", path.display()))?;
            if kind.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
            {
                out.push(path.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads a file, or stdin for `-`.
pub(crate) fn read_input(path: &str) -> anyhow::Result<String> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read stdin")?;
        return Ok(s);
    }
    std::fs::read_to_string(path).with_context(|| format!("{path}: cannot read"))
}

/// Feeds every file of `paths` to `reader`, failing on any error with
/// `file:line:col: message`; with `warn`, prints its warnings (about the
/// cluster's objects: the policy read of the same files stays quiet).
fn read_into(reader: &mut ClusterReader, paths: &[String], warn: bool) -> anyhow::Result<()> {
    let mut errors = Vec::new();
    for path in paths {
        for file in expand(path)? {
            let text = read_input(&file)?;
            for d in reader.read(&text) {
                let at = format!(
                    "{file}:{}:{}: {}",
                    d.line.unwrap_or(1),
                    d.column.unwrap_or(1),
                    d.message
                );
                match d.severity {
                    Severity::Error => errors.push(at),
                    Severity::Warning if warn => eprintln!("palisade: warning: {at}"),
                    Severity::Warning => {}
                    Severity::Info => {}
                }
            }
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(())
}

/// Reads the cluster: pod dumps (what `kubectl get namespaces,pods -A -o
/// yaml` prints) and workload manifests, from a file or a directory.
/// Policies in it are ignored. Says on stderr how many objects of other
/// kinds were skipped.
pub(crate) fn load_cluster(path: &str) -> anyhow::Result<ClusterInput> {
    let mut reader = ClusterReader::new();
    read_into(&mut reader, &[path.to_string()], true)?;
    let input = reader
        .finish()
        .with_context(|| format!("{path}: invalid cluster"))?;
    if !input.skipped.is_empty() {
        let kinds: Vec<String> = input
            .skipped
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let n: usize = input.skipped.values().sum();
        eprintln!(
            "palisade: note: {path}: skipped {n} {} that play{} no part in reachability ({})",
            if n == 1 { "object" } else { "objects" },
            if n == 1 { "s" } else { "" },
            kinds.join(", ")
        );
    }
    Ok(input)
}

/// Reads the policies of every file and directory, in order.
pub(crate) fn load_policies(paths: &[String]) -> anyhow::Result<Vec<Policy>> {
    let mut reader = ClusterReader::new();
    read_into(&mut reader, paths, false)?;
    Ok(reader.into_policies())
}

/// `--host-network-pods`: how host-network pods take part in policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum HostNetworkArg {
    /// As their node: never selected by pod selectors, seen at the node IP
    /// (Cilium, Calico).
    Node,
    /// As ordinary pods, selected by their labels (netpol-analyzer).
    Pod,
}

/// Sets the cluster's address model from `--ipblock-excludes-pods` and
/// `--host-network-pods` (policy-core decides the default that goes with
/// the first).
pub(crate) fn set_address_model(
    cluster: &mut policy_core::cluster::Cluster,
    ipblock_excludes_pods: bool,
    host_network: Option<HostNetworkArg>,
) {
    use policy_core::cluster::HostNetworkPods;
    let asked = host_network.map(|a| match a {
        HostNetworkArg::Node => HostNetworkPods::Node,
        HostNetworkArg::Pod => HostNetworkPods::Pod,
    });
    cluster.set_address_model(!ipblock_excludes_pods, asked);
}

/// What to say when a command runs without policies.
pub(crate) const NO_POLICIES: &str =
    "no policies given: no pod is isolated, so every connection is allowed";
