//! YAML text → raw document trees with spans ([`SourceNode`]).
//!
//! Built on `saphyr-parser`'s event stream, which is iterative, so deep
//! nesting cannot overflow the stack here. The reader enforces the limits
//! that make hostile input harmless: a maximum nesting depth, and a budget
//! for alias expansion (the "billion laughs" attack). Scalars resolve with
//! the YAML 1.2 core schema (what `sigs.k8s.io/yaml` agrees with for
//! everything a policy contains).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, Tag};
use serde_json::Number;

use crate::source_map::{Position, SourceEntry, SourceNode, SourceSpan, SourceValue};

/// Deepest nesting accepted. Real policies stay under 20.
pub const MAX_DEPTH: usize = 128;

/// Nodes that alias expansion may add to a whole stream.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// A problem found while reading, with where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadProblem {
    /// Stable code (`yaml-syntax`, `yaml-too-deep`, …).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// Where.
    pub position: Position,
}

/// One document of a stream.
#[derive(Clone, Debug, PartialEq)]
pub struct RawDocument {
    /// 0-based index in the stream.
    pub index: usize,
    /// The tree; `None` for an empty document or one that was abandoned
    /// because of a problem.
    pub root: Option<SourceNode>,
}

/// Converts the parser's character-indexed markers to byte offsets.
struct OffsetCursor<'a> {
    text: &'a str,
    chars: usize,
    bytes: usize,
}

impl<'a> OffsetCursor<'a> {
    fn new(text: &'a str) -> Self {
        OffsetCursor {
            text,
            chars: 0,
            bytes: 0,
        }
    }

    /// Byte offset of character index `target`. Amortised O(distance moved).
    fn byte_of(&mut self, target: usize) -> usize {
        let b = self.text.as_bytes();
        while self.chars < target && self.bytes < b.len() {
            self.bytes += 1;
            while self.bytes < b.len() && (b[self.bytes] & 0xC0) == 0x80 {
                self.bytes += 1;
            }
            self.chars += 1;
        }
        while self.chars > target && self.bytes > 0 {
            self.bytes -= 1;
            while self.bytes > 0 && (b[self.bytes] & 0xC0) == 0x80 {
                self.bytes -= 1;
            }
            self.chars -= 1;
        }
        self.bytes
    }

    fn position(&mut self, m: &Marker) -> Position {
        Position {
            line: u32::try_from(m.line()).unwrap_or(u32::MAX),
            column: u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
            offset: self.byte_of(m.index()),
        }
    }

    fn span(&mut self, s: &Span) -> SourceSpan {
        SourceSpan {
            start: self.position(&s.start),
            end: self.position(&s.end),
        }
    }
}

enum Frame {
    Seq {
        anchor: usize,
        start: Position,
        items: Vec<SourceNode>,
    },
    Map {
        anchor: usize,
        start: Position,
        entries: Vec<SourceEntry>,
        /// The key read, where it is, and whether it is a merge key (a
        /// plain `<<`; a quoted `'<<'` is an ordinary key).
        key: Option<(String, SourceSpan, bool)>,
        /// The values of its merge keys, in order.
        merged: Vec<SourceNode>,
        /// Keys seen, once the mapping is large (small ones are scanned).
        seen: Option<HashSet<String>>,
    },
}

/// Where a block scalar's header (`|` or `>`) is: the first indicator
/// after `after` (the end of the event before the scalar, at byte `from`),
/// past separators, comments, anchors and tags, before character index
/// `until`. saphyr-parser starts a block scalar's span at its content, or
/// at the next token when it is empty, so a diagnostic about it would point
/// past its key, and elsewhere in a document cut out of a longer text.
fn block_header(text: &str, from: usize, after: Marker, until: usize) -> Option<Marker> {
    let (mut index, mut line, mut col) = (after.index(), after.line(), after.col());
    let (mut in_comment, mut in_word) = (false, false);
    let mut chars = text.get(from..)?.chars();
    while index < until {
        let c = chars.next()?;
        if c == '\n' {
            (in_comment, in_word) = (false, false);
            (index, line, col) = (index + 1, line + 1, 0);
            continue;
        }
        match c {
            _ if in_comment => {}
            '#' => in_comment = true,
            ' ' | '\t' | '\r' => in_word = false,
            '|' | '>' if !in_word => return Some(Marker::new(index, line, col)),
            '&' | '!' => in_word = true,
            _ if in_word => {}
            ':' | '-' | '?' | ',' => {}
            _ => return None,
        }
        (index, col) = (index + 1, col + 1);
    }
    None
}

/// Reads every document of `text`. Never fails: problems come back next to
/// the documents read so far.
///
/// Plain block YAML takes a fast path ([`super::fast`]); everything else,
/// and every text with a problem, is read by [`read_documents_general`].
pub fn read_documents(text: &str) -> (Vec<RawDocument>, Vec<ReadProblem>) {
    if let Some(docs) = super::fast::read(text) {
        return (docs, Vec::new());
    }
    read_documents_general(text)
}

/// The fast path alone: `None` when `text` is outside its subset. For tests
/// and benchmarks; [`read_documents`] is what to call.
pub fn read_documents_fast(text: &str) -> Option<Vec<RawDocument>> {
    super::fast::read(text)
}

/// Reads every document of `text` with the general reader, built on
/// `saphyr-parser`. [`read_documents`] gives the same answer, faster for
/// plain block YAML; this one is public for the tests that hold the two to
/// that.
pub fn read_documents_general(text: &str) -> (Vec<RawDocument>, Vec<ReadProblem>) {
    let mut parser = Parser::new_from_str(text);
    let mut cursor = OffsetCursor::new(text);
    let mut docs = Vec::new();
    let mut problems = Vec::new();

    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, SourceNode> = HashMap::new();
    let mut alias_nodes = 0usize;
    let mut root: Option<SourceNode> = None;
    // When set, the current document is abandoned and events are skipped
    // until it ends.
    let mut skipping = false;

    // Where the event before this one ended.
    let mut previous_end = Marker::new(0, 1, 0);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(ev) => ev,
            Err(err) => {
                let m = *err.marker();
                problems.push(ReadProblem {
                    code: "yaml-syntax",
                    message: format!("YAML syntax error: {}", err.info()),
                    position: cursor.position(&m),
                });
                break;
            }
        };
        // saphyr places an implicit document start at the document's first
        // token: what follows it starts after the event before.
        let after = match event {
            Event::DocumentStart(false) => previous_end,
            _ => std::mem::replace(&mut previous_end, span.end),
        };
        // A plain, untagged `<<` is a merge key (as go-yaml reads it).
        let merge_key = matches!(
            &event,
            Event::Scalar(v, ScalarStyle::Plain, _, None) if v == "<<"
        );
        let complete: Option<(SourceNode, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                stack.clear();
                anchors.clear();
                root = None;
                skipping = false;
                None
            }
            Event::DocumentEnd => {
                docs.push(RawDocument {
                    index: docs.len(),
                    root: if skipping { None } else { root.take() },
                });
                stack.clear();
                skipping = false;
                None
            }
            _ if skipping => None,
            Event::Alias(id) => {
                let sspan = cursor.span(&span);
                match anchors.get(&id) {
                    Some(node) => {
                        alias_nodes = alias_nodes.saturating_add(node.count());
                        if alias_nodes > MAX_ALIAS_NODES {
                            problems.push(ReadProblem {
                                code: "yaml-alias-limit",
                                message: format!(
                                    "YAML aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?); the document is ignored"
                                ),
                                position: sspan.start,
                            });
                            skipping = true;
                            None
                        } else {
                            let mut n = node.clone();
                            n.span = sspan;
                            Some((n, 0))
                        }
                    }
                    None => {
                        problems.push(ReadProblem {
                            code: "yaml-syntax",
                            message: "YAML alias refers to an unknown anchor".into(),
                            position: sspan.start,
                        });
                        Some((
                            SourceNode {
                                value: SourceValue::Null,
                                span: sspan,
                            },
                            0,
                        ))
                    }
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let mut sspan = cursor.span(&span);
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    let from = cursor.byte_of(after.index());
                    if let Some(header) = block_header(text, from, after, span.start.index()) {
                        sspan.start = cursor.position(&header);
                    }
                }
                let v = resolve_scalar(value, style, tag.as_deref());
                Some((
                    SourceNode {
                        value: v,
                        span: sspan,
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let start = cursor.position(&span.start);
                if stack.len() >= MAX_DEPTH {
                    problems.push(ReadProblem {
                        code: "yaml-too-deep",
                        message: format!(
                            "YAML nested deeper than {MAX_DEPTH} levels; the document is ignored"
                        ),
                        position: start,
                    });
                    skipping = true;
                    stack.clear();
                    None
                } else {
                    stack.push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq {
                            anchor,
                            start,
                            items: Vec::new(),
                        }
                    } else {
                        Frame::Map {
                            anchor,
                            start,
                            entries: Vec::new(),
                            key: None,
                            merged: Vec::new(),
                            seen: None,
                        }
                    });
                    None
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end = cursor.position(&span.end);
                match stack.pop() {
                    Some(Frame::Seq {
                        anchor,
                        start,
                        items,
                    }) => {
                        let start = block_seq_start(text, start);
                        let end =
                            collection_end(text, start, end, items.last().map(|n| n.span.end));
                        Some((
                            SourceNode {
                                value: SourceValue::Seq(items),
                                span: SourceSpan { start, end },
                            },
                            anchor,
                        ))
                    }
                    Some(Frame::Map {
                        anchor,
                        start,
                        entries,
                        merged,
                        ..
                    }) => {
                        let end = collection_end(
                            text,
                            start,
                            end,
                            entries.last().map(|e| e.value.span.end),
                        );
                        Some((
                            SourceNode {
                                value: SourceValue::Map(merge_keys(entries, merged)),
                                span: SourceSpan { start, end },
                            },
                            anchor,
                        ))
                    }
                    None => None,
                }
            }
        };
        let Some((node, anchor)) = complete else {
            continue;
        };
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                merged,
                seen,
                ..
            }) => match key.take() {
                None => {
                    let k = match &node.value {
                        SourceValue::String(s) => s.clone(),
                        SourceValue::Null => "null".to_string(),
                        SourceValue::Bool(b) => b.to_string(),
                        SourceValue::Number(n) => n.to_string(),
                        SourceValue::Seq(_) | SourceValue::Map(_) => {
                            problems.push(ReadProblem {
                                code: "yaml-complex-key",
                                message: "mapping keys must be plain strings".into(),
                                position: node.span.start,
                            });
                            "?".to_string()
                        }
                    };
                    *key = Some((k, node.span, merge_key));
                }
                Some((_, _, true)) => {
                    // As go-yaml (and so the apiserver's reader) refuses
                    // anything else, rather than dropping it unseen.
                    let mergeable = |v: &SourceValue| matches!(v, SourceValue::Map(_));
                    let ok = match &node.value {
                        SourceValue::Map(_) => true,
                        SourceValue::Seq(items) => items.iter().all(|i| mergeable(&i.value)),
                        _ => false,
                    };
                    if ok {
                        merged.push(node);
                    } else {
                        problems.push(ReadProblem {
                            code: "yaml-merge",
                            message: "a merge key (<<) needs a mapping or a list of mappings as its value".into(),
                            position: node.span.start,
                        });
                    }
                }
                Some((k, key_span, false)) => {
                    // Small mappings (nearly all) are scanned; large ones get
                    // a set, so 50k annotations stay linear.
                    if seen.is_none() && entries.len() >= 16 {
                        *seen = Some(entries.iter().map(|e| e.key.clone()).collect());
                    }
                    let duplicate = match seen {
                        Some(set) => !set.insert(k.clone()),
                        None => entries.iter().any(|e| e.key == k),
                    };
                    if duplicate {
                        problems.push(ReadProblem {
                            code: "yaml-duplicate-key",
                            message: format!(
                                "duplicate key `{k}`: the apiserver rejects it; the last value wins here"
                            ),
                            position: key_span.start,
                        });
                        entries.retain(|e| e.key != k);
                    }
                    entries.push(SourceEntry {
                        key: k,
                        key_span,
                        value: node,
                    });
                }
            },
        }
    }
    // A syntax error in the middle of a document: keep nothing of it.
    (docs, problems)
}

/// A block sequence starts at its first `-`; the parser reports the first
/// item's content.
fn block_seq_start(text: &str, start: Position) -> Position {
    let bytes = text.as_bytes();
    if bytes.get(start.offset) == Some(&b'-')
        && matches!(
            bytes.get(start.offset + 1),
            Some(b' ' | b'\n' | b'\r') | None
        )
    {
        return start;
    }
    let before = &bytes[..start.offset.min(text.len())];
    let trimmed = before.iter().rev().take_while(|b| **b == b' ').count();
    let dash = start.offset.saturating_sub(trimmed + 1);
    if trimmed > 0 && before.get(dash) == Some(&b'-') {
        let back = start.offset - dash;
        Position {
            line: start.line,
            column: start
                .column
                .saturating_sub(u32::try_from(back).unwrap_or(0)),
            offset: dash,
        }
    } else {
        start
    }
}

/// Whether `s`, written as a plain scalar, reads back as this string.
pub fn plain_reads_as_string(s: &str) -> bool {
    matches!(
        resolve_scalar(Cow::Borrowed(s), ScalarStyle::Plain, None),
        SourceValue::String(_)
    )
}

/// Flow collections end after their closing bracket; block collections end
/// where their last child ends (the parser's end marker sits at the next
/// token, often on a later line).
fn collection_end(
    text: &str,
    start: Position,
    marker_end: Position,
    last_child: Option<Position>,
) -> Position {
    let flow = text
        .as_bytes()
        .get(start.offset)
        .is_some_and(|b| matches!(b, b'[' | b'{'));
    match (flow, last_child) {
        (false, Some(child)) => child,
        _ => marker_end,
    }
}

/// Applies YAML merge keys (`<<: *base`): entries of the merged mappings
/// (in order) that the mapping does not set itself.
fn merge_keys(mut own: Vec<SourceEntry>, merged: Vec<SourceNode>) -> Vec<SourceEntry> {
    let mut from_merges = Vec::new();
    for node in merged {
        match node.value {
            SourceValue::Map(m) => from_merges.extend(m),
            SourceValue::Seq(items) => {
                for item in items {
                    if let SourceValue::Map(m) = item.value {
                        from_merges.extend(m);
                    }
                }
            }
            _ => {}
        }
    }
    for m in from_merges {
        if !own.iter().any(|e| e.key == m.key) {
            own.push(m);
        }
    }
    own
}

/// YAML 1.2 core schema resolution of one scalar.
/// Takes the parser's string, so strings are not copied.
pub(super) fn resolve_scalar(
    value: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> SourceValue {
    if let Some(tag) = tag.filter(|t| t.is_yaml_core_schema() || t.handle == "!!") {
        match tag.suffix.as_str() {
            "str" | "binary" | "timestamp" => return SourceValue::String(value.into_owned()),
            "null" => return SourceValue::Null,
            _ => {}
        }
    }
    if style != ScalarStyle::Plain {
        return SourceValue::String(value.into_owned());
    }
    match value.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => return SourceValue::Null,
        "true" | "True" | "TRUE" => return SourceValue::Bool(true),
        "false" | "False" | "FALSE" => return SourceValue::Bool(false),
        _ => {}
    }
    if let Some(n) = resolve_number(&value) {
        return SourceValue::Number(n);
    }
    SourceValue::String(value.into_owned())
}

/// The number a plain scalar reads as, if any (YAML 1.2 core schema).
pub(super) fn resolve_number(s: &str) -> Option<Number> {
    let bytes = s.as_bytes();
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() {
        return None;
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Some(Number::from(i));
        }
        if let Ok(u) = s.trim_start_matches('+').parse::<u64>() {
            return Some(Number::from(u));
        }
        return s.parse::<f64>().ok().and_then(Number::from_f64);
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(Number::from);
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok().map(Number::from);
    }
    // Floats: [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let first = bytes.first().copied()?;
    let looks_float = (first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.'))
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && s.bytes().any(|b| b.is_ascii_digit());
    if looks_float {
        return s
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .and_then(Number::from_f64);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> SourceNode {
        let (docs, problems) = read_documents(text);
        assert!(problems.is_empty(), "{problems:?}");
        docs.into_iter().next().unwrap().root.unwrap()
    }

    #[test]
    fn scalars_resolve_with_the_core_schema() {
        let n = one("a: 80\nb: \"80\"\nc: true\nd: ~\ne: 1.5\nf: yes\ng: 0x1F\nh: -3\n");
        let j = n.to_json();
        assert_eq!(j["a"], 80);
        assert_eq!(j["b"], "80");
        assert_eq!(j["c"], true);
        assert!(j["d"].is_null());
        assert_eq!(j["e"], 1.5);
        assert_eq!(j["f"], "yes");
        assert_eq!(j["g"], 31);
        assert_eq!(j["h"], -3);
    }

    #[test]
    fn spans_are_lines_columns_and_bytes() {
        let text = "a:\n  bé: [1, 2]\n  c: x\n";
        let n = one(text);
        let b = n.get("a").unwrap().entry("bé").unwrap();
        assert_eq!((b.key_span.start.line, b.key_span.start.column), (2, 3));
        let c = n.get("a").unwrap().get("c").unwrap();
        assert_eq!((c.span.start.line, c.span.start.column), (3, 6));
        assert_eq!(&text[c.span.start.offset..c.span.end.offset], "x");
    }

    /// Found by the check_yaml fuzz target: an empty block scalar last in a
    /// document was placed at the next token (`---`, or the end of the
    /// text), so a diagnostic about its key moved when the document was
    /// checked alone. Block scalars start at their header.
    #[test]
    fn block_scalars_start_at_their_header() {
        for (text, at) in [
            ("a: |\n  x\n", (1, 4)),
            ("a: >-\n\n  x\n", (1, 4)),
            // With properties, saphyr starts the span at them.
            ("a: !!str &z |2 # note | >\n   x\n", (1, 4)),
            ("a: |2 # note | >\n   x\n", (1, 4)),
            ("a:\n  - >\n    x\n", (2, 5)),
            ("k:\n        >6\n---\nb: 1\n", (2, 9)),
            ("k:\n        >6\n", (2, 9)),
            ("k: |\n", (1, 4)),
        ] {
            let (docs, problems) = read_documents_general(text);
            assert!(problems.is_empty(), "{text:?}: {problems:?}");
            let root = docs[0].root.as_ref().unwrap();
            let v = match root.get("a") {
                Some(SourceNode {
                    value: SourceValue::Seq(items),
                    ..
                }) => &items[0],
                Some(v) => v,
                None => root.get("k").unwrap(),
            };
            assert_eq!((v.span.start.line, v.span.start.column), at, "{text:?}");
        }
    }

    /// Found by the check_yaml fuzz target: an empty block scalar as a
    /// whole document (`>+` then `---`) was placed at the next document by
    /// `check` and at its header by `IncrementalCheck` (which reads the
    /// document alone), because saphyr places an implicit document start
    /// at the first token.
    #[test]
    fn root_block_scalars_start_at_their_header() {
        for (text, at) in [
            (">+\n---\nx\n", (1, 1)),
            (">+\n", (1, 1)),
            ("\n# c\n  |-\n---\nx\n", (3, 3)),
            ("--- >+\n---\nx\n", (1, 5)),
            ("a: 1\n...\n>\n---\n", (3, 1)),
            ("&x !!str |\n\n---\n", (1, 1)),
        ] {
            let (docs, problems) = read_documents_general(text);
            assert!(problems.is_empty(), "{text:?}: {problems:?}");
            let root = docs.iter().find_map(|d| {
                d.root
                    .as_ref()
                    .filter(|r| !matches!(r.value, SourceValue::Map(_)))
            });
            let root = root.expect("a scalar document");
            assert_eq!(
                (root.span.start.line, root.span.start.column),
                at,
                "{text:?}"
            );
        }
    }

    /// Found by the edit_view fuzz target: a label key `<<` was written
    /// plain, read back as a merge key, and lost. Only a plain, untagged
    /// `<<` merges (as go-yaml reads it); a quoted one is an ordinary key,
    /// and so is `"<<"` in JSON.
    #[test]
    fn only_a_plain_merge_key_merges() {
        for quoted in ["'<<'", "\"<<\"", "!!str <<"] {
            let n = one(&format!("base: &b {{x: 1}}\nm:\n  {quoted}: 2\n  <<: *b\n"));
            let j = n.to_json();
            assert_eq!(j["m"]["x"], 1, "{quoted}: {j}");
            assert_eq!(j["m"]["<<"], 2, "{quoted}: {j}");
        }
        let n = one(r#"{"a": {"<<": {"x": 1}}}"#);
        assert_eq!(n.to_json()["a"]["<<"]["x"], 1);
        assert!(n.to_json()["a"].get("x").is_none());
    }

    #[test]
    fn merge_keys_apply() {
        let n = one("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
        let j = n.to_json();
        assert_eq!(j["m"]["x"], 1);
        assert_eq!(j["m"]["y"], 3);
    }

    /// go-yaml refuses a merge whose value is not mappings ("map merge
    /// requires map or sequence of maps as the value"); it was dropped.
    #[test]
    fn merge_keys_of_other_values_are_errors() {
        for (text, line, column) in [
            ("m:\n  <<: 1\n  a: 2\n", 2, 7),
            ("m:\n  a: 2\n  <<: [{x: 1}, 3]\n", 3, 7),
            ("m: {<<: ~}\n", 1, 9),
            ("s: &s text\nm:\n  <<: *s\n", 3, 7),
        ] {
            let (_, problems) = read_documents(text);
            assert_eq!(problems.len(), 1, "{text:?}: {problems:?}");
            assert_eq!(problems[0].code, "yaml-merge", "{text:?}");
            assert_eq!(
                (problems[0].position.line, problems[0].position.column),
                (line, column),
                "{text:?}"
            );
        }
        let (docs, problems) = read_documents("b: &b {x: 1}\nm:\n  <<: [*b, {y: 2}]\n");
        assert!(problems.is_empty(), "{problems:?}");
        let j = docs[0].root.as_ref().expect("a root").to_json();
        assert_eq!(
            (j["m"]["x"].clone(), j["m"]["y"].clone()),
            (1.into(), 2.into())
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let (_, problems) = read_documents("a: [1, 2\nb: c\n");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "yaml-syntax");
        assert!(problems[0].position.line >= 1);
    }
}
