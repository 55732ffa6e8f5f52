//! Small phrase builders shared by both flavours.

use crate::model::LabelSelector;

/// Joins with commas and a final "or"/"and": `a`, `a or b`, `a, b or c`.
pub(super) fn join(items: &[String], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{} {last} {tail}", init.join(", ")),
    }
}

/// Lists longer than this are summarised: the first [`NAMED`] items, then
/// how many more.
pub(super) const LIST_LIMIT: usize = 5;

/// How many items a summarised list names.
pub(super) const NAMED: usize = 3;

/// Joins like [`join`]; a list longer than [`LIST_LIMIT`] is summarised as
/// `640 address ranges: a, b, c, … and 637 more`.
pub(super) fn join_long(items: &[String], last: &str, noun: &str) -> String {
    if items.len() <= LIST_LIMIT {
        return join(items, last);
    }
    format!(
        "{} {noun}: {}, … and {} more",
        items.len(),
        items[..NAMED].join(", "),
        items.len() - NAMED
    )
}

/// One peer of a rule, as an explanation names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PeerPhrase {
    /// An address range: `10.0.0.0/8`, `10.0.0.0/8 except 10.1.0.0/16`,
    /// `CIDR group g` (said as "IP addresses in …").
    Addresses(String),
    /// Anything else, already worded (`pods labelled app=db in …`).
    Other(String),
}

/// Joins a rule's peers with "or". Up to [`LIST_LIMIT`] peers are each
/// named; longer lists are summarised by kind, so a 640-entry allow-list
/// reads `640 address ranges: 49.50.0.0/32, 49.50.0.2/32, 49.50.0.4/32, …
/// and 637 more`.
pub(super) fn peer_list(peers: &[PeerPhrase]) -> String {
    let addresses = |s: &String| format!("IP addresses in {s}");
    if peers.len() <= LIST_LIMIT {
        let words: Vec<String> = peers
            .iter()
            .map(|p| match p {
                PeerPhrase::Addresses(s) => addresses(s),
                PeerPhrase::Other(s) => s.clone(),
            })
            .collect();
        return join(&words, "or");
    }
    let (mut ranges, mut others) = (Vec::new(), Vec::new());
    for p in peers {
        match p {
            PeerPhrase::Addresses(s) => ranges.push(s.clone()),
            PeerPhrase::Other(s) => others.push(s.clone()),
        }
    }
    let mut parts = Vec::new();
    if ranges.len() > LIST_LIMIT {
        parts.push(join_long(&ranges, "or", "address ranges"));
    } else if !ranges.is_empty() {
        parts.push(join(
            &ranges.iter().map(addresses).collect::<Vec<_>>(),
            "or",
        ));
    }
    if !others.is_empty() {
        parts.push(join_long(&others, "or", "peers"));
    }
    join(&parts, "or")
}

/// Joins the parts of a summary ("TCP 80 from …") with "and"; more than
/// [`LIST_LIMIT`] become `what 50 rules allow: a, b, c, … and 47 more`.
pub(super) fn rule_list(parts: &[String]) -> String {
    if parts.len() <= LIST_LIMIT {
        return join(parts, "and");
    }
    format!(
        "what {} rules allow: {}, … and {} more",
        parts.len(),
        parts[..NAMED].join("; "),
        parts.len() - NAMED
    )
}

/// Describes what a selector requires, or `None` when it selects everything:
/// `labelled app=web and tier in (a, b)`.
pub(super) fn selector(sel: &LabelSelector, skip_key: impl Fn(&str) -> bool) -> Option<String> {
    let mut parts = Vec::new();
    for (k, v) in sel.match_labels.iter().flatten() {
        if skip_key(k) {
            continue;
        }
        parts.push(format!("{}={v}", clean_key(k)));
    }
    for e in sel.match_expressions.iter().flatten() {
        if skip_key(&e.key) {
            continue;
        }
        let values = e.values.as_deref().unwrap_or(&[]).join(", ");
        let key = clean_key(&e.key);
        parts.push(match e.operator.as_str() {
            "In" => format!("{key} in ({values})"),
            "NotIn" => format!("{key} not in ({values})"),
            "Exists" => format!("any {key} label"),
            "DoesNotExist" => format!("no {key} label"),
            op => format!("{key} {op} ({values})"),
        });
    }
    (!parts.is_empty()).then(|| format!("labelled {}", join(&parts, "and")))
}

/// `k8s:app` → `app`: a Cilium key without its source prefix, for display.
pub(super) fn clean_key(key: &str) -> &str {
    match key.split_once(':') {
        Some((src, rest))
            if !src.is_empty() && src.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') =>
        {
            rest
        }
        _ => key,
    }
}

/// Capitalises the first letter.
pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_peer_lists_are_summarised() {
        let peers: Vec<PeerPhrase> = (0..640)
            .map(|i| PeerPhrase::Addresses(format!("49.50.{}.{}/32", i / 128, (i % 128) * 2)))
            .collect();
        assert_eq!(
            peer_list(&peers),
            "640 address ranges: 49.50.0.0/32, 49.50.0.2/32, 49.50.0.4/32, … and 637 more"
        );
        // Short lists name every peer, as before.
        assert_eq!(
            peer_list(&peers[..2]),
            "IP addresses in 49.50.0.0/32 or IP addresses in 49.50.0.2/32"
        );
        let mut mixed = peers[..3].to_vec();
        mixed.extend((0..7).map(|i| PeerPhrase::Other(format!("pods labelled app=c{i}"))));
        assert_eq!(
            peer_list(&mixed),
            "IP addresses in 49.50.0.0/32, IP addresses in 49.50.0.2/32 or IP addresses in 49.50.0.4/32 or 7 peers: pods labelled app=c0, pods labelled app=c1, pods labelled app=c2, … and 4 more"
        );
    }

    #[test]
    fn long_rule_lists_are_summarised() {
        let parts: Vec<String> = (0..50).map(|i| format!("TCP {i} from x")).collect();
        assert_eq!(
            rule_list(&parts),
            "what 50 rules allow: TCP 0 from x; TCP 1 from x; TCP 2 from x, … and 47 more"
        );
        assert_eq!(rule_list(&parts[..2]), "TCP 0 from x and TCP 1 from x");
    }
}
