//! Small phrase builders shared by both flavours.

use crate::model::LabelSelector;

/// Joins with commas and a final "or"/"and": `a`, `a or b`, `a, b or c`.
pub(super) fn join(items: &[String], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{} {last} {tail}", init.join(", ")),
    }
}

/// Describes what a selector requires, or `None` when it selects everything:
/// `labelled app=web and tier in (a, b)`.
pub(super) fn selector(sel: &LabelSelector, skip_key: impl Fn(&str) -> bool) -> Option<String> {
    let mut parts = Vec::new();
    for (k, v) in sel.match_labels.iter().flatten() {
        if skip_key(k) {
            continue;
        }
        parts.push(format!("{}={v}", clean_key(k)));
    }
    for e in sel.match_expressions.iter().flatten() {
        if skip_key(&e.key) {
            continue;
        }
        let values = e.values.as_deref().unwrap_or(&[]).join(", ");
        let key = clean_key(&e.key);
        parts.push(match e.operator.as_str() {
            "In" => format!("{key} in ({values})"),
            "NotIn" => format!("{key} not in ({values})"),
            "Exists" => format!("any {key} label"),
            "DoesNotExist" => format!("no {key} label"),
            op => format!("{key} {op} ({values})"),
        });
    }
    (!parts.is_empty()).then(|| format!("labelled {}", join(&parts, "and")))
}

/// `k8s:app` → `app`: a Cilium key without its source prefix, for display.
pub(super) fn clean_key(key: &str) -> &str {
    match key.split_once(':') {
        Some((src, rest))
            if !src.is_empty() && src.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') =>
        {
            rest
        }
        _ => key,
    }
}

/// Capitalises the first letter.
pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
