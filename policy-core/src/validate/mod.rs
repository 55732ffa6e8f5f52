//! Validation: what the apiserver (or Cilium) would reject.
//!
//! - [`network_policy`] follows Kubernetes' `ValidateNetworkPolicy`
//!   (`pkg/apis/networking/validation`): object metadata, label selectors,
//!   ports, peers, ipBlocks and policyTypes, with the same field paths
//!   (`spec.ingress[0].from[1].ipBlock.except[0]`) and the same messages
//!   (`Invalid value: 0: must be between 1 and 65535, inclusive`).
//! - [`cilium`] follows Cilium's `pkg/policy/api/rule_validation.go`
//!   (`Rule.Sanitize`) plus the CRD schema, reporting every problem rather
//!   than the first, each at its field path.
//!
//! Entry point: [`validate`]`(&Policy) -> Vec<Diagnostic>`. Diagnostics come
//! without line/column; [`crate::yaml::ParsedObject::locate`] fills them in
//! (as [`crate::check::check`] does).

pub mod cilium;
pub mod names;
pub mod network_policy;

use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::model::Policy;

/// Validates one policy of any flavour.
pub fn validate(policy: &Policy) -> Vec<Diagnostic> {
    let mut f = Findings::default();
    match policy {
        Policy::NetworkPolicy(np) => network_policy::validate(np, &mut f),
        Policy::CiliumNetworkPolicy(cp) => cilium::validate(cp, true, &mut f),
        Policy::CiliumClusterwideNetworkPolicy(cp) => cilium::validate(cp, false, &mut f),
    }
    let mut out = f.into_diagnostics();
    if !out.is_empty() {
        let name = policy.display_name();
        for d in &mut out {
            d.policy = Some(name.clone());
        }
    }
    out
}

/// A field path (`spec.ingress[0].from[1]`), written out only when a
/// finding needs it: validating a valid policy formats no paths.
#[derive(Clone, Copy, Debug)]
pub enum FieldPath<'a> {
    /// A path written as is (`spec.podSelector`).
    Root(&'a str),
    /// `parent.name`
    Field(&'a FieldPath<'a>, &'static str),
    /// `parent[i]`
    Index(&'a FieldPath<'a>, usize),
}

impl<'a> FieldPath<'a> {
    /// `self.name`
    pub fn field(&'a self, name: &'static str) -> FieldPath<'a> {
        FieldPath::Field(self, name)
    }

    /// `self[i]`
    pub fn index(&'a self, i: usize) -> FieldPath<'a> {
        FieldPath::Index(self, i)
    }
}

impl std::fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldPath::Root(path) => f.write_str(path),
            FieldPath::Field(parent, name) => write!(f, "{parent}.{name}"),
            FieldPath::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Collects field errors in the apiserver's wording.
#[derive(Debug, Default)]
pub struct Findings {
    out: Vec<Diagnostic>,
}

impl Findings {
    /// The diagnostics collected.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.out
    }

    /// Adds a diagnostic with an explicit code.
    pub fn push(
        &mut self,
        severity: Severity,
        code: &str,
        field: &str,
        message: String,
    ) -> &mut Diagnostic {
        self.out.push(Diagnostic {
            policy: None,
            severity,
            code: code.to_string(),
            message,
            field: (!field.is_empty()).then(|| field.to_string()),
            line: None,
            column: None,
            fix: None,
        });
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    /// `field.Invalid`: `Invalid value: <value>: <msg>`. `value` is already
    /// rendered (strings quoted, see [`quote`]).
    pub fn invalid(&mut self, field: &str, value: &str, msg: &str) -> &mut Diagnostic {
        self.push(
            Severity::Error,
            "field-invalid",
            field,
            format!("Invalid value: {value}: {msg}"),
        )
    }

    /// `field.Required`: `Required value[: <msg>]`.
    pub fn required(&mut self, field: &str, msg: &str) -> &mut Diagnostic {
        let message = if msg.is_empty() {
            "Required value".to_string()
        } else {
            format!("Required value: {msg}")
        };
        self.push(Severity::Error, "field-required", field, message)
    }

    /// `field.Forbidden`: `Forbidden: <msg>`.
    pub fn forbidden(&mut self, field: &str, msg: &str) -> &mut Diagnostic {
        self.push(
            Severity::Error,
            "field-forbidden",
            field,
            format!("Forbidden: {msg}"),
        )
    }

    /// `field.NotSupported`: `Unsupported value: "x": supported values: "a", "b"`.
    pub fn not_supported(
        &mut self,
        field: &str,
        value: &str,
        supported: &[&str],
    ) -> &mut Diagnostic {
        let list: Vec<String> = supported.iter().map(|s| quote(s)).collect();
        self.push(
            Severity::Error,
            "field-not-supported",
            field,
            format!(
                "Unsupported value: {}: supported values: {}",
                quote(value),
                list.join(", ")
            ),
        )
    }

    /// The last diagnostic added.
    pub fn last_mut(&mut self) -> Option<&mut Diagnostic> {
        self.out.last_mut()
    }

    /// Adds a fix to the last diagnostic.
    pub fn with_fix(&mut self, fix: Fix) {
        if let Some(d) = self.out.last_mut() {
            d.fix = Some(fix);
        }
    }
}

/// A string value as the apiserver prints it: double-quoted with escapes.
pub fn quote(s: &str) -> String {
    format!("{s:?}")
}
