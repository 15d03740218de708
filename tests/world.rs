//! End to end on generated worlds with ground truth: the real binary, F1 on the recoverable
//! gap bookings, no pre-gap booking re-created, per-field accuracy printed.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::eval::{evaluate, EvalReport};
use support::synth::Truth;
use support::synth::{generate, Config};

fn recover_world(seed: u64, tenants: usize, bookings: usize) -> (tempfile::TempDir, EvalReport) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut cfg = Config::new(seed, tenants, bookings);
    cfg.mappings = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("mappings");
    let summary = generate(&cfg, dir.path()).expect("world generated");
    println!("world: {summary}");
    let out = dir.path().join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_gapfill"))
        .args(["recover"])
        .arg(dir.path().join("recovery.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("binary runs");
    println!("{}", String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "gapfill failed");
    let truth = Truth::load(&dir.path().join("truth.json")).expect("truth");
    let report = evaluate(&out.join("bookings.csv"), &truth);
    println!("{report}");
    (dir, report)
}

fn summary(out: &Path) -> serde_json::Value {
    let bytes = std::fs::read(out.join("summary.json")).expect("summary");
    serde_json::from_slice(&bytes).expect("json")
}

#[test]
fn world_of_three_tenants_and_700_bookings() {
    let (dir, r) = recover_world(11, 3, 700);
    assert!(
        r.recoverable >= 400,
        "world is big enough: {}",
        r.recoverable
    );
    assert!(r.f1 >= 0.995, "F1 {:.4} below 0.995", r.f1);
    assert_eq!(r.pre_gap_recreated, 0, "pre-gap bookings re-created");
    let s = summary(&dir.path().join("out"));
    assert_eq!(s["accounting"]["adds_up"], true);
}

#[test]
fn world_of_six_tenants_all_languages() {
    let (_dir, r) = recover_world(5, 6, 900);
    assert!(r.f1 >= 0.995, "F1 {:.4} below 0.995", r.f1);
    assert_eq!(r.pre_gap_recreated, 0);
    for field in [
        "pickup_at",
        "return_at",
        "vehicle",
        "total_amount",
        "pickup_location",
        "customer_name",
    ] {
        assert!(
            r.field(field) >= 0.97,
            "{field} accuracy {:.4}",
            r.field(field)
        );
    }
}
