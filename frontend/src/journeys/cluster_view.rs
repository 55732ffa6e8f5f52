//! The cluster view: a reachability heat map (pods × pods, one port at a
//! time) computed in the browser by the engine, the reasons behind a cell,
//! the live semantic diff of the latest edit, and the posture summary.

use std::collections::BTreeSet;

use leptos::prelude::*;
use policy_core::cluster::{Cluster, EndpointId};
use policy_core::diff::{PolicyDiff, diff};
use policy_core::engine::{Engine, PortKey, TruthTable};
use policy_core::posture::{posture, read_cluster};
use policy_core::tutorial;

use super::Journeys;
use crate::browser;

/// Most pods drawn per axis; filters narrow larger clusters.
const MAX_AXIS: usize = 60;

/// The heat map's inputs and the engine's table.
#[derive(Clone, Debug, PartialEq)]
struct Heat {
    /// Pod endpoints shown, after filters.
    pods: Vec<EndpointId>,
    /// Pods matching the filters in all (before the axis limit).
    matching: usize,
    /// The port shown.
    port: Option<PortKey>,
    /// The table for that port.
    table: Option<TruthTable>,
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

    let ports = Memo::new(move |_| {
        j.cluster
            .with(|(_, c)| j.policies.with(|p| ports_of(c, &Engine::new(c, p))))
    });
    let heat = Memo::new(move |_| {
        let ns = ns_filter.get();
        let lf = label_filter.get();
        j.cluster.with(|(_, c)| {
            let all: Vec<EndpointId> = c
                .pods
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    (ns.is_empty() || p.namespace == ns) && label_matches(&p.labels, &lf)
                })
                .map(|(i, _)| EndpointId(i))
                .collect();
            let matching = all.len();
            let pods: Vec<EndpointId> = all.into_iter().take(MAX_AXIS).collect();
            let available = ports.get();
            let port = port_choice
                .get()
                .filter(|p| available.contains(p))
                .or_else(|| available.iter().copied().find(|p| *p == PortKey::tcp(80)))
                .or_else(|| available.first().copied());
            let table = port.map(|p| j.policies.with(|pol| Engine::new(c, pol).truth_table(&[p])));
            Heat {
                pods,
                matching,
                port,
                table,
            }
        })
    });
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
                    <select aria-label="Namespace filter" on:change=move |ev| ns_filter.set(event_target_value(&ev))>
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
                            let current = heat.with(|h| h.port);
                            ports.get().into_iter().map(|p| view! {
                                <option value=p.to_string() selected=Some(p) == current>{p.to_string()}</option>
                            }).collect_view()
                        }}
                    </select>
                </label>
            </div>

            <div class="cv-body">
                <div class="heatmap-wrap">{move || heat_view(j, heat, live_diff, selected)}</div>
                {why}
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

fn heat_view(
    j: Journeys,
    heat: Memo<Heat>,
    live_diff: Memo<PolicyDiff>,
    selected: RwSignal<Option<(EndpointId, EndpointId, PortKey)>>,
) -> impl IntoView {
    let h = heat.get();
    let (Some(port), Some(table)) = (h.port, h.table.clone()) else {
        return view! { <p class="hint">"No pods or ports to show."</p> }.into_any();
    };
    let names: Vec<(EndpointId, String)> = j.cluster.with(|(_, c)| {
        h.pods
            .iter()
            .map(|id| (*id, c.endpoint_name(*id)))
            .collect()
    });
    let changed = live_diff.with(|d| {
        let open: BTreeSet<(String, String)> = d
            .newly_allowed
            .iter()
            .filter(|c| c.port == port)
            .map(|c| (c.from.clone(), c.to.clone()))
            .collect();
        let closed: BTreeSet<(String, String)> = d
            .newly_denied
            .iter()
            .filter(|c| c.port == port)
            .map(|c| (c.from.clone(), c.to.clone()))
            .collect();
        (open, closed)
    });
    let more = (h.matching > h.pods.len()).then(|| {
        format!(
            "Showing {} of {} pods: filter by namespace or label to see the rest.",
            h.pods.len(),
            h.matching
        )
    });
    let header = names
        .iter()
        .map(|(_, n)| view! { <th scope="col" class="hm-col"><span>{n.clone()}</span></th> })
        .collect_view();
    let rows = names
        .iter()
        .map(|(from, from_name)| {
            let cells = names
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
        .collect_view();
    view! {
        {more.map(|m| view! { <p class="hint">{m}</p> })}
        <table class="heatmap" aria-label=format!("Reachability on {port}: rows are sources, columns destinations")>
            <thead><tr><th class="hm-corner">{format!("from ↓ to → ({port})")}</th>{header}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <p class="hm-legend muted">"✓ allowed · ✗ denied · outlined: changed by the latest edit · click a cell for the reasons"</p>
    }
    .into_any()
}
