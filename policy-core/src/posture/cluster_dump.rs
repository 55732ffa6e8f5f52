//! Reading a cluster model from a `kubectl get namespaces,pods -A -o yaml`
//! dump (a `List`, a multi-document stream or single documents) or from
//! workload manifests, one text or several.

use crate::cluster::{Cluster, ClusterError, ClusterReader};
use crate::diagnostic::{Diagnostic, Severity};

/// A cluster dump that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClusterDumpError {
    /// The text is not YAML (or JSON) that can be read.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What is wrong.
        message: String,
    },
    /// The text holds no Namespace, Pod or workload.
    #[error(
        "no Namespace, Pod or workload (Deployment, StatefulSet, …) found: paste what `kubectl get namespaces,pods -A -o yaml` prints, or workload manifests"
    )]
    Empty,
    /// An object cannot be used by the cluster model.
    #[error("{0}")]
    Invalid(#[from] ClusterError),
}

/// What [`read_cluster`] found: the cluster, and how many policies the text
/// also held (they are ignored here).
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterDump {
    /// The cluster model.
    pub cluster: Cluster,
    /// Non-fatal problems (fields of the wrong type, …).
    pub warnings: Vec<Diagnostic>,
    /// Objects of kinds that play no part (Services, ConfigMaps, …), by kind.
    pub skipped: std::collections::BTreeMap<String, usize>,
}

/// Reads a cluster dump. Syntax errors and dumps without namespaces or pods
/// are errors; other diagnostics become warnings.
pub fn read_cluster(text: &str) -> Result<ClusterDump, ClusterDumpError> {
    read_clusters([text])
}

/// Reads a cluster from several texts (files): pod dumps and workload
/// manifests, through the one [`ClusterReader`]. Objects of other kinds are
/// skipped; a syntax error in any text is an error.
pub fn read_clusters<'a>(
    texts: impl IntoIterator<Item = &'a str>,
) -> Result<ClusterDump, ClusterDumpError> {
    let mut reader = ClusterReader::new();
    let mut warnings = Vec::new();
    for text in texts {
        let diagnostics = reader.read(text);
        if let Some(d) = diagnostics.iter().find(|d| is_syntax_error(d)) {
            return Err(ClusterDumpError::Syntax {
                line: d.line.unwrap_or(1),
                column: d.column.unwrap_or(1),
                message: d.message.clone(),
            });
        }
        warnings.extend(diagnostics);
    }
    let input = reader.finish()?;
    if input.cluster.namespaces.is_empty() && input.cluster.pods.is_empty() {
        return Err(ClusterDumpError::Empty);
    }
    Ok(ClusterDump {
        cluster: input.cluster,
        warnings,
        skipped: input.skipped,
    })
}

fn is_syntax_error(d: &Diagnostic) -> bool {
    d.severity == Severity::Error
        && matches!(
            d.code.as_str(),
            "yaml-syntax" | "invalid-utf8" | "yaml-too-deep" | "yaml-alias-limit"
        )
}
