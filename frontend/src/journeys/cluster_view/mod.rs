//! The cluster view: a reachability heat map (pods × pods, or namespaces ×
//! namespaces counting allowed pod pairs, one port at a time) computed in the
//! browser by the engine, the reasons behind a cell,
//! the live semantic diff of the latest edit, and the posture summary.

use std::collections::BTreeSet;

use leptos::prelude::*;
use policy_core::cluster::{Cluster, EndpointId};
use policy_core::diff::{PolicyDiff, diff};
use policy_core::engine::{Engine, PortKey, TruthTable, by_namespace};
use policy_core::posture::{posture, read_cluster};
use policy_core::tutorial;

use super::Journeys;
use crate::browser;

/// Most pods drawn per axis; larger selections default to the namespace view.
const MAX_AXIS: usize = 60;

/// What the heat map's rows and columns are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Axis {
    /// One row and one column per pod (at most [`MAX_AXIS`] each).
    Pods,
    /// One row and one column per namespace, cells counting pod pairs.
    Namespaces,
}

/// The heat map's axes after the filters.
#[derive(Clone, Debug, PartialEq)]
struct Heat {
    /// Every pod matching the filters (what the namespace view counts).
    filtered: Vec<EndpointId>,
    /// Source pods drawn (the pod view), at most [`MAX_AXIS`].
    rows: Vec<EndpointId>,
    /// Destination pods drawn, at most [`MAX_AXIS`].
    cols: Vec<EndpointId>,
    /// Source and destination pods before the axis limit.
    matching_rows: usize,
    matching_cols: usize,
}

/// The ports worth probing: every container port and every port the policies name.
fn ports_of(cluster: &Cluster, engine: &Engine) -> Vec<PortKey> {
    let mut set: BTreeSet<PortKey> = engine.policy_ports().into_iter().collect();
    for pod in &cluster.pods {
        set.extend(
            pod.ports
                .iter()
                .map(|cp| PortKey::new(cp.port, cp.protocol)),
        );
    }
    set.into_iter().collect()
}

/// Whether a pod matches a `key=value` (or bare `key`) label filter.
fn label_matches(labels: &policy_core::cluster::Labels, filter: &str) -> bool {
    filter
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .all(|f| match f.split_once('=') {
            Some((k, v)) => labels.get(k.trim()).is_some_and(|x| x == v.trim()),
            None => labels.contains_key(f),
        })
}

/// The view.
#[component]
pub fn ClusterView() -> impl IntoView {
    let j = expect_context::<Journeys>();
    let state = expect_context::<crate::state::AppState>();
    let ns_filter = RwSignal::new(String::new());
    let label_filter = RwSignal::new(String::new());
    let port_choice = RwSignal::new(None::<PortKey>);
    let selected = RwSignal::new(None::<(EndpointId, EndpointId, PortKey)>);
    let paste = RwSignal::new(String::new());
    let import_error = RwSignal::new(None::<String>);

    // `None`: the namespace view when the filtered pods overflow an axis.
    let axis_choice = RwSignal::new(None::<Axis>);
    // The pod view narrowed to pods from one namespace to pods of another.
    let focus = RwSignal::new(None::<(String, String)>);

    let ports = Memo::new(move |_| {
        j.cluster
            .with(|(_, c)| j.policies.with(|p| ports_of(c, &Engine::new(c, p))))
    });
    let port = Memo::new(move |_| {
        let available = ports.get();
        port_choice
            .get()
            .filter(|p| available.contains(p))
            .or_else(|| available.iter().copied().find(|p| *p == PortKey::tcp(80)))
            .or_else(|| available.first().copied())
    });
    // The engine's table for the chosen port, over the whole cluster: the
    // filters only choose which of its cells are drawn.
    let table = Memo::new(move |_| {
        let p = port.get()?;
        Some(
            j.cluster
                .with(|(_, c)| j.policies.with(|pol| Engine::new(c, pol).truth_table(&[p]))),
        )
    });
    let heat = Memo::new(move |_| {
        let ns = ns_filter.get();
        let lf = label_filter.get();
        let focus = focus.get();
        j.cluster.with(|(_, c)| {
            let filtered: Vec<EndpointId> = c
                .pods
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    (ns.is_empty() || p.namespace == ns) && label_matches(&p.labels, &lf)
                })
                .map(|(i, _)| EndpointId(i))
                .collect();
            let in_ns = |want: Option<&String>| -> Vec<EndpointId> {
                filtered
                    .iter()
                    .copied()
                    .filter(|id| want.is_none_or(|w| c.pods[id.0].namespace == *w))
                    .collect()
            };
            let rows = in_ns(focus.as_ref().map(|f| &f.0));
            let cols = in_ns(focus.as_ref().map(|f| &f.1));
            Heat {
                matching_rows: rows.len(),
                matching_cols: cols.len(),
                rows: rows.into_iter().take(MAX_AXIS).collect(),
                cols: cols.into_iter().take(MAX_AXIS).collect(),
                filtered,
            }
        })
    });
    let axis = Memo::new(move |_| {
        axis_choice.get().unwrap_or_else(|| {
            if heat.with(|h| h.filtered.len()) > MAX_AXIS {
                Axis::Namespaces
            } else {
                Axis::Pods
            }
        })
    });
    let set_axis = move |a: Axis| {
        focus.set(None);
        selected.set(None);
        axis_choice.set(Some(a));
    };
    let live_diff = Memo::new(move |_| {
        j.cluster.with(|(_, c)| {
            j.previous
                .with(|before| j.policies.with(|after| diff(c, before, after, None)))
        })
    });
    let summary = Memo::new(move |_| j.cluster.with(|(_, c)| j.policies.with(|p| posture(c, p))));

    let load_text = move |text: String, name: String| match read_cluster(&text) {
        Ok(dump) => {
            import_error.set(None);
            selected.set(None);
            focus.set(None);
            axis_choice.set(None);
            let n = dump.cluster.pods.len();
            j.cluster.set((name.clone(), dump.cluster));
            state.say(format!("Cluster {name}: {n} pods"), false);
        }
        Err(e) => import_error.set(Some(format!("{name}: {e}"))),
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            let name = file.name();
            wasm_bindgen_futures::spawn_local(async move {
                match browser::read_file(&file).await {
                    Ok(text) => load_text(text, name),
                    Err(e) => import_error.set(Some(format!("{name}: {e}"))),
                }
            });
        }
        input.set_value("");
    };

    let namespaces = move || {
        j.cluster.with(|(_, c)| {
            c.namespaces
                .iter()
                .map(|n| n.name.clone())
                .collect::<Vec<_>>()
        })
    };

    let why = move || {
        let (from, to, port) = selected.get()?;
        let verdict = j.cluster.with(|(_, c)| {
            (from.0 < c.endpoint_count() && to.0 < c.endpoint_count()).then(|| {
                j.policies
                    .with(|p| Engine::new(c, p).verdict(from, to, port))
            })
        })?;
        Some(view! {
            <div class="why-panel" role="region" aria-label="Why">
                <h4 class="why-title" class:allowed=verdict.allowed>
                    {format!("{} → {} on {}: {}", verdict.from, verdict.to, verdict.port, if verdict.allowed { "allowed" } else { "denied" })}
                </h4>
                <p class="why-explain">{verdict.explain()}</p>
                <ul class="why-reasons">
                    {verdict.reasons().into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                </ul>
            </div>
        })
    };

    view! {
        <section class="journey cluster-view" aria-labelledby="cv-title">
            <div class="journey-head">
                <h2 id="cv-title" class="journey-title">"Cluster"</h2>
                <span class="muted cluster-name">{move || j.cluster.with(|(name, c)| format!("{name}: {} namespaces, {} pods", c.namespaces.len(), c.pods.len()))}</span>
            </div>
            <div class="cv-sources">
                <button type="button" class="btn small" on:click=move |_| {
                    selected.set(None);
                    focus.set(None);
                    axis_choice.set(None);
                    j.cluster.set(("demo cluster".to_string(), tutorial::demo_cluster()));
                }>"Use the demo cluster"</button>
                <label class="btn small file-btn">
                    "Import a cluster dump…"
                    <input type="file" class="visually-hidden" accept=".yaml,.yml,.json" aria-label="Import a cluster dump" on:change=on_file/>
                </label>
                <details class="cv-paste">
                    <summary>"Paste kubectl output"</summary>
                    <p class="hint">"Paste what " <code>"kubectl get namespaces,pods -A -o yaml"</code> " prints."</p>
                    <textarea class="cv-paste-text" rows="6" spellcheck="false" aria-label="Cluster dump"
                        prop:value=move || paste.get() on:input=move |ev| paste.set(event_target_value(&ev))></textarea>
                    <button type="button" class="btn small" on:click=move |_| load_text(paste.get_untracked(), "pasted dump".into())>"Use this dump"</button>
                </details>
            </div>
            {move || import_error.get().map(|e| view! { <p class="cv-error" role="alert">{e}</p> })}

            <div class="cv-diff" aria-live="polite">
                {move || live_diff.with(|d| diff_view(d, j.pinned.get()))}
                <button type="button" class="btn small" on:click=move |_| j.toggle_pin()>
                    {move || if j.pinned.get() { "Unpin: compare with the previous version" } else { "Pin this version as the baseline" }}
                </button>
            </div>

            <div class="cv-filters">
                <label>"Namespace "
                    <select aria-label="Namespace filter" on:change=move |ev| {
                        focus.set(None);
                        ns_filter.set(event_target_value(&ev));
                    }>
                        <option value="">"All"</option>
                        {move || namespaces().into_iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Labels "
                    <input type="text" placeholder="app=web" aria-label="Label filter" spellcheck="false"
                        prop:value=move || label_filter.get() on:input=move |ev| label_filter.set(event_target_value(&ev))/>
                </label>
                <label>"Port "
                    <select aria-label="Port" class="cv-port" on:change=move |ev| {
                        port_choice.set(event_target_value(&ev).parse::<PortKey>().ok());
                    }>
                        {move || {
                            let current = port.get();
                            ports.get().into_iter().map(|p| view! {
                                <option value=p.to_string() selected=Some(p) == current>{p.to_string()}</option>
                            }).collect_view()
                        }}
                    </select>
                </label>
                <div class="segmented cv-axis" role="group" aria-label="Heat map rows and columns">
                    <button type="button" aria-pressed=move || (axis.get() == Axis::Pods).to_string()
                        title="One row and one column per pod" on:click=move |_| set_axis(Axis::Pods)>"Pods"</button>
                    <button type="button" aria-pressed=move || (axis.get() == Axis::Namespaces).to_string()
                        title="One row and one column per namespace, counting allowed pod pairs"
                        on:click=move |_| set_axis(Axis::Namespaces)>"Namespaces"</button>
                </div>
            </div>

            <div class="cv-body" class:single=move || axis.get() == Axis::Namespaces>
                <div class="heatmap-wrap">{move || {
                    let Some(port) = port.get() else {
                        return view! { <p class="hint">"No pods or ports to show."</p> }.into_any();
                    };
                    match axis.get() {
                        Axis::Pods => pod_view(j, port, heat, table, live_diff, selected, focus, set_axis),
                        Axis::Namespaces => namespace_view(j, port, heat, table, live_diff, focus, axis_choice),
                    }
                }}</div>
                {move || (axis.get() == Axis::Pods).then(why)}
            </div>

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
        </section>
    }
}

fn event_target<T: wasm_bindgen::JsCast>(ev: &leptos::ev::Event) -> T {
    use wasm_bindgen::JsCast;
    ev.target().expect("event target").unchecked_into::<T>()
}

/// "This edit opens 3 connections and closes 12", with the connections.
fn diff_view(d: &PolicyDiff, pinned: bool) -> AnyView {
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
fn pod_view(
    j: Journeys,
    port: PortKey,
    heat: Memo<Heat>,
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
fn namespace_view(
    j: Journeys,
    port: PortKey,
    heat: Memo<Heat>,
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
