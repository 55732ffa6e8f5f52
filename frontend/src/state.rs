//! The page's state (signals) and the actions that change it. Components
//! read signals and call these actions; the actions call policy-core.

use leptos::prelude::*;
use policy_core::edit::{self, EditError};
use policy_core::explain::{Explanation, explain};
use policy_core::model::{Policy, PolicyKind};
use policy_core::view::{Direction, GroupKind, PeerRef, PolicyGraph};

use crate::analysis::{Analysis, split_documents};
use crate::browser;
use crate::layout::Expanded;
use crate::policy_text;
use crate::samples;
use crate::workspace::{ChangeKind, History, Workspace};

/// localStorage key of the workspace.
pub const STORAGE_KEY: &str = "palisade.workspace.v1";
/// localStorage key of the theme.
pub const THEME_KEY: &str = "palisade.theme";

/// What the inspector shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Nothing selected.
    None,
    /// The selected pods (centre box).
    Subject,
    /// A peer.
    Peer(PeerRef),
    /// Adding a peer to a group.
    Add(Direction, GroupKind),
}

/// A message shown briefly at the bottom of the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    /// The text.
    pub text: String,
    /// Error (red) or information.
    pub error: bool,
}

/// All the page's signals, shared through context.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The workspace.
    pub ws: RwSignal<Workspace>,
    /// Undo/redo history.
    pub history: StoredValue<History>,
    /// Bumped when the history changes (for the undo/redo buttons).
    pub history_rev: RwSignal<u32>,
    /// Analysis of the selected text.
    pub analysis: Memo<Analysis>,
    /// The graph drawn: the selected doc's last good graph.
    pub graph: Memo<Option<(u32, PolicyGraph)>>,
    /// The explanation of the analysed policy. It follows the analysis a
    /// moment later (a zero-delay timeout), so typing pays only for the
    /// graph and the findings.
    pub explained: RwSignal<Option<Explanation>>,
    /// The inspector's subject.
    pub selection: RwSignal<Selection>,
    /// The sentence for what is hovered or focused.
    pub hover: RwSignal<Option<String>>,
    /// A transient message.
    pub toast: RwSignal<Option<Toast>>,
    /// Dark theme on.
    pub dark: RwSignal<bool>,
    /// A line the YAML pane should reveal (1-based), with a counter so the
    /// same line can be requested twice.
    pub jump: RwSignal<Option<(u32, u32)>>,
    /// The collapsed groups shown as lists.
    pub expanded: RwSignal<Expanded>,
}

impl AppState {
    /// Creates the state, restoring the workspace from localStorage.
    pub fn new() -> AppState {
        let restored = browser::load(STORAGE_KEY).and_then(|j| Workspace::from_json(&j));
        let ws = RwSignal::new(restored.unwrap_or_else(|| {
            Workspace::from_texts(vec![
                samples::WEB_ALLOW_FRONTEND.to_string(),
                samples::API_L7.to_string(),
            ])
        }));
        // Every change of the text gives a new analysis, so comparing the
        // old and new ones (a deep walk of two policies) is skipped; the
        // memos downstream still compare what they draw. The checker keeps
        // the findings of each `---` document, so a keystroke re-reads only
        // the document it changed, and the workspace's other documents are
        // read once per version (for the lints that look across policies).
        let checker = StoredValue::new_local(policy_core::check::IncrementalCheck::new());
        let analysis = Memo::new_with_compare(
            move |_| {
                ws.with(|w| {
                    checker
                        .try_update_value(|c| Analysis::of(c, &w.current().text, w.others()))
                        .unwrap_or_default()
                })
            },
            |_, _| true,
        );
        let graph = Memo::new(move |prev: Option<&Option<(u32, PolicyGraph)>>| {
            let id = ws.with(|w| w.current().id);
            match analysis.with(|a| a.graph.clone()) {
                Some(g) => Some((id, g)),
                None => prev.cloned().flatten().filter(|(pid, _)| *pid == id),
            }
        });
        let explained = RwSignal::new(analysis.with_untracked(|a| a.policy.as_ref().map(explain)));
        let explain_rev = StoredValue::new(0u64);
        Effect::new(move |_| {
            analysis.track();
            explain_rev.update_value(|r| *r += 1);
            let rev = explain_rev.get_value();
            set_timeout(
                move || {
                    // Only the latest analysis is explained.
                    if explain_rev.get_value() == rev {
                        explained.set(analysis.with_untracked(|a| a.policy.as_ref().map(explain)));
                    }
                },
                std::time::Duration::ZERO,
            );
        });
        let dark = match browser::load(THEME_KEY).as_deref() {
            Some("dark") => true,
            Some("light") => false,
            _ => browser::prefers_dark(),
        };
        AppState {
            ws,
            history: StoredValue::new(History::default()),
            history_rev: RwSignal::new(0),
            analysis,
            graph,
            explained,
            selection: RwSignal::new(Selection::None),
            hover: RwSignal::new(None),
            toast: RwSignal::new(None),
            dark: RwSignal::new(dark),
            jump: RwSignal::new(None),
            expanded: RwSignal::new(Expanded::new()),
        }
    }

    /// The explanation of the current analysis, now (for views built once,
    /// which cannot wait for [`AppState::explained`]).
    pub fn explanation_now(&self) -> Option<Explanation> {
        self.analysis
            .with_untracked(|a| a.policy.as_ref().map(explain))
    }

    /// Shows a message.
    pub fn say(&self, text: impl Into<String>, error: bool) {
        self.toast.set(Some(Toast {
            text: text.into(),
            error,
        }));
    }

    /// Changes the workspace, recording an undo step.
    pub fn change(&self, kind: ChangeKind, f: impl FnOnce(&mut Workspace)) {
        let before = self.ws.get_untracked();
        let now = browser::now_ms();
        self.history.update_value(|h| h.record(&before, kind, now));
        self.ws.update(f);
        self.history_rev.update(|r| *r += 1);
    }

    /// The user typed in the YAML pane.
    pub fn type_text(&self, text: String) {
        let id = self.ws.with_untracked(|w| w.current().id);
        self.change(ChangeKind::Typing(id), |w| w.set_text(text));
    }

    /// Applies an edit to the selected policy and rewrites its YAML.
    pub fn edit(&self, f: impl FnOnce(&Policy) -> Result<Policy, EditError>) -> bool {
        let Some(policy) = self.analysis.with_untracked(|a| a.policy.clone()) else {
            self.say(
                "Fix the YAML errors first: visual edits need a valid policy.",
                true,
            );
            return false;
        };
        match f(&policy) {
            Ok(p) => {
                let text = policy_text::emit(&p);
                self.change(ChangeKind::Step, |w| w.set_text(text));
                true
            }
            Err(e) => {
                self.say(e.to_string(), true);
                false
            }
        }
    }

    /// Undoes the last change.
    pub fn undo(&self) {
        let current = self.ws.get_untracked();
        if let Some(prev) = self
            .history
            .try_update_value(|h| h.undo(&current))
            .flatten()
        {
            self.ws.set(prev);
            self.history_rev.update(|r| *r += 1);
        }
    }

    /// Redoes the last undone change.
    pub fn redo(&self) {
        let current = self.ws.get_untracked();
        if let Some(next) = self
            .history
            .try_update_value(|h| h.redo(&current))
            .flatten()
        {
            self.ws.set(next);
            self.history_rev.update(|r| *r += 1);
        }
    }

    /// Adds a new empty policy of a kind.
    pub fn new_policy(&self, kind: PolicyKind) {
        let n = self.ws.with_untracked(|w| w.docs.len()) + 1;
        let policy = edit::new_policy(kind, &format!("new-policy-{n}"), "default");
        let text = policy_text::emit(&policy);
        self.change(ChangeKind::Step, |w| w.add(text));
        self.selection.set(Selection::Subject);
    }

    /// Adds the documents of an imported text, one workspace entry each.
    pub fn import(&self, text: &str, source: &str) {
        let docs = split_documents(text);
        if docs.is_empty() {
            self.say(format!("{source}: nothing to import"), true);
            return;
        }
        let n = docs.len();
        self.change(ChangeKind::Step, |w| {
            for d in docs {
                w.add(d);
            }
        });
        self.selection.set(Selection::None);
        self.say(
            format!(
                "Imported {n} polic{} from {source}",
                if n == 1 { "y" } else { "ies" }
            ),
            false,
        );
    }

    /// Converts the selected policy to another flavour.
    pub fn convert(&self, target: PolicyKind) {
        let Some(policy) = self.analysis.with_untracked(|a| a.policy.clone()) else {
            self.say(
                "Fix the YAML errors first: conversion needs a valid policy.",
                true,
            );
            return;
        };
        if policy.kind() == target {
            return;
        }
        match edit::convert(&policy, target) {
            Ok(c) => {
                let text = policy_text::emit(&c.policy);
                self.change(ChangeKind::Step, |w| w.set_text(text));
                self.selection.set(Selection::None);
                if c.notes.is_empty() {
                    self.say(format!("Converted to {}", target.as_str()), false);
                } else {
                    self.say(
                        format!(
                            "Converted to {}. Note: {}",
                            target.as_str(),
                            c.notes.join("; ")
                        ),
                        false,
                    );
                }
            }
            Err(e) => self.say(e.to_string(), true),
        }
    }

    /// The whole workspace as one multi-document YAML stream.
    pub fn all_yaml(&self) -> String {
        self.ws
            .with_untracked(|w| policy_text::join_documents(w.docs.iter().map(|d| d.text.as_str())))
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}
