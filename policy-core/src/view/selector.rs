//! Label selectors as short human-readable terms.

use crate::model::LabelSelector;

/// The terms of a selector: `app=web`, `tier in (a, b)`, `!legacy`, `env`.
/// Empty when the selector matches everything.
pub fn selector_terms(selector: &LabelSelector) -> Vec<String> {
    let mut out: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for req in selector.match_expressions.iter().flatten() {
        let values = req.values.clone().unwrap_or_default().join(", ");
        out.push(match req.operator.as_str() {
            "In" => format!("{} in ({values})", req.key),
            "NotIn" => format!("{} notin ({values})", req.key),
            "Exists" => req.key.clone(),
            "DoesNotExist" => format!("!{}", req.key),
            op => format!("{} {op} ({values})", req.key),
        });
    }
    out
}

/// The selector as one line, or `empty` when it matches everything.
pub fn selector_text(selector: &LabelSelector, empty: &str) -> String {
    let terms = selector_terms(selector);
    if terms.is_empty() {
        empty.to_string()
    } else {
        terms.join(", ")
    }
}
