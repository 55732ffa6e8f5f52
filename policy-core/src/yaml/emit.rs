//! Canonical YAML out.
//!
//! Objects go through `serde_json::Value` (so every flavour is handled the
//! same way), then into a YAML mapping whose keys are sorted recursively,
//! which is the order `kubectl get -o yaml` prints: `apiVersion`, `kind`,
//! `metadata`, `spec`. Sorting here, rather than relying on struct field
//! order or on `serde_json`'s map type, keeps the output stable whatever
//! features other crates enable.

use serde_json::Value;
use serde_yaml::{Mapping, Value as Yaml};

use super::Object;
use crate::model::Policy;

/// A policy as a JSON value, with `apiVersion` and `kind`.
pub fn policy_to_json(policy: &Policy) -> Value {
    let (mut v, kind) = match policy {
        Policy::NetworkPolicy(p) => (serde_json::to_value(p), policy.kind()),
        Policy::CiliumNetworkPolicy(p) | Policy::CiliumClusterwideNetworkPolicy(p) => {
            (serde_json::to_value(p), policy.kind())
        }
    };
    let mut v = v.take_value();
    if let Value::Object(m) = &mut v {
        m.insert(
            "apiVersion".into(),
            Value::String(kind.api_version().into()),
        );
        m.insert("kind".into(), Value::String(kind.as_str().into()));
    }
    v
}

/// Any object as a JSON value, with `apiVersion` and `kind`.
pub fn object_to_json(object: &Object) -> Value {
    match object {
        Object::Policy(p) => policy_to_json(p),
        Object::Namespace(n) => serde_json::to_value(n).take_value(),
        Object::Pod(p) => serde_json::to_value(p).take_value(),
    }
}

trait TakeValue {
    fn take_value(&mut self) -> Value;
}

impl TakeValue for Result<Value, serde_json::Error> {
    /// Serializing the model to JSON cannot fail (string keys, finite
    /// numbers); should it ever, an empty object is emitted rather than a panic.
    fn take_value(&mut self) -> Value {
        match self {
            Ok(v) => std::mem::take(v),
            Err(_) => Value::Object(serde_json::Map::new()),
        }
    }
}

fn to_yaml(v: &Value) -> Yaml {
    match v {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Yaml::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Yaml::Number(u.into())
            } else {
                Yaml::Number(n.as_f64().unwrap_or(0.0).into())
            }
        }
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(items) => Yaml::Sequence(items.iter().map(to_yaml).collect()),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Mapping::new();
            for k in keys {
                out.insert(Yaml::String(k.clone()), to_yaml(&m[k]));
            }
            Yaml::Mapping(out)
        }
    }
}

fn emit_json(v: &Value) -> String {
    serde_yaml::to_string(&to_yaml(v)).unwrap_or_default()
}

/// One policy as canonical YAML (ends with a newline).
pub fn emit_policy(policy: &Policy) -> String {
    emit_json(&policy_to_json(policy))
}

/// Policies as a multi-document YAML stream joined with `---`.
pub fn emit_policies(policies: &[Policy]) -> String {
    join(policies.iter().map(emit_policy))
}

/// One object as canonical YAML.
pub fn emit_object(object: &Object) -> String {
    emit_json(&object_to_json(object))
}

/// Objects as a multi-document YAML stream joined with `---`.
pub fn emit_objects(objects: &[Object]) -> String {
    join(objects.iter().map(emit_object))
}

fn join(docs: impl Iterator<Item = String>) -> String {
    docs.collect::<Vec<_>>().join("---\n")
}

/// A JSON value as block YAML (keys sorted), for text edits that insert or
/// replace part of a document. Ends without a newline.
pub fn value_to_block_yaml(value: &Value) -> String {
    let mut s = emit_json(value);
    while s.ends_with('\n') {
        s.pop();
    }
    s
}
