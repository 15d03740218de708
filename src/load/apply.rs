//! `gapfill load` and `gapfill undo`: the database side.
//!
//! A load with `--apply` is one transaction: the rows go into a staging table of gapfill's own
//! (schema `gapfill` on PostgreSQL, prefix `gapfill_` elsewhere), are checked there (count,
//! duplicate keys, keys the table already has), and are copied into the target table with the
//! dialect's insert-if-absent; the batch and the keys (and ids) of every inserted row go into
//! the audit tables `batches`/`batch_rows` (`gapfill_batches`/`gapfill_batch_rows` outside
//! PostgreSQL). Any failure rolls the whole transaction back. A failed copy is retried row by
//! row inside savepoints only to name the booking the database refused; that too is rolled back.
//!
//! On MariaDB/MySQL, DDL commits implicitly, so the audit tables are created (if missing)
//! before the transaction, and the staging tables are `TEMPORARY` (which does not commit).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::db::{Access, Conn};
use super::input::{read_bookings, Input};
use super::sql::{Dialect, Val};
use super::url::DbUrl;
use super::{booking_name, rows, Candidate, Planned, Skip};
use crate::error::{Error, Result};
use crate::gap::target::{is_plain_identifier, is_table_identifier};
use crate::gap::{self, TargetMapping};
use crate::plan::Plan;

/// Test hook: with this variable set to a number of seconds, `load --apply` prints
/// `gapfill: paused before commit` to stderr and sleeps that long just before COMMIT (the
/// kill-in-the-middle test kills the process there).
pub const PAUSE_ENV: &str = "GAPFILL_PAUSE_BEFORE_COMMIT";

pub struct LoadOptions {
    pub plan: PathBuf,
    pub bookings: Option<PathBuf>,
    pub database_url: Option<String>,
    pub apply: bool,
}

#[derive(Debug)]
pub struct LoadOutcome {
    /// The report for the terminal.
    pub text: String,
    pub batch_id: Option<String>,
    pub inserted: usize,
}

/// Table names of one dialect.
struct Names {
    d: Dialect,
    batches: String,
    batch_rows: String,
}

impl Names {
    fn new(d: Dialect) -> Names {
        let (b, r) = match d {
            Dialect::Postgres => ("gapfill.batches", "gapfill.batch_rows"),
            _ => ("gapfill_batches", "gapfill_batch_rows"),
        };
        Names {
            d,
            batches: d.ident(b),
            batch_rows: d.ident(r),
        }
    }

    /// A work table of gapfill's own (`gapfill.staging_<batch>`, `gapfill_staging_<batch>`).
    fn work(&self, what: &str, batch: &str) -> String {
        let b = batch.replace('-', "_");
        match self.d {
            Dialect::Postgres => self.d.ident(&format!("gapfill.{what}_{b}")),
            _ => self.d.ident(&format!("gapfill_{what}_{b}")),
        }
    }

    /// `CREATE TABLE … AS SELECT … FROM target` with no rows: the target's column types.
    fn create_work(&self, name: &str, select_list: &str, target: &str) -> String {
        match self.d {
            Dialect::Postgres => {
                format!("CREATE TABLE {name} AS SELECT {select_list} FROM {target} WITH NO DATA")
            }
            Dialect::Mysql => format!(
                "CREATE TEMPORARY TABLE {name} AS SELECT {select_list} FROM {target} WHERE 1 = 0"
            ),
            Dialect::Sqlite => {
                format!("CREATE TEMP TABLE {name} AS SELECT {select_list} FROM {target} WHERE 0")
            }
        }
    }

    fn drop_work(&self, name: &str) -> String {
        match self.d {
            Dialect::Mysql => format!("DROP TEMPORARY TABLE {name}"),
            _ => format!("DROP TABLE {name}"),
        }
    }

    fn audit_ddl(&self) -> Vec<String> {
        let (id, txt, big, tail) = match self.d {
            Dialect::Mysql => (
                "VARCHAR(64)",
                "TEXT",
                "BIGINT",
                " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
            ),
            Dialect::Postgres => ("TEXT", "TEXT", "BIGINT", ""),
            Dialect::Sqlite => ("TEXT", "TEXT", "INTEGER", ""),
        };
        let mut v = Vec::new();
        if self.d == Dialect::Postgres {
            v.push("CREATE SCHEMA IF NOT EXISTS gapfill".to_string());
        }
        v.push(format!(
            "CREATE TABLE IF NOT EXISTS {} (batch_id {id} PRIMARY KEY, created_at {txt} NOT NULL, \
             plan {txt} NOT NULL, input {txt} NOT NULL, input_sha256 {txt} NOT NULL, \
             target_table {txt} NOT NULL, key_columns {txt} NOT NULL, id_column {txt}, \
             rows_inserted {big} NOT NULL, rows_present {big} NOT NULL, \
             gapfill_version {txt} NOT NULL, undone_at {txt}){tail}",
            self.batches
        ));
        v.push(format!(
            // No foreign key to the batches table: both are written in the same transaction,
            // and a per-row FK check would cost as much as the audit itself on a big batch.
            "CREATE TABLE IF NOT EXISTS {} (batch_id {id} NOT NULL, seq {big} NOT NULL, \
             recovered_id {txt} NOT NULL, tenant {txt} NOT NULL, booking_ref {txt}, \
             key_values {txt} NOT NULL, row_id {txt}, PRIMARY KEY (batch_id, seq)){tail}",
            self.batch_rows
        ));
        v
    }
}

fn now_utc() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// `20261201T160512123Z-ab12cd34`: when, and the input's checksum.
fn new_batch_id(sha256: &str) -> String {
    let t = now_utc().format("%Y%m%dt%H%M%S%3fz");
    format!("{t}-{}", &sha256[..sha256.len().min(8)])
}

fn valid_batch_id(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= 64
        && b.chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || c == '-')
}

/// Runs `gapfill load`: dry run by default, the batch with `apply`.
pub fn load(opts: &LoadOptions) -> Result<LoadOutcome> {
    let plan = Plan::load(&opts.plan)?;
    let mapping = super::plan_mapping(&plan)?;
    let url = super::database_url(&plan, opts.database_url.as_deref())?;
    let file = super::bookings_file(&opts.plan, &plan, opts.bookings.as_deref())?;
    let input = read_bookings(&file, &plan)?;
    let access = if opts.apply {
        Access::ReadWrite
    } else {
        Access::ReadOnly
    };
    let mut conn = Conn::connect(&url, access)?;
    let d = conn.dialect();
    conn.batch(super::read_only_begin(d))?;
    let resolved = gap::read_conn(&mut conn, &mapping, &plan);
    conn.batch("ROLLBACK")?;
    let resolved = resolved?;
    let resolver = super::tenant_resolver(&resolved.tenants, &mapping);
    let mut planned = super::plan_rows(
        &input.bookings,
        &mapping,
        &plan,
        Some(&resolved.existing),
        &resolver,
    );
    planned.warnings = resolved.existing.warnings.clone();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "database: {} ({}), table {}, mapping {}",
        url.redacted(),
        d.name(),
        mapping.table,
        mapping.path.display()
    );
    let _ = writeln!(
        text,
        "input: {}: {} bookings, sha256 {}",
        input.path.display(),
        input.bookings.len(),
        input.sha256
    );
    text.push_str(&planned.human(&plan));
    if !opts.apply {
        let _ = writeln!(
            text,
            "dry run: nothing was changed. Run again with --apply to insert {} rows in one \
             transaction.",
            planned.insert.len()
        );
        return Ok(LoadOutcome {
            text,
            batch_id: None,
            inserted: 0,
        });
    }
    if !planned.conflicts.is_empty() {
        return Err(Error::Database {
            what: url.redacted(),
            message: format!(
                "{} conflicts, nothing was loaded:\n{}",
                planned.conflicts.len(),
                planned.human(&plan)
            ),
        });
    }
    let (batch, inserted, late_present) =
        apply_batch(&mut conn, &mapping, &opts.plan, &input, &planned)?;
    for s in &late_present {
        let _ = writeln!(
            text,
            "present by key at load time: {}: {}",
            booking_name(&s.recovered_id, &s.tenant, s.booking_ref.as_deref()),
            s.reason
        );
    }
    let _ = writeln!(
        text,
        "batch {batch}: inserted {inserted} rows, committed. Undo with: gapfill undo {batch} \
         --plan {} --apply",
        opts.plan.display()
    );
    Ok(LoadOutcome {
        text,
        batch_id: Some(batch),
        inserted,
    })
}

/// The batch transaction. Returns the batch id, the rows inserted and the rows skipped because
/// their key appeared in the table after the read.
fn apply_batch(
    conn: &mut Conn,
    mapping: &TargetMapping,
    plan_path: &Path,
    input: &Input,
    planned: &Planned,
) -> Result<(String, usize, Vec<Skip>)> {
    let d = conn.dialect();
    let names = Names::new(d);
    let batch = new_batch_id(&input.sha256);
    if d == Dialect::Mysql {
        for s in names.audit_ddl() {
            conn.batch(&s)?;
        }
    }
    conn.batch(d.begin())?;
    let r = (|| {
        if d != Dialect::Mysql {
            for s in names.audit_ddl() {
                conn.batch(&s)?;
            }
        }
        let r = copy_batch(conn, &names, mapping, plan_path, input, planned, &batch)?;
        if let Some(secs) = std::env::var(PAUSE_ENV)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
        {
            eprintln!("gapfill: paused before commit");
            std::thread::sleep(std::time::Duration::from_secs(secs));
        }
        Ok(r)
    })();
    match r {
        Ok((inserted, late)) => {
            conn.batch("COMMIT")?;
            Ok((batch, inserted, late))
        }
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}

fn key_join(d: Dialect, keys: &[String], a: &str, b: &str) -> String {
    keys.iter()
        .map(|k| {
            let k = d.ident(k);
            format!("{a}.{k} = {b}.{k}")
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn copy_batch(
    conn: &mut Conn,
    names: &Names,
    mapping: &TargetMapping,
    plan_path: &Path,
    input: &Input,
    planned: &Planned,
    batch: &str,
) -> Result<(usize, Vec<Skip>)> {
    let d = conn.dialect();
    let target = d.ident(&mapping.table);
    let cols = rows::columns(mapping);
    let qcols: Vec<String> = cols.iter().map(|c| d.ident(c)).collect();
    let staging = names.work("staging", batch);
    let (seq_t, id_t) = match d {
        Dialect::Postgres => ("CAST(0 AS BIGINT)", "CAST('' AS TEXT)"),
        Dialect::Mysql => ("CAST(0 AS SIGNED)", "CAST('' AS CHAR(255))"),
        Dialect::Sqlite => ("0", "''"),
    };
    conn.batch(&names.create_work(
        &staging,
        &format!(
            "{seq_t} AS gapfill_seq, {id_t} AS gapfill_recovered_id, {}",
            qcols.join(", ")
        ),
        &target,
    ))?;
    let by_seq: BTreeMap<i64, &Candidate> = planned.insert.iter().map(|c| (c.seq, c)).collect();
    let mut staged_cols = vec![
        "gapfill_seq".to_string(),
        "gapfill_recovered_id".to_string(),
    ];
    staged_cols.extend(cols.iter().cloned());
    let staged: Vec<Vec<Val>> = planned
        .insert
        .iter()
        .map(|c| {
            let mut v = vec![Val::Int(c.seq), Val::Text(c.booking.recovered_id.clone())];
            v.extend(c.values.iter().cloned());
            v
        })
        .collect();
    conn.batch("SAVEPOINT gapfill_copy")?;
    if let Err(e) = conn.bulk_insert(&staging, &staged_cols, &staged) {
        conn.batch("ROLLBACK TO SAVEPOINT gapfill_copy")?;
        return Err(diagnose(conn, &target, &qcols, planned, e));
    }
    // Checks in staging: every row arrived, no key twice.
    let n = conn.query(&format!("SELECT COUNT(*) FROM {staging}"), &[])?;
    let n = n
        .first()
        .and_then(|r| r.first())
        .and_then(|c| match c {
            crate::gap::target::Cell::Integer(i) => Some(*i),
            crate::gap::target::Cell::Text(s) => s.parse().ok(),
            _ => None,
        })
        .unwrap_or(-1);
    if n != planned.insert.len() as i64 {
        return Err(conn.error(
            "staging check",
            &format!(
                "{n} rows arrived in {staging}, {} were sent: nothing was loaded",
                planned.insert.len()
            ),
        ));
    }
    let kcols: Vec<String> = mapping.key.iter().map(|k| d.ident(k)).collect();
    let dups = conn.query(
        &format!(
            "SELECT MIN(gapfill_recovered_id), MAX(gapfill_recovered_id), COUNT(*) FROM {staging} \
             GROUP BY {} HAVING COUNT(*) > 1",
            kcols.join(", ")
        ),
        &[],
    )?;
    if let Some(r) = dups.first() {
        let a = r.first().map(ToString::to_string).unwrap_or_default();
        let b = r.get(1).map(ToString::to_string).unwrap_or_default();
        return Err(conn.error(
            "staging check",
            &format!(
                "bookings {a} and {b} have the same key ({}) in the database's terms: nothing \
                 was loaded",
                mapping.key.join(", ")
            ),
        ));
    }
    // Keys the table has now (it may have changed since the read): skipped, and reported.
    let present_rows = conn.query(
        &format!(
            "SELECT s.gapfill_seq FROM {staging} AS s WHERE EXISTS (SELECT 1 FROM {target} AS x \
             WHERE {})",
            key_join(d, &mapping.key, "x", "s")
        ),
        &[],
    )?;
    let present: BTreeSet<i64> = present_rows
        .iter()
        .filter_map(|r| match r.first() {
            Some(crate::gap::target::Cell::Integer(i)) => Some(*i),
            Some(crate::gap::target::Cell::Text(s)) => s.parse().ok(),
            _ => None,
        })
        .collect();
    let late: Vec<Skip> = present
        .iter()
        .filter_map(|s| by_seq.get(s))
        .map(|c| Skip::of(&c.booking, "a row with the same key exists".into()))
        .collect();
    let expected = planned.insert.len() - present.len();
    let s_cols: Vec<String> = qcols.iter().map(|c| format!("s.{c}")).collect();
    let conflict_clause = match d {
        Dialect::Postgres | Dialect::Sqlite => " ON CONFLICT DO NOTHING",
        Dialect::Mysql => "",
    };
    let insert = format!(
        "INSERT INTO {target} ({}) SELECT {} FROM {staging} AS s WHERE NOT EXISTS (SELECT 1 \
         FROM {target} AS x WHERE {}) ORDER BY s.gapfill_seq{conflict_clause}",
        qcols.join(", "),
        s_cols.join(", "),
        key_join(d, &mapping.key, "x", "s"),
    );
    let inserted = match conn.execute(&insert, &[]) {
        Ok(n) => n as usize,
        Err(e) => {
            conn.batch("ROLLBACK TO SAVEPOINT gapfill_copy")?;
            return Err(diagnose(conn, &target, &qcols, planned, e));
        }
    };
    if inserted != expected {
        let e = conn.error(
            "insert check",
            &format!(
                "{inserted} rows were inserted where {expected} were expected (a unique \
                 constraint other than the key, or a concurrent writer): nothing was loaded"
            ),
        );
        // Without ON CONFLICT, the row another unique constraint skipped fails and is named.
        conn.batch("ROLLBACK TO SAVEPOINT gapfill_copy")?;
        return Err(diagnose(conn, &target, &qcols, planned, e));
    }
    // Ids of the inserted rows.
    let mut ids: BTreeMap<i64, String> = BTreeMap::new();
    let id_col = rows::id_column(mapping);
    if let Some(idc) = id_col {
        let got = conn.query(
            &format!(
                "SELECT s.gapfill_seq, {} FROM {staging} AS s JOIN {target} AS x ON {}",
                d.text_cast(&format!("x.{}", d.ident(idc))),
                key_join(d, &mapping.key, "x", "s")
            ),
            &[],
        )?;
        for r in got {
            let seq = match r.first() {
                Some(crate::gap::target::Cell::Integer(i)) => *i,
                Some(crate::gap::target::Cell::Text(s)) => s.parse().unwrap_or(-1),
                _ => -1,
            };
            if let Some(crate::gap::target::Cell::Text(id)) = r.get(1) {
                ids.insert(seq, id.clone());
            }
        }
    }
    let created = now_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    conn.execute(
        &format!(
            "INSERT INTO {} (batch_id, created_at, plan, input, input_sha256, target_table, \
             key_columns, id_column, rows_inserted, rows_present, gapfill_version) VALUES (?, ?, \
             ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            names.batches
        ),
        &[
            Val::Text(batch.to_string()),
            Val::Text(created),
            Val::Text(plan_path.display().to_string()),
            Val::Text(input.path.display().to_string()),
            Val::Text(input.sha256.clone()),
            Val::Text(mapping.table.clone()),
            Val::Text(serde_json::to_string(&mapping.key).unwrap_or_default()),
            id_col
                .map(|c| Val::Text(c.to_string()))
                .unwrap_or(Val::Null),
            Val::Int(inserted as i64),
            Val::Int((planned.present.len() + present.len()) as i64),
            Val::Text(env!("CARGO_PKG_VERSION").to_string()),
        ],
    )?;
    let audit: Vec<Vec<Val>> = planned
        .insert
        .iter()
        .filter(|c| !present.contains(&c.seq))
        .map(|c| {
            let key: Vec<String> = c
                .key
                .iter()
                .map(|v| v.as_text().unwrap_or_default())
                .collect();
            vec![
                Val::Text(batch.to_string()),
                Val::Int(c.seq),
                Val::Text(c.booking.recovered_id.clone()),
                Val::Text(c.booking.tenant.clone()),
                c.booking
                    .booking_ref
                    .clone()
                    .map(Val::Text)
                    .unwrap_or(Val::Null),
                Val::Text(serde_json::to_string(&key).unwrap_or_default()),
                ids.get(&c.seq).cloned().map(Val::Text).unwrap_or(Val::Null),
            ]
        })
        .collect();
    conn.bulk_insert(
        &names.batch_rows,
        &[
            "batch_id".into(),
            "seq".into(),
            "recovered_id".into(),
            "tenant".into(),
            "booking_ref".into(),
            "key_values".into(),
            "row_id".into(),
        ],
        &audit,
    )?;
    conn.batch("RELEASE SAVEPOINT gapfill_copy")?;
    conn.batch(&names.drop_work(&staging))?;
    Ok((inserted, late))
}

/// After a failed bulk step: inserts the rows one at a time (each in a savepoint, all rolled
/// back by the caller) to find the booking the database refuses, and names it.
fn diagnose(
    conn: &mut Conn,
    target: &str,
    qcols: &[String],
    planned: &Planned,
    original: Error,
) -> Error {
    let d = conn.dialect();
    let marks = vec!["?"; qcols.len()].join(", ");
    let sql = format!(
        "INSERT INTO {target} ({}) VALUES ({marks})",
        qcols.join(", ")
    );
    for c in &planned.insert {
        if conn.batch("SAVEPOINT gapfill_row").is_err() {
            break;
        }
        let r = match d {
            // PostgreSQL binds parameters with strict types: literals take the column's type.
            Dialect::Postgres => {
                let lits: std::result::Result<Vec<String>, String> =
                    c.values.iter().map(|v| d.literal(v)).collect();
                match lits {
                    Ok(l) => conn.batch(&format!(
                        "INSERT INTO {target} ({}) VALUES ({})",
                        qcols.join(", "),
                        l.join(", ")
                    )),
                    Err(m) => Err(conn.error("value", &m)),
                }
            }
            _ => conn.execute(&sql, &c.values).map(|_| ()),
        };
        match r {
            Ok(()) => {
                let _ = conn.batch("RELEASE SAVEPOINT gapfill_row");
            }
            Err(e) => {
                let _ = conn.batch("ROLLBACK TO SAVEPOINT gapfill_row");
                let detail = match &e {
                    Error::Database { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                return Error::Database {
                    what: conn.what(),
                    message: format!(
                        "{} was refused by the database, so the whole batch was rolled back \
                         and nothing was loaded: {detail}",
                        booking_name(
                            &c.booking.recovered_id,
                            &c.booking.tenant,
                            c.booking.booking_ref.as_deref()
                        )
                    ),
                };
            }
        }
    }
    match original {
        Error::Database { what, message } => Error::Database {
            what,
            message: format!("{message}; the whole batch was rolled back, nothing was loaded"),
        },
        e => e,
    }
}

pub struct UndoOptions {
    pub batch: String,
    pub plan: Option<PathBuf>,
    pub database_url: Option<String>,
    pub apply: bool,
}

/// One row a batch inserted, as recorded.
struct Recorded {
    recovered_id: String,
    tenant: String,
    booking_ref: Option<String>,
    key: Vec<String>,
    row_id: Option<String>,
}

fn cell_text(c: Option<&crate::gap::target::Cell>) -> Option<String> {
    match c {
        Some(crate::gap::target::Cell::Text(s)) => Some(s.clone()),
        Some(crate::gap::target::Cell::Integer(i)) => Some(i.to_string()),
        _ => None,
    }
}

/// Runs `gapfill undo`: lists (dry run) or deletes (`apply`) exactly the rows one batch
/// inserted, matched by their recorded key and id, in one transaction.
pub fn undo(opts: &UndoOptions) -> Result<String> {
    if !valid_batch_id(&opts.batch) {
        return Err(Error::Pipeline(format!(
            "`{}` is not a gapfill batch id",
            opts.batch
        )));
    }
    let url = match &opts.plan {
        Some(p) => super::database_url(&Plan::load(p)?, opts.database_url.as_deref())?,
        None => match &opts.database_url {
            Some(u) => DbUrl::parse(u)?,
            None => {
                let v = std::env::var(super::url::DEFAULT_URL_ENV).map_err(|_| {
                    Error::Pipeline(
                        "no database: pass --plan PLAN or --database-url, or set DATABASE_URL"
                            .into(),
                    )
                })?;
                DbUrl::parse(&v)?
            }
        },
    };
    let access = if opts.apply {
        Access::ReadWrite
    } else {
        Access::ReadOnly
    };
    let mut conn = Conn::connect(&url, access)?;
    let d = conn.dialect();
    let names = Names::new(d);
    let batch = Val::Text(opts.batch.clone());
    let info = conn.query(
        &format!(
            "SELECT target_table, key_columns, id_column, rows_inserted, undone_at FROM {} WHERE \
             batch_id = ?",
            names.batches
        ),
        std::slice::from_ref(&batch),
    )?;
    let info = info.first().ok_or_else(|| {
        conn.error(
            "undo",
            &format!("no batch {} in the audit table", opts.batch),
        )
    })?;
    let table = cell_text(info.first()).unwrap_or_default();
    let keys: Vec<String> = cell_text(info.get(1))
        .and_then(|k| serde_json::from_str(&k).ok())
        .unwrap_or_default();
    let id_col = cell_text(info.get(2));
    if let Some(u) = cell_text(info.get(4)) {
        return Err(conn.error(
            "undo",
            &format!("batch {} was already undone at {u}", opts.batch),
        ));
    }
    if !is_table_identifier(&table)
        || keys.is_empty()
        || !keys.iter().all(|k| is_plain_identifier(k))
        || !id_col.as_deref().is_none_or(is_plain_identifier)
    {
        return Err(conn.error("undo", "the audit record names no valid table and key"));
    }
    let recorded: Vec<Recorded> = conn
        .query(
            &format!(
                "SELECT recovered_id, tenant, booking_ref, key_values, row_id FROM {} WHERE \
                 batch_id = ? ORDER BY seq",
                names.batch_rows
            ),
            std::slice::from_ref(&batch),
        )?
        .iter()
        .map(|r| Recorded {
            recovered_id: cell_text(r.first()).unwrap_or_default(),
            tenant: cell_text(r.get(1)).unwrap_or_default(),
            booking_ref: cell_text(r.get(2)),
            key: cell_text(r.get(3))
                .and_then(|k| serde_json::from_str(&k).ok())
                .unwrap_or_default(),
            row_id: cell_text(r.get(4)),
        })
        .collect();
    let target = d.ident(&table);
    // Which recorded rows are still there (one scan of the table, compared as text).
    let mut match_cols: Vec<String> = keys.clone();
    let with_id = id_col.as_ref().filter(|c| !keys.contains(c)).cloned();
    if let Some(c) = &with_id {
        match_cols.push(c.clone());
    }
    let idx_id = id_col
        .as_ref()
        .and_then(|c| match_cols.iter().position(|m| m == c));
    let scan: BTreeSet<Vec<String>> = conn
        .query(
            &format!(
                "SELECT {} FROM {target}",
                match_cols
                    .iter()
                    .map(|c| d.text_cast(&d.ident(c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &[],
        )?
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| cell_text(Some(c)).unwrap_or_default())
                .collect()
        })
        .collect();
    let row_match = |r: &Recorded| -> Option<Vec<Val>> {
        let mut v: Vec<String> = r.key.clone();
        if with_id.is_some() {
            v.push(r.row_id.clone()?);
        }
        if let Some(i) = idx_id {
            if v.get(i) != r.row_id.as_ref() {
                return None;
            }
        }
        scan.contains(&v)
            .then(|| v.into_iter().map(Val::Text).collect())
    };
    let mut there = Vec::new();
    let mut gone = Vec::new();
    for r in &recorded {
        match row_match(r) {
            Some(v) => there.push((r, v)),
            None => gone.push(r),
        }
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "batch {} in {} ({}): {} rows recorded, {} still in {table}",
        opts.batch,
        url.redacted(),
        d.name(),
        recorded.len(),
        there.len()
    );
    for r in &gone {
        let _ = writeln!(
            text,
            "  not found (changed or deleted since; left alone): {}",
            booking_name(&r.recovered_id, &r.tenant, r.booking_ref.as_deref())
        );
    }
    if !opts.apply {
        for (r, _) in &there {
            let _ = writeln!(
                text,
                "  would delete {}",
                booking_name(&r.recovered_id, &r.tenant, r.booking_ref.as_deref())
            );
        }
        let _ = writeln!(
            text,
            "dry run: nothing was changed. Run again with --apply to delete these {} rows in one \
             transaction.",
            there.len()
        );
        return Ok(text);
    }
    conn.batch(d.begin())?;
    let r = (|| -> Result<u64> {
        let work = names.work("undo", &opts.batch);
        let qm: Vec<String> = match_cols.iter().map(|c| d.ident(c)).collect();
        conn.batch(&names.create_work(&work, &qm.join(", "), &target))?;
        let vals: Vec<Vec<Val>> = there.iter().map(|(_, v)| v.clone()).collect();
        conn.bulk_insert(&work, &match_cols, &vals)?;
        let on = key_join(d, &match_cols, "x", "u");
        let sql = match d {
            Dialect::Postgres => format!("DELETE FROM {target} AS x USING {work} AS u WHERE {on}"),
            Dialect::Mysql => format!("DELETE x FROM {target} AS x JOIN {work} AS u ON {on}"),
            Dialect::Sqlite => format!(
                "DELETE FROM {target} WHERE EXISTS (SELECT 1 FROM {work} AS u WHERE {})",
                key_join(d, &match_cols, &target, "u")
            ),
        };
        let n = conn.execute(&sql, &[])?;
        if n != there.len() as u64 {
            return Err(conn.error(
                "undo",
                &format!(
                    "{n} rows matched where {} were expected: nothing was deleted",
                    there.len()
                ),
            ));
        }
        conn.execute(
            &format!(
                "UPDATE {} SET undone_at = ? WHERE batch_id = ?",
                names.batches
            ),
            &[
                Val::Text(now_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                batch.clone(),
            ],
        )?;
        conn.batch(&names.drop_work(&work))?;
        Ok(n)
    })();
    match r {
        Ok(n) => {
            conn.batch("COMMIT")?;
            let _ = writeln!(text, "deleted {n} rows, committed.");
            Ok(text)
        }
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}
