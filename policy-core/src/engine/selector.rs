//! Label selector evaluation: Kubernetes `LabelSelector` semantics, and
//! Cilium's reading of the same selector over an endpoint's label set.

use crate::model::LabelSelector;
pub use crate::model::labels::{
    CILIUM_CLUSTER_LABEL, CILIUM_NAMESPACE_LABEL, CILIUM_NAMESPACE_LABELS_PREFIX,
    CILIUM_SERVICE_ACCOUNT_LABEL, Labels,
};

/// Whether `labels` satisfy a Kubernetes label selector: every `matchLabels`
/// pair AND every `matchExpressions` requirement (`In`, `NotIn`, `Exists`,
/// `DoesNotExist`). The empty selector matches everything. An unknown
/// operator matches nothing (the apiserver rejects it).
pub fn matches(selector: &LabelSelector, labels: &Labels) -> bool {
    matches_with(selector, |key| labels.get(key).map(String::as_str))
}

/// Whether the selector has no requirement at all (it matches everything).
pub fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(|m| m.is_empty())
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(Vec::is_empty)
}

/// Whether a Cilium endpoint's label set (see [`cilium_labels`]) satisfies a
/// selector written in a Cilium rule. Keys may carry a source prefix:
/// `k8s:`, `any:` and `unspec:` name ordinary labels; other sources (such as
/// `reserved:`) never match a pod.
pub fn cilium_matches(selector: &LabelSelector, labels: &Labels) -> bool {
    matches_with(selector, |key| match cilium_key(key) {
        Some(k) => labels.get(k).map(String::as_str),
        None => None,
    })
}

/// The plain key of a Cilium selector key, or `None` for a source that pods
/// never carry (`reserved:`, `cidr:`, `fqdn:`, …).
pub fn cilium_key(key: &str) -> Option<&str> {
    for prefix in ["k8s:", "any:", "unspec:"] {
        if let Some(rest) = key.strip_prefix(prefix) {
            return Some(rest);
        }
    }
    match key.split_once(':') {
        // Kubernetes label keys never contain ':', so a colon is a source.
        Some(_) => None,
        None => Some(key),
    }
}

/// Whether a Cilium selector names the endpoint namespace label (then Cilium
/// does not scope it to the policy's namespace).
pub fn names_cilium_namespace(selector: &LabelSelector) -> bool {
    let in_labels = selector
        .match_labels
        .iter()
        .flatten()
        .any(|(k, _)| cilium_key(k) == Some(CILIUM_NAMESPACE_LABEL));
    let in_exprs = selector
        .match_expressions
        .iter()
        .flatten()
        .any(|e| cilium_key(&e.key) == Some(CILIUM_NAMESPACE_LABEL));
    in_labels || in_exprs
}

/// The `reserved:` entity a Cilium selector names in `matchLabels`, if any
/// (`reserved:host` is the `host` entity).
pub fn reserved_entity(selector: &LabelSelector) -> Option<&str> {
    selector
        .match_labels
        .iter()
        .flatten()
        .find_map(|(k, _)| k.strip_prefix("reserved:"))
}

/// The label set Cilium derives for a pod: its own labels, plus
/// `io.kubernetes.pod.namespace`, `io.cilium.k8s.namespace.labels.<key>` for
/// each namespace label, the service account and the cluster name.
pub fn cilium_labels(
    pod_labels: &Labels,
    namespace: &str,
    namespace_labels: &Labels,
    service_account: Option<&str>,
) -> Labels {
    let mut out = pod_labels.clone();
    out.insert(CILIUM_NAMESPACE_LABEL.to_string(), namespace.to_string());
    for (k, v) in namespace_labels {
        out.insert(format!("{CILIUM_NAMESPACE_LABELS_PREFIX}{k}"), v.clone());
    }
    out.insert(
        CILIUM_SERVICE_ACCOUNT_LABEL.to_string(),
        service_account.unwrap_or("default").to_string(),
    );
    out.insert(CILIUM_CLUSTER_LABEL.to_string(), "default".to_string());
    out
}

fn matches_with<'a>(selector: &LabelSelector, get: impl Fn(&str) -> Option<&'a str>) -> bool {
    for (k, v) in selector.match_labels.iter().flatten() {
        if get(k) != Some(v.as_str()) {
            return false;
        }
    }
    for req in selector.match_expressions.iter().flatten() {
        let value = get(&req.key);
        let values = req.values.as_deref().unwrap_or(&[]);
        let ok = match req.operator.as_str() {
            "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
            "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// A short human-readable rendering of a selector (`{}` for the empty one),
/// for reasons and explanations.
pub fn describe(selector: &LabelSelector) -> String {
    let mut parts = Vec::new();
    for (k, v) in selector.match_labels.iter().flatten() {
        parts.push(format!("{k}={v}"));
    }
    for req in selector.match_expressions.iter().flatten() {
        let values = req.values.as_deref().unwrap_or(&[]).join(",");
        parts.push(match req.operator.as_str() {
            "Exists" => req.key.clone(),
            "DoesNotExist" => format!("!{}", req.key),
            "In" => format!("{} in ({values})", req.key),
            "NotIn" => format!("{} notin ({values})", req.key),
            op => format!("{} {op} ({values})", req.key),
        });
    }
    if parts.is_empty() {
        "{}".to_string()
    } else {
        format!("{{{}}}", parts.join(", "))
    }
}

/// A stable key for interning selectors (equal selectors, equal keys).
pub fn selector_key(selector: &LabelSelector) -> String {
    serde_json::to_string(selector).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(yaml: &str) -> LabelSelector {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn kubernetes_operators() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        assert!(matches(&sel("{}"), &l));
        assert!(matches(&sel("matchLabels: {app: web}"), &l));
        assert!(!matches(&sel("matchLabels: {app: db}"), &l));
        assert!(matches(
            &sel("matchExpressions: [{key: app, operator: In, values: [web, db]}]"),
            &l
        ));
        assert!(!matches(
            &sel("matchExpressions: [{key: app, operator: NotIn, values: [web]}]"),
            &l
        ));
        assert!(matches(
            &sel("matchExpressions: [{key: x, operator: NotIn, values: [web]}]"),
            &l
        ));
        assert!(matches(
            &sel("matchExpressions: [{key: tier, operator: Exists}]"),
            &l
        ));
        assert!(matches(
            &sel("matchExpressions: [{key: x, operator: DoesNotExist}]"),
            &l
        ));
        assert!(!matches(
            &sel(
                "{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: DoesNotExist}]}"
            ),
            &l
        ));
    }

    #[test]
    fn cilium_prefixes() {
        let l = cilium_labels(
            &labels(&[("app", "web")]),
            "prod",
            &labels(&[("team", "a")]),
            None,
        );
        assert!(cilium_matches(&sel("matchLabels: {k8s:app: web}"), &l));
        assert!(cilium_matches(&sel("matchLabels: {any:app: web}"), &l));
        assert!(cilium_matches(
            &sel("matchLabels: {k8s:io.kubernetes.pod.namespace: prod}"),
            &l
        ));
        assert!(cilium_matches(
            &sel("matchLabels: {io.cilium.k8s.namespace.labels.team: a}"),
            &l
        ));
        assert!(!cilium_matches(
            &sel("matchLabels: {reserved:host: ''}"),
            &l
        ));
        assert!(names_cilium_namespace(&sel(
            "matchExpressions: [{key: k8s:io.kubernetes.pod.namespace, operator: Exists}]"
        )));
    }
}
