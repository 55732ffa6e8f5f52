//! Building and applying fixes: text edits computed from the source map.
//!
//! Edits keep the user's text around them (comments included) and follow
//! the style of the node they touch: block YAML is edited as block YAML at
//! its indentation, flow collections (`[...]`, `{...}`, JSON) get flow text.

use serde_json::Value;
use thiserror::Error;

use crate::diagnostic::{Fix, TextEdit};
use crate::source_map::{SourceMap, SourceNode, SourceValue};
use crate::yaml::value_to_block_yaml;

use super::LintSource;

/// Why a fix could not be applied.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FixError {
    /// An edit reaches past the end of the text or splits a character.
    #[error(
        "edit {start}..{end} is outside the text or splits a character; was the text changed since the check?"
    )]
    OutOfRange {
        /// Start of the edit.
        start: usize,
        /// End of the edit.
        end: usize,
    },
    /// Two edits overlap.
    #[error("edits {0}..{1} and {2}..{3} overlap")]
    Overlap(usize, usize, usize, usize),
}

/// Applies a fix to the text it was computed from.
pub fn apply_fix(text: &str, fix: &Fix) -> Result<String, FixError> {
    let mut edits: Vec<&TextEdit> = fix.edits.iter().collect();
    edits.sort_by_key(|e| (e.start, e.end));
    for e in &edits {
        if e.start > e.end
            || e.end > text.len()
            || !text.is_char_boundary(e.start)
            || !text.is_char_boundary(e.end)
        {
            return Err(FixError::OutOfRange {
                start: e.start,
                end: e.end,
            });
        }
    }
    for w in edits.windows(2) {
        if w[1].start < w[0].end {
            return Err(FixError::Overlap(
                w[0].start, w[0].end, w[1].start, w[1].end,
            ));
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.start]);
        out.push_str(&e.replacement);
        at = e.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// A fix with one edit.
pub fn single(title: impl Into<String>, edit: Option<TextEdit>) -> Option<Fix> {
    edit.map(|e| Fix {
        title: title.into(),
        edits: vec![e],
    })
}

fn is_flow(src: &LintSource<'_>, node: &SourceNode) -> bool {
    src.text
        .as_bytes()
        .get(node.span.start.offset)
        .is_some_and(|b| matches!(b, b'[' | b'{'))
}

fn indent_of(node: &SourceNode) -> usize {
    node.span.start.column.saturating_sub(1) as usize
}

/// A scalar or flow rendering of `v` (valid in flow and block context).
pub fn inline(v: &Value) -> String {
    match v {
        Value::String(s)
            if !s.is_empty()
                && s.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'_' | b'-' | b':')
                })
                && !matches!(s.as_str(), "yes" | "no" | "on" | "off" | "y" | "n")
                && !s.starts_with(['-', ':'])
                && !s.ends_with(':')
                && crate::yaml::reader::plain_reads_as_string(s) =>
        {
            s.clone()
        }
        other => other.to_string(),
    }
}

fn indent_lines(block: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    block
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_string()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Replaces the value at `path` with `new`.
pub fn replace_value(src: &LintSource<'_>, path: &str, new: &Value) -> Option<TextEdit> {
    let node = src.map.node(path)?;
    let replacement = match (&node.value, new) {
        (SourceValue::Seq(_) | SourceValue::Map(_), Value::Array(_) | Value::Object(_))
            if !is_flow(src, node) =>
        {
            let empty = matches!(new, Value::Array(a) if a.is_empty())
                || matches!(new, Value::Object(o) if o.is_empty());
            if empty {
                // An empty block collection must become flow, on the key's line.
                return None;
            }
            indent_lines(&value_to_block_yaml(new), indent_of(node))
        }
        _ => inline(new),
    };
    Some(TextEdit {
        start: node.span.start.offset,
        end: node.span.end.offset,
        replacement,
    })
}

/// Adds `key: value` to the mapping at `path` (`""` for the object root).
pub fn insert_entry(
    src: &LintSource<'_>,
    path: &str,
    key: &str,
    value: &Value,
) -> Option<TextEdit> {
    let node = if path.is_empty() {
        Some(src.map.root())
    } else {
        src.map.node(path)
    }?;
    let SourceValue::Map(entries) = &node.value else {
        return None;
    };
    if is_flow(src, node) {
        let close = node.span.end.offset.checked_sub(1)?;
        if src.text.as_bytes().get(close) != Some(&b'}') {
            return None;
        }
        let sep = if entries.is_empty() { "" } else { ", " };
        return Some(TextEdit {
            start: close,
            end: close,
            replacement: format!("{sep}{key}: {}", inline(value)),
        });
    }
    let first = entries.first()?;
    let indent = first.key_span.start.column.saturating_sub(1) as usize;
    let mut m = serde_json::Map::new();
    m.insert(key.to_string(), value.clone());
    let block = indent_lines(&value_to_block_yaml(&Value::Object(m)), indent);
    Some(TextEdit {
        start: node.span.end.offset,
        end: node.span.end.offset,
        replacement: format!("\n{}{block}", " ".repeat(indent)),
    })
}

/// Appends `item` to the sequence at `path`.
pub fn append_item(src: &LintSource<'_>, path: &str, item: &Value) -> Option<TextEdit> {
    let node = src.map.node(path)?;
    let SourceValue::Seq(items) = &node.value else {
        return None;
    };
    if is_flow(src, node) {
        let close = node.span.end.offset.checked_sub(1)?;
        if src.text.as_bytes().get(close) != Some(&b']') {
            return None;
        }
        let sep = if items.is_empty() { "" } else { ", " };
        return Some(TextEdit {
            start: close,
            end: close,
            replacement: format!("{sep}{}", inline(item)),
        });
    }
    let indent = indent_of(node);
    let block = indent_lines(&value_to_block_yaml(item), indent + 2);
    Some(TextEdit {
        start: node.span.end.offset,
        end: node.span.end.offset,
        replacement: format!("\n{}- {block}", " ".repeat(indent)),
    })
}

/// Removes item `index` of the sequence at `path`.
pub fn delete_item(src: &LintSource<'_>, path: &str, index: usize) -> Option<TextEdit> {
    let node = src.map.node(path)?;
    let SourceValue::Seq(items) = &node.value else {
        return None;
    };
    let item = items.get(index)?;
    if is_flow(src, node) {
        let (start, end) = if index > 0 {
            (items[index - 1].span.end.offset, item.span.end.offset)
        } else if let Some(next) = items.get(1) {
            (item.span.start.offset, next.span.start.offset)
        } else {
            (item.span.start.offset, item.span.end.offset)
        };
        return Some(TextEdit {
            start,
            end,
            replacement: String::new(),
        });
    }
    if items.len() == 1 {
        return None;
    }
    let text = src.text;
    let line_start = text[..item.span.start.offset]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = item.span.end.offset;
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    Some(TextEdit {
        start: line_start,
        end: line_end,
        replacement: String::new(),
    })
}

/// Renames the key naming the field at `path`.
pub fn rename_key(map: &SourceMap, path: &str, new_key: &str) -> Option<TextEdit> {
    let ks = map.key_span(path)?;
    Some(TextEdit {
        start: ks.start.offset,
        end: ks.end.offset,
        replacement: new_key.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_documents;

    fn with_src<R>(text: &str, f: impl FnOnce(&LintSource<'_>) -> R) -> R {
        let out = parse_documents(text);
        let src = LintSource {
            text,
            map: &out.objects[0].source_map,
        };
        f(&src)
    }

    const T: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    x: y\nspec:\n  finalizers:\n  - one\n  - two\n";

    #[test]
    fn block_edits() {
        with_src(T, |src| {
            let e =
                insert_entry(src, "metadata.labels", "team", &Value::String("b".into())).unwrap();
            let fixed = apply_fix(
                T,
                &Fix {
                    title: String::new(),
                    edits: vec![e],
                },
            )
            .unwrap();
            assert!(fixed.contains("    x: y\n    team: b\n"), "{fixed}");
            let e = append_item(src, "spec.finalizers", &Value::String("three".into())).unwrap();
            let fixed = apply_fix(
                T,
                &Fix {
                    title: String::new(),
                    edits: vec![e],
                },
            )
            .unwrap();
            assert!(fixed.ends_with("  - two\n  - three\n"), "{fixed}");
            let e = delete_item(src, "spec.finalizers", 0).unwrap();
            let fixed = apply_fix(
                T,
                &Fix {
                    title: String::new(),
                    edits: vec![e],
                },
            )
            .unwrap();
            assert!(fixed.ends_with("finalizers:\n  - two\n"), "{fixed}");
            let e = rename_key(src.map, "metadata.labels", "annotations").unwrap();
            let fixed = apply_fix(
                T,
                &Fix {
                    title: String::new(),
                    edits: vec![e],
                },
            )
            .unwrap();
            assert!(fixed.contains("  annotations:\n    x: y"), "{fixed}");
        });
    }

    #[test]
    fn flow_edits() {
        let t = "{apiVersion: v1, kind: Namespace, metadata: {name: a, labels: {x: y}}, spec: {finalizers: [one, two]}}";
        with_src(t, |src| {
            let e =
                insert_entry(src, "metadata.labels", "team", &Value::String("b".into())).unwrap();
            let fixed = apply_fix(
                t,
                &Fix {
                    title: String::new(),
                    edits: vec![e],
                },
            )
            .unwrap();
            assert!(fixed.contains("labels: {x: y, team: b}"), "{fixed}");
            let e = delete_item(src, "spec.finalizers", 1).unwrap();
            let fixed = apply_fix(
                t,
                &Fix {
                    title: String::new(),
                    edits: vec![e],
                },
            )
            .unwrap();
            assert!(fixed.contains("finalizers: [one]"), "{fixed}");
        });
    }

    #[test]
    fn overlapping_edits_are_refused() {
        let fix = Fix {
            title: String::new(),
            edits: vec![
                TextEdit {
                    start: 0,
                    end: 3,
                    replacement: String::new(),
                },
                TextEdit {
                    start: 2,
                    end: 4,
                    replacement: String::new(),
                },
            ],
        };
        assert!(matches!(
            apply_fix("abcdef", &fix),
            Err(FixError::Overlap(..))
        ));
        let fix = Fix {
            title: String::new(),
            edits: vec![TextEdit {
                start: 0,
                end: 99,
                replacement: String::new(),
            }],
        };
        assert!(matches!(
            apply_fix("abc", &fix),
            Err(FixError::OutOfRange { .. })
        ));
    }
}
