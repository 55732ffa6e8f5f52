//! The heat maps: pods × pods (one connection per cell) and namespaces ×
//! namespaces (allowed pod pairs per cell), and the latest edit's diff.

use std::collections::BTreeSet;

use leptos::prelude::*;
use policy_core::cluster::EndpointId;
use policy_core::cluster::filter::PodAxes;
use policy_core::diff::PolicyDiff;
use policy_core::engine::{PortKey, TruthTable, by_namespace};

use super::Axis;
use crate::journeys::Journeys;

/// "This edit opens 3 connections and closes 12", with the connections.
pub(super) fn diff_view(d: &PolicyDiff, pinned: bool) -> AnyView {
    let base = if pinned {
        "Since the pinned version"
    } else {
        "The latest edit"
    };
    let sentence = if d.newly_allowed.is_empty() && d.newly_denied.is_empty() {
        format!("{base} changes no connection on this cluster.")
    } else {
        format!(
            "{base} opens {} connection{} and closes {}.",
            d.newly_allowed.len(),
            if d.newly_allowed.len() == 1 { "" } else { "s" },
            d.newly_denied.len()
        )
    };
    let list = |items: &[policy_core::diff::ChangedConnection],
                class: &'static str,
                mark: &'static str| {
        items
            .iter()
            .take(12)
            .map(|c| {
                view! {
                    <li class=class title=c.explain()>{format!("{mark} {} → {} on {}", c.from, c.to, c.port)}</li>
                }
            })
            .collect_view()
    };
    view! {
        <p class="cv-diff-sentence">{sentence}</p>
        <ul class="cv-diff-list">
            {list(&d.newly_allowed, "opened", "+ opens")}
            {list(&d.newly_denied, "closed", "− closes")}
        </ul>
    }
    .into_any()
}

/// Connections on `port` the latest edit opened and closed, as name pairs.
type Changed = (BTreeSet<(String, String)>, BTreeSet<(String, String)>);

fn changed_on(live_diff: Memo<PolicyDiff>, port: PortKey) -> Changed {
    live_diff.with(|d| {
        let pick = |items: &[policy_core::diff::ChangedConnection]| {
            items
                .iter()
                .filter(|c| c.port == port)
                .map(|c| (c.from.clone(), c.to.clone()))
                .collect()
        };
        (pick(&d.newly_allowed), pick(&d.newly_denied))
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Pods × pods, each cell one connection.
#[allow(clippy::too_many_arguments)]
pub(super) fn pod_view(
    j: Journeys,
    port: PortKey,
    heat: Memo<PodAxes>,
    table: Memo<Option<TruthTable>>,
    live_diff: Memo<PolicyDiff>,
    selected: RwSignal<Option<(EndpointId, EndpointId, PortKey)>>,
    focus: RwSignal<Option<(String, String)>>,
    set_axis: impl Fn(Axis) + Copy + Send + Sync + 'static,
) -> AnyView {
    let h = heat.get();
    if h.rows.is_empty() || h.cols.is_empty() {
        return view! { <p class="hint">"No pods match the filters."</p> }.into_any();
    }
    let name_of = |ids: &[EndpointId]| -> Vec<(EndpointId, String)> {
        j.cluster
            .with(|(_, c)| ids.iter().map(|id| (*id, c.endpoint_name(*id))).collect())
    };
    let (rows, cols) = (name_of(&h.rows), name_of(&h.cols));
    let changed = changed_on(live_diff, port);
    let focus_bar = focus.get().map(|(from, to)| {
        view! {
            <p class="cv-focus">
                <span>"Pods of " <strong>{from.clone()}</strong> " → pods of " <strong>{to.clone()}</strong></span>
                <button type="button" class="btn small" on:click=move |_| set_axis(Axis::Namespaces)>"← Back to namespaces"</button>
                <button type="button" class="btn small" on:click=move |_| focus.set(None)>"Show all pods"</button>
            </p>
        }
    });
    let hidden_rows = h.matching_rows - h.rows.len();
    let hidden_cols = h.matching_cols - h.cols.len();
    let more = (hidden_rows + hidden_cols > 0).then(|| {
        let text = if h.matching_rows == h.matching_cols && hidden_rows == hidden_cols {
            format!(
                "Showing {} of {} pods: {} hidden. ",
                h.rows.len(),
                h.matching_rows,
                plural(hidden_rows, "pod is", "pods are")
            )
        } else {
            format!(
                "Showing {} of {} source pods and {} of {} destination pods. ",
                h.rows.len(),
                h.matching_rows,
                h.cols.len(),
                h.matching_cols
            )
        };
        view! {
            <p class="cv-hidden" role="status">
                {text}
                <button type="button" class="btn small" on:click=move |_| set_axis(Axis::Namespaces)>"See them all by namespace"</button>
                " or filter by namespace or label."
            </p>
        }
    });
    let header = cols
        .iter()
        .map(|(_, n)| view! { <th scope="col" class="hm-col"><span>{n.clone()}</span></th> })
        .collect_view();
    let body = table.with(|t| {
        let Some(table) = t else {
            return ().into_any();
        };
        rows.iter()
            .map(|(from, from_name)| {
                let cells = cols
                    .iter()
                    .map(|(to, to_name)| {
                        if from == to {
                            return view! { <td class="hm-self" aria-label="same pod">"·"</td> }.into_any();
                        }
                        let allowed = table.allowed(0, *from, *to);
                        let key = (from_name.clone(), to_name.clone());
                        let opened = changed.0.contains(&key);
                        let closed = changed.1.contains(&key);
                        let (f, t) = (*from, *to);
                        let label = format!(
                            "{from_name} → {to_name} on {port}: {}{}",
                            if allowed { "allowed" } else { "denied" },
                            if opened { " (opened by the latest edit)" } else if closed { " (closed by the latest edit)" } else { "" }
                        );
                        view! {
                            <td>
                                <button type="button" class="hm-cell" class:allow=allowed class:deny=!allowed
                                    class:opened=opened class:closed=closed
                                    class:selected=move || selected.get() == Some((f, t, port))
                                    data-from=from_name.clone() data-to=to_name.clone() data-port=port.to_string()
                                    data-allowed=allowed.to_string()
                                    title=label.clone() aria-label=label
                                    on:click=move |_| selected.set(Some((f, t, port)))>
                                    {if allowed { "✓" } else { "✗" }}
                                </button>
                            </td>
                        }
                        .into_any()
                    })
                    .collect_view();
                view! { <tr><th scope="row" class="hm-row">{from_name.clone()}</th>{cells}</tr> }
            })
            .collect_view()
            .into_any()
    });
    view! {
        {focus_bar}
        {more}
        <table class="heatmap" aria-label=format!("Reachability on {port}: rows are sources, columns destinations")>
            <thead><tr><th class="hm-corner">{format!("from ↓ to → ({port})")}</th>{header}</tr></thead>
            <tbody>{body}</tbody>
        </table>
        <p class="hm-legend muted">"✓ allowed · ✗ denied · outlined: changed by the latest edit · click a cell for the reasons"</p>
    }
    .into_any()
}

/// Namespaces × namespaces, each cell counting the allowed pod pairs.
pub(super) fn namespace_view(
    j: Journeys,
    port: PortKey,
    heat: Memo<PodAxes>,
    table: Memo<Option<TruthTable>>,
    live_diff: Memo<PolicyDiff>,
    focus: RwSignal<Option<(String, String)>>,
    axis_choice: RwSignal<Option<Axis>>,
) -> AnyView {
    let summary = table.with(|t| {
        let t = t.as_ref()?;
        Some(heat.with(|h| j.cluster.with(|(_, c)| by_namespace(c, t, 0, &h.filtered))))
    });
    let Some(summary) = summary.filter(|s| !s.namespaces.is_empty()) else {
        return view! { <p class="hint">"No pods match the filters."</p> }.into_any();
    };
    // Per namespace pair, how many of its connections the latest edit changed.
    let changed = changed_on(live_diff, port);
    let ns_of = |name: &str| name.split_once('/').map(|(ns, _)| ns.to_string());
    let count_by_ns = |set: &BTreeSet<(String, String)>| {
        let mut m: std::collections::BTreeMap<(String, String), usize> = Default::default();
        for (f, t) in set {
            if let (Some(f), Some(t)) = (ns_of(f), ns_of(t)) {
                *m.entry((f, t)).or_default() += 1;
            }
        }
        m
    };
    let (opened, closed) = (count_by_ns(&changed.0), count_by_ns(&changed.1));
    let total_pods: usize = summary.pods.iter().sum();
    let header = summary
        .namespaces
        .iter()
        .zip(&summary.pods)
        .map(|(n, k)| view! { <th scope="col" class="hm-col" title=plural(*k, "pod", "pods")><span>{n.clone()}</span></th> })
        .collect_view();
    let rows = summary
        .namespaces
        .iter()
        .enumerate()
        .map(|(i, from)| {
            let cells = summary
                .row(i)
                .iter()
                .map(|cell| {
                    if cell.total == 0 {
                        let label = format!("{} → {}: no pod pairs (one pod)", cell.from, cell.to);
                        return view! { <td class="hm-self" title=label.clone() aria-label=label>"–"</td> }.into_any();
                    }
                    let key = (cell.from.clone(), cell.to.clone());
                    let n_open = opened.get(&key).copied().unwrap_or(0);
                    let n_closed = closed.get(&key).copied().unwrap_or(0);
                    let state = if cell.all_allowed() {
                        "all"
                    } else if cell.none_allowed() {
                        "none"
                    } else {
                        "partial"
                    };
                    let mut label = format!(
                        "{} → {} on {port}: {} of {} pod pairs allowed ({}%)",
                        cell.from,
                        cell.to,
                        cell.allowed,
                        cell.total,
                        cell.allowed * 100 / cell.total
                    );
                    if n_open + n_closed > 0 {
                        label.push_str(&format!("; the latest edit opened {n_open} and closed {n_closed}"));
                    }
                    label.push_str(". Click to see these pods");
                    let (f, t) = key.clone();
                    view! {
                        <td>
                            <button type="button" class=format!("ns-cell {state}")
                                class:opened={n_open > 0} class:closed={n_closed > 0}
                                data-from-ns=cell.from.clone() data-to-ns=cell.to.clone()
                                data-allowed=cell.allowed.to_string() data-total=cell.total.to_string()
                                data-port=port.to_string()
                                title=label.clone() aria-label=label
                                on:click=move |_| {
                                    focus.set(Some((f.clone(), t.clone())));
                                    axis_choice.set(Some(Axis::Pods));
                                }>
                                <span class="ns-count">{cell.allowed.to_string()}</span>
                                <span class="ns-total">{format!("/{}", cell.total)}</span>
                            </button>
                        </td>
                    }
                    .into_any()
                })
                .collect_view();
            let k = summary.pods[i];
            view! {
                <tr>
                    <th scope="row" class="hm-row">{from.clone()} " " <span class="ns-pods">{format!("({k})")}</span></th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="hint">{format!(
            "{} in {}: each cell counts the pod pairs allowed on {port} out of all.",
            plural(total_pods, "pod", "pods"),
            plural(summary.namespaces.len(), "namespace", "namespaces")
        )}</p>
        <table class="heatmap ns-heatmap" aria-label=format!("Allowed pod pairs on {port} by namespace: rows are source namespaces, columns destinations")>
            <thead><tr><th class="hm-corner">{format!("from ↓ to → ({port})")}</th>{header}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <p class="hm-legend muted">
            <span class="ns-key all">"all allowed"</span>
            <span class="ns-key partial">"some"</span>
            <span class="ns-key none">"none"</span>
            " · allowed/all pod pairs · dashed outline: changed by the latest edit · click a cell for its pods"
        </p>
    }
    .into_any()
}
