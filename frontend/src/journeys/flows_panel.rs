//! The flows panel: load a Hubble flow log (uploaded with a progress bar to
//! `/api/flows`, which streams it through policy-core's reader and
//! aggregation and answers the aggregates), the table of distinct flows with
//! filters, generating a policy from ticked flows, and the impact preview
//! (each flow under the workspace's policies, changes since the previous
//! version highlighted).
//!
//! The panel holds the state and the upload; its parts are small
//! components (`drop_zone`, `controls`, `table`) and the filters are pure
//! functions (`filters`), tested natively.
//!
//! Every file, small or large, takes the one server path: reading Hubble's
//! JSON in the page as well would cost the bundle about 37 KiB (gzip) for
//! no gain a user can see. Generation and the impact preview run here, on
//! the aggregates, so they follow every edit without a round trip.

mod controls;
mod drop_zone;
mod filters;
mod table;

use leptos::prelude::*;
use policy_core::flows::{
    Aggregates, Flavor, GenerateOptions, LineProblem, ReadReport, Verdict, generate, replay,
};
use serde::Deserialize;

use controls::FlowsControls;
use drop_zone::FlowDropZone;
use filters::{FlowFilter, default_ticks};
use table::FlowsTable;

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
pub enum Upload {
    /// Nothing being sent.
    Idle,
    /// Sending; `fraction` of the bytes are sent (1.0: the server is reading).
    Sending {
        /// The file's name.
        name: String,
        /// Share of the bytes sent.
        fraction: f64,
    },
    /// The upload or the server failed; why.
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
    let verdicts = RwSignal::new(vec![Verdict::Forwarded]);
    // Which file is being loaded: a slow upload's answer must not replace a
    // file chosen after it.
    let latest = StoredValue::new(0u64);

    // Tick the requests whose verdict is to be allowed, show the table.
    let show = move |name: String, aggregates: Aggregates, problems: Vec<String>| {
        let n = aggregates.flows.len();
        ticked.set(default_ticks(&aggregates, &verdicts.get_untracked()));
        loaded.set(Some(LoadedFlows {
            name: name.clone(),
            aggregates,
            problems,
        }));
        state.say(format!("{name}: {n} distinct flows"), false);
    };
    // Asking to allow other verdicts ticks their flows.
    Effect::watch(
        move || verdicts.get(),
        move |v, _, _| {
            if let Some(l) = loaded.get_untracked() {
                ticked.set(default_ticks(&l.aggregates, v));
            }
        },
        false,
    );

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

    let add_generated = move |()| {
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
            verdicts: verdicts.get_untracked(),
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

    let filter = Signal::derive(move || FlowFilter {
        text: text_filter.get(),
        verdict: verdict_filter.get(),
        hide_replies: hide_replies.get(),
    });

    view! {
        <section class="journey flows" aria-labelledby="flows-title">
            <div class="journey-head">
                <h2 id="flows-title" class="journey-title">"Flows"</h2>
            </div>
            <FlowDropZone upload=upload on_file=Callback::new(take_file)/>
            <super::live_flows::LiveFlows on_loaded=move |(name, aggregates, problems)| show(name, aggregates, problems)/>
            <Show when=move || loaded.with(Option::is_some)>
                <FlowsControls text_filter=text_filter verdict_filter=verdict_filter
                    hide_replies=hide_replies flavor=flavor verdicts=verdicts ticked=ticked
                    on_generate=Callback::new(add_generated)/>
            </Show>
            <div class="flows-table-wrap">
                <FlowsTable loaded=loaded ticked=ticked filter=filter impact=impact/>
            </div>
        </section>
    }
}
