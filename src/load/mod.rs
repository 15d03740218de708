//! Load: the recovered bookings back into the restored database, safely.
//!
//! - `gapfill load` reads the reviewed `bookings.csv`, diffs it against the database through the
//!   target mapping (the same gap diff as `recover`), and prints the plan: rows to insert per
//!   tenant, rows skipped because the database has them, conflicts. It changes nothing unless
//!   given `--apply`; then everything happens in one transaction ([`apply`]).
//! - `gapfill undo BATCH` removes exactly the rows one batch inserted ([`apply::undo`]).
//! - `gapfill sql` writes the same inserts as a reviewable `.sql` file ([`file`]).
//!
//! Insert-only: gapfill never updates, deletes, truncates or drops anything it did not create
//! (its own staging tables, and with `undo` the rows of its own batch).

pub mod apply;
pub mod db;
pub mod file;
pub mod input;
pub mod rows;
pub mod sql;
pub mod url;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::gap::{self, Existing, TargetMapping};
use crate::plan::Plan;
use crate::rebuild::Booking;
use sql::{Dialect, Val};
use url::{DbUrl, DEFAULT_URL_ENV};

/// The database URL: `given` (`--database-url`), else the plan's `url_env` variable (default
/// `DATABASE_URL`), else, for a SQLite plan, its `path`. For a SQLite plan the environment is
/// only read when `url_env` names a variable, so a `DATABASE_URL` meant for another database is
/// not picked up by accident.
pub fn database_url(plan: &Plan, given: Option<&str>) -> Result<DbUrl> {
    let db = plan.database.as_ref();
    let kind = db.and_then(|d| Dialect::from_kind(&d.kind));
    let url = if let Some(g) = given {
        DbUrl::parse(g)?
    } else {
        let var = db
            .and_then(|d| d.url_env.clone())
            .unwrap_or_else(|| DEFAULT_URL_ENV.to_string());
        let explicit_env = db.is_some_and(|d| d.url_env.is_some());
        let from_env = std::env::var(&var).ok().filter(|v| !v.trim().is_empty());
        match (kind, from_env, db.and_then(|d| d.path.as_ref())) {
            (Some(Dialect::Sqlite), env, path) if !explicit_env || env.is_none() => match path {
                Some(p) => DbUrl::sqlite_file(plan.resolve(p)),
                None => {
                    return Err(Error::Config {
                        path: plan.path.clone(),
                        message: "[database] kind = \"sqlite\" needs `path`".into(),
                    })
                }
            },
            (_, Some(v), _) => DbUrl::parse(&v)?,
            (_, None, _) => {
                return Err(Error::Config {
                    path: plan.path.clone(),
                    message: format!(
                        "no database URL: set the environment variable {var} (e.g. \
                         postgres://user@host/db; a password there never lands in shell \
                         history) or pass --database-url"
                    ),
                })
            }
        }
    };
    if let Some(k) = kind {
        if k != url.dialect {
            return Err(Error::Config {
                path: plan.path.clone(),
                message: format!(
                    "[database] kind is {} but the URL {} is {}",
                    k.name(),
                    url.redacted(),
                    url.dialect.name()
                ),
            });
        }
    }
    Ok(url)
}

/// Opens a transaction that cannot write (the dry run and the gap diff).
pub fn read_only_begin(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "BEGIN TRANSACTION READ ONLY",
        Dialect::Mysql => "START TRANSACTION READ ONLY",
        Dialect::Sqlite => "BEGIN",
    }
}

/// The target mapping of the plan's `[database]`.
pub fn plan_mapping(plan: &Plan) -> Result<TargetMapping> {
    let db = plan.database.as_ref().ok_or_else(|| Error::Config {
        path: plan.path.clone(),
        message: "the plan has no [database]: loading needs its `mapping` (the target schema)"
            .into(),
    })?;
    TargetMapping::load(&plan.resolve(&db.mapping))
}

/// Where the bookings to load come from: `given` (`--bookings`), else the reviewed
/// `bookings.csv` in the output folder, else a fresh recovery (the same deterministic run as
/// `gapfill recover`, which writes that file first).
pub fn bookings_file(plan_path: &Path, plan: &Plan, given: Option<&Path>) -> Result<PathBuf> {
    if let Some(g) = given {
        return Ok(g.to_path_buf());
    }
    let out = plan.resolve(&plan.output).join("bookings.csv");
    if out.is_file() {
        return Ok(out);
    }
    eprintln!(
        "{} does not exist: running the recovery first (gapfill recover)",
        out.display()
    );
    let o = crate::pipeline::recover(
        plan_path,
        &crate::pipeline::Options {
            quiet: true,
            ..Default::default()
        },
    )?;
    Ok(o.out_dir.join("bookings.csv"))
}

/// One booking to insert.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub booking: Booking,
    /// Values for [`rows::columns`], the tenant column first.
    pub values: Vec<Val>,
    pub key: Vec<Val>,
    /// 1-based position in the input (staging order, audit order).
    pub seq: i64,
}

/// A booking that is not inserted, and why.
#[derive(Debug, Clone)]
pub struct Skip {
    pub recovered_id: String,
    pub tenant: String,
    pub booking_ref: Option<String>,
    pub reason: String,
}

impl Skip {
    fn of(b: &Booking, reason: String) -> Skip {
        Skip {
            recovered_id: b.recovered_id.clone(),
            tenant: b.tenant.clone(),
            booking_ref: b.booking_ref.clone(),
            reason,
        }
    }
}

/// Names a booking the way a person looks for it.
pub fn booking_name(recovered_id: &str, tenant: &str, booking_ref: Option<&str>) -> String {
    format!(
        "booking {recovered_id} (tenant {tenant}, booking_ref {})",
        booking_ref.unwrap_or("none")
    )
}

/// What a load would do.
#[derive(Debug, Default)]
pub struct Planned {
    pub insert: Vec<Candidate>,
    pub present: Vec<Skip>,
    pub conflicts: Vec<Skip>,
    pub warnings: Vec<String>,
}

/// Decides each booking: insert, present (the database has it: same reference, or same
/// customer and days), or conflict (it cannot be written as it is). `tenant` gives the tenant
/// column's value for a slug; `existing` is `None` when no database is read (the `.sql` file).
pub fn plan_rows(
    bookings: &[Booking],
    mapping: &TargetMapping,
    plan: &Plan,
    existing: Option<&Existing>,
    tenant: &dyn Fn(&str) -> std::result::Result<Val, String>,
) -> Planned {
    let mut out = Planned::default();
    let cols = rows::columns(mapping);
    let key_pos = rows::key_positions(mapping);
    let mut keys: BTreeMap<Vec<Val>, String> = BTreeMap::new();
    let mut seq = 0;
    for b in bookings {
        let tz = plan
            .tenant(&b.tenant)
            .map(|t| t.tz())
            .unwrap_or(chrono_tz::UTC);
        let tv = match tenant(&b.tenant) {
            Ok(v) => v,
            Err(m) => {
                out.conflicts.push(Skip::of(b, m));
                continue;
            }
        };
        let rest = match rows::values(b, mapping, tz) {
            Ok(v) => v,
            Err(m) => {
                out.conflicts.push(Skip::of(b, m));
                continue;
            }
        };
        if let Some((row, on)) = existing.and_then(|e| gap::matching_row(b, e, plan)) {
            out.present.push(Skip::of(
                b,
                format!("the database has it: row {} (matched on {on})", row.row_key),
            ));
            continue;
        }
        let mut values = Vec::with_capacity(cols.len());
        values.push(tv);
        values.extend(rest);
        let key: Vec<Val> = key_pos.iter().map(|&i| values[i].clone()).collect();
        if let Some(i) = key.iter().position(|v| *v == Val::Null) {
            let col = key_pos.get(i).and_then(|&p| cols.get(p)).cloned();
            out.conflicts.push(Skip::of(
                b,
                format!(
                    "no value for key column `{}`: the row could not be told apart",
                    col.unwrap_or_default()
                ),
            ));
            continue;
        }
        if let Some(other) = keys.get(&key) {
            out.conflicts.push(Skip::of(
                b,
                format!("same key as booking {other} in the input"),
            ));
            continue;
        }
        keys.insert(key.clone(), b.recovered_id.clone());
        seq += 1;
        out.insert.push(Candidate {
            booking: b.clone(),
            values,
            key,
            seq,
        });
    }
    out
}

impl Planned {
    /// The plan as a person reads it: counts per tenant, then every skipped row and why.
    pub fn human(&self, plan: &Plan) -> String {
        let mut per: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
        for t in &plan.tenants {
            per.insert(&t.slug, [0; 3]);
        }
        for c in &self.insert {
            per.entry(&c.booking.tenant).or_default()[0] += 1;
        }
        for s in &self.present {
            per.entry(&s.tenant).or_default()[1] += 1;
        }
        for s in &self.conflicts {
            per.entry(&s.tenant).or_default()[2] += 1;
        }
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{:<28} {:>8} {:>8} {:>9}",
            "tenant", "insert", "present", "conflict"
        );
        let mut tot = [0; 3];
        for (t, n) in &per {
            let _ = writeln!(o, "{:<28} {:>8} {:>8} {:>9}", t, n[0], n[1], n[2]);
            for i in 0..3 {
                tot[i] += n[i];
            }
        }
        let _ = writeln!(
            o,
            "{:<28} {:>8} {:>8} {:>9}",
            "total", tot[0], tot[1], tot[2]
        );
        if !self.present.is_empty() {
            let _ = writeln!(o, "present (not inserted again):");
            for s in &self.present {
                let _ = writeln!(
                    o,
                    "  {}: {}",
                    booking_name(&s.recovered_id, &s.tenant, s.booking_ref.as_deref()),
                    s.reason
                );
            }
        }
        if !self.conflicts.is_empty() {
            let _ = writeln!(
                o,
                "conflicts (not loadable; fix or remove them in the bookings file):"
            );
            for s in &self.conflicts {
                let _ = writeln!(
                    o,
                    "  {}: {}",
                    booking_name(&s.recovered_id, &s.tenant, s.booking_ref.as_deref()),
                    s.reason
                );
            }
        }
        for w in &self.warnings {
            let _ = writeln!(o, "warning: {w}");
        }
        o
    }
}

/// The tenant column's value of each slug, as resolved in the database: exactly one value, or
/// a conflict.
pub fn tenant_resolver<'a>(
    tenants: &'a BTreeMap<String, Vec<crate::gap::SqlValue>>,
    mapping: &TargetMapping,
) -> impl Fn(&str) -> std::result::Result<Val, String> + 'a {
    let col = mapping.tenant.column.clone();
    move |slug: &str| match tenants.get(slug).map(Vec::as_slice) {
        Some([v]) => Ok(match v {
            crate::gap::SqlValue::Integer(i) => Val::Int(*i),
            crate::gap::SqlValue::Text(s) => Val::Text(s.clone()),
        }),
        Some([]) | None => Err(format!(
            "tenant `{slug}` has no {col} value in the database (lookup found no row)"
        )),
        Some(_) => Err(format!(
            "tenant `{slug}`: the lookup finds several {col} values; which one is meant?"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rebuild::Status;

    fn booking(id: &str, r: Option<&str>, name: &str) -> Booking {
        Booking {
            recovered_id: id.into(),
            tenant: "alpen-autos".into(),
            booking_ref: r.map(str::to_string),
            status: Status::Confirmed,
            customer_name: Some(name.into()),
            customer_email: None,
            customer_phone: None,
            vehicle: None,
            pickup_at: Some(1_781_074_800),
            return_at: Some(1_781_274_800),
            pickup_location: None,
            return_location: None,
            total: Some(12_345),
            currency: "EUR".into(),
            amount_paid: 12_345,
            amount_refunded: 0,
            booked_at: Some(1_780_074_800),
            confidence: 0.9,
            sources: vec![],
            provenance: BTreeMap::new(),
            field_confidence: BTreeMap::new(),
        }
    }

    #[test]
    fn plan_rows_sorts_out_conflicts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = crate::gap::tests::plan_in(dir.path());
        let mapping = TargetMapping::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/target/samples.toml"),
        )
        .expect("samples mapping");
        let bookings = vec![
            booking("a", Some("AA-1"), "Anna"),
            booking("b", Some("AA-2"), "Nul\0Byte"),
            booking("c", None, "No Ref"),
            booking("d", Some("AA-1"), "Twice"),
            Booking {
                tenant: "sunset-cars".into(),
                ..booking("e", Some("SC-1"), "Unknown tenant value")
            },
        ];
        let tenant = |slug: &str| match slug {
            "alpen-autos" => Ok(Val::Int(1)),
            _ => Err(format!("tenant `{slug}` has no value")),
        };
        let p = plan_rows(&bookings, &mapping, &plan, None, &tenant);
        assert_eq!(p.insert.len(), 1);
        assert_eq!(p.insert[0].key, vec![Val::Int(1), Val::Text("AA-1".into())]);
        assert_eq!(p.insert[0].values[2], Val::Text("booked".into()));
        // total_cents: minor units
        assert!(p.insert[0].values.contains(&Val::Int(12_345)));
        let reasons: BTreeMap<&str, &str> = p
            .conflicts
            .iter()
            .map(|s| (s.recovered_id.as_str(), s.reason.as_str()))
            .collect();
        assert!(reasons["b"].contains("NUL"), "{reasons:?}");
        assert!(reasons["c"].contains("confirmation_code"), "{reasons:?}");
        assert!(
            reasons["d"].contains("same key as booking a"),
            "{reasons:?}"
        );
        assert!(reasons["e"].contains("no value"), "{reasons:?}");
        assert!(p.human(&plan).contains("conflicts"));
    }
}
