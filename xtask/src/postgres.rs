//! The PostgreSQL server the share-store tests start (`server/tests/postgres_shares.rs`
//! runs `initdb` and `pg_ctl` from `/usr/lib/postgresql/<version>/bin`).

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

use crate::process::{on_path, run, step};

/// Whether Debian's PostgreSQL server binaries are installed.
fn server_installed() -> bool {
    std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .any(|version| version.path().join("bin/initdb").is_file())
}

/// Installs Debian's `postgresql` with apt-get when its server binaries are
/// missing (as the browser tests' Chromium is installed).
pub fn ensure_server() -> Result<()> {
    step("PostgreSQL server (Debian)");
    if server_installed() {
        eprintln!("    /usr/lib/postgresql/*/bin/initdb: present");
        return Ok(());
    }
    if !on_path("apt-get") {
        bail!(
            "the PostgreSQL server (initdb, pg_ctl) is missing and apt-get is not available to install it"
        );
    }
    eprintln!("    installing postgresql with apt-get");
    let install = || {
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-qq",
                "--no-install-recommends",
                "postgresql",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !install() {
        run(Command::new("apt-get").args(["update", "-qq"]))?;
        if !install() {
            bail!("apt-get install postgresql failed");
        }
    }
    if !server_installed() || !Path::new("/usr/bin/psql").exists() {
        bail!("postgresql was installed but /usr/lib/postgresql/*/bin/initdb or psql is missing");
    }
    Ok(())
}
