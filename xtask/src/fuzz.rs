//! `cargo xtask fuzz TARGET SECONDS [-- LIBFUZZER_ARGS]`: one target of
//! `fuzz/` under libFuzzer (cargo-fuzz, nightly), growing its corpus
//! `fuzz/corpus/TARGET/`; `cargo xtask fuzz cmin TARGET` minimises that
//! corpus. The stable replay of every corpus is a normal test of the fuzz
//! crate, run by `cargo xtask test`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::process::{run, step};
use crate::tools::clear_cargo_env;

/// The usage line of the subcommand.
pub const USAGE: &str =
    "cargo xtask fuzz TARGET SECONDS [-- LIBFUZZER_ARGS] | cargo xtask fuzz cmin TARGET";

/// Runs `cargo xtask fuzz …`.
pub fn cmd_fuzz(root: &Path, args: &[String]) -> Result<()> {
    let (ours, passed) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let fuzz_dir = root.join("fuzz");
    let targets = targets(&fuzz_dir)?;
    match ours {
        [cmin, target] if cmin == "cmin" => {
            check_target(&targets, target)?;
            check_tools()?;
            step(&format!("cargo fuzz cmin {target}"));
            // Crashes stay: they are the regression inputs, whether or not
            // they still add coverage.
            let corpus = fuzz_dir.join("corpus").join(target);
            let crashes = crash_inputs(&corpus)?;
            run(fuzz_command(&fuzz_dir, "cmin", target)
                .arg("--")
                // Keep the smallest set of inputs covering every edge
                // (not every hit-count bucket): a corpus of a few hundred
                // KB per target instead of many MB.
                .args(["-set_cover_merge=1", "-use_counters=0", "-timeout=10"])
                .args(passed))?;
            for (name, data) in crashes {
                std::fs::write(corpus.join(name), data)?;
            }
            Ok(())
        }
        [target, seconds] => {
            check_target(&targets, target)?;
            let seconds: u64 = seconds
                .parse()
                .with_context(|| format!("SECONDS must be a whole number, not {seconds:?}"))?;
            check_tools()?;
            step(&format!("cargo fuzz run {target} for {seconds} s"));
            run(fuzz_command(&fuzz_dir, "run", target)
                .arg("--")
                .arg(format!("-max_total_time={seconds}"))
                // An input that takes this long is a finding (a hang).
                .arg("-timeout=10")
                .arg("-print_final_stats=1")
                .args(passed))
        }
        _ => bail!("usage: {USAGE}\n  targets: {}", targets.join(", ")),
    }
}

/// The `crash-*` files of a corpus, by name.
fn crash_inputs(corpus: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for entry in
        std::fs::read_dir(corpus).with_context(|| format!("reading {}", corpus.display()))?
    {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if let Some(name) = name.filter(|n| n.starts_with("crash-")) {
            out.push((name, std::fs::read(&path)?));
        }
    }
    Ok(out)
}

/// `cargo +nightly fuzz SUBCOMMAND` for one target, with the features it
/// needs (only `http_api` builds the server).
fn fuzz_command(fuzz_dir: &Path, subcommand: &str, target: &str) -> Command {
    let mut cmd = Command::new("cargo");
    clear_cargo_env(&mut cmd);
    cmd.current_dir(fuzz_dir.parent().expect("fuzz/ has a parent"))
        .args(["+nightly", "fuzz", subcommand, "--fuzz-dir"])
        .arg(fuzz_dir)
        // Safe Rust: the sanitizer would halve the executions for little.
        // PALISADE_FUZZ_SANITIZER=address puts it back.
        .arg("--sanitizer")
        .arg(std::env::var("PALISADE_FUZZ_SANITIZER").unwrap_or_else(|_| "none".into()));
    if target != "http_api" {
        cmd.arg("--no-default-features");
    }
    cmd.args(["--features", "libfuzzer", target]);
    cmd
}

/// The targets: the file stems of `fuzz/fuzz_targets/*.rs`.
fn targets(fuzz_dir: &Path) -> Result<Vec<String>> {
    let dir = fuzz_dir.join("fuzz_targets");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem()
        {
            names.push(stem.to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

fn check_target(targets: &[String], target: &str) -> Result<()> {
    if !targets.iter().any(|t| t == target) {
        bail!(
            "no fuzz target {target:?}; the targets are: {}",
            targets.join(", ")
        );
    }
    Ok(())
}

/// Fails with what to install when nightly or cargo-fuzz is missing.
fn check_tools() -> Result<()> {
    let mut nightly = Command::new("rustup");
    nightly.args(["run", "nightly", "rustc", "--version"]);
    if !succeeds(&mut nightly) {
        bail!(
            "fuzzing needs a nightly Rust (libFuzzer's coverage instrumentation): \
             `rustup toolchain install nightly`"
        );
    }
    let mut cargo_fuzz = Command::new("cargo");
    clear_cargo_env(&mut cargo_fuzz);
    cargo_fuzz.args(["+nightly", "fuzz", "--version"]);
    if !succeeds(&mut cargo_fuzz) {
        bail!("fuzzing needs cargo-fuzz: `cargo install cargo-fuzz`");
    }
    Ok(())
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_targets_are_the_fuzz_target_files() {
        let fuzz_dir = crate::workspace_root().join("fuzz");
        let names = targets(&fuzz_dir).unwrap();
        for expected in [
            "check_yaml",
            "edit_view",
            "flow_chunks",
            "cluster_reader",
            "http_api",
            "generate_check",
        ] {
            assert!(names.iter().any(|n| n == expected), "{names:?}");
        }
        assert!(check_target(&names, "nope").is_err());
    }

    #[test]
    fn other_targets_do_not_build_the_server() {
        let fuzz_dir = Path::new("/repo/fuzz");
        let args = |target: &str| -> Vec<String> {
            fuzz_command(fuzz_dir, "run", target)
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        assert!(args("check_yaml").contains(&"--no-default-features".to_owned()));
        assert!(!args("http_api").contains(&"--no-default-features".to_owned()));
        assert_eq!(
            args("http_api").last().map(String::as_str),
            Some("http_api")
        );
    }
}
