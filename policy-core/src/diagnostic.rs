//! Findings about a policy: validation errors and lint warnings.
//!
//! Every analysis reports through [`Diagnostic`]. The JSON form is a public
//! contract (`palisade check --output json`, `POST /api/check`): keep the
//! field names.

use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The apiserver (or Cilium) would reject the object, or it cannot be read.
    Error,
    /// Accepted, but probably not what the author meant.
    Warning,
    /// Worth knowing, but not a mistake: shown, never counted as a warning,
    /// never fails `check`.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`, as in the JSON contract.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A text edit that fixes a finding: replace the byte range
/// `start..end` of the source text with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextEdit {
    /// Byte offset where the replaced range starts.
    pub start: usize,
    /// Byte offset where the replaced range ends (exclusive).
    pub end: usize,
    /// The new text.
    pub replacement: String,
}

/// A machine-applicable fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// What the fix does, for a button label ("Add a DNS egress rule").
    pub title: String,
    /// Edits to the source text, non-overlapping.
    pub edits: Vec<TextEdit>,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// `namespace/name` (or `name`) of the policy, when it is known.
    pub policy: Option<String>,
    /// Error or warning.
    pub severity: Severity,
    /// A stable code, such as `invalid-port` or `PA001`.
    pub code: String,
    /// What is wrong, and what to do.
    pub message: String,
    /// Kubernetes field path, such as `spec.ingress[0].from[1].ipBlock.except[0]`.
    pub field: Option<String>,
    /// 1-based line in the source text.
    pub line: Option<u32>,
    /// 1-based column in the source text.
    pub column: Option<u32>,
    /// A fix that can be applied as an edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}
