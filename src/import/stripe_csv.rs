//! Stripe Dashboard payments CSV export → [`StripeRecord`]s.
//!
//! The Dashboard lets users pick which columns to export and in which order, and the header
//! names changed over the years (`Created (UTC)` became `Created date (UTC)`), so columns are
//! found by header name (case-insensitive, trimmed) and only `id` is required. Amounts are in
//! major units (`"1,234.50"`) and are turned into minor units exactly, from the decimal text,
//! with the currency's exponent: a float would turn 0.29 EUR into 28 cents.
//!
//! Each row is read on its own: a row with an unreadable amount or date becomes one
//! [`Rejected`] naming its line, column and id, and the other rows go on.
//!
//! Depends on [`crate::extract::amounts::exponent`] for the currency exponents (JPY 0, KWD 3).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, NaiveDateTime};
use csv::ByteRecord;

use super::stripe_json::account_from_path;
use super::{StripeObject, StripeRecord};
use crate::evidence::{Rejected, Source, Timestamp};

/// Reads one Dashboard payments export. `account`: the connected account when the plan names
/// it; a `Connected account`/`Destination` cell overrides it for its row, and if neither is
/// known it is taken from an `acct_…` component of `path`. `tenant`: the plan's tenant slug when
/// the file belongs to one tenant.
pub fn read_file(
    path: &Path,
    account: Option<&str>,
    tenant: Option<&str>,
) -> (Vec<StripeRecord>, Vec<Rejected>) {
    match super::read_or_reject(path, Source::Stripe) {
        Ok(bytes) => parse_bytes(&bytes, &path.display().to_string(), account, tenant),
        Err(r) => (Vec::new(), vec![r]),
    }
}

/// [`read_file`] on bytes already read; `file` names them in records and rejections (and, when
/// `account` is `None`, is searched for an `acct_…` component).
pub fn parse_bytes(
    bytes: &[u8],
    file: &str,
    account: Option<&str>,
    tenant: Option<&str>,
) -> (Vec<StripeRecord>, Vec<Rejected>) {
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    let reject = |position: String, reason: String| -> Rejected {
        Rejected::new(Source::Stripe, file, position, reason)
    };
    // Excel and the Dashboard itself may write a BOM; csv would make it part of the first header.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let columns = match reader.byte_headers() {
        Ok(headers) => Columns::new(headers),
        Err(e) => Err(format!("unreadable header: {e}")),
    };
    let columns = match columns {
        Ok(c) => c,
        Err(reason) => {
            rejected.push(reject("line 1".into(), reason));
            return (records, rejected);
        }
    };
    let default_account = account
        .map(str::to_string)
        .or_else(|| account_from_path(Path::new(file)));
    let ctx = RowContext {
        file: file.into(),
        columns: &columns,
        account: default_account.as_deref(),
        tenant,
    };
    let mut seen = BTreeSet::new();
    let mut lines = LineCounter::new(bytes);
    for result in reader.byte_records() {
        let row = match result {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                rejected.push(reject(
                    format!("line {line}"),
                    format!("unreadable row: {e}"),
                ));
                continue;
            }
        };
        if row
            .iter()
            .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
        {
            continue;
        }
        let line = row.position().map_or(0, |p| lines.line_at(p.byte()));
        match ctx.record(&row, line) {
            // A row exported twice (overlapping exports pasted together) is one payment.
            Ok(record) if seen.insert(record.id.clone()) => records.push(record),
            Ok(_) => {}
            Err(RowError { position, reason }) => rejected.push(reject(position, reason)),
        }
    }
    (records, rejected)
}

/// Physical line numbers from byte offsets. The csv crate's own line count is off after CRLF
/// line ends and blank lines, and a rejection must point at the line a user sees in an editor.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Offset counted up to, and the newlines before it.
    offset: usize,
    newlines: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            offset: 0,
            newlines: 0,
        }
    }

    /// 1-based line of the record starting at `byte` (offsets only grow while reading).
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut target = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        // A record's offset may still point at the previous record's line end (`\r\n`, blank
        // lines): a record never starts with a line end, so step over them.
        while matches!(self.bytes.get(target), Some(b'\r' | b'\n')) {
            target += 1;
        }
        if target >= self.offset {
            let counted = self.bytes.get(self.offset..target).unwrap_or_default();
            self.newlines += counted.iter().filter(|&&b| b == b'\n').count() as u64;
            self.offset = target;
        }
        self.newlines + 1
    }
}

/// Where each known column is (index into the row), found by header name.
#[derive(Debug, Default)]
struct Columns {
    /// Header names as written, for messages.
    names: Vec<String>,
    id: usize,
    description: Option<usize>,
    created: Option<usize>,
    amount: Option<usize>,
    amount_refunded: Option<usize>,
    currency: Option<usize>,
    status: Option<usize>,
    captured: Option<usize>,
    customer_name: Option<usize>,
    customer_email: Option<usize>,
    customer_phone: Option<usize>,
    card_name: Option<usize>,
    payment_intent: Option<usize>,
    account: Option<usize>,
    /// `<key> (metadata)` columns: (key, index).
    metadata: Vec<(String, usize)>,
}

impl Columns {
    /// Maps header names to columns; the first of two same-named columns wins. Fails, listing
    /// the headers found, when there is no `id` column: without ids nothing can be linked.
    fn new(headers: &ByteRecord) -> Result<Columns, String> {
        let names: Vec<String> = headers.iter().map(|h| text(h).to_string()).collect();
        let mut c = Columns::default();
        let mut id = None;
        for (i, name) in names.iter().enumerate() {
            let lower = name.to_lowercase();
            let slot = match lower.as_str() {
                "id" => &mut id,
                "description" => &mut c.description,
                "created (utc)" | "created date (utc)" => &mut c.created,
                "amount" => &mut c.amount,
                "amount refunded" => &mut c.amount_refunded,
                "currency" => &mut c.currency,
                "status" => &mut c.status,
                "captured" => &mut c.captured,
                "customer name" => &mut c.customer_name,
                "customer email" => &mut c.customer_email,
                "customer phone" => &mut c.customer_phone,
                "card name" => &mut c.card_name,
                "paymentintent id" | "payment intent id" => &mut c.payment_intent,
                "connected account" | "destination" => &mut c.account,
                _ => {
                    if let Some(key) = metadata_key(name) {
                        if !c.metadata.iter().any(|(k, _)| k == key) {
                            c.metadata.push((key.to_string(), i));
                        }
                    }
                    continue;
                }
            };
            slot.get_or_insert(i);
        }
        let Some(id) = id else {
            let found = if names.iter().all(String::is_empty) {
                "(nothing)".to_string()
            } else {
                names.join(", ")
            };
            return Err(format!("missing header `id`; found: {found}"));
        };
        c.id = id;
        c.names = names;
        Ok(c)
    }
}

/// `booking_ref (metadata)` → `booking_ref` (suffix matched case-insensitively).
fn metadata_key(header: &str) -> Option<&str> {
    const SUFFIX: &str = "(metadata)";
    let cut = header.len().checked_sub(SUFFIX.len())?;
    let (key, suffix) = (header.get(..cut)?, header.get(cut..)?);
    let key = key.trim();
    (suffix.eq_ignore_ascii_case(SUFFIX) && !key.is_empty()).then_some(key)
}

/// A row that could not be read: where (`line N (id)`) and why.
struct RowError {
    position: String,
    reason: String,
}

/// What every row of one file shares.
struct RowContext<'a> {
    /// The file, once for all its rows.
    file: crate::evidence::Shared,
    columns: &'a Columns,
    account: Option<&'a str>,
    tenant: Option<&'a str>,
}

impl RowContext<'_> {
    /// The trimmed cell of `column` (empty when the column or the cell is missing).
    fn cell<'r>(&self, row: &'r ByteRecord, column: Option<usize>) -> Cow<'r, str> {
        column
            .and_then(|i| row.get(i))
            .map_or(Cow::Borrowed(""), text)
    }

    /// The cell as an owned string, `None` when empty.
    fn opt(&self, row: &ByteRecord, column: Option<usize>) -> Option<String> {
        Some(self.cell(row, column).into_owned()).filter(|s| !s.is_empty())
    }

    fn header(&self, column: Option<usize>) -> &str {
        column
            .and_then(|i| self.columns.names.get(i))
            .map_or("", String::as_str)
    }

    /// The record of one row; `line` is its physical line in the file.
    fn record(&self, row: &ByteRecord, line: u64) -> Result<StripeRecord, RowError> {
        let c = self.columns;
        let id = self.cell(row, Some(c.id)).into_owned();
        let fail = |reason: String| RowError {
            position: if id.is_empty() {
                format!("line {line}")
            } else {
                format!("line {line} ({id})")
            },
            reason,
        };
        let object = object_of(&id).ok_or_else(|| {
            if id.is_empty() {
                fail("empty `id`".into())
            } else {
                fail(format!(
                    "unsupported id `{id}`: expected a charge (ch_, py_) or payment intent (pi_)"
                ))
            }
        })?;
        let currency = self.cell(row, c.currency).to_uppercase();
        let exponent = minor_exponent(&currency);
        let money = |column: Option<usize>| -> Result<Option<i64>, RowError> {
            let cell = self.cell(row, column);
            parse_minor(&cell, exponent).map_err(|why| {
                fail(format!(
                    "column `{}`: bad amount `{cell}`: {why}",
                    self.header(column)
                ))
            })
        };
        let amount = money(c.amount)?.unwrap_or(0);
        let refunded_cell = money(c.amount_refunded)?;
        let created_cell = self.cell(row, c.created);
        let created = parse_created(&created_cell).map_err(|()| {
            fail(format!(
                "column `{}`: bad date `{created_cell}`: expected `YYYY-MM-DD HH:MM[:SS]` (UTC)",
                self.header(c.created)
            ))
        })?;
        let captured = match self.cell(row, c.captured).to_lowercase().as_str() {
            "true" | "yes" => Some(true),
            "false" | "no" => Some(false),
            _ => None,
        };
        let status = map_status(&self.cell(row, c.status), captured);
        let amount_refunded = match (refunded_cell, status.fully_refunded) {
            (Some(r), _) => r,
            (None, true) => amount,
            (None, false) => 0,
        };
        let links = self
            .opt(row, c.payment_intent)
            .filter(|pi| *pi != id)
            .into_iter()
            .collect();
        let metadata: BTreeMap<String, String> = c
            .metadata
            .iter()
            .filter_map(|(key, i)| Some((key.clone(), self.opt(row, Some(*i))?)))
            .collect();
        Ok(StripeRecord {
            file: self.file.clone(),
            position: format!("line {line}"),
            object,
            account: self
                .opt(row, c.account)
                .or_else(|| self.account.map(str::to_string)),
            created,
            amount,
            amount_refunded,
            currency,
            status: status.status,
            paid: status.paid,
            description: self.opt(row, c.description),
            metadata,
            // The cardholder name is the customer more often than not, but an explicit customer
            // name is better.
            customer_name: self
                .opt(row, c.customer_name)
                .or_else(|| self.opt(row, c.card_name)),
            customer_email: self.opt(row, c.customer_email),
            customer_phone: self.opt(row, c.customer_phone),
            links,
            tenant: self.tenant.map(str::to_string),
            id,
        })
    }
}

/// Charges (`ch_`, and `py_` for non-card payments) and payment intents (`pi_`, the unified
/// payments export).
fn object_of(id: &str) -> Option<StripeObject> {
    if id.starts_with("ch_") || id.starts_with("py_") {
        Some(StripeObject::Charge)
    } else if id.starts_with("pi_") {
        Some(StripeObject::PaymentIntent)
    } else {
        None
    }
}

/// Decimal places of `currency`, from the shared currency table. An unknown or missing code
/// falls back to 2, the exponent of most currencies, rather than losing the row.
fn minor_exponent(currency: &str) -> u32 {
    crate::extract::amounts::exponent(currency).unwrap_or(2)
}

/// A major-unit decimal (`1,234.50`, `-12`, `12000`) → minor units with `exponent` decimals,
/// exactly. `Ok(None)` for an empty cell. Extra decimals are allowed only when they are zeros
/// (`12000.00` JPY), as a spreadsheet may add them; anything else would silently lose money.
fn parse_minor(text: &str, exponent: u32) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let whole = strip_thousands(whole)?;
    if whole.is_empty() && fraction.is_empty() {
        return Err("no digits".into());
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a decimal number".into());
    }
    let places = exponent as usize;
    let (kept, extra) = fraction.split_at(fraction.len().min(places));
    if extra.bytes().any(|b| b != b'0') {
        return Err(format!("more than {exponent} decimals"));
    }
    let digits = format!("{whole}{kept:0<places$}");
    // `.0` with no decimals allowed leaves no digit at all: that is zero.
    let value: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| "number too large".to_string())?
    };
    Ok(Some(if negative { -value } else { value }))
}

/// `1,234,567` → `1234567`; groups after a comma must have three digits, so that `1,5` (a
/// decimal comma from a re-saved spreadsheet) is an error and not fifteen.
fn strip_thousands(whole: &str) -> Result<String, String> {
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or("");
    let mut digits = first.to_string();
    for group in groups {
        if group.len() != 3 || first.is_empty() {
            return Err("misplaced thousands separator".into());
        }
        digits.push_str(group);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a decimal number".into());
    }
    Ok(digits)
}

/// `2026-03-14 09:31:05` or `2026-03-14 09:31` (the Dashboard's UTC formats), or RFC 3339.
/// `Ok(None)` for an empty cell.
fn parse_created(text: &str) -> Result<Option<Timestamp>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Some(t.and_utc().timestamp()));
        }
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| Some(t.timestamp()))
        .map_err(|_| ())
}

/// A Dashboard status label as a Stripe status.
#[derive(Debug, PartialEq)]
struct MappedStatus {
    status: String,
    paid: bool,
    /// `Refunded`: the whole amount went back (used when there is no `Amount Refunded` column).
    fully_refunded: bool,
}

/// Maps the Dashboard's labels to the API's status and whether money was captured. A label this
/// table does not know keeps its text (lower case, `_` for spaces) and trusts `Captured`.
fn map_status(label: &str, captured: Option<bool>) -> MappedStatus {
    let label = label.trim().to_lowercase();
    let (status, paid, fully_refunded) = match label.as_str() {
        "paid" | "succeeded" | "complete" | "partially refunded" | "refund pending" => {
            ("succeeded", true, false)
        }
        "refunded" => ("succeeded", true, true),
        // A dispute does not undo the capture; the refund columns say what went back.
        "disputed" | "dispute lost" | "dispute won" | "inquiry" => ("succeeded", true, false),
        "failed" | "blocked" | "declined" => ("failed", false, false),
        // An authorisation hold (deposit) not captured yet: no money moved.
        "uncaptured" => ("requires_capture", false, false),
        "pending" => ("pending", false, false),
        "incomplete" => ("requires_payment_method", false, false),
        "canceled" | "cancelled" | "expired" => ("canceled", false, false),
        "" => match captured {
            Some(true) => ("succeeded", true, false),
            _ => ("", false, false),
        },
        other => {
            return MappedStatus {
                status: other.replace(' ', "_"),
                paid: captured == Some(true),
                fully_refunded: false,
            }
        }
    };
    MappedStatus {
        status: status.to_string(),
        paid,
        fully_refunded,
    }
}

/// Bytes as text, trimmed; invalid UTF-8 becomes replacement characters rather than a lost row.
fn text(bytes: &[u8]) -> Cow<'_, str> {
    match String::from_utf8_lossy(bytes) {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stripe");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
    }

    fn parse(bytes: &[u8]) -> (Vec<StripeRecord>, Vec<Rejected>) {
        parse_bytes(bytes, "exports/payments.csv", None, None)
    }

    fn by_id<'a>(records: &'a [StripeRecord], id: &str) -> &'a StripeRecord {
        records.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn full_dashboard_export() {
        let (records, rejected) = parse(&fixture("payments_export.csv"));
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "ch_3PqLmN2eZvKYlo2C0a1b2c3d",
                "ch_3PqKxA2eZvKYlo2C1f9e8d7c",
                "ch_3PqPqR2eZvKYlo2C0k8l9m0n",
                "ch_3PqSdE2eZvKYlo2C0h0l0d01",
                "py_3PqUuU2eZvKYlo2C0s3p4a5d",
            ]
        );

        let ch = &records[0];
        assert_eq!(&*ch.file, "exports/payments.csv");
        assert_eq!(ch.position, "line 2");
        assert_eq!(ch.object, StripeObject::Charge);
        assert_eq!(ch.created, Some(1_773_480_665)); // 2026-03-14 09:31:05 UTC
        assert_eq!(ch.amount, 48_500);
        assert_eq!(ch.amount_refunded, 10_000);
        assert_eq!(ch.currency, "EUR");
        assert_eq!(ch.status, "succeeded");
        assert!(ch.paid);
        assert_eq!(ch.description.as_deref(), Some("Booking BK-20931 VW Golf"));
        assert_eq!(ch.customer_name.as_deref(), Some("Jenny Rosen"));
        assert_eq!(
            ch.customer_email.as_deref(),
            Some("jenny.rosen@example.com")
        );
        assert_eq!(ch.customer_phone, None);
        assert_eq!(ch.links, ["pi_3PqLmN2eZvKYlo2C0p1q2r3s"]);
        assert_eq!(ch.account, None);
        let meta: Vec<(&str, &str)> = ch
            .metadata
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(meta, [("booking_ref", "BK-20931"), ("vehicle", "VW Golf")]);

        let failed = &records[1];
        assert_eq!((failed.status.as_str(), failed.paid), ("failed", false));
        assert_eq!(failed.account.as_deref(), Some("acct_1NbQrS2eZvKYlo2C"));
        assert!(failed.links.is_empty());
        // Empty metadata cells are not metadata.
        assert!(!failed.metadata.contains_key("vehicle"));

        // Quoted thousands separators.
        let refunded = &records[2];
        assert_eq!(refunded.amount, 123_450);
        assert_eq!(refunded.amount_refunded, 123_450);
        assert_eq!(refunded.status, "succeeded");
        assert!(refunded.paid);

        let hold = &records[3];
        assert_eq!(
            (hold.status.as_str(), hold.paid),
            ("requires_capture", false)
        );

        // `HH:MM` without seconds; `py_` is a charge too.
        let sepa = &records[4];
        assert_eq!(sepa.position, "line 7");
        assert_eq!(sepa.object, StripeObject::Charge);
        assert_eq!(sepa.created, Some(1_773_731_100)); // 2026-03-17 07:05 UTC
        assert_eq!(sepa.amount, 8_990);

        // `12,34` (a decimal comma) is not twelve hundred: the row is rejected alone.
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].source, Source::Stripe);
        assert_eq!(rejected[0].file, "exports/payments.csv");
        assert_eq!(rejected[0].position, "line 6 (ch_3PqTtT2eZvKYlo2C0b4d0a05)");
        assert_eq!(
            rejected[0].reason,
            "column `Amount`: bad amount `12,34`: misplaced thousands separator"
        );
    }

    #[test]
    fn unified_export_with_bom_crlf_other_headers_and_order() {
        let (records, rejected) = parse(&fixture("unified_payments_jpy.csv"));
        assert_eq!(records.len(), 2);
        let pi = &records[0];
        assert_eq!(pi.object, StripeObject::PaymentIntent);
        assert_eq!(pi.id, "pi_3PsJpY2eZvKYlo2C0q1w2e3r");
        assert_eq!(pi.position, "line 2");
        assert_eq!(pi.created, Some(1_773_540_000)); // 2026-03-15 02:00:00 UTC
        assert_eq!(pi.currency, "JPY");
        assert_eq!((pi.status.as_str(), pi.paid), ("succeeded", true));
        assert_eq!(pi.account.as_deref(), Some("acct_1OxYzQ2eZvKYlo2C"));
        assert_eq!(pi.customer_name.as_deref(), Some("山田 太郎"));
        assert_eq!(pi.description.as_deref(), Some("予約 BK-30112"));
        assert!(pi.links.is_empty());
        assert_eq!(
            pi.metadata.get("Pickup Date").map(String::as_str),
            Some("2026-04-01")
        );

        let canceled = &records[1];
        assert_eq!(canceled.created, Some(1_773_547_920)); // 2026-03-15 04:12 UTC
        assert_eq!(
            (canceled.status.as_str(), canceled.paid),
            ("canceled", false)
        );
        assert_eq!(canceled.amount_refunded, 0);
        assert_eq!(canceled.account, None);

        assert_eq!(rejected.len(), 1);
        assert_eq!(
            rejected[0].position,
            "line 4 (pi_3PsLrA2eZvKYlo2C0bad0date)"
        );
        assert!(
            rejected[0]
                .reason
                .starts_with("column `Created date (UTC)`: bad date `15/03/2026 06:00`"),
            "{}",
            rejected[0].reason
        );
    }

    /// Needs the real `crate::extract::amounts::exponent` (JPY → 0); the stub on this branch
    /// answers 2 for every currency.
    #[test]

    fn jpy_amounts_have_no_decimals() {
        let (records, _) = parse(&fixture("unified_payments_jpy.csv"));
        assert_eq!(records[0].amount, 12_000);
        assert_eq!(records[1].amount, 8_800);
    }

    #[test]
    fn minor_units_are_exact() {
        assert_eq!(parse_minor("1,234.50", 2), Ok(Some(123_450)));
        assert_eq!(parse_minor("0.29", 2), Ok(Some(29)));
        assert_eq!(parse_minor("485", 2), Ok(Some(48_500)));
        assert_eq!(parse_minor("-12.5", 2), Ok(Some(-1_250)));
        assert_eq!(parse_minor(".5", 2), Ok(Some(50)));
        assert_eq!(parse_minor("12,000", 0), Ok(Some(12_000)));
        assert_eq!(parse_minor("12000.00", 0), Ok(Some(12_000)));
        assert_eq!(parse_minor("1.234", 3), Ok(Some(1_234)));
        assert_eq!(parse_minor(".0", 0), Ok(Some(0)));
        assert_eq!(parse_minor("", 2), Ok(None));
        assert_eq!(parse_minor("12.345", 2), Err("more than 2 decimals".into()));
        assert_eq!(
            parse_minor("12,34", 2),
            Err("misplaced thousands separator".into())
        );
        assert_eq!(
            parse_minor(",123", 2),
            Err("misplaced thousands separator".into())
        );
        assert_eq!(parse_minor("€12", 2), Err("not a decimal number".into()));
        assert_eq!(parse_minor("1.2.3", 2), Err("not a decimal number".into()));
        assert_eq!(parse_minor("-", 2), Err("no digits".into()));
        assert_eq!(
            parse_minor("99999999999999999999", 2),
            Err("number too large".into())
        );
    }

    #[test]
    fn each_status_label() {
        let cases = [
            ("Paid", None, "succeeded", true, false),
            ("Succeeded", None, "succeeded", true, false),
            ("Refunded", None, "succeeded", true, true),
            ("Partially refunded", None, "succeeded", true, false),
            ("Refund pending", None, "succeeded", true, false),
            ("Disputed", None, "succeeded", true, false),
            ("Failed", None, "failed", false, false),
            ("Blocked", None, "failed", false, false),
            ("Uncaptured", Some(false), "requires_capture", false, false),
            ("Pending", None, "pending", false, false),
            ("Incomplete", None, "requires_payment_method", false, false),
            ("Canceled", None, "canceled", false, false),
            ("Expired", None, "canceled", false, false),
            ("", Some(true), "succeeded", true, false),
            ("", None, "", false, false),
            (
                "Early fraud warning",
                Some(true),
                "early_fraud_warning",
                true,
                false,
            ),
        ];
        for (label, captured, status, paid, fully_refunded) in cases {
            assert_eq!(
                map_status(label, captured),
                MappedStatus {
                    status: status.into(),
                    paid,
                    fully_refunded
                },
                "{label}"
            );
        }
    }

    #[test]
    fn refunded_without_amount_refunded_column_is_a_full_refund() {
        let csv =
            "Status,Amount,id,Currency\nRefunded,\"1,000.00\",ch_1,usd\nPaid,20.00,ch_2,usd\n";
        let (records, rejected) = parse(csv.as_bytes());
        assert!(rejected.is_empty());
        assert_eq!(
            (records[0].amount, records[0].amount_refunded),
            (100_000, 100_000)
        );
        assert_eq!((records[1].amount, records[1].amount_refunded), (2_000, 0));
        assert_eq!(records[0].created, None);
    }

    #[test]
    fn only_id_is_required_and_headers_are_matched_loosely() {
        let csv = " ID ,CUSTOMER EMAIL,customer phone,Customer Name,Card Name,Destination\n\
                   ch_3PqZ,a@example.com,+33 6 12 34 56 78,Alice Martin,A MARTIN,\n";
        let (records, rejected) = parse_bytes(
            csv.as_bytes(),
            "stripe/acct_1Folder/payments.csv",
            None,
            Some("paris"),
        );
        assert!(rejected.is_empty());
        let r = &records[0];
        assert_eq!(r.amount, 0);
        assert_eq!(r.currency, "");
        assert_eq!(r.status, "");
        assert!(!r.paid);
        assert_eq!(r.customer_email.as_deref(), Some("a@example.com"));
        assert_eq!(r.customer_phone.as_deref(), Some("+33 6 12 34 56 78"));
        assert_eq!(r.customer_name.as_deref(), Some("Alice Martin"));
        assert_eq!(r.account.as_deref(), Some("acct_1Folder"));
        assert_eq!(r.tenant.as_deref(), Some("paris"));

        let (records, _) = parse_bytes(
            csv.as_bytes(),
            "stripe/acct_1Folder/payments.csv",
            Some("acct_1Plan"),
            None,
        );
        assert_eq!(records[0].account.as_deref(), Some("acct_1Plan"));
    }

    #[test]
    fn missing_id_header_rejects_the_file() {
        let csv = "Description,Amount,Currency\nBooking BK-1,10.00,eur\n";
        let (records, rejected) = parse(csv.as_bytes());
        assert!(records.is_empty());
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].position, "line 1");
        assert_eq!(
            rejected[0].reason,
            "missing header `id`; found: Description, Amount, Currency"
        );

        let (_, rejected) = parse(b"");
        assert_eq!(rejected[0].reason, "missing header `id`; found: (nothing)");
    }

    #[test]
    fn bad_rows_are_rejected_alone() {
        let csv = "id,Amount,Currency,Created (UTC)\n\
                   ch_ok1,10.00,eur,2026-03-14 09:31\n\
                   ,10.00,eur,\n\
                   re_1,10.00,eur,\n\
                   ch_bad,10.00,eur,yesterday\n\
                   \n\
                   ch_ok2,\"2,500.00\",eur,2026-03-14 10:00:00\n\
                   ch_ok1,10.00,eur,2026-03-14 09:31\n";
        let (records, rejected) = parse(csv.as_bytes());
        let ids: Vec<(&str, &str)> = records
            .iter()
            .map(|r| (r.id.as_str(), r.position.as_str()))
            .collect();
        assert_eq!(ids, [("ch_ok1", "line 2"), ("ch_ok2", "line 7")]);
        assert_eq!(by_id(&records, "ch_ok2").amount, 250_000);
        let why: Vec<(&str, &str)> = rejected
            .iter()
            .map(|r| (r.position.as_str(), r.reason.as_str()))
            .collect();
        assert_eq!(
            why,
            [
                ("line 3", "empty `id`"),
                (
                    "line 4 (re_1)",
                    "unsupported id `re_1`: expected a charge (ch_, py_) or payment intent (pi_)"
                ),
                (
                    "line 5 (ch_bad)",
                    "column `Created (UTC)`: bad date `yesterday`: expected `YYYY-MM-DD HH:MM[:SS]` (UTC)"
                ),
            ]
        );
    }

    #[test]
    fn multiline_quoted_cells_keep_physical_line_numbers() {
        let csv = "id,Description,Amount,Currency\n\
                   ch_1,\"Booking BK-7\nsecond line\",10.00,eur\n\
                   ch_2,plain,x,eur\n";
        let (records, rejected) = parse(csv.as_bytes());
        assert_eq!(
            records[0].description.as_deref(),
            Some("Booking BK-7\nsecond line")
        );
        assert_eq!(rejected[0].position, "line 4 (ch_2)");
    }

    #[test]
    fn metadata_header_keys() {
        assert_eq!(metadata_key("booking_ref (metadata)"), Some("booking_ref"));
        assert_eq!(metadata_key("Pickup Date (Metadata)"), Some("Pickup Date"));
        assert_eq!(metadata_key(" (metadata)"), None);
        assert_eq!(metadata_key("metadata"), None);
        assert_eq!(metadata_key("Prénom (metadata)"), Some("Prénom"));
    }

    #[test]
    fn unreadable_file_is_rejected() {
        let (records, rejected) = read_file(Path::new("/nonexistent/payments.csv"), None, None);
        assert!(records.is_empty());
        assert_eq!(rejected[0].position, "file");
        assert!(rejected[0]
            .reason
            .starts_with("cannot read /nonexistent/payments.csv"));
    }
}
