//! Text ↔ model for the page: reading YAML into policies (with diagnostics
//! that point at lines) and writing a policy back as YAML.
//!
//! This is the page's single doorway to parsing and emitting. It delegates
//! to serde for now and moves to policy-core's `yaml`, `validate` and `lint`
//! modules when they land; nothing else in the frontend parses YAML.

use policy_core::diagnostic::{Diagnostic, Severity};
use policy_core::model::{CiliumPolicy, NetworkPolicy, Policy, PolicyKind};
use serde::{Deserialize, Serialize};

/// The result of reading one text: every policy in it, and the findings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// Policies, in document order, with their 1-based start line.
    pub policies: Vec<(Policy, u32)>,
    /// Syntax and shape errors, with lines.
    pub diagnostics: Vec<Diagnostic>,
}

fn error(message: String, line: Option<u32>, column: Option<u32>, code: &str) -> Diagnostic {
    Diagnostic {
        policy: None,
        severity: Severity::Error,
        code: code.to_string(),
        message,
        field: None,
        line,
        column,
        fix: None,
    }
}

/// 1-based line numbers where each YAML document starts.
fn document_starts(text: &str) -> Vec<u32> {
    let mut starts = vec![1];
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") && i > 0 {
            starts.push(i as u32 + 2);
        }
    }
    starts
}

/// Reads single- and multi-document YAML and `kind: List`.
pub fn parse(text: &str) -> Parsed {
    let mut out = Parsed::default();
    let starts = document_starts(text);
    let mut index = 0usize;
    for doc in serde_yaml::Deserializer::from_str(text) {
        let start = starts.get(index).copied().unwrap_or(1);
        index += 1;
        let value = match serde_json::Value::deserialize(doc) {
            Ok(v) => v,
            Err(e) => {
                let (line, col) = e
                    .location()
                    .map(|l| (Some(l.line() as u32), Some(l.column() as u32)))
                    .unwrap_or((Some(start), None));
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                out.diagnostics.push(error(format!("YAML syntax: {msg}"), line, col, "yaml-syntax"));
                break;
            }
        };
        if value.is_null() {
            continue;
        }
        read_value(value, start, &mut out);
    }
    out
}

fn read_value(value: serde_json::Value, line: u32, out: &mut Parsed) {
    let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("").to_string();
    if kind == "List" {
        for item in value.get("items").and_then(|i| i.as_array()).cloned().unwrap_or_default() {
            read_value(item, line, out);
        }
        return;
    }
    let Some(kind) = PolicyKind::from_kind(&kind) else {
        out.diagnostics.push(error(
            if kind.is_empty() {
                "the document has no `kind:`; expected NetworkPolicy, CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy".to_string()
            } else {
                format!("kind {kind:?} is not a policy Palisade edits")
            },
            Some(line),
            Some(1),
            "unknown-kind",
        ));
        return;
    };
    let policy = match kind {
        PolicyKind::NetworkPolicy => serde_json::from_value::<NetworkPolicy>(value).map(Policy::NetworkPolicy),
        PolicyKind::CiliumNetworkPolicy => {
            serde_json::from_value::<CiliumPolicy>(value).map(Policy::CiliumNetworkPolicy)
        }
        PolicyKind::CiliumClusterwideNetworkPolicy => {
            serde_json::from_value::<CiliumPolicy>(value).map(Policy::CiliumClusterwideNetworkPolicy)
        }
    };
    match policy {
        Ok(p) => out.policies.push((p, line)),
        Err(e) => out.diagnostics.push(error(format!("{}: {e}", kind.as_str()), Some(line), Some(1), "invalid-shape")),
    }
}

#[derive(Serialize)]
struct Typed<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    #[serde(flatten)]
    policy: &'a CiliumPolicy,
}

/// Writes one policy as canonical YAML (apiVersion, kind, metadata, spec).
pub fn emit(policy: &Policy) -> String {
    let kind = policy.kind();
    let text = match policy {
        Policy::NetworkPolicy(np) => serde_yaml::to_string(np),
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            serde_yaml::to_string(&Typed { api_version: kind.api_version(), kind: kind.as_str(), policy: p })
        }
    };
    text.unwrap_or_else(|e| format!("# could not write the policy: {e}\n"))
}

/// Writes several policies as one multi-document stream.
pub fn emit_all<'a>(policies: impl IntoIterator<Item = &'a str>) -> String {
    policies
        .into_iter()
        .map(|t| t.trim_end_matches('\n').trim_start_matches("---\n").to_string())
        .collect::<Vec<_>>()
        .join("\n---\n")
        + "\n"
}
