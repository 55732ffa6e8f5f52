//! Reading a cluster model from a `kubectl get namespaces,pods -A -o yaml`
//! dump (a `List`, a multi-document stream or single documents).

use crate::cluster::{Cluster, ClusterError};
use crate::diagnostic::Diagnostic;
use crate::yaml::{Object, parse_documents};

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
    /// The text holds no Namespace and no Pod.
    #[error(
        "no Namespace or Pod objects found: paste what `kubectl get namespaces,pods -A -o yaml` prints"
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
    /// Non-fatal problems (objects of other kinds, fields of the wrong type).
    pub warnings: Vec<Diagnostic>,
}

/// Reads a cluster dump. Syntax errors and dumps without namespaces or pods
/// are errors; other diagnostics become warnings.
pub fn read_cluster(text: &str) -> Result<ClusterDump, ClusterDumpError> {
    let parsed = parse_documents(text);
    if let Some(d) = parsed.syntax_error() {
        return Err(ClusterDumpError::Syntax {
            line: d.line.unwrap_or(1),
            column: d.column.unwrap_or(1),
            message: d.message.clone(),
        });
    }
    let mut namespaces = Vec::new();
    let mut pods = Vec::new();
    for o in &parsed.objects {
        match &o.object {
            Object::Namespace(n) => namespaces.push(n.clone()),
            Object::Pod(p) => pods.push(p.clone()),
            Object::Policy(_) => {}
        }
    }
    if namespaces.is_empty() && pods.is_empty() {
        return Err(ClusterDumpError::Empty);
    }
    let cluster = Cluster::from_objects(&namespaces, &pods)?;
    Ok(ClusterDump {
        cluster,
        warnings: parsed.diagnostics,
    })
}
