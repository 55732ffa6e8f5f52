//! `ValidateNetworkPolicy` (Kubernetes `pkg/apis/networking/validation`).

use crate::model::LabelSelector;
use crate::model::{IPBlock, NetworkPolicyPeer, NetworkPolicyPort};

use crate::model::IntOrString;
use crate::model::{NetworkPolicy, ObjectMeta};

use super::names::{
    dns1123_label, dns1123_subdomain, label_value, port_name, port_number, qualified_name,
};
use super::{FieldPath, Findings, quote};
use crate::diagnostic::Severity;

/// Validates a NetworkPolicy as the apiserver does on create.
pub fn validate(np: &NetworkPolicy, f: &mut Findings) {
    validate_object_meta(&np.metadata, true, f);
    let Some(spec) = &np.spec else { return };
    if let Some(sel) = &spec.pod_selector {
        validate_label_selector(sel, FieldPath::Root("spec.podSelector"), f);
    }
    let ingress = FieldPath::Root("spec.ingress");
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        let path = ingress.index(i);
        let (ports, from) = (path.field("ports"), path.field("from"));
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            validate_port(port, ports.index(j), f);
        }
        for (j, peer) in rule.from.iter().flatten().enumerate() {
            validate_peer(peer, from.index(j), f);
        }
    }
    let egress = FieldPath::Root("spec.egress");
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        let path = egress.index(i);
        let (ports, to) = (path.field("ports"), path.field("to"));
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            validate_port(port, ports.index(j), f);
        }
        for (j, peer) in rule.to.iter().flatten().enumerate() {
            validate_peer(peer, to.index(j), f);
        }
    }
    if let Some(types) = &spec.policy_types {
        if types.len() > 2 {
            let list: Vec<String> = types.iter().map(|t| quote(t)).collect();
            f.invalid(
                "spec.policyTypes",
                &format!("[{}]", list.join(", ")),
                "may not specify more than two policyTypes",
            );
            return;
        }
        let types_path = FieldPath::Root("spec.policyTypes");
        for (i, t) in types.iter().enumerate() {
            let path = types_path.index(i);
            if t != "Ingress" && t != "Egress" {
                f.not_supported(&path.to_string(), t, &["Ingress", "Egress"]);
            } else if types[..i].contains(t) {
                // The apiserver accepts duplicates; they are still a mistake.
                f.push(
                    Severity::Warning,
                    "duplicate-policy-type",
                    &path.to_string(),
                    format!("Duplicate value: {}: listed twice; remove one", quote(t)),
                );
            }
        }
    }
}

/// `ValidateObjectMeta` for what a policy file carries: name, namespace,
/// labels and annotation keys.
pub fn validate_object_meta(meta: &ObjectMeta, namespaced: bool, f: &mut Findings) {
    match (&meta.name, &meta.generate_name) {
        (Some(name), _) if !name.is_empty() => {
            for msg in dns1123_subdomain(name) {
                f.invalid("metadata.name", &quote(name), &msg);
            }
        }
        (_, Some(g)) if !g.is_empty() => {
            // generateName gets a suffix; validate the prefix loosely.
            let trimmed = g.trim_end_matches('-');
            for msg in dns1123_subdomain(if trimmed.is_empty() { "a" } else { trimmed }) {
                f.invalid("metadata.generateName", &quote(g), &msg);
            }
        }
        _ => {
            f.required("metadata.name", "name or generateName is required");
        }
    }
    if let Some(ns) = &meta.namespace {
        if !namespaced && !ns.is_empty() {
            f.forbidden("metadata.namespace", "not allowed on this type");
        } else if !ns.is_empty() {
            for msg in dns1123_label(ns) {
                f.invalid("metadata.namespace", &quote(ns), &msg);
            }
        }
    }
    for (k, v) in meta.labels.iter().flatten() {
        for msg in qualified_name(k) {
            f.invalid("metadata.labels", &quote(k), &msg);
        }
        for msg in label_value(v) {
            f.invalid("metadata.labels", &quote(v), &msg);
        }
    }
    for k in meta.annotations.iter().flatten().map(|(k, _)| k) {
        for msg in qualified_name(&k.to_ascii_lowercase()) {
            f.invalid("metadata.annotations", &quote(k), &msg);
        }
    }
    let total: usize = meta
        .annotations
        .iter()
        .flatten()
        .map(|(k, v)| k.len() + v.len())
        .sum();
    if total > 256 * 1024 {
        f.push(
            Severity::Error,
            "field-too-long",
            "metadata.annotations",
            format!(
                "Too long: may not be more than 262144 bytes (annotations total {total} bytes)"
            ),
        );
    }
}

/// `ValidateLabelSelector`, including label values of `In`/`NotIn`.
pub fn validate_label_selector(sel: &LabelSelector, path: FieldPath<'_>, f: &mut Findings) {
    let ml = path.field("matchLabels");
    for (k, v) in sel.match_labels.iter().flatten() {
        for msg in qualified_name(k) {
            f.invalid(&ml.to_string(), &quote(k), &msg);
        }
        for msg in label_value(v) {
            f.invalid(&ml.to_string(), &quote(v), &msg);
        }
    }
    let expressions = path.field("matchExpressions");
    for (i, expr) in sel.match_expressions.iter().flatten().enumerate() {
        let ep = expressions.index(i);
        let values = expr.values.as_deref().unwrap_or(&[]);
        match expr.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    f.required(
                        &ep.field("values").to_string(),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    );
                }
                for (j, v) in values.iter().enumerate() {
                    for msg in label_value(v) {
                        f.invalid(&ep.field("values").index(j).to_string(), &quote(v), &msg);
                    }
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    f.forbidden(
                        &ep.field("values").to_string(),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    );
                }
            }
            op => {
                f.invalid(
                    &ep.field("operator").to_string(),
                    &quote(op),
                    "not a valid selector operator",
                );
            }
        }
        for msg in qualified_name(&expr.key) {
            f.invalid(&ep.field("key").to_string(), &quote(&expr.key), &msg);
        }
    }
}

/// `ValidateNetworkPolicyPort`.
pub fn validate_port(port: &NetworkPolicyPort, path: FieldPath<'_>, f: &mut Findings) {
    if let Some(proto) = &port.protocol
        && proto != "TCP"
        && proto != "UDP"
        && proto != "SCTP"
    {
        f.not_supported(
            &path.field("protocol").to_string(),
            proto,
            &["TCP", "UDP", "SCTP"],
        );
    }
    match &port.port {
        Some(IntOrString::Int(p)) => {
            for msg in port_number(i64::from(*p)) {
                f.invalid(&path.field("port").to_string(), &p.to_string(), &msg);
            }
            if let Some(end) = port.end_port {
                if end < *p {
                    f.invalid(
                        &path.field("endPort").to_string(),
                        &end.to_string(),
                        "must be greater than or equal to `port`",
                    );
                }
                for msg in port_number(i64::from(end)) {
                    f.invalid(&path.field("endPort").to_string(), &end.to_string(), &msg);
                }
            }
        }
        Some(IntOrString::String(name)) => {
            if let Some(end) = port.end_port {
                f.invalid(
                    &path.field("endPort").to_string(),
                    &end.to_string(),
                    "may not be specified when `port` is non-numeric",
                );
            }
            for msg in port_name(name) {
                f.invalid(&path.field("port").to_string(), &quote(name), &msg);
            }
        }
        None => {
            if let Some(end) = port.end_port {
                f.invalid(
                    &path.field("endPort").to_string(),
                    &end.to_string(),
                    "may not be specified when `port` is not specified",
                );
            }
        }
    }
}

/// `ValidateNetworkPolicyPeer`.
pub fn validate_peer(peer: &NetworkPolicyPeer, path: FieldPath<'_>, f: &mut Findings) {
    let mut n = 0;
    if let Some(sel) = &peer.pod_selector {
        n += 1;
        validate_label_selector(sel, path.field("podSelector"), f);
    }
    if let Some(sel) = &peer.namespace_selector {
        n += 1;
        validate_label_selector(sel, path.field("namespaceSelector"), f);
    }
    if let Some(ipb) = &peer.ip_block {
        n += 1;
        validate_ip_block(ipb, path.field("ipBlock"), f);
    }
    if n == 0 {
        f.required(&path.to_string(), "must specify a peer");
    } else if n > 1 && peer.ip_block.is_some() {
        f.forbidden(
            &path.to_string(),
            "may not specify both ipBlock and another peer",
        );
    }
}

pub use crate::model::cidr::parse_ip_block_cidr as parse_cidr;

const CIDR_MSG: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/// `ValidateIPBlock`.
pub fn validate_ip_block(ipb: &IPBlock, path: FieldPath<'_>, f: &mut Findings) {
    if ipb.cidr.is_empty() {
        f.required(&path.field("cidr").to_string(), "");
        return;
    }
    let Some(cidr) = parse_cidr(&ipb.cidr) else {
        f.invalid(&path.field("cidr").to_string(), &quote(&ipb.cidr), CIDR_MSG);
        return;
    };
    let cidr = cidr.trunc();
    for (i, ex) in ipb.except.iter().flatten().enumerate() {
        let ep = path.field("except");
        let ep = ep.index(i);
        let Some(except) = parse_cidr(ex) else {
            f.invalid(&ep.to_string(), &quote(ex), CIDR_MSG);
            continue;
        };
        let except = except.trunc();
        if !cidr.contains(&except.network()) || cidr.prefix_len() >= except.prefix_len() {
            f.invalid(
                &ep.to_string(),
                &quote(ex),
                "must be a strict subset of `cidr`",
            );
        }
    }
}
