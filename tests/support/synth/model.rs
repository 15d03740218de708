//! The world itself, before any file is written: tenants, customers and bookings with their
//! whole life (original data, a later modification, a cancellation) and their Stripe money
//! movements. The writers only render this model; every fact in `truth.json` comes from here.

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;

use super::data::{self, Country, Profile, ProfileData, ALL_COUNTRIES, PROFILES};
use super::fmt;
use super::rng::{mix, Rng, BASE62, REF_ALPHABET};
use super::Config;

pub const DAY: i64 = 86_400;
pub const HOUR: i64 = 3_600;

/// One car-rental business on the platform.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub idx: usize,
    pub profile: Profile,
    pub data: &'static ProfileData,
    /// 0 for the first tenant of an archetype, 1 for the second, ...
    pub copy: usize,
    pub slug: String,
    pub name: String,
    pub brand: String,
    pub domain: String,
    pub acct: String,
    pub tz: Tz,
    pub tz_name: &'static str,
    pub currency: &'static str,
    /// Decimal exponent of the currency (JPY 0, else 2).
    pub exp: u32,
}

impl Tenant {
    /// Deposit at booking and the balance around pick-up (instead of one full payment).
    pub fn deposit(&self) -> bool {
        matches!(self.profile, Profile::Alpen | Profile::Sol)
    }
    /// The platform mails a receipt for each successful payment.
    pub fn receipts(&self) -> bool {
        matches!(
            self.profile,
            Profile::Liberty | Profile::Thames | Profile::Sakura
        )
    }
    /// Payments only as a Dashboard CSV export (no API JSON).
    pub fn stripe_csv(&self) -> bool {
        self.profile == Profile::Riviera
    }
    /// Payment intents are exported too.
    pub fn exports_payment_intents(&self) -> bool {
        self.profile == Profile::Liberty
    }

    /// (display name, address) of the booking mails.
    pub fn sender(&self) -> (String, String) {
        let local = match self.profile {
            Profile::Alpen => "buchung",
            Profile::Liberty => "reservations",
            Profile::Riviera => "reservations",
            Profile::Sol => "reservas",
            Profile::Thames => {
                let s = if self.copy == 0 {
                    "thames-motors".to_string()
                } else {
                    format!("thames-motors-{}", self.copy + 1)
                };
                return (self.brand.clone(), format!("{s}@mail.rentcloud.example"));
            }
            Profile::Sakura => "booking",
        };
        (self.brand.clone(), format!("{local}@{}", self.domain))
    }

    /// Staff member `i`: (display name, address).
    pub fn staff(&self, i: usize) -> (String, String) {
        let (n, l) = self.data.staff[i % self.data.staff.len()];
        (n.to_string(), format!("{l}@{}", self.domain))
    }

    /// What the plan lists as this tenant's senders.
    pub fn email_senders(&self) -> Vec<String> {
        let mut v = vec![self.domain.clone()];
        if self.profile == Profile::Thames {
            v.push(self.sender().1);
        }
        v
    }

    pub fn vehicle(&self, i: usize) -> &'static str {
        self.data.fleet[i].name
    }
    pub fn branch(&self, i: usize) -> &'static str {
        self.data.branches[i]
    }
}

fn make_tenants(cfg: &Config, rng: &mut Rng) -> Vec<Tenant> {
    let mut out = Vec::new();
    for idx in 0..cfg.n_tenants {
        let profile = PROFILES[idx % PROFILES.len()];
        let copy = idx / PROFILES.len();
        let d = data::profile_data(profile);
        let (slug, name, brand, domain) = if copy == 0 {
            (
                d.slug.to_string(),
                d.name.to_string(),
                d.brand.to_string(),
                d.domain.to_string(),
            )
        } else {
            let n = copy + 1;
            let stem = d.domain.trim_end_matches(".example");
            (
                format!("{}-{n}", d.slug),
                format!("{} {n}", d.name),
                format!("{} {n}", d.brand),
                format!("{stem}{n}.example"),
            )
        };
        let tz: Tz = d.tz.parse().unwrap_or(chrono_tz::UTC);
        out.push(Tenant {
            idx,
            profile,
            data: d,
            copy,
            slug,
            name,
            brand,
            domain,
            acct: format!("acct_1{}", rng.chars(15, BASE62)),
            tz,
            tz_name: d.tz,
            currency: d.currency,
            exp: if d.currency == "JPY" { 0 } else { 2 },
        });
    }
    out
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub country: Country,
    pub first: String,
    pub last: String,
    pub email: String,
    /// International format, as the platform stores it: `+49 151 2345678`.
    pub phone_intl: String,
    /// National format, as customers type it: `0151 2345678`.
    pub phone_nat: String,
}

impl Customer {
    pub fn full(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
    /// `J. Smith`
    pub fn initial_last(&self) -> String {
        let i: String = self.first.chars().take(1).collect();
        format!("{i}. {}", self.last)
    }
}

fn phone(rng: &mut Rng, c: Country) -> (String, String) {
    match c {
        Country::De => {
            let p = rng.pick(&[
                "151", "152", "157", "160", "170", "171", "172", "176", "178",
            ]);
            let len = 7 + rng.index(2);
            let n = rng.digits(len);
            (format!("+49 {p} {n}"), format!("0{p} {n}"))
        }
        Country::Us => {
            let a = rng.pick(&["212", "646", "917", "718", "201", "347", "973"]);
            let x = format!("{}{}", rng.range(2, 10), rng.digits(2));
            let y = rng.digits(4);
            (format!("+1 {a}-{x}-{y}"), format!("({a}) {x}-{y}"))
        }
        Country::Fr => {
            let p = rng.pick(&["6", "7"]);
            let g: Vec<String> = (0..4).map(|_| rng.digits(2)).collect();
            (
                format!("+33 {p} {}", g.join(" ")),
                format!("0{p} {}", g.join(" ")),
            )
        }
        Country::Es => {
            let a = format!("6{}", rng.digits(2));
            let (b, c2) = (rng.digits(3), rng.digits(3));
            (format!("+34 {a} {b} {c2}"), format!("{a} {b} {c2}"))
        }
        Country::Gb => {
            let a = format!("7{}", rng.digits(3));
            let b = rng.digits(6);
            (format!("+44 {a} {b}"), format!("0{a} {b}"))
        }
        Country::Jp => {
            let p = rng.pick(&["90", "80", "70"]);
            let (a, b) = (rng.digits(4), rng.digits(4));
            (format!("+81 {p}-{a}-{b}"), format!("0{p}-{a}-{b}"))
        }
        Country::Cz => {
            let (a, b, c2) = (format!("6{}", rng.digits(2)), rng.digits(3), rng.digits(3));
            (format!("+420 {a} {b} {c2}"), format!("+420 {a} {b} {c2}"))
        }
        Country::Pl => {
            let (a, b, c2) = (format!("5{}", rng.digits(2)), rng.digits(3), rng.digits(3));
            (format!("+48 {a} {b} {c2}"), format!("+48 {a} {b} {c2}"))
        }
        Country::Dk => {
            let g: Vec<String> = (0..4).map(|_| rng.digits(2)).collect();
            // Danish numbers have 8 digits; the evaluator compares the last 9 digits, which
            // then include the country code's last digit on both sides.
            (
                format!("+45 {}", g.join(" ")),
                format!("+45 {}", g.join(" ")),
            )
        }
    }
}

fn email(rng: &mut Rng, c: Country, first: &str, last: &str, force_digits: bool) -> String {
    let f = data::ascii_fold(first).to_lowercase();
    let l = data::ascii_fold(last).to_lowercase();
    let fi: String = f.chars().take(1).collect();
    let dom = rng.pick(c.mail_domains());
    let variant = if force_digits { 1 } else { rng.below(6) };
    let local = match variant {
        0 => format!("{f}.{l}"),
        1 => format!("{f}{l}{}", rng.range(10, 99)),
        2 => format!("{fi}.{l}"),
        3 => format!("{f}_{l}"),
        4 => format!("{l}.{f}"),
        _ => format!("{fi}{l}"),
    };
    format!("{local}@{dom}")
}

fn customer(rng: &mut Rng, home: Country) -> Customer {
    let country = if rng.chance(700) {
        home
    } else {
        *rng.pick(&ALL_COUNTRIES)
    };
    let first = rng.pick(country.first_names()).to_string();
    let last = rng.pick(country.last_names()).to_string();
    let email = email(rng, country, &first, &last, false);
    let (phone_intl, phone_nat) = phone(rng, country);
    Customer {
        country,
        first,
        last,
        email,
        phone_intl,
        phone_nat,
    }
}

/// The bookable facts of a booking at one point in its life.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Index into the tenant's fleet.
    pub vehicle: usize,
    pub pickup: i64,
    pub ret: i64,
    pub pickup_loc: usize,
    pub return_loc: usize,
    pub insurance: bool,
    /// Minor units.
    pub total: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Booked and picked up before T0: only in the restored DB (and old evidence).
    Old,
    /// Booked before T0, picked up after: in the restored DB, evidence in the window.
    PreT0,
    /// Booked in (T0, T1]: lost, to be recovered.
    Gap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeKind {
    Full,
    Deposit,
    Balance,
    /// Extra charge after a modification that raised the price.
    Extra,
}

#[derive(Debug, Clone)]
pub struct Charge {
    pub id: String,
    pub pi: String,
    pub created: i64,
    pub amount: i64,
    pub kind: ChargeKind,
    pub failed: bool,
    /// Refunded by T1, minor units.
    pub refunded: i64,
    /// Metadata/description describe the final state (charged after the modification).
    pub final_state: bool,
    pub receipt_number: String,
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub id: String,
    /// Index into the booking's charges.
    pub charge: usize,
    pub created: i64,
    pub amount: i64,
}

#[derive(Debug, Clone)]
pub struct Card {
    pub brand: &'static str,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
    pub funding: &'static str,
    pub fingerprint: String,
    /// SEPA debit instead of a card (Dashboard CSV tenant: `py_` ids).
    pub sepa: bool,
}

/// Per-booking switches for the hard cases.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub no_confirmation: bool,
    pub no_calendar: bool,
    /// Paid at the counter: no Stripe at all.
    pub counter: bool,
    pub failed_retry: bool,
    pub partial_refund: bool,
    /// The confirmation exists twice (same Message-ID).
    pub dup_mail: bool,
    pub dup_in_eml: bool,
    /// Staff forwarded the confirmation.
    pub forward: bool,
    /// The card holder name is a nickname / differently written.
    pub stripe_nick: bool,
    /// Staff mistyped the surname in the calendar.
    pub cal_typo: bool,
    /// The Stripe description names no booking reference.
    pub desc_no_ref: bool,
    /// The calendar event has a DESCRIPTION.
    pub cal_desc: bool,
    /// Riviera: which metadata columns are filled.
    pub csv_ref: bool,
    pub csv_pickup: bool,
}

#[derive(Debug, Clone)]
pub struct Booking {
    pub tenant: usize,
    pub booking_ref: String,
    pub cust: Customer,
    pub class: Class,
    pub booked_at: i64,
    pub orig: State,
    pub modified: Option<(i64, State)>,
    pub cancelled_at: Option<i64>,
    pub seed: u64,
    pub f: Flags,
    pub card: Card,
    pub charges: Vec<Charge>,
    pub refunds: Vec<Refund>,
    /// Deposit charged at booking (0 when none).
    pub deposit: i64,
    /// Calendar event UID (also when the event is missing from the export).
    pub uid: String,
}

impl Booking {
    pub fn final_state(&self) -> &State {
        self.modified.as_ref().map(|(_, s)| s).unwrap_or(&self.orig)
    }
    /// The data as known at `ts`.
    pub fn state_at(&self, ts: i64) -> &State {
        match &self.modified {
            Some((m, s)) if ts >= *m => s,
            _ => &self.orig,
        }
    }
    pub fn paid(&self) -> i64 {
        self.charges
            .iter()
            .filter(|c| !c.failed)
            .map(|c| c.amount)
            .sum()
    }
    pub fn refunded(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }
    pub fn paid_before(&self, ts: i64) -> i64 {
        self.charges
            .iter()
            .filter(|c| !c.failed && c.created < ts)
            .map(|c| c.amount)
            .sum()
    }
    pub fn rng(&self, salt: u64) -> Rng {
        Rng::new(mix(self.seed, salt))
    }
}

#[derive(Debug, Clone)]
pub struct World {
    pub t0: i64,
    pub t1: i64,
    pub tenants: Vec<Tenant>,
    /// Sorted by (booked_at, tenant, ref).
    pub bookings: Vec<Booking>,
    pub seed: u64,
}

fn rental_days(pickup: i64, ret: i64) -> i64 {
    ((ret - pickup) + DAY - 1) / DAY
}

fn price(t: &Tenant, s: &State) -> i64 {
    let days = rental_days(s.pickup, s.ret).max(1);
    let mut total = t.data.fleet[s.vehicle].rate * days;
    if s.return_loc != s.pickup_loc {
        total += t.data.one_way_fee;
    }
    if s.insurance {
        total += t.data.insurance * days;
    }
    total
}

fn local_day(t: &Tenant, ts: i64) -> NaiveDate {
    fmt::local(t.tz, ts).date_naive()
}

/// A business-hours time (on the hour or half hour) on `day`.
fn business_time(rng: &mut Rng, t: &Tenant, day: NaiveDate, from_h: i64, to_h: i64) -> i64 {
    let h = rng.range(from_h, to_h) as u32;
    let m = if rng.chance(400) { 30 } else { 0 };
    fmt::from_local(t.tz, day, h, m)
}

const DURATION_WEIGHTS: [u32; 14] = [8, 12, 14, 12, 10, 8, 12, 5, 4, 4, 3, 3, 2, 3];

/// Pick-up on or after local day of `not_before` (+lead), return 1–14 days later.
fn schedule(rng: &mut Rng, t: &Tenant, not_before: i64, lead_days: i64) -> (i64, i64) {
    let mut day = local_day(t, not_before) + Duration::days(lead_days);
    let mut pickup = business_time(rng, t, day, 8, 18);
    while pickup < not_before + 2 * HOUR {
        day += Duration::days(1);
        pickup = business_time(rng, t, day, 8, 18);
    }
    let dur = rng.weighted(&DURATION_WEIGHTS) as i64 + 1;
    let ret = business_time(rng, t, day + Duration::days(dur), 8, 19);
    (pickup, ret)
}

fn lead(rng: &mut Rng) -> i64 {
    match rng.weighted(&[15, 45, 30, 10]) {
        0 => rng.range(0, 3),
        1 => rng.range(3, 15),
        2 => rng.range(15, 46),
        _ => rng.range(46, 76),
    }
}

fn new_state(rng: &mut Rng, t: &Tenant, pickup: i64, ret: i64) -> State {
    let n_br = t.data.branches.len();
    let pickup_loc = rng.index(n_br);
    let return_loc = if rng.chance(750) {
        pickup_loc
    } else {
        (pickup_loc + 1 + rng.index(n_br - 1)) % n_br
    };
    let mut s = State {
        vehicle: rng.index(t.data.fleet.len()),
        pickup,
        ret,
        pickup_loc,
        return_loc,
        insurance: rng.chance(400),
        total: 0,
    };
    s.total = price(t, &s);
    s
}

/// A booking reference in the tenant's own style, unique within the tenant.
/// `widen` > 0 adds digits once the short form is crowded (huge worlds), so the loop ends.
fn make_ref(rng: &mut Rng, t: &Tenant, booked_at: i64, seq: usize, widen: u32) -> String {
    let d = fmt::local(t.tz, booked_at);
    let w = 10u64.pow(widen);
    match t.profile {
        Profile::Alpen => format!("AA-{}-{:05}", d.format("%Y"), seq + 100),
        Profile::Liberty => format!("BK-{}", 10_000 * w + rng.below(90_000 * w)),
        Profile::Riviera => rng.chars(6 + widen as usize, REF_ALPHABET),
        Profile::Sol => format!("SOL-{}", 100_000 * w + rng.below(900_000 * w)),
        Profile::Thames => format!(
            "TM{}-{:0width$}",
            d.format("%y"),
            rng.below(100_000 * w),
            width = 5 + widen as usize
        ),
        Profile::Sakura => format!(
            "SD-{}-{:0width$}",
            d.format("%Y%m%d"),
            rng.range(1, 100 * w as i64),
            width = 2 + widen as usize
        ),
    }
}

/// A reference not used before by this tenant.
fn fresh_ref(
    rng: &mut Rng,
    t: &Tenant,
    booked_at: i64,
    seq: &mut usize,
    used: &mut std::collections::BTreeSet<String>,
) -> String {
    let mut attempt = 0u32;
    loop {
        let r = make_ref(rng, t, booked_at, *seq, attempt / 16);
        *seq += 1;
        if used.insert(r.clone()) {
            return r;
        }
        attempt += 1;
    }
}

fn card(rng: &mut Rng, t: &Tenant) -> Card {
    let brand = match t.profile {
        Profile::Sakura => *rng.pick(&["visa", "jcb", "mastercard", "jcb"]),
        Profile::Liberty => *rng.pick(&["visa", "mastercard", "amex", "visa", "discover"]),
        _ => *rng.pick(&["visa", "mastercard", "visa", "amex"]),
    };
    Card {
        brand,
        last4: rng.digits(4),
        exp_month: rng.range(1, 13) as u32,
        exp_year: rng.range(2026, 2032) as i32,
        funding: ["credit", "credit", "debit", "prepaid"][rng.index(4)],
        fingerprint: rng.chars(16, BASE62),
        sepa: t.stripe_csv() && rng.chance(120),
    }
}

fn flags(rng: &mut Rng, t: &Tenant) -> Flags {
    Flags {
        no_confirmation: rng.chance(100),
        no_calendar: rng.chance(100),
        counter: rng.chance(100),
        failed_retry: rng.chance(40),
        partial_refund: rng.chance(40),
        dup_mail: rng.chance(30),
        dup_in_eml: rng.chance(500),
        forward: rng.chance(20),
        stripe_nick: rng.chance(120),
        cal_typo: rng.chance(60),
        desc_no_ref: match t.profile {
            Profile::Alpen => rng.chance(50),
            Profile::Liberty => rng.chance(80),
            Profile::Thames => rng.chance(300),
            _ => false,
        },
        cal_desc: rng.chance(600),
        csv_ref: rng.chance(700),
        csv_pickup: rng.chance(700),
    }
}

fn unit(t: &Tenant) -> i64 {
    10i64.pow(t.exp)
}

/// Charges and refunds of one booking, as Stripe would hold them at T1.
fn plan_payments(rng: &mut Rng, t: &Tenant, b: &mut Booking, t1: i64) {
    if b.f.counter {
        return;
    }
    let mut charges: Vec<Charge> = Vec::new();
    let mut refunds: Vec<Refund> = Vec::new();
    let new_charge = |rng: &mut Rng, created, amount, kind, final_state, failed, pi: &str| {
        let suffix = rng.chars(24, BASE62);
        Charge {
            id: if b.card.sepa {
                format!("py_{suffix}")
            } else {
                format!("ch_{suffix}")
            },
            pi: if pi.is_empty() {
                format!("pi_{suffix}")
            } else {
                pi.to_string()
            },
            created,
            amount,
            kind,
            failed,
            refunded: 0,
            final_state,
            receipt_number: format!("{}-{}", rng.digits(4), rng.digits(4)),
        }
    };
    let mut first_at = b.booked_at + rng.range(15, 240);
    let first_amount = if t.deposit() {
        let pct = rng.range(20, 31);
        let dep = b.orig.total * pct / 100;
        dep - dep % unit(t)
    } else {
        b.orig.total
    };
    let first_kind = if t.deposit() {
        ChargeKind::Deposit
    } else {
        ChargeKind::Full
    };
    let mut pi = String::new();
    if b.f.failed_retry {
        let failed_at = b.booked_at + rng.range(10, 60);
        let c = new_charge(rng, failed_at, first_amount, first_kind, false, true, "");
        pi = c.pi.clone();
        charges.push(c);
        first_at = failed_at + rng.range(60, 600);
    }
    charges.push(new_charge(
        rng,
        first_at,
        first_amount,
        first_kind,
        false,
        false,
        &pi,
    ));
    if t.deposit() {
        b.deposit = first_amount;
    }
    let fin = b.final_state().clone();
    if t.deposit() {
        if b.cancelled_at.is_none() {
            let bal_at = (fin.pickup - rng.range(0, 2 * HOUR)).max(first_at + 600);
            charges.push(new_charge(
                rng,
                bal_at,
                fin.total - first_amount,
                ChargeKind::Balance,
                true,
                false,
                "",
            ));
        }
    } else if let Some((m, _)) = &b.modified {
        let delta = fin.total - b.orig.total;
        let at = m + rng.range(60, 900);
        if delta > 0 {
            charges.push(new_charge(
                rng,
                at,
                delta,
                ChargeKind::Extra,
                true,
                false,
                "",
            ));
        } else if delta < 0 {
            let ci = charges.len() - 1;
            refunds.push(Refund {
                id: format!("re_{}", rng.chars(24, BASE62)),
                charge: ci,
                created: at,
                amount: -delta,
            });
        }
    }
    if let Some(c) = b.cancelled_at {
        for (ci, ch) in charges.iter().enumerate() {
            if ch.failed || ch.created >= c {
                continue;
            }
            let already: i64 = refunds
                .iter()
                .filter(|r| r.charge == ci)
                .map(|r| r.amount)
                .sum();
            if ch.amount > already {
                refunds.push(Refund {
                    id: format!("re_{}", rng.chars(24, BASE62)),
                    charge: ci,
                    created: c + rng.range(HOUR, 2 * DAY),
                    amount: ch.amount - already,
                });
            }
        }
    } else if b.f.partial_refund {
        if let Some(ci) = charges
            .iter()
            .rposition(|c| !c.failed && c.kind != ChargeKind::Deposit)
        {
            let amt = fin.total * rng.range(5, 21) / 100;
            let amt = (amt - amt % unit(t)).max(unit(t)).min(charges[ci].amount);
            refunds.push(Refund {
                id: format!("re_{}", rng.chars(24, BASE62)),
                charge: ci,
                created: fin.ret + rng.range(2 * HOUR, 3 * DAY),
                amount: amt,
            });
        }
    }
    // What exists at T1: later objects are not in the export.
    let keep: Vec<bool> = charges.iter().map(|c| c.created <= t1).collect();
    let mut remap = vec![usize::MAX; charges.len()];
    let mut kept = Vec::new();
    for (i, c) in charges.into_iter().enumerate() {
        if keep[i] {
            remap[i] = kept.len();
            kept.push(c);
        }
    }
    let refunds: Vec<Refund> = refunds
        .into_iter()
        .filter(|r| r.created <= t1 && remap[r.charge] != usize::MAX)
        .map(|mut r| {
            r.charge = remap[r.charge];
            r
        })
        .collect();
    for r in &refunds {
        kept[r.charge].refunded += r.amount;
    }
    b.charges = kept;
    b.refunds = refunds;
}

/// A later change: new dates, another car or another return branch (price recomputed).
fn modify(rng: &mut Rng, t: &Tenant, b: &Booking, t1: i64) -> Option<(i64, State)> {
    let hi = (b.orig.pickup - 26 * HOUR).min(t1);
    let lo = b.booked_at + HOUR;
    if hi <= lo {
        return None;
    }
    let m = rng.range(lo, hi);
    let mut s = b.orig.clone();
    match rng.below(3) {
        0 => {
            let shift = rng.range(-2, 4);
            let day = local_day(t, s.pickup) + Duration::days(shift);
            s.pickup = business_time(rng, t, day, 8, 18);
            if s.pickup < m + 26 * HOUR {
                let day = local_day(t, m + 27 * HOUR) + Duration::days(1);
                s.pickup = business_time(rng, t, day, 8, 18);
            }
            let dur = rng.weighted(&DURATION_WEIGHTS) as i64 + 1;
            s.ret = business_time(rng, t, local_day(t, s.pickup) + Duration::days(dur), 8, 19);
        }
        1 => {
            let n = t.data.fleet.len();
            s.vehicle = (s.vehicle + 1 + rng.index(n - 1)) % n;
        }
        _ => {
            let n = t.data.branches.len();
            s.return_loc = (s.return_loc + 1 + rng.index(n - 1)) % n;
        }
    }
    s.total = price(t, &s);
    if s == b.orig {
        return None;
    }
    Some((m, s))
}

fn calendar_uid(rng: &mut Rng, t: &Tenant, created: i64) -> String {
    match t.profile {
        Profile::Alpen => {
            // Outlook global object id: class id, FILETIME of creation, zero pad, random.
            let filetime = (created as u64 + 11_644_473_600) * 10_000_000;
            format!(
                "040000008200E00074C5B7101A82E00800000000{:016X}000000000000000010000000{}",
                filetime.swap_bytes(),
                rng.chars(32, super::rng::HEX_UPPER)
            )
        }
        Profile::Liberty | Profile::Riviera | Profile::Thames => {
            format!("{}@google.com", rng.chars(26, super::rng::LOWER_ALNUM))
        }
        Profile::Sol => {
            let h = super::rng::HEX_UPPER;
            format!(
                "{}-{}-{}-{}-{}",
                rng.chars(8, h),
                rng.chars(4, h),
                rng.chars(4, h),
                rng.chars(4, h),
                rng.chars(12, h)
            )
        }
        Profile::Sakura => {
            let h = super::rng::HEX_LOWER;
            format!(
                "{}-{}-{}-{}-{}@{}",
                rng.chars(8, h),
                rng.chars(4, h),
                rng.chars(4, h),
                rng.chars(4, h),
                rng.chars(12, h),
                t.domain
            )
        }
    }
}

pub fn build(cfg: &Config) -> World {
    let t0 = cfg.t0.timestamp();
    let t1 = t0 + cfg.days * DAY;
    let mut rng = Rng::new(cfg.seed);
    let tenants = make_tenants(cfg, &mut rng);
    let weights: Vec<u32> = (0..tenants.len())
        .map(|i| [30, 25, 15, 12, 10, 8].get(i).copied().unwrap_or(8))
        .collect();
    let n = cfg.n_bookings;
    let n_old = n * 5 / 100;
    let n_pre = n * 25 / 100;
    let mut refs: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); tenants.len()];
    let mut names: Vec<Vec<(String, String, Country)>> = vec![Vec::new(); tenants.len()];
    let mut bookings: Vec<Booking> = Vec::with_capacity(n);
    let mut seq = vec![0usize; tenants.len()];
    while bookings.len() < n {
        let i = bookings.len();
        let class = if i < n_old {
            Class::Old
        } else if i < n_old + n_pre {
            Class::PreT0
        } else {
            Class::Gap
        };
        let seed = mix(cfg.seed, i as u64 + 1);
        let mut r = Rng::new(seed);
        let ti = r.weighted(&weights);
        let t = &tenants[ti];
        let booked_at = match class {
            Class::Gap => t0 + r.range(1, cfg.days * DAY + 1),
            Class::PreT0 if r.chance(20) => t0 - r.range(1, 600),
            Class::PreT0 => t0 - r.range(600, 60 * DAY),
            Class::Old => t0 - r.range(25 * DAY, 120 * DAY),
        };
        let (pickup, ret) = match class {
            Class::Old => {
                let max_lead = ((t0 - booked_at) / DAY - 2).max(1);
                let l = r.range(0, max_lead.min(20));
                schedule(&mut r, t, booked_at, l)
            }
            Class::PreT0 => {
                let base = booked_at.max(t0);
                let l = lead(&mut r);
                schedule(&mut r, t, base, l)
            }
            Class::Gap => {
                let l = lead(&mut r);
                schedule(&mut r, t, booked_at, l)
            }
        };
        let mut cust = customer(&mut r, t.data.country);
        if class == Class::Gap && r.chance(10) && !names[ti].is_empty() {
            // A different customer with the same name (other e-mail, phone, dates).
            let (f, l, c) = names[ti][r.index(names[ti].len())].clone();
            cust.email = email(&mut r, c, &f, &l, true);
            cust.first = f;
            cust.last = l;
            cust.country = c;
        }
        names[ti].push((cust.first.clone(), cust.last.clone(), cust.country));
        let orig = new_state(&mut r, t, pickup, ret);
        let booking_ref = fresh_ref(&mut r, t, booked_at, &mut seq[ti], &mut refs[ti]);
        let created = booked_at + r.range(5, 300);
        let uid = calendar_uid(&mut r, t, created);
        let mut b = Booking {
            tenant: ti,
            booking_ref,
            cust,
            class,
            booked_at,
            orig,
            modified: None,
            cancelled_at: None,
            seed,
            f: flags(&mut r, t),
            card: card(&mut r, t),
            charges: Vec::new(),
            refunds: Vec::new(),
            deposit: 0,
            uid,
        };
        if class == Class::Gap {
            let what = r.below(1000);
            if what < 100 {
                b.modified = modify(&mut r, t, &b, t1);
            } else if what < 180 {
                let hi = (b.orig.pickup - HOUR).min(t1);
                let lo = b.booked_at + 600;
                if hi > lo {
                    b.cancelled_at = Some(r.range(lo, hi));
                }
            }
        }
        plan_payments(&mut r, t, &mut b, t1);
        let sibling = class == Class::Gap && bookings.len() + 2 <= n && r.chance(15);
        if sibling {
            // The same customer books a second car for the same dates (second reference).
            let mut s = b.clone();
            let seed2 = mix(seed, 0xB0B);
            let mut r2 = Rng::new(seed2);
            s.seed = seed2;
            s.booked_at = b.booked_at + r2.range(60, 1800).min((t1 - b.booked_at).max(0));
            let nf = t.data.fleet.len();
            s.orig.vehicle = (b.orig.vehicle + 1 + r2.index(nf - 1)) % nf;
            s.orig.total = price(t, &s.orig);
            s.modified = None;
            s.cancelled_at = None;
            s.booking_ref = fresh_ref(&mut r2, t, s.booked_at, &mut seq[ti], &mut refs[ti]);
            s.f = flags(&mut r2, t);
            s.card = card(&mut r2, t);
            let created = s.booked_at + r2.range(5, 300);
            s.uid = calendar_uid(&mut r2, t, created);
            s.deposit = 0;
            plan_payments(&mut r2, t, &mut s, t1);
            bookings.push(b);
            bookings.push(s);
        } else {
            bookings.push(b);
        }
    }
    bookings.sort_by(|a, b| {
        (a.booked_at, a.tenant, &a.booking_ref).cmp(&(b.booked_at, b.tenant, &b.booking_ref))
    });
    World {
        t0,
        t1,
        tenants,
        bookings,
        seed: cfg.seed,
    }
}
