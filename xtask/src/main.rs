//! `cargo xtask`: Palisade's build, run and test orchestration.
//!
//! - `cargo xtask run`: set up the WASM tool chain, build the page and the
//!   server in release mode, and serve on <http://127.0.0.1:8080>.
//! - `cargo xtask test`: fmt, clippy, every Rust test, the WASM build, and the
//!   Playwright suite in a real Chromium.
//! - `cargo xtask build-web [--dev]`: only build the page into `dist/`.
//! - `cargo xtask setup`: only install the tools (cached in `~/.cache/palisade`).
//! - `cargo xtask fuzz TARGET SECONDS`: run one fuzz target of `fuzz/` under
//!   libFuzzer (nightly and cargo-fuzz); `cargo xtask fuzz cmin TARGET`
//!   minimises its corpus.
//!
//! Environment: `PALISADE_WASM_ROUTE=rustup|debian` forces a route for the
//! wasm32 standard library (default: rustup, falling back to Debian's
//! rustc-web with `-Zbuild-std`); `PALISADE_CACHE` moves the tool cache.

mod fuzz;
mod machete;
mod postgres;
mod process;
mod target_dir;
mod tools;
mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use process::{run, step};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let started = Instant::now();
    let result = match args.first().map(String::as_str) {
        Some("run") => cmd_run(&args[1..]),
        Some("test") => cmd_test(),
        Some("build-web") => cmd_build_web(&args[1..]).map(|_| ()),
        Some("setup") => tools::Toolchain::prepare(&workspace_root()).map(|_| ()),
        Some("fuzz") => fuzz::cmd_fuzz(&workspace_root(), &args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <run|test|build-web|setup|fuzz>\n\n  \
                 run        build everything (release) and serve on http://127.0.0.1:8080\n  \
                 test       fmt, clippy, Rust tests (fuzz corpora replayed), WASM build, Playwright in Chromium\n  \
                 build-web  build the page into dist/ (--dev for an unoptimised build)\n  \
                 setup      install the WASM tools into the cache\n  \
                 fuzz       {}",
                fuzz::USAGE
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => {
            eprintln!("xtask: done in {:.1?}", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cmd_build_web(args: &[String]) -> Result<web::Bundle> {
    let root = workspace_root();
    let toolchain = tools::Toolchain::prepare(&root)?;
    web::build(&root, &toolchain, !args.iter().any(|a| a == "--dev"))
}

fn cmd_run(args: &[String]) -> Result<()> {
    let root = workspace_root();
    let bundle = cmd_build_web(&[])?;
    step("building the server (release)");
    run(Command::new(cargo()).current_dir(&root).args([
        "build",
        "--release",
        "-p",
        "server",
        "--bin",
        "palisade",
    ]))?;
    let bin = target_dir::target_dir(&root)?.join("release/palisade");
    let addr = std::env::var("PALISADE_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    eprintln!(
        "\nxtask: page bundle {} KB wasm ({} KB gzip)",
        bundle.wasm_bytes / 1024,
        bundle.wasm_gzip_bytes / 1024
    );
    eprintln!("xtask: serving Palisade on http://{addr}/  (Ctrl-C to stop)\n");
    let status = Command::new(&bin)
        .args(["serve", "--addr", &addr])
        .args(args)
        .status()
        .with_context(|| format!("starting {}", bin.display()))?;
    if !status.success() {
        bail!("palisade serve exited with {status}");
    }
    Ok(())
}

fn cmd_test() -> Result<()> {
    let root = workspace_root();
    step("cargo fmt --check");
    run(Command::new(cargo())
        .current_dir(&root)
        .args(["fmt", "--all", "--check"]))?;

    step("cargo clippy -D warnings (native)");
    run(Command::new(cargo()).current_dir(&root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    machete::check_unused_dependencies(&root)?;

    // The page bundle first: the server embeds dist/ at compile time, so the
    // Rust tests (and Playwright) run against the real page.
    let toolchain = tools::Toolchain::prepare(&root)?;
    step("cargo clippy -D warnings (frontend, wasm32)");
    toolchain.clippy_frontend(&root)?;
    let bundle = web::build(&root, &toolchain, true)?;

    postgres::ensure_server()?;
    step("cargo test (workspace)");
    // Everything, the frontend's pure modules included (they run natively).
    let rust = process::cargo_test(
        Command::new(cargo())
            .current_dir(&root)
            .args(["test", "--workspace"]),
    )?;

    step("building the server for the browser tests");
    run(Command::new(cargo())
        .current_dir(&root)
        .args(["build", "-p", "server", "--bin", "palisade"]))?;
    let bin = target_dir::target_dir(&root)?.join("debug/palisade");
    let browser = web::playwright(&root, &bin)?;

    step("summary");
    eprintln!(
        "page bundle: {} KB wasm, {} KB gzip (route {:?})",
        bundle.wasm_bytes / 1024,
        bundle.wasm_gzip_bytes / 1024,
        toolchain.route
    );
    println!("cargo test: {} passed, {} failed", rust.passed, rust.failed);
    for line in &browser.summary {
        println!("playwright: {line}");
    }
    if !browser.ok {
        bail!("the Playwright suite failed");
    }
    Ok(())
}

/// The cargo that runs us (so `cargo +toolchain xtask` is honoured).
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}
