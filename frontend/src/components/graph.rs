//! The policy graph, drawn as SVG from the view model's layout.

use leptos::prelude::*;
use policy_core::view::{Direction, GroupKind, Isolation, PeerKind, PolicyGraph};
use wasm_bindgen::JsCast;

use crate::components::peer_list::PeerList;
use crate::layout::{self, EdgePath, GroupBox, LEAD, Layout, PeerBox, SummaryBox, WIDTH};
use crate::state::{AppState, Selection};

/// Cuts text to `max` characters with an ellipsis.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn kind_icon(kind: PeerKind) -> &'static str {
    match kind {
        PeerKind::Any => "✱",
        PeerKind::Pods => "◧",
        PeerKind::Namespaces => "▣",
        PeerKind::Cidr => "#",
        PeerKind::Entity => "◎",
        PeerKind::Service => "≡",
        PeerKind::Fqdn => "@",
    }
}

/// The graph canvas with its toolbar.
#[component]
pub fn GraphCanvas() -> impl IntoView {
    let state = expect_context::<AppState>();
    // The layout, with the graph minus its peers (the centre box and the
    // label need only that): no copy of a 640-peer graph per keystroke.
    let laid_out = Memo::new(move |_| {
        state.expanded.with(|open| {
            state.graph.with(|g| {
                g.as_ref()
                    .map(|(_, g)| (without_peers(g), layout::layout(g, open)))
            })
        })
    });
    let stale = move || state.analysis.with(|a| a.errors() > 0);
    // Whether there is a graph at all: the branch below re-runs only when
    // this flips, so a keystroke updates the keyed SVG in place instead of
    // rebuilding it (which also kept focus on the node being edited).
    let has_graph = Memo::new(move |_| laid_out.with(Option::is_some));
    view! {
        <section class="canvas" aria-label="Policy graph">
            <div class="canvas-bar">
                <Toolbar/>
                {move || stale().then(|| view! {
                    <span class="stale" role="status">"YAML has errors: showing the last valid graph"</span>
                })}
            </div>
            <div class="canvas-scroll">
                {move || match has_graph.get() {
                    true => view! { <Svg laid_out=laid_out/> }.into_any(),
                    false => view! {
                        <div class="empty-state">
                            <p class="empty-title">"Nothing to draw yet"</p>
                            <p>"Paste or type a NetworkPolicy or Cilium policy in the YAML pane, open a file, or press New."</p>
                        </div>
                    }.into_any(),
                }}
            </div>
        </section>
    }
}

/// Quick actions on the whole policy.
#[component]
fn Toolbar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let isolation = move |d: Direction| {
        state
            .graph
            .with(|g| g.as_ref().map(|(_, g)| g.side(d).isolation))
    };
    let toggle = move |d: Direction| {
        let on = !isolation(d).is_some_and(Isolation::is_isolated);
        state.edit(|p| policy_core::edit::set_default_deny(p, d, on));
    };
    let can_undo = move || {
        state.history_rev.track();
        state.history.with_value(|h| h.can_undo())
    };
    let can_redo = move || {
        state.history_rev.track();
        state.history.with_value(|h| h.can_redo())
    };
    view! {
        <div class="toolbar" role="toolbar" aria-label="Policy tools">
            <button type="button" class="btn small" aria-pressed=move || isolation(Direction::Ingress).is_some_and(Isolation::is_isolated).to_string()
                on:click=move |_| toggle(Direction::Ingress) title="Isolate ingress: deny what no rule allows">
                <LockIcon/>" Ingress default deny"</button>
            <button type="button" class="btn small" aria-pressed=move || isolation(Direction::Egress).is_some_and(Isolation::is_isolated).to_string()
                on:click=move |_| toggle(Direction::Egress) title="Isolate egress: deny what no rule allows">
                <LockIcon/>" Egress default deny"</button>
            <button type="button" class="btn small" on:click=move |_| { state.edit(policy_core::edit::allow_dns); }
                title="Allow DNS to kube-dns on port 53">"Allow DNS"</button>
            <span class="toolbar-sep"></span>
            <button type="button" class="btn small" disabled=move || !can_undo() on:click=move |_| state.undo()
                aria-keyshortcuts="Control+Z" title="Undo (Ctrl+Z)">"Undo"</button>
            <button type="button" class="btn small" disabled=move || !can_redo() on:click=move |_| state.redo()
                aria-keyshortcuts="Control+Shift+Z" title="Redo (Ctrl+Shift+Z)">"Redo"</button>
        </div>
    }
}

#[component]
fn LockIcon() -> impl IntoView {
    view! {
        <svg class="lock-icon" viewBox="0 0 16 16" aria-hidden="true" width="12" height="12">
            <rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor"/>
            <path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" stroke-width="1.8"/>
        </svg>
    }
}

/// Keyed so that a keystroke only redraws the boxes that changed.
fn key_of<T: KeyHash>(item: &T) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    item.key_hash(&mut h);
    std::hash::Hasher::finish(&h)
}

/// Hashing of laid-out items (their coordinates are floats).
trait KeyHash {
    fn key_hash(&self, h: &mut std::hash::DefaultHasher);
}

fn hash_f64s(h: &mut std::hash::DefaultHasher, xs: &[f64]) {
    for x in xs {
        std::hash::Hash::hash(&x.to_bits(), h);
    }
}

impl KeyHash for PeerBox {
    fn key_hash(&self, h: &mut std::hash::DefaultHasher) {
        std::hash::Hash::hash(&self.peer, h);
        std::hash::Hash::hash(&self.group, h);
        hash_f64s(h, &[self.x, self.y, self.w, self.h]);
    }
}

impl KeyHash for GroupBox {
    fn key_hash(&self, h: &mut std::hash::DefaultHasher) {
        let empty = self.peers.is_empty() && self.summary.is_none();
        std::hash::Hash::hash(&(self.direction, self.kind, empty), h);
        hash_f64s(h, &[self.x, self.y, self.w, self.h]);
    }
}

impl KeyHash for EdgePath {
    fn key_hash(&self, h: &mut std::hash::DefaultHasher) {
        std::hash::Hash::hash(
            &(
                &self.id,
                &self.d,
                self.deny,
                &self.label,
                &self.sentence,
                &self.l7,
            ),
            h,
        );
        hash_f64s(h, &[self.label_x, self.label_y]);
    }
}

/// A collapsed group's box (or list) with the group it belongs to.
#[derive(Clone)]
struct PlacedSummary {
    direction: Direction,
    kind: GroupKind,
    sb: SummaryBox,
}

impl KeyHash for PlacedSummary {
    fn key_hash(&self, h: &mut std::hash::DefaultHasher) {
        std::hash::Hash::hash(&(self.direction, self.kind, self.sb.expanded), h);
        // An open list follows the graph itself (keeping its filter, scroll
        // and focus); a closed box is redrawn when what it says changes.
        if !self.sb.expanded {
            std::hash::Hash::hash(&self.sb.summary, h);
        }
        hash_f64s(h, &[self.sb.x, self.sb.y, self.sb.w, self.sb.h]);
    }
}

/// The graph without its groups: what the centre box and the label show.
fn without_peers(g: &PolicyGraph) -> PolicyGraph {
    let side = |s: &policy_core::view::Side| policy_core::view::Side {
        direction: s.direction,
        isolation: s.isolation,
        groups: Vec::new(),
    };
    PolicyGraph {
        kind: g.kind,
        name: g.name.clone(),
        subject: g.subject.clone(),
        ingress: side(&g.ingress),
        egress: side(&g.egress),
        not_drawn: Vec::new(),
    }
}

#[component]
fn Svg(laid_out: Memo<Option<(PolicyGraph, Layout)>>) -> impl IntoView {
    let height = move || laid_out.with(|l| l.as_ref().map_or(100.0, |(_, l)| l.height));
    let centre_x = (WIDTH - layout::CENTRE_W) / 2.0;
    let groups = move || {
        laid_out.with(|l| {
            l.as_ref()
                .map(|(_, l)| l.groups.clone())
                .unwrap_or_default()
        })
    };
    let peers = move || {
        laid_out.with(|l| {
            l.as_ref()
                .map(|(_, l)| {
                    l.groups
                        .iter()
                        .flat_map(|g| g.peers.iter().cloned())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let edges =
        move || laid_out.with(|l| l.as_ref().map(|(_, l)| l.edges.clone()).unwrap_or_default());
    let summaries = move || {
        laid_out.with(|l| {
            l.as_ref()
                .map(|(_, l)| {
                    l.groups
                        .iter()
                        .filter_map(|g| {
                            g.summary.clone().map(|sb| PlacedSummary {
                                direction: g.direction,
                                kind: g.kind,
                                sb,
                            })
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    // Only what the centre box shows, so that peer edits do not redraw it.
    let centre =
        Memo::new(move |_| laid_out.with(|l| l.as_ref().map(|(g, l)| (g.clone(), l.centre))));
    let aria = move || {
        laid_out.with(|l| {
            l.as_ref()
                .map(|(g, _)| format!("Graph of {}", g.name))
                .unwrap_or_default()
        })
    };
    view! {
        <svg class="graph" viewBox=move || format!("0 0 {WIDTH} {:.0}", height()) role="group"
            aria-label=aria preserveAspectRatio="xMidYMin meet">
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0,0 L10,5 L0,10 z" class="arrow-head"/>
                </marker>
                <marker id="arrow-deny" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0,0 L10,5 L0,10 z" class="arrow-head deny"/>
                </marker>
            </defs>
            <text class="col-head" x="24" y="20">"INGRESS"</text>
            <text class="col-head" x=centre_x + layout::CENTRE_W / 2.0 y="20" text-anchor="middle">"SELECTED PODS"</text>
            <text class="col-head" x=WIDTH - 24.0 y="20" text-anchor="end">"EGRESS"</text>
            <For each=groups key=key_of let:g>
                <Group group=g/>
            </For>
            <For each=peers key=key_of let:p>
                <PeerNode peer=p/>
            </For>
            <For each=summaries key=key_of let:s>
                <SummaryNode placed=s/>
            </For>
            <g class="edges">
                <For each=edges key=key_of let:edge>
                    <EdgeLine edge=edge/>
                </For>
            </g>
            <For each=edges key=key_of let:edge>
                <EdgeLabel edge=edge/>
            </For>
            {move || centre.get().map(|(g, c)| view! { <Centre graph=g centre=c/> })}
        </svg>
    }
}

#[component]
fn Group(group: GroupBox) -> impl IntoView {
    let state = expect_context::<AppState>();
    let GroupBox {
        direction,
        kind,
        x,
        y,
        w,
        h,
        peers,
        summary,
    } = group;
    let empty = peers.is_empty() && summary.is_none();
    let add_label = format!(
        "Add {} peer ({})",
        kind.title().to_lowercase(),
        direction.as_str()
    );
    let add_aria = add_label.clone();
    let add = move || {
        if kind == GroupKind::Dns {
            state.edit(policy_core::edit::allow_dns);
        } else {
            state.selection.set(Selection::Add(direction, kind));
        }
    };
    let add_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" || ev.key() == " " {
            ev.prevent_default();
            add();
        }
    };
    view! {
        <g class="group" data-group=format!("{}-{}", direction.as_str(), kind.id())>
            <rect class="group-box" x=x y=y width=w height=h rx="10"/>
            <text class="group-title" x=x + 12.0 y=y + 17.0>{kind.title().to_uppercase()}</text>
            <g class="add-btn" tabindex="0" role="button" aria-label=add_aria
                on:click=move |_| add() on:keydown=add_key>
                <title>{add_label}</title>
                <rect x=x + w - 30.0 y=y + 5.0 width="22" height="16" rx="5"/>
                <text x=x + w - 19.0 y=y + 17.0 text-anchor="middle">"+"</text>
            </g>
            {empty.then(|| view! {
                <text class="group-empty" x=x + w / 2.0 y=y + 48.0 text-anchor="middle">
                    {if kind == GroupKind::Dns { "no DNS rule: + to allow" } else { "none" }}
                </text>
            })}
        </g>
    }
}

#[component]
fn PeerNode(peer: PeerBox) -> impl IntoView {
    let state = expect_context::<AppState>();
    let PeerBox {
        peer,
        group,
        x,
        y,
        w,
        h,
    } = peer;
    let data_group = format!("{}-{}", peer.at.rule.direction.as_str(), group.id());
    let at = peer.at;
    let id = at.id();
    let key_group = data_group.clone();
    let key_id = id.to_string();
    let sentence = peer.sentence.clone();
    let s1 = sentence.clone();
    let s2 = sentence.clone();
    let selected = move || state.selection.get() == Selection::Peer(at);
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" | " " => {
            ev.prevent_default();
            state.selection.set(Selection::Peer(at));
        }
        "Delete" | "Backspace" => {
            ev.prevent_default();
            let position = group_peers(&key_group)
                .iter()
                .position(|e| e.get_attribute("data-peer").as_deref() == Some(key_id.as_str()))
                .unwrap_or(0);
            if state.edit(|p| policy_core::edit::remove_peer(p, &at)) {
                state.selection.set(Selection::None);
                // Keyboard users stay in the group: focus moves to the peer
                // now at this place (or the last one), else the group's "+".
                let group = key_group.clone();
                request_animation_frame(move || focus_after_removal(&group, position));
            }
        }
        _ => {}
    };
    let aria = sentence.clone();
    let details: Vec<String> = peer.details.iter().take(3).cloned().collect();
    view! {
        <g class="peer" class:selected=selected class:deny=peer.edge.deny tabindex="0" role="button"
            data-peer=id data-group=data_group aria-label=aria
            on:click=move |_| state.selection.set(Selection::Peer(at))
            on:keydown=on_key
            on:mouseenter=move |_| state.hover.set(Some(s1.clone()))
            on:mouseleave=move |_| state.hover.set(None)
            on:focus=move |_| state.hover.set(Some(s2.clone()))
            on:blur=move |_| state.hover.set(None)>
            <title>{sentence}</title>
            <rect class="peer-box" x=x y=y width=w height=h rx="8"/>
            <text class="peer-icon" x=x + 12.0 y=y + 22.0>{kind_icon(peer.kind)}</text>
            <text class="peer-title" x=x + 30.0 y=y + 22.0>{fit(&peer.title, 22)}</text>
            {details.into_iter().enumerate().map(|(i, d)| view! {
                <text class="peer-detail" x=x + 30.0 y=y + 38.0 + 15.0 * i as f64>{fit(&d, 26)}</text>
            }).collect_view()}
        </g>
    }
}

/// The peer nodes of one group (`data-group`), in document order.
fn group_peers(group: &str) -> Vec<web_sys::Element> {
    let Some(list) = document()
        .query_selector_all(&format!("g.peer[data-group=\"{group}\"]"))
        .ok()
    else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::Element>().ok())
        .collect()
}

/// Focuses the peer at `position` in `group` (or its last peer), else the
/// group's add button: where focus belongs after a peer is removed.
fn focus_after_removal(group: &str, position: usize) {
    let peers = group_peers(group);
    let target = match peers.len() {
        0 => document()
            .query_selector(&format!("g.group[data-group=\"{group}\"] .add-btn"))
            .ok()
            .flatten(),
        n => peers.into_iter().nth(position.min(n - 1)),
    };
    if let Some(svg) = target.and_then(|e| e.dyn_into::<web_sys::SvgElement>().ok()) {
        let _ = svg.focus();
    }
}

/// One edge: the drawn path, and a wider transparent one over it that
/// catches the pointer; hovering shows the edge's explanation.
#[component]
fn EdgeLine(edge: EdgePath) -> impl IntoView {
    let state = expect_context::<AppState>();
    let marker = if edge.deny {
        "url(#arrow-deny)"
    } else {
        "url(#arrow)"
    };
    let sentence = edge.sentence.clone();
    view! {
        <g class="edge-line"
            on:mouseenter=move |_| state.hover.set(Some(sentence.clone()))
            on:mouseleave=move |_| state.hover.set(None)>
            <path d=edge.d.clone() class="edge" class:deny=edge.deny data-edge=edge.id.clone()
                marker-end=marker/>
            <path d=edge.d class="edge-hit" aria-hidden="true"/>
        </g>
    }
}

#[component]
fn EdgeLabel(edge: EdgePath) -> impl IntoView {
    let state = expect_context::<AppState>();
    let sentence = edge.sentence.clone();
    let (s1, s2, aria) = (sentence.clone(), sentence.clone(), sentence);
    let label = edge.label.clone();
    let shown = fit(&label, 13);
    let pill_w = (shown.chars().count() as f64 * 6.3 + 12.0).clamp(40.0, LEAD - 4.0);
    let (cx, cy) = (edge.label_x, edge.label_y);
    let l7 = edge.l7.clone();
    view! {
        <g class="edge-label" class:deny=edge.deny tabindex="0" role="note" aria-label=aria
            data-edge-label=edge.id.clone()
            on:mouseenter=move |_| state.hover.set(Some(s1.clone()))
            on:mouseleave=move |_| state.hover.set(None)
            on:focus=move |_| state.hover.set(Some(s2.clone()))
            on:blur=move |_| state.hover.set(None)>
            <title>{label.clone()}</title>
            <rect x=cx - pill_w / 2.0 y=cy - 9.0 width=pill_w height="18" rx="9"/>
            <text x=cx y=cy + 4.0 text-anchor="middle">{shown}</text>
            {l7.into_iter().enumerate().map(|(i, b)| {
                let text = format!("{}: {}", b.protocol, b.rules.join(", "));
                let bx = cx - 22.0 + 46.0 * i as f64;
                let aria = format!("L7 rule {text}");
                view! {
                    <g class="l7-badge" tabindex="0" role="note" aria-label=aria>
                        <title>{text}</title>
                        <rect x=bx - 20.0 y=cy + 12.0 width="40" height="15" rx="4"/>
                        <text x=bx y=cy + 23.0 text-anchor="middle">{b.protocol.clone()}</text>
                    </g>
                }
            }).collect_view()}
        </g>
    }
}

/// A collapsed group: one box saying what it holds, which expands into a
/// scrollable, searchable list ([`PeerList`]) on click or Enter.
#[component]
fn SummaryNode(placed: PlacedSummary) -> impl IntoView {
    let state = expect_context::<AppState>();
    let PlacedSummary {
        direction,
        kind,
        sb,
    } = placed;
    let SummaryBox {
        summary,
        expanded,
        x,
        y,
        w,
        h,
    } = sb;
    let data = format!("{}-{}", direction.as_str(), kind.id());
    if expanded {
        return view! { <PeerList direction=direction kind=kind x=x y=y w=w h=h/> }.into_any();
    }
    let expand = move || {
        state.expanded.update(|e| {
            e.insert((direction, kind));
        });
        // Keyboard users land in the list's filter.
        let data = format!("{}-{}", direction.as_str(), kind.id());
        request_animation_frame(move || {
            if let Some(el) = document()
                .query_selector(&format!("[data-peer-list=\"{data}\"] .peer-filter"))
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        });
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" || ev.key() == " " {
            ev.prevent_default();
            expand();
        }
    };
    let aria = format!(
        "{}. {} Press Enter to list them.",
        summary.text, summary.sentence
    );
    let (s1, s2) = (summary.sentence.clone(), summary.sentence.clone());
    let lines = wrap(&summary.text, 19, 3);
    view! {
        <g class="peer-summary" class:deny=summary.deny tabindex="0" role="button" aria-expanded="false"
            data-summary=data aria-label=aria
            on:click=move |_| expand()
            on:keydown=on_key
            on:mouseenter=move |_| state.hover.set(Some(s1.clone()))
            on:mouseleave=move |_| state.hover.set(None)
            on:focus=move |_| state.hover.set(Some(s2.clone()))
            on:blur=move |_| state.hover.set(None)>
            <title>{summary.sentence.clone()}</title>
            <rect class="peer-box" x=x y=y width=w height=h rx="8"/>
            <text class="peer-icon" x=x + 12.0 y=y + 22.0>"▤"</text>
            {lines.into_iter().enumerate().map(|(i, line)| view! {
                <text class="peer-title" x=x + 30.0 y=y + 22.0 + 15.0 * i as f64>{line}</text>
            }).collect_view()}
            <text class="peer-detail summary-hint" x=x + 30.0 y=y + h - 10.0>
                {format!("▸ show all {}", summary.count)}
            </text>
        </g>
    }
    .into_any()
}

/// Breaks `text` into at most `lines` lines of `max` characters, at spaces.
fn wrap(text: &str, max: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > max {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        out.push(current);
    }
    if out.len() > lines {
        let rest = out[lines - 1..].join(" ");
        out.truncate(lines - 1);
        out.push(fit(&rest, max));
    }
    out
}

fn isolation_line(direction: Direction, iso: Isolation) -> (bool, String) {
    (
        iso.is_isolated(),
        format!("{} · {}", direction.as_str(), iso.label()),
    )
}

#[component]
fn Centre(graph: PolicyGraph, centre: (f64, f64, f64, f64)) -> impl IntoView {
    let state = expect_context::<AppState>();
    let (x, y, w, h) = centre;
    let ns = match &graph.subject.namespace {
        Some(ns) => format!("namespace {ns}"),
        None => "cluster-wide".to_string(),
    };
    let selector = graph.subject.summary.clone();
    let lines = [
        isolation_line(Direction::Ingress, graph.ingress.isolation),
        isolation_line(Direction::Egress, graph.egress.isolation),
    ];
    let summary = format!(
        "{} selects {} in {}. Ingress: {}. Egress: {}.",
        graph.name,
        selector,
        graph
            .subject
            .namespace
            .clone()
            .unwrap_or_else(|| "every namespace".into()),
        graph.ingress.isolation.label(),
        graph.egress.isolation.label()
    );
    let s1 = summary.clone();
    let s2 = summary.clone();
    let aria = summary.clone();
    let selected = move || state.selection.get() == Selection::Subject;
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" || ev.key() == " " {
            ev.prevent_default();
            state.selection.set(Selection::Subject);
        }
    };
    view! {
        <g class="centre" class:selected=selected tabindex="0" role="button" data-centre="true"
            aria-label=aria
            on:click=move |_| state.selection.set(Selection::Subject)
            on:keydown=on_key
            on:mouseenter=move |_| state.hover.set(Some(s1.clone()))
            on:mouseleave=move |_| state.hover.set(None)
            on:focus=move |_| state.hover.set(Some(s2.clone()))
            on:blur=move |_| state.hover.set(None)>
            <title>{summary}</title>
            <rect class="centre-box" x=x y=y width=w height=h rx="14"/>
            <text class="centre-kind" x=x + w / 2.0 y=y + 22.0 text-anchor="middle">{graph.kind.as_str()}</text>
            <text class="centre-ns" x=x + w / 2.0 y=y + 44.0 text-anchor="middle">{fit(&ns, 28)}</text>
            <text class="centre-sel" x=x + w / 2.0 y=y + 66.0 text-anchor="middle">{fit(&selector, 26)}</text>
            {lines.into_iter().enumerate().map(|(i, (locked, text))| {
                let ly = y + 96.0 + 22.0 * i as f64;
                view! {
                    <g class="iso" class:locked=locked>
                        {locked.then(|| view! {
                            <g class="lock" aria-hidden="true">
                                <rect x=x + 16.0 y=ly - 9.0 width="10" height="8" rx="1.5"/>
                                <path d=format!("M{:.1},{:.1} v-2.5 a3,3 0 0 1 6,0 v2.5", x + 18.0, ly - 9.0)/>
                            </g>
                        })}
                        <text x=x + 32.0 y=ly>{text}</text>
                    </g>
                }
            }).collect_view()}
        </g>
    }
}
