//! Cutting a `---` stream into parts that read the same on their own.
//!
//! A line that starts with `---` (followed by a space, a tab or the end of
//! the line) begins a document wherever it stands: YAML forbids it inside
//! content, quoted or not. So the text before each such line holds whole
//! documents, and reading the parts one by one gives the documents of the
//! whole stream, with positions shifted by where each part starts. That is
//! what lets [`crate::check::IncrementalCheck`] re-read only the parts that
//! changed.
//!
//! Directives (`%YAML`) and document-end markers (`...`) tie a document to
//! the text before its `---`; texts with either, JSON and texts starting
//! with a byte-order mark are kept whole.

/// A part of a stream holding whole documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// Its text.
    pub text: &'a str,
    /// Byte offset of its start in the whole text.
    pub offset: usize,
    /// Lines before it in the whole text.
    pub line: u32,
}

/// Whether a line is a document start marker: the one rule for where a
/// document starts, which [`super::split_documents`] uses too.
pub(super) fn starts_document(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// The lines of `text`, each with its line break: YAML's breaks are LF,
/// CRLF and a lone CR (YAML 1.2, [5.4]), so the lines counted here are the
/// lines the reader's positions count.
///
/// [5.4]: https://yaml.org/spec/1.2.2/#54-line-break-characters
pub(super) fn yaml_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let bytes = rest.as_bytes();
        let end = match memchr::memchr2(b'\n', b'\r', bytes) {
            Some(i) if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') => i + 2,
            Some(i) => i + 1,
            None => rest.len(),
        };
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

/// Whether a line ties the next document to the text before it.
fn ties_documents(line: &str) -> bool {
    line.starts_with('%')
        || line
            .strip_prefix("...")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n', '#']))
}

/// Splits `text` before each document start marker (see the module
/// documentation for the texts kept whole). The chunks cover the text
/// exactly, in order.
pub fn split_chunks(text: &str) -> Vec<Chunk<'_>> {
    let whole = vec![Chunk {
        text,
        offset: 0,
        line: 0,
    }];
    let trimmed = text.trim_start();
    if text.starts_with('\u{feff}') || trimmed.starts_with(['{', '[']) {
        return whole;
    }
    let mut cuts = Vec::new();
    let mut offset = 0;
    for (n, line) in yaml_lines(text).enumerate() {
        if ties_documents(line) {
            return whole;
        }
        if offset > 0 && starts_document(line) {
            cuts.push((offset, n as u32));
        }
        offset += line.len();
    }
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    let (mut start, mut start_line) = (0, 0);
    for (at, line) in cuts {
        chunks.push(Chunk {
            text: &text[start..at],
            offset: start,
            line: start_line,
        });
        (start, start_line) = (at, line);
    }
    chunks.push(Chunk {
        text: &text[start..],
        offset: start,
        line: start_line,
    });
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_before_each_document_marker() {
        let text = "a: 1\n---\nb: 2\n--- {c: 3}\n---\n";
        let chunks = split_chunks(text);
        let parts: Vec<(&str, usize, u32)> =
            chunks.iter().map(|c| (c.text, c.offset, c.line)).collect();
        assert_eq!(
            parts,
            vec![
                ("a: 1\n", 0, 0),
                ("---\nb: 2\n", 5, 1),
                ("--- {c: 3}\n", 14, 3),
                ("---\n", 25, 4)
            ]
        );
        assert_eq!(chunks.iter().map(|c| c.text).collect::<String>(), text);
    }

    #[test]
    fn keeps_tied_and_json_texts_whole() {
        for text in [
            "%YAML 1.2\n---\na: 1\n---\nb: 2\n",
            "a: 1\n...\n---\nb: 2\n",
            "[1,\n---\n]",
            "\u{feff}a: 1\n---\nb: 2\n",
        ] {
            assert_eq!(split_chunks(text).len(), 1, "{text:?}");
        }
        // `----` and `---x` are content, not markers.
        assert_eq!(split_chunks("a: |\n----\n---x: 1\n").len(), 1);
    }

    #[test]
    fn counts_lines_as_yaml_does() {
        // A lone CR breaks a line in YAML (found by the check_yaml fuzz
        // target: the chunks' lines were one short of the reader's).
        let text = "a: 1\rb: 2\r\n---\rc: 3\n---\nd: 4\n";
        let parts: Vec<(&str, u32)> = split_chunks(text)
            .iter()
            .map(|c| (c.text, c.line))
            .collect();
        assert_eq!(
            parts,
            vec![
                ("a: 1\rb: 2\r\n", 0),
                ("---\rc: 3\n", 2),
                ("---\nd: 4\n", 4)
            ]
        );
        assert_eq!(
            yaml_lines("a\r\nb\rc\nd").collect::<Vec<_>>(),
            vec!["a\r\n", "b\r", "c\n", "d"]
        );
    }
}
