//! The bookings to load: the reviewed `bookings.csv` (what a DBA checked is exactly what is
//! loaded), read back into [`Booking`]s, with the file's sha256 for the audit record.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::DateTime;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::gap::target::{read_amount, AmountConversion, Cell};
use crate::plan::Plan;
use crate::rebuild::{Booking, Status};

/// The bookings of one input file.
#[derive(Debug)]
pub struct Input {
    pub path: PathBuf,
    /// sha256 of the file's bytes, hex (what `sha256sum` prints).
    pub sha256: String,
    pub bookings: Vec<Booking>,
}

/// The columns a load needs: the first 17 of `bookings.csv` (the booking itself; the
/// confidence and provenance columns after them are for the reviewer).
const REQUIRED: &[&str] = crate::export::BOOKING_COLUMNS.split_at(17).0;

/// Reads a `bookings.csv` written by `gapfill recover` (and perhaps edited by a reviewer: rows
/// removed, values corrected). Any row that cannot be read stops the load with its line: a
/// load must be all of the reviewed file or nothing.
pub fn read_bookings(path: &Path, plan: &Plan) -> Result<Input> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let bad = |line: u64, m: String| Error::Config {
        path: path.to_path_buf(),
        message: format!("line {line}: {m}"),
    };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice());
    let header = r.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let mut idx: BTreeMap<&str, usize> = BTreeMap::new();
    for &name in REQUIRED {
        match header.iter().position(|h| column_name(h) == name) {
            Some(i) => {
                idx.insert(name, i);
            }
            None => {
                return Err(bad(
                    1,
                    format!("no `{name}` column: not a gapfill bookings.csv"),
                ))
            }
        }
    }
    let optional = |name: &str| header.iter().position(|h| column_name(h) == name);
    let (conf_i, src_i, prov_i, fconf_i) = (
        optional("confidence"),
        optional("sources"),
        optional("provenance"),
        optional("field_confidence"),
    );
    let mut bookings = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            bad(line, e.to_string())
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |name: &str| -> Option<String> {
            idx.get(name)
                .and_then(|&i| rec.get(i))
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        let id = get("recovered_id").ok_or_else(|| bad(line, "empty recovered_id".into()))?;
        let bad_b = |m: String| bad(line, format!("booking {id}: {m}"));
        if let Some(prev) = seen.insert(id.clone(), line) {
            return Err(bad_b(format!(
                "recovered_id appears twice (also line {prev})"
            )));
        }
        let tenant = get("tenant").ok_or_else(|| bad_b("empty tenant".into()))?;
        let plan_tenant = plan
            .tenant(&tenant)
            .ok_or_else(|| bad_b(format!("tenant `{tenant}` is not in the plan")))?;
        let status = match get("status").as_deref() {
            Some("confirmed") => Status::Confirmed,
            Some("cancelled") => Status::Cancelled,
            other => {
                return Err(bad_b(format!(
                    "status {other:?} is neither `confirmed` nor `cancelled`"
                )))
            }
        };
        let currency = get("currency")
            .map(|c| c.to_ascii_uppercase())
            .unwrap_or_else(|| plan_tenant.currency.clone());
        let exponent = crate::extract::amounts::exponent(&currency)
            .ok_or_else(|| bad_b(format!("unknown currency `{currency}`")))?;
        let time = |name: &str| -> Result<Option<i64>> {
            match get(name) {
                None => Ok(None),
                Some(s) => DateTime::parse_from_rfc3339(s.trim())
                    .map(|d| Some(d.timestamp()))
                    .map_err(|_| bad_b(format!("{name} `{s}` is not an RFC 3339 time"))),
            }
        };
        let amount = |name: &str| -> Result<Option<i64>> {
            match get(name) {
                None => Ok(None),
                Some(s) => read_amount(AmountConversion::Decimal, &Cell::Text(s.clone()), exponent)
                    .map_err(|_| bad_b(format!("{name} `{s}` is not an amount in {currency}"))),
            }
        };
        let json_map = |i: Option<usize>| -> BTreeMap<String, String> {
            i.and_then(|i| rec.get(i))
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default()
        };
        let conf_map = |i: Option<usize>| -> BTreeMap<String, f32> {
            i.and_then(|i| rec.get(i))
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default()
        };
        bookings.push(Booking {
            recovered_id: id.clone(),
            tenant,
            booking_ref: get("booking_ref"),
            status,
            customer_name: get("customer_name"),
            customer_email: get("customer_email"),
            customer_phone: get("customer_phone"),
            vehicle: get("vehicle"),
            pickup_at: time("pickup_at")?,
            return_at: time("return_at")?,
            pickup_location: get("pickup_location"),
            return_location: get("return_location"),
            total: amount("total_amount")?,
            amount_paid: amount("amount_paid")?.unwrap_or(0),
            amount_refunded: amount("amount_refunded")?.unwrap_or(0),
            currency: currency.clone(),
            booked_at: time("booked_at")?,
            confidence: conf_i
                .and_then(|i| rec.get(i))
                .and_then(|s| s.parse().ok())
                .unwrap_or(0.0),
            sources: src_i
                .and_then(|i| rec.get(i))
                .map(|s| {
                    s.split(';')
                        .filter(|x| !x.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            provenance: json_map(prov_i),
            field_confidence: conf_map(fconf_i),
        });
    }
    Ok(Input {
        path: path.to_path_buf(),
        sha256,
        bookings,
    })
}

/// A header cell without spaces or the byte-order mark a spreadsheet may add.
fn column_name(h: &str) -> &str {
    h.trim_start_matches('\u{feff}').trim()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_reviewed_file_and_rejects_bad_rows_with_their_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan = crate::gap::tests::plan_in(dir.path());
        let header = REQUIRED.join(",");
        let good = "r1,alpen-autos,AA-1,confirmed,\"O'Brien, \"\"Bob\"\"\",,,,\
                    2026-07-01T10:00:00+02:00,2026-07-03T10:00:00+02:00,,,123.45,EUR,123.45,0.00,\
                    2026-06-10T08:00:00Z";
        let path = dir.path().join("bookings.csv");
        std::fs::write(&path, format!("\u{feff}{header}\n{good}\n")).expect("write");
        let input = read_bookings(&path, &plan).expect("reads");
        assert_eq!(input.bookings.len(), 1);
        let b = &input.bookings[0];
        assert_eq!(b.customer_name.as_deref(), Some("O'Brien, \"Bob\""));
        assert_eq!(b.total, Some(12_345));
        assert_eq!(b.pickup_at, Some(1_782_892_800));
        assert_eq!(input.sha256.len(), 64);

        let bad = good.replace("123.45,EUR", "12.345,EUR");
        std::fs::write(
            &path,
            format!("{header}\n{good}\n{}\n", bad.replace("r1", "r2")),
        )
        .expect("write");
        let err = read_bookings(&path, &plan)
            .expect_err("bad amount")
            .to_string();
        assert!(
            err.contains("line 3") && err.contains("r2") && err.contains("total_amount"),
            "{err}"
        );
        std::fs::write(&path, format!("{header}\n{good}\n{good}\n")).expect("write");
        let err = read_bookings(&path, &plan).expect_err("twice").to_string();
        assert!(err.contains("appears twice"), "{err}");
    }
}
