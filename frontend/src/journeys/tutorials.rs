//! The tutorials panel: the list, then the active step with its text,
//! hints, and goals checked live by the engine as the user edits.

use leptos::prelude::*;
use policy_core::tutorial::{self, Tutorial};

use super::links::start_tutorial;
use super::{ActiveTutorial, Journeys};
use crate::state::AppState;
use crate::workspace::{ChangeKind, Workspace};

/// The panel.
#[component]
pub fn TutorialsPanel() -> impl IntoView {
    let j = expect_context::<Journeys>();
    move || match j
        .tutorial
        .get()
        .and_then(|a| tutorial::find(&a.id).map(|t| (t, a.step)))
    {
        Some((t, step)) => view! { <ActiveStep tutorial=t step=step/> }.into_any(),
        None => view! { <TutorialList/> }.into_any(),
    }
}

#[component]
fn TutorialList() -> impl IntoView {
    let state = expect_context::<AppState>();
    let j = expect_context::<Journeys>();
    view! {
        <section class="journey tutorials" aria-labelledby="tut-title">
            <h2 id="tut-title" class="journey-title">"Tutorials"</h2>
            <p class="hint">"Short lessons on a small demo cluster. Each step is checked by the reachability engine as you edit: write the policies in the YAML pane or with the graph. Starting a tutorial replaces the workspace (Undo brings it back)."</p>
            <ul class="tutorial-list">
                {tutorial::all().into_iter().map(|t| view! {
                    <li class="tutorial-card" data-tutorial=t.id>
                        <h3>{t.title}</h3>
                        <p>{t.summary}</p>
                        <p class="muted">{format!("{} steps", t.steps.len())}</p>
                        <button type="button" class="btn primary" on:click=move |_| { start_tutorial(state, j, t.id); }>
                            {format!("Start “{}”", t.title)}
                        </button>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn ActiveStep(tutorial: Tutorial, step: usize) -> impl IntoView {
    let state = expect_context::<AppState>();
    let j = expect_context::<Journeys>();
    let t = tutorial;
    let hints_shown = RwSignal::new(0usize);
    let check = Memo::new(move |_| {
        let texts: Vec<String> = state
            .ws
            .with(|w| w.docs.iter().map(|d| d.text.clone()).collect());
        tutorial::check_step(&t, step, &texts)
    });
    let total = t.steps.len();
    let s = t.steps[step.min(total - 1)];
    let last = step + 1 >= total;
    let go = move |to: usize| {
        j.tutorial.set(Some(ActiveTutorial {
            id: t.id.to_string(),
            step: to,
        }));
    };
    let show_solution = move |_| {
        let docs: Vec<String> = s.solution.iter().map(|d| d.to_string()).collect();
        state.change(ChangeKind::Step, |w| *w = Workspace::from_texts(docs));
    };
    let done = move || check.with(|c| c.complete);
    view! {
        <section class="journey tutorials" aria-labelledby="tut-title" data-tutorial=t.id data-step=step>
            <div class="journey-head">
                <h2 id="tut-title" class="journey-title">{t.title}</h2>
                <button type="button" class="btn small" on:click=move |_| j.tutorial.set(None)>"All tutorials"</button>
            </div>
            <div class="tut-progress" role="progressbar" aria-label="Tutorial progress"
                aria-valuemin="0" aria-valuemax=total aria-valuenow=move || step + usize::from(done())>
                {(0..total).map(|i| view! {
                    <span class="tut-pip" class:done=move || i < step || (i == step && done()) class:current=i == step></span>
                }).collect_view()}
                <span class="muted">{format!("Step {} of {total}", step + 1)}</span>
            </div>
            <h3 class="tut-step-title">{s.title}</h3>
            <p class="tut-text">{s.text}</p>
            <div class="tut-hints">
                {move || s.hints.iter().take(hints_shown.get()).map(|h| view! { <p class="tut-hint"><strong>"Hint: "</strong>{*h}</p> }).collect_view()}
                <Show when=move || { hints_shown.get() < s.hints.len() }>
                    <button type="button" class="btn small" on:click=move |_| hints_shown.update(|n| *n += 1)>
                        {move || if hints_shown.get() == 0 { "Show a hint".to_string() } else { "Another hint".to_string() }}
                    </button>
                </Show>
            </div>
            <h4 class="tut-goals-title">
                {move || check.with(|c| format!("Goals: {} of {} met", c.met_count(), c.goals.len()))}
            </h4>
            <ul class="tut-goals" aria-live="polite">
                {move || check.with(|c| c.goals.iter().map(|g| {
                    let met = g.met;
                    view! {
                        <li class="tut-goal" class:met=met data-met=met.to_string()>
                            <span class="goal-mark" aria-hidden="true">{if met { "✓" } else { "✗" }}</span>
                            <span class="goal-text">{g.goal.describe()}</span>
                            <span class="visually-hidden">{if met { " (met)" } else { " (not met yet)" }}</span>
                            <details class="goal-why">
                                <summary>"Why"</summary>
                                <p>{g.explanation.clone()}</p>
                            </details>
                        </li>
                    }
                }).collect_view())}
            </ul>
            {move || check.with(|c| (!c.errors.is_empty()).then(|| view! {
                <p class="tut-errors" role="alert">{format!("Fix the YAML errors first ({}): {}", c.errors.len(), c.errors[0].message)}</p>
            }))}
            <div class="tut-actions">
                <Show when=move || { step > 0 }>
                    <button type="button" class="btn" on:click=move |_| go(step - 1)>"Previous step"</button>
                </Show>
                <button type="button" class="btn" on:click=show_solution title="Replace the workspace with a reference solution">"Show me a solution"</button>
                <Show when=move || !last fallback=move || view! {
                    <Show when=done>
                        <p class="tut-complete" role="status">{format!("Tutorial complete: “{}”. Well done!", t.title)}</p>
                    </Show>
                }>
                    <button type="button" class="btn primary" disabled=move || !done() on:click=move |_| go(step + 1)>"Next step"</button>
                </Show>
            </div>
        </section>
    }
}
