//! Reads the bookings of a restored SQLite database through a [`TargetMapping`].
//!
//! The file is opened read-only and never created: gapfill must not change the database it
//! compares against (a missing file is a wrong path in the plan, not an empty database).

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::target::{self, Cell, ColumnMapping, Conversion, RecoveredField, SqlValue, TenantFill};
use super::{Existing, ExistingRow, TargetMapping};
use crate::error::{Error, Result};
use crate::plan::Plan;

/// Reads every booking row of the plan's tenants. Tenants the database does not know, and
/// values that cannot be converted, become warnings in [`Existing::warnings`].
pub fn read_sqlite(db: &Path, mapping: &TargetMapping, plan: &Plan) -> Result<Existing> {
    let conn = open_read_only(db)?;
    let mut existing = Existing::default();
    let tenants = resolve_tenants(&conn, db, mapping, plan, &mut existing.warnings)?;
    if !tenants.is_empty() {
        read_rows(&conn, db, mapping, plan, &tenants, &mut existing)?;
    }
    Ok(existing)
}

fn db_error(db: &Path, message: String) -> Error {
    Error::Database {
        what: db.display().to_string(),
        message,
    }
}

fn open_read_only(db: &Path) -> Result<Connection> {
    match std::fs::metadata(db) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(db_error(db, "is not a file".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(db_error(
                db,
                "no such file: the restored SQLite database must exist (gapfill opens it \
                 read-only and never creates it)"
                    .into(),
            ))
        }
        Err(e) => return Err(Error::io(db, e)),
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(db, flags)
        .map_err(|e| db_error(db, format!("cannot open read-only: {e}")))?;
    // SQLite reads a double-quoted name that matches no column as a string literal: a mapped
    // column missing from the schema would then read as its own name on every row instead of
    // failing. Turning that legacy behaviour off makes it a "no such column" error.
    for c in [
        DbConfig::SQLITE_DBCONFIG_DQS_DML,
        DbConfig::SQLITE_DBCONFIG_DQS_DDL,
    ] {
        conn.set_db_config(c, false)
            .map_err(|e| db_error(db, format!("cannot configure the connection: {e}")))?;
    }
    Ok(conn)
}

/// Tenant column value (canonical form) → tenant slug, for the plan's tenants the mapping can
/// place.
type TenantValues = BTreeMap<String, (String, SqlValue)>;

fn resolve_tenants(
    conn: &Connection,
    db: &Path,
    mapping: &TargetMapping,
    plan: &Plan,
    warnings: &mut Vec<String>,
) -> Result<TenantValues> {
    let mut out = TenantValues::new();
    for t in &plan.tenants {
        let values = match &mapping.tenant.fill {
            TenantFill::Literal(map) => match map.get(&t.slug) {
                Some(v) => vec![v.clone()],
                None => {
                    warnings.push(format!(
                        "tenant `{}`: {} has no [tenant.values] entry for it: no existing \
                         bookings are read for it",
                        t.slug,
                        mapping.path.display()
                    ));
                    continue;
                }
            },
            TenantFill::Lookup(query) => lookup_tenant(conn, db, query, &t.slug, warnings)?,
        };
        for v in values {
            if let Some((other, _)) = out.get(&v.canonical()) {
                return Err(db_error(
                    db,
                    format!(
                        "tenants `{other}` and `{}` both have {} = {v}: their bookings cannot be \
                         told apart",
                        t.slug, mapping.tenant.column
                    ),
                ));
            }
            out.insert(v.canonical(), (t.slug.clone(), v));
        }
    }
    Ok(out)
}

/// Runs the mapping's lookup for one slug. No row is a warning (the tenant may be new since
/// the backup); several rows are all used, with a warning, so no existing booking is missed.
fn lookup_tenant(
    conn: &Connection,
    db: &Path,
    query: &str,
    slug: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<SqlValue>> {
    let fail = |e: rusqlite::Error| db_error(db, format!("tenant lookup `{query}`: {e}"));
    let mut stmt = conn.prepare(query).map_err(fail)?;
    let mut rows = stmt.query([slug]).map_err(fail)?;
    let mut values = Vec::new();
    while let Some(row) = rows.next().map_err(fail)? {
        match tenant_value(&cell(row.get_ref(0).map_err(fail)?)) {
            Some(v) => values.push(v),
            None => warnings.push(format!(
                "tenant `{slug}`: the lookup returned a value that is not an integer or text"
            )),
        }
    }
    match values.len() {
        0 => warnings.push(format!(
            "tenant `{slug}`: `{query}` finds no row in {}: no existing bookings are read for it",
            db.display()
        )),
        1 => {}
        n => warnings.push(format!(
            "tenant `{slug}`: `{query}` finds {n} rows; the bookings of all of them are read"
        )),
    }
    Ok(values)
}

pub(super) fn tenant_value(c: &Cell) -> Option<SqlValue> {
    match c {
        Cell::Integer(i) => Some(SqlValue::Integer(*i)),
        Cell::Text(s) => Some(SqlValue::Text(s.clone())),
        Cell::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e15 => Some(SqlValue::Integer(*r as i64)),
        _ => None,
    }
}

/// A driver value as a [`Cell`]; text that is not UTF-8 is kept as unreadable, not replaced,
/// so a damaged reference never matches by accident.
fn cell(v: ValueRef<'_>) -> Cell {
    match v {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(i) => Cell::Integer(i),
        ValueRef::Real(r) => Cell::Real(r),
        ValueRef::Text(b) => match std::str::from_utf8(b) {
            Ok(s) => Cell::Text(s.to_string()),
            Err(_) => Cell::Unreadable("text that is not UTF-8".into()),
        },
        ValueRef::Blob(b) => Cell::Unreadable(format!("a blob of {} bytes", b.len())),
    }
}

/// `"name"` or `"schema"."name"`; identifiers were checked to be plain when the mapping was
/// loaded, so quoting only guards against reserved words (and string-literal fallback is off,
/// see [`open_read_only`]).
fn quote(ident: &str) -> String {
    ident
        .split('.')
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(".")
}

/// One SELECT of the tenant column and the mapped columns, for the resolved tenants only,
/// ordered by the key so that rows (and warnings) come in the same order every run.
fn select_sql(mapping: &TargetMapping, n_tenants: usize) -> String {
    let cols: Vec<String> = std::iter::once(mapping.tenant.column.as_str())
        .chain(mapping.columns.iter().map(|c| c.column.as_str()))
        .map(quote)
        .collect();
    let marks = vec!["?"; n_tenants].join(", ");
    let order: Vec<String> = mapping.key.iter().map(|k| quote(k)).collect();
    format!(
        "SELECT {} FROM {} WHERE {} IN ({marks}) ORDER BY {}",
        cols.join(", "),
        quote(&mapping.table),
        quote(&mapping.tenant.column),
        order.join(", ")
    )
}

fn read_rows(
    conn: &Connection,
    db: &Path,
    mapping: &TargetMapping,
    plan: &Plan,
    tenants: &TenantValues,
    existing: &mut Existing,
) -> Result<()> {
    let sql = select_sql(mapping, tenants.len());
    let fail = |e: rusqlite::Error| {
        db_error(
            db,
            format!(
                "reading `{}` with the mapping {}: {e}",
                mapping.table,
                mapping.path.display()
            ),
        )
    };
    let mut stmt = conn.prepare(&sql).map_err(fail)?;
    let params: Vec<rusqlite::types::Value> = tenants
        .values()
        .map(|(_, v)| match v {
            SqlValue::Integer(i) => rusqlite::types::Value::Integer(*i),
            SqlValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
        })
        .collect();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(fail)?;
    let width = 1 + mapping.columns.len();
    while let Some(row) = rows.next().map_err(fail)? {
        let mut cells = Vec::with_capacity(width);
        for i in 0..width {
            cells.push(cell(row.get_ref(i).map_err(fail)?));
        }
        let Some((slug, _)) = tenant_value(&cells[0]).and_then(|v| tenants.get(&v.canonical()))
        else {
            continue;
        };
        let tenant = plan.tenant(slug);
        let tz = tenant.map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
        let currency = tenant.map(|t| t.currency.as_str()).unwrap_or("");
        let (row, warnings) = convert_row(mapping, slug, &cells, tz, currency);
        existing.warnings.extend(warnings);
        existing.add(row, tz);
    }
    Ok(())
}

/// Converts one row. A value that cannot be converted is left empty with a warning: the row is
/// still kept, because whatever else it says (its reference, its customer) still marks a
/// booking the database has.
pub(super) fn convert_row(
    mapping: &TargetMapping,
    slug: &str,
    cells: &[Cell],
    tz: chrono_tz::Tz,
    tenant_currency: &str,
) -> (ExistingRow, Vec<String>) {
    let cols: Vec<(&ColumnMapping, &Cell)> = mapping.columns.iter().zip(&cells[1..]).collect();
    let key = row_key(mapping, cells);
    let mut warnings = Vec::new();
    let mut warn = |c: &ColumnMapping, e: String| {
        warnings.push(format!(
            "{} row {key}: column {} ({}): {e}",
            mapping.table, c.column, c.field
        ))
    };
    let mut row = ExistingRow {
        tenant: slug.to_string(),
        row_key: key.clone(),
        ..Default::default()
    };
    // Currency first: decimal amounts need its exponent.
    for (c, v) in &cols {
        if c.field == RecoveredField::Currency {
            match target::read_text(v) {
                Ok(cur) => row.currency = cur.map(|s| s.to_ascii_uppercase()),
                Err(e) => warn(c, e),
            }
        }
    }
    let currency = row.currency.clone();
    let exponent = currency
        .as_deref()
        .and_then(crate::extract::amounts::exponent)
        .or_else(|| crate::extract::amounts::exponent(tenant_currency))
        .unwrap_or(2);
    for (c, v) in &cols {
        let result = match &c.conversion {
            Conversion::Currency => Ok(()),
            Conversion::Text => target::read_text(v).map(|t| set_text(&mut row, c.field, t)),
            Conversion::Status(voc) => voc.read(v).map(|s| row.status = s),
            Conversion::Amount(a) => {
                target::read_amount(*a, v, exponent).map(|m| set_amount(&mut row, c.field, m))
            }
            Conversion::Timestamp(t) => {
                target::read_timestamp(*t, v, tz).map(|ts| set_time(&mut row, c.field, ts))
            }
        };
        if let Err(e) = result {
            warn(c, e);
        }
    }
    (row, warnings)
}

/// `company_id=1, confirmation_code=AB12`: what a person needs to find the row.
fn row_key(mapping: &TargetMapping, cells: &[Cell]) -> String {
    mapping
        .key
        .iter()
        .map(|k| {
            let i = if *k == mapping.tenant.column {
                Some(0)
            } else {
                mapping
                    .columns
                    .iter()
                    .position(|c| c.column == *k)
                    .map(|p| p + 1)
            };
            let v = i
                .and_then(|i| cells.get(i))
                .map(Cell::to_string)
                .unwrap_or_default();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn set_text(row: &mut ExistingRow, f: RecoveredField, v: Option<String>) {
    match f {
        RecoveredField::BookingRef => row.booking_ref = v,
        RecoveredField::CustomerName => row.customer_name = v,
        RecoveredField::CustomerEmail => row.customer_email = v,
        RecoveredField::CustomerPhone => row.customer_phone = v,
        RecoveredField::Vehicle => row.vehicle = v,
        RecoveredField::PickupLocation => row.pickup_location = v,
        RecoveredField::ReturnLocation => row.return_location = v,
        _ => {}
    }
}

fn set_amount(row: &mut ExistingRow, f: RecoveredField, v: Option<i64>) {
    match f {
        RecoveredField::TotalAmount => row.total = v,
        RecoveredField::AmountPaid => row.amount_paid = v,
        RecoveredField::AmountRefunded => row.amount_refunded = v,
        _ => {}
    }
}

fn set_time(row: &mut ExistingRow, f: RecoveredField, v: Option<i64>) {
    match f {
        RecoveredField::PickupAt => row.pickup_at = v,
        RecoveredField::ReturnAt => row.return_at = v,
        RecoveredField::BookedAt => row.booked_at = v,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gap::tests::{plan_with, ts};
    use crate::gap::{classify, GapDecision};
    use crate::rebuild::{Booking, Status};
    use std::path::PathBuf;

    const SCHEMA: &str = "
CREATE TABLE companies (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
CREATE TABLE bookings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  company_id INTEGER NOT NULL REFERENCES companies(id),
  confirmation_code TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('booked','canceled')),
  customer_name TEXT NOT NULL, customer_email TEXT, customer_phone TEXT, vehicle TEXT,
  pickup_at TEXT NOT NULL,
  return_at TEXT NOT NULL,
  pickup_location TEXT, return_location TEXT,
  total_cents INTEGER, currency TEXT NOT NULL,
  paid_cents INTEGER NOT NULL DEFAULT 0, refunded_cents INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  UNIQUE (company_id, confirmation_code)
);
INSERT INTO companies VALUES (1, 'alpen-autos', 'Alpen Autos GmbH'),
  (2, 'sunset-cars', 'Sunset Cars LLC'), (3, 'other-co', 'Other Co');
INSERT INTO bookings (company_id, confirmation_code, status, customer_name, customer_email,
  customer_phone, vehicle, pickup_at, return_at, pickup_location, return_location, total_cents,
  currency, paid_cents, refunded_cents, created_at) VALUES
 (1, 'AA-1001', 'booked', 'Jürgen Müller', 'j.mueller@example.de', '+49 89 1234567',
  'VW Golf', '2026-06-10T07:00:00Z', '2026-06-14T21:30:00Z', 'München Hbf', 'München Hbf',
  45000, 'EUR', 45000, 0, '2026-05-20T10:00:00Z'),
 (1, 'AA-1002', 'canceled', 'Anna Schmidt', NULL, NULL, 'BMW 320d', '2026-06-20T08:00:00Z',
  '2026-06-22T08:00:00Z', 'Flughafen', 'Flughafen', 30000, 'EUR', 10000, 10000,
  '2026-05-25T16:45:00Z'),
 (2, 'SC-501', 'booked', 'Mary O''Neil', 'mary@example.com', NULL, 'Ford Mustang',
  '2026-05-31T23:00:00Z', '2026-06-03T15:00:00Z', 'LAX', 'LAX', 52050, 'usd', 52050, 0,
  '2026-05-30T12:00:00Z'),
 (3, 'OC-1', 'booked', 'Nobody', NULL, NULL, NULL, '2026-06-01T10:00:00Z',
  '2026-06-02T10:00:00Z', NULL, NULL, 1000, 'EUR', 0, 0, '2026-05-01T10:00:00Z');
";

    /// The samples' database with one more alpen-autos row whose time is not RFC 3339 (the
    /// CHECK on status is dropped for it by a second table copy would be overkill: the bad
    /// value is in a time column instead).
    fn build_db(dir: &Path) -> PathBuf {
        let path = dir.join("restored.sqlite");
        let conn = Connection::open(&path).expect("create test db");
        conn.execute_batch(SCHEMA).expect("schema");
        conn.execute(
            "INSERT INTO bookings (company_id, confirmation_code, status, customer_name, \
             pickup_at, return_at, total_cents, currency, created_at) VALUES \
             (1, 'AA-1003', 'booked', 'Karl Weber', '10.06.2026 09:00', '2026-06-12T09:00:00Z', \
             'n/a', 'EUR', '2026-05-28T09:00:00Z')",
            [],
        )
        .expect("bad row");
        path
    }

    fn samples_mapping() -> TargetMapping {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/target/samples.toml");
        TargetMapping::load(&p).expect("samples mapping")
    }

    const NEU_MOBIL: &str = r#"
[[tenants]]
slug = "neu-mobil"
name = "Neu Mobil"
timezone = "Europe/Vienna"
currency = "EUR"
"#;

    fn booking(tenant: &str, r: Option<&str>, booked_at: &str) -> Booking {
        Booking {
            recovered_id: format!("rec-{tenant}-{r:?}"),
            tenant: tenant.into(),
            booking_ref: r.map(str::to_string),
            status: Status::Confirmed,
            customer_name: None,
            customer_email: None,
            customer_phone: None,
            vehicle: None,
            pickup_at: None,
            return_at: None,
            pickup_location: None,
            return_location: None,
            total: None,
            currency: "EUR".into(),
            amount_paid: 0,
            amount_refunded: 0,
            booked_at: Some(ts(booked_at)),
            confidence: 0.9,
            sources: vec![],
            provenance: Default::default(),
            field_confidence: Default::default(),
        }
    }

    #[test]
    fn reads_rows_of_plan_tenants_with_lookup() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = plan_with(dir.path(), NEU_MOBIL);
        let db = build_db(dir.path());
        let ex = read_sqlite(&db, &samples_mapping(), &plan).expect("read");

        let refs: Vec<(&str, &str)> = ex
            .rows()
            .iter()
            .map(|r| (r.tenant.as_str(), r.booking_ref.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            refs,
            vec![
                ("alpen-autos", "AA-1001"),
                ("alpen-autos", "AA-1002"),
                ("alpen-autos", "AA-1003"),
                ("sunset-cars", "SC-501"),
            ],
            "other-co is not in the plan and is not read"
        );
        let r1 = &ex.rows()[0];
        assert_eq!(r1.status, Some(Status::Confirmed));
        assert_eq!(r1.customer_name.as_deref(), Some("Jürgen Müller"));
        assert_eq!(r1.customer_phone.as_deref(), Some("+49 89 1234567"));
        assert_eq!(r1.pickup_at, Some(ts("2026-06-10T07:00:00Z")));
        assert_eq!(r1.booked_at, Some(ts("2026-05-20T10:00:00Z")));
        assert_eq!(r1.total, Some(45000));
        assert_eq!(r1.row_key, "company_id=1, confirmation_code='AA-1001'");
        let r2 = &ex.rows()[1];
        assert_eq!(r2.status, Some(Status::Cancelled));
        assert_eq!(
            (r2.amount_paid, r2.amount_refunded),
            (Some(10000), Some(10000))
        );
        assert_eq!(r2.customer_email, None);
        assert_eq!(ex.rows()[3].currency.as_deref(), Some("USD"));

        // The broken row is kept (its reference still counts) with one warning per bad value.
        let r3 = &ex.rows()[2];
        assert_eq!((r3.pickup_at, r3.total), (None, None));
        assert_eq!(r3.return_at, Some(ts("2026-06-12T09:00:00Z")));
        let row_warnings: Vec<&String> = ex
            .warnings
            .iter()
            .filter(|w| w.starts_with("bookings row company_id=1, confirmation_code='AA-1003'"))
            .collect();
        assert_eq!(row_warnings.len(), 2, "{:?}", ex.warnings);
        assert!(row_warnings[0].contains("column pickup_at (pickup_at)"));
        assert!(row_warnings[1].contains("column total_cents (total_amount)"));

        let tenant_warnings: Vec<&String> = ex
            .warnings
            .iter()
            .filter(|w| w.starts_with("tenant `neu-mobil`"))
            .collect();
        assert_eq!(tenant_warnings.len(), 1, "{:?}", ex.warnings);
        assert!(tenant_warnings[0].contains("finds no row"));
        assert_eq!(ex.warnings.len(), 3);
    }

    #[test]
    fn classify_against_the_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = plan_with(dir.path(), NEU_MOBIL);
        let db = build_db(dir.path());
        let ex = read_sqlite(&db, &samples_mapping(), &plan).expect("read");
        let already = |on: &str| GapDecision::AlreadyInDatabase {
            matched_on: on.into(),
        };

        let b = booking("alpen-autos", Some(" aa-10 03"), "2026-06-05T10:00:00Z");
        assert_eq!(classify(&b, &ex, &plan), already("booking_ref"));

        // Sunset Cars row: picked up 2026-05-31 19:00 and returned 2026-06-03 11:00 New York
        // time; the evidence has other hours on the same New York days and no reference.
        let mut b = booking("sunset-cars", None, "2026-06-02T10:00:00Z");
        b.customer_name = Some("Mary ONeil".into());
        b.pickup_at = Some(ts("2026-05-31T14:00:00Z"));
        b.return_at = Some(ts("2026-06-03T20:00:00Z"));
        assert_eq!(classify(&b, &ex, &plan), already("customer+dates"));

        let b = booking("alpen-autos", Some("AA-2001"), "2026-07-01T08:00:00Z");
        assert_eq!(classify(&b, &ex, &plan), GapDecision::Recovered);
        // other-co's ref in another tenant does not match.
        let b = booking("neu-mobil", Some("OC-1"), "2026-07-01T08:00:00Z");
        assert_eq!(classify(&b, &ex, &plan), GapDecision::Recovered);
        let b = booking("alpen-autos", Some("AA-0999"), "2026-05-01T08:00:00Z");
        assert_eq!(classify(&b, &ex, &plan), GapDecision::BookedBeforeWindow);
        let b = booking("alpen-autos", Some("AA-3000"), "2026-09-02T08:00:00Z");
        assert_eq!(classify(&b, &ex, &plan), GapDecision::BookedAfterWindow);
        let mut b = booking("alpen-autos", Some("AA-3001"), "2026-07-01T08:00:00Z");
        b.booked_at = None;
        assert_eq!(classify(&b, &ex, &plan), GapDecision::UnknownBookedAt);
    }

    #[test]
    fn literal_tenant_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = plan_with(dir.path(), "");
        let db = build_db(dir.path());
        let text = std::fs::read_to_string(samples_mapping().path).expect("samples text");
        let text = text.replace(
            "fill = \"lookup\"\nquery = \"SELECT id FROM companies WHERE slug = ?\"",
            "fill = \"literal\"\n[tenant.values]\nalpen-autos = \"1\"",
        );
        let mapping =
            TargetMapping::parse(&text, Path::new("literal.toml")).expect("literal mapping");
        let ex = read_sqlite(&db, &mapping, &plan).expect("read");
        assert_eq!(
            ex.len(),
            3,
            "only alpen-autos rows (text '1' matches integer 1)"
        );
        assert!(ex.rows().iter().all(|r| r.tenant == "alpen-autos"));
        assert_eq!(ex.warnings.len(), 3, "{:?}", ex.warnings);
        assert!(ex.warnings[0].starts_with("tenant `sunset-cars`: literal.toml has no"));
    }

    #[test]
    fn read_only_open_leaves_the_file_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = plan_with(dir.path(), NEU_MOBIL);
        let db = build_db(dir.path());
        let before = std::fs::read(&db).expect("bytes before");
        let listing = |d: &Path| {
            let mut v: Vec<_> = std::fs::read_dir(d)
                .expect("list")
                .filter_map(|e| e.ok().map(|e| e.file_name()))
                .collect();
            v.sort();
            v
        };
        let files_before = listing(dir.path());
        read_sqlite(&db, &samples_mapping(), &plan).expect("read");
        assert_eq!(std::fs::read(&db).expect("bytes after"), before);
        assert_eq!(
            listing(dir.path()),
            files_before,
            "no journal or WAL left behind"
        );
    }

    #[test]
    fn missing_file_is_an_error_naming_the_path_and_is_not_created() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = plan_with(dir.path(), "");
        let db = dir.path().join("no-such-backup.sqlite");
        let err = read_sqlite(&db, &samples_mapping(), &plan)
            .expect_err("missing db")
            .to_string();
        assert!(err.contains(&db.display().to_string()), "{err}");
        assert!(err.contains("no such file"), "{err}");
        assert!(!db.exists());
    }

    #[test]
    fn wrong_column_is_an_error_naming_db_and_mapping() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = plan_with(dir.path(), "");
        let db = build_db(dir.path());
        let text = std::fs::read_to_string(samples_mapping().path).expect("samples text");
        let text = text.replace("vehicle = \"vehicle\"", "vehicle = \"car_model\"");
        let mapping = TargetMapping::parse(&text, Path::new("wrong.toml")).expect("parses");
        let err = read_sqlite(&db, &mapping, &plan)
            .expect_err("no such column")
            .to_string();
        assert!(err.contains("restored.sqlite"), "{err}");
        assert!(err.contains("wrong.toml"), "{err}");
        assert!(err.contains("car_model"), "{err}");
    }

    #[test]
    fn select_binds_tenants_and_orders_by_key() {
        let sql = select_sql(&samples_mapping(), 2);
        assert!(sql.starts_with("SELECT \"company_id\", \"confirmation_code\", \"status\""));
        assert!(sql.ends_with(
            "FROM \"bookings\" WHERE \"company_id\" IN (?, ?) \
             ORDER BY \"company_id\", \"confirmation_code\""
        ));
    }
}
