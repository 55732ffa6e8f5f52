//! An expanded large group: a scrollable, searchable list of its peers,
//! drawn inside the graph (an HTML list in a `foreignObject`).
//!
//! Only the rows in view are in the DOM (a window over the filtered list),
//! so a group of thousands of peers costs a dozen rows. The list is an ARIA
//! listbox: it keeps the focus and points at the active row with
//! `aria-activedescendant`, so arrow keys, Home/End and PageUp/PageDown move
//! through rows that are not drawn yet; Enter selects the peer in the
//! inspector, Delete removes it, and the active or hovered row's sentence
//! shows in the explanation footer.

use leptos::prelude::*;
use policy_core::view::{Direction, GroupKind, GroupSummary, Peer};
use wasm_bindgen::JsCast;

use std::fmt::Write;

use crate::highlight::escape_into;
use crate::layout::{ROW_H, ROWS_SHOWN};
use crate::state::{AppState, Selection};

/// Rows drawn above and below the ones in view.
const OVERSCAN: usize = 3;

/// Whether a peer matches a filter (lower-case words, all must appear).
fn matches(peer: &Peer, words: &[String]) -> bool {
    if words.is_empty() {
        return true;
    }
    let mut hay = peer.title.to_lowercase();
    for d in &peer.details {
        hay.push(' ');
        hay.push_str(&d.to_lowercase());
    }
    hay.push(' ');
    hay.push_str(&peer.edge.label().to_lowercase());
    words.iter().all(|w| hay.contains(w.as_str()))
}

/// The rows from `start` that fill the view (with overscan), as one HTML
/// string with every text escaped: events are handled on the list, so the
/// rows need no handlers of their own.
fn rows_markup(
    ps: &[Peer],
    start: usize,
    active: usize,
    selected: Option<policy_core::view::PeerRef>,
    row_id: &dyn Fn(usize) -> String,
) -> String {
    let end = (start + ROWS_SHOWN + 2 * OVERSCAN).min(ps.len());
    let mut html = String::new();
    for (i, p) in ps.iter().enumerate().take(end).skip(start) {
        let classes = match (i == active, p.edge.deny) {
            (true, true) => "peer-row active deny",
            (true, false) => "peer-row active",
            (false, true) => "peer-row deny",
            (false, false) => "peer-row",
        };
        let _ = write!(
            html,
            "<div class=\"{classes}\" role=\"option\" id=\"{}\" data-index=\"{i}\" data-peer=\"{}\" aria-selected=\"{}\" title=\"",
            row_id(i),
            p.at.id(),
            selected == Some(p.at)
        );
        escape_into(&mut html, &p.sentence);
        html.push_str("\"><span class=\"peer-row-title\">");
        escape_into(&mut html, &p.title);
        html.push_str("</span><span class=\"peer-row-detail\">");
        escape_into(&mut html, p.details.first().map_or("", String::as_str));
        html.push_str("</span><span class=\"peer-row-ports\">");
        escape_into(&mut html, &p.edge.label());
        html.push_str("</span></div>");
    }
    html
}

/// The row a navigation key moves to from row `i` of `n` (`n > 0`).
fn key_target(key: &str, i: usize, n: usize) -> Option<usize> {
    let page = ROWS_SHOWN.saturating_sub(1).max(1);
    match key {
        "ArrowDown" => Some((i + 1).min(n - 1)),
        "ArrowUp" => Some(i.saturating_sub(1)),
        "Home" => Some(0),
        "End" => Some(n - 1),
        "PageDown" => Some((i + page).min(n - 1)),
        "PageUp" => Some(i.saturating_sub(page)),
        _ => None,
    }
}

/// The scroll offset that shows row `i`, moving as little as possible from
/// `current`.
fn scroll_to_show(i: usize, current: f64) -> f64 {
    let top = i as f64 * ROW_H;
    let view_h = ROW_H * ROWS_SHOWN as f64;
    if top < current {
        top
    } else if top + ROW_H > current + view_h {
        top + ROW_H - view_h
    } else {
        current
    }
}

/// The list of an expanded group.
#[component]
pub fn PeerList(
    direction: Direction,
    kind: GroupKind,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let data = format!("{}-{}", direction.as_str(), kind.id());
    let list_id = format!("peer-list-{data}");
    let query = RwSignal::new(String::new());
    let scroll_top = RwSignal::new(0.0f64);
    let active = RwSignal::new(0usize);
    let rows_ref = NodeRef::<leptos::html::Div>::new();
    // The group's summary and peers, rebuilt when the graph changes.
    let summary = Memo::new(move |_| {
        state.graph.with(|g| {
            g.as_ref()
                .and_then(|(_, g)| g.side(direction).group(kind))
                .and_then(|grp| grp.collapsed.clone())
                .unwrap_or_else(|| GroupSummary {
                    count: 0,
                    text: String::new(),
                    edge_label: String::new(),
                    deny: false,
                    sentence: String::new(),
                })
        })
    });
    let peers = Memo::new(move |_| {
        state.graph.with(|g| {
            g.as_ref()
                .and_then(|(_, g)| g.side(direction).group(kind).map(|grp| grp.peers.clone()))
                .unwrap_or_default()
        })
    });
    let filtered = Memo::new(move |_| {
        let words: Vec<String> =
            query.with(|q| q.split_whitespace().map(str::to_lowercase).collect());
        peers.with(|ps| {
            ps.iter()
                .filter(|p| matches(p, &words))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let count = move || filtered.with(Vec::len);
    // Keep the active row inside the list when it shrinks.
    Effect::new(move |_| {
        let n = count();
        if active.get_untracked() >= n {
            active.set(n.saturating_sub(1));
        }
    });
    let row_id = {
        let list_id = list_id.clone();
        move |i: usize| format!("{list_id}-row-{i}")
    };
    // The rows in view as one HTML string (a dozen rows; events are
    // handled on the list), after a spacer standing for the rows above.
    let first_row = move || {
        let first = (scroll_top.get() / ROW_H).floor().max(0.0) as usize;
        first.saturating_sub(OVERSCAN)
    };
    let rows_window = move |start: usize, row_id: &dyn Fn(usize) -> String| {
        let active = active.get();
        let selected = match state.selection.get() {
            Selection::Peer(at) => Some(at),
            _ => None,
        };
        filtered.with(|ps| rows_markup(ps, start, active, selected, row_id))
    };
    let rows_html = {
        let row_id = row_id.clone();
        move || rows_window(first_row(), &row_id)
    };
    // The row under an event.
    let row_at = move |ev: &leptos::ev::MouseEvent| -> Option<usize> {
        let target = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
        target
            .closest(".peer-row")
            .ok()
            .flatten()?
            .get_attribute("data-index")?
            .parse()
            .ok()
    };
    let sentence_of = move |i: usize| filtered.with(|ps| ps.get(i).map(|p| p.sentence.clone()));
    // Moves the active row and scrolls it into view.
    let activate = move |i: usize| {
        active.set(i);
        if let Some(el) = rows_ref.get_untracked() {
            let current = el.scroll_top() as f64;
            let next = scroll_to_show(i, current);
            if next != current {
                el.set_scroll_top(next as i32);
                scroll_top.set(next);
            }
        }
        state.hover.set(sentence_of(i));
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = count();
        if n == 0 {
            return;
        }
        let i = active.get_untracked().min(n - 1);
        if let Some(t) = key_target(&ev.key(), i, n) {
            ev.prevent_default();
            activate(t);
            return;
        }
        let at = filtered.with_untracked(|ps| ps.get(i).map(|p| p.at));
        let Some(at) = at else { return };
        match ev.key().as_str() {
            "Enter" | " " => {
                ev.prevent_default();
                state.selection.set(Selection::Peer(at));
            }
            "Delete" | "Backspace" => {
                ev.prevent_default();
                if state.edit(|p| policy_core::edit::remove_peer(p, &at)) {
                    state.selection.set(Selection::None);
                }
            }
            _ => {}
        }
    };
    let collapse = move |_| {
        state.expanded.update(|e| {
            e.remove(&(direction, kind));
        });
        let data = format!("{}-{}", direction.as_str(), kind.id());
        request_animation_frame(move || {
            if let Some(el) = document()
                .query_selector(&format!("[data-summary=\"{data}\"]"))
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::SvgElement>().ok())
            {
                let _ = el.focus();
            }
        });
    };
    let on_scroll = move |_| {
        if let Some(el) = rows_ref.get_untracked() {
            scroll_top.set(el.scroll_top() as f64);
        }
    };
    let label = move || format!("{}: {}", kind.title(), summary.with(|s| s.text.clone()));
    let filter_label = move || format!("Filter the {} peers", summary.with(|s| s.count));
    let text = move || summary.with(|s| s.text.clone());
    let active_id = {
        let row_id = row_id.clone();
        move || (count() > 0).then(|| row_id(active.get()))
    };
    view! {
        <foreignObject x=x y=y width=w height=h class="peer-list-fo">
            <div class="peer-list" data-peer-list=data.clone()>
                <div class="peer-list-head">
                    <span class="peer-list-title" title=text>{text}</span>
                    <button type="button" class="btn small" aria-expanded="true" on:click=collapse
                        title="Collapse into one box">"Collapse"</button>
                </div>
                <input type="search" class="peer-filter" placeholder="Filter: CIDR, label, port…"
                    aria-label=filter_label spellcheck="false" bind:value=query
                    on:input=move |_| {
                        active.set(0);
                        scroll_top.set(0.0);
                        if let Some(el) = rows_ref.get_untracked() {
                            el.set_scroll_top(0);
                        }
                    }/>
                <div class="peer-rows" role="listbox" tabindex="0" aria-label=label
                    aria-activedescendant=active_id node_ref=rows_ref
                    on:keydown=on_key on:scroll=on_scroll
                    on:focus=move |_| state.hover.set(sentence_of(active.get_untracked()))
                    on:blur=move |_| state.hover.set(None)
                    on:mouseover=move |ev| {
                        if let Some(i) = row_at(&ev) {
                            state.hover.set(sentence_of(i));
                        }
                    }
                    on:mouseleave=move |_| state.hover.set(None)
                    on:click=move |ev| {
                        if let Some(i) = row_at(&ev) {
                            active.set(i);
                            if let Some(at) = filtered.with_untracked(|ps| ps.get(i).map(|p| p.at)) {
                                state.selection.set(Selection::Peer(at));
                            }
                        }
                    }>
                    <div class="peer-rows-space"
                        style:height=move || format!("{}px", count().saturating_sub(first_row()) as f64 * ROW_H)
                        style:padding-top=move || format!("{}px", first_row() as f64 * ROW_H)
                        inner_html=rows_html></div>
                </div>
                <div class="peer-list-count" aria-live="polite">
                    {move || {
                        let (n, total) = (count(), peers.with(Vec::len));
                        if query.with(String::is_empty) { format!("{total} peers") } else { format!("{n} of {total} peers match") }
                    }}
                </div>
            </div>
        </foreignObject>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_move_within_the_list() {
        let page = ROWS_SHOWN - 1;
        assert_eq!(key_target("ArrowDown", 4, 5), Some(4));
        assert_eq!(key_target("ArrowUp", 0, 5), Some(0));
        assert_eq!(key_target("End", 0, 500), Some(499));
        assert_eq!(key_target("PageDown", 0, 500), Some(page));
        assert_eq!(key_target("PageUp", 3, 500), Some(0));
        assert_eq!(key_target("a", 3, 500), None);
    }

    #[test]
    fn scrolling_shows_the_row_and_moves_least() {
        let view_h = ROW_H * ROWS_SHOWN as f64;
        assert_eq!(scroll_to_show(0, 5.0 * ROW_H), 0.0);
        assert_eq!(scroll_to_show(2, 0.0), 0.0);
        assert_eq!(
            scroll_to_show(ROWS_SHOWN, 0.0),
            (ROWS_SHOWN as f64 + 1.0) * ROW_H - view_h
        );
    }

    #[test]
    fn rows_are_escaped_and_windowed() {
        let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: a}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n    - podSelector: {matchLabels: {app: \"<b>\"}}\n";
        let parsed = policy_core::yaml::parse_documents(policy);
        let graph = policy_core::view::graph(parsed.policies().next().unwrap());
        let peers: Vec<Peer> = graph
            .ingress
            .groups
            .iter()
            .flat_map(|g| g.peers.clone())
            .collect();
        assert_eq!(peers.len(), 2);
        let html = rows_markup(&peers, 0, 1, Some(peers[0].at), &|i| format!("r{i}"));
        assert!(
            !html.contains("<b>") && html.contains("&lt;b&gt;"),
            "{html}"
        );
        assert_eq!(html.matches("role=\"option\"").count(), 2);
        assert!(html.contains("id=\"r1\""));
        assert_eq!(html.matches("aria-selected=\"true\"").count(), 1);
        assert_eq!(html.matches("peer-row active").count(), 1);
        assert_eq!(rows_markup(&peers, 2, 0, None, &|i| format!("r{i}")), "");
    }
}
