//! Unused dependencies: `cargo machete` over the workspace, installed once
//! into the tool cache (keyed by version) like the WASM tools.
//!
//! A dependency that is needed without being named in the code (a feature
//! switch for a transitive crate, say) is listed with its reason under
//! `[package.metadata.cargo-machete] ignored` in that crate's manifest.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use crate::process::{run, step};
use crate::tools::{cache_dir, clear_cargo_env};

/// The cargo-machete release we install.
const MACHETE_VERSION: &str = "0.9.2";

/// Fails when a workspace crate declares a dependency it never uses.
pub fn check_unused_dependencies(root: &Path) -> Result<()> {
    let machete = install(&cache_dir())?;
    step("cargo machete (unused dependencies)");
    run(Command::new(machete).arg(root))
}

fn install(cache: &Path) -> Result<PathBuf> {
    let dir = cache.join(format!("cargo-machete-{MACHETE_VERSION}"));
    let bin = dir.join("bin/cargo-machete");
    if bin.exists() {
        return Ok(bin);
    }
    step(&format!(
        "installing cargo-machete {MACHETE_VERSION} into the tool cache (once)"
    ));
    fs::create_dir_all(cache)?;
    let staging = cache.join(format!("cargo-machete-{MACHETE_VERSION}.partial"));
    let _ = fs::remove_dir_all(&staging);
    let mut cmd = Command::new("cargo");
    clear_cargo_env(&mut cmd);
    run(cmd
        .args(["install", "cargo-machete", "--locked", "--version"])
        .arg(format!("={MACHETE_VERSION}"))
        .arg("--root")
        .arg(&staging))?;
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&staging, &dir)?;
    Ok(bin)
}
