//! Text ↔ model for the page: the single doorway to policy-core's YAML
//! reader, checker (validation and lints) and emitter.

use policy_core::check::IncrementalCheck;
use policy_core::diagnostic::Diagnostic;
use policy_core::model::Policy;
use policy_core::yaml;

/// The result of reading one text: every policy in it, and the findings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// Policies, in document order.
    pub policies: Vec<Policy>,
    /// Syntax, shape, validation and lint findings, with lines.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads single- and multi-document YAML, JSON and `kind: List`, and
/// checks it as `palisade check` does (validation and lints, with fixes).
/// For a text edited over and over: `checker` keeps what it found in each
/// `---` document, and only changed documents are read and checked again.
/// `others` are the workspace's other documents: the lints that look across
/// policies (two policies with one name, DNS allowed elsewhere) see them, as
/// `palisade check` sees every file it is given.
pub fn parse_again<'o>(
    checker: &mut IncrementalCheck,
    text: &str,
    others: impl IntoIterator<Item = &'o str>,
) -> Parsed {
    let checked = checker.check_in_workspace(text, others);
    Parsed {
        policies: checked.policies,
        diagnostics: checked.diagnostics,
    }
}

/// Writes one policy as canonical YAML (apiVersion, kind, metadata, spec).
pub fn emit(policy: &Policy) -> String {
    yaml::emit_policy(policy)
}

/// Joins document texts into one multi-document stream.
pub fn join_documents<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    texts
        .into_iter()
        .map(|t| {
            t.trim_end_matches('\n')
                .trim_start_matches("---\n")
                .to_string()
        })
        .filter(|t| !t.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n---\n")
        + "\n"
}
