//! gapfill load/undo/sql against temporary SQLite files, each test in a
//! fresh database. See tests/load_common/mod.rs.

mod load_common;

use load_common::Kind;

#[test]
fn dry_run_changes_nothing() {
    load_common::dry_run_changes_nothing(Kind::Lite);
}

#[test]
fn apply_inserts_the_gap_rerun_inserts_nothing_undo_restores() {
    load_common::apply_rerun_undo(Kind::Lite);
}

#[test]
fn killed_load_leaves_the_database_unchanged() {
    load_common::killed_load_leaves_db_unchanged(Kind::Lite);
}

#[test]
fn constraint_violation_aborts_the_batch_naming_the_booking() {
    load_common::constraint_violation_aborts(Kind::Lite);
}

#[test]
fn sql_file_round_trips_hostile_values() {
    load_common::sql_file_round_trips(Kind::Lite);
}

#[test]
fn gap_diff_reads_the_database() {
    load_common::gap_diff_reads_the_database(Kind::Lite);
}

#[test]
fn another_unique_constraint_aborts_naming_the_booking() {
    load_common::other_unique_constraint_aborts(Kind::Lite);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// The shipped samples end to end: `load` without a bookings file runs the recovery first,
/// `--apply` inserts every recovered booking into (a copy of) restored.sqlite, and a new
/// `recover` then finds the gap empty: the loaded rows are recognised as already there.
#[test]
fn samples_recover_load_then_the_gap_is_empty() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tmp");
    copy_dir(&repo.join("samples"), &tmp.path().join("samples"));
    copy_dir(&repo.join("mappings"), &tmp.path().join("mappings"));
    let _ = std::fs::remove_dir_all(tmp.path().join("samples/out"));
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_gapfill"))
            .args(args)
            .current_dir(tmp.path())
            .env_remove("DATABASE_URL")
            .output()
            .expect("run gapfill");
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (out, err) = run(&["load", "samples/recovery.toml"]);
    assert!(err.contains("running the recovery first"), "{err}");
    let csv = tmp.path().join("samples/out/bookings.csv");
    let recovered = std::fs::read_to_string(&csv)
        .expect("bookings.csv")
        .lines()
        .count()
        - 1;
    assert!(recovered > 0);
    let total = out
        .lines()
        .find(|l| l.starts_with("total "))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    assert_eq!(total, format!("{recovered} 0 0"), "{out}");
    let (applied, _) = run(&["load", "samples/recovery.toml", "--apply"]);
    assert!(
        applied.contains(&format!("inserted {recovered} rows")),
        "{applied}"
    );
    run(&["recover", "samples/recovery.toml", "-q", "--out", "again"]);
    let again = std::fs::read_to_string(tmp.path().join("again/bookings.csv")).expect("csv");
    assert_eq!(again.lines().count(), 1, "the gap is not empty:\n{again}");
}
