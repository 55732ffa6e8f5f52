//! Where things are in the source text.
//!
//! The YAML reader ([`crate::yaml`]) keeps, next to each typed object, the
//! raw document tree with the span of every key and value: a
//! [`SourceNode`]. A [`SourceMap`] wraps that tree and answers "where is
//! `spec.ingress[0].from[1].ipBlock.except[0]`?" with a line, a column and
//! byte offsets, so every diagnostic can point at its line and every lint
//! fix can edit the right bytes.
//!
//! Field paths use the apiserver's syntax: `.name` for a mapping key and
//! `[i]` for a sequence index. A path that does not exist in the source (a
//! missing field) resolves to the deepest part that does, so a diagnostic
//! about a missing `spec.policyTypes` points at `spec:`.

use serde_json::{Map, Number, Value};

/// A point in the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// Byte offset from the start of the text.
    pub offset: usize,
}

/// A range of the source text: `start` inclusive, `end` exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SourceSpan {
    /// First character.
    pub start: Position,
    /// One past the last character.
    pub end: Position,
}

/// A value of the raw document tree.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceValue {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer or a float.
    Number(Number),
    /// A string (quoted, or a plain scalar that is nothing else).
    String(String),
    /// A sequence.
    Seq(Vec<SourceNode>),
    /// A mapping, in source order. Keys are strings.
    Map(Vec<SourceEntry>),
}

/// One `key: value` pair of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceEntry {
    /// The key.
    pub key: String,
    /// Where the key is.
    pub key_span: SourceSpan,
    /// The value.
    pub value: SourceNode,
}

/// A node of the raw document tree, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceNode {
    /// The value.
    pub value: SourceValue,
    /// Where the value is. For block collections this runs from the first
    /// key or item to the end of the last one.
    pub span: SourceSpan,
}

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    /// `.name`
    Key(String),
    /// `[i]`
    Index(usize),
}

/// Splits `spec.ingress[0].from[1]` into its segments. Keys may not contain
/// `.` or `[`; label keys inside `matchLabels` are written
/// `matchLabels.app.kubernetes.io/name` by nobody, so this is enough for the
/// paths Palisade produces.
pub fn parse_field_path(path: &str) -> Vec<PathSegment> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !key.is_empty() {
                    out.push(PathSegment::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                if !key.is_empty() {
                    out.push(PathSegment::Key(std::mem::take(&mut key)));
                }
                let mut digits = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    digits.push(d);
                }
                match digits.parse::<usize>() {
                    Ok(i) => out.push(PathSegment::Index(i)),
                    // `[key]` form (e.g. matchLabels[app]): treat as a key.
                    Err(_) => out.push(PathSegment::Key(digits)),
                }
            }
            _ => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(PathSegment::Key(key));
    }
    out
}

impl SourceNode {
    /// The entry for `key`, when this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&SourceEntry> {
        match &self.value {
            SourceValue::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The value under `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&SourceNode> {
        self.entry(key).map(|e| &e.value)
    }

    /// The `i`-th item, when this is a sequence that long.
    pub fn item(&self, i: usize) -> Option<&SourceNode> {
        match &self.value {
            SourceValue::Seq(items) => items.get(i),
            _ => None,
        }
    }

    /// The string value, when this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            SourceValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// Number of nodes in this subtree (for alias-expansion budgets).
    pub fn count(&self) -> usize {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            n += 1;
            match &node.value {
                SourceValue::Seq(items) => stack.extend(items.iter()),
                SourceValue::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
                _ => {}
            }
        }
        n
    }

    /// The tree as a JSON value (keys in source order are not kept: JSON
    /// maps are sorted). The tree depth is bounded by the reader, so the
    /// recursion is too.
    pub fn to_json(&self) -> Value {
        match &self.value {
            SourceValue::Null => Value::Null,
            SourceValue::Bool(b) => Value::Bool(*b),
            SourceValue::Number(n) => Value::Number(n.clone()),
            SourceValue::String(s) => Value::String(s.clone()),
            SourceValue::Seq(items) => {
                Value::Array(items.iter().map(SourceNode::to_json).collect())
            }
            SourceValue::Map(entries) => {
                let mut map = Map::new();
                for e in entries {
                    map.insert(e.key.clone(), e.value.to_json());
                }
                Value::Object(map)
            }
        }
    }
}

/// Where a field path is, as found by [`SourceMap::locate`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Located<'a> {
    /// The deepest node on the path that exists.
    pub node: &'a SourceNode,
    /// The span of the key naming that node, when it was reached by a key.
    pub key_span: Option<SourceSpan>,
    /// Whether the whole path exists (`false`: `node` is an ancestor).
    pub exact: bool,
}

/// Field path → source position, for one object.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceMap {
    root: SourceNode,
}

impl SourceMap {
    /// Wraps an object's raw tree.
    pub fn new(root: SourceNode) -> Self {
        SourceMap { root }
    }

    /// The raw tree of the object.
    pub fn root(&self) -> &SourceNode {
        &self.root
    }

    /// Walks `path` as far as it exists.
    pub fn locate(&self, path: &str) -> Located<'_> {
        let mut node = &self.root;
        let mut key_span = None;
        for seg in parse_field_path(path) {
            let next = match &seg {
                PathSegment::Key(k) => node.entry(k).map(|e| (&e.value, Some(e.key_span))),
                PathSegment::Index(i) => node.item(*i).map(|n| (n, None)),
            };
            match next {
                Some((n, ks)) => {
                    node = n;
                    key_span = ks;
                }
                None => {
                    return Located {
                        node,
                        key_span,
                        exact: false,
                    };
                }
            }
        }
        Located {
            node,
            key_span,
            exact: true,
        }
    }

    /// The node at exactly `path`, if it exists.
    pub fn node(&self, path: &str) -> Option<&SourceNode> {
        let loc = self.locate(path);
        loc.exact.then_some(loc.node)
    }

    /// The position a diagnostic about `path` should point at: the key of
    /// the field when it has one (`port:` rather than its value), else the
    /// value; for a missing field, its deepest existing ancestor.
    pub fn position(&self, path: &str) -> Position {
        let loc = self.locate(path);
        let key_start = loc.key_span.map(|k| k.start);
        if loc.exact && !matches!(loc.node.value, SourceValue::Seq(_) | SourceValue::Map(_)) {
            loc.node.span.start
        } else {
            key_start.unwrap_or(loc.node.span.start)
        }
    }

    /// The span of the value at exactly `path`.
    pub fn span(&self, path: &str) -> Option<SourceSpan> {
        self.node(path).map(|n| n.span)
    }

    /// The span of the key naming the field at exactly `path`.
    pub fn key_span(&self, path: &str) -> Option<SourceSpan> {
        let loc = self.locate(path);
        if loc.exact { loc.key_span } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths() {
        assert_eq!(
            parse_field_path("spec.ingress[0].from[12].ipBlock"),
            vec![
                PathSegment::Key("spec".into()),
                PathSegment::Key("ingress".into()),
                PathSegment::Index(0),
                PathSegment::Key("from".into()),
                PathSegment::Index(12),
                PathSegment::Key("ipBlock".into()),
            ]
        );
        assert_eq!(parse_field_path(""), vec![]);
        assert_eq!(
            parse_field_path("metadata.labels[app]"),
            vec![
                PathSegment::Key("metadata".into()),
                PathSegment::Key("labels".into()),
                PathSegment::Key("app".into()),
            ]
        );
    }
}
