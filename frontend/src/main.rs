//! Palisade's page: a thin Leptos adapter over policy-core.
//!
//! `policy_text` reads and writes YAML, `analysis` and `layout` turn text
//! into what is drawn, `workspace` holds the policies and the undo history,
//! `state` wires them to signals, and `components` draw them.

mod analysis;
mod app;
mod browser;
mod components;
mod highlight;
mod journeys;
mod layout;
mod policy_text;
mod samples;
mod state;
mod workspace;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
