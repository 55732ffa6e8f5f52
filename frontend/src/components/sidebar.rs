//! The side rail: the workspace's policies.

use leptos::prelude::*;

use crate::analysis::doc_title;
use crate::policy_text;
use crate::state::{AppState, Selection};
use crate::workspace::ChangeKind;

/// The workspace list with add, duplicate and delete.
#[component]
pub fn Sidebar() -> impl IntoView {
    let state = expect_context::<AppState>();
    // A memo: typing changes the text on every keystroke, the titles rarely,
    // and the list is rebuilt only when they do.
    let items = Memo::new(move |_| {
        state.ws.with(|w| {
            w.docs
                .iter()
                .enumerate()
                .map(|(i, d)| (i, d.id, doc_title(&d.text), i == w.selected))
                .collect::<Vec<_>>()
        })
    });
    let duplicate = move |_| {
        let text = state.ws.with_untracked(|w| w.current().text.clone());
        // The copy gets a distinct name so both can be applied.
        let text = match state.analysis.with_untracked(|a| a.policy.clone()) {
            Some(p) => {
                let name = format!("{}-copy", p.name());
                policy_core::edit::rename(&p, &name)
                    .map(|p| policy_text::emit(&p))
                    .unwrap_or(text)
            }
            None => text,
        };
        state.change(ChangeKind::Step, |w| w.duplicate(text));
    };
    let delete = move |_| {
        state.change(ChangeKind::Step, |w| w.delete_selected());
        state.selection.set(Selection::None);
    };
    let download_all = move |_| {
        if let Err(e) = crate::browser::download("palisade-workspace.yaml", &state.all_yaml()) {
            state.say(format!("Download failed: {e}"), true);
        }
    };
    view! {
        <aside class="sidebar" aria-label="Workspace">
            <h2 class="rail-title">"Workspace"</h2>
            <ul class="doc-list" aria-label="Policies">
                {move || items.get().into_iter().map(|(i, id, title, selected)| view! {
                    <li>
                        <button type="button" class="doc-item" class:active=selected
                            aria-current=if selected { "true" } else { "false" }
                            data-doc-id=id
                            on:click=move |_| {
                                state.ws.update(|w| w.select(i));
                                state.selection.set(Selection::None);
                            }>
                            <span class="doc-dot" aria-hidden="true"></span>
                            <span class="doc-name">{title}</span>
                        </button>
                    </li>
                }).collect_view()}
            </ul>
            <div class="rail-actions">
                <button type="button" class="btn small" on:click=move |_| {
                    state.new_policy(policy_core::model::PolicyKind::NetworkPolicy)
                }>"+ Add"</button>
                <button type="button" class="btn small" on:click=duplicate>"Duplicate"</button>
                <button type="button" class="btn small danger" on:click=delete>"Delete"</button>
                <button type="button" class="btn small" on:click=download_all
                    title="Download every policy as one multi-document YAML file">"Download all"</button>
            </div>
            <p class="rail-hint">"Drop YAML files anywhere to import them. Multi-document files become one policy each."</p>
            <crate::journeys::JourneyRail/>
        </aside>
    }
}
