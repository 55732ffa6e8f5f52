//! The footer: the plain-language explanation of what is hovered, focused
//! or selected, and transient messages.

use leptos::prelude::*;

use crate::state::{AppState, Selection};

/// The footer bar.
#[component]
pub fn Footer() -> impl IntoView {
    let state = expect_context::<AppState>();
    let explanation = move || {
        if let Some(h) = state.hover.get() {
            return h;
        }
        let selected = state.selection.get();
        state.graph.with(|g| {
            let Some((_, g)) = g else { return "No policy to explain.".to_string() };
            match selected {
                Selection::Peer(at) => g.peer(&at).map(|p| p.sentence.clone()).unwrap_or_default(),
                _ => {
                    let who = match &g.subject.namespace {
                        Some(ns) => format!("pods {} in {ns}", g.subject.summary),
                        None => format!("pods {} in every namespace", g.subject.summary),
                    };
                    let count = |s: &policy_core::view::Side| s.peers().count();
                    format!(
                        "{} selects {who}. Ingress is {} ({} peer{}); egress is {} ({} peer{}).",
                        g.name,
                        g.ingress.isolation.label(),
                        count(&g.ingress),
                        if count(&g.ingress) == 1 { "" } else { "s" },
                        g.egress.isolation.label(),
                        count(&g.egress),
                        if count(&g.egress) == 1 { "" } else { "s" },
                    )
                }
            }
        })
    };
    // Messages fade after a while; errors stay a little longer.
    Effect::new(move |_| {
        if let Some(t) = state.toast.get() {
            let ms = if t.error { 7000 } else { 4000 };
            set_timeout(
                move || {
                    if state.toast.get_untracked().as_ref() == Some(&t) {
                        state.toast.set(None);
                    }
                },
                std::time::Duration::from_millis(ms),
            );
        }
    });
    view! {
        <footer class="footer">
            <span class="explain-label">"Explanation"</span>
            <span class="explain" aria-live="polite" data-testid="explanation">{explanation}</span>
        </footer>
        {move || state.toast.get().map(|t| view! {
            <div class="toast" class:error=t.error role=if t.error { "alert" } else { "status" }>
                <span>{t.text}</span>
                <button type="button" class="toast-x" aria-label="Dismiss" on:click=move |_| state.toast.set(None)>"×"</button>
            </div>
        })}
    }
}
