//! Explaining CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.

use crate::model::LabelSelector;

use super::RuleExplanation;
use super::phrase::{PeerPhrase, capitalise, join, join_long, peer_list, rule_list, selector};
use crate::model::cilium::{
    CidrRule, CiliumPolicy, CiliumRule, EgressRule, IcmpRule, IngressRule, PortRule,
};

const NS_KEY: &str = "io.kubernetes.pod.namespace";

fn is_ns_key(k: &str) -> bool {
    super::phrase::clean_key(k) == NS_KEY
}

/// The namespace(s) a Cilium selector pins (`k8s:io.kubernetes.pod.namespace: x`,
/// or an `In` expression on that key).
fn pinned_namespace(sel: &LabelSelector) -> Option<String> {
    if let Some((_, v)) = sel
        .match_labels
        .iter()
        .flatten()
        .find(|(k, _)| is_ns_key(k))
    {
        return Some(format!("namespace {v}"));
    }
    let e = sel
        .match_expressions
        .iter()
        .flatten()
        .find(|e| is_ns_key(&e.key))?;
    let values = e.values.as_deref().unwrap_or(&[]);
    Some(match (e.operator.as_str(), values) {
        ("In" | "in", [one]) => format!("namespace {one}"),
        ("In" | "in", many) => format!("namespaces {}", join(many, "or")),
        ("NotIn" | "notin", many) => format!("namespaces other than {}", join(many, "and")),
        _ => "any namespace".to_string(),
    })
}

fn endpoints(sel: &LabelSelector, namespaced: bool, own_ns: &str) -> String {
    let who = match selector(sel, is_ns_key) {
        Some(l) => format!("endpoints {l}"),
        None => "all endpoints".to_string(),
    };
    match pinned_namespace(sel) {
        Some(ns) => format!("{who} in {ns}"),
        None if namespaced => format!("{who} in namespace {own_ns}"),
        None => format!("{who} in all namespaces"),
    }
}

fn entity(e: &str) -> String {
    match e {
        "world" => "anything outside the cluster (world)".into(),
        "world-ipv4" => "IPv4 addresses outside the cluster".into(),
        "world-ipv6" => "IPv6 addresses outside the cluster".into(),
        "cluster" => "every endpoint in the cluster".into(),
        "host" => "the local node (host)".into(),
        "remote-node" => "other nodes of the cluster".into(),
        "kube-apiserver" => "the Kubernetes API server".into(),
        "all" => "everything (all)".into(),
        "health" => "Cilium health endpoints".into(),
        "init" => "endpoints still initialising".into(),
        "unmanaged" => "endpoints not managed by Cilium".into(),
        "ingress" => "Cilium's ingress proxy".into(),
        "none" => "nothing".into(),
        other => format!("entity {other}"),
    }
}

fn cidr_set(c: &CidrRule) -> PeerPhrase {
    let base = c
        .cidr
        .clone()
        .or_else(|| c.cidr_group_ref.as_ref().map(|g| format!("CIDR group {g}")))
        .unwrap_or_else(|| "a CIDR group".into());
    PeerPhrase::Addresses(match c.except.as_deref() {
        Some(ex) if !ex.is_empty() => format!("{base} except {}", join(ex, "and")),
        _ => base,
    })
}

fn icmp_phrase(icmps: &[IcmpRule]) -> String {
    let types: Vec<String> = icmps
        .iter()
        .flat_map(|i| i.fields.iter().flatten())
        .map(|f| {
            let fam = if f.family.as_deref() == Some("IPv6") {
                "ICMPv6"
            } else {
                "ICMP"
            };
            let t = match &f.icmp_type {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{fam} type {t}")
        })
        .collect();
    if types.is_empty() {
        "ICMP".to_string()
    } else {
        join(&types, "and")
    }
}

fn port_rules(prs: Option<&Vec<PortRule>>, icmps: Option<&Vec<IcmpRule>>) -> String {
    if let Some(icmps) = icmps.filter(|i| !i.is_empty()) {
        return icmp_phrase(icmps);
    }
    let Some(prs) = prs.filter(|p| !p.is_empty()) else {
        return "all traffic".into();
    };
    let mut parts = Vec::new();
    for pr in prs {
        let ports: Vec<String> = pr
            .ports
            .iter()
            .flatten()
            .map(|pp| {
                let proto = pp.protocol.as_deref().unwrap_or("ANY");
                let proto = if proto == "ANY" { "TCP/UDP" } else { proto };
                match pp.end_port {
                    Some(end) if end.to_string() != pp.port => format!("{proto} {}-{end}", pp.port),
                    _ => format!("{proto} {}", pp.port),
                }
            })
            .collect();
        let mut s = if ports.is_empty() {
            "all ports".to_string()
        } else {
            join_long(&ports, "and", "ports")
        };
        if let Some(rules) = &pr.rules {
            let mut l7 = Vec::new();
            for h in rules.http.iter().flatten() {
                let mut bits = Vec::new();
                bits.push(h.method.clone().unwrap_or_else(|| "any method".into()));
                if let Some(p) = &h.path {
                    bits.push(p.clone());
                }
                if let Some(host) = &h.host {
                    bits.push(format!("on host {host}"));
                }
                l7.push(format!("HTTP {}", bits.join(" ")));
            }
            for d in rules.dns.iter().flatten() {
                let name = d
                    .match_name
                    .clone()
                    .or_else(|| d.match_pattern.clone())
                    .unwrap_or_default();
                l7.push(format!("DNS lookups of {name}"));
            }
            for k in rules.extra.keys() {
                l7.push(format!("{k} requests"));
            }
            if !l7.is_empty() {
                s = format!("{s} (only {})", join(&l7, "or"));
            }
        }
        parts.push(s);
    }
    join(&parts, "and")
}

fn ingress_peers(r: &IngressRule, namespaced: bool, ns: &str) -> String {
    let mut p = Vec::new();
    for s in r.from_endpoints.iter().flatten() {
        p.push(PeerPhrase::Other(endpoints(s, namespaced, ns)));
    }
    for c in r.from_cidr.iter().flatten() {
        p.push(PeerPhrase::Addresses(c.clone()));
    }
    for c in r.from_cidr_set.iter().flatten() {
        p.push(cidr_set(c));
    }
    for e in r.from_entities.iter().flatten() {
        p.push(PeerPhrase::Other(entity(e)));
    }
    for k in r.extra.keys() {
        p.push(PeerPhrase::Other(format!("peers given by {k}")));
    }
    let mut s = if p.is_empty() {
        if r.from_requires.is_some() {
            "any endpoint".to_string()
        } else {
            "anywhere".to_string()
        }
    } else {
        peer_list(&p)
    };
    for req in r.from_requires.iter().flatten() {
        if let Some(l) = selector(req, |_| false) {
            s.push_str(&format!(", provided the source is also {l}"));
        }
    }
    s
}

fn egress_peers(r: &EgressRule, namespaced: bool, ns: &str) -> String {
    let mut p = Vec::new();
    for s in r.to_endpoints.iter().flatten() {
        p.push(PeerPhrase::Other(endpoints(s, namespaced, ns)));
    }
    for c in r.to_cidr.iter().flatten() {
        p.push(PeerPhrase::Addresses(c.clone()));
    }
    for c in r.to_cidr_set.iter().flatten() {
        p.push(cidr_set(c));
    }
    for e in r.to_entities.iter().flatten() {
        p.push(PeerPhrase::Other(entity(e)));
    }
    for s in r.to_services.iter().flatten() {
        if let Some(svc) = &s.k8s_service {
            p.push(PeerPhrase::Other(format!(
                "service {}/{}",
                svc.namespace.as_deref().unwrap_or(ns),
                svc.service_name.as_deref().unwrap_or("?")
            )));
        } else if let Some(sel) = &s.k8s_service_selector {
            p.push(PeerPhrase::Other(format!(
                "services {}",
                selector(&sel.selector, |_| false).unwrap_or_else(|| "of any label".into())
            )));
        }
    }
    for q in r.to_fqdns.iter().flatten() {
        if let Some(n) = &q.match_name {
            p.push(PeerPhrase::Other(format!("the host {n}")));
        } else if let Some(pat) = &q.match_pattern {
            p.push(PeerPhrase::Other(format!("hosts matching {pat}")));
        }
    }
    for k in r.extra.keys() {
        p.push(PeerPhrase::Other(format!("peers given by {k}")));
    }
    let mut s = if p.is_empty() {
        if r.to_requires.is_some() {
            "any endpoint".to_string()
        } else {
            "anywhere".to_string()
        }
    } else {
        peer_list(&p)
    };
    for req in r.to_requires.iter().flatten() {
        if let Some(l) = selector(req, |_| false) {
            s.push_str(&format!(", provided the destination is also {l}"));
        }
    }
    s
}

fn is_empty_ingress(r: &IngressRule) -> bool {
    r == &IngressRule::default()
}

fn is_empty_egress(r: &EgressRule) -> bool {
    r == &EgressRule::default()
}

fn explain_rule(
    rule: &CiliumRule,
    path: &str,
    namespaced: bool,
    ns: &str,
    summary: &mut Vec<String>,
    rules: &mut Vec<RuleExplanation>,
) {
    let subject = if let Some(sel) = &rule.endpoint_selector {
        capitalise(&endpoints(sel, namespaced, ns))
    } else if let Some(sel) = &rule.node_selector {
        match selector(sel, |_| false) {
            Some(l) => format!("Nodes {l}"),
            None => "All nodes".to_string(),
        }
    } else {
        "Nothing (the rule has no selector)".to_string()
    };
    let ingress = rule.ingress.as_deref().unwrap_or(&[]);
    let ingress_deny = rule.ingress_deny.as_deref().unwrap_or(&[]);
    let egress = rule.egress.as_deref().unwrap_or(&[]);
    let egress_deny = rule.egress_deny.as_deref().unwrap_or(&[]);
    let isolated = rule.isolated_directions();
    let (ing_dd, eg_dd) = (isolated.ingress, isolated.egress);

    let (allow_in, deny_in) = explain_ingress(ingress, ingress_deny, path, namespaced, ns, rules);
    let (allow_out, deny_out) = explain_egress(egress, egress_deny, path, namespaced, ns, rules);
    let any_ingress = !ingress.is_empty() || !ingress_deny.is_empty();
    summary.push(ingress_summary(
        &subject,
        &allow_in,
        &deny_in,
        ing_dd,
        any_ingress,
    ));
    summary.push(egress_summary(&allow_out, &deny_out, eg_dd));
}

/// One sentence per ingress and ingressDeny rule, and what each allows
/// and denies (for the summary).
fn explain_ingress(
    ingress: &[IngressRule],
    ingress_deny: &[IngressRule],
    path: &str,
    namespaced: bool,
    ns: &str,
    rules: &mut Vec<RuleExplanation>,
) -> (Vec<String>, Vec<String>) {
    let mut allow_in = Vec::new();
    for (i, r) in ingress.iter().enumerate() {
        let text = if is_empty_ingress(r) {
            "An empty rule: it allows nothing (it only turns on default deny).".to_string()
        } else {
            let what = format!(
                "{} from {}",
                port_rules(r.to_ports.as_ref(), r.icmps.as_ref()),
                ingress_peers(r, namespaced, ns)
            );
            allow_in.push(what.clone());
            format!("Allows {what}.")
        };
        rules.push(RuleExplanation {
            field: format!("{path}.ingress[{i}]"),
            text,
        });
    }
    let mut deny_in = Vec::new();
    for (i, r) in ingress_deny.iter().enumerate() {
        let what = format!(
            "{} from {}",
            port_rules(r.to_ports.as_ref(), r.icmps.as_ref()),
            ingress_peers(r, namespaced, ns)
        );
        deny_in.push(what.clone());
        rules.push(RuleExplanation {
            field: format!("{path}.ingressDeny[{i}]"),
            text: format!("Denies {what}, even where another rule allows it."),
        });
    }
    (allow_in, deny_in)
}

/// One sentence per egress and egressDeny rule, and what each allows and
/// denies (for the summary).
fn explain_egress(
    egress: &[EgressRule],
    egress_deny: &[EgressRule],
    path: &str,
    namespaced: bool,
    ns: &str,
    rules: &mut Vec<RuleExplanation>,
) -> (Vec<String>, Vec<String>) {
    let mut allow_out = Vec::new();
    for (i, r) in egress.iter().enumerate() {
        let text = if is_empty_egress(r) {
            "An empty rule: it allows nothing (it only turns on default deny).".to_string()
        } else {
            let what = format!(
                "{} to {}",
                port_rules(r.to_ports.as_ref(), r.icmps.as_ref()),
                egress_peers(r, namespaced, ns)
            );
            allow_out.push(what.clone());
            format!("Allows {what}.")
        };
        rules.push(RuleExplanation {
            field: format!("{path}.egress[{i}]"),
            text,
        });
    }
    let mut deny_out = Vec::new();
    for (i, r) in egress_deny.iter().enumerate() {
        let what = format!(
            "{} to {}",
            port_rules(r.to_ports.as_ref(), r.icmps.as_ref()),
            egress_peers(r, namespaced, ns)
        );
        deny_out.push(what.clone());
        rules.push(RuleExplanation {
            field: format!("{path}.egressDeny[{i}]"),
            text: format!("Denies {what}, even where another rule allows it."),
        });
    }

    (allow_out, deny_out)
}

/// The summary's ingress sentence.
fn ingress_summary(
    subject: &str,
    allow_in: &[String],
    deny_in: &[String],
    ing_dd: bool,
    any_ingress: bool,
) -> String {
    let mut s = Vec::new();
    if !allow_in.is_empty() {
        s.push(format!("accept {}", rule_list(allow_in)));
    }
    if !deny_in.is_empty() {
        s.push(format!("refuse {}", rule_list(deny_in)));
    }
    let mut first = if s.is_empty() {
        String::new()
    } else {
        format!("{subject} {}", s.join(", but "))
    };
    let ing_tail = if ing_dd {
        "all other ingress to them is denied"
    } else if !any_ingress {
        ""
    } else {
        "other ingress is left to other policies (default deny is off)"
    };
    if first.is_empty() {
        first = if ing_dd {
            format!("{subject} accept no ingress; all ingress to them is denied.")
        } else {
            format!("{subject}: this rule does not restrict their ingress.")
        };
    } else if ing_tail.is_empty() {
        first.push('.');
    } else {
        first = format!("{first}; {ing_tail}.");
    }
    first
}

/// The summary's egress sentence.
fn egress_summary(allow_out: &[String], deny_out: &[String], eg_dd: bool) -> String {
    let mut s = Vec::new();
    if !allow_out.is_empty() {
        s.push(format!("may send {}", rule_list(allow_out)));
    }
    if !deny_out.is_empty() {
        s.push(format!("may not send {}", rule_list(deny_out)));
    }
    if s.is_empty() {
        if eg_dd {
            "They may send nothing; all egress from them is denied.".to_string()
        } else {
            "Their egress is not restricted by this rule.".to_string()
        }
    } else if eg_dd {
        format!(
            "They {}; all other egress from them is denied.",
            s.join(", but ")
        )
    } else {
        format!(
            "They {}; other egress is left to other policies (default deny is off).",
            s.join(", but ")
        )
    }
}

/// Summary and per-rule sentences.
pub(super) fn explain(
    policy: &CiliumPolicy,
    namespaced: bool,
) -> (Vec<String>, Vec<RuleExplanation>) {
    let ns = policy.metadata.namespace.as_deref().unwrap_or("default");
    let mut summary = Vec::new();
    let mut rules = Vec::new();
    for (path, rule) in policy.rules() {
        explain_rule(rule, &path, namespaced, ns, &mut summary, &mut rules);
        if let Some(d) = &rule.description {
            summary.push(format!("Described as: {d}"));
        }
    }
    if summary.is_empty() {
        summary.push("The policy has no rules.".to_string());
    }
    (summary, rules)
}
