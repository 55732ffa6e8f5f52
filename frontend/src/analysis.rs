//! What the page knows about the selected text: the policy read from it,
//! its findings and its graph. Pure; recomputed on every change. (The
//! plain-language explanation is computed just after, off the keystroke
//! path: see `AppState::explained`.)

use std::collections::BTreeMap;

use policy_core::check::IncrementalCheck;
use policy_core::diagnostic::{Diagnostic, Severity};
use policy_core::model::Policy;
use policy_core::view::{PolicyGraph, graph};

use crate::highlight::LineMark;
use crate::policy_text;

/// The analysis of one text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    /// The first policy in the text, when it could be read.
    pub policy: Option<Policy>,
    /// How many policies the text holds.
    pub count: usize,
    /// Every policy read from the text, errors or not (what the journeys
    /// evaluate), so the text is parsed once per change.
    pub all: Vec<Policy>,
    /// Findings, sorted by line.
    pub diagnostics: Vec<Diagnostic>,
    /// The graph of [`Analysis::policy`].
    pub graph: Option<PolicyGraph>,
}

impl Analysis {
    /// Analyses a text among the `others` documents of its workspace;
    /// `checker` remembers the documents of earlier versions, so only the
    /// changed ones are read and checked again.
    pub fn of<'o>(
        checker: &mut IncrementalCheck,
        text: &str,
        others: impl IntoIterator<Item = &'o str>,
    ) -> Analysis {
        let parsed = policy_text::parse_again(checker, text, others);
        let mut diagnostics = parsed.diagnostics;
        diagnostics.sort_by_key(|d| (d.line.unwrap_or(0), d.column.unwrap_or(0)));
        let count = parsed.policies.len();
        let all = parsed.policies;
        let policy = all.first().cloned();
        let has_errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
        // Text with errors keeps the last good graph (the caller decides).
        let policy = if has_errors { None } else { policy };
        let graph = policy.as_ref().map(graph);
        Analysis {
            policy,
            count,
            all,
            diagnostics,
            graph,
        }
    }

    /// Severity marks per line for the YAML pane.
    pub fn line_marks(&self) -> BTreeMap<u32, LineMark> {
        let mut marks = BTreeMap::new();
        for d in &self.diagnostics {
            if let Some(line) = d.line {
                let m = match d.severity {
                    Severity::Error => LineMark::Error,
                    Severity::Warning => LineMark::Warning,
                    // Notes are listed under Problems but not underlined.
                    Severity::Info => continue,
                };
                let e = marks.entry(line).or_insert(m);
                if m > *e {
                    *e = m;
                }
            }
        }
        marks
    }

    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

/// A display name for a text: the policy's name, or a placeholder.
pub fn doc_title(text: &str) -> String {
    // Cheap scan so the list does not reparse every doc on each keystroke.
    let mut in_meta = false;
    for line in text.lines() {
        if line.starts_with("metadata:") {
            in_meta = true;
            continue;
        }
        if in_meta {
            if !line.starts_with(' ') && !line.is_empty() {
                in_meta = false;
                continue;
            }
            if let Some(name) = line.trim().strip_prefix("name:") {
                let n = name.trim().trim_matches('"').trim_matches('\'');
                if !n.is_empty() {
                    return n.to_string();
                }
            }
        }
    }
    if text.trim().is_empty() {
        "empty".to_string()
    } else {
        "untitled".to_string()
    }
}

pub use policy_core::yaml::split_documents;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(
            doc_title("kind: X\nmetadata:\n  namespace: a\n  name: web\nspec: {}\n"),
            "web"
        );
        assert_eq!(doc_title(""), "empty");
    }

    #[test]
    fn a_name_taken_by_another_document_is_flagged() {
        let doc = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  podSelector: {}\n  ingress:\n  - {}\n";
        let mut checker = IncrementalCheck::new();
        let flagged = |a: &Analysis| a.diagnostics.iter().any(|d| d.code == "PA020");
        assert!(!flagged(&Analysis::of(&mut checker, doc, [])));
        assert!(flagged(&Analysis::of(&mut checker, doc, [doc])));
    }

    #[test]
    fn syntax_error_has_a_line_and_no_graph() {
        let a = Analysis::of(
            &mut IncrementalCheck::new(),
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\n spec: [\n",
            [],
        );
        assert!(a.graph.is_none());
        assert!(a.errors() > 0);
        assert!(a.diagnostics[0].line.is_some());
    }
}
