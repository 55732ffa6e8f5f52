//! Splitting a multi-document text into the text of each document. Where a
//! document starts is decided in one place, `chunks::starts_document`,
//! shared with the incremental check's cutting.

/// Splits a multi-document YAML text at its `---` lines, keeping each
/// document's own text as written (comments and line endings included).
/// Documents holding nothing but blank lines and comments are dropped. Text
/// after a `--- ` marker on the same line starts the next document, unless
/// it is a comment.
pub fn split_documents(text: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in super::chunks::yaml_lines(text) {
        if !super::chunks::starts_document(line) {
            current.push_str(line);
            continue;
        }
        docs.push(std::mem::take(&mut current));
        let rest = line[3..].trim_start_matches([' ', '\t']);
        if !rest.trim().is_empty() && !rest.starts_with('#') {
            current.push_str(rest);
        }
    }
    docs.push(current);
    docs.retain(|d| {
        d.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#')
        })
    });
    docs
}

#[cfg(test)]
mod tests {
    use super::split_documents;

    #[test]
    fn keeps_each_document_as_written() {
        assert_eq!(
            split_documents("---\na: 1\n---\n# c\nb: 2\n---\n"),
            vec!["a: 1\n".to_string(), "# c\nb: 2\n".to_string()]
        );
        assert_eq!(
            split_documents("a: 1\r\n---\r\nb: 2\r\n"),
            vec!["a: 1\r\n".to_string(), "b: 2\r\n".to_string()]
        );
    }

    #[test]
    fn drops_empty_and_comment_only_documents() {
        assert_eq!(split_documents("a: 1\n---\n\n---\nb: 2\n---\n").len(), 2);
        assert!(split_documents("").is_empty());
        assert!(split_documents("# only a comment\n").is_empty());
        assert_eq!(
            split_documents("# licence header\n---\na: 1\n"),
            vec!["a: 1\n".to_string()]
        );
    }

    #[test]
    fn content_after_the_marker_starts_the_next_document() {
        assert_eq!(
            split_documents("a: 1\n--- # second\nb: 2\n--- {c: 3}\n"),
            vec![
                "a: 1\n".to_string(),
                "b: 2\n".to_string(),
                "{c: 3}\n".to_string()
            ]
        );
    }
}
