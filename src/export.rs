//! Outputs: `bookings.csv`, `tenants/<slug>/bookings.csv`, `review.csv`, `rejected.csv`,
//! `summary.json`. Every file is written to a temporary file in the output folder and then
//! renamed, so a crash never leaves a half-written CSV that looks complete.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, TimeZone};

use crate::error::{Error, Result};
use crate::evidence::{Evidence, Rejected};
use crate::extract::amounts::exponent;
use crate::plan::Plan;
use crate::rebuild::Booking;
use crate::report::Summary;

/// The columns of `bookings.csv`, in order.
pub const BOOKING_COLUMNS: [&str; 21] = [
    "recovered_id",
    "tenant",
    "booking_ref",
    "status",
    "customer_name",
    "customer_email",
    "customer_phone",
    "vehicle",
    "pickup_at",
    "return_at",
    "pickup_location",
    "return_location",
    "total_amount",
    "currency",
    "amount_paid",
    "amount_refunded",
    "booked_at",
    "confidence",
    "sources",
    "provenance",
    "field_confidence",
];

/// One line of `review.csv`: an evidence item that joined no booking, or a booking a person
/// should check.
#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub what: &'static str,
    pub id: String,
    pub tenant: String,
    pub file: String,
    pub position: String,
    pub reason: String,
    pub details: String,
    /// Evidence copies this row stands for (duplicates merged into it).
    pub copies: usize,
}

impl ReviewRow {
    pub fn evidence(e: &Evidence, reason: &str, copies: usize) -> ReviewRow {
        let f = &e.fields;
        let mut d = vec![format!("kind={}", e.kind.as_str())];
        if let Some(v) = &f.booking_ref {
            d.push(format!("ref={v}"));
        }
        if let Some(v) = &f.customer_name {
            d.push(format!("name={v}"));
        }
        if let Some(v) = &f.customer_email {
            d.push(format!("email={v}"));
        }
        if let Some(v) = f.pickup_at {
            d.push(format!("pickup={}", utc(v)));
        }
        if let Some(v) = f.amount_paid.or(f.total) {
            d.push(format!("amount={v}"));
        }
        ReviewRow {
            what: "evidence",
            id: e.id.clone(),
            tenant: e.tenant.as_deref().unwrap_or_default().to_string(),
            file: e.file.to_string(),
            position: e.position.clone(),
            reason: reason.to_string(),
            details: d.join(" "),
            copies,
        }
    }

    pub fn booking(b: &Booking, reason: &str) -> ReviewRow {
        ReviewRow {
            what: "booking",
            id: b.recovered_id.clone(),
            tenant: b.tenant.clone(),
            file: String::new(),
            position: String::new(),
            reason: reason.to_string(),
            details: format!("sources={}", b.sources.join(";")),
            copies: 0,
        }
    }

    pub fn is_evidence(&self) -> bool {
        self.what == "evidence"
    }
}

fn utc(ts: i64) -> String {
    chrono::Utc
        .timestamp_opt(ts, 0)
        .single()
        .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// RFC 3339 in the tenant's zone (`2026-03-14T10:00:00+01:00`).
pub fn local_time(ts: i64, tz: chrono_tz::Tz) -> String {
    tz.timestamp_opt(ts, 0)
        .single()
        .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, false))
        .unwrap_or_default()
}

/// Minor units → decimal string with the currency's exponent (12345 EUR → `123.45`).
pub fn decimal(minor: i64, currency: &str) -> String {
    let exp = exponent(currency).unwrap_or(2);
    if exp == 0 {
        return minor.to_string();
    }
    let p = 10i64.pow(exp);
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        m / p as u64,
        m % p as u64,
        width = exp as usize
    )
}

fn booking_record(b: &Booking, plan: &Plan) -> Vec<String> {
    let tz = plan
        .tenant(&b.tenant)
        .map(|t| t.tz())
        .unwrap_or(chrono_tz::UTC);
    let t = |v: Option<i64>| v.map(|v| local_time(v, tz)).unwrap_or_default();
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        b.recovered_id.clone(),
        b.tenant.clone(),
        s(&b.booking_ref),
        b.status.as_str().to_string(),
        s(&b.customer_name),
        s(&b.customer_email),
        s(&b.customer_phone),
        s(&b.vehicle),
        t(b.pickup_at),
        t(b.return_at),
        s(&b.pickup_location),
        s(&b.return_location),
        b.total.map(|v| decimal(v, &b.currency)).unwrap_or_default(),
        b.currency.clone(),
        decimal(b.amount_paid, &b.currency),
        decimal(b.amount_refunded, &b.currency),
        t(b.booked_at),
        format!("{:.3}", b.confidence),
        b.sources.join(";"),
        serde_json::to_string(&b.provenance).unwrap_or_default(),
        serde_json::to_string(&b.field_confidence).unwrap_or_default(),
    ]
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let err = |e: std::io::Error| Error::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// A CSV file being written to a temporary file next to its destination; [`CsvOut::finish`]
/// renames it into place, so a reader never sees half a file and rows are never all held in
/// memory.
struct CsvOut {
    path: PathBuf,
    w: csv::Writer<std::io::BufWriter<tempfile::NamedTempFile>>,
}

impl CsvOut {
    fn create(path: PathBuf, header: &[&str]) -> Result<CsvOut> {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| output_err(&path, e))?;
        let mut out = CsvOut {
            path,
            w: csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 16, tmp)),
        };
        out.row(header)?;
        Ok(out)
    }

    fn row<I, T>(&mut self, record: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let path = &self.path;
        self.w.write_record(record).map_err(|e| output_err(path, e))
    }

    fn finish(self) -> Result<()> {
        let path = self.path;
        let buf = self
            .w
            .into_inner()
            .map_err(|e| output_err(&path, e.error()))?;
        let tmp = buf.into_inner().map_err(|e| output_err(&path, e.error()))?;
        tmp.as_file().sync_all().map_err(|e| output_err(&path, e))?;
        tmp.persist(&path).map_err(|e| output_err(&path, e.error))?;
        Ok(())
    }
}

/// The error for an output file that cannot be written.
fn output_err(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Writes every output file of a run.
pub fn write_all(
    out: &Path,
    plan: &Plan,
    bookings: &[Booking],
    review: &mut [ReviewRow],
    rejected: &[Rejected],
    summary: &Summary,
) -> Result<()> {
    // bookings come sorted by tenant: each row is rendered once, into bookings.csv and into
    // its tenant's file, which is finished when the next tenant starts
    let tenant_file = |slug: &str| {
        CsvOut::create(
            out.join("tenants").join(slug).join("bookings.csv"),
            &BOOKING_COLUMNS,
        )
    };
    let mut all = CsvOut::create(out.join("bookings.csv"), &BOOKING_COLUMNS)?;
    let mut current: Option<(&str, CsvOut)> = None;
    let mut written: BTreeSet<&str> = BTreeSet::new();
    for b in bookings {
        let record = booking_record(b, plan);
        if current.as_ref().is_none_or(|(t, _)| *t != b.tenant) {
            if let Some((_, f)) = current.take() {
                f.finish()?;
            }
            if !written.insert(&b.tenant) {
                return Err(Error::Pipeline(format!(
                    "bookings of tenant {} are not contiguous",
                    b.tenant
                )));
            }
            current = Some((&b.tenant, tenant_file(&b.tenant)?));
        }
        if let Some((_, f)) = current.as_mut() {
            f.row(&record)?;
        }
        all.row(&record)?;
    }
    if let Some((_, f)) = current.take() {
        f.finish()?;
    }
    all.finish()?;
    for t in &plan.tenants {
        if !written.contains(t.slug.as_str()) {
            tenant_file(&t.slug)?.finish()?;
        }
    }
    review.sort_by(|a, b| {
        (a.what, &a.tenant, &a.id, &a.file, &a.position).cmp(&(
            b.what,
            &b.tenant,
            &b.id,
            &b.file,
            &b.position,
        ))
    });
    let mut f = CsvOut::create(
        out.join("review.csv"),
        &[
            "what", "id", "tenant", "file", "position", "reason", "details", "copies",
        ],
    )?;
    for r in review.iter() {
        let copies = r.copies.to_string();
        f.row([
            r.what,
            r.id.as_str(),
            r.tenant.as_str(),
            r.file.as_str(),
            r.position.as_str(),
            r.reason.as_str(),
            r.details.as_str(),
            copies.as_str(),
        ])?;
    }
    f.finish()?;
    let mut f = CsvOut::create(
        out.join("rejected.csv"),
        &["source", "file", "position", "reason"],
    )?;
    for r in rejected {
        f.row([
            r.source.as_str(),
            r.file.as_str(),
            r.position.as_str(),
            r.reason.as_str(),
        ])?;
    }
    f.finish()?;
    let mut json =
        serde_json::to_vec_pretty(summary).map_err(|e| Error::Pipeline(e.to_string()))?;
    json.push(b'\n');
    write_atomic(&out.join("summary.json"), &json)?;
    Ok(())
}
