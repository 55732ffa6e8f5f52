//! The WASM tool chain: the wasm32 standard library, the wasm-bindgen CLI and
//! wasm-opt, installed into a cache outside the clone and keyed by version,
//! so that a second run (or a second clone) reuses them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::process::{capture, run, run_with_timeout, step};

/// The binaryen release on npm whose wasm-opt works here (Debian's 108 breaks
/// the bundle at run time, see TOOLCHAIN notes in ARCHITECTURE.md).
const BINARYEN_VERSION: &str = "132.0.0";
/// Debian's rustc-web release used by the fallback route.
const RUSTC_WEB: &str = "1.96";
/// The LLVM major version Debian's rustc-web links against.
const LLVM_MAJOR: &str = "22";
/// The rustup toolchain name the fallback route links.
const FALLBACK_TOOLCHAIN: &str = "palisade-web-1.96";
/// How long `rustup target add` may take before we fall back.
const RUSTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How the wasm32 standard library is provided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `rustup target add wasm32-unknown-unknown` on the stable toolchain.
    Rustup,
    /// Debian's rustc-web, linked as a rustup toolchain, with `-Zbuild-std`.
    Debian,
}

/// Everything the page build needs.
#[derive(Clone, Debug)]
pub struct Toolchain {
    /// Which route provided the wasm32 std.
    pub route: Route,
    /// The wasm-bindgen CLI matching Cargo.lock.
    pub wasm_bindgen: PathBuf,
    /// wasm-opt from npm binaryen.
    pub wasm_opt: PathBuf,
    /// cargo's target directory for the workspace (wherever the developer's
    /// setup puts it).
    pub target: PathBuf,
}

impl Toolchain {
    /// Installs what is missing and returns the tools.
    pub fn prepare(root: &Path) -> Result<Toolchain> {
        let cache = cache_dir();
        fs::create_dir_all(&cache)
            .with_context(|| format!("creating the tool cache {}", cache.display()))?;
        step(&format!("WASM tool chain (cache: {})", cache.display()));
        let route = wasm_std_route(&cache)?;
        let wasm_bindgen = wasm_bindgen_cli(root, &cache)?;
        let wasm_opt = wasm_opt(&cache)?;
        let target = crate::target_dir::target_dir(root)?;
        eprintln!("    wasm32 std route: {route:?}");
        Ok(Toolchain {
            route,
            wasm_bindgen,
            wasm_opt,
            target,
        })
    }

    /// A `cargo` command for the frontend's wasm32 build on this route.
    pub fn cargo_wasm(&self, root: &Path, subcommand: &str) -> Command {
        let mut cmd = Command::new("cargo");
        cmd.current_dir(root);
        clear_cargo_env(&mut cmd);
        match self.route {
            Route::Rustup => {
                cmd.arg(subcommand).env("CARGO_TARGET_DIR", &self.target);
            }
            Route::Debian => {
                cmd.arg(format!("+{FALLBACK_TOOLCHAIN}"))
                    .arg(subcommand)
                    .args(["-Zbuild-std=std,panic_abort"])
                    // Keep the build-std artefacts apart from the stable ones.
                    .env("CARGO_TARGET_DIR", self.target.join("wasm-debian"));
            }
        }
        cmd.args(["-p", "frontend", "--target", "wasm32-unknown-unknown"]);
        cmd
    }

    /// Where cargo puts the frontend's wasm for a profile.
    pub fn wasm_artifact(&self, profile: &str) -> PathBuf {
        let base = match self.route {
            Route::Rustup => self.target.clone(),
            Route::Debian => self.target.join("wasm-debian"),
        };
        let dir = if profile == "dev" { "debug" } else { profile };
        base.join("wasm32-unknown-unknown")
            .join(dir)
            .join("frontend.wasm")
    }

    /// clippy on the frontend for wasm32 (the rustup route only: Debian's
    /// rustc-web ships no clippy; the native workspace clippy still covers it).
    pub fn clippy_frontend(&self, root: &Path) -> Result<()> {
        if self.route != Route::Rustup {
            eprintln!("    skipped: the Debian route has no clippy");
            return Ok(());
        }
        let mut cmd = self.cargo_wasm(root, "clippy");
        cmd.args(["--", "-D", "warnings"]);
        run(&mut cmd)
    }
}

/// `$PALISADE_CACHE`, else `$XDG_CACHE_HOME/palisade`, else `~/.cache/palisade`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PALISADE_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("palisade");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
    PathBuf::from(home).join(".cache/palisade")
}

/// Removes the variables the outer `cargo xtask` sets, so that a nested cargo
/// with another toolchain does not inherit them.
pub fn clear_cargo_env(cmd: &mut Command) {
    for var in [
        "RUSTUP_TOOLCHAIN",
        "RUSTC",
        "RUSTDOC",
        "CARGO",
        "CARGO_MANIFEST_DIR",
        "CARGO_PKG_NAME",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
}

fn wasm_std_route(cache: &Path) -> Result<Route> {
    let wanted = std::env::var("PALISADE_WASM_ROUTE").unwrap_or_default();
    match wanted.as_str() {
        "" | "rustup" => {}
        "debian" => {
            eprintln!("    PALISADE_WASM_ROUTE=debian: using Debian's rustc-web with build-std");
            debian_toolchain(cache)?;
            return Ok(Route::Debian);
        }
        other => bail!("PALISADE_WASM_ROUTE must be `rustup` or `debian`, not `{other}`"),
    }
    let installed = capture(Command::new("rustup").args(["target", "list", "--installed"]))
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"))
        .unwrap_or(false);
    if installed {
        eprintln!("    wasm32-unknown-unknown: installed (rustup)");
        return Ok(Route::Rustup);
    }
    eprintln!("    rustup target add wasm32-unknown-unknown (time limit {RUSTUP_TIMEOUT:?})");
    let ok = run_with_timeout(
        Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
        RUSTUP_TIMEOUT,
    )?;
    if ok {
        return Ok(Route::Rustup);
    }
    eprintln!("    rustup could not add the target; falling back to Debian's rustc-web");
    debian_toolchain(cache)?;
    Ok(Route::Debian)
}

/// Route B: Debian's rustc-web and its std sources, extracted (never
/// installed) into the cache and linked as a rustup toolchain.
fn debian_toolchain(cache: &Path) -> Result<()> {
    let dir = cache.join(format!("rustc-web-{RUSTC_WEB}"));
    let usr = dir.join("usr");
    let ready = dir.join(".ready");
    if !ready.exists() {
        eprintln!(
            "    extracting Debian's rustc-web {RUSTC_WEB} into {}",
            dir.display()
        );
        let debs = dir.join("debs");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&debs)?;
        let packages = [
            "rustc-web".to_string(),
            "libstd-rust-web-dev".to_string(),
            format!("libstd-rust-web-{RUSTC_WEB}"),
            "rust-web-src".to_string(),
            format!("libllvm{LLVM_MAJOR}"),
            "rust-web-llvm".to_string(),
            format!("lld-{LLVM_MAJOR}"),
        ];
        let download = |cmd: &mut Command| capture(cmd.current_dir(&debs));
        if download(Command::new("apt-get").arg("download").args(&packages)).is_err() {
            // Stale package lists are the usual cause.
            run(Command::new("apt-get").args(["update", "-qq"]))?;
            download(Command::new("apt-get").arg("download").args(&packages))?;
        }
        for deb in fs::read_dir(&debs)? {
            let deb = deb?.path();
            run(Command::new("dpkg").arg("-x").arg(&deb).arg(&dir))?;
        }
        let lib = usr.join("lib");
        let multiarch = lib.join("x86_64-linux-gnu");
        symlink_force(
            Path::new("../../../llvm-22/bin/lld"),
            &lib.join("rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"),
        )?;
        for entry in fs::read_dir(&multiarch)? {
            let path = entry?.path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("librustc_driver-") || name == format!("libLLVM.so.{LLVM_MAJOR}.1")
            {
                symlink_force(&path, &lib.join(&name))?;
            }
        }
        let llvm_lib = lib.join(format!("llvm-{LLVM_MAJOR}/lib"));
        fs::create_dir_all(&llvm_lib)?;
        symlink_force(
            Path::new(&format!("../../x86_64-linux-gnu/libLLVM.so.{LLVM_MAJOR}.1")),
            &llvm_lib.join(format!("libLLVM.so.{LLVM_MAJOR}.1")),
        )?;
        // cargo for this toolchain: the stable cargo with RUSTC_BOOTSTRAP for -Zbuild-std.
        let stable_cargo = capture(Command::new("rustup").args(["which", "cargo"]))?;
        let stable_cargo = String::from_utf8_lossy(&stable_cargo.stdout)
            .trim()
            .to_string();
        let wrapper = usr.join("bin/cargo");
        fs::write(
            &wrapper,
            format!("#!/bin/sh\nRUSTC_BOOTSTRAP=1 exec {stable_cargo} \"$@\"\n"),
        )?;
        set_executable(&wrapper)?;
        fs::remove_dir_all(&debs)?;
        fs::write(&ready, RUSTC_WEB)?;
    } else {
        eprintln!("    Debian rustc-web {RUSTC_WEB}: cached");
    }
    run(Command::new("rustup")
        .args(["toolchain", "link", FALLBACK_TOOLCHAIN])
        .arg(&usr))?;
    Ok(())
}

/// The `wasm-bindgen` version pinned in Cargo.lock.
fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\""
            && let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return Ok(version.trim_matches('"').to_string());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package; is the frontend in the workspace?")
}

fn wasm_bindgen_cli(root: &Path, cache: &Path) -> Result<PathBuf> {
    let version = locked_wasm_bindgen_version(root)?;
    let dir = cache.join(format!("wasm-bindgen-{version}"));
    let bin = dir.join("bin/wasm-bindgen");
    if bin.exists() {
        eprintln!("    wasm-bindgen {version}: cached");
        return Ok(bin);
    }
    eprintln!("    installing wasm-bindgen-cli {version} (about 2 minutes, once)");
    let staging = cache.join(format!("wasm-bindgen-{version}.partial"));
    let _ = fs::remove_dir_all(&staging);
    // Not --locked: its lockfile pins crates the registry mirror lacks.
    let mut cmd = Command::new("cargo");
    clear_cargo_env(&mut cmd);
    run(cmd
        .args(["install", "wasm-bindgen-cli", "--version"])
        .arg(format!("={version}"))
        .arg("--root")
        .arg(&staging))?;
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&staging, &dir)?;
    Ok(bin)
}

fn wasm_opt(cache: &Path) -> Result<PathBuf> {
    let dir = cache.join(format!("binaryen-{BINARYEN_VERSION}"));
    let bin = dir.join("node_modules/.bin/wasm-opt");
    if bin.exists() {
        eprintln!("    wasm-opt (binaryen {BINARYEN_VERSION}): cached");
        return Ok(bin);
    }
    eprintln!("    installing binaryen {BINARYEN_VERSION} from npm");
    let staging = cache.join(format!("binaryen-{BINARYEN_VERSION}.partial"));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging)?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&staging)
        .arg(format!("binaryen@{BINARYEN_VERSION}")))?;
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&staging, &dir)?;
    Ok(bin)
}

fn symlink_force(target: &Path, link: &Path) -> Result<()> {
    if let Some(parent) = link.parent() {
        fs::create_dir_all(parent)?;
    }
    let _ = fs::remove_file(link);
    std::os::unix::fs::symlink(target, link)
        .with_context(|| format!("linking {} -> {}", link.display(), target.display()))
}

fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = fs::metadata(path)?.permissions();
    perms.set_mode(0o755);
    fs::set_permissions(path, perms)?;
    Ok(())
}
