//! Lints for Kubernetes NetworkPolicy.

use std::collections::BTreeMap;

use crate::model::NetworkPolicy;
use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

use super::duplicates::{Interner, RuleShape, first_covering, first_repeats};
use super::fix::{append_item, delete_item, insert_entry, rename_key, replace_value, single};
use super::selector::{is_empty, matches};
use super::{ClusterView, Lints};
use crate::diagnostic::{Fix, TextEdit};
use crate::validate::FieldPath;

/// Private ranges pod and service IPs usually come from.
pub const PRIVATE_RANGES: &[&str] = &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"];

/// The egress rule the DNS fixes add (kube-dns in kube-system, 53 UDP+TCP).
pub fn dns_egress_rule() -> Value {
    json!({
        "to": [{
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}
        }],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    })
}

struct Rule<'a> {
    dir: &'static str,
    peer_key: &'static str,
    index: usize,
    peers: Option<&'a Vec<NetworkPolicyPeer>>,
    ports: Option<&'a Vec<NetworkPolicyPort>>,
}

fn rules(np: &NetworkPolicy) -> Vec<Rule<'_>> {
    let Some(spec) = &np.spec else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, r) in spec.ingress.iter().flatten().enumerate() {
        out.push(Rule {
            dir: "ingress",
            peer_key: "from",
            index: i,
            peers: r.from.as_ref(),
            ports: r.ports.as_ref(),
        });
    }
    for (i, r) in spec.egress.iter().flatten().enumerate() {
        out.push(Rule {
            dir: "egress",
            peer_key: "to",
            index: i,
            peers: r.to.as_ref(),
            ports: r.ports.as_ref(),
        });
    }
    out
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Whether egress is isolated by this policy (policyTypes, or its default).
pub fn egress_isolated(np: &NetworkPolicy) -> bool {
    let Some(spec) = &np.spec else { return false };
    match &spec.policy_types {
        Some(t) => t.iter().any(|t| t == "Egress"),
        None => spec.egress.as_ref().is_some_and(|e| !e.is_empty()),
    }
}

fn port_allows_dns(p: &NetworkPolicyPort) -> bool {
    if p.protocol.as_deref().unwrap_or("TCP") != "UDP" {
        return false;
    }
    match &p.port {
        None => true,
        Some(IntOrString::Int(n)) => *n == 53 || (*n <= 53 && p.end_port.is_some_and(|e| e >= 53)),
        Some(IntOrString::String(s)) => s == "dns" || s == "domain",
    }
}

/// Whether a peer may include the cluster DNS server (kube-dns in
/// kube-system, a node-local cache, or an external resolver).
fn peer_may_be_dns(peer: &NetworkPolicyPeer, own_ns: &str) -> bool {
    if peer.ip_block.is_some() {
        return true;
    }
    match &peer.namespace_selector {
        None => own_ns == "kube-system",
        Some(sel) => match sel
            .match_labels
            .as_ref()
            .and_then(|m| m.get("kubernetes.io/metadata.name"))
        {
            Some(name) => name == "kube-system",
            None => true,
        },
    }
}

/// Whether some egress rule of the policy may allow DNS (port 53/UDP to a
/// peer that may be the cluster's resolver).
pub(crate) fn allows_dns(p: &NetworkPolicy) -> bool {
    let own_ns = p.metadata.namespace.as_deref().unwrap_or("default");
    p.spec
        .iter()
        .flat_map(|s| s.egress.iter().flatten())
        .any(|r| {
            let ports_ok = r.ports.as_ref().is_none_or(Vec::is_empty)
                || r.ports.iter().flatten().any(port_allows_dns);
            let peers_ok = r.to.as_ref().is_none_or(Vec::is_empty)
                || r.to
                    .iter()
                    .flatten()
                    .any(|peer| peer_may_be_dns(peer, own_ns));
            ports_ok && peers_ok
        })
}

/// Lints one NetworkPolicy.
pub(crate) fn lint(np: &NetworkPolicy, l: &mut Lints<'_>) {
    let Some(spec) = &np.spec else { return };
    let ns = np
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let name = np.metadata.name.clone().unwrap_or_default();
    let rules = rules(np);

    // PA001 egress without DNS (another NetworkPolicy in the same file may allow it).
    if egress_isolated(np) {
        let elsewhere = l
            .file
            .dns_allowed_elsewhere(&np.metadata.namespace, &np.metadata.name);
        if !allows_dns(np) && !elsewhere {
            let fix = l.src.and_then(|src| {
                let edit = if src.map.node("spec.egress").is_some() {
                    append_item(src, "spec.egress", &dns_egress_rule())
                } else {
                    insert_entry(src, "spec", "egress", &json!([dns_egress_rule()]))
                };
                single("Allow DNS to kube-dns (port 53 UDP and TCP)", edit)
            });
            l.emit(
                "PA001",
                if spec.egress.is_some() { "spec.egress" } else { "spec.policyTypes" },
                "egress is restricted but DNS (port 53/UDP) is not allowed, so name lookups will fail".into(),
                fix,
            );
        }
    }

    // PA017 rules in a direction that policyTypes leaves out are ignored.
    if let Some(types) = &spec.policy_types {
        let has_ingress = spec.ingress.as_ref().is_some_and(|r| !r.is_empty());
        let has_egress = spec.egress.as_ref().is_some_and(|r| !r.is_empty());
        for (dir, ty, present) in [
            ("ingress", "Ingress", has_ingress),
            ("egress", "Egress", has_egress),
        ] {
            if present && !types.iter().any(|t| t == ty) {
                let fix = l.src.and_then(|src| {
                    single(
                        format!("Add {ty} to policyTypes"),
                        append_item(src, "spec.policyTypes", &json!(ty)),
                    )
                });
                l.emit(
                    "PA017",
                    &format!("spec.{dir}"),
                    format!("policyTypes does not list {ty}, so these {dir} rules are ignored"),
                    fix,
                );
            }
        }
    }

    // PA007 egress rules only, no policyTypes: ingress is isolated too.
    if spec.policy_types.is_none()
        && spec.egress.as_ref().is_some_and(|e| !e.is_empty())
        && spec.ingress.is_none()
    {
        let fix = l.src.and_then(|src| {
            single(
                "Add policyTypes: [Egress]",
                insert_entry(src, "spec", "policyTypes", &json!(["Egress"])),
            )
        });
        l.emit(
            "PA007",
            "spec",
            "policyTypes is missing, so this egress policy also denies all ingress to the selected pods".into(),
            fix,
        );
    }

    let spec_path = FieldPath::Root("spec");
    for rule in &rules {
        let list = spec_path.field(rule.dir);
        let rule_path = list.index(rule.index);
        let peers = rule.peers.map(Vec::as_slice).unwrap_or(&[]);
        let ports = rule.ports.map(Vec::as_slice).unwrap_or(&[]);

        // PA006 empty rule allows all.
        if peers.is_empty() && ports.is_empty() && !name.contains("allow") {
            let fix = l.src.and_then(|src| {
                if !name.contains("deny") {
                    return None;
                }
                let list_path = format!("spec.{}", rule.dir);
                let node = src.map.node(&list_path)?;
                let ks = src.map.key_span(&list_path)?;
                (rules_in(np, rule.dir) == 1).then(|| Fix {
                    title: format!("Deny all {} instead (`{}: []`)", rule.dir, rule.dir),
                    edits: vec![TextEdit {
                        start: ks.end.offset,
                        end: node.span.end.offset,
                        replacement: ": []".into(),
                    }],
                })
            });
            l.emit(
                "PA006",
                &rule_path.to_string(),
                format!(
                    "this empty rule allows all {} {} everywhere (every namespace and outside the cluster); `{}: []` denies all, `{}: [{{podSelector: {{}}}}]` allows this namespace only",
                    rule.dir,
                    if rule.dir == "ingress" { "from" } else { "to" },
                    rule.dir,
                    rule.peer_key
                ),
                fix,
            );
        }

        // PA002 separate namespaceSelector / podSelector entries (OR).
        let ns_only = peers.iter().position(|p| {
            p.pod_selector.is_none()
                && p.ip_block.is_none()
                && p.namespace_selector.as_ref().is_some_and(|s| !is_empty(s))
        });
        let pod_only = peers.iter().position(|p| {
            p.namespace_selector.is_none()
                && p.ip_block.is_none()
                && p.pod_selector.as_ref().is_some_and(|s| !is_empty(s))
        });
        if let (Some(ni), Some(pi)) = (ns_only, pod_only) {
            let list_path = rule_path.field(rule.peer_key).to_string();
            let fix = l.src.and_then(|src| {
                let mut merged: Vec<NetworkPolicyPeer> = peers.to_vec();
                merged[ni].pod_selector = peers[pi].pod_selector.clone();
                merged.remove(pi);
                single(
                    "Combine into one entry (namespaceSelector AND podSelector)",
                    replace_value(src, &list_path, &to_json(&merged)),
                )
            });
            l.emit(
                "PA002",
                &format!("{list_path}[{pi}]"),
                format!(
                    "{list_path}[{ni}] (namespaceSelector) and {list_path}[{pi}] (podSelector) are separate entries, so they are ORed: all pods of those namespaces, or those pods in namespace {ns}; put both in one entry to require both"
                ),
                fix,
            );
        }

        let peers_path = rule_path.field(rule.peer_key);
        for (j, peer) in peers.iter().enumerate() {
            lint_peer(peer, peers_path.index(j), &ns, l);
        }

        // PA008 ports without protocol.
        for (j, p) in ports.iter().enumerate() {
            if p.protocol.is_none() && p.port.is_some() {
                let pp = format!("{rule_path}.ports[{j}]");
                let fix = l.src.and_then(|src| {
                    single(
                        "Write `protocol: TCP` explicitly",
                        insert_entry(src, &pp, "protocol", &json!("TCP")),
                    )
                });
                let dns = matches!(p.port, Some(IntOrString::Int(53)));
                l.emit(
                    "PA008",
                    &pp,
                    if dns {
                        "port 53 without protocol means TCP only; DNS mostly uses UDP, add a UDP entry".to_string()
                    } else {
                        "port without protocol means TCP only; write the protocol explicitly".to_string()
                    },
                    fix,
                );
            }
        }

        // PA012 named port not found on any pod the rule applies to.
        if let Some(cluster) = l.cluster {
            for (j, p) in ports.iter().enumerate() {
                let Some(IntOrString::String(port_name)) = &p.port else {
                    continue;
                };
                let candidates: Vec<&crate::model::Pod> = if rule.dir == "ingress" {
                    selected_pods(spec.pod_selector.as_ref(), &ns, cluster)
                } else {
                    cluster.pods.iter().collect()
                };
                if candidates.is_empty() {
                    continue;
                }
                let found = candidates.iter().any(|pod| {
                    pod.spec
                        .iter()
                        .flat_map(|s| s.containers.iter())
                        .flat_map(|c| c.ports.iter().flatten())
                        .any(|cp| {
                            cp.name.as_deref() == Some(port_name.as_str())
                                && cp.protocol.as_deref().unwrap_or("TCP")
                                    == p.protocol.as_deref().unwrap_or("TCP")
                        })
                });
                if !found {
                    l.emit(
                        "PA012",
                        &format!("{rule_path}.ports[{j}].port"),
                        format!(
                            "no {} pod declares a container port named {port_name:?}, so this port matches nothing",
                            if rule.dir == "ingress" { "selected" } else { "" }.trim()
                        )
                        .replace("no  pod", "no pod"),
                        None,
                    );
                }
            }
        }
    }

    // PA009 duplicate / PA010 shadowed rules: rules interned and indexed
    // (see `duplicates`), not compared pairwise.
    let mut interner = Interner::default();
    for dir in ["ingress", "egress"] {
        let list: Vec<&Rule<'_>> = rules.iter().filter(|r| r.dir == dir).collect();
        let shapes: Vec<RuleShape> = list.iter().map(|r| rule_shape(r, &mut interner)).collect();
        let exact: Vec<u32> = shapes.iter().map(|s| s.exact).collect();
        let repeats = first_repeats(&exact);
        let covering = first_covering(&shapes);
        for (i, (dup, cover)) in repeats.into_iter().zip(covering).enumerate() {
            let path = || format!("spec.{dir}[{i}]");
            let delete = || {
                l.src.and_then(|src| {
                    single(
                        "Remove this rule",
                        delete_item(src, &format!("spec.{dir}"), i),
                    )
                })
            };
            if let Some(k) = dup {
                let fix = delete();
                l.emit(
                    "PA009",
                    &path(),
                    format!("this rule repeats spec.{dir}[{k}]"),
                    fix,
                );
            } else if let Some(k) = cover {
                let fix = delete();
                l.emit(
                    "PA010",
                    &path(),
                    format!("spec.{dir}[{k}] already allows everything this rule allows"),
                    fix,
                );
            }
        }
    }

    // PA011 selects no pods.
    if let Some(cluster) = l.cluster
        && !cluster.pods.is_empty()
        && selected_pods(spec.pod_selector.as_ref(), &ns, cluster).is_empty()
    {
        l.emit(
            "PA011",
            "spec.podSelector",
            format!(
                "no pod in namespace {ns} matches spec.podSelector, so the policy has no effect"
            ),
            None,
        );
    }
}

fn rules_in(np: &NetworkPolicy, dir: &str) -> usize {
    np.spec.as_ref().map_or(0, |s| {
        if dir == "ingress" {
            s.ingress.as_ref().map_or(0, Vec::len)
        } else {
            s.egress.as_ref().map_or(0, Vec::len)
        }
    })
}

/// A rule as [`first_covering`] sees it. The exact id keeps `from: []`
/// and a missing `from` apart, as the API does; the peer and port sets
/// treat both as "every peer" / "every port", as covering does.
fn rule_shape(r: &Rule<'_>, interner: &mut Interner) -> RuleShape {
    let exact = interner.intern(to_json(&(r.peers, r.ports)));
    let peers = ids(r.peers.into_iter().flatten(), interner);
    let ports = ids(r.ports.into_iter().flatten(), interner);
    RuleShape {
        exact,
        peers,
        ports,
    }
}

/// Sorted, deduplicated ids of values (through their JSON, as the fixes
/// already serialize them: no second serializer in the page's bundle).
fn ids<'a, T: serde::Serialize + 'a>(
    items: impl Iterator<Item = &'a T>,
    interner: &mut Interner,
) -> Vec<u32> {
    let mut ids: Vec<u32> = items.map(|v| interner.intern(to_json(v))).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Pods in namespace `ns` matching `sel` (a missing selector selects all).
pub fn selected_pods<'c>(
    sel: Option<&LabelSelector>,
    ns: &str,
    cluster: &'c ClusterView<'_>,
) -> Vec<&'c crate::model::Pod> {
    cluster
        .pods
        .iter()
        .filter(|p| p.metadata.namespace.as_deref().unwrap_or("default") == ns)
        .filter(|p| {
            sel.is_none_or(|s| matches(s, p.metadata.labels.as_ref().unwrap_or(&BTreeMap::new())))
        })
        .collect()
}

fn lint_peer(peer: &NetworkPolicyPeer, path: FieldPath<'_>, ns: &str, l: &mut Lints<'_>) {
    // PA004 podSelector alone where other namespaces were likely meant.
    if let (Some(ps), None, None) = (&peer.pod_selector, &peer.namespace_selector, &peer.ip_block)
        && !is_empty(ps)
    {
        let names_namespace = ps
            .match_labels
            .iter()
            .flatten()
            .map(|(k, _)| k)
            .chain(ps.match_expressions.iter().flatten().map(|e| &e.key))
            .any(|k| k.contains("namespace") || k == "kubernetes.io/metadata.name");
        let elsewhere: Vec<String> = l.cluster.map_or_else(Vec::new, |c| {
            let here = c
                .pods
                .iter()
                .filter(|p| p.metadata.namespace.as_deref().unwrap_or("default") == ns)
                .any(|p| matches(ps, p.metadata.labels.as_ref().unwrap_or(&BTreeMap::new())));
            if here {
                return Vec::new();
            }
            let mut v: Vec<String> = c
                .pods
                .iter()
                .filter(|p| matches(ps, p.metadata.labels.as_ref().unwrap_or(&BTreeMap::new())))
                .filter_map(|p| p.metadata.namespace.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        });
        if names_namespace || !elsewhere.is_empty() {
            let ns_sel = if elsewhere.len() == 1 {
                json!({"matchLabels": {"kubernetes.io/metadata.name": elsewhere[0]}})
            } else {
                json!({})
            };
            let fix = l.src.and_then(|src| {
                let only_ns_labels = ps.match_expressions.is_none()
                    && ps
                        .match_labels
                        .iter()
                        .flatten()
                        .all(|(k, _)| k == "kubernetes.io/metadata.name");
                if names_namespace && only_ns_labels {
                    single(
                        "Select the namespace (namespaceSelector)",
                        rename_key(
                            src.map,
                            &path.field("podSelector").to_string(),
                            "namespaceSelector",
                        ),
                    )
                } else if !names_namespace {
                    single(
                        "Add a namespaceSelector to the same entry",
                        insert_entry(src, &path.to_string(), "namespaceSelector", &ns_sel),
                    )
                } else {
                    None
                }
            });
            let detail = if elsewhere.is_empty() {
                "its labels name a namespace, but pods do not carry namespace labels".to_string()
            } else {
                format!(
                    "it matches no pod here, but pods in {}",
                    elsewhere.join(", ")
                )
            };
            l.emit(
                "PA004",
                &path.field("podSelector").to_string(),
                format!("podSelector without namespaceSelector only selects pods in namespace {ns}; {detail}"),
                fix,
            );
        }
    }

    // PA003 AND where OR was likely meant (needs the cluster).
    if let (Some(ps), Some(nsel), Some(c)) =
        (&peer.pod_selector, &peer.namespace_selector, l.cluster)
        && !is_empty(ps)
        && !is_empty(nsel)
    {
        let empty = BTreeMap::new();
        let ns_match = |n: &str| matches(nsel, &c.namespace_labels(n));
        let both = c.pods.iter().any(|p| {
            matches(ps, p.metadata.labels.as_ref().unwrap_or(&empty))
                && ns_match(p.metadata.namespace.as_deref().unwrap_or("default"))
        });
        let pods_alone = c
            .pods
            .iter()
            .any(|p| matches(ps, p.metadata.labels.as_ref().unwrap_or(&empty)));
        let ns_alone = c
            .namespaces
            .iter()
            .any(|n| ns_match(n.metadata.name.as_deref().unwrap_or("")));
        if !both && pods_alone && ns_alone {
            l.emit(
                "PA003",
                &path.to_string(),
                "namespaceSelector and podSelector in one entry are ANDed, and no pod in the cluster matches both; if either should be enough, make them two entries".into(),
                None,
            );
        }
    }

    if let Some(ns_sel) = &peer.namespace_selector {
        lint_namespace_name_label(ns_sel, path.field("namespaceSelector"), l);
    }

    if let Some(ipb) = &peer.ip_block {
        let ip_path = path.field("ipBlock").to_string();
        lint_cidrs(
            &ipb.cidr,
            ipb.except.as_deref().unwrap_or(&[]),
            &ip_path,
            "cidr",
            "except",
            l,
        );
    }
}

/// PA016: `namespaceSelector: {matchLabels: {name: x}}`.
pub(crate) fn lint_namespace_name_label(
    sel: &LabelSelector,
    path: FieldPath<'_>,
    l: &mut Lints<'_>,
) {
    for (k, v) in sel.match_labels.iter().flatten() {
        if k != "name" {
            continue;
        }
        let labelled = l.cluster.is_some_and(|c| {
            c.namespaces.iter().any(|n| {
                n.metadata
                    .labels
                    .as_ref()
                    .is_some_and(|ls| ls.contains_key("name"))
            })
        });
        if labelled {
            continue;
        }
        let field = path.field("matchLabels").field("name").to_string();
        let fix = l.src.and_then(|src| {
            single(
                "Use kubernetes.io/metadata.name",
                rename_key(src.map, &field, "kubernetes.io/metadata.name"),
            )
        });
        l.emit(
            "PA016",
            &field,
            format!("namespaces have no `name` label by default; select namespace {v:?} with `kubernetes.io/metadata.name: {v}`"),
            fix,
        );
    }
}

/// PA005 and PA015 for a CIDR and its exceptions.
pub(crate) fn lint_cidrs(
    cidr: &str,
    except: &[String],
    path: &str,
    cidr_key: &str,
    except_key: &str,
    l: &mut Lints<'_>,
) {
    let Ok(net) = cidr.parse::<IpNet>() else {
        return;
    };
    let canon = |s: &str, field: &str, l: &mut Lints<'_>| {
        if let Ok(n) = s.parse::<IpNet>()
            && n.trunc() != n
        {
            let fixed = n.trunc().to_string();
            let fix = l.src.and_then(|src| {
                single(
                    format!("Write {fixed}"),
                    replace_value(src, field, &json!(fixed)),
                )
            });
            l.emit(
                "PA015",
                field,
                format!("{s} has host bits set; it means {fixed}"),
                fix,
            );
        }
    };
    canon(cidr, &format!("{path}.{cidr_key}"), l);
    for (i, e) in except.iter().enumerate() {
        canon(e, &format!("{path}.{except_key}[{i}]"), l);
    }
    let net = net.trunc();
    let excepts: Vec<IpNet> = except
        .iter()
        .filter_map(|e| e.parse::<IpNet>().ok())
        .map(|n| n.trunc())
        .collect();
    let privates: Vec<IpNet> = PRIVATE_RANGES
        .iter()
        .filter_map(|r| r.parse().ok())
        .collect();
    let mut uncovered = Vec::new();
    let mut inside = None;
    for p in &privates {
        if net.contains(p) && net != *p {
            if !excepts.iter().any(|e| e.contains(p)) {
                uncovered.push(*p);
            }
        } else if p.contains(&net) && excepts.is_empty() {
            inside = Some(*p);
        }
    }
    let pod_hit = l.cluster.and_then(|c| {
        c.pods.iter().find_map(|p| {
            let ip: std::net::IpAddr = p.status.as_ref()?.pod_ip.as_ref()?.parse().ok()?;
            (net.contains(&ip) && !excepts.iter().any(|e| e.contains(&ip))).then(|| {
                format!(
                    " (it contains pod {}/{} at {ip})",
                    p.metadata.namespace.as_deref().unwrap_or("default"),
                    p.metadata.name.as_deref().unwrap_or("")
                )
            })
        })
    });
    if !uncovered.is_empty() {
        let list: Vec<String> = uncovered.iter().map(ToString::to_string).collect();
        let fix = l.src.and_then(|src| {
            let ex_path = format!("{path}.{except_key}");
            let edit = if src.map.node(&ex_path).is_some() {
                // Several items appended at one point make one edit.
                let parts: Vec<TextEdit> = list
                    .iter()
                    .filter_map(|c| append_item(src, &ex_path, &json!(c)))
                    .collect();
                parts.first().map(|first| TextEdit {
                    start: first.start,
                    end: first.end,
                    replacement: parts.iter().map(|e| e.replacement.as_str()).collect(),
                })
            } else {
                insert_entry(src, path, except_key, &json!(list))
            };
            single(format!("Except {}", list.join(", ")), edit)
        });
        l.emit(
            "PA005",
            &format!("{path}.{cidr_key}"),
            format!(
                "{cidr} also covers {}, where pod and service IPs usually live{}; except them or select pods with selectors",
                list.join(", "),
                pod_hit.unwrap_or_default()
            ),
            fix,
        );
    } else if let Some(p) = inside {
        l.emit(
            "PA005",
            &format!("{path}.{cidr_key}"),
            format!(
                "{cidr} lies in the private range {p}, where pod and service IPs usually live{}; whether ipBlock matches pod traffic depends on the network plugin",
                pod_hit.unwrap_or_default()
            ),
            None,
        );
    } else if let Some(hit) = pod_hit {
        l.emit(
            "PA005",
            &format!("{path}.{cidr_key}"),
            format!("{cidr} covers pod IPs{hit}"),
            None,
        );
    }
}
