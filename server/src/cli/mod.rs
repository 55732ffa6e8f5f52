//! One module per subcommand. Each exposes `<Name>Args` (clap) and
//! `run(&<Name>Args) -> anyhow::Result<ExitCode>`.

pub mod generate;
pub mod check;
pub mod explain;
pub mod diff;
pub mod probe;
pub mod serve;
