//! Copies the page bundle (`<workspace>/dist`, written by `cargo xtask build-web`)
//! into `$OUT_DIR/web`, where `include_dir!` embeds it into the binary.
//!
//! Text-like files (wasm, JavaScript, CSS, HTML, SVG, JSON) over 1 KiB are
//! also compressed here, once, at the best settings: brotli (quality 11)
//! into `$OUT_DIR/web-br` and gzip (level 9) into `$OUT_DIR/web-gz`, under the
//! same relative paths. The server answers those to browsers that accept
//! them; compressing the 1.6 MB wasm per request instead took ~0.4 s of a
//! first visit.
//!
//! It also compiles Hubble's vendored Observer protocol (`proto/`), see
//! `build/protos.rs`.
//!
//! Without a built bundle, a single `index.html` explaining how to build it is
//! embedded instead, so that `cargo build` and `cargo test` work on a clean clone.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[path = "build/protos.rs"]
mod protos;

const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Palisade: page bundle not built</title></head>
<body>
<h1>Palisade</h1>
<p>The page bundle was not built when this binary was compiled.</p>
<p>Run <code>cargo xtask build-web</code>, then rebuild the server (<code>cargo build -p server</code>).</p>
<p>The JSON API under <code>/api/</code> works without it.</p>
</body>
</html>
"#;

fn main() -> io::Result<()> {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let dist = manifest_dir.join("..").join("dist");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let out = out_dir.join("web");
    let brotli_out = out_dir.join("web-br");
    let gzip_out = out_dir.join("web-gz");

    for dir in [&out, &brotli_out, &gzip_out] {
        if dir.exists() {
            fs::remove_dir_all(dir)?;
        }
        fs::create_dir_all(dir)?;
    }

    println!("cargo:rerun-if-changed=build.rs");
    // Cargo treats a watched path that does not exist as changed on every
    // build, which would recompile this crate every time. So an empty `dist/`
    // (git-ignored) is created when missing and watched: `cargo xtask
    // build-web` replacing it is then noticed like any other change.
    if !dist.exists() {
        let _ = fs::create_dir_all(&dist);
    }
    if dist.is_dir() {
        println!("cargo:rerun-if-changed={}", dist.display());
    }

    if dist.join("index.html").is_file() {
        copy_tree(&dist, &out)?;
        compress_tree(&out, &out, &brotli_out, &gzip_out)?;
    } else {
        fs::write(out.join("index.html"), PLACEHOLDER)?;
    }
    protos::compile(&manifest_dir.join("proto"), &out_dir)
}

/// Copies every regular file under `from` into `to`, keeping relative paths,
/// and tells cargo to watch each one.
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            fs::create_dir_all(&target)?;
            copy_tree(&path, &target)?;
        } else if kind.is_file() {
            println!("cargo:rerun-if-changed={}", path.display());
            fs::copy(&path, &target)?;
        }
    }
    Ok(())
}

/// Smaller files gain too little from compression to be worth a variant.
const COMPRESS_MIN_BYTES: u64 = 1024;

/// Whether a file is of a kind that compresses (text and wasm).
fn compressible(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("wasm" | "js" | "mjs" | "css" | "html" | "svg" | "json" | "txt" | "webmanifest")
    )
}

/// Writes a brotli and a gzip variant of every compressible file under
/// `dir` (a subtree of `root`) into the same relative path under `brotli_root`
/// and `gzip_root`.
fn compress_tree(root: &Path, dir: &Path, brotli_root: &Path, gzip_root: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            compress_tree(root, &path, brotli_root, gzip_root)?;
            continue;
        }
        if !kind.is_file() || !compressible(&path) || entry.metadata()?.len() < COMPRESS_MIN_BYTES {
            continue;
        }
        let relative = path.strip_prefix(root).expect("walked from root");
        let bytes = fs::read(&path)?;

        let mut brotli_bytes = Vec::with_capacity(bytes.len() / 3);
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 24,
            size_hint: bytes.len(),
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &bytes[..], &mut brotli_bytes, &params)?;
        write_under(brotli_root, relative, &brotli_bytes)?;

        let mut gzip = flate2::write::GzEncoder::new(
            Vec::with_capacity(bytes.len() / 2),
            flate2::Compression::best(),
        );
        gzip.write_all(&bytes)?;
        write_under(gzip_root, relative, &gzip.finish()?)?;
    }
    Ok(())
}

fn write_under(root: &Path, relative: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = root.join(relative);
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(target, bytes)
}
