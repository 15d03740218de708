//! Writes a synthetic world (evidence, restored database, plan, ground truth) to a folder.
//!
//!     cargo run --example synth -- --out samples --seed 7 --bookings 300 --tenants 6 \
//!         --mappings ../mappings
//!
//! Used to make `samples/` and by the benchmark; the generator itself lives in
//! `tests/support/synth` so the integration tests share it.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::ExitCode;

use support::synth::{generate, Config};

const USAGE: &str = "usage: synth --out DIR [--seed N] [--bookings N] [--tenants N] [--mappings PATH] [--t0 RFC3339] [--days N]";

fn parse(args: &[String]) -> Result<(Config, PathBuf), String> {
    let mut cfg = Config::new(1, 6, 300);
    let mut out: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let num = |v: String| -> Result<u64, String> {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: `{v}` is not a number"))
        };
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--seed" => cfg.seed = num(value()?)?,
            "--bookings" => cfg.n_bookings = num(value()?)? as usize,
            "--tenants" => {
                let n = num(value()?)? as usize;
                if n < 3 {
                    return Err("--tenants must be at least 3".into());
                }
                cfg.n_tenants = n;
            }
            "--mappings" => cfg.mappings = PathBuf::from(value()?),
            "--days" => cfg.days = num(value()?)?.max(1) as i64,
            "--t0" => {
                let v = value()?;
                cfg.t0 = chrono::DateTime::parse_from_rfc3339(&v)
                    .map_err(|e| format!("--t0 `{v}`: {e}"))?
                    .with_timezone(&chrono::Utc);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let out = out.ok_or_else(|| format!("--out is required\n{USAGE}"))?;
    Ok((cfg, out))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cfg, out) = match parse(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match generate(&cfg, &out) {
        Ok(summary) => {
            println!("{}: {summary}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write the world to {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}
