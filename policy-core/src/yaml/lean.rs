//! The lean reader: a JSON text (what `kubectl get -o json` prints) read
//! straight into the typed objects with serde_json, keeping no source
//! positions.
//!
//! The span-keeping reader ([`super::parse_documents`]) builds a tree with
//! a position for every node and a [`super::SourceMap`] per object: about
//! fifty times the text's size for a cluster dump (234 MB for a 4.3 MB dump
//! of 5,000 pods). A cluster needs none of it when the text is valid, and
//! positions matter only for diagnostics. So [`read_lean`] takes only texts
//! on which the span-keeping reader would report nothing, and declines
//! (`None`) anything else: syntax errors, duplicate keys, a missing or
//! unexpected `kind` or `apiVersion`, a value of the wrong type, an item of
//! a typed `List` without its own `kind`, and the few inputs where JSON and
//! YAML readers could disagree (non-integer numbers, integers beyond `i64`,
//! surrogate escapes, nesting near the depth limit). The caller then reads
//! the text with the span-keeping reader, whose diagnostics carry
//! `line:column`. `tests` holds the two readers to the same objects.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{Object, expected_api_version};
use crate::model::cilium::CiliumPolicy;
use crate::model::{Namespace, NetworkPolicy, Pod, Policy};

/// One object of a text read by [`read_lean`].
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // as `Object`: built once, moved into place
pub enum LeanObject<'a> {
    /// A policy, Namespace or Pod, as [`super::parse_documents`] reads it
    /// (a pod without [`Pod::source`]).
    Object(Object),
    /// An object of another kind, with its JSON text.
    Other {
        /// Its `kind`.
        kind: String,
        /// The object's JSON text.
        json: &'a str,
    },
}

/// Deeper nesting than this is declined (the span-keeping reader's limit
/// is [`super::reader::MAX_DEPTH`]; serde_json's is 128).
const MAX_LEAN_DEPTH: usize = 100;

/// Reads a JSON text (one object, or a `List` of them) without positions,
/// in source order. `None` when the text is not JSON, or when the
/// span-keeping reader would have something to say about it: read it with
/// [`super::parse_documents`] then.
pub fn read_lean(text: &str) -> Option<Vec<LeanObject<'_>>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.trim_start().starts_with('{') || has_surrogate_escape(text) {
        return None;
    }
    let mut check = serde_json::Deserializer::from_str(text);
    Plain { depth: 0 }.deserialize(&mut check).ok()?;
    check.end().ok()?;
    let mut out = Vec::new();
    read_value(text, &mut out)?;
    Some(out)
}

/// `\uD800`–`\uDFFF` escapes: serde_json joins surrogate pairs, YAML
/// readers may not.
fn has_surrogate_escape(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && matches!(w[2], b'd' | b'D'))
}

/// The fields every object is first looked at for.
#[derive(serde::Deserialize)]
struct Head<'a> {
    kind: Option<String>,
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(borrow)]
    items: Option<&'a RawValue>,
}

/// Reads the object (or `List`) whose JSON text is `json` into `out`.
fn read_value<'a>(json: &'a str, out: &mut Vec<LeanObject<'a>>) -> Option<()> {
    let json = json.trim();
    if json == "null" {
        return Some(());
    }
    if !json.starts_with('{') {
        return None;
    }
    let head: Head<'a> = serde_json::from_str(json).ok()?;
    let kind = head.kind?;
    if kind == "List" || (kind.ends_with("List") && head.items.is_some()) {
        let Some(items) = head.items else {
            return Some(());
        };
        let items = items.get().trim();
        if items == "null" {
            return Some(());
        }
        let items: Vec<&'a RawValue> = serde_json::from_str(items).ok()?;
        // An item without its own kind (which the span reader takes from
        // a typed List) is declined by `read_value`.
        for item in items {
            read_value(item.get(), out)?;
        }
        return Some(());
    }
    let Some(expected) = expected_api_version(&kind) else {
        out.push(LeanObject::Other { kind, json });
        return Some(());
    };
    if head.api_version.as_deref() != Some(expected) {
        return None;
    }
    let object = match kind.as_str() {
        "NetworkPolicy" => Object::Policy(Policy::NetworkPolicy(
            serde_json::from_str::<NetworkPolicy>(json).ok()?,
        )),
        "CiliumNetworkPolicy" => Object::Policy(Policy::CiliumNetworkPolicy(cilium(json)?)),
        "CiliumClusterwideNetworkPolicy" => {
            Object::Policy(Policy::CiliumClusterwideNetworkPolicy(cilium(json)?))
        }
        "Namespace" => Object::Namespace(serde_json::from_str::<Namespace>(json).ok()?),
        _ => Object::Pod(serde_json::from_str::<Pod>(json).ok()?),
    };
    out.push(LeanObject::Object(object));
    Some(())
}

/// A Cilium policy. Its unmodelled top-level fields are kept in `extra`,
/// which must not hold the `apiVersion` and `kind` the variant stands for:
/// the span reader skips them at the root (`de::from_node`), so they are
/// taken out here.
fn cilium(json: &str) -> Option<CiliumPolicy> {
    let mut policy: CiliumPolicy = serde_json::from_str(json).ok()?;
    policy.extra.remove("apiVersion");
    policy.extra.remove("kind");
    Some(policy)
}

/// Walks a JSON value and fails on what the lean reader declines:
/// duplicate keys, non-integer numbers, integers beyond `i64`, deep
/// nesting.
struct Plain {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Plain {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Plain {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        if i64::try_from(v).is_err() {
            return Err(E::custom("integer beyond i64"));
        }
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom("a non-integer number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let depth = self.deeper()?;
        while seq.next_element_seed(Plain { depth })?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let depth = self.deeper()?;
        let mut keys: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(key) = map.next_key_seed(Key)? {
            if !keys.insert(key) {
                return Err(de::Error::custom("duplicate key"));
            }
            map.next_value_seed(Plain { depth })?;
        }
        Ok(())
    }
}

impl Plain {
    fn deeper<E: de::Error>(&self) -> Result<usize, E> {
        if self.depth >= MAX_LEAN_DEPTH {
            return Err(E::custom("nested too deep"));
        }
        Ok(self.depth + 1)
    }
}

/// A map key, borrowed from the text when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}
