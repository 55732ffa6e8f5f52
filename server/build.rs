//! Copies the page bundle (`<workspace>/dist`, written by `cargo xtask build-web`)
//! into `$OUT_DIR/web`, where `include_dir!` embeds it into the binary.
//!
//! Without a built bundle, a single `index.html` explaining how to build it is
//! embedded instead, so that `cargo build` and `cargo test` work on a clean clone.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

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
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("web");

    if out.exists() {
        fs::remove_dir_all(&out)?;
    }
    fs::create_dir_all(&out)?;

    println!("cargo:rerun-if-changed=build.rs");
    // Watch `dist/` only when it exists: cargo treats a missing watched path as
    // changed on every build, which would recompile this crate every time. After
    // `dist/` first appears, `cargo xtask build-web` touches this build script so
    // that cargo notices (see the xtask).
    if dist.is_dir() {
        println!("cargo:rerun-if-changed={}", dist.display());
    }

    if dist.join("index.html").is_file() {
        copy_tree(&dist, &out)?;
    } else {
        fs::write(out.join("index.html"), PLACEHOLDER)?;
    }
    Ok(())
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
