use clap::Parser;

fn main() -> anyhow::Result<()> {
    gapfill::cli::run(gapfill::cli::Cli::parse())
}
