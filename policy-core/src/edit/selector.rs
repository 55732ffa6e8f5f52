//! Reading label selectors written the way the graph shows them
//! (`app=web, tier in (a, b), !legacy`), so they can be edited as text.

use std::collections::BTreeMap;

use crate::model::LabelSelectorRequirement;

use crate::model::LabelSelector;

/// A selector text that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("selector term {term:?}: {reason}")]
pub struct SelectorParseError {
    /// The term at fault.
    pub term: String,
    /// What is wrong.
    pub reason: String,
}

/// Parses `key=value`, `key!=value`, `key in (a, b)`, `key notin (a)`,
/// `key` (exists) and `!key` (does not exist), separated by commas. An empty
/// text is the empty selector (everything). This is the syntax of
/// `kubectl -l`, and the inverse of [`crate::view::selector_terms`].
pub fn parse_selector(text: &str) -> Result<LabelSelector, SelectorParseError> {
    let mut labels = BTreeMap::new();
    let mut exprs = Vec::new();
    for term in split_terms(text) {
        let term = term.trim();
        if term.is_empty() {
            continue;
        }
        let err = |reason: &str| SelectorParseError {
            term: term.to_string(),
            reason: reason.to_string(),
        };
        let lower = term.to_ascii_lowercase();
        let set_op = [(" notin ", "NotIn"), (" in ", "In")]
            .into_iter()
            .find_map(|(word, op)| lower.find(word).map(|i| (i, word.len(), op)));
        if let Some((i, len, op)) = set_op {
            let key = term[..i].trim();
            let rest = term[i + len..].trim();
            let inner = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| err("values must be in parentheses: key in (a, b)"))?;
            let values: Vec<String> = inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            if values.is_empty() {
                return Err(err("in/notin needs at least one value"));
            }
            check_key(key).map_err(|r| err(&r))?;
            for value in &values {
                check_value(value).map_err(|r| err(&r))?;
            }
            exprs.push(LabelSelectorRequirement {
                key: key.to_string(),
                operator: op.to_string(),
                values: Some(values),
            });
        } else if let Some((key, value)) = term.split_once("!=") {
            check_key(key.trim()).map_err(|r| err(&r))?;
            check_value(value.trim()).map_err(|r| err(&r))?;
            exprs.push(LabelSelectorRequirement {
                key: key.trim().to_string(),
                operator: "NotIn".to_string(),
                values: Some(vec![value.trim().to_string()]),
            });
        } else if let Some((key, value)) = term.split_once('=') {
            let value = value.strip_prefix('=').unwrap_or(value).trim();
            check_key(key.trim()).map_err(|r| err(&r))?;
            if value.contains(char::is_whitespace) {
                return Err(err("label values cannot contain spaces"));
            }
            check_value(value).map_err(|r| err(&r))?;
            labels.insert(key.trim().to_string(), value.to_string());
        } else if let Some(key) = term.strip_prefix('!') {
            check_key(key.trim()).map_err(|r| err(&r))?;
            exprs.push(LabelSelectorRequirement {
                key: key.trim().to_string(),
                operator: "DoesNotExist".to_string(),
                values: None,
            });
        } else {
            check_key(term).map_err(|r| err(&r))?;
            exprs.push(LabelSelectorRequirement {
                key: term.to_string(),
                operator: "Exists".to_string(),
                values: None,
            });
        }
    }
    Ok(LabelSelector {
        match_labels: (!labels.is_empty()).then_some(labels),
        match_expressions: (!exprs.is_empty()).then_some(exprs),
    })
}

fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the label key is empty".to_string());
    }
    if key.contains(|c: char| c.is_whitespace() || "()=!,".contains(c)) {
        return Err(format!("{key:?} is not a label key"));
    }
    Ok(())
}

/// A value must be a Kubernetes label value, as the apiserver (and
/// `kubectl -l`) require; anything else, such as a value starting with `=`,
/// would also not read back from the text the graph shows.
fn check_value(value: &str) -> Result<(), String> {
    match crate::validate::names::label_value(value)
        .into_iter()
        .next()
    {
        Some(why) => Err(format!("{value:?} is not a label value: {why}")),
        None => Ok(()),
    }
}

/// Splits on commas outside parentheses.
fn split_terms(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}
