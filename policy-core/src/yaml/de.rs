//! Deserializing model types straight from the source tree.
//!
//! A serde [`Deserializer`] over [`SourceNode`] that behaves as
//! `serde_json::Value`'s does (same coercions, same error messages: "invalid
//! type: string \"http\", expected i32"), except that `null` given for a
//! string is the empty string, as Go's decoding (so the apiserver) reads
//! it; and records the field path of the
//! error as it travels up (`spec.ingress[0].ports[1].port`). Reading the tree
//! directly, rather than converting it to JSON and deserializing through a
//! path-tracking wrapper, saves a copy of every string per keystroke in the
//! page and keeps a second instantiation of every model type's
//! deserializer out of the WASM bundle.

use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, Expected, MapAccess,
    SeqAccess, Unexpected, VariantAccess, Visitor,
};

use crate::source_map::{SourceEntry, SourceNode, SourceValue};

/// One step of an error's path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A deserialization error and where it happened.
#[derive(Debug)]
pub(super) struct Error {
    message: String,
    /// Outermost step first once [`from_node`] returns (innermost first
    /// while the error travels up).
    path: Vec<Step>,
}

impl Error {
    /// The path from the deserialized root to the failing value.
    pub(super) fn path(&self) -> &[Step] {
        &self.path
    }

    /// serde's message, without the path.
    pub(super) fn message(&self) -> &str {
        &self.message
    }

    fn at(mut self, step: Step) -> Self {
        self.path.push(step);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            message: msg.to_string(),
            path: Vec::new(),
        }
    }
}

/// Deserializes `T` from `root`, ignoring the root mapping's `apiVersion`
/// and `kind` (the caller has checked them; the types take them from their
/// variant).
pub(super) fn from_node<T: DeserializeOwned>(root: &SourceNode) -> Result<T, Error> {
    T::deserialize(Node {
        node: root,
        skip_type_keys: true,
    })
    .map_err(|mut e| {
        e.path.reverse();
        e
    })
}

#[derive(Clone, Copy)]
struct Node<'a> {
    node: &'a SourceNode,
    /// Skip `apiVersion` and `kind` (the object's root only).
    skip_type_keys: bool,
}

fn child(node: &SourceNode) -> Node<'_> {
    Node {
        node,
        skip_type_keys: false,
    }
}

fn unexpected(v: &SourceValue) -> Unexpected<'_> {
    match v {
        SourceValue::Null => Unexpected::Unit,
        SourceValue::Bool(b) => Unexpected::Bool(*b),
        SourceValue::Number(n) => {
            if let Some(u) = n.as_u64() {
                Unexpected::Unsigned(u)
            } else if let Some(i) = n.as_i64() {
                Unexpected::Signed(i)
            } else {
                Unexpected::Float(n.as_f64().unwrap_or(0.0))
            }
        }
        SourceValue::String(s) => Unexpected::Str(s),
        SourceValue::Seq(_) => Unexpected::Seq,
        SourceValue::Map(_) => Unexpected::Map,
    }
}

impl<'a> Node<'a> {
    fn invalid_type(&self, exp: &dyn Expected) -> Error {
        de::Error::invalid_type(unexpected(&self.node.value), exp)
    }

    fn visit_seq<'de, V: Visitor<'de>>(
        items: &'a [SourceNode],
        visitor: V,
    ) -> Result<V::Value, Error>
    where
        'a: 'de,
    {
        let mut access = Seq { items, next: 0 };
        let value = visitor.visit_seq(&mut access)?;
        if access.next < items.len() {
            return Err(de::Error::invalid_length(
                items.len(),
                &"fewer elements in array",
            ));
        }
        Ok(value)
    }

    fn visit_map<'de, V: Visitor<'de>>(
        self,
        entries: &'a [SourceEntry],
        visitor: V,
    ) -> Result<V::Value, Error>
    where
        'a: 'de,
    {
        let mut access = Map {
            entries,
            next: 0,
            value: None,
            skip_type_keys: self.skip_type_keys,
        };
        visitor.visit_map(&mut access)
    }
}

impl<'de> Deserializer<'de> for Node<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            SourceValue::Null => visitor.visit_unit(),
            SourceValue::Bool(b) => visitor.visit_bool(*b),
            SourceValue::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(0.0))
                }
            }
            SourceValue::String(s) => visitor.visit_borrowed_str(s),
            SourceValue::Seq(items) => Node::visit_seq(items, visitor),
            SourceValue::Map(entries) => self.visit_map(entries, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            SourceValue::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            SourceValue::Null => visitor.visit_unit(),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            SourceValue::Bool(b) => visitor.visit_bool(b),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            SourceValue::String(s) => visitor.visit_borrowed_str(s),
            // Go's JSON decoding, and so the apiserver's, leaves a string
            // that is given `null` empty: `matchLabels: {app: }` is the
            // label value "" (an optional field is still absent).
            SourceValue::Null => visitor.visit_borrowed_str(""),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            SourceValue::String(s) => visitor.visit_borrowed_str(s),
            SourceValue::Seq(items) => Node::visit_seq(items, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            SourceValue::Seq(items) => Node::visit_seq(items, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            SourceValue::Map(entries) => self.visit_map(entries, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            SourceValue::Map(entries) => self.visit_map(entries, visitor),
            SourceValue::Seq(items) => Node::visit_seq(items, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            SourceValue::String(s) => visitor.visit_enum(Enum {
                variant: s,
                value: None,
            }),
            SourceValue::Map(entries) if entries.len() == 1 => visitor.visit_enum(Enum {
                variant: &entries[0].key,
                value: Some(&entries[0].value),
            }),
            SourceValue::Map(_) => Err(de::Error::invalid_value(
                Unexpected::Map,
                &"map with a single key",
            )),
            other => Err(de::Error::invalid_type(unexpected(other), &"string or map")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
    }
}

struct Seq<'a> {
    items: &'a [SourceNode],
    next: usize,
}

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.items.get(self.next) else {
            return Ok(None);
        };
        let index = self.next;
        self.next += 1;
        seed.deserialize(child(item))
            .map(Some)
            .map_err(|e| e.at(Step::Index(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}

struct Map<'a> {
    entries: &'a [SourceEntry],
    next: usize,
    value: Option<&'a SourceEntry>,
    skip_type_keys: bool,
}

impl<'de> MapAccess<'de> for Map<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        loop {
            let Some(entry) = self.entries.get(self.next) else {
                return Ok(None);
            };
            self.next += 1;
            if self.skip_type_keys && (entry.key == "apiVersion" || entry.key == "kind") {
                continue;
            }
            self.value = Some(entry);
            return seed
                .deserialize(BorrowedStrDeserializer::<Error>::new(&entry.key))
                .map(Some);
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let entry = self
            .value
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("value requested before its key"))?;
        seed.deserialize(child(&entry.value))
            .map_err(|e| e.at(Step::Key(entry.key.clone())))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}

struct Enum<'a> {
    variant: &'a str,
    value: Option<&'a SourceNode>,
}

impl<'de> EnumAccess<'de> for Enum<'de> {
    type Error = Error;
    type Variant = Variant<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Variant<'de>), Error> {
        let variant = seed.deserialize(BorrowedStrDeserializer::<Error>::new(self.variant))?;
        Ok((variant, Variant { value: self.value }))
    }
}

struct Variant<'a> {
    value: Option<&'a SourceNode>,
}

impl<'de> VariantAccess<'de> for Variant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            None => Ok(()),
            Some(node) => match node.value {
                SourceValue::Null => Ok(()),
                ref other => Err(de::Error::invalid_type(unexpected(other), &"unit variant")),
            },
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.value {
            Some(node) => seed.deserialize(child(node)),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"newtype variant",
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Some(node) => child(node).deserialize_seq(visitor),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"tuple variant",
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Some(node) => child(node).deserialize_map(visitor),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"struct variant",
            )),
        }
    }
}
