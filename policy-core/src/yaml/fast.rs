//! A fast reader for the plain block YAML that policies are nearly always
//! written in; [`super::reader::read_documents`] tries it first.
//!
//! It accepts a deliberately small subset: ASCII text without tabs or
//! carriage returns; block mappings and sequences; single-line plain,
//! single-quoted and escape-free double-quoted scalars; comments; `---`
//! between documents. Anything else (flow collections, anchors, tags, block
//! scalars, multi-line scalars, duplicate or merge keys, odd indentation,
//! syntax errors) makes it decline with `None`, and the general reader,
//! built on `saphyr-parser`, reads the text instead. When it does accept a
//! text, its documents (values and spans) are exactly the general reader's:
//! a differential property test and the test corpus hold it to that.
//!
//! It is about ten times faster than the general reader, which is what
//! `POST /api/check` spends most of its time on.

use std::borrow::Cow;
use std::collections::HashSet;

use saphyr_parser::ScalarStyle;

use crate::source_map::{Position, SourceEntry, SourceNode, SourceSpan, SourceValue};
use crate::yaml::reader::{RawDocument, resolve_scalar};

/// Deepest nesting accepted here (the general reader allows more).
const MAX_DEPTH: usize = 64;

/// One line that holds content (not blank, not only a comment).
#[derive(Clone, Copy)]
struct Line {
    /// Byte offset of the line's first character.
    start: usize,
    /// Byte offset of its first non-space character.
    content: usize,
    /// Byte offset of its end (the `\n` or the end of the text).
    end: usize,
    /// 1-based line number.
    number: u32,
}

impl Line {
    fn indent(&self) -> usize {
        self.content - self.start
    }
}

/// Reads `text` if it is in the subset, else `None`.
pub(super) fn read(text: &str) -> Option<Vec<RawDocument>> {
    let bytes = text.as_bytes();
    // Printable ASCII and newlines only: no tabs, carriage returns, control
    // characters (which YAML forbids) or multi-byte characters.
    // (A branch-free fold: the compiler vectorizes it.)
    let outside = bytes.iter().fold(false, |outside, &b| {
        outside | ((b < 0x20) & (b != b'\n')) | (b >= 0x7f)
    });
    if outside {
        return None;
    }
    // Split into documents of content lines.
    let mut documents: Vec<Vec<Line>> = Vec::new();
    let mut current: Vec<Line> = Vec::with_capacity(64);
    let mut explicit = false;
    let mut start = 0usize;
    let mut number = 0u32;
    while start < bytes.len() {
        number += 1;
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line = &bytes[start..end];
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let rest = &line[indent..];
        if rest.is_empty() || rest[0] == b'#' {
            // Blank or comment-only.
        } else if indent == 0 && (rest.starts_with(b"---") || rest.starts_with(b"...")) {
            if rest.iter().skip(3).any(|&b| b != b' ') || rest[0] == b'.' {
                return None;
            }
            if explicit || !current.is_empty() {
                if current.is_empty() {
                    return None; // An empty document.
                }
                documents.push(std::mem::take(&mut current));
            }
            explicit = true;
        } else if indent == 0 && rest[0] == b'%' {
            return None; // A directive.
        } else {
            current.push(Line {
                start,
                content: start + indent,
                end,
                number,
            });
        }
        start = end + 1;
    }
    if current.is_empty() {
        if explicit {
            return None; // A trailing empty document.
        }
    } else {
        documents.push(current);
    }
    if documents.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(documents.len());
    for (index, lines) in documents.iter().enumerate() {
        if lines[0].indent() != 0 {
            return None;
        }
        let mut reader = Reader {
            text,
            bytes,
            lines,
            i: 0,
            depth: 0,
        };
        let root = reader.node(lines[0].content)?;
        if reader.i != lines.len()
            || !matches!(root.value, SourceValue::Map(_) | SourceValue::Seq(_))
        {
            return None;
        }
        out.push(RawDocument {
            index,
            root: Some(root),
        });
    }
    Some(out)
}

/// Whether `b` may not start a plain scalar here.
fn is_indicator(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// Whether a plain key may contain a byte (a lookup table, built at compile time).
const KEY_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(c, b'.' | b'_' | b'/' | b'-' | b':' | b'+' | b'~' | b'$');
        b += 1;
    }
    table
};

/// A mapping key: its text, its span, and the byte after its `:`.
type Key = (String, SourceSpan, usize);

/// [`resolve_scalar`] for a plain scalar, with a shortcut for the common
/// case: text starting with a letter that no keyword starts with is a string.
fn resolve_plain(raw: &str) -> SourceValue {
    let first = raw.as_bytes()[0];
    if first.is_ascii_alphabetic() && !matches!(first, b'n' | b'N' | b't' | b'T' | b'f' | b'F') {
        return SourceValue::String(raw.to_owned());
    }
    resolve_scalar(Cow::Borrowed(raw), ScalarStyle::Plain, None)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    lines: &'a [Line],
    /// The current line: the first not yet consumed.
    i: usize,
    depth: usize,
}

impl Reader<'_> {
    fn line(&self) -> Line {
        self.lines[self.i]
    }

    fn position(&self, line: Line, offset: usize) -> Position {
        Position {
            line: line.number,
            column: u32::try_from(offset - line.start + 1).unwrap_or(u32::MAX),
            offset,
        }
    }

    fn span(&self, line: Line, start: usize, end: usize) -> SourceSpan {
        SourceSpan {
            start: self.position(line, start),
            end: self.position(line, end),
        }
    }

    /// Whether a `- ` (or a lone `-`) item starts at `at` on `line`.
    fn is_item(&self, line: Line, at: usize) -> bool {
        self.bytes[at] == b'-' && (at + 1 == line.end || self.bytes[at + 1] == b' ')
    }

    /// The node starting at byte `at` of the current line.
    fn node(&mut self, at: usize) -> Option<SourceNode> {
        let line = self.line();
        if self.is_item(line, at) {
            return self.sequence(at);
        }
        if let Some(first_key) = self.key(line, at)? {
            return self.mapping(at, first_key);
        }
        let node = self.scalar(line, at)?;
        self.i += 1;
        Some(node)
    }

    /// A block sequence whose first `-` is at `at` on the current line.
    fn sequence(&mut self, at: usize) -> Option<SourceNode> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let first = self.line();
        let indent = at - first.start;
        let mut items = Vec::new();
        let mut dash = at;
        loop {
            let line = self.line();
            let mut c = dash + 1;
            while c < line.end && self.bytes[c] == b' ' {
                c += 1;
            }
            if c == line.end
                || self.bytes[c] == b'#'
                || self.is_item(line, c)
                || self.bytes[c] == b'['
            {
                // An item on the following lines, an empty one, or `- - a`
                // and `- []` (whose spans the general reader draws from the
                // outer dash).
                return None;
            }
            items.push(self.node(c)?);
            if self.i == self.lines.len() {
                break;
            }
            let next = self.line();
            if next.indent() > indent {
                return None;
            }
            if next.indent() < indent || !self.is_item(next, next.content) {
                break;
            }
            dash = next.content;
        }
        self.depth -= 1;
        let end = items.last()?.span.end;
        Some(SourceNode {
            value: SourceValue::Seq(items),
            span: SourceSpan {
                start: self.position(first, at),
                end,
            },
        })
    }

    /// A block mapping whose first key, already read, is at `at` on the
    /// current line.
    fn mapping(&mut self, at: usize, first_key: Key) -> Option<SourceNode> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let first = self.line();
        let indent = at - first.start;
        let mut entries: Vec<SourceEntry> = Vec::new();
        let mut seen: Option<HashSet<String>> = None;
        let mut next_key = Some(first_key);
        loop {
            let line = self.line();
            let (key, key_span, after) = match next_key.take() {
                Some(key) => key,
                None => self.key(line, line.content)??,
            };
            if key == "<<" {
                return None;
            }
            // Small mappings (nearly all) are scanned; large ones get a set,
            // so 50k annotations stay linear.
            if seen.is_none() && entries.len() >= 16 {
                seen = Some(entries.iter().map(|e| e.key.clone()).collect());
            }
            let duplicate = match &mut seen {
                Some(set) => !set.insert(key.clone()),
                None => entries.iter().any(|e| e.key == key),
            };
            if duplicate {
                return None;
            }
            let mut c = after;
            while c < line.end && self.bytes[c] == b' ' {
                c += 1;
            }
            let value = if c == line.end || self.bytes[c] == b'#' {
                self.i += 1;
                let next = self.lines.get(self.i).copied();
                match next {
                    Some(next) if next.indent() > indent => self.node(next.content)?,
                    Some(next) if next.indent() == indent && self.is_item(next, next.content) => {
                        self.sequence(next.content)?
                    }
                    _ => return None, // An empty value.
                }
            } else {
                let node = self.scalar(line, c)?;
                self.i += 1;
                node
            };
            entries.push(SourceEntry {
                key,
                key_span,
                value,
            });
            if self.i == self.lines.len() {
                break;
            }
            let next = self.line();
            if next.indent() > indent {
                return None;
            }
            if next.indent() < indent {
                break;
            }
            if self.is_item(next, next.content) {
                return None;
            }
        }
        self.depth -= 1;
        let end = entries.last()?.value.span.end;
        Some(SourceNode {
            value: SourceValue::Map(entries),
            span: SourceSpan {
                start: self.position(first, at),
                end,
            },
        })
    }

    /// The mapping key at `at`: its text, span and the byte after its `:`.
    /// `Some(None)` when there is no key here; `None` when the line is
    /// outside the subset.
    fn key(&self, line: Line, at: usize) -> Option<Option<Key>> {
        let b = self.bytes;
        let colon_follows =
            |i: usize| i < line.end && b[i] == b':' && (i + 1 == line.end || b[i + 1] == b' ');
        if matches!(b[at], b'"' | b'\'') {
            let (text, end) = self.quoted(line, at)?;
            if !colon_follows(end) {
                return Some(None);
            }
            return Some(Some((text.into_owned(), self.span(line, at, end), end + 1)));
        }
        // One pass: find `: ` (or `:` at the end) and check every byte may
        // be in a plain key.
        let mut i = at;
        let mut plain = true;
        while i < line.end && !colon_follows(i) {
            let c = b[i];
            if c == b' ' {
                // `a b: c`, `a: b`-like scalars and comments: not here.
                return if b[i..line.end].contains(&b':') {
                    None
                } else {
                    Some(None)
                };
            }
            plain &= KEY_BYTES[usize::from(c)];
            i += 1;
        }
        if i == line.end {
            return Some(None);
        }
        if i == at || is_indicator(b[at]) || !plain {
            return None;
        }
        let raw = &self.text[at..i];
        let key = match resolve_plain(raw) {
            SourceValue::String(s) => s,
            SourceValue::Null => "null".to_owned(),
            SourceValue::Bool(v) => v.to_string(),
            SourceValue::Number(n) => n.to_string(),
            SourceValue::Seq(_) | SourceValue::Map(_) => return None,
        };
        Some(Some((key, self.span(line, at, i), i + 1)))
    }

    /// A single-line quoted scalar at `at`: its value and the byte after
    /// the closing quote.
    fn quoted(&self, line: Line, at: usize) -> Option<(Cow<'_, str>, usize)> {
        let b = self.bytes;
        let quote = b[at];
        let mut i = at + 1;
        let mut escaped = false;
        loop {
            if i >= line.end {
                return None; // Continues on the next line.
            }
            match b[i] {
                b'\\' if quote == b'"' => return None,
                c if c == quote => {
                    if quote == b'\'' && i + 1 < line.end && b[i + 1] == b'\'' {
                        escaped = true;
                        i += 2;
                        continue;
                    }
                    break;
                }
                _ => i += 1,
            }
        }
        let inner = &self.text[at + 1..i];
        let value = if escaped {
            Cow::Owned(inner.replace("''", "'"))
        } else {
            Cow::Borrowed(inner)
        };
        Some((value, i + 1))
    }

    /// A scalar that runs from `at` to the end of the line (or a comment).
    fn scalar(&self, line: Line, at: usize) -> Option<SourceNode> {
        let b = self.bytes;
        let rest_is_comment = |mut i: usize| {
            let spaced = i < line.end && b[i] == b' ';
            while i < line.end && b[i] == b' ' {
                i += 1;
            }
            i == line.end || (spaced && b[i] == b'#')
        };
        // Quoted scalars and empty flow collections: the general reader's
        // span runs to the end of the line, over spaces and a comment.
        if matches!(b[at], b'"' | b'\'') {
            let (text, end) = self.quoted(line, at)?;
            if !rest_is_comment(end) {
                return None;
            }
            let style = if b[at] == b'"' {
                ScalarStyle::DoubleQuoted
            } else {
                ScalarStyle::SingleQuoted
            };
            return Some(SourceNode {
                value: resolve_scalar(text, style, None),
                span: self.span(line, at, line.end),
            });
        }
        if b[at..].starts_with(b"{}") || b[at..].starts_with(b"[]") {
            if !rest_is_comment(at + 2) {
                return None;
            }
            let value = if b[at] == b'{' {
                SourceValue::Map(Vec::new())
            } else {
                SourceValue::Seq(Vec::new())
            };
            return Some(SourceNode {
                value,
                span: self.span(line, at, line.end),
            });
        }
        if is_indicator(b[at]) && !(b[at] == b'-' && at + 1 < line.end && b[at + 1] != b' ') {
            return None;
        }
        let mut end = at;
        let mut i = at;
        while i < line.end {
            match b[i] {
                b'#' if b[i - 1] == b' ' => break,
                b':' if i + 1 == line.end || b[i + 1] == b' ' => return None,
                b' ' => {}
                _ => end = i + 1,
            }
            i += 1;
        }
        let raw = &self.text[at..end];
        Some(SourceNode {
            value: resolve_plain(raw),
            span: self.span(line, at, end),
        })
    }
}
