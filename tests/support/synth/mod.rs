//! Deterministic synthetic worlds with ground truth, for gapfill's tests and benchmark.
//!
//! A world is a folder with everything gapfill reads (Stripe JSON and CSV exports, calendar
//! exports, mailboxes, the restored database, `recovery.toml`) plus `truth.json`, which says
//! what gapfill should find. The same [`Config`] always gives byte-identical files: the only
//! randomness is a seeded splitmix64 stream ([`rng`]).
//!
//! The producers are imitated, not simplified: mails are MIME with the encodings real
//! mailers use, calendars are folded iCalendar exports, Stripe objects are complete API
//! objects. Nothing here knows how gapfill parses them.

pub mod calendar;
pub mod data;
pub mod db;
pub mod email;
pub mod fmt;
pub mod mime;
pub mod model;
pub mod plan;
pub mod rng;
pub mod stripe;
pub mod truth;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub use model::World;
pub use truth::{Truth, TruthBooking};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    /// At least 3; archetypes repeat after 6.
    pub n_tenants: usize,
    /// All bookings: ~5 % old (picked up before T0), ~25 % booked before T0 and picked up
    /// after, the rest booked in the gap.
    pub n_bookings: usize,
    /// T0, the backup.
    pub t0: DateTime<Utc>,
    /// T1 = T0 + `days`.
    pub days: i64,
    /// Written into the plan (`mappings`, `[database].mapping`).
    pub mappings: PathBuf,
}

impl Config {
    /// T0 = 2026-02-16T03:00:00Z, a 90-day window that contains the spring DST switches of
    /// Europe and North America.
    pub fn new(seed: u64, n_tenants: usize, n_bookings: usize) -> Config {
        Config {
            seed,
            n_tenants: n_tenants.max(3),
            n_bookings,
            t0: DateTime::parse_from_rfc3339("2026-02-16T03:00:00Z")
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default(),
            days: 90,
            mappings: PathBuf::from("mappings"),
        }
    }
}

/// Evidence bookkeeping while the writers run.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Per booking (index into `World::bookings`): evidence ids.
    pub evidence: Vec<Vec<String>>,
    /// Per booking: some item names the pick-up date with the reference or the name.
    pub carries: Vec<bool>,
    pub noise: Vec<String>,
    pub files: usize,
}

impl Ledger {
    pub fn add(&mut self, booking: usize, id: String, carries: bool) {
        self.evidence[booking].push(id);
        self.carries[booking] |= carries;
    }

    fn merge(&mut self, other: Ledger) {
        for (i, ev) in other.evidence.into_iter().enumerate() {
            self.evidence[i].extend(ev);
        }
        for (i, c) in other.carries.into_iter().enumerate() {
            self.carries[i] |= c;
        }
        self.noise.extend(other.noise);
        self.files += other.files;
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub bookings: usize,
    pub gap: usize,
    pub recoverable: usize,
    pub pre_t0: usize,
    pub cancelled: usize,
    pub modified: usize,
    /// Distinct evidence ids (booking evidence + noise).
    pub evidence_items: usize,
    pub noise_items: usize,
    pub files: usize,
    pub db_rows: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} bookings ({} in the gap, {} recoverable, {} before T0, {} cancelled, {} modified), \
             {} evidence items ({} noise) in {} files, {} rows in the restored DB",
            self.bookings,
            self.gap,
            self.recoverable,
            self.pre_t0,
            self.cancelled,
            self.modified,
            self.evidence_items,
            self.noise_items,
            self.files,
            self.db_rows
        )
    }
}

/// Builds the world model without writing anything.
pub fn build_world(cfg: &Config) -> World {
    model::build(cfg)
}

/// Removes what an earlier run wrote, so that a regenerated world has no stale files.
fn clear_previous(out: &Path) -> io::Result<()> {
    for d in ["mail", "stripe", "calendars"] {
        let p = out.join(d);
        if p.is_dir() {
            fs::remove_dir_all(p)?;
        }
    }
    for f in ["restored.sqlite", "truth.json", "recovery.toml"] {
        let p = out.join(f);
        if p.is_file() {
            fs::remove_file(p)?;
        }
    }
    Ok(())
}

/// Generates a world into `out` (created if needed).
pub fn generate(cfg: &Config, out: &Path) -> io::Result<Summary> {
    fs::create_dir_all(out)?;
    clear_previous(out)?;
    let w = model::build(cfg);
    let n = w.bookings.len();
    // The writers are independent: run them side by side, each with its own ledger, and
    // merge (evidence lists are sorted afterwards, so the result does not depend on timing).
    let fresh = || Ledger {
        evidence: vec![Vec::new(); n],
        carries: vec![false; n],
        noise: Vec::new(),
        files: 0,
    };
    let (mut l_stripe, mut l_cal, mut l_mail) = (fresh(), fresh(), fresh());
    let db_path = out.join("restored.sqlite");
    let (r_stripe, r_cal, r_mail, r_db) = std::thread::scope(|sc| {
        let h1 = sc.spawn(|| stripe::write(&w, out, &mut l_stripe));
        let h2 = sc.spawn(|| calendar::write(&w, out, &mut l_cal));
        let h3 = sc.spawn(|| email::write(&w, out, &mut l_mail));
        let h4 = sc.spawn(|| db::write(&w, &db_path));
        let join = |r: std::thread::Result<io::Result<()>>| {
            r.unwrap_or_else(|_| Err(io::Error::other("writer thread panicked")))
        };
        (
            join(h1.join()),
            join(h2.join()),
            join(h3.join()),
            h4.join()
                .unwrap_or_else(|_| Err(io::Error::other("db thread panicked"))),
        )
    });
    r_stripe?;
    r_cal?;
    r_mail?;
    let db_rows = r_db?;
    let mut ledger = fresh();
    for part in [l_stripe, l_cal, l_mail] {
        ledger.merge(part);
    }
    ledger.files += 1;
    let truth = make_truth(&w, &mut ledger);
    let f = io::BufWriter::new(fs::File::create(out.join("truth.json"))?);
    serde_json::to_writer_pretty(f, &truth)?;
    fs::write(out.join("recovery.toml"), plan::render(&w, &cfg.mappings))?;
    ledger.files += 2;
    let evidence_items = truth
        .bookings
        .iter()
        .map(|b| b.evidence.len())
        .sum::<usize>()
        + truth.noise.len();
    Ok(Summary {
        bookings: n,
        gap: truth.gap().count(),
        recoverable: truth.recoverable().count(),
        pre_t0: truth.bookings.iter().filter(|b| b.in_restored_db).count(),
        cancelled: truth
            .bookings
            .iter()
            .filter(|b| b.status == "cancelled")
            .count(),
        modified: w.bookings.iter().filter(|b| b.modified.is_some()).count(),
        evidence_items,
        noise_items: truth.noise.len(),
        files: ledger.files,
        db_rows,
    })
}

fn make_truth(w: &World, ledger: &mut Ledger) -> Truth {
    let mut bookings = Vec::with_capacity(w.bookings.len());
    for (i, b) in w.bookings.iter().enumerate() {
        let t = &w.tenants[b.tenant];
        let s = b.final_state();
        let mut evidence = std::mem::take(&mut ledger.evidence[i]);
        evidence.sort();
        evidence.dedup();
        let in_gap = b.class == model::Class::Gap;
        bookings.push(TruthBooking {
            tenant: t.slug.clone(),
            booking_ref: b.booking_ref.clone(),
            status: if b.cancelled_at.is_some() {
                "cancelled"
            } else {
                "confirmed"
            }
            .to_string(),
            customer_name: b.cust.full(),
            customer_email: b.cust.email.clone(),
            customer_phone: b.cust.phone_intl.clone(),
            vehicle: t.vehicle(s.vehicle).to_string(),
            pickup_at: fmt::rfc3339(t.tz, s.pickup),
            return_at: fmt::rfc3339(t.tz, s.ret),
            pickup_location: t.branch(s.pickup_loc).to_string(),
            return_location: t.branch(s.return_loc).to_string(),
            total: fmt::decimal(s.total, t.exp),
            currency: t.currency.to_string(),
            amount_paid: fmt::decimal(b.paid(), t.exp),
            amount_refunded: fmt::decimal(b.refunded(), t.exp),
            booked_at: fmt::rfc3339(t.tz, b.booked_at),
            in_gap,
            in_restored_db: !in_gap,
            recoverable: in_gap && ledger.carries[i],
            evidence,
        });
    }
    let mut noise = std::mem::take(&mut ledger.noise);
    noise.sort();
    noise.dedup();
    Truth {
        since: fmt::rfc3339_z(w.t0),
        until: fmt::rfc3339_z(w.t1),
        bookings,
        noise,
    }
}
