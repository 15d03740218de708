//! The binary on the shipped samples: outputs exist, add up, and are byte-identical run to run;
//! broken plans and mappings fail with the file and line.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gapfill"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run_samples(out: &Path) -> std::process::Output {
    bin()
        .args(["recover", "samples/recovery.toml", "--out"])
        .arg(out)
        .current_dir(repo())
        .output()
        .expect("binary runs")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn samples_recover_deterministically_and_add_up() {
    let a = tempfile::tempdir().expect("tmp");
    let b = tempfile::tempdir().expect("tmp");
    let ra = run_samples(a.path());
    assert!(
        ra.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&ra.stderr)
    );
    let rb = run_samples(b.path());
    assert!(rb.status.success());
    let mut files = vec![
        "bookings.csv".to_string(),
        "review.csv".into(),
        "rejected.csv".into(),
        "summary.json".into(),
    ];
    for slug in tenant_slugs() {
        files.push(format!("tenants/{slug}/bookings.csv"));
    }
    for f in &files {
        assert_eq!(
            read(&a.path().join(f)),
            read(&b.path().join(f)),
            "{f} differs between runs"
        );
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&read(&a.path().join("summary.json"))).expect("json");
    assert_eq!(summary["accounting"]["adds_up"], true, "{summary:#}");
    let recovered = summary["recovered"].as_u64().unwrap_or(0);
    assert!(recovered >= 10, "samples recover bookings: {summary:#}");
    // the per-tenant files hold exactly the rows of bookings.csv
    let all = String::from_utf8_lossy(&read(&a.path().join("bookings.csv")))
        .lines()
        .count()
        - 1;
    let per: usize = tenant_slugs()
        .iter()
        .map(|s| {
            String::from_utf8_lossy(&read(&a.path().join(format!("tenants/{s}/bookings.csv"))))
                .lines()
                .count()
                - 1
        })
        .sum();
    assert_eq!(all, per);
    assert_eq!(all as u64, recovered);
    let stderr = String::from_utf8_lossy(&ra.stderr);
    assert!(
        stderr.contains("adds up"),
        "human summary printed: {stderr}"
    );
}

fn tenant_slugs() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("samples/recovery.toml")).expect("plan");
    let v: toml::Value = toml::from_str(&text).expect("toml");
    v["tenants"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["slug"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn broken_mapping_fails_at_start_naming_file_and_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let maps = dir.path().join("mappings");
    copy_dir(&repo().join("mappings"), &maps);
    std::fs::write(
        maps.join("email/broken.toml"),
        "name = \"broken\"\n[match]\nsubject = 'ok'\n[fields]\nvehicle = '(unclosed'\n",
    )
    .expect("write");
    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        "mappings = \"mappings\"\n[window]\nsince = \"2026-01-01T00:00:00Z\"\nuntil = \"2026-02-01T00:00:00Z\"\n[[tenants]]\nslug = \"a\"\nname = \"A\"\ntimezone = \"Europe/Berlin\"\ncurrency = \"EUR\"\n",
    )
    .expect("write");
    let out = bin().args(["check"]).arg(&plan).output().expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.toml") && err.contains("line 5"),
        "{err}"
    );
    let out = bin().args(["recover"]).arg(&plan).output().expect("runs");
    assert!(!out.status.success());
}

#[test]
fn bad_plan_names_the_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        "[window]\nsince = \"2026-01-01T00:00:00Z\"\nuntil = \"2026-02-01T00:00:00Z\"\n[[tenants]]\nslug = \"a\"\nname = \"A\"\ntimezone = \"Mars/Olympus\"\ncurrency = \"EUR\"\n",
    )
    .expect("write");
    let out = bin().args(["check"]).arg(&plan).output().expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plan.toml") && err.contains("Mars/Olympus"),
        "{err}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).expect("copy");
        }
    }
}
