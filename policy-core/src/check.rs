//! `check`: parse + validate + lint in one call, with every diagnostic
//! placed at its line and column. The CLI (`palisade check`), the HTTP API
//! (`POST /api/check`) and the page all call [`check`].

use std::collections::HashMap;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::{self, ClusterView, FileContext, LintSource};
use crate::model::Policy;
use crate::validate::validate;
use crate::yaml::{ParseOutput, ParsedObject, parse_bytes, parse_documents};

/// Checks a YAML or JSON text: syntax and schema problems, apiserver/Cilium
/// validation errors, and lint warnings (against `cluster` when given, for
/// the lints that need pods and namespaces). Sorted by position.
pub fn check(text: &str, cluster: Option<&ClusterView<'_>>) -> Vec<Diagnostic> {
    let parsed = parse_documents(text);
    check_parsed(text, &parsed, cluster)
}

/// [`check`] for raw bytes: invalid UTF-8 is one error with its position.
pub fn check_bytes(bytes: &[u8], cluster: Option<&ClusterView<'_>>) -> Vec<Diagnostic> {
    match std::str::from_utf8(bytes) {
        Ok(text) => check(text, cluster),
        Err(_) => parse_bytes(bytes).diagnostics,
    }
}

/// Checks several files together, as one workspace: each file's findings,
/// in order, where the lints that look across policies (a DNS rule in
/// another policy, two policies with one name) see the policies of every
/// file. What `palisade check FILE...` runs.
pub fn check_files(files: &[&[u8]], cluster: Option<&ClusterView<'_>>) -> Vec<Vec<Diagnostic>> {
    let parsed: Vec<Result<(&str, ParseOutput), Vec<Diagnostic>>> = files
        .iter()
        .map(|bytes| match std::str::from_utf8(bytes) {
            Ok(text) => Ok((text, parse_documents(text))),
            Err(_) => Err(parse_bytes(bytes).diagnostics),
        })
        .collect();
    let context = FileContext::of(parsed.iter().flatten().flat_map(|(_, p)| p.policies()));
    parsed
        .iter()
        .map(|file| match file {
            Ok((text, p)) => check_among(text, p, &context, cluster),
            Err(diags) => diags.clone(),
        })
        .collect()
}

/// [`check`] when the text was already parsed (`parsed` must come from `text`).
pub fn check_parsed(
    text: &str,
    parsed: &ParseOutput,
    cluster: Option<&ClusterView<'_>>,
) -> Vec<Diagnostic> {
    check_among(text, parsed, &FileContext::of(parsed.policies()), cluster)
}

/// [`check_parsed`], with `file` the context of every policy checked
/// together (the text's own and others').
fn check_among(
    text: &str,
    parsed: &ParseOutput,
    file: &FileContext,
    cluster: Option<&ClusterView<'_>>,
) -> Vec<Diagnostic> {
    let mut out = parsed.diagnostics.clone();
    for obj in &parsed.objects {
        let Some(policy) = obj.policy() else { continue };
        let source = LintSource {
            text,
            map: &obj.source_map,
        };
        let mut diags = validated(policy, &source);
        diags.extend(lint::lint_in_file(policy, Some(&source), file, cluster));
        out.extend(finish(obj, diags));
    }
    sort_diagnostics(&mut out);
    out
}

/// Validation findings, with source fixes where one is known.
fn validated(policy: &Policy, source: &LintSource<'_>) -> Vec<Diagnostic> {
    let mut diags = validate(policy);
    for d in &mut diags {
        if d.fix.is_none() {
            d.fix = lint::fix::fix_validation(d, source);
        }
    }
    diags
}

/// Places findings about an object: line and column from its source map,
/// and the `items[i]` prefix of a List item.
fn finish(obj: &ParsedObject, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .map(|mut d| {
            obj.locate(&mut d);
            if !obj.path_prefix.is_empty() {
                d.field = Some(match d.field.take() {
                    Some(f) if !f.is_empty() => format!("{}.{f}", obj.path_prefix),
                    _ => obj.path_prefix.clone(),
                });
            }
            d
        })
        .collect()
}

/// By position; at one position errors first.
fn sort_diagnostics(out: &mut [Diagnostic]) {
    out.sort_by(|a, b| {
        (a.line, a.column, a.severity != Severity::Error).cmp(&(
            b.line,
            b.column,
            b.severity != Severity::Error,
        ))
    });
}

/// Whether any diagnostic is an error (what makes `palisade check` exit 1).
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

/// What [`IncrementalCheck::check`] returns: what [`check`] finds, and the
/// policies read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checked {
    /// Every policy of the text, in source order.
    pub policies: Vec<Policy>,
    /// Findings, sorted by position, as [`check`] gives them.
    pub diagnostics: Vec<Diagnostic>,
}

/// One chunk's results, with positions relative to the chunk.
struct CachedChunk {
    parsed: ParseOutput,
    /// The chunk's part of the file context.
    context: FileContext,
    /// Validation findings per object of `parsed`.
    validation: Vec<Vec<Diagnostic>>,
    /// Lint findings per object, and the file context they were found in.
    lints: Option<(Arc<FileContext>, Vec<Vec<Diagnostic>>)>,
    /// Whether the chunk was used by the latest check (others are dropped).
    used: bool,
}

/// [`check`] for a text that is edited over and over (the page's editor):
/// the text is cut into its `---` chunks ([`crate::yaml::split_chunks`])
/// and only the chunks whose text changed are read and validated again.
/// Lints of an unchanged chunk are redone only when the rest of the file
/// changes what they depend on (its [`FileContext`]).
///
/// Gives the same diagnostics as [`check`] (without a cluster). For a text
/// with a YAML syntax error, reading stops at the chunk with the error, as
/// the reader stops at the error; the error's message can differ when the
/// whole stream would have run into the next document.
///
/// [`IncrementalCheck::check_in_workspace`] checks the text among the other
/// documents of a workspace, as [`check_files`] does for files.
#[derive(Default)]
pub struct IncrementalCheck {
    chunks: HashMap<String, CachedChunk>,
    /// The file context of each other workspace document, by its text.
    others: HashMap<String, OtherDocument>,
    /// The latest file context: kept while it does not change, so chunks
    /// compare theirs by pointer.
    context: Arc<FileContext>,
}

impl IncrementalCheck {
    /// A checker with nothing cached.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks `text`, reusing what is known about its unchanged chunks.
    pub fn check(&mut self, text: &str) -> Checked {
        self.check_in_workspace(text, [])
    }

    /// Checks `text` among the `others` documents of its workspace: the
    /// lints that look across policies (two policies with one name, a DNS
    /// rule in another policy) see theirs too, and the findings are those
    /// [`check_files`] gives for `text`. Each other document is read once
    /// per distinct text.
    pub fn check_in_workspace<'o>(
        &mut self,
        text: &str,
        others: impl IntoIterator<Item = &'o str>,
    ) -> Checked {
        for other in self.others.values_mut() {
            other.used = false;
        }
        for other in others {
            // Looked up by reference: the text is copied only when new.
            match self.others.get_mut(other) {
                Some(cached) => cached.used = true,
                None => {
                    let context = FileContext::of(parse_documents(other).policies());
                    self.others.insert(
                        other.to_owned(),
                        OtherDocument {
                            context,
                            used: true,
                        },
                    );
                }
            }
        }
        self.others.retain(|_, other| other.used);
        for c in self.chunks.values_mut() {
            c.used = false;
        }
        let mut parts = Vec::new();
        for chunk in crate::yaml::split_chunks(text) {
            let cached = self
                .chunks
                .entry(chunk.text.to_string())
                .or_insert_with(|| read_chunk(chunk.text));
            cached.used = true;
            let stop = cached.parsed.syntax_error().is_some();
            parts.push(chunk);
            if stop {
                break;
            }
        }
        self.chunks.retain(|_, c| c.used);
        let context = FileContext::merged(
            parts
                .iter()
                .map(|p| &self.chunks[p.text].context)
                .chain(self.others.values().map(|other| &other.context)),
        );
        if *self.context != context {
            self.context = Arc::new(context);
        }
        let context = Arc::clone(&self.context);
        let mut out = Checked::default();
        for part in &parts {
            let cached = self
                .chunks
                .get_mut(part.text)
                .expect("every part was cached above");
            if cached
                .lints
                .as_ref()
                .is_none_or(|(c, _)| !Arc::ptr_eq(c, &context))
            {
                let lints = lint_chunk(part.text, &cached.parsed, &context);
                cached.lints = Some((Arc::clone(&context), lints));
            }
            let shift = |d: &Diagnostic| {
                let mut d = d.clone();
                d.line = d.line.map(|l| l + part.line);
                if let Some(fix) = &mut d.fix {
                    for e in &mut fix.edits {
                        e.start += part.offset;
                        e.end += part.offset;
                    }
                }
                d
            };
            out.diagnostics
                .extend(cached.parsed.diagnostics.iter().map(shift));
            let lints = cached
                .lints
                .as_ref()
                .map(|(_, l)| l.as_slice())
                .unwrap_or(&[]);
            for (i, obj) in cached.parsed.objects.iter().enumerate() {
                let found = cached.validation[i].iter().chain(lints[i].iter());
                out.diagnostics.extend(found.map(shift));
                if let Some(p) = obj.policy() {
                    out.policies.push(p.clone());
                }
            }
        }
        sort_diagnostics(&mut out.diagnostics);
        out
    }
}

/// What the check of one document needs of another in its workspace.
struct OtherDocument {
    context: FileContext,
    /// Whether the latest check was given it (others are dropped).
    used: bool,
}

/// Reads and validates one chunk.
fn read_chunk(text: &str) -> CachedChunk {
    let parsed = parse_documents(text);
    let validation = parsed
        .objects
        .iter()
        .map(|obj| match obj.policy() {
            Some(policy) => {
                let source = LintSource {
                    text,
                    map: &obj.source_map,
                };
                finish(obj, validated(policy, &source))
            }
            None => Vec::new(),
        })
        .collect();
    CachedChunk {
        context: FileContext::of(parsed.policies()),
        parsed,
        validation,
        lints: None,
        used: true,
    }
}

/// Lints the policies of one chunk in the file's context.
fn lint_chunk(text: &str, parsed: &ParseOutput, context: &FileContext) -> Vec<Vec<Diagnostic>> {
    parsed
        .objects
        .iter()
        .map(|obj| match obj.policy() {
            Some(policy) => {
                let source = LintSource {
                    text,
                    map: &obj.source_map,
                };
                finish(
                    obj,
                    lint::lint_in_file(policy, Some(&source), context, None),
                )
            }
            None => Vec::new(),
        })
        .collect()
}
