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
