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
        /// Live sources: contact nothing, read what earlier runs saved in `<out>/cache/`.
        #[arg(long, conflicts_with = "refresh")]
        offline: bool,
        /// Live sources: fetch complete Stripe lists again (calendar feeds are fetched on every
        /// run; cached IMAP messages are kept, a UID's message never changes).
        #[arg(long)]
        refresh: bool,
    },
    /// Check a plan and its mappings without reading any evidence.
    Check { plan: PathBuf },
    /// Write the recovered bookings as a reviewable .sql file (one transaction, inserts only).
    Sql {
        plan: PathBuf,
        #[arg(long, value_enum)]
        dialect: crate::load::sql::Dialect,
        /// Output file (default: <output>/load-<dialect>.sql).
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Bookings to load (default: the reviewed <output>/bookings.csv; recovered first if
        /// it does not exist).
        #[arg(long)]
        bookings: Option<PathBuf>,
    },
    /// Load the recovered bookings into the restored database. Dry run unless --apply.
    Load {
        plan: PathBuf,
        /// postgres://, mysql:// or sqlite:// URL. Default: the environment variable the
        /// plan's url_env names, or DATABASE_URL (keeps passwords out of shell history).
        #[arg(long)]
        database_url: Option<String>,
        /// Bookings to load (default: the reviewed <output>/bookings.csv).
        #[arg(long)]
        bookings: Option<PathBuf>,
        /// Write: one transaction, insert-only, recorded as an undoable batch.
        #[arg(long)]
        apply: bool,
    },
    /// Remove exactly the rows one load batch inserted. Dry run unless --apply.
    Undo {
        batch_id: String,
        /// The plan (for its database); or give --database-url / DATABASE_URL.
        #[arg(long)]
        plan: Option<PathBuf>,
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long)]
        apply: bool,
    },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Recover {
            plan,
            out,
            quiet,
            offline,
            refresh,
        } => {
            let outcome = crate::pipeline::recover(
                &plan,
                &crate::pipeline::Options {
                    out,
                    quiet,
                    offline,
                    refresh,
                },
            )?;
            if !quiet {
                eprint!("{}", outcome.summary.human());
                eprintln!("outputs in {}", outcome.out_dir.display());
            }
            if !outcome.summary.accounting.adds_up {
                anyhow::bail!("the run's accounting does not add up: see summary.json");
            }
            Ok(())
        }
        Command::Sql {
            plan,
            dialect,
            out,
            bookings,
        } => {
            let (_, summary) = crate::load::file::write_sql(&crate::load::file::SqlOptions {
                plan,
                bookings,
                dialect,
                out,
            })?;
            println!("{summary}");
            Ok(())
        }
        Command::Load {
            plan,
            database_url,
            bookings,
            apply,
        } => {
            let o = crate::load::apply::load(&crate::load::apply::LoadOptions {
                plan,
                bookings,
                database_url,
                apply,
            })?;
            print!("{}", o.text);
            Ok(())
        }
        Command::Undo {
            batch_id,
            plan,
            database_url,
            apply,
        } => {
            let text = crate::load::apply::undo(&crate::load::apply::UndoOptions {
                batch: batch_id,
                plan,
                database_url,
                apply,
            })?;
            print!("{text}");
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
