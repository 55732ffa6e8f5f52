//! Finding repeated and shadowed rules without comparing every pair.
//!
//! PA009 (a rule repeats an earlier one) and PA010 (another rule allows
//! everything this one allows) used to compare each rule with every other:
//! quadratic in the rules, which a generated 1,000-rule policy makes
//! visible on every keystroke. Here values are interned (hashed with their
//! object keys sorted, equal values share an id), duplicates are found with
//! one hash map, and covering rules are looked up through the rules that
//! contain a rule's rarest peer or port.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;

/// Gives equal JSON values the same small id.
#[derive(Default)]
pub(crate) struct Interner {
    by_hash: HashMap<u64, Vec<(Value, u32)>>,
    next: u32,
}

impl Interner {
    /// The id of `value` (a new one the first time it is seen).
    pub(crate) fn intern(&mut self, value: Value) -> u32 {
        let mut h = DefaultHasher::new();
        hash_value(&value, &mut h);
        let bucket = self.by_hash.entry(h.finish()).or_default();
        if let Some((_, id)) = bucket.iter().find(|(v, _)| *v == value) {
            return *id;
        }
        let id = self.next;
        self.next += 1;
        bucket.push((value, id));
        id
    }
}

/// Hashes a JSON value so that equal values hash equal whatever the order
/// of their object keys.
fn hash_value(v: &Value, h: &mut impl Hasher) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n.to_string()).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(items) => {
            (4u8, items.len()).hash(h);
            for item in items {
                hash_value(item, h);
            }
        }
        Value::Object(map) => {
            (5u8, map.len()).hash(h);
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            for k in keys {
                k.hash(h);
                hash_value(&map[k.as_str()], h);
            }
        }
    }
}

/// For each value, the index of the first earlier value equal to it.
pub(crate) fn first_repeats(ids: &[u32]) -> Vec<Option<usize>> {
    let mut first: HashMap<u32, usize> = HashMap::with_capacity(ids.len());
    ids.iter()
        .enumerate()
        .map(|(i, id)| match first.get(id) {
            Some(&k) => Some(k),
            None => {
                first.insert(*id, i);
                None
            }
        })
        .collect()
}

/// A rule reduced to what covering depends on.
pub(crate) struct RuleShape {
    /// Id of the whole rule (equal rules share it).
    pub exact: u32,
    /// Ids of its peers, sorted and deduplicated; empty means every peer.
    pub peers: Vec<u32>,
    /// Ids of its ports, sorted and deduplicated; empty means every port.
    pub ports: Vec<u32>,
}

/// Whether sorted `small` is a subset of sorted `big`.
fn subset(small: &[u32], big: &[u32]) -> bool {
    let mut j = 0;
    for x in small {
        while j < big.len() && big[j] < *x {
            j += 1;
        }
        if j == big.len() || big[j] != *x {
            return false;
        }
        j += 1;
    }
    true
}

/// Whether `a` allows everything `b` allows: every peer (or a superset of
/// b's peers) on every port (or a superset of b's ports).
fn covers(a: &RuleShape, b: &RuleShape) -> bool {
    let peers_ok = a.peers.is_empty() || (!b.peers.is_empty() && subset(&b.peers, &a.peers));
    let ports_ok = a.ports.is_empty() || (!b.ports.is_empty() && subset(&b.ports, &a.ports));
    peers_ok && ports_ok
}

/// Rules indexed by the peers and ports they hold.
struct Postings {
    /// Rules with no peer restriction.
    all: Vec<usize>,
    /// Rules holding each id, in rule order.
    holding: HashMap<u32, Vec<usize>>,
}

impl Postings {
    fn new<'a>(sets: impl Iterator<Item = &'a [u32]>) -> Postings {
        let mut p = Postings {
            all: Vec::new(),
            holding: HashMap::new(),
        };
        for (i, set) in sets.enumerate() {
            if set.is_empty() {
                p.all.push(i);
            }
            for id in set {
                p.holding.entry(*id).or_default().push(i);
            }
        }
        p
    }

    /// The rules that may cover a rule holding `set`: the unrestricted
    /// ones, and those holding its rarest element.
    fn candidates(&self, set: &[u32]) -> [&[usize]; 2] {
        let rarest = set
            .iter()
            .filter_map(|id| self.holding.get(id))
            .min_by_key(|l| l.len())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        [&self.all, rarest]
    }
}

/// For each rule, the first other rule that covers it without being equal
/// to it. Candidates come from the smaller of the peer-side and port-side
/// postings, so the work per rule is bounded by how many rules share its
/// rarest peer or port, not by the number of rules.
pub(crate) fn first_covering(rules: &[RuleShape]) -> Vec<Option<usize>> {
    let by_peer = Postings::new(rules.iter().map(|r| r.peers.as_slice()));
    let by_port = Postings::new(rules.iter().map(|r| r.ports.as_slice()));
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let peer_side = by_peer.candidates(&r.peers);
            let port_side = by_port.candidates(&r.ports);
            let size = |s: &[&[usize]; 2]| s[0].len() + s[1].len();
            let side = if size(&peer_side) <= size(&port_side) {
                peer_side
            } else {
                port_side
            };
            side.iter()
                .filter_map(|list| {
                    list.iter()
                        .copied()
                        .find(|&k| k != i && rules[k].exact != r.exact && covers(&rules[k], r))
                })
                .min()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape(exact: u32, peers: &[u32], ports: &[u32]) -> RuleShape {
        RuleShape {
            exact,
            peers: peers.to_vec(),
            ports: ports.to_vec(),
        }
    }

    #[test]
    fn equal_values_share_an_id_whatever_the_key_order() {
        let mut i = Interner::default();
        let a = i.intern(json!({"a": 1, "b": [1, {"c": null}]}));
        let b = i.intern(serde_json::from_str(r#"{"b": [1, {"c": null}], "a": 1}"#).unwrap());
        let c = i.intern(json!({"a": 1, "b": [1, {"c": 2}]}));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            first_repeats(&[a, c, b, c]),
            vec![None, None, Some(0), Some(1)]
        );
    }

    #[test]
    fn covering_matches_the_pairwise_definition() {
        // Brute force over small random shapes: the indexed search finds
        // exactly what comparing every pair finds.
        let mut seed = 7u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for _ in 0..200 {
            let n = 1 + next(12) as usize;
            let rules: Vec<RuleShape> = (0..n)
                .map(|_| {
                    let mut peers: Vec<u32> = (0..next(3)).map(|_| next(4) as u32).collect();
                    let mut ports: Vec<u32> = (0..next(3)).map(|_| next(3) as u32).collect();
                    peers.sort_unstable();
                    peers.dedup();
                    ports.sort_unstable();
                    ports.dedup();
                    let exact = (peers.iter().fold(0, |a, p| a * 5 + p + 1)) * 100
                        + ports.iter().fold(0, |a, p| a * 5 + p + 1);
                    shape(exact, &peers, &ports)
                })
                .collect();
            let brute: Vec<Option<usize>> = (0..n)
                .map(|i| {
                    (0..n).find(|&k| {
                        k != i && rules[k].exact != rules[i].exact && covers(&rules[k], &rules[i])
                    })
                })
                .collect();
            assert_eq!(first_covering(&rules), brute);
        }
    }
}
