//! Links in and out: the share dialog (`POST /api/shares`), and opening
//! `/?id=<share>`, `/?policy-url=<url>` (through `GET /api/fetch`) and
//! `/?policy-tutorial=<id>`.

use leptos::prelude::*;
use policy_core::tutorial;

use super::{ActiveTutorial, Journey, Journeys};
use crate::analysis::split_documents;
use crate::browser;
use crate::state::AppState;
use crate::workspace::{ChangeKind, Workspace};

/// The `message` of an API error envelope `{"error":{"code","message"}}`,
/// or the body itself.
pub(super) fn api_error(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.chars().take(200).collect())
}

/// Replaces the workspace with the documents of `yaml` (an undoable step).
pub(super) fn replace_workspace(state: AppState, yaml: &str) -> usize {
    let docs = split_documents(yaml);
    let n = docs.len();
    state.change(ChangeKind::Step, |w| *w = Workspace::from_texts(docs));
    n
}

/// Starts a tutorial: its starting workspace replaces the current one.
pub(super) fn start_tutorial(state: AppState, j: Journeys, id: &str) -> bool {
    let Some(t) = tutorial::find(id) else {
        return false;
    };
    let docs: Vec<String> = t.start_documents();
    state.change(ChangeKind::Step, |w| *w = Workspace::from_texts(docs));
    j.cluster.set(("demo cluster".to_string(), t.cluster()));
    j.tutorial.set(Some(ActiveTutorial {
        id: t.id.to_string(),
        step: 0,
    }));
    j.panel.set(Some(Journey::Tutorials));
    true
}

/// Opens what the page's URL asks for: a share, a policy URL or a tutorial.
/// Problems are shown as a notice that stays until dismissed.
pub fn open_from_url(state: AppState, j: Journeys) {
    if let Some(id) = browser::query_param("policy-tutorial")
        && !start_tutorial(state, j, &id)
    {
        let ids: Vec<&str> = tutorial::all().iter().map(|t| t.id).collect();
        j.notice(
            format!(
                "There is no tutorial “{id}”. Tutorials: {}.",
                ids.join(", ")
            ),
            true,
        );
        j.panel.set(Some(Journey::Tutorials));
    }
    if let Some(id) = browser::query_param("id") {
        wasm_bindgen_futures::spawn_local(async move {
            let url = format!("/api/shares/{}", js_sys::encode_uri_component(&id));
            match browser::fetch_text("GET", &url, None).await {
                Ok((200, body)) => {
                    let yaml = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v.get("yaml").and_then(|y| y.as_str()).map(str::to_string));
                    match yaml {
                        Some(y) => {
                            let n = replace_workspace(state, &y);
                            state.say(format!("Opened shared workspace {id} ({n} polic{}): an editable copy", plural(n)), false);
                        }
                        None => j.notice(format!("Shared workspace {id} could not be read."), true),
                    }
                }
                Ok((404, _)) => j.notice(
                    format!("No shared workspace has the id “{id}”. The link may be mistyped, or the share was removed."),
                    true,
                ),
                Ok((400, body)) => j.notice(format!("“{id}” is not a valid share id: {}", api_error(&body)), true),
                Ok((status, body)) => {
                    j.notice(format!("Could not open shared workspace {id} (HTTP {status}): {}", api_error(&body)), true)
                }
                Err(e) => j.notice(format!("Could not open shared workspace {id}: {e}"), true),
            }
        });
    }
    if let Some(target) = browser::query_param("policy-url") {
        wasm_bindgen_futures::spawn_local(async move {
            let url = format!("/api/fetch?url={}", js_sys::encode_uri_component(&target));
            match browser::fetch_text("GET", &url, None).await {
                Ok((200, body)) => {
                    let yaml = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v.get("yaml").and_then(|y| y.as_str()).map(str::to_string));
                    match yaml {
                        Some(y) if !split_documents(&y).is_empty() => {
                            let n = replace_workspace(state, &y);
                            state.say(
                                format!("Loaded {n} polic{} from {target}", plural(n)),
                                false,
                            );
                        }
                        _ => j.notice(format!("{target} holds no YAML documents."), true),
                    }
                }
                Ok((status, body)) => j.notice(
                    format!(
                        "Could not load {target} (HTTP {status}): {}",
                        api_error(&body)
                    ),
                    true,
                ),
                Err(e) => j.notice(format!("Could not load {target}: {e}"), true),
            }
        });
    }
}

/// `https://host:port` of the page.
fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "y" } else { "ies" }
}

/// What the share dialog shows.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ShareState {
    Creating,
    Ready(String),
    Failed(String),
}

/// The share dialog and the link notice banner.
#[component]
pub fn ShareDialog() -> impl IntoView {
    let state = expect_context::<AppState>();
    let j = expect_context::<Journeys>();
    let status = RwSignal::new(ShareState::Creating);
    let create = move || {
        status.set(ShareState::Creating);
        let yaml = state.all_yaml();
        let n = state.ws.with_untracked(|w| w.docs.len());
        let title = format!("Palisade workspace ({n} polic{})", plural(n));
        let body = serde_json::json!({ "yaml": yaml, "title": title }).to_string();
        wasm_bindgen_futures::spawn_local(async move {
            match browser::fetch_text("POST", "/api/shares", Some(&body)).await {
                Ok((201 | 200, resp)) => {
                    let url = serde_json::from_str::<serde_json::Value>(&resp)
                        .ok()
                        .and_then(|v| v.get("url").and_then(|u| u.as_str()).map(str::to_string));
                    match url {
                        Some(u) => status.set(ShareState::Ready(format!("{}{u}", origin()))),
                        None => {
                            status.set(ShareState::Failed("the server's answer has no link".into()))
                        }
                    }
                }
                Ok((status_code, resp)) => status.set(ShareState::Failed(format!(
                    "HTTP {status_code}: {}",
                    api_error(&resp)
                ))),
                Err(e) => status.set(ShareState::Failed(e)),
            }
        });
    };
    Effect::new(move |_| {
        if j.share_open.get() {
            create();
        }
    });
    let copy = move |_| {
        if let ShareState::Ready(link) = status.get_untracked() {
            wasm_bindgen_futures::spawn_local(async move {
                match browser::copy(&link).await {
                    Ok(()) => state.say("Link copied to the clipboard", false),
                    Err(e) => state.say(
                        format!("Copy failed: {e}; select the link and copy it"),
                        true,
                    ),
                }
            });
        }
    };
    let close = move |_| j.share_open.set(false);
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            j.share_open.set(false);
        }
    };
    view! {
        {move || j.notice.get().map(|(text, error)| view! {
            <div class="link-notice" class:error=error role="alert">
                <span>{text}</span>
                <button type="button" class="btn small" on:click=move |_| j.notice.set(None)>"Dismiss"</button>
            </div>
        })}
        <Show when=move || j.share_open.get()>
            <div class="modal-backdrop" on:keydown=on_key>
                <div class="modal" role="dialog" aria-modal="true" aria-labelledby="share-title">
                    <h2 id="share-title" class="modal-title">"Share this workspace"</h2>
                    <p class="hint">"Anyone with the link opens an editable copy of every policy in the workspace."</p>
                    {move || match status.get() {
                        ShareState::Creating => view! { <p class="share-status">"Creating the link…"</p> }.into_any(),
                        ShareState::Ready(link) => view! {
                            <div class="share-link-row">
                                <input class="share-link" type="text" readonly aria-label="Share link" prop:value=link.clone()/>
                                <button type="button" class="btn primary" on:click=copy>"Copy link"</button>
                            </div>
                            <p class="hint"><a href=link.clone() target="_blank" rel="noopener">"Open the link in a new tab"</a></p>
                        }.into_any(),
                        ShareState::Failed(why) => view! {
                            <p class="share-status error" role="alert">{format!("Sharing failed: {why}")}</p>
                            <button type="button" class="btn" on:click=move |_| create()>"Try again"</button>
                        }.into_any(),
                    }}
                    <div class="modal-actions">
                        <button type="button" class="btn" on:click=close autofocus>"Close"</button>
                    </div>
                </div>
            </div>
        </Show>
    }
}
