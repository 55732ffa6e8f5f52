//! The page's journeys beyond editing one policy: sharing and opening links,
//! tutorials, Hubble flows (upload, table, generate, impact preview) and the
//! cluster view (heat map, why, live diff, posture).
//!
//! Every answer comes from policy-core (`tutorial`, `flows`, `engine`,
//! `diff`, `posture`); these components only hold signals and draw.

mod cluster_view;
mod flows_panel;
mod links;
mod live_flows;
mod tutorials;
mod upload;

use std::collections::HashMap;

use leptos::prelude::*;
use policy_core::cluster::Cluster;
use policy_core::model::Policy;
use policy_core::tutorial;

use crate::state::AppState;

pub use links::{ShareDialog, open_from_url};

/// Which journey panel replaces the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Journey {
    /// The tutorials.
    Tutorials,
    /// Hubble flows.
    Flows,
    /// The cluster view.
    Cluster,
}

/// The active tutorial and step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveTutorial {
    /// Tutorial id.
    pub id: String,
    /// 0-based step.
    pub step: usize,
}

/// Signals of the journeys, shared through context.
#[derive(Clone, Copy)]
pub struct Journeys {
    /// The open panel (`None`: the policy graph).
    pub panel: RwSignal<Option<Journey>>,
    /// The share dialog is open.
    pub share_open: RwSignal<bool>,
    /// The tutorial being followed.
    pub tutorial: RwSignal<Option<ActiveTutorial>>,
    /// The cluster the cluster view and the goal checks use, with its name.
    pub cluster: RwSignal<(String, Cluster)>,
    /// The workspace's policies, parsed (documents with errors contribute
    /// what could be read).
    pub policies: Memo<Vec<Policy>>,
    /// The previous semantic version of the workspace's policies (before the
    /// latest change that altered them), or the pinned one.
    pub previous: RwSignal<Vec<Policy>>,
    /// Whether `previous` is pinned (stops following edits).
    pub pinned: RwSignal<bool>,
    /// The flow log loaded in the flows panel.
    pub flows: RwSignal<Option<flows_panel::LoadedFlows>>,
    /// Indices of the ticked flows.
    pub flow_ticks: RwSignal<std::collections::BTreeSet<usize>>,
    /// A message about a link that stays until dismissed (text, is error).
    pub notice: RwSignal<Option<(String, bool)>>,
}

impl Journeys {
    /// Creates the journeys' state and provides it as context.
    pub fn provide(state: AppState) -> Journeys {
        // Every policy of the workspace. The selected document's policies
        // come from its analysis (already parsed for the editor); the
        // others are parsed once per text and cached by document id, so a
        // keystroke parses nothing twice.
        let others = StoredValue::new(HashMap::<u32, (String, Vec<Policy>)>::new());
        let policies = Memo::new(move |_| {
            let current = state.analysis.with(|a| a.all.clone());
            state.ws.with(|w| {
                let selected = w.current().id;
                others
                    .try_update_value(|cache| {
                        cache
                            .retain(|id, _| w.docs.iter().any(|d| d.id == *id && d.id != selected));
                        let mut all = Vec::new();
                        for d in &w.docs {
                            if d.id == selected {
                                all.extend(current.iter().cloned());
                                continue;
                            }
                            let entry = cache
                                .entry(d.id)
                                .or_insert_with(|| (String::new(), Vec::new()));
                            if entry.0 != d.text {
                                *entry =
                                    (d.text.clone(), tutorial::workspace_policies(&[&d.text]).0);
                            }
                            all.extend(entry.1.iter().cloned());
                        }
                        all
                    })
                    .unwrap_or_default()
            })
        });
        let journeys = Journeys {
            panel: RwSignal::new(None),
            share_open: RwSignal::new(false),
            tutorial: RwSignal::new(None),
            cluster: RwSignal::new(("demo cluster".to_string(), tutorial::demo_cluster())),
            policies,
            previous: RwSignal::new(policies.get_untracked()),
            pinned: RwSignal::new(false),
            notice: RwSignal::new(None),
            flows: RwSignal::new(None),
            flow_ticks: RwSignal::new(Default::default()),
        };
        // Follow semantic versions: when the policies change, the old ones
        // become "previous" (unless pinned).
        // Checked just after each change (a zero-delay timeout), so typing
        // does not pay for collecting and comparing every policy.
        let last = StoredValue::new(policies.get_untracked());
        let rev = StoredValue::new(0u64);
        Effect::new(move |_| {
            state.ws.track();
            rev.update_value(|r| *r += 1);
            let mine = rev.get_value();
            set_timeout(
                move || {
                    if rev.get_value() != mine {
                        return;
                    }
                    let now = policies.get_untracked();
                    let before = last.get_value();
                    if before != now {
                        if !journeys.pinned.get_untracked() {
                            journeys.previous.set(before);
                        }
                        last.set_value(now);
                    }
                },
                std::time::Duration::ZERO,
            );
        });
        provide_context(journeys);
        journeys
    }

    /// Shows a notice that stays until dismissed.
    pub fn notice(&self, text: impl Into<String>, error: bool) {
        self.notice.set(Some((text.into(), error)));
    }

    /// Pins the current policies as the comparison baseline, or unpins.
    pub fn toggle_pin(&self) {
        if self.pinned.get_untracked() {
            self.pinned.set(false);
        } else {
            self.previous.set(self.policies.get_untracked());
            self.pinned.set(true);
        }
    }
}

/// Rail entries that open the journey panels.
#[component]
pub fn JourneyRail() -> impl IntoView {
    let j = expect_context::<Journeys>();
    let entry = move |journey: Option<Journey>, label: &'static str| {
        view! {
            <li>
                <button type="button" class="rail-entry" class:active=move || j.panel.get() == journey
                    aria-pressed=move || (j.panel.get() == journey).to_string()
                    data-journey=label
                    on:click=move |_| j.panel.set(journey)>
                    {label}
                </button>
            </li>
        }
    };
    let progress = move || {
        j.tutorial.get().and_then(|t| {
            tutorial::find(&t.id)
                .map(|tt| format!("{} · step {}/{}", tt.title, t.step + 1, tt.steps.len()))
        })
    };
    view! {
        <nav class="journey-rail" aria-label="Views">
            <ul>
                {entry(None, "Policy graph")}
                {entry(Some(Journey::Tutorials), "Tutorials")}
                {entry(Some(Journey::Flows), "Flows")}
                {entry(Some(Journey::Cluster), "Cluster")}
            </ul>
            {move || progress().map(|p| view! { <p class="rail-hint journey-progress">{p}</p> })}
        </nav>
    }
}

/// The open journey panel (mounted in place of the graph).
#[component]
pub fn JourneyPanel() -> impl IntoView {
    let j = expect_context::<Journeys>();
    move || match j.panel.get() {
        Some(Journey::Tutorials) => view! { <tutorials::TutorialsPanel/> }.into_any(),
        Some(Journey::Flows) => view! { <flows_panel::FlowsPanel/> }.into_any(),
        Some(Journey::Cluster) => view! { <cluster_view::ClusterView/> }.into_any(),
        None => ().into_any(),
    }
}
