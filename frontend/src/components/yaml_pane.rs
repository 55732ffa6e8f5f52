//! The YAML pane: a textarea over highlighted text, line numbers with
//! finding marks, and the problems list under it.

use leptos::prelude::*;
use policy_core::diagnostic::Diagnostic;
use wasm_bindgen::JsCast;

use crate::highlight::{LineMark, highlight_window};
use crate::state::AppState;
use crate::workspace::ChangeKind;

/// Height of one line in the editor, in CSS pixels (matches app.css).
pub const LINE_PX: f64 = 20.0;

/// Lines highlighted above and below the ones in view.
const MARGIN_LINES: usize = 40;

/// Number of lines of a text (a trailing newline starts an empty line).
fn line_count(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count() + 1
}

/// Byte offset (in UTF-16 units, as the DOM counts) of the start of a line.
fn line_start_utf16(text: &str, line: u32) -> u32 {
    let mut offset = 0u32;
    for (i, l) in text.split('\n').enumerate() {
        if i as u32 + 1 >= line {
            break;
        }
        offset += l.encode_utf16().count() as u32 + 1;
    }
    offset
}

/// The pane.
#[component]
pub fn YamlPane() -> impl IntoView {
    let state = expect_context::<AppState>();
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let scroller = NodeRef::<leptos::html::Div>::new();
    // The textarea holds what the user typed; it is only rewritten when the
    // text changes otherwise (visual edits, undo, switching policies), so
    // typing never pays for copying the whole text back into the DOM.
    let typed = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let text = state.ws.with(|w| w.current().text.clone());
        // Consumed once, so that a later undo/redo to the same text still
        // rewrites the textarea.
        let last_typed = typed.try_update_value(Option::take).flatten();
        let from_typing = last_typed.as_deref() == Some(text.as_str());
        if !from_typing && let Some(ta) = textarea.get() {
            ta.set_value(&text);
        }
    });
    // The highlighted layer and the line numbers cover the lines in view
    // (and a margin), placed at their offset in the full-height layer: a
    // keystroke in a 2,000-line text highlights and lays out a screenful.
    // The layer holds one element per line, and only the lines whose HTML
    // changed are rewritten.
    let window = RwSignal::new((0usize, 2 * MARGIN_LINES + 60));
    let update_window = move || {
        if let Some(sc) = scroller.get_untracked() {
            let top = (f64::from(sc.scroll_top()) / LINE_PX) as usize;
            // In steps of half a margin, so scrolling a little redraws nothing.
            let first = top.saturating_sub(MARGIN_LINES) / (MARGIN_LINES / 2) * (MARGIN_LINES / 2);
            let shown = (f64::from(sc.client_height()) / LINE_PX).ceil() as usize;
            let next = (first, top + shown + MARGIN_LINES);
            if window.get_untracked() != next {
                window.set(next);
            }
        }
    };
    Effect::new(move |_| {
        if scroller.get().is_some() {
            update_window();
        }
    });
    let pre = NodeRef::<leptos::html::Pre>::new();
    let shown = StoredValue::new(Vec::<String>::new());
    Effect::new(move |_| {
        let marks = state.analysis.with(|a| a.line_marks());
        let (first, last) = window.get();
        let (total, lines) = state.ws.with(|w| {
            let text = &w.current().text;
            (
                line_count(text),
                highlight_window(text, &marks, first, last),
            )
        });
        let Some(pre) = pre.get() else { return };
        let first = first.min(total);
        let style = web_sys::HtmlElement::style(&pre);
        let _ = style.set_property(
            "padding-top",
            &format!("{}px", 8.0 + first as f64 * LINE_PX),
        );
        let _ = style.set_property("height", &format!("{}px", (total - first) as f64 * LINE_PX));
        shown.update_value(|old| sync_lines(&pre, old, lines));
    });
    // Line numbers as one HTML string, for the same window.
    let gutter = Memo::new(move |_| {
        let marks = state.analysis.with(|a| a.line_marks());
        let lines = state.ws.with(|w| line_count(&w.current().text));
        let (first, last) = window.get();
        let (first, last) = (first.min(lines), last.min(lines));
        let mut html = String::with_capacity((last - first) * 32);
        for n in first as u32 + 1..=last as u32 {
            let class = match marks.get(&n) {
                Some(LineMark::Error) => "ln err",
                Some(LineMark::Warning) => "ln warn",
                None => "ln",
            };
            html.push_str(&format!(
                "<div class=\"{class}\" data-line=\"{n}\">{n}</div>"
            ));
        }
        html
    });
    let gutter_top = move || format!("{}px", 8.0 + window.get().0 as f64 * LINE_PX);
    // Reveal and select a line when asked (problems list, tests).
    Effect::new(move |_| {
        if let Some((line, _)) = state.jump.get() {
            let t = state.ws.with_untracked(|w| w.current().text.clone());
            if let (Some(ta), Some(sc)) = (textarea.get_untracked(), scroller.get_untracked()) {
                let start = line_start_utf16(&t, line);
                let end = line_start_utf16(&t, line + 1).saturating_sub(1).max(start);
                let _ = ta.focus();
                let _ = ta.set_selection_range(start, end);
                let top = (f64::from(line) - 4.0).max(0.0) * LINE_PX;
                sc.set_scroll_top(top as i32);
            }
        }
    });
    let on_input = move |ev: leptos::ev::Event| {
        let ta: web_sys::HtmlTextAreaElement = ev.target().expect("target").unchecked_into();
        let value = ta.value();
        typed.set_value(Some(value.clone()));
        state.type_text(value);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        // Tab inserts two spaces (Escape then Tab leaves the editor).
        if ev.key() == "Tab" && !ev.shift_key() && !ev.ctrl_key() && !ev.alt_key() && !ev.meta_key()
        {
            let ta: web_sys::HtmlTextAreaElement = ev.target().expect("target").unchecked_into();
            if ta.get_attribute("data-escaped").is_some() {
                let _ = ta.remove_attribute("data-escaped");
                return;
            }
            ev.prevent_default();
            let start = ta.selection_start().ok().flatten().unwrap_or(0);
            let end = ta.selection_end().ok().flatten().unwrap_or(start);
            let _ = ta.set_range_text_with_start_and_end("  ", start, end);
            let _ = ta.set_selection_range(start + 2, start + 2);
            let value = ta.value();
            typed.set_value(Some(value.clone()));
            state.type_text(value);
        } else if ev.key() == "Escape" {
            let ta: web_sys::HtmlTextAreaElement = ev.target().expect("target").unchecked_into();
            let _ = ta.set_attribute("data-escaped", "");
        }
    };
    view! {
        <section class="yaml-pane" aria-label="YAML">
            <div class="pane-head">
                <h2 class="pane-title">"YAML"</h2>
                <span class="pane-meta">{move || {
                    let (n, e) = state.analysis.with(|a| (a.count, a.errors()));
                    if e > 0 { format!("{e} error{}", if e == 1 { "" } else { "s" }) }
                    else if n > 1 { format!("{n} policies in this document — the first is drawn") }
                    else { "valid".to_string() }
                }}</span>
            </div>
            <div class="editor" node_ref=scroller on:scroll=move |_| update_window()>
                <div class="gutter" aria-hidden="true" style:padding-top=gutter_top
                    inner_html=move || gutter.get()></div>
                <div class="code">
                    <pre class="highlight" aria-hidden="true" node_ref=pre></pre>
                    <textarea class="source" node_ref=textarea spellcheck="false" autocomplete="off"
                        autocapitalize="off" wrap="off" aria-label="Policy YAML"
                        aria-describedby="problems"
                        on:input=on_input on:keydown=on_keydown></textarea>
                </div>
            </div>
            <Problems/>
        </section>
    }
}

/// Brings the highlighted layer from the lines `old` to `new`, touching
/// only the line elements that differ, and keeps `new` as the lines shown.
fn sync_lines(pre: &web_sys::HtmlElement, old: &mut Vec<String>, new: Vec<String>) {
    let children = pre.children();
    if children.length() as usize != old.len() {
        // Out of step (first run): rebuild.
        pre.set_inner_html("");
        old.clear();
    }
    let Some(doc) = pre.owner_document() else {
        return;
    };
    for (i, html) in new.iter().enumerate() {
        match old.get(i) {
            Some(was) if was == html => {}
            Some(_) => {
                if let Some(el) = children.item(i as u32) {
                    el.set_inner_html(html);
                }
            }
            None => {
                if let Ok(el) = doc.create_element("span") {
                    el.set_inner_html(html);
                    let _ = pre.append_child(&el);
                }
            }
        }
    }
    for i in (new.len()..old.len()).rev() {
        if let Some(el) = children.item(i as u32) {
            el.remove();
        }
    }
    *old = new;
}

/// The problems list: click a problem to jump to its line; apply fixes.
#[component]
fn Problems() -> impl IntoView {
    let state = expect_context::<AppState>();
    // Rebuilt only when the findings change, not on every keystroke.
    let diagnostics = Memo::new(move |_| state.analysis.with(|a| a.diagnostics.clone()));
    let counter = StoredValue::new(0u32);
    let jump = move |line: u32| {
        counter.update_value(|c| *c += 1);
        state.jump.set(Some((line, counter.get_value())));
    };
    let apply_fix = move |d: Diagnostic| {
        let Some(fix) = d.fix else { return };
        let text = state.ws.with_untracked(|w| w.current().text.clone());
        match apply_text_edits(&text, &fix.edits) {
            Some(new) => {
                state.change(ChangeKind::Step, |w| w.set_text(new));
                state.say(format!("Applied: {}", fix.title), false);
            }
            None => state.say("The fix no longer applies to this text", true),
        }
    };
    view! {
        <div class="problems" id="problems" role="region" aria-label="Problems">
            <div class="pane-head">
                <h2 class="pane-title">{move || format!("Problems ({})", state.analysis.with(|a| a.diagnostics.len()))}</h2>
            </div>
            <ul class="problem-list">
                {move || {
                    let ds = diagnostics.get();
                    if ds.is_empty() {
                        return view! { <li class="problem none">"No problems found."</li> }.into_any();
                    }
                    ds.into_iter().map(|d| {
                        let line = d.line.unwrap_or(1);
                        let sev = d.severity.as_str();
                        let where_ = match (d.line, d.column) {
                            (Some(l), Some(c)) => format!("{l}:{c}"),
                            (Some(l), None) => format!("{l}"),
                            _ => String::new(),
                        };
                        let fix_title = d.fix.as_ref().map(|f| f.title.clone());
                        let d2 = d.clone();
                        view! {
                            <li class=format!("problem {sev}")>
                                <button type="button" class="problem-jump" data-line=line
                                    on:click=move |_| jump(line)>
                                    <span class="sev" aria-label=sev>{match sev { "error" => "✕", "info" => "i", _ => "!" }}</span>
                                    <span class="where">{where_}</span>
                                    <span class="msg">{d.message.clone()}</span>
                                    <span class="code-tag">{d.code.clone()}</span>
                                </button>
                                {fix_title.map(|t| view! {
                                    <button type="button" class="btn small fix" on:click=move |_| apply_fix(d2.clone())>
                                        {format!("Fix: {t}")}
                                    </button>
                                })}
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
        </div>
    }
}

/// Applies non-overlapping byte-range edits; `None` when a range is out of
/// bounds or not on a character boundary.
pub fn apply_text_edits(text: &str, edits: &[policy_core::diagnostic::TextEdit]) -> Option<String> {
    let mut edits: Vec<_> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.start));
    let mut out = text.to_string();
    for e in edits {
        if e.start > e.end
            || e.end > out.len()
            || !out.is_char_boundary(e.start)
            || !out.is_char_boundary(e.end)
        {
            return None;
        }
        out.replace_range(e.start..e.end, &e.replacement);
    }
    Some(out)
}
