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

/// Sends `file` to [`FLOWS_URL`] with its progress in `upload`, and hands
/// the answer to `show` unless `current` says another file was chosen since.
fn upload_flows(
    file: web_sys::File,
    upload: RwSignal<Upload>,
    current: impl Fn() -> bool + Copy + 'static,
    show: impl Fn(String, Aggregates, Vec<String>) + 'static,
) {
    let name = file.name();
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
        let answer = match result {
            Ok((200, body)) => read_answer(&body)
                .map_err(|e| format!("{name}: the server's answer could not be read ({e})")),
            Ok((status, body)) => Err(format!("{name}: HTTP {status}: {}", api_error(&body))),
            Err(e) => Err(format!("{name}: {e}")),
        };
        match answer {
            Ok((aggregates, problems)) => {
                upload.set(Upload::Idle);
                show(name, aggregates, problems);
            }
            Err(why) => upload.set(Upload::Failed(why)),
        }
    });
}

/// Reads the answer of `POST /api/flows`: the aggregates, and the problems
/// to show (the first of the read reports', after a note on flows left out
/// at the server's aggregation limit).
fn read_answer(body: &str) -> Result<(Aggregates, Vec<String>), serde_json::Error> {
    let answer = serde_json::from_str::<FlowsAnswer>(body)?;
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
    Ok((answer.aggregates, problems))
}

/// The policies generated from the `picks` (indexes into the flows of
/// `aggregates`), as YAML texts; why there are none otherwise.
fn generated_texts(
    aggregates: &Aggregates,
    picks: &std::collections::BTreeSet<usize>,
    opts: &GenerateOptions,
) -> Result<Vec<String>, String> {
    if picks.is_empty() {
        return Err("Tick the flows the policy should allow first.".to_owned());
    }
    let subset = Aggregates {
        flows: aggregates
            .flows
            .iter()
            .enumerate()
            .filter(|(i, _)| picks.contains(i))
            .map(|(_, f)| f.clone())
            .collect(),
        ..aggregates.clone()
    };
    let generated = generate(&subset, opts);
    if generated.policies.is_empty() {
        return Err(format!(
            "No policy generated: {}",
            generated.warnings.join("; ")
        ));
    }
    Ok(generated.policies.iter().map(policy_text::emit).collect())
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
        latest.update_value(|n| *n += 1);
        let this = latest.get_value();
        let current = move || latest.get_value() == this;
        upload_flows(file, upload, current, show);
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
        let opts = GenerateOptions {
            flavor: flavor.get_untracked(),
            verdicts: verdicts.get_untracked(),
            ..GenerateOptions::default()
        };
        match generated_texts(&l.aggregates, &ticked.get_untracked(), &opts) {
            Ok(texts) => {
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
            }
            Err(why) => state.say(why, true),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_gives_aggregates_and_the_problems_to_show() {
        let mut aggregates = filters::tests::aggregates();
        aggregates.over_limit = 7;
        let report = ReadReport {
            problems: (1..=9)
                .map(|line| LineProblem {
                    line,
                    column: None,
                    severity: policy_core::flows::ProblemSeverity::Error,
                    message: "not JSON".to_owned(),
                })
                .collect(),
            ..ReadReport::default()
        };
        let body = serde_json::json!({"aggregates": aggregates, "inputs": [report]});
        let (read, problems) = read_answer(&body.to_string()).unwrap();
        assert_eq!(read, aggregates);
        assert!(problems[0].starts_with("7 flows left out"), "{problems:?}");
        assert_eq!(problems.len(), 1 + SHOWN_PROBLEMS, "{problems:?}");
        assert!(problems[1].starts_with("line 1"), "{problems:?}");
        assert!(read_answer("<html>").is_err());
    }

    #[test]
    fn only_the_ticked_flows_are_generated_from() {
        let aggregates = filters::tests::aggregates();
        let opts = GenerateOptions::default();
        let none = generated_texts(&aggregates, &Default::default(), &opts);
        assert_eq!(
            none.unwrap_err(),
            "Tick the flows the policy should allow first."
        );
        let texts = generated_texts(&aggregates, &[0].into(), &opts).unwrap();
        let all = texts.join("\n");
        assert!(all.contains("app: db") && all.contains("port: 80"), "{all}");
        assert!(!all.contains("443"), "the unticked flow is left out: {all}");
    }
}
