//! Label selector matching against a cluster model, for the lints that
//! look at pods and namespaces.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Whether `sel` matches `labels` (Kubernetes semantics: all of
/// `matchLabels` and every expression). Cilium source prefixes (`k8s:`)
/// are ignored.
pub fn matches(sel: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let get = |k: &str| labels.get(strip_source(k));
    for (k, v) in sel.match_labels.iter().flatten() {
        if get(k) != Some(v) {
            return false;
        }
    }
    for e in sel.match_expressions.iter().flatten() {
        let values = e.values.as_deref().unwrap_or(&[]);
        let have = get(&e.key);
        let ok = match e.operator.as_str() {
            "In" => have.is_some_and(|v| values.contains(v)),
            "NotIn" => have.is_none_or(|v| !values.contains(v)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `k8s:app` → `app`.
pub fn strip_source(key: &str) -> &str {
    match key.split_once(':') {
        Some((src, rest))
            if !src.is_empty() && src.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') =>
        {
            rest
        }
        _ => key,
    }
}

/// Whether the selector has any requirement (an empty selector matches all).
pub fn is_empty(sel: &LabelSelector) -> bool {
    sel.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && sel.match_expressions.as_ref().is_none_or(Vec::is_empty)
}
