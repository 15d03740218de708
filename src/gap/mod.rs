//! Gap: which rebuilt bookings are the lost ones.
//!
//! The restored database holds everything up to T0 (`plan.window.since`) in the platform's own
//! schema. A rebuilt booking is *recovered* when it was made after T0 and up to T1 and the
//! database does not already have it. "Already has it" is checked first and by two keys: the
//! booking reference, or the same customer with the same pick-up and return days, because a
//! booking made just before T0 (or one whose reference the evidence lacks) must not be loaded a
//! second time. Only then does the booking date decide.

mod remote;
mod sqlite;
pub mod target;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate};

use crate::evidence::Timestamp;
use crate::plan::Plan;
use crate::rebuild::{Booking, Status};

pub use remote::{read_conn, Resolved};
pub use sqlite::read_sqlite;
pub use target::{
    AmountConversion, ColumnMapping, Conversion, IdStrategy, RecoveredField, SqlValue,
    StatusVocabulary, TargetMapping, TenantColumn, TenantFill, TimestampConversion,
};

/// Reads what the plan's `[database]` already has: the SQLite file read-only, or a PostgreSQL
/// or MariaDB server (URL from the environment, see [`crate::load::database_url`]) inside a
/// read-only transaction.
pub fn read_existing(plan: &Plan, db: &crate::plan::Database) -> crate::Result<Existing> {
    let mapping = TargetMapping::load(&plan.resolve(&db.mapping))?;
    let dialect = crate::load::sql::Dialect::from_kind(&db.kind);
    if dialect == Some(crate::load::sql::Dialect::Sqlite) {
        let path = db.path.as_ref().ok_or_else(|| crate::Error::Config {
            path: plan.path.clone(),
            message: "[database] needs `path` (the restored SQLite file)".into(),
        })?;
        return read_sqlite(&plan.resolve(path), &mapping, plan);
    }
    let url = crate::load::database_url(plan, None)?;
    let mut conn = crate::load::db::Conn::connect(&url, crate::load::db::Access::ReadOnly)?;
    conn.batch(crate::load::read_only_begin(conn.dialect()))?;
    let r = read_conn(&mut conn, &mapping, plan);
    conn.batch("ROLLBACK")?;
    Ok(r?.existing)
}

/// What the gap stage decided for one rebuilt booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GapDecision {
    /// Made in the window and not in the restored database: this is a lost booking.
    Recovered,
    /// The restored database has it; `matched_on` is `booking_ref` or `customer+dates`.
    AlreadyInDatabase { matched_on: String },
    /// Made at or before T0: the backup has it or never had it for a reason of its own.
    BookedBeforeWindow,
    /// Made after T1: the live system has it.
    BookedAfterWindow,
    /// No evidence says when it was made: a person has to decide.
    UnknownBookedAt,
}

/// A booking row of the restored database, converted back to recovered-field terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExistingRow {
    /// Tenant slug (the tenant column's value, mapped back).
    pub tenant: String,
    /// The row's key columns and values (`company_id=1, confirmation_code=AB12`), for messages.
    pub row_key: String,
    pub booking_ref: Option<String>,
    pub status: Option<Status>,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub vehicle: Option<String>,
    pub pickup_at: Option<Timestamp>,
    pub return_at: Option<Timestamp>,
    pub pickup_location: Option<String>,
    pub return_location: Option<String>,
    /// Minor units.
    pub total: Option<i64>,
    pub currency: Option<String>,
    pub amount_paid: Option<i64>,
    pub amount_refunded: Option<i64>,
    pub booked_at: Option<Timestamp>,
}

/// (tenant, customer key, pick-up day, return day), days in the tenant's zone.
type CustomerDatesKey = (String, String, NaiveDate, NaiveDate);

/// The bookings the restored database already has, indexed the two ways [`classify`] asks.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    rows: Vec<ExistingRow>,
    /// (tenant, normalized ref) → row.
    by_ref: BTreeMap<(String, String), usize>,
    /// Each row is indexed under its e-mail key and its name key (when it has them).
    by_customer_dates: BTreeMap<CustomerDatesKey, Vec<usize>>,
    /// Things the run should mention but that do not stop it (a tenant not in the database,
    /// a row whose value could not be read).
    pub warnings: Vec<String>,
}

impl Existing {
    /// Adds a row; `tz` is its tenant's zone (days are compared as the business sees them).
    pub fn add(&mut self, row: ExistingRow, tz: chrono_tz::Tz) {
        let i = self.rows.len();
        if let Some(r) = row.booking_ref.as_deref().and_then(normalize_ref) {
            self.by_ref.entry((row.tenant.clone(), r)).or_insert(i);
        }
        if let Some((p, r)) = days(row.pickup_at, row.return_at, tz) {
            let keys = [
                row.customer_email.as_deref().and_then(email_key),
                row.customer_name.as_deref().and_then(name_key),
            ];
            for k in keys.into_iter().flatten() {
                self.by_customer_dates
                    .entry((row.tenant.clone(), k, p, r))
                    .or_default()
                    .push(i);
            }
        }
        self.rows.push(row);
    }

    /// Rows in the order they were read.
    pub fn rows(&self) -> &[ExistingRow] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row with this tenant and reference (compared normalized).
    pub fn find_by_ref(&self, tenant: &str, booking_ref: &str) -> Option<&ExistingRow> {
        let r = normalize_ref(booking_ref)?;
        self.by_ref
            .get(&(tenant.to_string(), r))
            .and_then(|&i| self.rows.get(i))
    }

    /// The row of the same customer with the same pick-up and return days.
    ///
    /// The customer is the e-mail address when there is one, else the name. A name match is
    /// refused when both sides have e-mail addresses and they differ: two people of the same
    /// name renting on the same days is rare, but a different address says it happened.
    pub fn find_by_customer_dates(&self, b: &Booking, tz: chrono_tz::Tz) -> Option<&ExistingRow> {
        let (p, r) = days(b.pickup_at, b.return_at, tz)?;
        let lookup = |k: String| {
            self.by_customer_dates
                .get(&(b.tenant.clone(), k, p, r))
                .map(Vec::as_slice)
                .unwrap_or(&[])
        };
        let email = b.customer_email.as_deref().and_then(email_key);
        if let Some(e) = &email {
            if let Some(&i) = lookup(e.clone()).first() {
                return self.rows.get(i);
            }
        }
        let name = b.customer_name.as_deref().and_then(name_key)?;
        lookup(name)
            .iter()
            .filter_map(|&i| self.rows.get(i))
            .find(|row| {
                let row_email = row.customer_email.as_deref().and_then(email_key);
                match (&email, row_email) {
                    (Some(a), Some(b)) => *a == b,
                    _ => true,
                }
            })
    }
}

/// Decides one booking. The database match comes first: a booking the database has is never
/// recovered again, whatever its date says.
pub fn classify(b: &Booking, existing: &Existing, plan: &Plan) -> GapDecision {
    if let Some((_, matched_on)) = matching_row(b, existing, plan) {
        return GapDecision::AlreadyInDatabase {
            matched_on: matched_on.to_string(),
        };
    }
    match b.booked_at {
        None => GapDecision::UnknownBookedAt,
        Some(t) if t <= plan.window.since.timestamp() => GapDecision::BookedBeforeWindow,
        Some(t) if t > plan.window.until.timestamp() => GapDecision::BookedAfterWindow,
        Some(_) => GapDecision::Recovered,
    }
}

/// The database row a booking matches and on what (`booking_ref` or `customer+dates`).
pub fn matching_row<'a>(
    b: &Booking,
    existing: &'a Existing,
    plan: &Plan,
) -> Option<(&'a ExistingRow, &'static str)> {
    if let Some(row) = b
        .booking_ref
        .as_deref()
        .and_then(|r| existing.find_by_ref(&b.tenant, r))
    {
        return Some((row, "booking_ref"));
    }
    let tz = plan
        .tenant(&b.tenant)
        .map(|t| t.tz())
        .unwrap_or(chrono_tz::UTC);
    existing
        .find_by_customer_dates(b, tz)
        .map(|row| (row, "customer+dates"))
}

/// References compare without surrounding or inner spaces and without case
/// (`ab 12-34` = `AB12-34`): mails and calendars write them as people typed them.
pub fn normalize_ref(r: &str) -> Option<String> {
    let n: String = r
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    (!n.is_empty()).then_some(n)
}

/// `email:` + the address in lower case.
fn email_key(e: &str) -> Option<String> {
    let e = e.trim().to_lowercase();
    (!e.is_empty()).then(|| format!("email:{e}"))
}

/// `name:` + the name's words, accents folded, lower case, sorted: `Müller, Hans` and
/// `hans MULLER` are one customer. Apostrophes and dots join (`O'Brien` = `OBrien`); any other
/// non-letter separates words.
pub fn name_key(name: &str) -> Option<String> {
    let folded = deunicode::deunicode(name).to_lowercase();
    let mut cleaned = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_ascii_lowercase() {
            cleaned.push(c);
        } else if c != '\'' && c != '.' {
            cleaned.push(' ');
        }
    }
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    words.sort_unstable();
    (!words.is_empty()).then(|| format!("name:{}", words.join(" ")))
}

/// Pick-up and return days in the tenant's zone; both are needed.
fn days(
    pickup: Option<Timestamp>,
    ret: Option<Timestamp>,
    tz: chrono_tz::Tz,
) -> Option<(NaiveDate, NaiveDate)> {
    let day =
        |t: Timestamp| DateTime::from_timestamp(t, 0).map(|d| d.with_timezone(&tz).date_naive());
    Some((day(pickup?)?, day(ret?)?))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::Path;

    /// A plan with a Berlin and a New York tenant, window 2026-06-01 .. 2026-09-01 (UTC).
    pub(crate) fn plan_in(dir: &Path) -> Plan {
        plan_with(dir, "")
    }

    /// [`plan_in`] with more `[[tenants]]` appended.
    pub(crate) fn plan_with(dir: &Path, extra_tenants: &str) -> Plan {
        let base = r#"
[window]
since = "2026-06-01T00:00:00Z"
until = "2026-09-01T00:00:00Z"

[[tenants]]
slug = "alpen-autos"
name = "Alpen Autos GmbH"
timezone = "Europe/Berlin"
currency = "EUR"

[[tenants]]
slug = "sunset-cars"
name = "Sunset Cars LLC"
timezone = "America/New_York"
currency = "USD"
"#;
        let path = dir.join("recovery.toml");
        std::fs::write(&path, format!("{base}{extra_tenants}")).expect("write plan");
        Plan::load(&path).expect("plan loads")
    }

    pub(crate) fn ts(s: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(s)
            .expect("test timestamp")
            .timestamp()
    }

    fn booking(tenant: &str) -> Booking {
        Booking {
            recovered_id: "rec-1".into(),
            tenant: tenant.into(),
            booking_ref: None,
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
            booked_at: Some(ts("2026-07-01T09:00:00Z")),
            confidence: 0.9,
            sources: vec![],
            provenance: BTreeMap::new(),
            field_confidence: BTreeMap::new(),
        }
    }

    fn existing() -> Existing {
        let mut e = Existing::default();
        e.add(
            ExistingRow {
                tenant: "alpen-autos".into(),
                row_key: "company_id=1, confirmation_code=AA-1001".into(),
                booking_ref: Some("AA-1001".into()),
                customer_name: Some("Jürgen Müller".into()),
                customer_email: Some("j.mueller@example.de".into()),
                // 2026-06-10 09:00 and 2026-06-14 23:30 Berlin time.
                pickup_at: Some(ts("2026-06-10T07:00:00Z")),
                return_at: Some(ts("2026-06-14T21:30:00Z")),
                ..Default::default()
            },
            chrono_tz::Europe::Berlin,
        );
        e.add(
            ExistingRow {
                tenant: "alpen-autos".into(),
                row_key: "company_id=1, confirmation_code=AA-1002".into(),
                booking_ref: Some("AA-1002".into()),
                customer_name: Some("Anna Schmidt".into()),
                pickup_at: Some(ts("2026-06-20T08:00:00Z")),
                return_at: Some(ts("2026-06-22T08:00:00Z")),
                ..Default::default()
            },
            chrono_tz::Europe::Berlin,
        );
        e
    }

    fn already(on: &str) -> GapDecision {
        GapDecision::AlreadyInDatabase {
            matched_on: on.into(),
        }
    }

    #[test]
    fn ref_match_is_normalized_and_per_tenant() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = plan_in(dir.path());
        let e = existing();
        let mut b = booking("alpen-autos");
        b.booking_ref = Some(" aa-10 01 ".into());
        assert_eq!(classify(&b, &e, &plan), already("booking_ref"));
        b.tenant = "sunset-cars".into();
        assert_eq!(classify(&b, &e, &plan), GapDecision::Recovered);
    }

    #[test]
    fn customer_and_days_match_in_tenant_zone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = plan_in(dir.path());
        let e = existing();
        let mut b = booking("alpen-autos");
        b.booking_ref = Some("NEW-77".into());
        b.customer_email = Some("J.Mueller@Example.DE ".into());
        // Other hours, same Berlin days (the row returns 2026-06-14 23:30 Berlin = 21:30 UTC).
        b.pickup_at = Some(ts("2026-06-10T15:00:00Z"));
        b.return_at = Some(ts("2026-06-14T20:00:00Z"));
        assert_eq!(classify(&b, &e, &plan), already("customer+dates"));

        // Same customer by name only (accents, order, case differ).
        b.customer_email = None;
        b.customer_name = Some("MUELLER, Jurgen".into());
        assert_eq!(
            classify(&b, &e, &plan),
            GapDecision::Recovered,
            "Müller folds to Muller, not Mueller"
        );
        b.customer_name = Some("muller jurgen".into());
        assert_eq!(classify(&b, &e, &plan), already("customer+dates"));

        // A different e-mail address on both sides refuses the name match.
        b.customer_email = Some("someone.else@example.com".into());
        assert_eq!(classify(&b, &e, &plan), GapDecision::Recovered);

        // Another return day is another booking.
        b.customer_email = None;
        b.return_at = Some(ts("2026-06-15T08:00:00Z"));
        assert_eq!(classify(&b, &e, &plan), GapDecision::Recovered);
    }

    #[test]
    fn window_decisions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = plan_in(dir.path());
        let e = existing();
        let mut b = booking("alpen-autos");
        b.booking_ref = Some("AA-2000".into());
        b.booked_at = Some(ts("2026-06-01T00:00:00Z"));
        assert_eq!(classify(&b, &e, &plan), GapDecision::BookedBeforeWindow);
        b.booked_at = Some(ts("2026-06-01T00:00:01Z"));
        assert_eq!(classify(&b, &e, &plan), GapDecision::Recovered);
        b.booked_at = Some(ts("2026-09-01T00:00:00Z"));
        assert_eq!(classify(&b, &e, &plan), GapDecision::Recovered);
        b.booked_at = Some(ts("2026-09-01T00:00:01Z"));
        assert_eq!(classify(&b, &e, &plan), GapDecision::BookedAfterWindow);
        b.booked_at = None;
        assert_eq!(classify(&b, &e, &plan), GapDecision::UnknownBookedAt);
    }

    #[test]
    fn database_match_comes_before_the_window() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = plan_in(dir.path());
        let e = existing();
        let mut b = booking("alpen-autos");
        b.booking_ref = Some("AA-1002".into());
        b.booked_at = None;
        assert_eq!(classify(&b, &e, &plan), already("booking_ref"));
        b.booked_at = Some(ts("2026-05-01T00:00:00Z"));
        assert_eq!(classify(&b, &e, &plan), already("booking_ref"));
    }

    #[test]
    fn keys() {
        assert_eq!(normalize_ref(" ab 12\t-34 ").as_deref(), Some("AB12-34"));
        assert_eq!(normalize_ref("   "), None);
        assert_eq!(
            name_key("Müller, Hans-Peter").as_deref(),
            Some("name:hans muller peter")
        );
        assert_eq!(
            name_key("Seán O'Brien").as_deref(),
            Some("name:obrien sean")
        );
        assert_eq!(name_key("--"), None);
    }
}
