//! The posture summary of the current cluster and policies (policy-core's
//! `posture`), drawn as a score and its reasons.

use leptos::prelude::*;
use policy_core::posture::posture;

use crate::journeys::Journeys;

/// The score and its reasons.
#[component]
pub fn PostureSummary() -> impl IntoView {
    let j = expect_context::<Journeys>();
    let summary = Memo::new(move |_| j.cluster.with(|(_, c)| j.policies.with(|p| posture(c, p))));
    view! {
        <div class="posture" aria-labelledby="posture-title">
            {move || summary.with(|p| view! {
                <h3 id="posture-title" class="posture-title">
                    "Posture " <span class="posture-score" class:good={p.score >= 80} class:bad={p.score < 50} data-score=p.score>{format!("{}/100", p.score)}</span>
                </h3>
                <ul class="posture-reasons">
                    {p.reasons.iter().map(|r| view! {
                        <li class:lost={r.points > 0}>
                            <span class="posture-points">{if r.points > 0 { format!("−{} of {}", r.points, r.of) } else { format!("0 of {}", r.of) }}</span>
                            " " {r.text.clone()}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
}
