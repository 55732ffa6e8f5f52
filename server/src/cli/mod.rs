//! One module per subcommand. Each exposes `<Name>Args` (clap) and
//! `run(&<Name>Args) -> anyhow::Result<ExitCode>`.

pub mod generate;
pub mod replay;
pub mod serve;
