//! The page bundle, embedded into the binary at build time (see `build.rs`).
//!
//! - `/assets/*` files are content-hashed: cached for a year, `immutable`.
//! - `index.html` is answered for `/` and for every other unknown path outside
//!   `/api/` and `/assets/` (client-side routes), with `Cache-Control: no-cache`.
//! - other top-level files (`favicon.svg`, …) are revalidated (`no-cache`).
//!
//! Every file carries a weak `ETag` (a hash of its content; weak because
//! the same content is sent in several encodings) and answers
//! `If-None-Match` with `304 Not Modified`.
//!
//! Compressible files come with brotli and gzip variants made at build time
//! (`build.rs`); a request gets the best one its `Accept-Encoding` allows,
//! with `Vary: Accept-Encoding`, so no asset is compressed per request.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};

use crate::http::error::ApiError;

static WEB: Dir<'static> = include_dir!("$OUT_DIR/web");
static WEB_BROTLI: Dir<'static> = include_dir!("$OUT_DIR/web-br");
static WEB_GZIP: Dir<'static> = include_dir!("$OUT_DIR/web-gz");

/// Cache policy of content-hashed files.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache policy of files whose name does not change with their content.
pub const REVALIDATE: &str = "no-cache";

/// One embedded file with its precomputed headers.
struct Asset {
    body: &'static [u8],
    /// The body compressed with brotli, when the build made a variant.
    brotli: Option<&'static [u8]>,
    /// The body compressed with gzip, when the build made a variant.
    gzip: Option<&'static [u8]>,
    content_type: HeaderValue,
    etag: HeaderValue,
}

/// Embedded files by path relative to the bundle root (`assets/app-1a2b.js`).
struct Assets(HashMap<String, Asset>);

impl Assets {
    /// The files of `dir`, with the variants found at the same relative
    /// paths in `brotli` and `gzip`.
    fn from_dirs(
        dir: &'static Dir<'static>,
        brotli: &'static Dir<'static>,
        gzip: &'static Dir<'static>,
    ) -> Assets {
        let mut files = HashMap::new();
        collect(dir, &mut files);
        for (asset_path, asset) in &mut files {
            asset.brotli = brotli.get_file(asset_path).map(|f| f.contents());
            asset.gzip = gzip.get_file(asset_path).map(|f| f.contents());
        }
        Assets(files)
    }

    fn get(&self, path: &str) -> Option<&Asset> {
        self.0.get(path)
    }
}

static ASSETS: LazyLock<Assets> = LazyLock::new(|| Assets::from_dirs(&WEB, &WEB_BROTLI, &WEB_GZIP));

fn collect(dir: &'static Dir<'static>, into: &mut HashMap<String, Asset>) {
    for file in dir.files() {
        let path = file.path().to_string_lossy().replace('\\', "/");
        let mut hasher = DefaultHasher::new();
        file.contents().hash(&mut hasher);
        let etag = HeaderValue::try_from(format!(
            "W/\"{:016x}-{:x}\"",
            hasher.finish(),
            file.contents().len()
        ))
        .expect("hex digits form a valid header value");
        into.insert(
            path.clone(),
            Asset {
                body: file.contents(),
                brotli: None,
                gzip: None,
                content_type: content_type(&path),
                etag,
            },
        );
    }
    for sub in dir.dirs() {
        collect(sub, into);
    }
}

/// The content type of an embedded file, from its extension.
fn content_type(path: &str) -> HeaderValue {
    let extension = path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let known = match extension.as_str() {
        "html" => Some("text/html; charset=utf-8"),
        "js" | "mjs" => Some("text/javascript; charset=utf-8"),
        "css" => Some("text/css; charset=utf-8"),
        "wasm" => Some("application/wasm"),
        "svg" => Some("image/svg+xml"),
        "json" => Some("application/json"),
        "webmanifest" => Some("application/manifest+json"),
        "txt" => Some("text/plain; charset=utf-8"),
        "yaml" | "yml" => Some("application/yaml; charset=utf-8"),
        _ => None,
    };
    match known {
        Some(value) => HeaderValue::from_static(value),
        None => {
            let guess = mime_guess::from_ext(&extension).first_or_octet_stream();
            HeaderValue::try_from(guess.essence_str())
                .unwrap_or(HeaderValue::from_static("application/octet-stream"))
        }
    }
}

/// Whether the bundle embedded in this binary is the real page (and not the
/// "bundle not built" placeholder).
pub fn bundle_built() -> bool {
    ASSETS.0.len() > 1
}

/// Fallback handler: serves embedded files and the page's client-side routes.
pub async fn serve_asset(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    answer(&ASSETS, &method, uri.path(), &headers)
}

fn answer(assets: &Assets, method: &Method, path: &str, headers: &HeaderMap) -> Response {
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::NotFound(format!("no API endpoint {method} {path}")).into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        let mut response = StatusCode::METHOD_NOT_ALLOWED.into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let relative = path.trim_start_matches('/');
    if let Some(asset) = assets.get(relative).filter(|_| relative != "index.html") {
        let cache = if relative.starts_with("assets/") {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        return respond(asset, cache, headers, method);
    }
    if relative != "index.html" && (relative.starts_with("assets/") || looks_like_file(relative)) {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    match assets.get("index.html") {
        Some(index) => respond(index, REVALIDATE, headers, method),
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

/// A last path segment with an extension (`favicon.ico`, `robots.txt`) names a
/// file; answering index.html for it would only confuse the client.
fn looks_like_file(relative: &str) -> bool {
    relative
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

/// A content coding the server has a variant in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Brotli,
    Gzip,
    Identity,
}

/// The quality (0 to 1000, per mille) `accept` gives `coding`: its own entry,
/// else `*`'s, else 0 (RFC 9110 §12.5.3). `None` when neither is named.
fn accepted(accept: &str, coding: &str) -> Option<u16> {
    let mut wildcard = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let quality = parts
            .find_map(|p| {
                let (key, value) = p.split_once('=')?;
                (key.trim().eq_ignore_ascii_case("q")).then(|| parse_quality(value.trim()))
            })
            .unwrap_or(Some(1000));
        let Some(quality) = quality else { continue };
        if name.eq_ignore_ascii_case(coding) {
            return Some(quality);
        }
        if name == "*" {
            wildcard = Some(quality);
        }
    }
    wildcard
}

/// `q` values: `0`, `0.5`, `1`, `1.000`; anything else is ignored.
fn parse_quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{fraction:0<3}");
    match whole {
        "0" => digits.parse().ok(),
        "1" if digits == "000" => Some(1000),
        _ => None,
    }
}

/// The coding to send `asset` in: brotli, then gzip, when the request
/// accepts them (a positive quality) and the variant exists.
fn choose_coding(asset: &Asset, request: &HeaderMap) -> Coding {
    let accept = request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let positive = |coding: &str| accepted(&accept, coding).is_some_and(|q| q > 0);
    if asset.brotli.is_some() && positive("br") {
        Coding::Brotli
    } else if asset.gzip.is_some() && (positive("gzip") || positive("x-gzip")) {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

fn respond(asset: &Asset, cache: &'static str, request: &HeaderMap, method: &Method) -> Response {
    let not_modified = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| {
            let ours = asset.etag.to_str().unwrap_or("").trim_start_matches("W/");
            tags.split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours)
        });
    let mut builder = Response::builder()
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, asset.etag.clone())
        .header(header::CONTENT_TYPE, asset.content_type.clone());
    if asset.brotli.is_some() || asset.gzip.is_some() {
        builder = builder.header(header::VARY, "accept-encoding");
    }
    let bytes = match choose_coding(asset, request) {
        Coding::Brotli => {
            builder = builder.header(header::CONTENT_ENCODING, "br");
            asset.brotli.unwrap_or(asset.body)
        }
        Coding::Gzip => {
            builder = builder.header(header::CONTENT_ENCODING, "gzip");
            asset.gzip.unwrap_or(asset.body)
        }
        Coding::Identity => asset.body,
    };
    let body = if not_modified {
        builder = builder.status(StatusCode::NOT_MODIFIED);
        Body::empty()
    } else if method == Method::HEAD {
        builder = builder.header(header::CONTENT_LENGTH, bytes.len());
        Body::empty()
    } else {
        Body::from(bytes)
    };
    builder
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm_and_scripts_get_browser_content_types() {
        assert_eq!(content_type("assets/app-1a2b.wasm"), "application/wasm");
        assert_eq!(
            content_type("assets/app-1a2b.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("assets/font.woff2"), "font/woff2");
    }

    #[test]
    fn the_bundle_always_has_an_index() {
        assert!(ASSETS.get("index.html").is_some());
    }

    static BUNDLE: Dir<'static> = Dir::new(
        "",
        &[
            include_dir::DirEntry::File(include_dir::File::new(
                "index.html",
                b"<!doctype html><html></html>",
            )),
            include_dir::DirEntry::File(include_dir::File::new("favicon.svg", b"<svg/>")),
            include_dir::DirEntry::Dir(Dir::new(
                "assets",
                &[
                    include_dir::DirEntry::File(include_dir::File::new(
                        "assets/app-1a2b.wasm",
                        b"\0asm\x01\0\0\0",
                    )),
                    include_dir::DirEntry::File(include_dir::File::new(
                        "assets/app-1a2b.js",
                        b"export {}",
                    )),
                    include_dir::DirEntry::File(include_dir::File::new(
                        "assets/app-9f8e.css",
                        b"body{}",
                    )),
                ],
            )),
        ],
    );

    static BUNDLE_BROTLI: Dir<'static> = Dir::new(
        "",
        &[include_dir::DirEntry::Dir(Dir::new(
            "assets",
            &[include_dir::DirEntry::File(include_dir::File::new(
                "assets/app-1a2b.wasm",
                b"BROTLI",
            ))],
        ))],
    );

    static BUNDLE_GZIP: Dir<'static> = Dir::new(
        "",
        &[include_dir::DirEntry::Dir(Dir::new(
            "assets",
            &[include_dir::DirEntry::File(include_dir::File::new(
                "assets/app-1a2b.wasm",
                b"GZIP",
            ))],
        ))],
    );

    fn get_with(path: &str, headers: &HeaderMap) -> Response {
        answer(
            &Assets::from_dirs(&BUNDLE, &BUNDLE_BROTLI, &BUNDLE_GZIP),
            &Method::GET,
            path,
            headers,
        )
    }

    fn get(path: &str) -> Response {
        get_with(path, &HeaderMap::new())
    }

    async fn wasm_with(accept: &str) -> (Option<String>, Vec<u8>) {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).unwrap(),
        );
        let response = get_with("/assets/app-1a2b.wasm", &headers);
        assert_eq!(response.headers()[header::VARY], "accept-encoding");
        let coding = response
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (coding, body.to_vec())
    }

    #[tokio::test]
    async fn precompressed_variants_follow_accept_encoding() {
        let br = (Some("br".to_owned()), b"BROTLI".to_vec());
        let gzip = (Some("gzip".to_owned()), b"GZIP".to_vec());
        let plain = (None, b"\0asm\x01\0\0\0".to_vec());
        for (accept, expected) in [
            ("gzip, deflate, br, zstd", &br),
            ("br;q=0.5, gzip", &br),
            ("gzip, br;q=0", &gzip),
            ("gzip;q=1.0", &gzip),
            ("*", &br),
            ("*;q=0, gzip", &gzip),
            ("identity", &plain),
            ("br;q=0, gzip;q=0", &plain),
            ("br;q=2", &plain),
            ("", &plain),
        ] {
            assert_eq!(
                &wasm_with(accept).await,
                expected,
                "Accept-Encoding: {accept}"
            );
        }
        // Files without variants are sent as they are.
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("br"));
        let js = get_with("/assets/app-1a2b.js", &headers);
        assert!(js.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(js.headers().get(header::VARY).is_none());
    }

    #[test]
    fn quality_values_parse_as_rfc_9110_writes_them() {
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1.000"), Some(1000));
        assert_eq!(parse_quality("0.5"), Some(500));
        assert_eq!(parse_quality("0.25"), Some(250));
        assert_eq!(parse_quality("0"), Some(0));
        assert_eq!(parse_quality("1.5"), None);
        assert_eq!(parse_quality("0.1234"), None);
        assert_eq!(parse_quality("x"), None);
    }

    #[test]
    fn hashed_assets_are_immutable_with_their_type() {
        for (path, content_type) in [
            ("/assets/app-1a2b.wasm", "application/wasm"),
            ("/assets/app-1a2b.js", "text/javascript; charset=utf-8"),
            ("/assets/app-9f8e.css", "text/css; charset=utf-8"),
        ] {
            let response = get(path);
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], content_type);
            assert_eq!(response.headers()[header::CACHE_CONTROL], IMMUTABLE);
        }
    }

    #[test]
    fn unhashed_files_and_the_page_revalidate() {
        let favicon = get("/favicon.svg");
        assert_eq!(favicon.headers()[header::CONTENT_TYPE], "image/svg+xml");
        assert_eq!(favicon.headers()[header::CACHE_CONTROL], REVALIDATE);
        for path in ["/", "/some/client/route", "/index.html"] {
            let page = get(path);
            assert_eq!(page.status(), StatusCode::OK, "{path}");
            assert_eq!(
                page.headers()[header::CONTENT_TYPE],
                "text/html; charset=utf-8"
            );
            assert_eq!(page.headers()[header::CACHE_CONTROL], REVALIDATE);
        }
        assert_eq!(get("/assets/app-0000.js").status(), StatusCode::NOT_FOUND);
        assert_eq!(get("/robots.txt").status(), StatusCode::NOT_FOUND);
        assert_eq!(get("/api/unknown").status(), StatusCode::NOT_FOUND);
    }
}
