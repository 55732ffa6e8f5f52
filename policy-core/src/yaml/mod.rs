//! YAML and JSON in, canonical YAML out.
//!
//! This is the only module that knows about YAML: the span-aware reader
//! (on `saphyr-parser`) and the emitter (our own block-style writer in
//! `emit.rs`). Everything else works on the model types.
//!
//! # Reading
//!
//! ```
//! use policy_core::yaml::{parse_documents, Object};
//!
//! let out = policy_core::yaml::parse_documents("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}}\n");
//! assert!(out.diagnostics.is_empty());
//! assert!(matches!(out.objects[0].object, Object::Policy(_)));
//! ```
//!
//! - [`parse_documents`]`(&str) -> ParseOutput` reads single documents,
//!   `---` streams, `kind: List` (and `FooList`) with items of any kind, and
//!   JSON. It never fails: [`ParseOutput::objects`] holds what could be read
//!   ([`Object::Policy`], [`Object::Namespace`], [`Object::Pod`]), and
//!   [`ParseOutput::diagnostics`] says what could not (syntax errors,
//!   unknown kinds, wrong `apiVersion`, values of the wrong type), each with
//!   line and column. A field of the wrong type is dropped from the object
//!   (with an error at its path) so the rest still reads.
//! - [`parse_bytes`]`(&[u8])` does the same for raw bytes and reports invalid
//!   UTF-8 with its position.
//! - [`parse_policies`]`(&str) -> (Vec<Policy>, Vec<Diagnostic>)` when only
//!   the policies matter.
//! - Each [`ParsedObject`] carries a [`SourceMap`]: field path → line,
//!   column and byte offsets (`spec.ingress[0].from[1].ipBlock.except[0]`),
//!   relative to the object (List items included).
//!
//! # Writing
//!
//! - [`emit_policy`], [`emit_policies`] (multi-doc, joined with `---`),
//!   [`emit_object`], [`emit_objects`]: canonical, kubectl-ready YAML.
//!   Keys are sorted as `kubectl get -o yaml` prints them (so `apiVersion`,
//!   `kind`, `metadata`, `spec` come first, in that order); metadata labels
//!   and annotations are kept. Stable: `emit(parse(emit(x))) == emit(x)`.
//!
//! # Limits
//!
//! Nesting deeper than [`reader::MAX_DEPTH`] and alias expansion beyond
//! [`reader::MAX_ALIAS_NODES`] nodes are reported as errors and the document
//! is skipped; nothing can overflow the stack or blow up memory.

mod chunks;
mod de;
mod documents;
mod emit;
mod fast;
// Not in the page: serde_json's deserializers for every policy type cost the
// bundle 39 KB gzip; the page reads clusters with the span reader alone.
#[cfg(not(target_arch = "wasm32"))]
mod lean;
pub mod reader;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::cilium::CiliumPolicy;
use crate::model::{CILIUM_V2, NETWORKING_V1, Namespace, NetworkPolicy, Pod, Policy};
use crate::source_map::{Position, SourceMap, SourceNode, SourceValue};
use de::Step;

pub use chunks::{Chunk, split_chunks};
pub use documents::split_documents;
pub use emit::{
    emit_object, emit_objects, emit_policies, emit_policy, object_to_json, policy_to_json,
    value_to_block_yaml,
};
#[cfg(not(target_arch = "wasm32"))]
pub use lean::{LeanObject, read_lean};

/// One object read from the text.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Object {
    /// A NetworkPolicy, CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy.
    Policy(Policy),
    /// A Namespace (for cluster models).
    Namespace(Namespace),
    /// A Pod (for cluster models).
    Pod(Pod),
}

/// An object together with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedObject {
    /// The typed object.
    pub object: Object,
    /// 0-based index of the YAML document in the stream.
    pub document: usize,
    /// `""` for a top-level object, `items[3]` for an item of a `List`.
    pub path_prefix: String,
    /// Field path → position, relative to this object.
    pub source_map: SourceMap,
}

impl ParsedObject {
    /// The policy, when the object is one.
    pub fn policy(&self) -> Option<&Policy> {
        match &self.object {
            Object::Policy(p) => Some(p),
            _ => None,
        }
    }

    /// Fills `line`/`column` of a diagnostic from its `field` (relative to
    /// this object), and sets `policy` when it is unset.
    pub fn locate(&self, diag: &mut Diagnostic) {
        if diag.line.is_none() {
            let pos = self
                .source_map
                .position(diag.field.as_deref().unwrap_or(""));
            diag.line = Some(pos.line);
            diag.column = Some(pos.column);
        }
        if let (None, Object::Policy(p)) = (&diag.policy, &self.object) {
            diag.policy = Some(p.display_name());
        }
    }
}

/// What [`parse_documents`] found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParseOutput {
    /// Objects read, in source order (List items in place).
    pub objects: Vec<ParsedObject>,
    /// Problems, each with line and column.
    pub diagnostics: Vec<Diagnostic>,
}

impl ParseOutput {
    /// The policies read, in source order.
    pub fn policies(&self) -> impl Iterator<Item = &Policy> {
        self.objects.iter().filter_map(ParsedObject::policy)
    }

    /// The first YAML syntax-level error (syntax, invalid UTF-8, nesting or
    /// alias limits), for callers that answer "cannot parse" (HTTP 400).
    pub fn syntax_error(&self) -> Option<&Diagnostic> {
        self.diagnostics.iter().find(|d| {
            d.severity == Severity::Error
                && matches!(
                    d.code.as_str(),
                    "yaml-syntax" | "invalid-utf8" | "yaml-too-deep" | "yaml-alias-limit"
                )
        })
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

fn diag_at(
    code: &str,
    severity: Severity,
    message: String,
    field: Option<String>,
    pos: Position,
) -> Diagnostic {
    Diagnostic {
        policy: None,
        severity,
        code: code.to_string(),
        message,
        field,
        line: Some(pos.line),
        column: Some(pos.column),
        fix: None,
    }
}

/// Reads raw bytes: invalid UTF-8 is reported with the position of the
/// first bad byte (and nothing is read); a UTF-8 byte-order mark is skipped.
pub fn parse_bytes(bytes: &[u8]) -> ParseOutput {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_documents(text),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            // Safe: `good` is valid UTF-8 by construction.
            let good = std::str::from_utf8(good).unwrap_or("");
            let line = good.matches('\n').count() + 1;
            let column = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            ParseOutput {
                objects: Vec::new(),
                diagnostics: vec![diag_at(
                    "invalid-utf8",
                    Severity::Error,
                    format!(
                        "the input is not valid UTF-8 (bad byte at offset {}); save the file as UTF-8",
                        e.valid_up_to()
                    ),
                    None,
                    Position {
                        line: u32::try_from(line).unwrap_or(u32::MAX),
                        column: u32::try_from(column).unwrap_or(u32::MAX),
                        offset: e.valid_up_to(),
                    },
                )],
            }
        }
    }
}

/// Reads every object of a YAML or JSON text. Never fails; see the module
/// documentation.
pub fn parse_documents(text: &str) -> ParseOutput {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // JSON may be indented with tabs, which YAML forbids. Inside JSON
    // strings tabs are always escaped, so replacing them keeps every byte
    // offset and meaning.
    let json_like = text.trim_start().starts_with(['{', '[']);
    let owned;
    let text = if json_like && text.contains('\t') {
        owned = text.replace('\t', " ");
        owned.as_str()
    } else {
        text
    };
    let (docs, problems) = reader::read_documents(text);
    let mut out = ParseOutput::default();
    for p in problems {
        out.diagnostics.push(diag_at(
            p.code,
            Severity::Error,
            p.message,
            None,
            p.position,
        ));
    }
    for doc in docs {
        let Some(root) = doc.root else { continue };
        read_object(root, doc.index, String::new(), &mut out);
    }
    out.diagnostics.sort_by_key(|d| (d.line, d.column));
    out
}

/// Reads only the policies of a text; other objects are ignored, every
/// diagnostic is returned.
pub fn parse_policies(text: &str) -> (Vec<Policy>, Vec<Diagnostic>) {
    let out = parse_documents(text);
    let policies = out.policies().cloned().collect();
    (policies, out.diagnostics)
}

fn read_object(root: SourceNode, document: usize, prefix: String, out: &mut ParseOutput) {
    let at = |field: &str| -> String {
        match (prefix.is_empty(), field.is_empty()) {
            (true, _) => field.to_string(),
            (false, true) => prefix.clone(),
            (false, false) => format!("{prefix}.{field}"),
        }
    };
    if matches!(root.value, SourceValue::Null) {
        return;
    }
    if !matches!(root.value, SourceValue::Map(_)) {
        out.diagnostics.push(diag_at(
            "not-an-object",
            Severity::Error,
            "expected a Kubernetes object (a mapping with apiVersion and kind)".into(),
            (!prefix.is_empty()).then(|| prefix.clone()),
            root.span.start,
        ));
        return;
    }
    let kind = root
        .get("kind")
        .and_then(SourceNode::as_str)
        .map(str::to_string);
    let api_version = root
        .get("apiVersion")
        .and_then(SourceNode::as_str)
        .map(str::to_string);
    let Some(kind) = kind else {
        let pos = root
            .entry("kind")
            .map_or(root.span.start, |e| e.value.span.start);
        out.diagnostics.push(diag_at(
            "missing-kind",
            Severity::Error,
            "`kind` is missing or not a string; expected NetworkPolicy, CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, Namespace, Pod or List".into(),
            Some(at("kind")),
            pos,
        ));
        return;
    };
    let kind_pos = root
        .entry("kind")
        .map_or(root.span.start, |e| e.value.span.start);

    if kind == "List" || (kind.ends_with("List") && root.get("items").is_some()) {
        // `kubectl get namespaces -o yaml` prints a `NamespaceList` whose
        // items may leave out their own kind and apiVersion: they are the
        // list's item kind, in the list's apiVersion.
        let item_kind = kind
            .strip_suffix("List")
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        let SourceValue::Map(entries) = root.value else {
            return;
        };
        for entry in entries {
            if entry.key != "items" {
                continue;
            }
            match entry.value.value {
                SourceValue::Seq(items) => {
                    for (i, mut item) in items.into_iter().enumerate() {
                        if let (Some(k), SourceValue::Map(fields)) = (&item_kind, &mut item.value)
                            && !fields.iter().any(|f| f.key == "kind")
                        {
                            let span = item.span;
                            let synthetic =
                                |key: &str, value: &str| crate::source_map::SourceEntry {
                                    key: key.to_string(),
                                    key_span: span,
                                    value: SourceNode {
                                        value: SourceValue::String(value.to_string()),
                                        span,
                                    },
                                };
                            fields.push(synthetic("kind", k));
                            if let Some(v) = api_version.as_deref()
                                && !fields.iter().any(|f| f.key == "apiVersion")
                            {
                                fields.push(synthetic("apiVersion", v));
                            }
                        }
                        read_object(item, document, at(&format!("items[{i}]")), out);
                    }
                }
                SourceValue::Null => {}
                _ => out.diagnostics.push(diag_at(
                    "not-an-object",
                    Severity::Error,
                    "`items` of a List must be a sequence of objects".into(),
                    Some(at("items")),
                    entry.value.span.start,
                )),
            }
        }
        return;
    }

    let expected_api = match expected_api_version(&kind) {
        Some(v) => v,
        None => {
            let other = kind.as_str();
            let hint = suggest_kind(other)
                .map(|k| format!(" Did you mean `{k}`?"))
                .unwrap_or_default();
            out.diagnostics.push(diag_at(
                "unsupported-kind",
                Severity::Warning,
                format!(
                    "kind `{other}`{} is not a policy, Namespace or Pod; Palisade ignores it.{hint}",
                    api_version.as_deref().map(|a| format!(" ({a})")).unwrap_or_default()
                ),
                Some(at("kind")),
                kind_pos,
            ));
            return;
        }
    };
    match api_version.as_deref() {
        Some(v) if v == expected_api => {}
        found => {
            let pos = root
                .entry("apiVersion")
                .map_or(root.span.start, |e| e.value.span.start);
            let msg = match found {
                Some(v) => format!(
                    "apiVersion `{v}` does not serve kind {kind}; use `apiVersion: {expected_api}`"
                ),
                None => {
                    format!("`apiVersion` is missing; {kind} needs `apiVersion: {expected_api}`")
                }
            };
            out.diagnostics.push(diag_at(
                "unsupported-api-version",
                Severity::Error,
                msg,
                Some(at("apiVersion")),
                pos,
            ));
        }
    }

    let source_map = SourceMap::new(root);
    let root = source_map.root();
    let mut errors = Vec::new();
    let object = match kind.as_str() {
        "NetworkPolicy" => lenient::<NetworkPolicy>(root, &mut errors)
            .map(|p| Object::Policy(Policy::NetworkPolicy(p))),
        "CiliumNetworkPolicy" => lenient::<CiliumPolicy>(root, &mut errors)
            .map(|p| Object::Policy(Policy::CiliumNetworkPolicy(p))),
        "CiliumClusterwideNetworkPolicy" => lenient::<CiliumPolicy>(root, &mut errors)
            .map(|p| Object::Policy(Policy::CiliumClusterwideNetworkPolicy(p))),
        "Namespace" => lenient::<Namespace>(root, &mut errors).map(Object::Namespace),
        _ => lenient::<Pod>(root, &mut errors).map(|mut pod| {
            let mut source = root.to_json();
            if let Value::Object(m) = &mut source {
                m.remove("apiVersion");
                m.remove("kind");
            }
            pod.source = Some(source);
            Object::Pod(pod)
        }),
    };
    let policy_name = match &object {
        Some(Object::Policy(p)) => Some(p.display_name()),
        _ => None,
    };
    for (path, message) in errors {
        let pos = source_map.position(&path);
        let mut d = diag_at(
            "invalid-type",
            Severity::Error,
            message,
            Some(if path.is_empty() {
                prefix.clone()
            } else {
                at(&path)
            }),
            pos,
        );
        if d.field.as_deref() == Some("") {
            d.field = None;
        }
        d.policy.clone_from(&policy_name);
        out.diagnostics.push(d);
    }
    if let Some(object) = object {
        out.objects.push(ParsedObject {
            object,
            document,
            path_prefix: prefix,
            source_map,
        });
    }
}

/// The `apiVersion` a kind Palisade reads must have (`NetworkPolicy`:
/// `networking.k8s.io/v1`, the Cilium policies: `cilium.io/v2`, `Namespace`
/// and `Pod`: `v1`); `None` for every other kind.
pub(crate) fn expected_api_version(kind: &str) -> Option<&'static str> {
    match kind {
        "NetworkPolicy" => Some(NETWORKING_V1),
        "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy" => Some(CILIUM_V2),
        "Namespace" | "Pod" => Some("v1"),
        _ => None,
    }
}

fn suggest_kind(kind: &str) -> Option<&'static str> {
    let lower = kind.to_ascii_lowercase();
    [
        "NetworkPolicy",
        "CiliumNetworkPolicy",
        "CiliumClusterwideNetworkPolicy",
        "Namespace",
        "Pod",
    ]
    .into_iter()
    .find(|k| {
        let kl = k.to_ascii_lowercase();
        kl == lower || crate::yaml::within_edit_distance(&kl, &lower, 2)
    })
}

/// Whether `a` and `b` are at most `max` edits apart. Linear in the longer
/// string when their lengths differ by more than `max` (a 900 KiB scalar is
/// not compared cell by cell with every known name).
pub fn within_edit_distance(a: &str, b: &str, max: usize) -> bool {
    a.chars().count().abs_diff(b.chars().count()) <= max && edit_distance(a, b) <= max
}

/// Levenshtein distance, for "did you mean" hints. Quadratic: callers
/// filter with [`within_edit_distance`] first.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Deserializes the object at `root` (its `apiVersion` and `kind` were
/// checked by the caller and live in the [`Object`] variant); a field of the
/// wrong type is reported with its path and removed, and deserialization
/// retried, so one bad value does not hide the whole object. The tree is
/// only copied when there is something to remove.
fn lenient<T: DeserializeOwned>(
    root: &SourceNode,
    errors: &mut Vec<(String, String)>,
) -> Option<T> {
    let mut edited: Option<SourceNode> = None;
    for _ in 0..32 {
        let error = match de::from_node::<T>(edited.as_ref().unwrap_or(root)) {
            Ok(v) => return Some(v),
            Err(e) => e,
        };
        errors.push((render_path(error.path()), humanize_serde(error.message())));
        if error.path().is_empty() {
            return None;
        }
        let node = edited.get_or_insert_with(|| root.clone());
        if !remove_at(node, error.path()) {
            return None;
        }
    }
    None
}

fn render_path(steps: &[Step]) -> String {
    let mut s = String::new();
    for step in steps {
        match step {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn remove_at(node: &mut SourceNode, steps: &[Step]) -> bool {
    let Some((last, parents)) = steps.split_last() else {
        return false;
    };
    let mut cur = node;
    for step in parents {
        let next = match (step, &mut cur.value) {
            (Step::Key(k), SourceValue::Map(entries)) => entries
                .iter_mut()
                .find(|e| e.key == *k)
                .map(|e| &mut e.value),
            (Step::Index(i), SourceValue::Seq(items)) => items.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    match (last, &mut cur.value) {
        (Step::Key(k), SourceValue::Map(entries)) => {
            let before = entries.len();
            entries.retain(|e| e.key != *k);
            entries.len() < before
        }
        (Step::Index(i), SourceValue::Seq(items)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

fn humanize_serde(message: &str) -> String {
    let m = message
        .replace(
            "expected i32",
            "expected a whole number between -2147483648 and 2147483647",
        )
        .replace(
            "expected a string or an integer",
            "expected a port number or name",
        );
    format!("Invalid value: {m}")
}

/// The `kind` of an object, for messages.
pub fn object_kind(o: &Object) -> &'static str {
    match o {
        Object::Policy(p) => p.kind().as_str(),
        Object::Namespace(_) => "Namespace",
        Object::Pod(_) => "Pod",
    }
}

#[cfg(test)]
mod tests;
