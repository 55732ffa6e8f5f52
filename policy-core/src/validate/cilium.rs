//! Cilium rule validation: `Rule.Sanitize` from Cilium's
//! `pkg/policy/api/rule_validation.go` (with `PortRule.sanitize`'s checks
//! of server names, listeners and TLS contexts, and the HTTP, Kafka and
//! generic L7 rules' own), plus the enums, patterns and required fields of
//! the CRD schema. Where Cilium's versions differ, the current one decides
//! (`toServices` with `toPorts` is accepted; host policies allow DNS rules
//! on egress).
//!
//! Cilium stops at the first problem and reports it without a path; here
//! every problem is reported, at its field path
//! (`spec.egress[0].toPorts[1].ports[0].protocol`), with Cilium's wording
//! where it has one.

use std::collections::BTreeMap;

use crate::model::LabelSelector;
use serde_json::Value;

use super::names::{is_svc_name, label_value, qualified_name};
use super::network_policy::validate_object_meta;
use super::{Findings, quote};
use crate::diagnostic::Severity;
use crate::engine::icmp::IcmpKey;
use crate::model::cilium::{
    CidrRule, CiliumPolicy, CiliumRule, FqdnSelector, IcmpRule, L7Rules, PortRule,
};

/// Entities Cilium knows (`EntitySelectorMapping`).
pub const ENTITIES: &[&str] = &[
    "all",
    "world",
    "world-ipv4",
    "world-ipv6",
    "cluster",
    "host",
    "remote-node",
    "kube-apiserver",
    "init",
    "health",
    "unmanaged",
    "ingress",
    "none",
];

/// Protocols of `toPorts[].ports[].protocol` (CRD enum).
pub const PROTOCOLS: &[&str] = &[
    "TCP", "UDP", "SCTP", "ICMP", "ICMPv6", "VRRP", "IGMP", "ANY",
];

/// Most ports in one `toPorts` entry, and ICMP fields in one `icmps` entry.
pub const MAX_PORTS: usize = 40;

/// Validates a CiliumNetworkPolicy (`namespaced`) or a
/// CiliumClusterwideNetworkPolicy.
pub fn validate(policy: &CiliumPolicy, namespaced: bool, f: &mut Findings) {
    validate_object_meta(&policy.metadata, namespaced, f);
    let rules = policy.rules();
    if rules.is_empty() {
        f.required(
            "spec",
            "a Cilium policy needs `spec` or `specs` with at least one rule",
        );
    }
    for (path, rule) in rules {
        validate_rule(rule, &path, f);
    }
}

fn err(f: &mut Findings, code: &str, path: &str, msg: String) {
    f.push(Severity::Error, code, path, msg);
}

fn validate_rule(rule: &CiliumRule, path: &str, f: &mut Findings) {
    match (&rule.endpoint_selector, &rule.node_selector) {
        (None, None) => err(
            f,
            "cilium-selector-required",
            path,
            "rule must have one of endpointSelector or nodeSelector".into(),
        ),
        (Some(_), Some(_)) => err(
            f,
            "cilium-selector-exclusive",
            &format!("{path}.nodeSelector"),
            "rule cannot have both endpointSelector and nodeSelector".into(),
        ),
        _ => {}
    }
    if let Some(sel) = &rule.endpoint_selector {
        validate_selector(sel, &format!("{path}.endpointSelector"), f);
    }
    if let Some(sel) = &rule.node_selector {
        validate_selector(sel, &format!("{path}.nodeSelector"), f);
    }
    let host_policy = rule.node_selector.is_some() && rule.endpoint_selector.is_none();

    for (dir, rules, deny) in [
        ("ingress", rule.ingress.as_deref(), false),
        ("ingressDeny", rule.ingress_deny.as_deref(), true),
    ] {
        for (i, r) in rules.unwrap_or(&[]).iter().enumerate() {
            let rp = format!("{path}.{dir}[{i}]");
            let mut l3: Vec<(&str, usize)> = vec![
                (
                    "fromEndpoints",
                    r.from_endpoints.as_ref().map_or(0, Vec::len),
                ),
                ("fromCIDR", r.from_cidr.as_ref().map_or(0, Vec::len)),
                ("fromCIDRSet", r.from_cidr_set.as_ref().map_or(0, Vec::len)),
                ("fromEntities", r.from_entities.as_ref().map_or(0, Vec::len)),
            ];
            l3.push(("fromNodes", extra_len(&r.extra, "fromNodes")));
            l3.push(("fromGroups", extra_len(&r.extra, "fromGroups")));
            check_l3_mix(&l3, &rp, f);
            for (j, sel) in r.from_endpoints.iter().flatten().enumerate() {
                validate_selector(sel, &format!("{rp}.fromEndpoints[{j}]"), f);
            }
            for (j, sel) in r.from_requires.iter().flatten().enumerate() {
                validate_selector(sel, &format!("{rp}.fromRequires[{j}]"), f);
            }
            check_ports_and_icmps(
                r.to_ports.as_deref(),
                r.icmps.as_deref(),
                &rp,
                true,
                deny,
                host_policy,
                f,
            );
            for (j, c) in r.from_cidr.iter().flatten().enumerate() {
                validate_cidr(c, &format!("{rp}.fromCIDR[{j}]"), f);
            }
            for (j, c) in r.from_cidr_set.iter().flatten().enumerate() {
                validate_cidr_rule(c, &format!("{rp}.fromCIDRSet[{j}]"), f);
            }
            for (j, e) in r.from_entities.iter().flatten().enumerate() {
                validate_entity(e, &format!("{rp}.fromEntities[{j}]"), f);
            }
            validate_authentication(&r.extra, &rp, f);
        }
    }

    for (dir, rules, deny) in [
        ("egress", rule.egress.as_deref(), false),
        ("egressDeny", rule.egress_deny.as_deref(), true),
    ] {
        for (i, r) in rules.unwrap_or(&[]).iter().enumerate() {
            let rp = format!("{path}.{dir}[{i}]");
            let mut l3: Vec<(&str, usize)> = vec![
                ("toCIDR", r.to_cidr.as_ref().map_or(0, Vec::len)),
                ("toCIDRSet", r.to_cidr_set.as_ref().map_or(0, Vec::len)),
                ("toEndpoints", r.to_endpoints.as_ref().map_or(0, Vec::len)),
                ("toEntities", r.to_entities.as_ref().map_or(0, Vec::len)),
                ("toServices", r.to_services.as_ref().map_or(0, Vec::len)),
                ("toFQDNs", r.to_fqdns.as_ref().map_or(0, Vec::len)),
            ];
            l3.push(("toGroups", extra_len(&r.extra, "toGroups")));
            l3.push(("toNodes", extra_len(&r.extra, "toNodes")));
            check_l3_mix(&l3, &rp, f);
            if deny && r.to_fqdns.is_some() {
                err(
                    f,
                    "cilium-deny-fqdn",
                    &format!("{rp}.toFQDNs"),
                    "toFQDNs is not supported in egressDeny rules; deny the CIDRs instead".into(),
                );
            }
            for (j, sel) in r.to_endpoints.iter().flatten().enumerate() {
                validate_selector(sel, &format!("{rp}.toEndpoints[{j}]"), f);
            }
            for (j, sel) in r.to_requires.iter().flatten().enumerate() {
                validate_selector(sel, &format!("{rp}.toRequires[{j}]"), f);
            }
            check_ports_and_icmps(
                r.to_ports.as_deref(),
                r.icmps.as_deref(),
                &rp,
                false,
                deny,
                host_policy,
                f,
            );
            for (j, c) in r.to_cidr.iter().flatten().enumerate() {
                validate_cidr(c, &format!("{rp}.toCIDR[{j}]"), f);
            }
            for (j, c) in r.to_cidr_set.iter().flatten().enumerate() {
                validate_cidr_rule(c, &format!("{rp}.toCIDRSet[{j}]"), f);
            }
            for (j, e) in r.to_entities.iter().flatten().enumerate() {
                validate_entity(e, &format!("{rp}.toEntities[{j}]"), f);
            }
            for (j, q) in r.to_fqdns.iter().flatten().enumerate() {
                validate_fqdn(q, &format!("{rp}.toFQDNs[{j}]"), true, f);
            }
            validate_authentication(&r.extra, &rp, f);
        }
    }
}

fn extra_len(extra: &BTreeMap<String, Value>, key: &str) -> usize {
    match extra.get(key) {
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    }
}

fn check_l3_mix(members: &[(&str, usize)], path: &str, f: &mut Findings) {
    let set: Vec<&str> = members
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(m, _)| *m)
        .collect();
    if set.len() > 1 {
        err(
            f,
            "cilium-l3-mix",
            &format!("{path}.{}", set[1]),
            format!(
                "Combining {} and {} is not supported yet; put each kind of peer in its own rule",
                set[0], set[1]
            ),
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn check_ports_and_icmps(
    to_ports: Option<&[PortRule]>,
    icmps: Option<&[IcmpRule]>,
    path: &str,
    ingress: bool,
    deny: bool,
    host_policy: bool,
    f: &mut Findings,
) {
    let ports = to_ports.unwrap_or(&[]);
    let icmps = icmps.unwrap_or(&[]);
    if !icmps.is_empty() && !ports.is_empty() {
        err(
            f,
            "cilium-icmp-with-ports",
            &format!("{path}.icmps"),
            "The ICMPs block may only be present without ToPorts. Define a separate rule to use ToPorts.".into(),
        );
    }
    for (i, icmp) in icmps.iter().enumerate() {
        let ip = format!("{path}.icmps[{i}]");
        let fields = icmp.fields.as_deref().unwrap_or(&[]);
        if fields.len() > MAX_PORTS {
            err(
                f,
                "cilium-too-many-icmp-types",
                &format!("{ip}.fields"),
                format!("too many types, the max is {MAX_PORTS}"),
            );
        }
        for (j, field) in fields.iter().enumerate() {
            if let Some(fam) = &field.family
                && fam != "IPv4"
                && fam != "IPv6"
            {
                f.not_supported(&format!("{ip}.fields[{j}].family"), fam, &["IPv4", "IPv6"]);
            } else if IcmpKey::from_field(field.family.as_deref(), &field.icmp_type).is_none() {
                let family = field.family.as_deref().unwrap_or("IPv4");
                let shown = match &field.icmp_type {
                    Value::String(t) => t.clone(),
                    other => other.to_string(),
                };
                err(
                    f,
                    "cilium-icmp-type",
                    &format!("{ip}.fields[{j}].type"),
                    format!(
                        "ICMP type {shown} not found in {family}: give a number from 0 to 255 or one of {family}'s type names"
                    ),
                );
            }
        }
    }
    for (i, pr) in ports.iter().enumerate() {
        validate_port_rule(
            pr,
            &format!("{path}.toPorts[{i}]"),
            ingress,
            deny,
            host_policy,
            f,
        );
    }
}

fn validate_port_rule(
    pr: &PortRule,
    path: &str,
    ingress: bool,
    deny: bool,
    host_policy: bool,
    f: &mut Findings,
) {
    let rules = pr.rules.as_ref();
    let http = rules.and_then(|r| r.http.as_ref());
    let dns = rules.and_then(|r| r.dns.as_ref());
    let other_l7: Vec<&str> = rules
        .map(|r| r.extra.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let has_dns = dns.is_some_and(|d| !d.is_empty());
    let has_l7 = http.is_some() || dns.is_some() || !other_l7.is_empty();
    let rp = format!("{path}.rules");

    if deny && rules.is_some() {
        err(
            f,
            "cilium-deny-l7",
            &rp,
            "deny rules cannot carry L7 rules; deny at L3/L4 and allow L7 in an allow rule".into(),
        );
    }
    if host_policy && has_l7 {
        // Cilium's host firewall: no L7 on ingress; on egress, DNS only.
        if ingress {
            err(
                f,
                "cilium-host-l7",
                &rp,
                "L7 policy is not supported on host ingress yet".into(),
            );
        } else if http.is_some() || !other_l7.is_empty() {
            let what = if http.is_some() {
                "HTTP"
            } else if other_l7.contains(&"kafka") {
                "Kafka"
            } else {
                "this L7 protocol"
            };
            err(
                f,
                "cilium-host-l7",
                &rp,
                format!("L7 protocol {what} is not supported on host egress yet (DNS is)"),
            );
        }
    }
    validate_port_rule_extras(pr, path, ingress, has_l7, f);
    if ingress && has_dns {
        err(
            f,
            "cilium-dns-ingress",
            &format!("{rp}.dns"),
            "DNS rules are not allowed on ingress".into(),
        );
    }

    let ports = pr.ports.as_deref().unwrap_or(&[]);
    if ports.len() > MAX_PORTS {
        err(
            f,
            "cilium-too-many-ports",
            &format!("{path}.ports"),
            format!(
                "too many ports, the max is {MAX_PORTS} (found {}); split them over several toPorts entries",
                ports.len()
            ),
        );
    }
    let mut zero_port = false;
    for (i, pp) in ports.iter().enumerate() {
        let pp_path = format!("{path}.ports[{i}]");
        let mut numeric: Option<u64> = None;
        if pp.port.is_empty() {
            f.required(&format!("{pp_path}.port"), "Port must be specified");
        } else if !is_svc_name(&pp.port) {
            match parse_go_uint16(&pp.port) {
                Some(p) => {
                    numeric = Some(p);
                    zero_port |= p == 0;
                }
                None => {
                    f.invalid(
                        &format!("{pp_path}.port"),
                        &quote(&pp.port),
                        "Unable to parse port: must be a number from 0 to 65535 or a port name",
                    );
                }
            }
        }
        if let Some(end) = pp.end_port {
            if !(0..=65535).contains(&end) {
                f.invalid(
                    &format!("{pp_path}.endPort"),
                    &end.to_string(),
                    "must be between 0 and 65535, inclusive",
                );
            }
            if has_dns && numeric.is_some_and(|p| i64::from(end) > p as i64) {
                err(
                    f,
                    "cilium-dns-port",
                    &format!("{pp_path}.endPort"),
                    "DNS rules do not support port ranges".into(),
                );
            }
        }
        let proto = pp.protocol.as_deref();
        if let Some(p) = proto
            && !PROTOCOLS.contains(&p)
        {
            match PROTOCOLS.iter().find(|k| k.eq_ignore_ascii_case(p)) {
                Some(k) => {
                    f.push(
                        Severity::Error,
                        "cilium-protocol-case",
                        &format!("{pp_path}.protocol"),
                        format!(
                            "Unsupported value: {}: write `{k}` (the CRD schema is case-sensitive)",
                            quote(p)
                        ),
                    );
                }
                None => {
                    f.not_supported(&format!("{pp_path}.protocol"), p, PROTOCOLS);
                }
            }
        }
        if has_l7 && !has_dns && proto != Some("TCP") {
            err(
                f,
                "cilium-l7-protocol",
                &if proto.is_some() {
                    format!("{pp_path}.protocol")
                } else {
                    pp_path.clone()
                },
                format!(
                    "L7 rules can only apply to TCP (not {}) except for DNS rules; set `protocol: TCP`",
                    proto.unwrap_or("ANY")
                ),
            );
        }
        // A DNS rule on a port other than 53 is accepted by Cilium (its
        // rule validation only requires some port); lint PA022 says what
        // the DNS proxy then does.
    }
    if has_l7 && zero_port {
        err(
            f,
            "cilium-l7-port-zero",
            &format!("{path}.ports"),
            "L7 rules can not be used when a port is 0".into(),
        );
    }
    if dns.is_some() && ports.is_empty() {
        err(
            f,
            "cilium-dns-port",
            path,
            "Port 53 must be specified for DNS rules".into(),
        );
    }
    let kinds = usize::from(http.is_some())
        + usize::from(dns.is_some())
        + usize::from(rules.is_some_and(|r| r.extra.contains_key("kafka")))
        + usize::from(rules.is_some_and(|r| r.extra.contains_key("l7proto")));
    if kinds > 1 {
        err(
            f,
            "cilium-l7-multiple",
            &rp,
            "multiple L7 protocol rule types specified in single rule".into(),
        );
    }
    if rules.is_some_and(|r| r.extra.contains_key("l7") && !r.extra.contains_key("l7proto")) {
        err(
            f,
            "cilium-l7-proto",
            &format!("{rp}.l7"),
            "'l7' may only be specified when a 'l7proto' is also specified".into(),
        );
    }
    for (i, d) in dns.iter().flat_map(|d| d.iter()).enumerate() {
        let sel = FqdnSelector {
            match_name: d.match_name.clone(),
            match_pattern: d.match_pattern.clone(),
        };
        validate_fqdn(&sel, &format!("{rp}.dns[{i}]"), false, f);
    }
}

/// Go's `strconv.ParseUint(s, 0, 16)`: decimal, `0x` hex, `0o`/`0` octal, `0b` binary.
fn parse_go_uint16(s: &str) -> Option<u64> {
    let s = s.replace('_', "");
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h.to_string(), 16)
    } else if let Some(b) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (b.to_string(), 2)
    } else if let Some(o) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (o.to_string(), 8)
    } else if s.len() > 1 && s.starts_with('0') {
        (s[1..].to_string(), 8)
    } else {
        (s.clone(), 10)
    };
    u64::from_str_radix(&digits, radix)
        .ok()
        .filter(|p| *p <= 65535)
}

fn validate_cidr(c: &str, path: &str, f: &mut Findings) {
    if c.is_empty() {
        f.required(path, "IP must be specified");
    } else if crate::model::cidr::parse_cilium_cidr(c).is_none() {
        f.invalid(
            path,
            &quote(c),
            "unable to parse CIDR: expected address/prefix such as 10.0.0.0/8",
        );
    } else if !c.contains('/') {
        // Cilium's Go code would read it as a host, but the CRD schema's
        // CIDR pattern wants a prefix, so the apiserver refuses it.
        let len = if c.contains(':') { 128 } else { 32 };
        f.invalid(
            path,
            &quote(c),
            &format!("a CIDR needs a prefix length: write {c}/{len} for this one address"),
        );
    }
}

fn validate_cidr_rule(c: &CidrRule, path: &str, f: &mut Findings) {
    let set = usize::from(c.cidr.is_some())
        + usize::from(c.cidr_group_ref.is_some())
        + usize::from(c.extra.contains_key("cidrGroupSelector"));
    if set > 1 {
        err(
            f,
            "cilium-cidr-rule",
            path,
            "more than one of cidr, cidrGroupRef, or cidrGroupSelector may not be set; write one per toCIDRSet entry".into(),
        );
    }
    if c.cidr_group_ref.is_some() || c.extra.contains_key("cidrGroupSelector") {
        return;
    }
    let Some(cidr) = &c.cidr else {
        f.required(
            &format!("{path}.cidr"),
            "one of cidr, cidrGroupRef or cidrGroupSelector is required",
        );
        return;
    };
    let Ok(net) = cidr.parse::<ipnet::IpNet>() else {
        f.invalid(
            &format!("{path}.cidr"),
            &quote(cidr),
            "Unable to parse CIDRRule: expected address/prefix such as 10.0.0.0/8",
        );
        return;
    };
    for (i, ex) in c.except.iter().flatten().enumerate() {
        let ep = format!("{path}.except[{i}]");
        match ex.parse::<ipnet::IpNet>() {
            Err(_) => {
                f.invalid(&ep, &quote(ex), "unable to parse CIDR prefix");
            }
            Ok(e) if !net.trunc().contains(&e.addr()) => {
                f.invalid(
                    &ep,
                    &quote(ex),
                    &format!("allow CIDR prefix {cidr} does not contain exclude CIDR prefix {ex}"),
                );
            }
            Ok(_) => {}
        }
    }
}

fn validate_entity(e: &str, path: &str, f: &mut Findings) {
    if !ENTITIES.contains(&e) {
        f.not_supported(path, e, ENTITIES);
        if let Some(d) = f.last_mut() {
            d.code = "cilium-unknown-entity".into();
            d.message = format!(
                "unsupported entity: {e}; known entities are {}",
                ENTITIES.join(", ")
            );
        }
    }
}

/// Whether Cilium accepts `name` as a `toFQDNs` `matchName`: letters,
/// digits, `.`, `-` and `_` (the generator writes only such names).
pub(crate) fn is_match_name(name: &str) -> bool {
    name.bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
}

/// A `toFQDNs` selector (`selector`: `FQDNSelector.sanitize`, one of the
/// two) or a DNS rule (`PortRuleDNS.Sanitize`, which checks characters
/// only).
fn validate_fqdn(q: &FqdnSelector, path: &str, selector: bool, f: &mut Findings) {
    let name = q.match_name.as_deref().unwrap_or("");
    let pattern = q.match_pattern.as_deref().unwrap_or("");
    if selector && !name.is_empty() && !pattern.is_empty() {
        err(
            f,
            "cilium-fqdn",
            path,
            "only one of matchName or matchPattern is allowed in an FQDNSelector".into(),
        );
    }
    if selector && name.is_empty() && pattern.is_empty() {
        f.required(path, "one of matchName or matchPattern is required");
    }
    if !name.is_empty() && !is_match_name(name) {
        err(
            f,
            "cilium-fqdn",
            &format!("{path}.matchName"),
            format!(
                "Invalid characters in MatchName: {} has {}. Only 0-9, a-z, A-Z, `.`, `-` and `_` are allowed{}",
                quote(name),
                offending(name, |c| c.is_ascii_alphanumeric()
                    || matches!(c, '.' | '-' | '_')),
                if name.contains('*') {
                    "; for a wildcard, use matchPattern"
                } else {
                    ""
                }
            ),
        );
    }
    if !pattern.is_empty()
        && !pattern
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'*'))
    {
        err(
            f,
            "cilium-fqdn",
            &format!("{path}.matchPattern"),
            format!(
                "Invalid characters in MatchPattern: {} has {}. Only 0-9, a-z, A-Z, `.`, `-`, `_` and `*` are allowed",
                quote(pattern),
                offending(pattern, |c| c.is_ascii_alphanumeric()
                    || matches!(c, '.' | '-' | '_' | '*'))
            ),
        );
    }
}

/// The characters of `text` that `allowed` refuses, quoted once each.
fn offending(text: &str, allowed: impl Fn(char) -> bool) -> String {
    let mut seen = Vec::new();
    for c in text.chars().filter(|c| !allowed(*c)) {
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    seen.iter()
        .map(|c| format!("`{}`", c.escape_default()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `authentication.mode` (CRD enum).
fn validate_authentication(extra: &BTreeMap<String, Value>, path: &str, f: &mut Findings) {
    const MODES: &[&str] = &["disabled", "required", "test-always-fail"];
    if let Some(mode) = extra.get("authentication").and_then(|a| a.get("mode")) {
        let field = format!("{path}.authentication.mode");
        match mode.as_str() {
            Some(m) if MODES.contains(&m) => {}
            Some(m) => {
                f.not_supported(&field, m, MODES);
            }
            None => {
                f.invalid(&field, &mode.to_string(), "must be a string");
            }
        }
    }
}

/// The items of an array field kept as JSON (none when it is not an array).
fn items<'v>(extra: &'v BTreeMap<String, Value>, key: &str) -> impl Iterator<Item = &'v Value> {
    extra
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A string field of `object`, when it has one.
fn str_field<'v>(object: &'v Value, key: &str) -> Option<&'v str> {
    object.get(key).and_then(Value::as_str)
}

/// What `PortRule.sanitize` checks of the fields palisade does not model
/// (`serverNames`, `listener`, TLS contexts) and of the L7 rules it keeps
/// as JSON (Kafka, generic `l7`, HTTP `headerMatches`), with the CRD
/// schema's enums and required fields.
fn validate_port_rule_extras(
    pr: &PortRule,
    path: &str,
    ingress: bool,
    has_l7: bool,
    f: &mut Findings,
) {
    let server_names = pr.extra.get("serverNames").and_then(Value::as_array);
    let terminating = pr.extra.get("terminatingTLS");
    if server_names.is_some_and(|n| !n.is_empty()) && has_l7 && terminating.is_none() {
        err(
            f,
            "cilium-server-names",
            &format!("{path}.serverNames"),
            "ServerNames are not allowed with L7 rules without TLS termination (terminatingTLS)"
                .into(),
        );
    }
    for (i, name) in server_names.into_iter().flatten().enumerate() {
        if name.as_str() == Some("") {
            err(
                f,
                "cilium-server-names",
                &format!("{path}.serverNames[{i}]"),
                "Empty server name is not allowed".into(),
            );
        }
    }
    for tls in ["terminatingTLS", "originatingTLS"] {
        if let Some(context) = pr.extra.get(tls)
            && context.get("secret").is_none()
        {
            f.required(
                &format!("{path}.{tls}.secret"),
                "a TLS context needs `secret` (its name and namespace)",
            );
        }
    }
    if let Some(listener) = pr.extra.get("listener") {
        let name = str_field(listener, "name").unwrap_or("");
        let lp = format!("{path}.listener");
        if name.is_empty() {
            f.required(&format!("{lp}.name"), "a listener needs a name");
        }
        if ingress {
            err(
                f,
                "cilium-listener",
                &lp,
                format!("Listener is not allowed on ingress ({name})"),
            );
        }
        if server_names.is_some_and(|n| !n.is_empty()) {
            err(
                f,
                "cilium-listener",
                &lp,
                format!("Listener is not allowed with ServerNames ({name})"),
            );
        }
        if has_l7 {
            err(
                f,
                "cilium-listener",
                &lp,
                format!("Listener is not allowed with L7 rules ({name})"),
            );
        }
    }
    if let Some(rules) = pr.rules.as_ref() {
        validate_l7_extras(rules, &format!("{path}.rules"), f);
    }
}

/// The L7 rules palisade keeps as JSON: HTTP `headerMatches`, Kafka and
/// generic `l7` rules (`PortRuleHTTP.Sanitize`, Kafka's `Sanitize`,
/// `PortRuleL7.Sanitize`, and the CRD's enums).
fn validate_l7_extras(rules: &L7Rules, rp: &str, f: &mut Findings) {
    for (i, http) in rules.http.iter().flatten().enumerate() {
        for (field, value) in [("path", &http.path), ("method", &http.method)] {
            if let Some(re) = value.as_deref().filter(|r| !r.is_empty())
                && let Err(e) = regex_syntax::ast::parse::Parser::new().parse(re)
            {
                err(
                    f,
                    "cilium-http-regex",
                    &format!("{rp}.http[{i}].{field}"),
                    format!(
                        "{} is not a regular expression Cilium can compile: {}{}",
                        quote(re),
                        e.kind(),
                        if re.starts_with('*') {
                            " (a path is a regex, not a glob: write `.*` for anything)"
                        } else {
                            ""
                        }
                    ),
                );
            }
        }
        const ACTIONS: &[&str] = &["LOG", "ADD", "DELETE", "REPLACE"];
        for (j, m) in items(&http.extra, "headerMatches").enumerate() {
            let mp = format!("{rp}.http[{i}].headerMatches[{j}]");
            if str_field(m, "name").unwrap_or("").is_empty() {
                f.required(&format!("{mp}.name"), "Header name missing");
            }
            if let Some(action) = str_field(m, "mismatch")
                && !action.is_empty()
                && !ACTIONS.contains(&action)
            {
                f.not_supported(&format!("{mp}.mismatch"), action, ACTIONS)
                    .message = format!(
                    "Invalid header action: {action}; one of {}",
                    ACTIONS.join(", ")
                );
            }
            if let Some(secret) = m.get("secret")
                && str_field(secret, "name").unwrap_or("").is_empty()
            {
                f.required(&format!("{mp}.secret.name"), "Secret name missing");
            }
        }
    }
    for (i, k) in items(&rules.extra, "kafka").enumerate() {
        const ROLES: &[&str] = &["produce", "consume"];
        let kp = format!("{rp}.kafka[{i}]");
        let role = str_field(k, "role").unwrap_or("");
        let api_key = str_field(k, "apiKey").unwrap_or("");
        if !role.is_empty() && !ROLES.contains(&role) {
            f.not_supported(&format!("{kp}.role"), role, ROLES);
        }
        if !role.is_empty() && !api_key.is_empty() {
            err(
                f,
                "cilium-kafka",
                &kp,
                format!(
                    "cannot set both Role {} and APIKey {} together",
                    quote(role),
                    quote(api_key)
                ),
            );
        }
    }
    for (i, rule) in items(&rules.extra, "l7").enumerate() {
        if rule.as_object().is_some_and(|m| m.contains_key("")) {
            err(
                f,
                "cilium-l7-key",
                &format!("{rp}.l7[{i}]"),
                "Empty key not allowed".into(),
            );
        }
    }
}

/// Cilium label keys may carry a source prefix (`k8s:app`, `any:app`,
/// `reserved:host`); the rest is a Kubernetes qualified name.
fn strip_source(key: &str) -> &str {
    match key.split_once(':') {
        Some((src, rest))
            if !src.is_empty() && src.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') =>
        {
            rest
        }
        _ => key,
    }
}

/// An endpoint or node selector (`EndpointSelector.sanitize` and the CRD
/// operator enum, which is case-sensitive).
fn validate_selector(sel: &LabelSelector, path: &str, f: &mut Findings) {
    let ml = format!("{path}.matchLabels");
    for (k, v) in sel.match_labels.iter().flatten() {
        let key = strip_source(k);
        for msg in qualified_name(key) {
            f.invalid(&ml, &quote(k), &msg);
        }
        for msg in label_value(v) {
            f.invalid(&ml, &quote(v), &msg);
        }
    }
    for (i, expr) in sel.match_expressions.iter().flatten().enumerate() {
        let ep = format!("{path}.matchExpressions[{i}]");
        let values = expr.values.as_deref().unwrap_or(&[]);
        match expr.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    f.required(
                        &format!("{ep}.values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    );
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    f.forbidden(
                        &format!("{ep}.values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    );
                }
            }
            op => {
                let hint = ["In", "NotIn", "Exists", "DoesNotExist"]
                    .into_iter()
                    .find(|k| k.eq_ignore_ascii_case(op))
                    .map(|k| format!(" (write `{k}`: operators are case-sensitive)"))
                    .unwrap_or_default();
                f.invalid(
                    &format!("{ep}.operator"),
                    &quote(op),
                    &format!("not a valid selector operator{hint}"),
                );
            }
        }
        for msg in qualified_name(strip_source(&expr.key)) {
            f.invalid(&format!("{ep}.key"), &quote(&expr.key), &msg);
        }
    }
}
