//! Lints for CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, one
//! function per lint (`namespaced` is true for CiliumNetworkPolicy). They
//! are registered in [`super::LINTS`].

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Lints;
use super::cidr::non_canonical_cidr;
use super::duplicates::{Interner, first_repeats};
use super::fix::{append_item, delete_item, insert_entry, rename_key, replace_value, single};
use crate::engine::selector::{cilium_key, cilium_labels, cilium_matches, is_empty};
use crate::model::Policy;
use crate::model::cilium::{CiliumPolicy, CiliumRule, EgressRule, PortRule};
use crate::model::labels::CILIUM_NAMESPACE_LABEL;

/// The egress rule the Cilium DNS fixes add: kube-dns on 53, through the DNS proxy.
pub fn dns_egress_rule() -> Value {
    json!({
        "toEndpoints": [{"matchLabels": {
            "k8s:io.kubernetes.pod.namespace": "kube-system",
            "k8s:k8s-app": "kube-dns"
        }}],
        "toPorts": [{
            "ports": [{"port": "53", "protocol": "ANY"}],
            "rules": {"dns": [{"matchPattern": "*"}]}
        }]
    })
}

fn namespace(policy: &CiliumPolicy) -> String {
    policy
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into())
}

/// Whether the rule's peers may include the DNS server.
fn peers_may_be_dns(r: &EgressRule, namespaced: bool, own_ns: &str) -> bool {
    let no_peers = r.to_endpoints.is_none()
        && r.to_cidr.is_none()
        && r.to_cidr_set.is_none()
        && r.to_entities.is_none()
        && r.to_services.is_none()
        && r.to_fqdns.is_none()
        && r.extra.is_empty();
    if no_peers && r.to_ports.as_ref().is_none_or(Vec::is_empty) && r.icmps.is_none() {
        // An empty Cilium rule selects no peer: it allows nothing.
        return false;
    }
    if no_peers || r.to_cidr.is_some() || r.to_cidr_set.is_some() || !r.extra.is_empty() {
        return true;
    }
    if r.to_entities.iter().flatten().any(|e| {
        matches!(
            e.as_str(),
            "all" | "cluster" | "world" | "world-ipv4" | "world-ipv6" | "host" | "remote-node"
        )
    }) {
        return true;
    }
    r.to_endpoints.iter().flatten().any(|sel| {
        let labels: Vec<(&str, &str)> = sel
            .match_labels
            .iter()
            .flatten()
            .filter_map(|(k, v)| Some((cilium_key(k)?, v.as_str())))
            .collect();
        let ns = labels
            .iter()
            .find(|(k, _)| *k == CILIUM_NAMESPACE_LABEL)
            .map(|(_, v)| *v);
        let dns_label = labels
            .iter()
            .any(|(k, v)| *k == "k8s-app" && *v == "kube-dns");
        match ns {
            Some(ns) => ns == "kube-system",
            None => dns_label || !namespaced || own_ns == "kube-system",
        }
    })
}

fn egress_allows_dns(r: &EgressRule) -> bool {
    let ports = r.to_ports.as_deref().unwrap_or(&[]);
    ports.is_empty()
        || ports.iter().any(|pr| {
            pr.rules.as_ref().is_some_and(|x| x.dns.is_some())
                || pr.ports.iter().flatten().any(|pp| {
                    pp.port == "53"
                        && matches!(pp.protocol.as_deref(), None | Some("UDP") | Some("ANY"))
                })
        })
}

/// Whether some rule of a Cilium policy has a DNS proxy rule (PA014 looks
/// for one anywhere among the policies checked together).
pub(crate) fn has_dns_proxy(p: &Policy) -> bool {
    cilium_rules(p).into_iter().any(has_dns_proxy_rule)
}

fn has_dns_proxy_rule(r: &CiliumRule) -> bool {
    r.egress
        .iter()
        .flatten()
        .flat_map(|e| e.to_ports.iter().flatten())
        .any(|pr| pr.rules.as_ref().is_some_and(|x| x.dns.is_some()))
}

fn cilium_rules(p: &Policy) -> Vec<&CiliumRule> {
    match p {
        Policy::CiliumNetworkPolicy(c) | Policy::CiliumClusterwideNetworkPolicy(c) => {
            c.rules().into_iter().map(|(_, r)| r).collect()
        }
        Policy::NetworkPolicy(_) => Vec::new(),
    }
}

/// PA001: egress under default deny without a rule that lets DNS through.
pub(super) fn egress_without_dns(policy: &CiliumPolicy, namespaced: bool, l: &mut Lints<'_>) {
    let ns = namespace(policy);
    for (path, rule) in policy.rules() {
        let egress = rule.egress.as_deref().unwrap_or(&[]);
        if !rule.isolated_directions().egress
            || egress
                .iter()
                .any(|r| egress_allows_dns(r) && peers_may_be_dns(r, namespaced, &ns))
        {
            continue;
        }
        let fix = l.src.and_then(|src| {
            let edit = if src.map.node(&format!("{path}.egress")).is_some() {
                append_item(src, &format!("{path}.egress"), &dns_egress_rule())
            } else {
                insert_entry(src, &path, "egress", &json!([dns_egress_rule()]))
            };
            single("Allow DNS to kube-dns through the DNS proxy", edit)
        });
        l.emit(
            "PA001",
            &format!(
                "{path}.{}",
                if egress.is_empty() {
                    "egressDeny"
                } else {
                    "egress"
                }
            ),
            "egress is restricted (default deny) but DNS (port 53) is not allowed, so name lookups will fail".into(),
            fix,
        );
    }
}

/// PA018: an empty endpoint selector in a namespaced policy means "this
/// namespace", not "everywhere".
pub(super) fn empty_endpoint_selector(policy: &CiliumPolicy, namespaced: bool, l: &mut Lints<'_>) {
    if !namespaced {
        return;
    }
    let ns = namespace(policy);
    let all_ns = json!({"matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "Exists"}]});
    for (path, rule) in policy.rules() {
        let mut empties = Vec::new();
        for (i, r) in rule.ingress.iter().flatten().enumerate() {
            for (j, sel) in r.from_endpoints.iter().flatten().enumerate() {
                if is_empty(sel) {
                    empties.push(format!("{path}.ingress[{i}].fromEndpoints[{j}]"));
                }
            }
        }
        for (i, r) in rule.egress.iter().flatten().enumerate() {
            for (j, sel) in r.to_endpoints.iter().flatten().enumerate() {
                if is_empty(sel) {
                    empties.push(format!("{path}.egress[{i}].toEndpoints[{j}]"));
                }
            }
        }
        for field in empties {
            let fix = l.src.and_then(|src| {
                single(
                    "Select endpoints in all namespaces",
                    replace_value(src, &field, &all_ns),
                )
            });
            l.emit(
                "PA018",
                &field,
                format!(
                    "an empty endpoint selector in a CiliumNetworkPolicy selects only endpoints in namespace {ns}; to select every namespace match `k8s:io.kubernetes.pod.namespace` with operator Exists"
                ),
                fix,
            );
        }
    }
}

/// PA014: toFQDNs with no DNS proxy rule anywhere in the file.
pub(super) fn fqdn_without_dns_rule(policy: &CiliumPolicy, _namespaced: bool, l: &mut Lints<'_>) {
    let other_dns_proxy = l.file.dns_proxy;
    if other_dns_proxy {
        return;
    }
    for (path, rule) in policy.rules() {
        if has_dns_proxy_rule(rule) {
            continue;
        }
        for (i, e) in rule.egress.iter().flatten().enumerate() {
            if e.to_fqdns.as_ref().is_none_or(|q| q.is_empty()) {
                continue;
            }
            let fix = l.src.and_then(|src| {
                single(
                    "Add a DNS rule (kube-dns, matchPattern \"*\")",
                    append_item(src, &format!("{path}.egress"), &dns_egress_rule()),
                )
            });
            l.emit(
                "PA014",
                &format!("{path}.egress[{i}].toFQDNs"),
                "toFQDNs never matches without an egress rule carrying `rules: {dns: ...}` to the DNS server".into(),
                fix,
            );
        }
    }
}

/// PA015: CIDRs with host bits set. Only the canonical-form lint applies to
/// Cilium: its CIDR rules never match endpoints inside the cluster (they
/// have identities), so private ranges are not ambiguous as they are for
/// NetworkPolicy ipBlocks.
pub(super) fn non_canonical_cidrs(policy: &CiliumPolicy, _namespaced: bool, l: &mut Lints<'_>) {
    for (path, rule) in policy.rules() {
        let ingress = [
            ("ingress", &rule.ingress),
            ("ingressDeny", &rule.ingress_deny),
        ];
        for (dir, list) in ingress {
            for (i, r) in list.iter().flatten().enumerate() {
                let rp = format!("{path}.{dir}[{i}]");
                cidrs(&rp, "fromCIDR", r.from_cidr.as_deref(), l);
                cidr_sets(&rp, "fromCIDRSet", r.from_cidr_set.as_deref(), l);
            }
        }
        let egress = [("egress", &rule.egress), ("egressDeny", &rule.egress_deny)];
        for (dir, list) in egress {
            for (i, r) in list.iter().flatten().enumerate() {
                let rp = format!("{path}.{dir}[{i}]");
                cidrs(&rp, "toCIDR", r.to_cidr.as_deref(), l);
                cidr_sets(&rp, "toCIDRSet", r.to_cidr_set.as_deref(), l);
            }
        }
    }
}

fn cidrs(rule_path: &str, key: &str, list: Option<&[String]>, l: &mut Lints<'_>) {
    for (j, c) in list.unwrap_or(&[]).iter().enumerate() {
        non_canonical_cidr(c, &format!("{rule_path}.{key}[{j}]"), l);
    }
}

fn cidr_sets(
    rule_path: &str,
    key: &str,
    list: Option<&[crate::model::cilium::CidrRule]>,
    l: &mut Lints<'_>,
) {
    for (j, c) in list.unwrap_or(&[]).iter().enumerate() {
        let Some(cidr) = &c.cidr else { continue };
        let at = format!("{rule_path}.{key}[{j}]");
        non_canonical_cidr(cidr, &format!("{at}.cidr"), l);
        for (k, e) in c.except.iter().flatten().enumerate() {
            non_canonical_cidr(e, &format!("{at}.except[{k}]"), l);
        }
    }
}

/// PA009: the same rule twice in one list.
pub(super) fn duplicate_rule(policy: &CiliumPolicy, _namespaced: bool, l: &mut Lints<'_>) {
    fn values<T: serde::Serialize>(list: &Option<Vec<T>>) -> Vec<Value> {
        list.iter()
            .flatten()
            .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
            .collect()
    }
    for (path, rule) in policy.rules() {
        for (dir, values) in [
            ("ingress", values(&rule.ingress)),
            ("egress", values(&rule.egress)),
            ("ingressDeny", values(&rule.ingress_deny)),
            ("egressDeny", values(&rule.egress_deny)),
        ] {
            // Interned and indexed (see `duplicates`), not compared pairwise.
            let mut interner = Interner::default();
            let ids: Vec<u32> = values.into_iter().map(|v| interner.intern(v)).collect();
            for (i, repeat) in first_repeats(&ids).into_iter().enumerate() {
                let Some(k) = repeat else { continue };
                let list_path = format!("{path}.{dir}");
                let fix = l
                    .src
                    .and_then(|src| single("Remove this rule", delete_item(src, &list_path, i)));
                l.emit(
                    "PA009",
                    &format!("{list_path}[{i}]"),
                    format!("this rule repeats {list_path}[{k}]"),
                    fix,
                );
            }
        }
    }
}

/// PA011: the endpointSelector matches no pod of the cluster. Pods are
/// matched on the label set Cilium gives their endpoints (namespace,
/// namespace labels, service account), as the engine does.
pub(super) fn selects_no_pods(policy: &CiliumPolicy, namespaced: bool, l: &mut Lints<'_>) {
    let Some(c) = l.cluster else { return };
    if c.pods.is_empty() {
        return;
    }
    let ns = namespace(policy);
    for (path, rule) in policy.rules() {
        let Some(sel) = &rule.endpoint_selector else {
            continue;
        };
        // A key of another source (`reserved:host`, `cidr:…`) selects
        // something other than pods: the rule is not about pods at all.
        let other_source = sel
            .match_labels
            .iter()
            .flatten()
            .map(|(k, _)| k)
            .chain(sel.match_expressions.iter().flatten().map(|e| &e.key))
            .any(|k| cilium_key(k).is_none());
        if other_source {
            continue;
        }
        let no_labels = BTreeMap::new();
        let any = c.pods.iter().any(|p| {
            let pod_ns = p.metadata.namespace.as_deref().unwrap_or("default");
            if namespaced && pod_ns != ns {
                return false;
            }
            let labels = cilium_labels(
                p.metadata.labels.as_ref().unwrap_or(&no_labels),
                pod_ns,
                &c.namespace_labels(pod_ns),
                p.spec
                    .as_ref()
                    .and_then(|s| s.service_account_name.as_deref()),
            );
            cilium_matches(sel, &labels)
        });
        if !any {
            l.emit(
                "PA011",
                &format!("{path}.endpointSelector"),
                format!(
                    "no pod{} matches the endpointSelector, so the rule has no effect",
                    if namespaced {
                        format!(" in namespace {ns}")
                    } else {
                        String::new()
                    }
                ),
                None,
            );
        }
    }
}

/// Every `toPorts` entry of the egress rules: (field path, port rule).
fn egress_port_rules<'r>(rule_path: &str, rule: &'r CiliumRule) -> Vec<(String, &'r PortRule)> {
    let mut out = Vec::new();
    for (i, e) in rule.egress.iter().flatten().enumerate() {
        for (j, pr) in e.to_ports.iter().flatten().enumerate() {
            out.push((format!("{rule_path}.egress[{i}].toPorts[{j}]"), pr));
        }
    }
    out
}

/// PA022: DNS rules on a port other than 53. Cilium accepts them (its rule
/// validation only requires that some port is given), and redirects every
/// connection on those ports to its DNS proxy.
pub(super) fn dns_rule_port(policy: &CiliumPolicy, _namespaced: bool, l: &mut Lints<'_>) {
    for (path, rule) in policy.rules() {
        for (at, pr) in egress_port_rules(&path, rule) {
            if pr.rules.as_ref().is_none_or(|r| r.dns.is_none()) {
                continue;
            }
            for (k, pp) in pr.ports.iter().flatten().enumerate() {
                if pp.port.is_empty() || pp.port == "53" || pp.port == "0" {
                    continue;
                }
                l.emit(
                    "PA022",
                    &format!("{at}.ports[{k}].port"),
                    format!(
                        "DNS rules also apply to port {}: Cilium redirects every connection on this port to its DNS proxy, which parses the traffic as DNS, answers only queries the `dns` patterns allow and drops anything that is not DNS (such as CoreDNS metrics on 9153); allow non-DNS ports in a separate toPorts entry without `rules`",
                        pp.port
                    ),
                    None,
                );
            }
        }
    }
}

/// The `authentication.mode` that an old `auth.type` value means.
fn authentication_mode(auth: &Value) -> &'static str {
    match auth.get("type").and_then(Value::as_str) {
        Some("disabled") | Some("disable") => "disabled",
        Some("always-fail") | Some("test-always-fail") => "test-always-fail",
        _ => "required",
    }
}

/// PA023: the pre-1.14 `auth:` field. Cilium builds from before 1.14.0
/// read `auth: {type: …}` on ingress and egress rules while mutual
/// authentication was developed (cilium/cilium#21822); 1.14.0 renamed it
/// (cilium/cilium#25761) to `authentication: {mode: …}`
/// (`required`, `disabled`, `test-always-fail`), and released Cilium since
/// then does not know `auth`, so the rule is enforced without
/// authentication.
pub(super) fn auth_field(policy: &CiliumPolicy, _namespaced: bool, l: &mut Lints<'_>) {
    for (path, rule) in policy.rules() {
        let ingress = rule.ingress.iter().flatten().map(|r| &r.extra);
        let egress = rule.egress.iter().flatten().map(|r| &r.extra);
        let tagged = ingress
            .enumerate()
            .map(|(i, x)| (format!("{path}.ingress[{i}]"), x))
            .chain(
                egress
                    .enumerate()
                    .map(|(i, x)| (format!("{path}.egress[{i}]"), x)),
            );
        for (rule_path, extra) in tagged {
            let Some(auth) = extra.get("auth") else {
                continue;
            };
            let mode = authentication_mode(auth);
            let field = format!("{rule_path}.auth");
            let fix = l.src.and_then(|src| {
                // Rename the key, then replace its value: two edits on
                // disjoint ranges (the key, then the value).
                let rename = rename_key(src.map, &field, "authentication")?;
                let value = replace_value(src, &field, &json!({"mode": mode}))?;
                Some(crate::diagnostic::Fix {
                    title: format!("Rewrite as authentication: {{mode: {mode}}}"),
                    edits: vec![rename, value],
                })
            });
            l.emit(
                "PA023",
                &field,
                format!(
                    "`auth` was read only by Cilium builds from before 1.14.0, while mutual authentication was being developed (cilium/cilium#21822); Cilium 1.14.0 renamed it to `authentication` with a `mode` (required, disabled), and later releases do not know `auth`, so this rule is enforced without mutual authentication; write `authentication: {{mode: {mode}}}`"
                ),
                fix,
            );
        }
    }
}
