//! The page: layout of the components, global shortcuts, drag and drop,
//! persistence and theme.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::browser;
use crate::components::footer::Footer;
use crate::components::graph::GraphCanvas;
use crate::components::header::Header;
use crate::components::inspector::Inspector;
use crate::components::sidebar::Sidebar;
use crate::components::yaml_pane::YamlPane;
use crate::state::{AppState, STORAGE_KEY};

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    let journeys = crate::journeys::Journeys::provide(state);

    // Keep the workspace in localStorage: written shortly after changes
    // settle (off the typing path), and at once when the page is hidden.
    let save_rev = StoredValue::new(0u64);
    let save = move || browser::store(STORAGE_KEY, &state.ws.with_untracked(|w| w.to_json()));
    Effect::new(move |_| {
        state.ws.track();
        save_rev.update_value(|r| *r += 1);
        let rev = save_rev.get_value();
        set_timeout(
            move || {
                if save_rev.get_value() == rev {
                    save();
                }
            },
            std::time::Duration::from_millis(150),
        );
    });
    let hide = window_event_listener(leptos::ev::pagehide, move |_| save());
    on_cleanup(move || hide.remove());
    Effect::new(move |_| browser::set_theme(state.dark.get()));

    // Undo/redo everywhere, including the YAML pane (its text is ours).
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        let key = ev.key().to_lowercase();
        if !(ev.ctrl_key() || ev.meta_key()) || ev.alt_key() {
            return;
        }
        let redo = (key == "z" && ev.shift_key()) || (key == "y" && !ev.shift_key());
        if redo {
            ev.prevent_default();
            state.redo();
        } else if key == "z" {
            ev.prevent_default();
            state.undo();
        }
    });
    on_cleanup(move || handle.remove());

    // Links: `/?id=…` (share), `/?policy-url=…`, `/?policy-tutorial=…`.
    crate::journeys::open_from_url(state, journeys);

    let dragging = RwSignal::new(false);
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let Some(files) = ev.data_transfer().and_then(|d| d.files()) else {
            return;
        };
        for i in 0..files.length() {
            if let Some(file) = files.get(i) {
                let name = file.name();
                wasm_bindgen_futures::spawn_local(async move {
                    match browser::read_file(&file).await {
                        Ok(text) => state.import(&text, &name),
                        Err(e) => state.say(format!("{name}: {e}"), true),
                    }
                });
            }
        }
    };
    let on_dragover = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(true);
    };

    // Tell tests (and the bench) that the editor is interactive.
    request_animation_frame(|| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.set_attribute("data-ready", "true");
            if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
                let _ = perf.mark("palisade-ready");
            }
        }
    });

    view! {
        <div class="app" class:dragging=move || dragging.get()
            on:drop=on_drop on:dragover=on_dragover on:dragleave=move |_| dragging.set(false)>
            <Header/>
            <div class="workbench">
                <Sidebar/>
                <main class="main" class:journey-open=move || journeys.panel.get().is_some()>
                    <Show when=move || journeys.panel.get().is_none() fallback=crate::journeys::JourneyPanel>
                        <GraphCanvas/>
                        <Inspector/>
                    </Show>
                </main>
                <YamlPane/>
            </div>
            <Footer/>
            <div class="drop-hint" aria-hidden="true">"Drop YAML to import"</div>
            <crate::journeys::ShareDialog/>
        </div>
    }
}
