//! Canonical YAML out.
//!
//! Objects go through `serde_json::Value` (so every flavour is handled the
//! same way) and are written in block style with keys sorted recursively,
//! which is the order `kubectl get -o yaml` prints: `apiVersion`, `kind`,
//! `metadata`, `spec`. Sorting here, rather than relying on struct field
//! order or on `serde_json`'s map type, keeps the output stable whatever
//! features other crates enable. The writer is our own (a few dozen lines
//! for the subset JSON values need), which keeps a full YAML library out of
//! the page's WASM bundle.

use serde_json::Value;

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
        Object::Namespace(n) => {
            let mut v = serde_json::to_value(n).take_value();
            if let Value::Object(m) = &mut v {
                m.insert("apiVersion".into(), Value::String("v1".into()));
                m.insert("kind".into(), Value::String("Namespace".into()));
            }
            v
        }
        Object::Pod(p) => {
            let mut v = match &p.source {
                Some(source) => source.clone(),
                None => serde_json::to_value(p).take_value(),
            };
            if let Value::Object(m) = &mut v {
                m.insert("apiVersion".into(), Value::String("v1".into()));
                m.insert("kind".into(), Value::String("Pod".into()));
            }
            v
        }
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

fn emit_json(v: &Value) -> String {
    let mut out = String::with_capacity(256);
    match v {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        scalar => {
            write_inline(&mut out, scalar, 2);
            out.push('\n');
        }
    }
    out
}

// Block style as `kubectl get -o yaml` (and libyaml) writes it: two-space
// indentation, sequences inside mappings not indented, keys sorted, empty
// collections inline (`{}`, `[]`).

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// The longest key written implicitly (`key: value`): YAML allows 1024
/// characters, quotes and escapes included; longer keys are written
/// explicitly (`? key` then `: value`).
const MAX_IMPLICIT_KEY: usize = 1024;

/// A mapping's entries, each starting at column `at` (the first one's
/// indentation already written when the caller is a sequence item).
fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, at: usize) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    let mut key = String::new();
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 {
            indent(out, at);
        }
        key.clear();
        write_string(&mut key, k);
        if key.chars().count() > MAX_IMPLICIT_KEY {
            out.push_str("? ");
            out.push_str(&key);
            out.push('\n');
            indent(out, at);
            out.push_str(": ");
            // The value as a sequence item's: the first line after `: `.
            match &m[k] {
                Value::Object(c) if !c.is_empty() => write_map(out, c, at + 2),
                Value::Array(a) if !a.is_empty() => write_seq(out, a, at + 2),
                scalar => {
                    write_inline(out, scalar, at + 2);
                    out.push('\n');
                }
            }
            continue;
        }
        out.push_str(&key);
        out.push(':');
        match &m[k] {
            Value::Object(c) if !c.is_empty() => {
                out.push('\n');
                indent(out, at + 2);
                write_map(out, c, at + 2);
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                indent(out, at);
                write_seq(out, a, at);
            }
            scalar => {
                out.push(' ');
                write_inline(out, scalar, at + 2);
                out.push('\n');
            }
        }
    }
}

/// A sequence's items, each `- ` at column `at` (the first one's
/// indentation already written).
fn write_seq(out: &mut String, items: &[Value], at: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            indent(out, at);
        }
        out.push_str("- ");
        match item {
            Value::Object(c) if !c.is_empty() => write_map(out, c, at + 2),
            Value::Array(a) if !a.is_empty() => write_seq(out, a, at + 2),
            scalar => {
                write_inline(out, scalar, at + 2);
                out.push('\n');
            }
        }
    }
}

/// A scalar or an empty collection; multi-line strings become literal
/// blocks whose lines are indented to `block_at`.
fn write_inline(out: &mut String, v: &Value, block_at: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) if literal_block_fits(s) => write_literal_block(out, s, block_at),
        Value::String(s) => write_string(out, s),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// A string: plain when YAML reads it back as the same string, else
/// single-quoted, else (control characters, line breaks) double-quoted.
fn write_string(out: &mut String, s: &str) {
    if s.chars().any(needs_escape) {
        write_double_quoted(out, s);
    } else if plain_is_safe(s) {
        out.push_str(s);
    } else {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    }
}

/// Whether a multi-line string reads back exactly from a literal block
/// (`|`): printable, some content, at most one final line break, and no line that the block's
/// indentation rules would change (a leading space on the first non-empty
/// line, whitespace-only lines).
fn literal_block_fits(s: &str) -> bool {
    s.contains('\n')
        && !s.trim().is_empty()
        && !s.trim_start_matches('\n').starts_with(' ')
        && !s.chars().any(|c| c != '\n' && needs_escape(c))
        && s.split('\n').all(|l| l.is_empty() || !l.trim().is_empty())
        && !s.ends_with("\n\n")
}

/// `|-` (no final line break) or `|` (one), then the lines. (Several final
/// line breaks, which `|+` would need, are written double-quoted: readers
/// disagree on trailing empty lines.)
fn write_literal_block(out: &mut String, s: &str, at: usize) {
    let body = s.strip_suffix('\n');
    out.push_str(if body.is_some() { "|" } else { "|-" });
    for line in body.unwrap_or(s).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(out, at);
            out.push_str(line);
        }
    }
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{fffe}' | '\u{ffff}'
        )
}

fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let n = u32::from(c);
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02X}"));
                } else {
                    out.push_str(&format!("\\u{n:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether `s` can be written without quotes and still read back as this
/// string, by our reader (YAML 1.2) and by YAML 1.1 readers such as older
/// go-yaml (which take `yes`, `on`, `0755` and `1:20` for other types).
fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let second = s[first.len_utf8()..].chars().next();
    if first.is_whitespace() || s.ends_with(char::is_whitespace) {
        return false;
    }
    if "#,[]{}&*!|>'\"%@`".contains(first) {
        return false;
    }
    if matches!(first, '-' | '?' | ':') && second.is_none_or(char::is_whitespace) {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    // A plain `<<` key is a merge key.
    if s == "<<" {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if is_yaml_special_word(s) {
        return false;
    }
    !(super::reader::resolve_number(s).is_some() || is_yaml11_number(s) || is_yaml11_timestamp(s))
}

/// YAML 1.1 timestamps (`2026-11-25`, `2026-11-25T10:00:00Z`), which 1.1
/// readers turn into dates.
fn is_yaml11_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5].is_ascii_digit()
}

/// YAML 1.1 number forms that YAML 1.2 reads as strings: `1_000`, `0b101`,
/// sexagesimal `1:20`.
fn is_yaml11_number(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !body.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    if let Some(bin) = body.strip_prefix("0b") {
        return bin.chars().all(|c| matches!(c, '0' | '1' | '_'));
    }
    let digits_and = |extra: &str| {
        body.chars()
            .all(|c| c.is_ascii_digit() || extra.contains(c))
    };
    (body.contains('_') && digits_and("_.")) || (body.contains(':') && digits_and(":._"))
}

fn is_yaml_special_word(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf",
        ".nan",
    ];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
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
