//! The CIDR lints both flavours share: PA015 (host bits set) and PA005
//! (an ipBlock over the private ranges pods live in).

use ipnet::IpNet;
use serde_json::json;

use super::Lints;
use super::fix::{append_item, insert_entry, replace_value, single};
use crate::diagnostic::TextEdit;
use crate::model::cidr::{parse_cilium_cidr, parse_ip_block_cidr};

/// Private ranges pod and service IPs usually come from.
pub const PRIVATE_RANGES: &[&str] = &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"];

/// PA015 for one CIDR at `field`: host bits set.
pub(super) fn non_canonical_cidr(cidr: &str, field: &str, l: &mut Lints<'_>) {
    // A bare address (Cilium) is a host prefix: always canonical.
    let Some(n) = parse_cilium_cidr(cidr) else {
        return;
    };
    if n.trunc() == n {
        return;
    }
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
        format!("{cidr} has host bits set; it means {fixed}"),
        fix,
    );
}

/// PA005 for a Kubernetes ipBlock at `path` (`cidr_key` and `except_key`
/// name its fields).
pub(super) fn ipblock_covers_cluster(
    cidr: &str,
    except: &[String],
    path: &str,
    cidr_key: &str,
    except_key: &str,
    l: &mut Lints<'_>,
) {
    let Some(net) = parse_ip_block_cidr(cidr) else {
        return;
    };
    let net = net.trunc();
    let excepts: Vec<IpNet> = except
        .iter()
        .filter_map(|e| parse_ip_block_cidr(e))
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
