//! YAML (or JSON) text → `check`: parse, validate, lint and explain, through
//! the entry points the adapters call.
//!
//! Invariants:
//! - nothing panics, on any bytes;
//! - `check_files` over one file (`palisade check FILE`) finds what `check`
//!   (`POST /api/check`, which parses then calls `check_parsed`) finds;
//! - every diagnostic has a line, and every fix applies to the text;
//! - the page's `IncrementalCheck` finds what `check` finds (when the text
//!   has no syntax error, see its docs), also after checking an edited
//!   version of the text first (so its cache is exercised);
//! - the policies read emit to YAML that reads back to an equal emission.

use policy_core::check::{IncrementalCheck, check, check_files, check_parsed};
use policy_core::explain::explain;
use policy_core::lint::apply_fix;
use policy_core::validate::validate;
use policy_core::yaml::{emit_policies, parse_documents};

use crate::split::floor_char_boundary;

/// The target's body.
pub fn run(data: &[u8]) {
    let from_cli = check_files(&[data], None);
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(
            from_cli[0].iter().any(|d| d.line.is_some()),
            "invalid UTF-8 gives a positioned error: {from_cli:?}"
        );
        return;
    };
    let found = check(text, None);
    assert_eq!(from_cli[0], found, "check_files and check disagree");

    let parsed = parse_documents(text);
    assert_eq!(
        check_parsed(text, &parsed, None),
        found,
        "check_parsed (the API's path) and check disagree"
    );
    for d in &found {
        assert!(d.line.is_some(), "a diagnostic without a line: {d:?}");
        if let Some(fix) = &d.fix {
            let fixed = apply_fix(text, fix)
                .unwrap_or_else(|err| panic!("the fix of {d:?} does not apply: {err}"));
            let _ = parse_documents(&fixed);
        }
    }
    let policies: Vec<_> = parsed.policies().cloned().collect();
    for policy in &policies {
        let _ = validate(policy);
        let _ = explain(policy).to_text();
    }

    if parsed.syntax_error().is_none() {
        let mut incremental = IncrementalCheck::new();
        // An earlier version of the text (the user half-way through typing
        // it), then the text: the second check reuses the cache.
        let _ = incremental.check(floor_char_boundary(text, text.len() / 2));
        let checked = incremental.check(text);
        assert_eq!(
            checked.diagnostics, found,
            "IncrementalCheck and check disagree"
        );
        assert_eq!(
            checked.policies, policies,
            "IncrementalCheck read other policies"
        );
    }

    let once = emit_policies(&policies);
    let again: Vec<_> = parse_documents(&once).policies().cloned().collect();
    assert_eq!(emit_policies(&again), once, "emission is not stable");
}
