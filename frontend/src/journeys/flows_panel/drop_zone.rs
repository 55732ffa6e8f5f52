//! Where a flow log is dropped or chosen, and the upload's progress.

use leptos::prelude::*;

use super::Upload;

/// What the progress bar says.
pub fn upload_label(name: &str, fraction: f64) -> String {
    let percent = (fraction * 100.0).clamp(0.0, 100.0);
    if fraction >= 1.0 {
        format!("Uploaded {name} ({percent:.0}%); the server is reading it…")
    } else {
        format!("Uploading {name}… {percent:.0}%")
    }
}

/// The drop zone, the file button and the upload's state.
#[component]
pub fn FlowDropZone(upload: RwSignal<Upload>, on_file: Callback<web_sys::File>) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let on_change = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement =
            wasm_bindgen::JsCast::unchecked_into(ev.target().expect("target"));
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            on_file.run(file);
        }
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        // Flow logs are not YAML: keep the page's import handler out of it.
        ev.prevent_default();
        ev.stop_propagation();
        dragging.set(false);
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            on_file.run(file);
        }
    };
    view! {
        <div class="dropzone" class:over=move || dragging.get()
            on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); ev.stop_propagation(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop>
            <p>"Drop a Hubble flow log here (" <code>"hubble observe -o json"</code> "), or "</p>
            <label class="btn primary file-btn">
                "Choose a flow file…"
                <input type="file" class="visually-hidden flow-file" accept=".json,.jsonl,.log,.txt,application/json" aria-label="Choose a flow file" on:change=on_change/>
            </label>
            <p class="hint">"The file is uploaded to the server (up to 256 MiB unless it is configured otherwise), which reads it as a stream and sends back the distinct flows. Generating policies and the impact preview then run in your browser, following every edit."</p>
        </div>
        {move || match upload.get() {
            Upload::Idle => ().into_any(),
            Upload::Sending { name, fraction } => view! {
                <div class="upload-progress" aria-live="polite">
                    <label>{upload_label(&name, fraction)}
                        <progress max="1" value=fraction.to_string()></progress>
                    </label>
                </div>
            }.into_any(),
            Upload::Failed(why) => view! { <p class="cv-error" role="alert">{why}</p> }.into_any(),
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(upload_label("a.json", 0.5), "Uploading a.json… 50%");
        assert!(upload_label("a.json", 1.0).contains("the server is reading it"));
    }
}
