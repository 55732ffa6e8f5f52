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
        if let Selection::Peer(at) = selected
            && let Some(sentence) = state.graph.with(|g| {
                g.as_ref()
                    .and_then(|(_, g)| g.peer(&at).map(|p| p.sentence.clone()))
            })
        {
            return sentence;
        }
        state.explained.with(|e| match e {
            Some(e) => e.summary.join(" "),
            None if state.analysis.with(|a| a.errors() > 0) => {
                "Fix the errors in the YAML to see what the policy does.".to_string()
            }
            None => "No policy to explain.".to_string(),
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
