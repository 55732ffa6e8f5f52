//! The flows panel: load a Hubble flow log (uploaded with a progress bar to
//! `/api/flows`, which streams it through policy-core's reader and
//! aggregation and answers the aggregates), the table of distinct flows with
//! filters, generating a policy from ticked flows, and the impact preview
//! (each flow under the workspace's policies, changes since the previous
//! version highlighted).
//!
//! Every file, small or large, takes the one server path: reading Hubble's
//! JSON in the page as well would cost the bundle about 37 KiB (gzip) for
//! no gain a user can see. Generation and the impact preview run here, on
//! the aggregates, so they follow every edit without a round trip.

use std::collections::BTreeSet;

use leptos::prelude::*;
use policy_core::flows::{
    Aggregates, Flavor, GenerateOptions, L7Key, LineProblem, ReadReport, generate, replay,
};
use serde::Deserialize;

use super::Journeys;
use super::links::api_error;
use super::upload::post_file;
use crate::policy_text;
use crate::state::AppState;
use crate::workspace::ChangeKind;

/// Where large flow logs are uploaded.
const FLOWS_URL: &str = "/api/flows";

/// Problems shown under the table (the rest are counted in the read report).
const SHOWN_PROBLEMS: usize = 5;

/// A flow log, aggregated by the server.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedFlows {
    name: String,
    aggregates: Aggregates,
    /// Lines that could not be read, in words.
    problems: Vec<String>,
}

/// The answer of `POST /api/flows` (the fields the page uses).
#[derive(Deserialize)]
struct FlowsAnswer {
    aggregates: Aggregates,
    #[serde(default)]
    inputs: Vec<ReadReport>,
}

/// A large file's upload.
#[derive(Clone, Debug, PartialEq)]
enum Upload {
    Idle,
    /// Sending; `fraction` of the bytes are sent (1.0: the server is reading).
    Sending {
        name: String,
        fraction: f64,
    },
    Failed(String),
}

/// The first problems of the read reports, in words.
fn problem_texts<'a>(problems: impl IntoIterator<Item = &'a LineProblem>) -> Vec<String> {
    problems
        .into_iter()
        .take(SHOWN_PROBLEMS)
        .map(|p| format!("line {p}"))
        .collect()
}

/// What the progress bar says.
fn upload_label(name: &str, fraction: f64) -> String {
    let percent = (fraction * 100.0).clamp(0.0, 100.0);
    if fraction >= 1.0 {
        format!("Uploaded {name} ({percent:.0}%); the server is reading it…")
    } else {
        format!("Uploading {name}… {percent:.0}%")
    }
}

fn l7_text(l7: &L7Key) -> String {
    match l7 {
        L7Key::None => String::new(),
        L7Key::Http { method, path } => format!("HTTP {method} {path}"),
        L7Key::Dns { query } => format!("DNS {query}"),
    }
}

/// The panel.
#[component]
pub fn FlowsPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let j = expect_context::<Journeys>();
    let loaded = j.flows;
    let ticked = j.flow_ticks;
    let upload = RwSignal::new(Upload::Idle);
    let text_filter = RwSignal::new(String::new());
    let verdict_filter = RwSignal::new(String::new());
    let hide_replies = RwSignal::new(true);
    let flavor = RwSignal::new(Flavor::Kubernetes);
    let dragging = RwSignal::new(false);
    // Which file is being loaded: a slow upload's answer must not replace a
    // file chosen after it.
    let latest = StoredValue::new(0u64);

    // Tick every forwarded request by default, show the table.
    let show = move |name: String, aggregates: Aggregates, problems: Vec<String>| {
        let n = aggregates.flows.len();
        let ticks: BTreeSet<usize> = aggregates
            .flows
            .iter()
            .enumerate()
            .filter(|(_, f)| f.verdict.is_allowed_traffic() && !f.is_reply)
            .map(|(i, _)| i)
            .collect();
        ticked.set(ticks);
        loaded.set(Some(LoadedFlows {
            name: name.clone(),
            aggregates,
            problems,
        }));
        state.say(format!("{name}: {n} distinct flows"), false);
    };

    let take_file = move |file: web_sys::File| {
        let name = file.name();
        latest.update_value(|n| *n += 1);
        let this = latest.get_value();
        let current = move || latest.get_value() == this;
        upload.set(Upload::Sending {
            name: name.clone(),
            fraction: 0.0,
        });
        wasm_bindgen_futures::spawn_local(async move {
            let progress_name = name.clone();
            let result = post_file(FLOWS_URL, &file, move |f| {
                if current() {
                    upload.set(Upload::Sending {
                        name: progress_name.clone(),
                        fraction: f,
                    })
                }
            })
            .await;
            if !current() {
                return;
            }
            let failed = |why: String| upload.set(Upload::Failed(why));
            match result {
                Ok((200, body)) => match serde_json::from_str::<FlowsAnswer>(&body) {
                    Ok(answer) => {
                        upload.set(Upload::Idle);
                        let a = &answer.aggregates;
                        let mut problems = problem_texts(
                            answer
                                .inputs
                                .iter()
                                .flat_map(|r| &r.problems)
                                .chain(&a.problems),
                        );
                        if a.over_limit > 0 {
                            problems.insert(
                                0,
                                format!(
                                    "{} flows left out: the server's aggregation limit was reached",
                                    a.over_limit
                                ),
                            );
                        }
                        show(name, answer.aggregates, problems);
                    }
                    Err(e) => failed(format!(
                        "{name}: the server's answer could not be read ({e})"
                    )),
                },
                Ok((status, body)) => {
                    failed(format!("{name}: HTTP {status}: {}", api_error(&body)))
                }
                Err(e) => failed(format!("{name}: {e}")),
            }
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement =
            wasm_bindgen::JsCast::unchecked_into(ev.target().expect("target"));
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            take_file(file);
        }
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        // Flow logs are not YAML: keep the page's import handler out of it.
        ev.prevent_default();
        ev.stop_propagation();
        dragging.set(false);
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            take_file(file);
        }
    };

    // The impact preview: now and before the latest edit.
    let impact = Memo::new(move |_| {
        loaded.with(|l| {
            l.as_ref().map(|l| {
                let now = j.policies.with(|p| replay(&l.aggregates, p));
                let before = j.previous.with(|p| replay(&l.aggregates, p));
                (now, before)
            })
        })
    });

    let add_generated = move |_| {
        let Some(l) = loaded.get_untracked() else {
            return;
        };
        let picks = ticked.get_untracked();
        if picks.is_empty() {
            state.say("Tick the flows the policy should allow first.", true);
            return;
        }
        let mut subset = l.aggregates.clone();
        subset.flows = l
            .aggregates
            .flows
            .iter()
            .enumerate()
            .filter(|(i, _)| picks.contains(i))
            .map(|(_, f)| f.clone())
            .collect();
        let opts = GenerateOptions {
            flavor: flavor.get_untracked(),
            ..GenerateOptions::default()
        };
        let generated = generate(&subset, &opts);
        if generated.policies.is_empty() {
            state.say(
                format!("No policy generated: {}", generated.warnings.join("; ")),
                true,
            );
            return;
        }
        let texts: Vec<String> = generated.policies.iter().map(policy_text::emit).collect();
        let n = texts.len();
        state.change(ChangeKind::Step, |w| {
            for t in texts {
                w.add(t);
            }
        });
        state.say(
            format!(
                "Added {n} generated polic{} to the workspace",
                if n == 1 { "y" } else { "ies" }
            ),
            false,
        );
    };

    let visible = move || -> Vec<usize> {
        let tf = text_filter.get().to_lowercase();
        let vf = verdict_filter.get();
        let hide = hide_replies.get();
        loaded.with(|l| {
            let Some(l) = l else { return Vec::new() };
            let a = &l.aggregates;
            a.flows
                .iter()
                .enumerate()
                .filter(|(_, f)| !(hide && f.is_reply))
                .filter(|(_, f)| vf.is_empty() || f.verdict.as_str() == vf)
                .filter(|(_, f)| {
                    tf.is_empty()
                        || a.identity(f.source).display.to_lowercase().contains(&tf)
                        || a.identity(f.destination)
                            .display
                            .to_lowercase()
                            .contains(&tf)
                        || l7_text(a.l7(f)).to_lowercase().contains(&tf)
                })
                .map(|(i, _)| i)
                .collect()
        })
    };

    let table = move || {
        let rows = visible();
        let Some(l) = loaded.get() else {
            return view! { <p class="hint">"No flow log loaded yet."</p> }.into_any();
        };
        let imp = impact.get();
        let a = &l.aggregates;
        let summary = imp.as_ref().map(|(now, before)| {
            let changed = now.flows.iter().zip(&before.flows).filter(|(x, y)| x.allowed != y.allowed).count();
            format!(
                "Under the workspace's policies: {} allowed, {} denied, {} not evaluated; {} changed by the latest edit.",
                now.summary.allowed, now.summary.denied, now.summary.not_evaluated, changed
            )
        });
        let body = rows
            .into_iter()
            .map(|i| {
                let f = &a.flows[i];
                let (row, prev) = match &imp {
                    Some((now, before)) => (now.flows.get(i).cloned(), before.flows.get(i).map(|r| r.allowed)),
                    None => (None, None),
                };
                let allowed = row.as_ref().and_then(|r| r.allowed);
                let changed = row.is_some() && prev.is_some_and(|p| p != allowed);
                let impact_text = match allowed {
                    Some(true) => "allowed",
                    Some(false) => "denied",
                    None => "not evaluated",
                };
                let matched = row
                    .as_ref()
                    .map(|r| if r.matched.is_empty() { r.note.clone().unwrap_or_default() } else { r.matched.join("; ") })
                    .unwrap_or_default();
                let why = row.as_ref().map(|r| r.reasons.join("\n")).unwrap_or_default();
                let was = changed.then(|| match prev.flatten() {
                    Some(true) => " (was allowed)",
                    Some(false) => " (was denied)",
                    None => "",
                });
                view! {
                    <tr class="flow-row" class:changed=changed class:reply=f.is_reply
                        data-verdict=f.verdict.as_str() data-reply=f.is_reply.to_string()
                        data-allowed=match allowed { Some(b) => b.to_string(), None => "n/a".to_string() }>
                        <td><input type="checkbox" aria-label="Use this flow"
                            prop:checked=move || ticked.with(|t| t.contains(&i))
                            on:change=move |_| ticked.update(|t| { if !t.remove(&i) { t.insert(i); } })/></td>
                        <td class="flow-ends">{a.identity(f.source).display.clone()} " → " {a.identity(f.destination).display.clone()}</td>
                        <td>{f.port.map(|p| format!("{p}/{}", f.protocol.as_str())).unwrap_or_else(|| f.protocol.as_str().to_string())}</td>
                        <td class="flow-l7">{l7_text(a.l7(f))}</td>
                        <td><span class="verdict" class:dropped=!f.verdict.is_allowed_traffic()>{f.verdict.as_str()}</span>{if f.is_reply { " (reply)" } else { "" }}</td>
                        <td class="num">{f.count}</td>
                        <td class="impact" class:allow=allowed == Some(true) class:deny=allowed == Some(false) title=why>
                            {impact_text}{was.unwrap_or("")}
                            <span class="muted impact-rule">{matched}</span>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <p class="flows-meta">
                {format!("{}: {} flows, {} distinct ({} identities).", l.name, a.total_flows, a.flows.len(), a.identities.len())}
            </p>
            {(!l.problems.is_empty()).then(|| view! { <p class="hint">{format!("Problems in the file: {}", l.problems.join("; "))}</p> })}
            {summary.map(|s| view! { <p class="impact-summary" aria-live="polite">{s}</p> })}
            <table class="flows-table">
                <thead><tr>
                    <th><span class="visually-hidden">"Use"</span></th><th>"Source → destination"</th><th>"Port"</th><th>"L7"</th>
                    <th>"Observed"</th><th class="num">"Count"</th><th>"Under the workspace"</th>
                </tr></thead>
                <tbody>{body}</tbody>
            </table>
        }
        .into_any()
    };

    view! {
        <section class="journey flows" aria-labelledby="flows-title">
            <div class="journey-head">
                <h2 id="flows-title" class="journey-title">"Flows"</h2>
            </div>
            <div class="dropzone" class:over=move || dragging.get()
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); ev.stop_propagation(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <p>"Drop a Hubble flow log here (" <code>"hubble observe -o json"</code> "), or "</p>
                <label class="btn primary file-btn">
                    "Choose a flow file…"
                    <input type="file" class="visually-hidden flow-file" accept=".json,.jsonl,.log,.txt,application/json" aria-label="Choose a flow file" on:change=on_file/>
                </label>
                <p class="hint">"The file is uploaded to the server (up to 256 MiB unless it is configured otherwise), which reads it as a stream and sends back the distinct flows. Generating policies and the impact preview then run in your browser, following every edit."</p>
            </div>
            <super::live_flows::LiveFlows on_loaded=move |(name, aggregates, problems)| show(name, aggregates, problems)/>
            {move || match upload.get() {
                Upload::Idle => ().into_any(),
                Upload::Sending { name, fraction } => view! {
                    <div class="upload-progress" aria-live="polite">
                        <label>{upload_label(&name, fraction)}
                            <progress max="1" value=fraction.to_string()></progress>
                        </label>
                    </div>
                }.into_any(),
                Upload::Failed(why) => view! { <p class="cv-error" role="alert">{why}</p> }.into_any(),
            }}
            <Show when=move || loaded.with(Option::is_some)>
                <div class="flows-controls">
                    <label>"Filter "
                        <input type="search" placeholder="namespace, workload, path…" aria-label="Filter flows"
                            prop:value=move || text_filter.get() on:input=move |ev| text_filter.set(event_target_value(&ev))/>
                    </label>
                    <label>"Observed "
                        <select aria-label="Observed verdict" on:change=move |ev| verdict_filter.set(event_target_value(&ev))>
                            <option value="">"Any"</option>
                            <option value="FORWARDED">"FORWARDED"</option>
                            <option value="DROPPED">"DROPPED"</option>
                            <option value="REDIRECTED">"REDIRECTED"</option>
                            <option value="AUDIT">"AUDIT"</option>
                        </select>
                    </label>
                    <label><input type="checkbox" prop:checked=move || hide_replies.get()
                        on:change=move |_| hide_replies.update(|h| *h = !*h)/>" Hide replies"</label>
                    <span class="spacer"></span>
                    <label>"Flavor "
                        <select aria-label="Policy flavor" on:change=move |ev| flavor.set(if event_target_value(&ev) == "cilium" { Flavor::Cilium } else { Flavor::Kubernetes })>
                            <option value="kubernetes">"Kubernetes"</option>
                            <option value="cilium">"Cilium"</option>
                        </select>
                    </label>
                    <button type="button" class="btn primary" on:click=add_generated>
                        {move || format!("Generate a policy from {} ticked flows", ticked.with(BTreeSet::len))}
                    </button>
                </div>
            </Show>
            <div class="flows-table-wrap">{table}</div>
        </section>
    }
}
