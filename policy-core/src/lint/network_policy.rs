//! Lints for Kubernetes NetworkPolicy, one function per lint. They are
//! registered in [`super::LINTS`].

use std::collections::BTreeMap;

use crate::model::IntOrString;
use crate::model::LabelSelector;
use crate::model::{NetworkPolicyPeer, NetworkPolicyPort};
use serde_json::{Value, json};

use super::cidr::{ipblock_covers_cluster, non_canonical_cidr};
use super::duplicates::{Interner, RuleShape, first_covering, first_repeats};
use super::fix::{append_item, delete_item, insert_entry, rename_key, replace_value, single};
use super::{ClusterView, Lints};
use crate::diagnostic::{Fix, TextEdit};
use crate::engine::selector::{is_empty, matches};
use crate::model::{NAMESPACE_NAME_LABEL, NetworkPolicy};

/// The egress rule the DNS fixes add (kube-dns in kube-system, 53 UDP+TCP).
pub fn dns_egress_rule() -> Value {
    json!({
        "to": [{
            "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}
        }],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    })
}

/// One ingress or egress rule, direction-neutral.
struct Rule<'a> {
    dir: &'static str,
    peer_key: &'static str,
    index: usize,
    peers: Option<&'a Vec<NetworkPolicyPeer>>,
    ports: Option<&'a Vec<NetworkPolicyPort>>,
}

impl<'a> Rule<'a> {
    /// `spec.ingress[0]`.
    fn path(&self) -> String {
        format!("spec.{}[{}]", self.dir, self.index)
    }

    fn peers(&self) -> &'a [NetworkPolicyPeer] {
        self.peers.map(Vec::as_slice).unwrap_or(&[])
    }

    fn ports(&self) -> &'a [NetworkPolicyPort] {
        self.ports.map(Vec::as_slice).unwrap_or(&[])
    }
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

/// A peer of a rule. Its field path is formatted only when a lint reports
/// it: `check` runs on every keystroke in the page.
struct PeerAt<'a> {
    dir: &'static str,
    rule: usize,
    peer_key: &'static str,
    index: usize,
    peer: &'a NetworkPolicyPeer,
}

impl PeerAt<'_> {
    /// `spec.ingress[0].from[1]`.
    fn path(&self) -> String {
        format!(
            "spec.{}[{}].{}[{}]",
            self.dir, self.rule, self.peer_key, self.index
        )
    }
}

/// Every peer of every rule.
fn peers(np: &NetworkPolicy) -> Vec<PeerAt<'_>> {
    let mut out = Vec::new();
    for rule in rules(np) {
        for (j, peer) in rule.peers().iter().enumerate() {
            out.push(PeerAt {
                dir: rule.dir,
                rule: rule.index,
                peer_key: rule.peer_key,
                index: j,
                peer,
            });
        }
    }
    out
}

fn namespace(np: &NetworkPolicy) -> String {
    np.metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into())
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
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
            .and_then(|m| m.get(NAMESPACE_NAME_LABEL))
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

/// PA001: egress is isolated but no rule (here or in another NetworkPolicy
/// of the same namespace) allows DNS.
pub(super) fn egress_without_dns(np: &NetworkPolicy, l: &mut Lints<'_>) {
    let Some(spec) = &np.spec else { return };
    if !np.isolated_directions().egress {
        return;
    }
    // Another NetworkPolicy checked with this one (same file or workspace)
    // may allow it: the file context lists them once, not per policy.
    let elsewhere = l
        .file
        .dns_allowed_elsewhere(&np.metadata.namespace, &np.metadata.name);
    if allows_dns(np) || elsewhere {
        return;
    }
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
        if spec.egress.is_some() {
            "spec.egress"
        } else {
            "spec.policyTypes"
        },
        "egress is restricted but DNS (port 53/UDP) is not allowed, so name lookups will fail"
            .into(),
        fix,
    );
}

/// PA017: rules in a direction the policy does not isolate are ignored.
pub(super) fn rules_ignored_by_policy_types(np: &NetworkPolicy, l: &mut Lints<'_>) {
    let Some(spec) = &np.spec else { return };
    let isolated = np.isolated_directions();
    let has_ingress = spec.ingress.as_ref().is_some_and(|r| !r.is_empty());
    let has_egress = spec.egress.as_ref().is_some_and(|r| !r.is_empty());
    for (dir, ty, present, isolates) in [
        ("ingress", "Ingress", has_ingress, isolated.ingress),
        ("egress", "Egress", has_egress, isolated.egress),
    ] {
        if present && !isolates {
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

/// PA007: egress rules only and no policyTypes, so ingress is isolated too.
pub(super) fn policy_types_missing(np: &NetworkPolicy, l: &mut Lints<'_>) {
    let Some(spec) = &np.spec else { return };
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
}

/// PA019: an empty rule list (`egress: []`) in a direction the policy does
/// not isolate. It reads like "deny all", but without policyTypes the
/// default adds Egress only for a non-empty `egress` (and a policyTypes that
/// leaves the direction out ignores the list), so nothing is restricted.
pub(super) fn empty_list_does_not_isolate(np: &NetworkPolicy, l: &mut Lints<'_>) {
    let Some(spec) = &np.spec else { return };
    let isolated = np.isolated_directions();
    let explicit = spec.policy_types.as_ref().filter(|t| !t.is_empty());
    let empty_ingress = spec.ingress.as_ref().is_some_and(Vec::is_empty);
    let empty_egress = spec.egress.as_ref().is_some_and(Vec::is_empty);
    for (dir, ty, empty, isolates) in [
        ("ingress", "Ingress", empty_ingress, isolated.ingress),
        ("egress", "Egress", empty_egress, isolated.egress),
    ] {
        if isolates || !empty {
            continue;
        }
        let fix = l.src.and_then(|src| {
            let edit = match explicit {
                Some(_) => append_item(src, "spec.policyTypes", &json!(ty)),
                None => {
                    let mut types = Vec::new();
                    if isolated.ingress || ty == "Ingress" {
                        types.push("Ingress");
                    }
                    if isolated.egress || ty == "Egress" {
                        types.push("Egress");
                    }
                    if spec.policy_types.is_some() {
                        replace_value(src, "spec.policyTypes", &json!(types))
                    } else {
                        insert_entry(src, "spec", "policyTypes", &json!(types))
                    }
                }
            };
            single(format!("Deny all {dir} (list {ty} in policyTypes)"), edit)
        });
        let why = match explicit {
            Some(_) => format!("policyTypes does not list {ty}"),
            None => format!(
                "without policyTypes, {ty} is isolated only when `{dir}` has at least one rule"
            ),
        };
        l.emit(
            "PA019",
            &format!("spec.{dir}"),
            format!(
                "`{dir}: []` does not restrict {dir}: {why}, so the selected pods' {dir} is not restricted at all; list {ty} in policyTypes to deny all {dir}"
            ),
            fix,
        );
    }
}

/// PA006: an empty rule allows all traffic in its direction.
pub(super) fn empty_rule_allows_all(np: &NetworkPolicy, l: &mut Lints<'_>) {
    let name = np.metadata.name.clone().unwrap_or_default();
    for rule in rules(np) {
        if !(rule.peers().is_empty() && rule.ports().is_empty() && !name.contains("allow")) {
            continue;
        }
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
            &rule.path(),
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
}

/// PA002: a namespaceSelector and a podSelector in separate entries are ORed.
pub(super) fn peers_or_not_and(np: &NetworkPolicy, l: &mut Lints<'_>) {
    let ns = namespace(np);
    for rule in rules(np) {
        let peers = rule.peers();
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
        let (Some(ni), Some(pi)) = (ns_only, pod_only) else {
            continue;
        };
        let list_path = format!("{}.{}", rule.path(), rule.peer_key);
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
}

/// PA004: a podSelector alone where other namespaces were likely meant.
pub(super) fn pod_selector_own_namespace(np: &NetworkPolicy, l: &mut Lints<'_>) {
    let ns = namespace(np);
    for at in peers(np) {
        let peer = at.peer;
        let (Some(ps), None, None) = (&peer.pod_selector, &peer.namespace_selector, &peer.ip_block)
        else {
            continue;
        };
        if is_empty(ps) {
            continue;
        }
        let names_namespace = ps
            .match_labels
            .iter()
            .flatten()
            .map(|(k, _)| k)
            .chain(ps.match_expressions.iter().flatten().map(|e| &e.key))
            .any(|k| k.contains("namespace") || k == NAMESPACE_NAME_LABEL);
        let elsewhere: Vec<String> = l.cluster.map_or_else(Vec::new, |c| {
            let no_labels = BTreeMap::new();
            let labels = |p: &'_ crate::model::Pod| -> BTreeMap<String, String> {
                p.metadata
                    .labels
                    .clone()
                    .unwrap_or_else(|| no_labels.clone())
            };
            let here = c
                .pods
                .iter()
                .filter(|p| p.metadata.namespace.as_deref().unwrap_or("default") == ns)
                .any(|p| matches(ps, &labels(p)));
            if here {
                return Vec::new();
            }
            let mut v: Vec<String> = c
                .pods
                .iter()
                .filter(|p| matches(ps, &labels(p)))
                .filter_map(|p| p.metadata.namespace.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        });
        if !names_namespace && elsewhere.is_empty() {
            continue;
        }
        let ns_sel = if elsewhere.len() == 1 {
            json!({"matchLabels": {NAMESPACE_NAME_LABEL: elsewhere[0]}})
        } else {
            json!({})
        };
        let path = at.path();
        let field = format!("{path}.podSelector");
        let fix = l.src.and_then(|src| {
            let only_ns_labels = ps.match_expressions.is_none()
                && ps
                    .match_labels
                    .iter()
                    .flatten()
                    .all(|(k, _)| k == NAMESPACE_NAME_LABEL);
            if names_namespace && only_ns_labels {
                single(
                    "Select the namespace (namespaceSelector)",
                    rename_key(src.map, &field, "namespaceSelector"),
                )
            } else if !names_namespace {
                single(
                    "Add a namespaceSelector to the same entry",
                    insert_entry(src, &path, "namespaceSelector", &ns_sel),
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
            &field,
            format!("podSelector without namespaceSelector only selects pods in namespace {ns}; {detail}"),
            fix,
        );
    }
}

/// PA003: namespaceSelector AND podSelector where OR was likely meant (needs
/// the cluster).
pub(super) fn peers_and_not_or(np: &NetworkPolicy, l: &mut Lints<'_>) {
    let Some(c) = l.cluster else { return };
    let empty = BTreeMap::new();
    for at in peers(np) {
        let peer = at.peer;
        let (Some(ps), Some(nsel)) = (&peer.pod_selector, &peer.namespace_selector) else {
            continue;
        };
        if is_empty(ps) || is_empty(nsel) {
            continue;
        }
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
                &at.path(),
                "namespaceSelector and podSelector in one entry are ANDed, and no pod in the cluster matches both; if either should be enough, make them two entries".into(),
                None,
            );
        }
    }
}

/// PA016: `namespaceSelector: {matchLabels: {name: x}}`.
pub(super) fn namespace_name_label(np: &NetworkPolicy, l: &mut Lints<'_>) {
    for at in peers(np) {
        let Some(sel) = &at.peer.namespace_selector else {
            continue;
        };
        if sel
            .match_labels
            .as_ref()
            .is_some_and(|m| m.contains_key("name"))
        {
            namespace_name_label_in(sel, &format!("{}.namespaceSelector", at.path()), l);
        }
    }
}

fn namespace_name_label_in(sel: &LabelSelector, path: &str, l: &mut Lints<'_>) {
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
        let field = format!("{path}.matchLabels.name");
        let fix = l.src.and_then(|src| {
            single(
                "Use kubernetes.io/metadata.name",
                rename_key(src.map, &field, NAMESPACE_NAME_LABEL),
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

/// The ipBlocks of the policy: (field path, cidr, except).
fn ip_blocks(np: &NetworkPolicy) -> Vec<(String, &str, &[String])> {
    peers(np)
        .into_iter()
        .filter_map(|at| {
            let ipb = at.peer.ip_block.as_ref()?;
            Some((
                format!("{}.ipBlock", at.path()),
                ipb.cidr.as_str(),
                ipb.except.as_deref().unwrap_or(&[]),
            ))
        })
        .collect()
}

/// PA005: an ipBlock that covers the private ranges pods live in.
pub(super) fn ipblock_private_ranges(np: &NetworkPolicy, l: &mut Lints<'_>) {
    for (path, cidr, except) in ip_blocks(np) {
        ipblock_covers_cluster(cidr, except, &path, "cidr", "except", l);
    }
}

/// PA015: ipBlock CIDRs with host bits set.
pub(super) fn ipblock_canonical(np: &NetworkPolicy, l: &mut Lints<'_>) {
    for (path, cidr, except) in ip_blocks(np) {
        non_canonical_cidr(cidr, &format!("{path}.cidr"), l);
        for (i, e) in except.iter().enumerate() {
            non_canonical_cidr(e, &format!("{path}.except[{i}]"), l);
        }
    }
}

/// PA008: a port without protocol means TCP only.
pub(super) fn port_without_protocol(np: &NetworkPolicy, l: &mut Lints<'_>) {
    for rule in rules(np) {
        for (j, p) in rule.ports().iter().enumerate() {
            if p.protocol.is_some() || p.port.is_none() {
                continue;
            }
            let pp = format!("{}.ports[{j}]", rule.path());
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
                    "port 53 without protocol means TCP only; DNS mostly uses UDP, add a UDP entry"
                        .to_string()
                } else {
                    "port without protocol means TCP only; write the protocol explicitly"
                        .to_string()
                },
                fix,
            );
        }
    }
}

/// PA012: a named port no pod the rule applies to declares (needs the cluster).
pub(super) fn named_port_not_found(np: &NetworkPolicy, l: &mut Lints<'_>) {
    let (Some(cluster), Some(spec)) = (l.cluster, &np.spec) else {
        return;
    };
    let ns = namespace(np);
    for rule in rules(np) {
        for (j, p) in rule.ports().iter().enumerate() {
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
                let which = if rule.dir == "ingress" {
                    "no selected pod"
                } else {
                    "no pod"
                };
                l.emit(
                    "PA012",
                    &format!("{}.ports[{j}].port", rule.path()),
                    format!(
                        "{which} declares a container port named {port_name:?}, so this port matches nothing"
                    ),
                    None,
                );
            }
        }
    }
}

/// PA021: a named port on an egress rule whose peers are all ipBlocks. A
/// named port resolves on the destination pod; an address outside the
/// cluster has no pod, so the port never matches there.
pub(super) fn named_port_on_ip_blocks(np: &NetworkPolicy, l: &mut Lints<'_>) {
    for rule in rules(np) {
        let peers = rule.peers();
        if rule.dir != "egress" || peers.is_empty() || !peers.iter().all(|p| p.ip_block.is_some()) {
            continue;
        }
        for (j, p) in rule.ports().iter().enumerate() {
            let Some(IntOrString::String(port_name)) = &p.port else {
                continue;
            };
            let field = format!("{}.ports[{j}].port", rule.path());
            let number = well_known_port(port_name);
            let fix = l.src.and_then(|src| {
                let n = number?;
                single(
                    format!("Use port number {n}"),
                    replace_value(src, &field, &json!(n)),
                )
            });
            l.emit(
                "PA021",
                &field,
                format!(
                    "the named port {port_name:?} resolves on the destination pod, but this rule's peers are only ipBlocks: an address outside the cluster has no pod, so the port never matches there{}",
                    number.map_or_else(
                        || "; write the port number".to_string(),
                        |n| format!("; write {n}")
                    )
                ),
                fix,
            );
        }
    }
}

/// The IANA number of a few service names policies commonly use.
fn well_known_port(name: &str) -> Option<u16> {
    Some(match name {
        "http" => 80,
        "https" => 443,
        "dns" | "domain" => 53,
        "ssh" => 22,
        "smtp" => 25,
        "ldap" => 389,
        "ldaps" => 636,
        "ntp" => 123,
        "postgresql" | "postgres" => 5432,
        "mysql" => 3306,
        "redis" => 6379,
        _ => return None,
    })
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

fn delete_rule_fix(l: &Lints<'_>, dir: &str, i: usize) -> Option<Fix> {
    l.src.and_then(|src| {
        single(
            "Remove this rule",
            delete_item(src, &format!("spec.{dir}"), i),
        )
    })
}

/// PA009: the same rule twice in one direction.
pub(super) fn duplicate_rule(np: &NetworkPolicy, l: &mut Lints<'_>) {
    for dir in ["ingress", "egress"] {
        let shapes = rule_shapes(np, dir);
        let exact: Vec<u32> = shapes.iter().map(|s| s.exact).collect();
        for (i, repeat) in first_repeats(&exact).into_iter().enumerate() {
            if let Some(k) = repeat {
                let fix = delete_rule_fix(l, dir, i);
                l.emit(
                    "PA009",
                    &format!("spec.{dir}[{i}]"),
                    format!("this rule repeats spec.{dir}[{k}]"),
                    fix,
                );
            }
        }
    }
}

/// PA010: a rule another rule of the same direction already covers.
pub(super) fn shadowed_rule(np: &NetworkPolicy, l: &mut Lints<'_>) {
    for dir in ["ingress", "egress"] {
        let shapes = rule_shapes(np, dir);
        let exact: Vec<u32> = shapes.iter().map(|s| s.exact).collect();
        let repeats = first_repeats(&exact);
        for (i, (repeat, cover)) in repeats.into_iter().zip(first_covering(&shapes)).enumerate() {
            if repeat.is_some() {
                continue; // PA009 says it.
            }
            if let Some(k) = cover {
                let fix = delete_rule_fix(l, dir, i);
                l.emit(
                    "PA010",
                    &format!("spec.{dir}[{i}]"),
                    format!("spec.{dir}[{k}] already allows everything this rule allows"),
                    fix,
                );
            }
        }
    }
}

/// The interned shapes of the rules of one direction, for PA009 and PA010:
/// rules are interned and indexed (see `duplicates`), never compared
/// pairwise, so a policy of 1,000 rules is linted in n log n.
fn rule_shapes(np: &NetworkPolicy, dir: &str) -> Vec<RuleShape> {
    let mut interner = Interner::default();
    rules(np)
        .iter()
        .filter(|r| r.dir == dir)
        .map(|r| RuleShape {
            exact: interner.intern(to_json(&(r.peers, r.ports))),
            peers: ids(r.peers.into_iter().flatten(), &mut interner),
            ports: ids(r.ports.into_iter().flatten(), &mut interner),
        })
        .collect()
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

/// PA011: the podSelector selects no pod of the cluster.
pub(super) fn selects_no_pods(np: &NetworkPolicy, l: &mut Lints<'_>) {
    let (Some(cluster), Some(spec)) = (l.cluster, &np.spec) else {
        return;
    };
    let ns = namespace(np);
    if !cluster.pods.is_empty()
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

/// Pods in namespace `ns` matching `sel` (a missing selector selects all).
pub(crate) fn selected_pods<'c>(
    sel: Option<&LabelSelector>,
    ns: &str,
    cluster: &'c ClusterView<'_>,
) -> Vec<&'c crate::model::Pod> {
    let no_labels = BTreeMap::new();
    cluster
        .pods
        .iter()
        .filter(|p| p.metadata.namespace.as_deref().unwrap_or("default") == ns)
        .filter(|p| {
            sel.is_none_or(|s| matches(s, p.metadata.labels.as_ref().unwrap_or(&no_labels)))
        })
        .collect()
}
