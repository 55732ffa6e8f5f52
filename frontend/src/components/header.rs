//! The top bar: product name, flavour switch and the main actions.

use leptos::prelude::*;
use policy_core::model::PolicyKind;
use wasm_bindgen::JsCast;

use crate::analysis::doc_title;
use crate::browser;
use crate::state::{AppState, THEME_KEY};

/// The header.
#[component]
pub fn Header() -> impl IntoView {
    let state = expect_context::<AppState>();
    let kind = move || state.analysis.with(|a| a.policy.as_ref().map(|p| p.kind()));
    let is_np = move || kind() == Some(PolicyKind::NetworkPolicy);
    let is_cilium = move || {
        matches!(
            kind(),
            Some(PolicyKind::CiliumNetworkPolicy | PolicyKind::CiliumClusterwideNetworkPolicy)
        )
    };
    let file_input = NodeRef::<leptos::html::Input>::new();

    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            let name = file.name();
            wasm_bindgen_futures::spawn_local(async move {
                match browser::read_file(&file).await {
                    Ok(text) => state.import(&text, &name),
                    Err(e) => state.say(format!("{name}: {e}"), true),
                }
            });
        }
        input.set_value("");
    };
    let download = move |_| {
        let text = state.ws.with_untracked(|w| w.current().text.clone());
        let name = doc_title(&text);
        if let Err(e) = browser::download(&format!("{name}.yaml"), &text) {
            state.say(format!("Download failed: {e}"), true);
        }
    };
    let copy = move |_| {
        let text = state.ws.with_untracked(|w| w.current().text.clone());
        wasm_bindgen_futures::spawn_local(async move {
            match browser::copy(&text).await {
                Ok(()) => state.say("YAML copied to the clipboard", false),
                Err(e) => state.say(format!("Copy failed: {e}"), true),
            }
        });
    };
    let share = move |_| {
        expect_context::<crate::journeys::Journeys>()
            .share_open
            .set(true)
    };
    let toggle_theme = move |_| {
        state.dark.update(|d| *d = !*d);
        browser::store(
            THEME_KEY,
            if state.dark.get_untracked() {
                "dark"
            } else {
                "light"
            },
        );
    };

    view! {
        <header class="topbar">
            <div class="brand">
                <svg class="logo" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M4 20V8l3-4 3 4v12M10 20V8l3-4 3 4v12M16 20V8l2.5-4L21 8v12" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/>
                    <path d="M3 12h19M3 16h19" stroke="currentColor" stroke-width="1.8"/>
                </svg>
                <span class="brand-name">"Palisade"</span>
            </div>
            <div class="segmented" role="group" aria-label="Policy flavour">
                <button type="button" aria-pressed=move || is_np().to_string()
                    on:click=move |_| state.convert(PolicyKind::NetworkPolicy)
                    title="Kubernetes NetworkPolicy">"NetworkPolicy"</button>
                <button type="button" aria-pressed=move || is_cilium().to_string()
                    on:click=move |_| state.convert(PolicyKind::CiliumNetworkPolicy)
                    title="CiliumNetworkPolicy">"Cilium"</button>
            </div>
            <div class="current-name" aria-live="polite">
                {move || state.ws.with(|w| doc_title(&w.current().text))}
            </div>
            <nav class="actions" aria-label="Actions">
                <button type="button" class="btn" on:click=move |_| {
                    let kind = kind().unwrap_or(PolicyKind::NetworkPolicy);
                    state.new_policy(kind);
                }>"New"</button>
                <button type="button" class="btn" on:click=move |_| {
                    if let Some(i) = file_input.get_untracked() { i.click(); }
                }>"Open"</button>
                <input type="file" class="visually-hidden" accept=".yaml,.yml,.json,text/yaml"
                    aria-label="Open a YAML file" tabindex="-1" node_ref=file_input on:change=on_file/>
                <button type="button" class="btn" on:click=download title="Download the selected policy as YAML">"Download"</button>
                <button type="button" class="btn" on:click=copy title="Copy the YAML">"Copy"</button>
                <button type="button" class="btn primary" on:click=share>"Share"</button>
                <button type="button" class="btn icon" on:click=toggle_theme
                    aria-label=move || if state.dark.get() { "Switch to light theme" } else { "Switch to dark theme" }>
                    {move || if state.dark.get() { "☀" } else { "☾" }}
                </button>
            </nav>
        </header>
    }
}

fn event_target<T: JsCast>(ev: &leptos::ev::Event) -> T {
    ev.target().expect("event target").unchecked_into::<T>()
}
