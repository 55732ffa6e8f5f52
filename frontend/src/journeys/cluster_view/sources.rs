//! Where the cluster comes from: the demo cluster, files (pod dumps or
//! workload manifests, several at once) or pasted `kubectl` output. Reading
//! them is policy-core's `read_clusters`.

use leptos::prelude::*;
use policy_core::posture::read_clusters;
use policy_core::tutorial;

use crate::browser;
use crate::journeys::Journeys;

/// How a set of files is named in the header: `a.yaml`, or `a.yaml + 2 more`.
fn files_name(names: &[String]) -> String {
    match names {
        [] => "no file".to_string(),
        [one] => one.clone(),
        [first, rest @ ..] => format!(
            "{first} + {} more file{}",
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        ),
    }
}

/// The buttons and the paste box. `on_load` runs when a new cluster is set.
#[component]
pub fn ClusterSources(on_load: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let j = expect_context::<Journeys>();
    let state = expect_context::<crate::state::AppState>();
    let paste = RwSignal::new(String::new());
    let import_error = RwSignal::new(None::<String>);

    let load = move |texts: Vec<String>, name: String| match read_clusters(
        texts.iter().map(String::as_str),
    ) {
        Ok(dump) => {
            import_error.set(None);
            on_load();
            let n = dump.cluster.pods.len();
            let skipped: usize = dump.skipped.values().sum();
            j.cluster.set((name.clone(), dump.cluster));
            let note = match skipped {
                0 => String::new(),
                1 => " (1 object of another kind skipped)".to_string(),
                n => format!(" ({n} objects of other kinds skipped)"),
            };
            state.say(format!("Cluster {name}: {n} pods{note}"), false);
        }
        Err(e) => import_error.set(Some(format!("{name}: {e}"))),
    };
    let on_files = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let input: web_sys::HtmlInputElement = ev.target().expect("event target").unchecked_into();
        let Some(list) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        input.set_value("");
        if files.is_empty() {
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let mut texts = Vec::with_capacity(files.len());
            let mut names = Vec::with_capacity(files.len());
            for file in files {
                let name = file.name();
                match browser::read_file(&file).await {
                    Ok(text) => texts.push(text),
                    Err(e) => {
                        import_error.set(Some(format!("{name}: {e}")));
                        return;
                    }
                }
                names.push(name);
            }
            load(texts, files_name(&names));
        });
    };

    view! {
        <div class="cv-sources">
            <button type="button" class="btn small" on:click=move |_| {
                on_load();
                j.cluster.set(("demo cluster".to_string(), tutorial::demo_cluster()));
            }>"Use the demo cluster"</button>
            <label class="btn small file-btn">
                "Import cluster files…"
                <input type="file" multiple class="visually-hidden" accept=".yaml,.yml,.json"
                    aria-label="Import a cluster dump"
                    title="Pod dumps or workload manifests; several files at once" on:change=on_files/>
            </label>
            <details class="cv-paste">
                <summary>"Paste kubectl output"</summary>
                <p class="hint">"Paste what " <code>"kubectl get namespaces,pods -A -o yaml"</code> " prints, or workload manifests (Deployments, StatefulSets, …)."</p>
                <textarea class="cv-paste-text" rows="6" spellcheck="false" aria-label="Cluster dump"
                    prop:value=move || paste.get() on:input=move |ev| paste.set(event_target_value(&ev))></textarea>
                <button type="button" class="btn small" on:click=move |_| load(vec![paste.get_untracked()], "pasted dump".into())>"Use this dump"</button>
            </details>
        </div>
        {move || import_error.get().map(|e| view! { <p class="cv-error" role="alert">{e}</p> })}
    }
}
