//! The flows table: one row per distinct flow, with its verdict (or the
//! reason it has none) under the workspace's policies.

use std::collections::BTreeSet;

use leptos::prelude::*;
use policy_core::flows::Replay;

use super::LoadedFlows;
use super::filters::{FlowFilter, impact_summary, impact_text, l7_text, port_text};

/// The table, its summary and the file's problems.
#[component]
pub fn FlowsTable(
    loaded: RwSignal<Option<LoadedFlows>>,
    ticked: RwSignal<BTreeSet<usize>>,
    filter: Signal<FlowFilter>,
    impact: Memo<Option<(Replay, Replay)>>,
) -> impl IntoView {
    move || {
        let Some(l) = loaded.get() else {
            return view! { <p class="hint">"No flow log loaded yet."</p> }.into_any();
        };
        let a = &l.aggregates;
        let rows = filter.with(|f| f.visible(a));
        let imp = impact.get();
        let summary = imp
            .as_ref()
            .map(|(now, before)| impact_summary(now, before));
        let body = rows
            .into_iter()
            .map(|i| {
                let f = &a.flows[i];
                let (row, prev) = match &imp {
                    Some((now, before)) => (
                        now.flows.get(i).cloned(),
                        before.flows.get(i).map(|r| r.allowed),
                    ),
                    None => (None, None),
                };
                let allowed = row.as_ref().and_then(|r| r.allowed);
                let changed = row.is_some() && prev.is_some_and(|p| p != allowed);
                let why = row
                    .as_ref()
                    .map(|r| r.explanation())
                    .unwrap_or_default();
                let details = row
                    .as_ref()
                    .map(|r| r.reasons.join("\n"))
                    .unwrap_or_default();
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
                        <td>{port_text(f)}</td>
                        <td class="flow-l7">{l7_text(a.l7(f))}</td>
                        <td><span class="verdict" class:dropped=!f.verdict.is_allowed_traffic()>{f.verdict.as_str()}</span>{if f.is_reply { " (reply)" } else { "" }}</td>
                        <td class="num">{f.count}</td>
                        <td class="impact" class:allow=allowed == Some(true) class:deny=allowed == Some(false) title=details>
                            {impact_text(allowed, f.is_reply)}{was.unwrap_or("")}
                            <span class="muted impact-rule">{why}</span>
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
    }
}
