//! Building the page into `dist/`, and running the browser tests.
//!
//! `dist/` layout (the server embeds it at compile time):
//! - `index.html`: `static/index.html` with `<!-- palisade:head -->` replaced
//!   by the stylesheet, preload and boot-script tags;
//! - `assets/<name>-<hash>.{js,wasm,css}`: content-hashed, cached for a year;
//! - everything else from `static/` as it is (favicon, tutorials, …).

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::process::{on_path, run, step};
use crate::tools::Toolchain;

/// What the build produced.
pub struct Bundle {
    /// The optimised `.wasm` size in bytes.
    pub wasm_bytes: u64,
    /// The same, gzip-compressed (level 9), in bytes.
    pub wasm_gzip_bytes: u64,
}

/// Builds the frontend to wasm32, runs wasm-bindgen and wasm-opt, and writes `dist/`.
pub fn build(root: &Path, tools: &Toolchain, release: bool) -> Result<Bundle> {
    let profile = if release { "wasm-release" } else { "dev" };
    step(&format!("building the page (wasm32, profile {profile})"));
    let mut cargo = tools.cargo_wasm(root, "build");
    cargo.args(["--profile", profile]);
    run(&mut cargo)?;
    let wasm = tools.wasm_artifact(profile);
    let hash = short_hash(&fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?);
    let name = format!("palisade-{hash}");

    // wasm-bindgen and wasm-opt take a minute or more; their output is kept
    // per input hash (and keep-names setting), so a warm run with an
    // unchanged page skips them.
    let keep_names = std::env::var_os("PALISADE_WASM_NAMES").is_some_and(|v| v == "1");
    let staging = tools.target.join("web-staging");
    let optimized = tools.target.join(format!(
        "web-optimized/{name}{}",
        if keep_names { "-names" } else { "" }
    ));
    let _ = fs::remove_dir_all(&staging);
    if release && optimized.join(".complete").exists() {
        step("wasm-bindgen and wasm-opt: unchanged page, reusing their output");
        copy_tree(&optimized, &staging)?;
        let _ = fs::remove_file(staging.join(".complete"));
    } else {
        step("wasm-bindgen");
        let mut bindgen = Command::new(&tools.wasm_bindgen);
        bindgen
            .args(["--target", "web", "--no-typescript", "--out-name", &name])
            .arg("--out-dir")
            .arg(&staging)
            .arg(&wasm);
        // PALISADE_WASM_NAMES=1 keeps function names in a release build, for
        // size analysis (twiggy) and readable browser CPU profiles.
        if release && !keep_names {
            bindgen.arg("--remove-name-section");
        }
        run(&mut bindgen)?;
        let bg = staging.join(format!("{name}_bg.wasm"));
        if release {
            step("wasm-opt -Oz");
            let mut opt = Command::new(&tools.wasm_opt);
            if keep_names {
                opt.arg("-g");
            }
            run(opt
                .arg("-Oz")
                .args([
                    "--enable-bulk-memory",
                    "--enable-nontrapping-float-to-int",
                    "--enable-sign-ext",
                    "--enable-mutable-globals",
                    "--enable-reference-types",
                    "--enable-multivalue",
                ])
                .arg(&bg)
                .arg("-o")
                .arg(&bg))?;
        }
        if release {
            // Only the latest page is kept.
            let _ = fs::remove_dir_all(tools.target.join("web-optimized"));
            copy_tree(&staging, &optimized)?;
            fs::write(optimized.join(".complete"), b"")?;
        }
    }

    step("assembling dist/");
    // Assembled next to it, then synced: unchanged files keep their
    // modification times, so the server's build script (which embeds
    // dist/) does not rerun and a warm `cargo xtask run` skips relinking.
    let dist = tools.target.join("dist-next");
    let _ = fs::remove_dir_all(&dist);
    let assets = dist.join("assets");
    fs::create_dir_all(&assets)?;
    copy_tree(&staging, &assets)?;
    let stat = root.join("static");
    let mut css_name = None;
    for entry in fs::read_dir(&stat).context("reading static/")? {
        let path = entry?.path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        match file.as_str() {
            "index.html" => {}
            "app.css" => {
                let css = fs::read(&path)?;
                let hashed = format!("app-{}.css", short_hash(&css));
                fs::write(assets.join(&hashed), css)?;
                css_name = Some(hashed);
            }
            _ if path.is_dir() => copy_tree(&path, &dist.join(&file))?,
            _ => {
                fs::copy(&path, dist.join(&file))?;
            }
        }
    }
    let boot = format!("import init from './{name}.js';\nawait init();\n");
    let boot_name = format!("boot-{}.js", short_hash(boot.as_bytes()));
    fs::write(assets.join(&boot_name), boot)?;
    let mut head = String::new();
    if let Some(css) = &css_name {
        head.push_str(&format!(
            "<link rel=\"stylesheet\" href=\"/assets/{css}\">\n"
        ));
    }
    head.push_str(&format!(
        "<link rel=\"preload\" href=\"/assets/{name}_bg.wasm\" as=\"fetch\" type=\"application/wasm\" crossorigin>\n\
         <link rel=\"modulepreload\" href=\"/assets/{name}.js\">\n\
         <script type=\"module\" src=\"/assets/{boot_name}\"></script>"
    ));
    let index = fs::read_to_string(stat.join("index.html")).context("reading static/index.html")?;
    if !index.contains("<!-- palisade:head -->") {
        bail!("static/index.html lacks the `<!-- palisade:head -->` placeholder");
    }
    fs::write(
        dist.join("index.html"),
        index.replace("<!-- palisade:head -->", &head),
    )?;

    sync_tree(&dist, &root.join("dist"))?;

    let bytes = fs::read(assets.join(format!("{name}_bg.wasm")))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes)?;
    let gzip = gz.finish()?;
    let bundle = Bundle {
        wasm_bytes: bytes.len() as u64,
        wasm_gzip_bytes: gzip.len() as u64,
    };
    eprintln!(
        "    dist/ ready: wasm {} KB raw, {} KB gzip",
        bundle.wasm_bytes / 1024,
        bundle.wasm_gzip_bytes / 1024
    );
    Ok(bundle)
}

/// What the Playwright run reported.
pub struct BrowserRun {
    /// The runner's summary lines (`21 passed (2.0m)`, `1 failed`).
    pub summary: Vec<String>,
    /// Whether every test passed.
    pub ok: bool,
}

/// Runs the Playwright suite in `playwright/` against Debian's Chromium, with
/// the given server binary. Returns the runner's summary (a failing suite is
/// reported in [`BrowserRun::ok`], so the caller can still print it).
pub fn playwright(root: &Path, server: &Path) -> Result<BrowserRun> {
    step("Chromium (Debian)");
    if !Path::new("/usr/bin/chromium").exists() {
        if !on_path("apt-get") {
            bail!("/usr/bin/chromium is missing and apt-get is not available to install it");
        }
        eprintln!("    installing chromium with apt-get");
        let install = || {
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "chromium"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        };
        if !install() {
            run(Command::new("apt-get").args(["update", "-qq"]))?;
            if !install() {
                bail!("apt-get install chromium failed");
            }
        }
    } else {
        eprintln!("    /usr/bin/chromium: present");
    }
    let dir = root.join("playwright");
    step("npm ci (playwright/)");
    run(Command::new("npm")
        .current_dir(&dir)
        .args(["ci", "--no-audit", "--no-fund"])
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))?;
    step("Playwright (Chromium)");
    let mut child = Command::new("npx")
        .current_dir(&dir)
        .args(["playwright", "test", "--reporter=list"])
        .env("PALISADE_BIN", server)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting npx playwright test")?;
    let mut summary = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line?;
        println!("{line}");
        let trimmed = line.trim();
        let counted = ["passed", "failed", "flaky", "skipped", "did not run"]
            .iter()
            .any(|w| trimmed.contains(&format!(" {w}")));
        if counted && trimmed.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            summary.push(trimmed.to_string());
        }
    }
    let status = child.wait()?;
    Ok(BrowserRun {
        summary,
        ok: status.success(),
    })
}

fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest[..5].iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes `to` hold exactly the files of `from`, writing only files whose
/// bytes differ and removing what `from` lacks.
fn sync_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let path: PathBuf = entry?.path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            if target.is_file() {
                fs::remove_file(&target)?;
            }
            sync_tree(&path, &target)?;
        } else {
            if target.is_dir() {
                fs::remove_dir_all(&target)?;
            }
            let new = fs::read(&path)?;
            if fs::read(&target).ok().as_deref() != Some(new.as_slice()) {
                fs::write(&target, new)?;
            }
        }
    }
    for entry in fs::read_dir(to)? {
        let target: PathBuf = entry?.path();
        if !from.join(target.file_name().unwrap()).exists() {
            if target.is_dir() {
                fs::remove_dir_all(&target)?;
            } else {
                fs::remove_file(&target)?;
            }
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let path: PathBuf = entry?.path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target)?;
        } else {
            fs::copy(&path, &target)?;
        }
    }
    Ok(())
}
