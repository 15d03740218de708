//! `gapfill sql`: the load as a reviewable `.sql` file for psql, mysql/mariadb or sqlite3.
//!
//! One transaction, nothing but INSERTs, each insert-if-absent on the mapping's key
//! (PostgreSQL: `ON CONFLICT DO NOTHING`, which relies on a unique constraint over the key;
//! MariaDB/MySQL and SQLite: `INSERT … SELECT … WHERE NOT EXISTS`, which needs none). The file
//! stops at the first error (`\set ON_ERROR_STOP on`, `.bail on`, the mysql client's default),
//! so a failed insert leaves the transaction uncommitted. Every value is a literal written by
//! [`Dialect::literal`]; the tenant column is the mapping's lookup as a subselect, or its
//! literal. Writing the file reads no database.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::db::MYSQL_SQL_MODE;
use super::input::read_bookings;
use super::sql::{Dialect, Val};
use super::{booking_name, rows, Candidate};
use crate::error::{Error, Result};
use crate::gap::target::{SqlValue, TenantFill};
use crate::gap::TargetMapping;
use crate::plan::Plan;

pub struct SqlOptions {
    pub plan: PathBuf,
    pub bookings: Option<PathBuf>,
    pub dialect: Dialect,
    /// Default: `<output>/load-<dialect>.sql`.
    pub out: Option<PathBuf>,
}

/// Text safe inside a `--` comment (no line break can end it early).
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Writes the file; returns its path and a one-line summary.
pub fn write_sql(opts: &SqlOptions) -> Result<(PathBuf, String)> {
    let plan = Plan::load(&opts.plan)?;
    let mapping = super::plan_mapping(&plan)?;
    let file = super::bookings_file(&opts.plan, &plan, opts.bookings.as_deref())?;
    let input = read_bookings(&file, &plan)?;
    let d = opts.dialect;
    let tenant = |slug: &str| -> std::result::Result<Val, String> {
        match &mapping.tenant.fill {
            TenantFill::Lookup(_) => Ok(Val::Text(slug.to_string())),
            TenantFill::Literal(m) => match m.get(slug) {
                Some(SqlValue::Integer(i)) => Ok(Val::Int(*i)),
                Some(SqlValue::Text(s)) => Ok(Val::Text(s.clone())),
                None => Err(format!("[tenant.values] has no value for `{slug}`")),
            },
        }
    };
    let planned = super::plan_rows(&input.bookings, &mapping, &plan, None, &tenant);
    let mut o = String::new();
    let _ = writeln!(o, "-- gapfill: insert-only load of recovered bookings");
    let _ = writeln!(
        o,
        "-- dialect: {}; table: {}; mapping: {}",
        d.name(),
        mapping.table,
        comment(&mapping.path.display().to_string())
    );
    let _ = writeln!(
        o,
        "-- input: {} ({} bookings, sha256 {})",
        comment(&input.path.display().to_string()),
        input.bookings.len(),
        input.sha256
    );
    let _ = writeln!(
        o,
        "-- {} inserts, each only if no row with the same key ({}) exists; {} bookings left \
         out (listed at the end).",
        planned.insert.len(),
        mapping.key.join(", "),
        planned.conflicts.len()
    );
    match d {
        Dialect::Postgres => {
            let _ = writeln!(
                o,
                "-- Run: psql -d DATABASE -f FILE   (stops at the first error; nothing is \
                 committed then)\n-- Insert-if-absent is ON CONFLICT DO NOTHING: it needs a \
                 unique constraint on ({}).",
                mapping.key.join(", ")
            );
            o.push_str("\\set ON_ERROR_STOP on\n");
            o.push_str("SET client_encoding = 'UTF8';\n");
            o.push_str("SET standard_conforming_strings = on;\n");
            o.push_str("SET TimeZone = 'UTC';\n");
        }
        Dialect::Mysql => {
            o.push_str(
                "-- Run: mariadb DATABASE < FILE   (or mysql; stops at the first error, and the \
                 open transaction is rolled back)\n",
            );
            o.push_str("SET NAMES utf8mb4;\n");
            let _ = writeln!(o, "{MYSQL_SQL_MODE};");
            o.push_str("SET time_zone = '+00:00';\n");
        }
        Dialect::Sqlite => {
            o.push_str("-- Run: sqlite3 DATABASE < FILE   (.bail on: stops at the first error)\n");
            o.push_str(".bail on\n");
            o.push_str("PRAGMA foreign_keys = ON;\n");
        }
    }
    let _ = writeln!(
        o,
        "{};",
        match d {
            Dialect::Sqlite => "BEGIN",
            other => other.begin(),
        }
    );
    let cols = rows::columns(&mapping);
    let qcols: Vec<String> = cols.iter().map(|c| d.ident(c)).collect();
    let target = d.ident(&mapping.table);
    let fail = |c: &Candidate, m: String| Error::Config {
        path: input.path.clone(),
        message: format!(
            "{}: {m}",
            booking_name(
                &c.booking.recovered_id,
                &c.booking.tenant,
                c.booking.booking_ref.as_deref()
            )
        ),
    };
    let mut pg_rows: Vec<(String, String)> = Vec::new();
    for c in &planned.insert {
        let mut lits = Vec::with_capacity(c.values.len());
        for (i, v) in c.values.iter().enumerate() {
            let lit = if i == 0 {
                tenant_expr(d, &mapping, &c.booking.tenant).map_err(|m| fail(c, m))?
            } else {
                d.literal(v).map_err(|m| fail(c, m))?
            };
            lits.push(lit);
        }
        let note = comment(&format!(
            "{} {} {}",
            c.booking.recovered_id,
            c.booking.tenant,
            c.booking.booking_ref.as_deref().unwrap_or("")
        ));
        match d {
            Dialect::Postgres => pg_rows.push((format!("  ({})", lits.join(", ")), note)),
            _ => {
                let key_pos = rows::key_positions(&mapping);
                let cond: Vec<String> = key_pos
                    .iter()
                    .map(|&p| format!("{} = {}", qcols[p], lits[p]))
                    .collect();
                let from = if d == Dialect::Mysql {
                    " FROM DUAL"
                } else {
                    ""
                };
                let _ = writeln!(
                    o,
                    "-- {note}\nINSERT INTO {target} ({}) SELECT {}{from} WHERE NOT EXISTS \
                     (SELECT 1 FROM {target} WHERE {});",
                    qcols.join(", "),
                    lits.join(", "),
                    cond.join(" AND ")
                );
            }
        }
    }
    if d == Dialect::Postgres {
        for chunk in pg_rows.chunks(500) {
            let _ = writeln!(o, "INSERT INTO {target} ({}) VALUES", qcols.join(", "));
            for (i, (vals, note)) in chunk.iter().enumerate() {
                // The comma goes before the comment, which runs to the end of the line.
                let sep = if i + 1 < chunk.len() { "," } else { "" };
                let _ = writeln!(o, "{vals}{sep} -- {note}");
            }
            o.push_str("ON CONFLICT DO NOTHING;\n");
        }
    }
    o.push_str("COMMIT;\n");
    for s in &planned.conflicts {
        let _ = writeln!(
            o,
            "-- left out: {}: {}",
            comment(&booking_name(
                &s.recovered_id,
                &s.tenant,
                s.booking_ref.as_deref()
            )),
            comment(&s.reason)
        );
    }
    let path = opts.out.clone().unwrap_or_else(|| {
        plan.resolve(&plan.output)
            .join(format!("load-{}.sql", d.name()))
    });
    crate::export::write_atomic(&path, o.as_bytes())?;
    let summary = format!(
        "{}: {} inserts for {} ({} bookings left out: see the end of the file)",
        path.display(),
        planned.insert.len(),
        d.name(),
        planned.conflicts.len()
    );
    Ok((path, summary))
}

/// The tenant column's SQL: the lookup as a subselect, or the literal.
fn tenant_expr(
    d: Dialect,
    mapping: &TargetMapping,
    slug: &str,
) -> std::result::Result<String, String> {
    match &mapping.tenant.fill {
        TenantFill::Lookup(q) => Ok(format!("({})", d.bind_lookup(q, slug)?)),
        TenantFill::Literal(m) => match m.get(slug) {
            Some(SqlValue::Integer(i)) => Ok(i.to_string()),
            Some(SqlValue::Text(s)) => d.string_literal(s),
            None => Err(format!("[tenant.values] has no value for `{slug}`")),
        },
    }
}
