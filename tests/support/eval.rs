//! Scores gapfill's `bookings.csv` against a world's `truth.json`.
//!
//! Each predicted row is matched to the truth booking that owns most of its `sources`
//! evidence ids (ties: the booking with the row's tenant and reference). A truth booking
//! matched by several rows counts once (the row sharing most evidence); the other rows are
//! duplicates. Precision, recall and F1 are over the recoverable gap bookings: rows that match
//! a booking the restored database already has count as false positives (and as
//! `pre_gap_recreated`); a row that finds a gap booking the truth deems unrecoverable counts
//! as correct but not in recall. Field accuracy is measured on the matched recoverable
//! bookings.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use super::synth::truth::{Truth, TruthBooking};

/// The compared fields, in report order.
pub const FIELDS: [&str; 13] = [
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
    "amount_paid",
    "amount_refunded",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldScore {
    pub correct: usize,
    pub total: usize,
}

impl FieldScore {
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    /// Rows in bookings.csv.
    pub rows: usize,
    /// Gap bookings in the truth, and those of them that are recoverable.
    pub gap_bookings: usize,
    pub recoverable: usize,
    /// Recoverable gap bookings found.
    pub true_positives: usize,
    /// Gap bookings found although the truth deems them unrecoverable (correct, not in recall).
    pub found_unrecoverable: usize,
    /// Rows that are not the best match of a gap booking.
    pub false_positives: usize,
    pub duplicates: usize,
    pub pre_gap_recreated: usize,
    /// Rows whose sources belong to no truth booking.
    pub unmatched: usize,
    pub false_negatives: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// `tenant/ref` of the recoverable gap bookings not found, sorted.
    pub missed: Vec<String>,
    pub fields: BTreeMap<String, FieldScore>,
    /// Up to five wrong values per field: `tenant/ref: got …, want …`.
    pub field_errors: BTreeMap<String, Vec<String>>,
}

impl EvalReport {
    /// Accuracy of one field (1.0 when never compared).
    pub fn field(&self, name: &str) -> f64 {
        self.fields
            .get(name)
            .map(FieldScore::accuracy)
            .unwrap_or(1.0)
    }
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "rows {} | gap bookings {} ({} recoverable)",
            self.rows, self.gap_bookings, self.recoverable
        )?;
        writeln!(
            f,
            "TP {}  FP {} (duplicates {}, pre-gap recreated {}, unmatched {})  FN {}  found-unrecoverable {}",
            self.true_positives,
            self.false_positives,
            self.duplicates,
            self.pre_gap_recreated,
            self.unmatched,
            self.false_negatives,
            self.found_unrecoverable
        )?;
        writeln!(
            f,
            "precision {:.3}  recall {:.3}  F1 {:.3}",
            self.precision, self.recall, self.f1
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<18} {:>8} {:>8} {:>9}",
            "field", "correct", "total", "accuracy"
        )?;
        for name in FIELDS {
            let s = self.fields.get(name).copied().unwrap_or_default();
            writeln!(
                f,
                "{:<18} {:>8} {:>8} {:>9.3}",
                name,
                s.correct,
                s.total,
                s.accuracy()
            )?;
        }
        for (name, errs) in &self.field_errors {
            for e in errs {
                writeln!(f, "  {name}: {e}")?;
            }
        }
        if !self.missed.is_empty() {
            let shown: Vec<&str> = self.missed.iter().take(10).map(String::as_str).collect();
            writeln!(
                f,
                "missed ({}): {}{}",
                self.missed.len(),
                shown.join(", "),
                if self.missed.len() > 10 { ", …" } else { "" }
            )?;
        }
        Ok(())
    }
}

/// One row of bookings.csv, by column name.
type Row = BTreeMap<String, String>;

/// Reads `bookings.csv` and scores it. Panics with the path when the file cannot be read:
/// this is test support, and a missing output is a failed test.
pub fn evaluate(bookings_csv: &Path, truth: &Truth) -> EvalReport {
    let f = std::fs::File::open(bookings_csv)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", bookings_csv.display()));
    evaluate_reader(f, truth)
}

pub fn evaluate_reader<R: Read>(reader: R, truth: &Truth) -> EvalReport {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers: Vec<String> = rdr
        .headers()
        .map(|h| h.iter().map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    let rows: Vec<Row> = rdr
        .records()
        .filter_map(Result::ok)
        .map(|rec| {
            headers
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect();
    score(&rows, truth)
}

fn get<'a>(row: &'a Row, k: &str) -> &'a str {
    row.get(k).map(|s| s.trim()).unwrap_or("")
}

/// The truth booking a row stands for, and how many of its sources point there.
fn match_row(row: &Row, truth: &Truth, owner: &HashMap<&str, usize>) -> Option<(usize, usize)> {
    let mut votes: BTreeMap<usize, usize> = BTreeMap::new();
    for id in get(row, "sources").split(';') {
        if let Some(&i) = owner.get(id.trim()) {
            *votes.entry(i).or_default() += 1;
        }
    }
    let best = votes.values().copied().max()?;
    let tied: Vec<usize> = votes
        .iter()
        .filter(|(_, v)| **v == best)
        .map(|(i, _)| *i)
        .collect();
    let by_ref = tied.iter().copied().find(|&i| {
        let b = &truth.bookings[i];
        b.tenant == get(row, "tenant") && b.booking_ref == get(row, "booking_ref")
    });
    Some((by_ref.unwrap_or(tied[0]), best))
}

fn score(rows: &[Row], truth: &Truth) -> EvalReport {
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, b) in truth.bookings.iter().enumerate() {
        for id in &b.evidence {
            owner.insert(id.as_str(), i);
        }
    }
    let mut r = EvalReport {
        rows: rows.len(),
        gap_bookings: truth.gap().count(),
        recoverable: truth.recoverable().count(),
        ..EvalReport::default()
    };
    // Best row per truth booking: most shared evidence, then the earliest row.
    let mut best: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let mut matched: Vec<Option<usize>> = Vec::with_capacity(rows.len());
    for (ri, row) in rows.iter().enumerate() {
        let m = match_row(row, truth, &owner);
        if let Some((bi, votes)) = m {
            let e = best.entry(bi).or_insert((ri, votes));
            if votes > e.1 {
                *e = (ri, votes);
            }
        }
        matched.push(m.map(|(bi, _)| bi));
    }
    for (ri, m) in matched.iter().enumerate() {
        let Some(bi) = *m else {
            r.unmatched += 1;
            r.false_positives += 1;
            continue;
        };
        let b = &truth.bookings[bi];
        if !b.in_gap {
            r.pre_gap_recreated += 1;
            r.false_positives += 1;
            continue;
        }
        if best.get(&bi).map(|x| x.0) != Some(ri) {
            r.duplicates += 1;
            r.false_positives += 1;
            continue;
        }
        if b.recoverable {
            r.true_positives += 1;
            compare_fields(&rows[ri], b, &mut r);
        } else {
            r.found_unrecoverable += 1;
        }
    }
    r.missed = truth
        .bookings
        .iter()
        .enumerate()
        .filter(|(i, b)| b.recoverable && !best.contains_key(i))
        .map(|(_, b)| format!("{}/{}", b.tenant, b.booking_ref))
        .collect();
    r.missed.sort();
    r.false_negatives = r.missed.len();
    let correct = (r.true_positives + r.found_unrecoverable) as f64;
    r.precision = if r.rows == 0 {
        0.0
    } else {
        correct / r.rows as f64
    };
    r.recall = if r.recoverable == 0 {
        1.0
    } else {
        r.true_positives as f64 / r.recoverable as f64
    };
    r.f1 = if r.precision + r.recall == 0.0 {
        0.0
    } else {
        2.0 * r.precision * r.recall / (r.precision + r.recall)
    };
    r
}

fn compare_fields(row: &Row, b: &TruthBooking, r: &mut EvalReport) {
    for name in FIELDS {
        let got = get(row, name);
        let (ok, want) = match name {
            "booking_ref" => (
                got.eq_ignore_ascii_case(&b.booking_ref),
                b.booking_ref.as_str(),
            ),
            "status" => (status(got) == status(&b.status), b.status.as_str()),
            "customer_name" => (
                !got.is_empty() && fold_name(got) == fold_name(&b.customer_name),
                b.customer_name.as_str(),
            ),
            "customer_email" => (
                !got.is_empty() && got.eq_ignore_ascii_case(b.customer_email.trim()),
                b.customer_email.as_str(),
            ),
            "customer_phone" => (
                same_phone(got, &b.customer_phone),
                b.customer_phone.as_str(),
            ),
            "vehicle" => (same_text(got, &b.vehicle), b.vehicle.as_str()),
            "pickup_at" => (same_instant(got, &b.pickup_at), b.pickup_at.as_str()),
            "return_at" => (same_instant(got, &b.return_at), b.return_at.as_str()),
            "pickup_location" => (
                same_text(got, &b.pickup_location),
                b.pickup_location.as_str(),
            ),
            "return_location" => (
                same_text(got, &b.return_location),
                b.return_location.as_str(),
            ),
            "total_amount" => (same_amount(got, &b.total, false), b.total.as_str()),
            "amount_paid" => (
                same_amount(got, &b.amount_paid, true),
                b.amount_paid.as_str(),
            ),
            "amount_refunded" => (
                same_amount(got, &b.amount_refunded, true),
                b.amount_refunded.as_str(),
            ),
            _ => (false, ""),
        };
        let s = r.fields.entry(name.to_string()).or_default();
        s.total += 1;
        if ok {
            s.correct += 1;
        } else {
            let errs = r.field_errors.entry(name.to_string()).or_default();
            if errs.len() < 5 {
                errs.push(format!(
                    "{}/{}: got `{got}`, want `{want}`",
                    b.tenant, b.booking_ref
                ));
            }
        }
    }
}

fn status(s: &str) -> String {
    match s.trim().to_ascii_lowercase().as_str() {
        "canceled" | "cancelled" => "cancelled".into(),
        other => other.to_string(),
    }
}

/// Lower case, accents removed, white space collapsed.
pub fn fold_name(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let base: &str = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ą' | 'ā' => "a",
            'é' | 'è' | 'ê' | 'ë' | 'ě' | 'ę' | 'ē' => "e",
            'í' | 'ì' | 'î' | 'ï' | 'ī' => "i",
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'ō' => "o",
            'ú' | 'ù' | 'û' | 'ü' | 'ů' | 'ū' => "u",
            'ý' | 'ÿ' => "y",
            'ñ' | 'ń' => "n",
            'ç' | 'č' | 'ć' => "c",
            'š' | 'ś' => "s",
            'ž' | 'ź' | 'ż' => "z",
            'ř' => "r",
            'ł' => "l",
            'ß' => "ss",
            'æ' => "ae",
            'œ' => "oe",
            _ => {
                o.push(c);
                continue;
            }
        };
        o.push_str(base);
    }
    o.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn same_text(a: &str, b: &str) -> bool {
    let n = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    !a.is_empty() && n(a) == n(b)
}

fn same_phone(a: &str, b: &str) -> bool {
    let d = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
    let (x, y) = (d(a), d(b));
    if x.is_empty() || y.is_empty() {
        return false;
    }
    let tail = |s: &str| s[s.len().saturating_sub(9)..].to_string();
    tail(&x) == tail(&y)
}

fn same_instant(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// A decimal in millionths (`1234.5` → 1_234_500_000).
pub fn parse_decimal(s: &str) -> Option<i128> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 6
    {
        return None;
    }
    let i: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let f: i128 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}").parse().ok()?
    };
    let v = i * 1_000_000 + f;
    Some(if neg { -v } else { v })
}

/// Same decimal value; `empty_is_zero` for money movements (no payment = 0).
fn same_amount(a: &str, b: &str, empty_is_zero: bool) -> bool {
    let a = if a.trim().is_empty() && empty_is_zero {
        "0"
    } else {
        a
    };
    match (parse_decimal(a), parse_decimal(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tb(tenant: &str, r: &str, gap: bool, recoverable: bool, evidence: &[&str]) -> TruthBooking {
        TruthBooking {
            tenant: tenant.into(),
            booking_ref: r.into(),
            status: "confirmed".into(),
            customer_name: "José Ñúñez".into(),
            customer_email: "jose.nunez@gmail.com".into(),
            customer_phone: "+34 612 345 678".into(),
            vehicle: "Seat León".into(),
            pickup_at: "2026-03-14T10:00:00+01:00".into(),
            return_at: "2026-03-17T18:00:00+01:00".into(),
            pickup_location: "Málaga Aeropuerto".into(),
            return_location: "Marbella Centro".into(),
            total: "1234.50".into(),
            currency: "EUR".into(),
            amount_paid: "300.00".into(),
            amount_refunded: "0.00".into(),
            booked_at: "2026-03-01T12:00:00+01:00".into(),
            in_gap: gap,
            in_restored_db: !gap,
            recoverable,
            evidence: evidence.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn truth() -> Truth {
        Truth {
            since: "2026-02-16T03:00:00Z".into(),
            until: "2026-05-17T03:00:00Z".into(),
            bookings: vec![
                tb(
                    "sol",
                    "SOL-1",
                    true,
                    true,
                    &["email:a@x", "stripe:ch_1", "calendar:u1"],
                ),
                tb("sol", "SOL-2", true, true, &["email:b@x", "stripe:ch_2"]),
                tb("sol", "SOL-3", false, false, &["email:c@x"]),
                tb("sol", "SOL-4", true, false, &["stripe:ch_4"]),
                tb("sol", "SOL-5", true, true, &["email:e@x"]),
            ],
            noise: vec!["email:news@x".into()],
        }
    }

    const HEADER: &str = "recovered_id,tenant,booking_ref,status,customer_name,customer_email,customer_phone,vehicle,pickup_at,return_at,pickup_location,return_location,total_amount,currency,amount_paid,amount_refunded,booked_at,confidence,sources,provenance\n";

    #[test]
    fn counts_tp_fp_duplicates_and_pre_gap() {
        let csv = format!(
            "{HEADER}\
r1,sol,SOL-1,confirmed,jose nunez,JOSE.NUNEZ@gmail.com,612 345 678,seat león,2026-03-14T09:00:00Z,2026-03-17T18:00:00+01:00,málaga  aeropuerto,Marbella Centro,1234.5,EUR,300,,,0.9,email:a@x;stripe:ch_1;calendar:u1,\n\
r2,sol,SOL-1,confirmed,José Ñúñez,,,,,,,,,EUR,0,0,,0.5,stripe:ch_1,\n\
r3,sol,SOL-3,confirmed,José Ñúñez,,,,,,,,,EUR,0,0,,0.5,email:c@x,\n\
r4,sol,,confirmed,Newsletter,,,,,,,,,EUR,0,0,,0.2,email:news@x,\n\
r5,sol,SOL-4,cancelled,José Ñúñez,,,,,,,,,EUR,0,0,,0.5,stripe:ch_4,\n\
r6,sol,SOL-2,cancelled,Jose Nunes,,,,,,,,999,EUR,300.00,0.00,,0.5,email:b@x;stripe:ch_2,\n"
        );
        let r = evaluate_reader(csv.as_bytes(), &truth());
        assert_eq!(r.rows, 6);
        assert_eq!(r.recoverable, 3);
        assert_eq!(r.true_positives, 2);
        assert_eq!(r.found_unrecoverable, 1);
        assert_eq!(r.duplicates, 1);
        assert_eq!(r.pre_gap_recreated, 1);
        assert_eq!(r.unmatched, 1);
        assert_eq!(r.false_positives, 3);
        assert_eq!(r.missed, vec!["sol/SOL-5".to_string()]);
        assert!((r.precision - 0.5).abs() < 1e-9);
        assert!((r.recall - 2.0 / 3.0).abs() < 1e-9);
        // r1 is right on every field; r6 has a wrong status, name and total.
        let f = |n: &str| r.fields[n];
        assert_eq!(
            f("customer_name"),
            FieldScore {
                correct: 1,
                total: 2
            }
        );
        assert_eq!(
            f("customer_email"),
            FieldScore {
                correct: 1,
                total: 2
            }
        );
        assert_eq!(
            f("customer_phone"),
            FieldScore {
                correct: 1,
                total: 2
            }
        );
        assert_eq!(
            f("pickup_at"),
            FieldScore {
                correct: 1,
                total: 2
            }
        );
        assert_eq!(
            f("pickup_location"),
            FieldScore {
                correct: 1,
                total: 2
            }
        );
        assert_eq!(
            f("status"),
            FieldScore {
                correct: 1,
                total: 2
            }
        );
        assert_eq!(
            f("total_amount"),
            FieldScore {
                correct: 1,
                total: 2
            }
        );
        assert_eq!(
            f("amount_paid"),
            FieldScore {
                correct: 2,
                total: 2
            }
        );
        assert_eq!(
            f("amount_refunded"),
            FieldScore {
                correct: 2,
                total: 2
            }
        );
        assert_eq!(
            f("booking_ref"),
            FieldScore {
                correct: 2,
                total: 2
            }
        );
        let table = r.to_string();
        assert!(table.contains("precision 0.500"), "{table}");
        assert!(table.contains("missed (1): sol/SOL-5"), "{table}");
    }

    #[test]
    fn majority_of_sources_and_ref_breaks_ties() {
        // Two sources of SOL-2, one of SOL-1: SOL-2.
        let csv = format!(
            "{HEADER}r1,sol,SOL-1,confirmed,,,,,,,,,,EUR,0,0,,1,email:a@x;email:b@x;stripe:ch_2,\n"
        );
        let r = evaluate_reader(csv.as_bytes(), &truth());
        assert_eq!(
            r.fields["booking_ref"],
            FieldScore {
                correct: 0,
                total: 1
            }
        );
        // One each: the row's own reference decides.
        let csv =
            format!("{HEADER}r1,sol,SOL-2,confirmed,,,,,,,,,,EUR,0,0,,1,email:a@x;email:b@x,\n");
        let r = evaluate_reader(csv.as_bytes(), &truth());
        assert_eq!(
            r.fields["booking_ref"],
            FieldScore {
                correct: 1,
                total: 1
            }
        );
        assert_eq!(r.true_positives, 1);
    }

    #[test]
    fn best_row_wins_over_earlier_duplicate() {
        let csv = format!(
            "{HEADER}\
r1,sol,SOL-1,confirmed,,,,,,,,,,EUR,0,0,,1,stripe:ch_1,\n\
r2,sol,SOL-1,confirmed,José Ñúñez,,,,,,,,,EUR,0,0,,1,stripe:ch_1;email:a@x,\n"
        );
        let r = evaluate_reader(csv.as_bytes(), &truth());
        assert_eq!(r.duplicates, 1);
        assert_eq!(
            r.fields["customer_name"],
            FieldScore {
                correct: 1,
                total: 1
            }
        );
    }

    #[test]
    fn reads_a_file_and_handles_empty_output() {
        let dir = std::env::temp_dir().join(format!("gapfill-eval-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bookings.csv");
        std::fs::write(&p, HEADER).unwrap();
        let r = evaluate(&p, &truth());
        assert_eq!(r.rows, 0);
        assert_eq!(r.true_positives, 0);
        assert_eq!(r.false_negatives, 3);
        assert_eq!(r.precision, 0.0);
        assert_eq!(r.f1, 0.0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn value_normalisation() {
        assert_eq!(fold_name("  José   Ñúñez "), "jose nunez");
        assert_eq!(fold_name("MÜLLER"), "muller");
        assert!(same_phone("0151 2345678", "+49 151 2345678"));
        assert!(!same_phone("0151 2345679", "+49 151 2345678"));
        assert_eq!(parse_decimal("1234.5"), Some(1_234_500_000));
        assert_eq!(parse_decimal("12000"), Some(12_000_000_000));
        assert_eq!(parse_decimal("1,234.50"), None);
        assert!(same_amount("1234.500", "1234.50", false));
        assert!(same_amount("", "0.00", true));
        assert!(!same_amount("", "0.00", false));
        assert!(same_instant(
            "2026-03-29T01:30:00Z",
            "2026-03-29T03:30:00+02:00"
        ));
    }
}
