//! YAML syntax highlighting as HTML, line by line.
//!
//! The YAML pane is a transparent textarea over a `<pre>` whose inner HTML
//! comes from [`highlight_window`]. Every character of the text appears once, in
//! order, so the two layers line up exactly.

use std::collections::BTreeMap;
use std::fmt::Write;

/// How a line is marked because of a finding on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LineMark {
    /// A warning on the line.
    Warning,
    /// An error on the line.
    Error,
}

/// Escapes text for HTML (element content and quoted attributes).
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn span(out: &mut String, class: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    // Plain text needs no element: fewer nodes to parse on every keystroke.
    if class.is_empty() {
        escape_into(out, text);
        return;
    }
    let _ = write!(out, "<span class=\"{class}\">");
    escape_into(out, text);
    out.push_str("</span>");
}

/// The class of a scalar value.
fn scalar_class(value: &str) -> &'static str {
    let v = value.trim();
    if v.starts_with('"') || v.starts_with('\'') {
        "t-str"
    } else if matches!(
        v,
        "true" | "false" | "null" | "~" | "True" | "False" | "Null"
    ) {
        "t-lit"
    } else if !v.is_empty() && v.parse::<f64>().is_ok() {
        "t-num"
    } else if v.starts_with('{') || v.starts_with('[') {
        "t-flow"
    } else {
        ""
    }
}

/// Splits a value from a trailing comment (` #` outside quotes).
fn split_comment(text: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && (prev == ' ' || i == 0) => return (&text[..i], &text[i..]),
            None => {}
        }
        prev = c;
    }
    (text, "")
}

fn highlight_line(out: &mut String, line: &str) {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    out.push_str(indent);
    if trimmed.starts_with('#') {
        span(out, "t-com", trimmed);
        return;
    }
    if trimmed.starts_with("---") || trimmed.starts_with("...") {
        span(out, "t-doc", trimmed);
        return;
    }
    let mut rest = trimmed;
    while let Some(after) = rest
        .strip_prefix("- ")
        .or_else(|| (rest == "-").then_some(""))
    {
        span(out, "t-dash", "-");
        let consumed = rest.len() - after.len();
        out.push_str(&rest[1..consumed]);
        rest = after;
    }
    let (body, comment) = split_comment(rest);
    // `key: value` where key is a plain or quoted scalar.
    let key_end = body
        .find(": ")
        .or_else(|| body.ends_with(':').then(|| body.len() - 1));
    match key_end {
        Some(i) if !body.starts_with('"') || body[..i].ends_with('"') => {
            span(out, "t-key", &body[..i]);
            out.push(':');
            let value = &body[i + 1..];
            let lead = &value[..value.len() - value.trim_start().len()];
            out.push_str(lead);
            let v = value.trim_start();
            span(out, scalar_class(v), v);
        }
        _ => span(out, scalar_class(body), body),
    }
    span(out, "t-com", comment);
}

/// Every line highlighted (the tests' view of [`highlight_window`]).
#[cfg(test)]
fn highlight_lines(text: &str, marks: &BTreeMap<u32, LineMark>) -> Vec<String> {
    highlight_window(text, marks, 0, usize::MAX)
}

/// Highlights `text`, one HTML string per line, each ending with its line
/// break (so the lines concatenated hold every character of `text`, plus
/// one final line break that gives a trailing newline a line of its own).
/// Lines in `marks` (1-based) are wrapped in a span with class
/// `mark-error` or `mark-warning`.
///
/// Only the lines `first..last` (0-based) are highlighted: the YAML pane
/// draws the lines in view, so a keystroke in a long text highlights a
/// screenful, not the whole text.
pub fn highlight_window(
    text: &str,
    marks: &BTreeMap<u32, LineMark>,
    first: usize,
    last: usize,
) -> Vec<String> {
    text.split('\n')
        .enumerate()
        .skip(first)
        .take(last.saturating_sub(first))
        .map(|(i, line)| {
            let mut out = String::with_capacity(line.len() * 2 + 16);
            let mark = marks.get(&(i as u32 + 1));
            if let Some(m) = mark {
                out.push_str(match m {
                    LineMark::Error => "<span class=\"mark-error\">",
                    LineMark::Warning => "<span class=\"mark-warning\">",
                });
            }
            highlight_line(&mut out, line);
            if mark.is_some() {
                out.push_str("</span>");
            }
            out.push('\n');
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn highlight(text: &str, marks: &BTreeMap<u32, LineMark>) -> String {
        highlight_lines(text, marks).concat()
    }

    fn strip_tags(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    }

    #[test]
    fn keeps_every_character_in_order() {
        let text = "apiVersion: v1 # c\nkind: \"X\"\nspec:\n  - a: <b>\n  -  - 8\n---\n";
        let html = highlight(text, &BTreeMap::new());
        assert_eq!(strip_tags(&html), format!("{text}\n"));
    }

    #[test]
    fn classes_keys_numbers_and_comments() {
        let html = highlight("port: 80 # web", &BTreeMap::new());
        assert!(html.contains("<span class=\"t-key\">port</span>"));
        assert!(html.contains("<span class=\"t-num\">80 </span>"));
        assert!(html.contains("<span class=\"t-com\"># web</span>"));
    }

    #[test]
    fn a_window_is_the_same_lines() {
        let text = "a: 1\nb: 2\nc: 3\nd: 4\n";
        let all = highlight_lines(text, &BTreeMap::new());
        assert_eq!(
            highlight_window(text, &BTreeMap::new(), 1, 3),
            all[1..3].to_vec()
        );
        assert_eq!(
            highlight_window(text, &BTreeMap::new(), 4, 99),
            all[4..].to_vec()
        );
    }

    #[test]
    fn marks_lines() {
        let marks = BTreeMap::from([(2, LineMark::Error)]);
        let html = highlight("a: 1\nb: 2\n", &marks);
        assert!(html.contains("\n<span class=\"mark-error\"><span class=\"t-key\">b</span>"));
    }
}
