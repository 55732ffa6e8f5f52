//! Explaining Kubernetes NetworkPolicy.

use crate::model::IntOrString;
use crate::model::NetworkPolicy;
use crate::model::{NetworkPolicyPeer, NetworkPolicyPort};

use super::RuleExplanation;
use super::phrase::{PeerPhrase, capitalise, join, join_long, peer_list, rule_list, selector};

fn no_skip(_: &str) -> bool {
    false
}

/// `TCP 80`, `UDP 53`, `TCP 8000-9000`, `TCP port "http"`, `all UDP ports`.
pub(super) fn port(p: &NetworkPolicyPort) -> String {
    let proto = p.protocol.as_deref().unwrap_or("TCP");
    match (&p.port, p.end_port) {
        (None, _) => format!("all {proto} ports"),
        (Some(IntOrString::Int(n)), Some(end)) if end != *n => format!("{proto} {n}-{end}"),
        (Some(IntOrString::Int(n)), _) => format!("{proto} {n}"),
        (Some(IntOrString::String(name)), _) => format!("{proto} port {name:?}"),
    }
}

fn ports(ps: Option<&Vec<NetworkPolicyPort>>) -> String {
    match ps {
        Some(ps) if !ps.is_empty() => {
            join_long(&ps.iter().map(port).collect::<Vec<_>>(), "and", "ports")
        }
        _ => "all traffic".to_string(),
    }
}

/// One peer, e.g. `pods labelled app=db in namespaces labelled team=a`.
pub(super) fn peer(p: &NetworkPolicyPeer) -> String {
    if let Some(ipb) = &p.ip_block {
        let except = ipb.except.as_deref().unwrap_or(&[]);
        return if except.is_empty() {
            format!("IP addresses in {}", ipb.cidr)
        } else {
            format!(
                "IP addresses in {} except {}",
                ipb.cidr,
                join(except, "and")
            )
        };
    }
    let pods = p.pod_selector.as_ref().map(|s| selector(s, no_skip));
    let nss = p.namespace_selector.as_ref().map(|s| selector(s, no_skip));
    let pod_part = |pods: &Option<Option<String>>| match pods {
        Some(Some(l)) => format!("pods {l}"),
        _ => "all pods".to_string(),
    };
    let named_ns = p.namespace_selector.as_ref().and_then(|s| {
        let ml = s.match_labels.as_ref()?;
        (s.match_expressions.as_ref().is_none_or(Vec::is_empty) && ml.len() == 1)
            .then(|| ml.get(crate::model::NAMESPACE_NAME_LABEL).cloned())
            .flatten()
    });
    if let Some(ns) = named_ns {
        return format!("{} in namespace {ns}", pod_part(&pods));
    }
    match (&pods, &nss) {
        (_, None) => format!("{} in the same namespace", pod_part(&pods)),
        (_, Some(None)) => format!("{} in all namespaces", pod_part(&pods)),
        (_, Some(Some(l))) => format!("{} in namespaces {l}", pod_part(&pods)),
    }
}

/// A peer for [`peer_list`]: ipBlocks as address ranges, so that long
/// allow-lists are summarised by their CIDRs.
fn peer_phrase(p: &NetworkPolicyPeer) -> PeerPhrase {
    match &p.ip_block {
        Some(ipb) => {
            let except = ipb.except.as_deref().unwrap_or(&[]);
            PeerPhrase::Addresses(if except.is_empty() {
                ipb.cidr.clone()
            } else {
                format!("{} except {}", ipb.cidr, join(except, "and"))
            })
        }
        None => PeerPhrase::Other(peer(p)),
    }
}

fn peers(ps: Option<&Vec<NetworkPolicyPeer>>) -> String {
    match ps {
        Some(ps) if !ps.is_empty() => peer_list(&ps.iter().map(peer_phrase).collect::<Vec<_>>()),
        _ => "anywhere".to_string(),
    }
}

/// `X from Y` → `X only from Y`, except for `from anywhere`.
fn only(part: &str, sep: &str) -> String {
    if part.ends_with(&format!("{sep}anywhere")) {
        part.to_string()
    } else {
        part.replacen(sep, &format!(" only{sep}"), 1)
    }
}

/// What one rule does: it allows `what`, or nothing at all when the policy
/// does not isolate its direction (then the rule is ignored).
fn rule_text(what: &str, isolated: bool, policy_type: &str) -> String {
    if isolated {
        format!("Allows {what}.")
    } else {
        format!("Ignored: policyTypes does not list {policy_type}, so this rule allows nothing.")
    }
}

/// Summary and per-rule sentences.
pub(super) fn explain(np: &NetworkPolicy) -> (Vec<String>, Vec<RuleExplanation>) {
    let ns = np.metadata.namespace.as_deref().unwrap_or("default");
    let default_spec = Default::default();
    let spec = np.spec.as_ref().unwrap_or(&default_spec);
    let subject = match spec
        .pod_selector
        .as_ref()
        .and_then(|s| selector(s, no_skip))
    {
        Some(l) => format!("pods {l} in namespace {ns}"),
        None => format!("all pods in namespace {ns}"),
    };
    let ingress = spec.ingress.as_deref().unwrap_or(&[]);
    let egress = spec.egress.as_deref().unwrap_or(&[]);
    let isolated = np.isolated_directions();
    let (ing_iso, eg_iso) = (isolated.ingress, isolated.egress);

    let mut rules = Vec::new();
    let mut ing_parts = Vec::new();
    for (i, r) in ingress.iter().enumerate() {
        let what = format!(
            "{} from {}",
            ports(r.ports.as_ref()),
            peers(r.from.as_ref())
        );
        rules.push(RuleExplanation {
            field: format!("spec.ingress[{i}]"),
            text: rule_text(&what, ing_iso, "Ingress"),
        });
        ing_parts.push(what);
    }
    let mut eg_parts = Vec::new();
    for (i, r) in egress.iter().enumerate() {
        let what = format!("{} to {}", ports(r.ports.as_ref()), peers(r.to.as_ref()));
        rules.push(RuleExplanation {
            field: format!("spec.egress[{i}]"),
            text: rule_text(&what, eg_iso, "Egress"),
        });
        eg_parts.push(what);
    }

    let subj = capitalise(&subject);
    let ing = if ing_parts.is_empty() {
        "accept no ingress at all; all ingress to them is denied".to_string()
    } else if ing_parts.len() == 1 {
        format!(
            "accept {}; all other ingress to them is denied",
            only(&ing_parts[0], " from ")
        )
    } else {
        format!(
            "accept only {}; all other ingress to them is denied",
            rule_list(&ing_parts)
        )
    };
    let eg = if eg_parts.is_empty() {
        "may send nothing; all egress from them is denied".to_string()
    } else if eg_parts.len() == 1 {
        format!(
            "may send {}; all other egress from them is denied",
            only(&eg_parts[0], " to ")
        )
    } else {
        format!(
            "may send only {}; all other egress from them is denied",
            rule_list(&eg_parts)
        )
    };
    let summary = match (ing_iso, eg_iso) {
        (true, true) => vec![format!("{subj} {ing}."), format!("They {eg}.")],
        (true, false) => vec![
            format!("{subj} {ing}."),
            "Their egress is not restricted.".to_string(),
        ],
        (false, true) => vec![
            format!("{subj} {eg}."),
            "Their ingress is not restricted.".to_string(),
        ],
        (false, false) => vec![format!(
            "{subj}: this policy restricts neither ingress nor egress."
        )],
    };
    (summary, rules)
}
