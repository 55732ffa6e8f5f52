//! The controls above the flows table: filters, the verdicts to allow, the
//! flavor, and the generate button.

use std::collections::BTreeSet;

use leptos::prelude::*;
use policy_core::flows::{Flavor, Verdict};

/// Which observed verdicts "Generate" allows, as the select offers them.
pub const VERDICT_CHOICES: [(&str, &str); 3] = [
    ("FORWARDED", "forwarded"),
    ("FORWARDED,DROPPED", "forwarded and dropped"),
    ("FORWARDED,DROPPED,AUDIT", "forwarded, dropped and audited"),
];

/// Filters, verdicts, flavor and the generate button.
#[component]
pub fn FlowsControls(
    text_filter: RwSignal<String>,
    verdict_filter: RwSignal<String>,
    hide_replies: RwSignal<bool>,
    flavor: RwSignal<Flavor>,
    verdicts: RwSignal<Vec<Verdict>>,
    ticked: RwSignal<BTreeSet<usize>>,
    on_generate: Callback<()>,
) -> impl IntoView {
    view! {
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
            <label>"Allow what was "
                <select aria-label="Verdicts to allow" on:change=move |ev| {
                    if let Ok(v) = policy_core::flows::parse_verdicts(&event_target_value(&ev)) {
                        verdicts.set(v);
                    }
                }>
                    {VERDICT_CHOICES.iter().map(|(value, label)| view! { <option value=*value>{*label}</option> }).collect_view()}
                </select>
            </label>
            <label>"Flavor "
                <select aria-label="Policy flavor" on:change=move |ev| flavor.set(if event_target_value(&ev) == "cilium" { Flavor::Cilium } else { Flavor::Kubernetes })>
                    <option value="kubernetes">"Kubernetes"</option>
                    <option value="cilium">"Cilium"</option>
                </select>
            </label>
            <button type="button" class="btn primary" on:click=move |_| on_generate.run(())>
                {move || format!("Generate a policy from {} ticked flows", ticked.with(BTreeSet::len))}
            </button>
        </div>
    }
}
