//! "Read live flows for 30 s": the flows panel's live source. The server
//! (`palisade serve --hubble-relay HOST:PORT`) reads Hubble Relay for the
//! window and streams `GET /api/flows/live` as server-sent events: progress
//! about every second, then the same aggregates `POST /api/flows` answers,
//! which go to the panel's table like an uploaded file's.
//!
//! The stream is read with `XMLHttpRequest` (its progress events expose the
//! text received so far), not `EventSource`, so that a refusal (503 when the
//! server has no Relay) shows the server's message.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use policy_core::flows::{Aggregates, ReadReport};
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use super::links::api_error;

/// How long one reading lasts, in seconds.
pub const LIVE_SECONDS: u64 = 30;

/// Problems listed under the table.
const SHOWN_PROBLEMS: usize = 5;

/// Where the server streams live flows.
fn live_url(seconds: u64) -> String {
    format!("/api/flows/live?seconds={seconds}")
}

/// One server-sent event: its name and data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// `event:` (default `message`).
    pub name: String,
    /// The `data:` lines, joined by newlines.
    pub data: String,
}

/// Parses the complete events (ended by a blank line) in `text`. Returns
/// them and how many bytes they used; the rest is an event still arriving.
pub fn parse_events(text: &str) -> (Vec<SseEvent>, usize) {
    let mut events = Vec::new();
    let mut used = 0;
    while let Some(end) = text[used..].find("\n\n") {
        let block = &text[used..used + end];
        used += end + 2;
        let mut name = "message".to_owned();
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines() {
            if let Some(rest) = line.strip_prefix("event:") {
                name = rest.trim().to_owned();
            } else if let Some(rest) = line.strip_prefix("data:") {
                data.push(rest.strip_prefix(' ').unwrap_or(rest));
            }
        }
        // Comment-only blocks (keep-alives) carry no data.
        if !data.is_empty() {
            events.push(SseEvent {
                name,
                data: data.join("\n"),
            });
        }
    }
    (events, used)
}

/// A `progress` event.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq)]
struct Progress {
    flows: u64,
    elapsed_ms: u64,
    seconds: u64,
}

/// The `result` event: the `/api/flows` answer (the fields used here).
#[derive(Deserialize)]
struct LiveAnswer {
    aggregates: Aggregates,
    #[serde(default)]
    inputs: Vec<ReadReport>,
}

/// What the live source is doing.
#[derive(Clone, Debug, PartialEq)]
enum Live {
    Idle,
    Reading(Progress),
    Failed(String),
}

/// The progress line.
fn progress_label(p: &Progress) -> String {
    let elapsed = (p.elapsed_ms / 1000).min(p.seconds);
    format!(
        "Reading live flows from Hubble Relay… {elapsed} s of {}, {} flows so far",
        p.seconds, p.flows
    )
}

/// The first problems of a reading, in words (a "line" is one message).
fn problem_texts(answer: &LiveAnswer) -> Vec<String> {
    let mut problems: Vec<String> = answer
        .inputs
        .iter()
        .flat_map(|r| &r.problems)
        .chain(&answer.aggregates.problems)
        .take(SHOWN_PROBLEMS)
        .map(|p| format!("message {p}"))
        .collect();
    if answer.aggregates.over_limit > 0 {
        problems.insert(
            0,
            format!(
                "{} flows left out: the server's aggregation limit was reached",
                answer.aggregates.over_limit
            ),
        );
    }
    problems
}

/// The handlers of one reading, dropped when it ends.
struct Reading {
    xhr: web_sys::XmlHttpRequest,
    _on_progress: Closure<dyn FnMut()>,
    _on_load: Closure<dyn FnMut()>,
    _on_error: Closure<dyn FnMut()>,
}

/// The button, progress and errors of the live source. `on_loaded` gets
/// (name, aggregates, problems) when a reading completes.
#[component]
pub fn LiveFlows(
    #[prop(into)] on_loaded: Callback<(String, Aggregates, Vec<String>)>,
) -> impl IntoView {
    let status = RwSignal::new(Live::Idle);
    let current: Rc<RefCell<Option<Reading>>> = Rc::new(RefCell::new(None));
    let current = StoredValue::new_local(current);

    let start = move |_| {
        if matches!(status.get_untracked(), Live::Reading(_)) {
            return;
        }
        let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
            status.set(Live::Failed(
                "this browser cannot stream from the server".into(),
            ));
            return;
        };
        if xhr.open("GET", &live_url(LIVE_SECONDS)).is_err() {
            status.set(Live::Failed("cannot ask the server for live flows".into()));
            return;
        }
        status.set(Live::Reading(Progress {
            seconds: LIVE_SECONDS,
            ..Progress::default()
        }));
        let used = Rc::new(Cell::new(0usize));
        let finished = Rc::new(Cell::new(false));
        // Handles the complete events received so far.
        let handle = {
            let xhr = xhr.clone();
            let used = Rc::clone(&used);
            let finished = Rc::clone(&finished);
            move || {
                if finished.get() || xhr.status().unwrap_or(0) != 200 {
                    return;
                }
                let text = xhr.response_text().ok().flatten().unwrap_or_default();
                let Some(rest) = text.get(used.get()..) else {
                    return;
                };
                let (events, consumed) = parse_events(rest);
                used.set(used.get() + consumed);
                for event in events {
                    match event.name.as_str() {
                        "progress" => {
                            if let Ok(p) = serde_json::from_str::<Progress>(&event.data) {
                                status.set(Live::Reading(p));
                            }
                        }
                        "result" => {
                            finished.set(true);
                            match serde_json::from_str::<LiveAnswer>(&event.data) {
                                Ok(answer) => {
                                    status.set(Live::Idle);
                                    let problems = problem_texts(&answer);
                                    on_loaded.run((
                                        format!("Live flows ({LIVE_SECONDS} s)"),
                                        answer.aggregates,
                                        problems,
                                    ));
                                }
                                Err(e) => status.set(Live::Failed(format!(
                                    "the server's answer could not be read ({e})"
                                ))),
                            }
                        }
                        "error" => {
                            finished.set(true);
                            status.set(Live::Failed(format!(
                                "Live flows: {}",
                                api_error(&event.data)
                            )));
                        }
                        _ => {}
                    }
                }
            }
        };
        let on_progress = Closure::<dyn FnMut()>::new({
            let handle = handle.clone();
            move || handle()
        });
        let on_load = Closure::<dyn FnMut()>::new({
            let xhr = xhr.clone();
            let finished = Rc::clone(&finished);
            move || {
                handle();
                let code = xhr.status().unwrap_or(0);
                if code != 200 {
                    let body = xhr.response_text().ok().flatten().unwrap_or_default();
                    status.set(Live::Failed(format!(
                        "Live flows: HTTP {code}: {}",
                        api_error(&body)
                    )));
                } else if !finished.get() {
                    status.set(Live::Failed(
                        "Live flows: the server ended the stream without a result".into(),
                    ));
                }
                current.with_value(|c| c.borrow_mut().take());
            }
        });
        let on_error = Closure::<dyn FnMut()>::new(move || {
            status.set(Live::Failed(
                "Live flows: the connection to the server was lost".into(),
            ));
            current.with_value(|c| c.borrow_mut().take());
        });
        xhr.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
        xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        if xhr.send().is_err() {
            status.set(Live::Failed("cannot ask the server for live flows".into()));
            return;
        }
        current.with_value(|c| {
            *c.borrow_mut() = Some(Reading {
                xhr,
                _on_progress: on_progress,
                _on_load: on_load,
                _on_error: on_error,
            })
        });
    };
    let cancel = move |_| {
        current.with_value(|c| {
            if let Some(reading) = c.borrow_mut().take() {
                let _ = reading.xhr.abort();
            }
        });
        status.set(Live::Idle);
    };

    view! {
        <div class="live-flows">
            <button type="button" class="btn live-flows-start"
                disabled=move || matches!(status.get(), Live::Reading(_))
                on:click=start>
                {format!("Read live flows for {LIVE_SECONDS} s")}
            </button>
            <span class="hint">"from the Hubble Relay the server is connected to"</span>
            {move || match status.get() {
                Live::Idle => ().into_any(),
                Live::Reading(p) => view! {
                    <div class="upload-progress live-progress" aria-live="polite">
                        <label>{progress_label(&p)}
                            <progress max=p.seconds.to_string() value=(p.elapsed_ms / 1000).to_string()></progress>
                        </label>
                        <button type="button" class="btn" on:click=cancel>"Stop"</button>
                    </div>
                }.into_any(),
                Live::Failed(why) => view! { <p class="cv-error" role="alert">{why}</p> }.into_any(),
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_cut_at_blank_lines() {
        let text =
            "event: progress\ndata: {\"flows\":3}\n\n: keep-alive\n\nevent: result\ndata: {\"a\":";
        let (events, used) = parse_events(text);
        assert_eq!(
            events,
            [SseEvent {
                name: "progress".into(),
                data: "{\"flows\":3}".into()
            }]
        );
        assert_eq!(&text[used..], "event: result\ndata: {\"a\":");
        let (events, used) = parse_events("data: one\ndata: two\n\n");
        assert_eq!(events[0].name, "message");
        assert_eq!(events[0].data, "one\ntwo");
        assert_eq!(used, "data: one\ndata: two\n\n".len());
    }

    #[test]
    fn progress_reads_in_seconds() {
        let p = Progress {
            flows: 12,
            elapsed_ms: 4_500,
            seconds: 30,
        };
        assert_eq!(
            progress_label(&p),
            "Reading live flows from Hubble Relay… 4 s of 30, 12 flows so far"
        );
    }
}
