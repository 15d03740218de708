//! Command-line interface (clap derive). `main.rs` parses and calls [`run`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "gapfill",
    version,
    about = "Rebuilds lost booking records from Stripe, calendar and e-mail evidence"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Rebuild the bookings lost between the plan's T0 and T1 and write CSV exports.
    Recover {
        /// The recovery plan (TOML).
        plan: PathBuf,
        /// Output folder (default: the plan's `output`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// No progress and no summary on the terminal.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check a plan and its mappings without reading any evidence.
    Check { plan: PathBuf },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Recover { plan, out, quiet } => {
            let outcome =
                crate::pipeline::recover(&plan, &crate::pipeline::Options { out, quiet })?;
            if !quiet {
                eprint!("{}", outcome.summary.human());
                eprintln!("outputs in {}", outcome.out_dir.display());
            }
            if !outcome.summary.accounting.adds_up {
                anyhow::bail!("the run's accounting does not add up: see summary.json");
            }
            Ok(())
        }
        Command::Check { plan } => {
            let p = crate::plan::Plan::load(&plan)?;
            crate::extract::config::Mappings::load(&p.resolve(&p.mappings))?;
            println!(
                "{}: plan and mappings are valid ({} tenants)",
                plan.display(),
                p.tenants.len()
            );
            Ok(())
        }
    }
}
