//! The cluster view: a reachability heat map (pods × pods, or namespaces ×
//! namespaces counting allowed pod pairs, one port at a time) computed in the
//! browser by the engine, the reasons behind a cell,
//! the live semantic diff of the latest edit, and the posture summary.

mod heatmap;
mod posture;
mod sources;

use leptos::prelude::*;
use policy_core::cluster::EndpointId;
use policy_core::cluster::filter::PodFilter;
use policy_core::diff::diff;
use policy_core::engine::{Engine, PortKey};

use super::Journeys;
use heatmap::{diff_view, namespace_view, pod_view};
use posture::PostureSummary;
use sources::ClusterSources;

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

/// The view.
#[component]
pub fn ClusterView() -> impl IntoView {
    let j = expect_context::<Journeys>();
    let ns_filter = RwSignal::new(String::new());
    let label_filter = RwSignal::new(String::new());
    let port_choice = RwSignal::new(None::<PortKey>);
    let selected = RwSignal::new(None::<(EndpointId, EndpointId, PortKey)>);

    // `None`: the namespace view when the filtered pods overflow an axis.
    let axis_choice = RwSignal::new(None::<Axis>);
    // The pod view narrowed to pods from one namespace to pods of another.
    let focus = RwSignal::new(None::<(String, String)>);

    let ports = Memo::new(move |_| {
        j.cluster
            .with(|(_, c)| j.policies.with(|p| Engine::new(c, p).cluster_ports()))
    });
    let port = Memo::new(move |_| shown_port(&ports.get(), port_choice.get()));
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
        let filter = PodFilter {
            namespace: ns_filter.get(),
            labels: label_filter.get(),
            focus: focus.get(),
        };
        j.cluster.with(|(_, c)| filter.axes(c, MAX_AXIS))
    });
    let axis = Memo::new(move |_| shown_axis(axis_choice.get(), heat.with(|h| h.filtered.len())));
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

    // A new cluster resets what was chosen on the old one.
    let reset = move || {
        selected.set(None);
        focus.set(None);
        axis_choice.set(None);
    };
    view! {
        <section class="journey cluster-view" aria-labelledby="cv-title">
            <div class="journey-head">
                <h2 id="cv-title" class="journey-title">"Cluster"</h2>
                <span class="muted cluster-name">{move || j.cluster.with(|(name, c)| format!("{name}: {} namespaces, {} pods", c.namespaces.len(), c.pods.len()))}</span>
            </div>
            <ClusterSources on_load=reset/>

            <div class="cv-diff" aria-live="polite">
                {move || live_diff.with(|d| diff_view(d, j.pinned.get()))}
                <button type="button" class="btn small" on:click=move |_| j.toggle_pin()>
                    {move || if j.pinned.get() { "Unpin: compare with the previous version" } else { "Pin this version as the baseline" }}
                </button>
            </div>

            <ClusterFilters ns_filter=ns_filter label_filter=label_filter port_choice=port_choice
                focus=focus ports=ports port=port axis=axis set_axis=Callback::new(set_axis)/>
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
                <Show when=move || axis.get() == Axis::Pods>
                    <WhyPanel selected=selected/>
                </Show>
            </div>

            <PostureSummary/>
        </section>
    }
}

/// The filters above the heat map: namespace, labels, port, and what the
/// rows and columns are.
#[component]
fn ClusterFilters(
    ns_filter: RwSignal<String>,
    label_filter: RwSignal<String>,
    port_choice: RwSignal<Option<PortKey>>,
    focus: RwSignal<Option<(String, String)>>,
    ports: Memo<Vec<PortKey>>,
    port: Memo<Option<PortKey>>,
    axis: Memo<Axis>,
    set_axis: Callback<Axis>,
) -> impl IntoView {
    let j = expect_context::<Journeys>();
    let namespaces = move || {
        j.cluster.with(|(_, c)| {
            c.namespaces
                .iter()
                .map(|n| n.name.clone())
                .collect::<Vec<_>>()
        })
    };
    view! {
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
                        title="One row and one column per pod" on:click=move |_| set_axis.run(Axis::Pods)>"Pods"</button>
                    <button type="button" aria-pressed=move || (axis.get() == Axis::Namespaces).to_string()
                        title="One row and one column per namespace, counting allowed pod pairs"
                        on:click=move |_| set_axis.run(Axis::Namespaces)>"Namespaces"</button>
                </div>
            </div>
    }
}

/// Why the selected cell's pod may or may not reach the other.
#[component]
fn WhyPanel(selected: RwSignal<Option<(EndpointId, EndpointId, PortKey)>>) -> impl IntoView {
    let j = expect_context::<Journeys>();
    move || {
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
    }
}

/// The port the heat map shows: the chosen one while the cluster has it,
/// else TCP 80, else the first port.
fn shown_port(available: &[PortKey], choice: Option<PortKey>) -> Option<PortKey> {
    choice
        .filter(|p| available.contains(p))
        .or_else(|| available.iter().copied().find(|p| *p == PortKey::tcp(80)))
        .or_else(|| available.first().copied())
}

/// What the rows and columns are: the chosen axis, else pods while they fit
/// ([`MAX_AXIS`]), else namespaces.
fn shown_axis(choice: Option<Axis>, filtered_pods: usize) -> Axis {
    choice.unwrap_or(if filtered_pods > MAX_AXIS {
        Axis::Namespaces
    } else {
        Axis::Pods
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_shown_is_the_choice_else_tcp_80_else_the_first() {
        let (udp53, tcp80, tcp443) = ("53/UDP", "80/TCP", "443/TCP");
        let key = |s: &str| s.parse::<PortKey>().unwrap();
        let available = [key(udp53), key(tcp80), key(tcp443)];
        assert_eq!(shown_port(&available, Some(key(tcp443))), Some(key(tcp443)));
        assert_eq!(shown_port(&available, None), Some(key(tcp80)));
        assert_eq!(
            shown_port(&available, Some(key("9/SCTP"))),
            Some(key(tcp80))
        );
        assert_eq!(shown_port(&available[..1], None), Some(key(udp53)));
        assert_eq!(shown_port(&[], Some(key(tcp80))), None);
    }

    #[test]
    fn pods_are_the_axis_while_they_fit() {
        assert_eq!(shown_axis(None, MAX_AXIS), Axis::Pods);
        assert_eq!(shown_axis(None, MAX_AXIS + 1), Axis::Namespaces);
        assert_eq!(shown_axis(Some(Axis::Pods), 1000), Axis::Pods);
    }
}
