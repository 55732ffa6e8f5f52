//! One module per subcommand. Each exposes `<Name>Args` (clap) and
//! `run(&<Name>Args) -> anyhow::Result<ExitCode>`.

pub mod check;
pub mod diff;
pub mod explain;
pub mod generate;
mod inputs;
pub mod live;
pub mod probe;
pub mod replay;
pub mod serve;
