//! Lints for CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Lints;
use super::duplicates::{Interner, first_repeats};
use super::fix::{append_item, delete_item, insert_entry, single};
use super::network_policy::lint_cidrs;
use super::selector::{matches, strip_source};
use crate::model::Policy;
use crate::model::cilium::{CiliumPolicy, CiliumRule, EgressRule};

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
            .map(|(k, v)| (strip_source(k), v.as_str()))
            .collect();
        let ns = labels
            .iter()
            .find(|(k, _)| *k == "io.kubernetes.pod.namespace")
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

fn has_dns_proxy_rule(r: &CiliumRule) -> bool {
    r.egress
        .iter()
        .flatten()
        .flat_map(|e| e.to_ports.iter().flatten())
        .any(|pr| pr.rules.as_ref().is_some_and(|x| x.dns.is_some()))
}

/// Whether a Cilium rule of the policy has a DNS proxy rule (PA014 looks
/// for one anywhere in the file).
pub(crate) fn has_dns_proxy(p: &Policy) -> bool {
    cilium_rules(p).into_iter().any(has_dns_proxy_rule)
}

fn cilium_rules(p: &Policy) -> Vec<&CiliumRule> {
    match p {
        Policy::CiliumNetworkPolicy(c) | Policy::CiliumClusterwideNetworkPolicy(c) => {
            c.rules().into_iter().map(|(_, r)| r).collect()
        }
        Policy::NetworkPolicy(_) => Vec::new(),
    }
}

/// Lints one Cilium policy.
pub(crate) fn lint(policy: &CiliumPolicy, namespaced: bool, l: &mut Lints<'_>) {
    let ns = policy
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let other_dns_proxy = l.file.dns_proxy;
    for (path, rule) in policy.rules() {
        let egress = rule.egress.as_deref().unwrap_or(&[]);
        let egress_deny = rule.egress_deny.as_deref().unwrap_or(&[]);
        let default_deny = rule.enable_default_deny.as_ref().and_then(|d| d.egress) != Some(false);

        // PA001 egress without DNS.
        if default_deny
            && (!egress.is_empty() || !egress_deny.is_empty())
            && !egress
                .iter()
                .any(|r| egress_allows_dns(r) && peers_may_be_dns(r, namespaced, &ns))
        {
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
                &format!("{path}.{}", if egress.is_empty() { "egressDeny" } else { "egress" }),
                "egress is restricted (default deny) but DNS (port 53) is not allowed, so name lookups will fail".into(),
                fix,
            );
        }

        // PA018 an empty endpoint selector in a namespaced policy means "this namespace".
        if namespaced {
            let all_ns = json!({"matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "Exists"}]});
            let mut empties = Vec::new();
            for (dir, key, sels) in rule
                .ingress
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, r)| {
                    (
                        format!("ingress[{i}]"),
                        "fromEndpoints",
                        r.from_endpoints.as_ref(),
                    )
                })
                .chain(rule.egress.iter().flatten().enumerate().map(|(i, r)| {
                    (
                        format!("egress[{i}]"),
                        "toEndpoints",
                        r.to_endpoints.as_ref(),
                    )
                }))
            {
                for (j, sel) in sels.into_iter().flatten().enumerate() {
                    if super::selector::is_empty(sel) {
                        empties.push(format!("{path}.{dir}.{key}[{j}]"));
                    }
                }
            }
            for field in empties {
                let fix = l.src.and_then(|src| {
                    single(
                        "Select endpoints in all namespaces",
                        super::fix::replace_value(src, &field, &all_ns),
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

        // PA014 toFQDNs without a DNS rule.
        for (i, e) in egress.iter().enumerate() {
            if e.to_fqdns.as_ref().is_some_and(|q| !q.is_empty())
                && !has_dns_proxy_rule(rule)
                && !other_dns_proxy
            {
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

        // PA015 CIDRs.
        for (dir, list) in [
            ("ingress", rule.ingress.as_deref()),
            ("ingressDeny", rule.ingress_deny.as_deref()),
        ] {
            for (i, r) in list.unwrap_or(&[]).iter().enumerate() {
                for (j, c) in r.from_cidr.iter().flatten().enumerate() {
                    canonical(c, &format!("{path}.{dir}[{i}].fromCIDR[{j}]"), l);
                }
                for (j, c) in r.from_cidr_set.iter().flatten().enumerate() {
                    if let Some(cidr) = &c.cidr {
                        lint_cidr_set(
                            cidr,
                            c.except.as_deref().unwrap_or(&[]),
                            &format!("{path}.{dir}[{i}].fromCIDRSet[{j}]"),
                            l,
                        );
                    }
                }
            }
        }
        for (dir, list) in [
            ("egress", rule.egress.as_deref()),
            ("egressDeny", rule.egress_deny.as_deref()),
        ] {
            for (i, r) in list.unwrap_or(&[]).iter().enumerate() {
                for (j, c) in r.to_cidr.iter().flatten().enumerate() {
                    canonical(c, &format!("{path}.{dir}[{i}].toCIDR[{j}]"), l);
                }
                for (j, c) in r.to_cidr_set.iter().flatten().enumerate() {
                    if let Some(cidr) = &c.cidr {
                        lint_cidr_set(
                            cidr,
                            c.except.as_deref().unwrap_or(&[]),
                            &format!("{path}.{dir}[{i}].toCIDRSet[{j}]"),
                            l,
                        );
                    }
                }
            }
        }

        // PA009 duplicate rules.
        for (dir, values) in [
            (
                "ingress",
                rule.ingress
                    .iter()
                    .flatten()
                    .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                    .collect::<Vec<_>>(),
            ),
            (
                "egress",
                rule.egress
                    .iter()
                    .flatten()
                    .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                    .collect(),
            ),
            (
                "ingressDeny",
                rule.ingress_deny
                    .iter()
                    .flatten()
                    .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                    .collect(),
            ),
            (
                "egressDeny",
                rule.egress_deny
                    .iter()
                    .flatten()
                    .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                    .collect(),
            ),
        ] {
            let mut interner = Interner::default();
            let ids: Vec<u32> = values.into_iter().map(|v| interner.intern(v)).collect();
            for (i, repeat) in first_repeats(&ids).into_iter().enumerate() {
                if let Some(k) = repeat {
                    let list_path = format!("{path}.{dir}");
                    let fix = l.src.and_then(|src| {
                        single("Remove this rule", delete_item(src, &list_path, i))
                    });
                    l.emit(
                        "PA009",
                        &format!("{list_path}[{i}]"),
                        format!("this rule repeats {list_path}[{k}]"),
                        fix,
                    );
                }
            }
        }

        // PA011 selects no pods.
        if let (Some(c), Some(sel)) = (l.cluster, &rule.endpoint_selector)
            && !c.pods.is_empty()
        {
            let empty = BTreeMap::new();
            let any = c.pods.iter().any(|p| {
                let pod_ns = p.metadata.namespace.as_deref().unwrap_or("default");
                if namespaced && pod_ns != ns {
                    return false;
                }
                let mut labels = p.metadata.labels.clone().unwrap_or_else(|| empty.clone());
                labels.insert("io.kubernetes.pod.namespace".into(), pod_ns.to_string());
                matches(sel, &labels)
            });
            let reserved = sel
                .match_labels
                .iter()
                .flatten()
                .any(|(k, _)| k.starts_with("reserved:"))
                || sel
                    .match_expressions
                    .iter()
                    .flatten()
                    .any(|e| strip_source(&e.key) != e.key && e.key.starts_with("reserved:"));
            if !any && !reserved {
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
}

fn canonical(cidr: &str, field: &str, l: &mut Lints<'_>) {
    if let Ok(n) = cidr.parse::<ipnet::IpNet>()
        && n.trunc() != n
    {
        let fixed = n.trunc().to_string();
        let fix = l.src.and_then(|src| {
            single(
                format!("Write {fixed}"),
                super::fix::replace_value(src, field, &json!(fixed)),
            )
        });
        l.emit(
            "PA015",
            field,
            format!("{cidr} has host bits set; it means {fixed}"),
            fix,
        );
    }
}

fn lint_cidr_set(cidr: &str, except: &[String], path: &str, l: &mut Lints<'_>) {
    // Only the canonical-form lint applies: Cilium's CIDR rules never match
    // endpoints inside the cluster (they have identities), so private
    // ranges are not ambiguous as they are for NetworkPolicy ipBlocks.
    let before = l.out.len();
    lint_cidrs(cidr, except, path, "cidr", "except", l);
    let mut i = before;
    while i < l.out.len() {
        if l.out[i].code == "PA005" {
            l.out.remove(i);
        } else {
            i += 1;
        }
    }
}
