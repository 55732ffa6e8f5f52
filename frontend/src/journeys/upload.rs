//! Uploading dropped or chosen files with progress (`XMLHttpRequest`, whose
//! upload events report bytes sent; `fetch` cannot).

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

/// POSTs `file` as the raw request body to `url`, calling `progress` with
/// the fraction sent (0.0 to 1.0). Answers (status, body text).
pub async fn post_file(
    url: &str,
    file: &web_sys::File,
    progress: impl Fn(f64) + 'static,
) -> Result<(u16, String), String> {
    let xhr = web_sys::XmlHttpRequest::new().map_err(|e| format!("{e:?}"))?;
    xhr.open("POST", url).map_err(|e| format!("{e:?}"))?;
    xhr.set_request_header("content-type", "application/x-ndjson")
        .map_err(|e| format!("{e:?}"))?;
    let on_progress =
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |ev: web_sys::ProgressEvent| {
            if ev.length_computable() && ev.total() > 0.0 {
                progress(ev.loaded() / ev.total());
            }
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        let resolve2 = resolve.clone();
        let on_load = Closure::once_into_js(move || {
            let _ = resolve2.call0(&wasm_bindgen::JsValue::NULL);
        });
        let on_error = Closure::once_into_js(move || {
            let _ = reject.call1(
                &wasm_bindgen::JsValue::NULL,
                &"the upload failed (network error)".into(),
            );
        });
        xhr.set_onload(Some(on_load.unchecked_ref()));
        xhr.set_onerror(Some(on_error.unchecked_ref()));
    });
    xhr.send_with_opt_blob(Some(file))
        .map_err(|e| format!("{e:?}"))?;
    let result = JsFuture::from(done).await;
    drop(on_progress);
    result.map_err(|e| {
        e.as_string()
            .unwrap_or_else(|| "the upload failed".to_string())
    })?;
    let body = xhr.response_text().ok().flatten().unwrap_or_default();
    Ok((xhr.status().unwrap_or(0), body))
}
