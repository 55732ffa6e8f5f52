//! `check`: parse + validate + lint in one call, with every diagnostic
//! placed at its line and column. The CLI (`palisade check`), the HTTP API
//! (`POST /api/check`) and the page all call [`check`].

use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::{self, ClusterView, LintSource};
use crate::model::Policy;
use crate::validate::validate;
use crate::yaml::{ParseOutput, parse_bytes, parse_documents};

/// Checks a YAML or JSON text: syntax and schema problems, apiserver/Cilium
/// validation errors, and lint warnings (against `cluster` when given, for
/// the lints that need pods and namespaces). Sorted by position.
pub fn check(text: &str, cluster: Option<&ClusterView<'_>>) -> Vec<Diagnostic> {
    let parsed = parse_documents(text);
    check_parsed(text, &parsed, cluster)
}

/// [`check`] for raw bytes: invalid UTF-8 is one error with its position.
pub fn check_bytes(bytes: &[u8], cluster: Option<&ClusterView<'_>>) -> Vec<Diagnostic> {
    match std::str::from_utf8(bytes) {
        Ok(text) => check(text, cluster),
        Err(_) => parse_bytes(bytes).diagnostics,
    }
}

/// Checks several files together, as one workspace: each file's findings,
/// in order, where the lints that look across policies (a DNS rule in
/// another policy, two policies with one name) see the policies of every
/// file. What `palisade check FILE...` runs.
pub fn check_files(files: &[&[u8]], cluster: Option<&ClusterView<'_>>) -> Vec<Vec<Diagnostic>> {
    let parsed: Vec<Result<(&str, ParseOutput), Vec<Diagnostic>>> = files
        .iter()
        .map(|bytes| match std::str::from_utf8(bytes) {
            Ok(text) => Ok((text, parse_documents(text))),
            Err(_) => Err(parse_bytes(bytes).diagnostics),
        })
        .collect();
    let all: Vec<Policy> = parsed
        .iter()
        .flatten()
        .flat_map(|(_, p)| p.policies().cloned())
        .collect();
    parsed
        .iter()
        .map(|file| match file {
            Ok((text, p)) => check_among(text, p, &all, cluster),
            Err(diags) => diags.clone(),
        })
        .collect()
}

/// [`check`] when the text was already parsed (`parsed` must come from `text`).
pub fn check_parsed(
    text: &str,
    parsed: &ParseOutput,
    cluster: Option<&ClusterView<'_>>,
) -> Vec<Diagnostic> {
    let policies: Vec<_> = parsed.policies().cloned().collect();
    check_among(text, parsed, &policies, cluster)
}

/// [`check_parsed`], linting among `policies` (the text's own and others
/// checked with it).
fn check_among(
    text: &str,
    parsed: &ParseOutput,
    policies: &[Policy],
    cluster: Option<&ClusterView<'_>>,
) -> Vec<Diagnostic> {
    let mut out = parsed.diagnostics.clone();
    for obj in &parsed.objects {
        let Some(policy) = obj.policy() else { continue };
        let source = LintSource {
            text,
            map: &obj.source_map,
        };
        let mut diags = validate(policy);
        for d in &mut diags {
            if d.fix.is_none() {
                d.fix = lint::fix::fix_validation(d, &source);
            }
        }
        diags.extend(lint::lint(policy, Some(&source), policies, cluster));
        for mut d in diags {
            obj.locate(&mut d);
            if !obj.path_prefix.is_empty() {
                d.field = Some(match d.field.take() {
                    Some(f) if !f.is_empty() => format!("{}.{f}", obj.path_prefix),
                    _ => obj.path_prefix.clone(),
                });
            }
            out.push(d);
        }
    }
    out.sort_by(|a, b| {
        (a.line, a.column, a.severity != Severity::Error).cmp(&(
            b.line,
            b.column,
            b.severity != Severity::Error,
        ))
    });
    out
}

/// Whether any diagnostic is an error (what makes `palisade check` exit 1).
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}
