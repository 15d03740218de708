//! Benchmark: generates synthetic worlds (default ~10k, ~100k and ~1M evidence items), runs the
//! whole recovery in-process and prints throughput per stage and peak memory.
//!
//!     cargo bench --bench pipeline                 # all three sizes
//!     GAPFILL_BENCH_BOOKINGS=2500 cargo bench --bench pipeline
//!
//! Worlds are cached under target/bench-worlds/. Peak memory is the process's VmHWM, reset
//! before each run (Linux `clear_refs`), so world generation is not counted.

#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use gapfill::pipeline::{recover, Options};

fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn reset_peak() {
    // "5" resets the peak resident set size (Linux >= 4.0); harmless elsewhere
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn world(root: &Path, bookings: usize) -> PathBuf {
    let dir = root.join(format!("b{bookings}"));
    if !dir.join("recovery.toml").exists() {
        let mut cfg = support::synth::Config::new(7, 6, bookings);
        cfg.mappings = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("mappings");
        let t = Instant::now();
        match support::synth::generate(&cfg, &dir) {
            Ok(s) => eprintln!(
                "generated {} in {:.1}s: {s}",
                dir.display(),
                t.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("cannot generate {}: {e}", dir.display());
                std::process::exit(1);
            }
        }
    }
    dir
}

fn main() {
    let sizes: Vec<usize> = match std::env::var("GAPFILL_BENCH_BOOKINGS") {
        Ok(v) => v.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
        // about 4.5 evidence items per booking
        Err(_) => vec![2_200, 22_000, 220_000],
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-worlds");
    println!("threads: {}", rayon::current_num_threads());
    for n in sizes {
        let dir = world(&root, n);
        reset_peak();
        let t = Instant::now();
        let out = dir.join("out");
        let outcome = match recover(
            &dir.join("recovery.toml"),
            &Options {
                out: Some(out),
                quiet: true,
                ..Default::default()
            },
        ) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("recovery failed: {e}");
                std::process::exit(1);
            }
        };
        let total = t.elapsed().as_secs_f64();
        let s = &outcome.summary;
        let items = s.evidence_items + s.rejected;
        println!(
            "world {n} bookings: {items} evidence items, {} recovered, {total:.2}s end to end ({:.0} items/s), peak {:.0} MiB",
            s.recovered,
            items as f64 / total,
            peak_rss_mib().unwrap_or(f64::NAN)
        );
        // accuracy on the same run, from the world's ground truth
        match support::synth::truth::Truth::load(&dir.join("truth.json")) {
            Ok(truth) => {
                let r = support::eval::evaluate(&outcome.out_dir.join("bookings.csv"), &truth);
                println!("  F1 {:.4} on recoverable gap bookings", r.f1);
            }
            Err(e) => eprintln!("no ground truth for {}: {e}", dir.display()),
        }
        for (stage, secs) in &s.timings {
            println!(
                "  {stage:<16} {secs:>7.2}s  {:>10.0} items/s",
                items as f64 / secs.max(1e-9)
            );
        }
    }
}
