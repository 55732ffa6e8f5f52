//! Where cargo puts build output. A developer may move it (`CARGO_TARGET_DIR`,
//! `build.target-dir` in a cargo config), so the xtask asks cargo instead
//! of assuming `./target`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The target directory cargo uses for the workspace at `root`, from
/// `cargo metadata --format-version 1 --no-deps`.
pub fn target_dir(root: &Path) -> Result<PathBuf> {
    target_dir_of(metadata_command(root))
}

/// The `cargo metadata` command for the workspace at `root`, with the
/// caller's environment (which is what decides the target directory).
fn metadata_command(root: &Path) -> Command {
    let mut cmd = Command::new(crate::cargo());
    cmd.current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"]);
    cmd
}

fn target_dir_of(mut cmd: Command) -> Result<PathBuf> {
    let out = cmd.output().context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    parse_target_directory(&out.stdout)
}

/// `target_directory` of `cargo metadata`'s JSON.
fn parse_target_directory(json: &[u8]) -> Result<PathBuf> {
    let meta: serde_json::Value =
        serde_json::from_slice(json).context("reading cargo metadata's JSON")?;
    match meta.get("target_directory").and_then(|v| v.as_str()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => bail!("cargo metadata printed no target_directory"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        crate::workspace_root()
    }

    #[test]
    fn follows_cargo_target_dir() {
        let dir = std::env::temp_dir().join(format!("palisade-target-{}", std::process::id()));
        let mut cmd = metadata_command(&root());
        cmd.env("CARGO_TARGET_DIR", &dir);
        assert_eq!(target_dir_of(cmd).unwrap(), dir);
    }

    #[test]
    fn parse_errors_say_what_is_missing() {
        assert!(
            parse_target_directory(br#"{"packages": []}"#)
                .unwrap_err()
                .to_string()
                .contains("target_directory")
        );
        assert_eq!(
            parse_target_directory(br#"{"target_directory": "/x/t"}"#).unwrap(),
            PathBuf::from("/x/t")
        );
    }
}
