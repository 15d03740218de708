//! Rebuild: one booking per linked cluster of evidence.

pub mod phone;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::evidence::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Confirmed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Cancelled => "cancelled",
        }
    }
}

/// A rebuilt booking. Every field is the value of one piece of evidence, named in
/// `provenance`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Booking {
    /// Stable id derived from the tenant and the evidence ids (same inputs → same id).
    pub recovered_id: String,
    pub tenant: String,
    pub booking_ref: Option<String>,
    pub status: Status,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub vehicle: Option<String>,
    pub pickup_at: Option<Timestamp>,
    pub return_at: Option<Timestamp>,
    pub pickup_location: Option<String>,
    pub return_location: Option<String>,
    /// Minor units of `currency`.
    pub total: Option<i64>,
    pub currency: String,
    /// Minor units: succeeded Stripe charges (deposit + balance).
    pub amount_paid: i64,
    /// Minor units.
    pub amount_refunded: i64,
    /// When the booking was made: the earliest confirmation, payment or calendar creation.
    pub booked_at: Option<Timestamp>,
    /// Overall confidence in [0, 1].
    pub confidence: f32,
    /// Evidence ids, sorted.
    pub sources: Vec<String>,
    /// Field name → evidence id the value came from.
    pub provenance: BTreeMap<String, String>,
    /// Field name → confidence of that value in [0, 1].
    pub field_confidence: BTreeMap<String, f32>,
}

use crate::evidence::{Evidence, Field, Kind, Source};
use crate::extract::config::Vocab;
use crate::extract::text::fold;
use crate::plan::Plan;

/// Field → evidence id (or an inferred-value note) and confidence, as the fields are chosen.
type Prov<'a> = Vec<(Field, Cow<'a, str>, f32)>;

/// Values below this confidence only count when nothing better exists.
const TRUSTED: f32 = 0.6;

/// Why a cluster could not become a booking.
pub const NOT_A_BOOKING: &str =
    "linked evidence does not make a booking (no pick-up date, or no reference and no customer)";

/// One candidate value for a field.
struct Cand<'a, T> {
    value: T,
    ev: &'a Evidence,
    conf: f32,
    day_only: bool,
}

/// How to choose among candidates.
#[derive(Clone, Copy, PartialEq)]
enum Rule {
    /// Booking details change: the newest trusted observation wins.
    Newest,
    /// Identity (name, e-mail, phone) does not change: the most trusted wins.
    MostTrusted,
}

fn source_rank(s: Source) -> u8 {
    match s {
        Source::Email => 3,
        Source::Calendar => 2,
        Source::Stripe => 1,
    }
}

fn choose<'a, T: Clone>(mut c: Vec<Cand<'a, T>>, rule: Rule) -> Option<Cand<'a, T>> {
    if c.iter().any(|x| !x.day_only) {
        c.retain(|x| !x.day_only);
    }
    if c.iter().any(|x| x.conf >= TRUSTED) {
        c.retain(|x| x.conf >= TRUSTED);
    }
    c.into_iter().max_by(|a, b| {
        let by_time = a.ev.observed_at.cmp(&b.ev.observed_at);
        let by_conf = a.conf.total_cmp(&b.conf);
        let primary = match rule {
            Rule::Newest => by_time.then(by_conf),
            Rule::MostTrusted => by_conf.then(by_time),
        };
        primary
            .then(source_rank(a.ev.source).cmp(&source_rank(b.ev.source)))
            .then(b.ev.id.cmp(&a.ev.id))
    })
}

/// Field confidence as it counts for rebuilding: a receipt's "total" is what was paid that day.
fn weight(e: &Evidence, f: Field) -> f32 {
    let c = e.fields.confidence(f) * (0.5 + 0.5 * e.confidence);
    match (e.kind, f) {
        (Kind::Receipt, Field::Total) => c * 0.5,
        _ => c,
    }
}

macro_rules! pick {
    ($items:expr, $field:ident, $f:expr, $rule:expr, $prov:expr) => {{
        let cands: Vec<Cand<_>> = $items
            .iter()
            .filter_map(|e| {
                e.fields.$field.as_ref().map(|v| Cand {
                    value: v,
                    ev: *e,
                    conf: weight(e, $f),
                    day_only: false,
                })
            })
            .collect();
        choose(cands, $rule).map(|c| {
            $prov.push(($f, Cow::Borrowed(c.ev.id.as_str()), c.conf));
            c.value.clone()
        })
    }};
}

/// Rebuilds one booking from a cluster; None when the cluster is not a booking.
pub fn rebuild<'a>(
    items: &[&'a Evidence],
    plan: &Plan,
    vocab: &Vocab,
    weakest_link: Option<f32>,
) -> Option<Booking> {
    let tenant_slug = items.iter().find_map(|e| e.tenant.clone())?;
    let tenant = plan.tenant(&tenant_slug)?;
    let mut prov: Prov<'a> = Vec::new();
    let booking_ref = pick!(
        items,
        booking_ref,
        Field::BookingRef,
        Rule::MostTrusted,
        prov
    );
    let customer_name = pick_name(items, vocab, &mut prov);
    let customer_email = pick!(
        items,
        customer_email,
        Field::CustomerEmail,
        Rule::MostTrusted,
        prov
    );
    let customer_phone = pick!(
        items,
        customer_phone,
        Field::CustomerPhone,
        Rule::MostTrusted,
        prov
    )
    .map(|p| {
        let cc = customer_email
            .as_deref()
            .and_then(phone::calling_code_of_email)
            .or_else(|| tenant.calling_code());
        phone::international(&p, cc)
    });
    let vehicle = pick!(items, vehicle, Field::Vehicle, Rule::Newest, prov);
    let pickup_location = pick!(
        items,
        pickup_location,
        Field::PickupLocation,
        Rule::Newest,
        prov
    );
    let return_location = pick!(
        items,
        return_location,
        Field::ReturnLocation,
        Rule::Newest,
        prov
    )
    .or_else(|| round_trip(&pickup_location, &mut prov));
    let total = pick!(items, total, Field::Total, Rule::Newest, prov);
    let pickup_at = pick_time(items, Field::PickupAt, &mut prov);
    let return_at = pick_time(items, Field::ReturnAt, &mut prov);
    if pickup_at.is_none()
        || (booking_ref.is_none() && customer_name.is_none() && customer_email.is_none())
    {
        return None;
    }
    let (amount_paid, amount_refunded) = money(items);
    // No mail or metadata states the total: what was paid is the best estimate (most
    // bookings are paid in full online), marked with a low confidence. Not when every
    // payment says it is a deposit: then the rest is owed and the total is unknown.
    let only_deposits = items
        .iter()
        .filter(|e| e.source == Source::Stripe && e.fields.amount_paid.is_some_and(|a| a > 0))
        .all(|e| e.fields.deposit.is_some());
    let total = total.or_else(|| {
        if only_deposits {
            return None;
        }
        let first_paid = items
            .iter()
            .filter(|e| e.source == Source::Stripe && e.fields.amount_paid.is_some_and(|a| a > 0))
            .map(|e| e.id.as_str())
            .min()?;
        (amount_paid > 0).then(|| {
            prov.push((Field::Total, Cow::Borrowed(first_paid), 0.4));
            amount_paid
        })
    });
    let cancelled = items.iter().any(|e| e.fields.cancelled)
        || (amount_paid > 0 && amount_refunded >= amount_paid);
    let currency = items
        .iter()
        .filter(|e| e.source == Source::Stripe)
        .chain(items.iter())
        .find_map(|e| e.fields.currency.as_deref().map(str::to_string))
        .unwrap_or_else(|| tenant.currency.clone());
    let booked_at = items
        .iter()
        .filter(|e| !matches!(e.kind, Kind::Reminder | Kind::Cancellation | Kind::Refund))
        .filter_map(|e| e.first_seen)
        .min();
    let mut sources: Vec<String> = items.iter().map(|e| e.id.clone()).collect();
    sources.sort();
    sources.dedup();
    let distinct_sources = {
        let mut s: Vec<Source> = items.iter().map(|e| e.source).collect();
        s.sort();
        s.dedup();
        s.len()
    };
    let key_conf = |f: Field| {
        prov.iter()
            .find(|p| p.0 == f)
            .map(|p| p.2.min(1.0))
            .unwrap_or(0.0)
    };
    let base = (key_conf(Field::PickupAt)
        + key_conf(Field::ReturnAt)
        + key_conf(Field::CustomerName).max(key_conf(Field::CustomerEmail))
        + key_conf(Field::BookingRef).max(0.5))
        / 4.0;
    let diversity = match distinct_sources {
        1 => 0.8,
        2 => 0.93,
        _ => 1.0,
    };
    let link = weakest_link
        .map(|w| (0.8 + (w - 5.0) * 0.04).clamp(0.8, 1.0))
        .unwrap_or(1.0);
    let confidence = ((base * diversity * link) * 1000.0).round() / 1000.0;
    let recovered_id = match &booking_ref {
        Some(r) => format!("{}-{}", tenant.slug, crate::link::keys::norm_ref(r)),
        None => format!(
            "{}-x{:012x}",
            tenant.slug,
            fnv(&sources.join(";")) & 0xffff_ffff_ffff
        ),
    };
    let provenance = prov
        .iter()
        .map(|(f, id, _)| (f.name().to_string(), id.to_string()))
        .collect();
    let field_confidence = prov
        .iter()
        .map(|(f, _, c)| (f.name().to_string(), (c.min(1.0) * 100.0).round() / 100.0))
        .collect();
    Some(Booking {
        recovered_id,
        tenant: tenant.slug.clone(),
        booking_ref,
        status: if cancelled {
            Status::Cancelled
        } else {
            Status::Confirmed
        },
        customer_name,
        customer_email,
        customer_phone,
        vehicle,
        pickup_at,
        return_at,
        pickup_location,
        return_location,
        total,
        currency,
        amount_paid,
        amount_refunded,
        booked_at,
        confidence,
        sources,
        provenance,
        field_confidence,
    })
}

/// Names: the most trusted, but a full name beats a bare surname or initial of similar trust
/// ("Brigitte Hoffmann" from a charge over "Hoffmann" from a calendar title).
fn pick_name<'a>(items: &[&'a Evidence], vocab: &Vocab, prov: &mut Prov<'a>) -> Option<String> {
    let all: Vec<&str> = items
        .iter()
        .filter_map(|e| e.fields.customer_name.as_deref())
        .collect();
    let cands: Vec<Cand<&str>> = items
        .iter()
        .filter_map(|e| {
            e.fields.customer_name.as_deref().map(|v| {
                let words = v
                    .split_whitespace()
                    .filter(|w| w.trim_end_matches('.').chars().count() > 1)
                    .count();
                // "HANS KOEHLER" is how a card embosses a name, not how the customer wrote it
                let shouting = if v.chars().any(char::is_lowercase) {
                    0.0
                } else {
                    0.15
                };
                // a mail in a legacy charset turns Ł into `?`
                let mangled = if v.contains(['?', '\u{fffd}']) {
                    0.3
                } else {
                    0.0
                };
                Cand {
                    conf: weight(e, Field::CustomerName) + 0.1 * words.min(3) as f32
                        - shouting
                        - mangled
                        + name_source_bias(e.source)
                        + formality(v, &all, vocab)
                        + accents(v, &all),
                    value: v,
                    ev: e,
                    day_only: false,
                }
            })
        })
        .collect();
    choose(cands, Rule::MostTrusted).map(|c| {
        prov.push((
            Field::CustomerName,
            Cow::Borrowed(c.ev.id.as_str()),
            (c.conf - 0.2).clamp(0.0, 1.0),
        ));
        c.value.to_string()
    })
}

/// No evidence names the return place: a rental goes back where it was picked up unless a
/// mail says otherwise, so the pick-up place stands in, with a low confidence and a
/// provenance that says it was inferred (`same_as:pickup_location <evidence id>`).
fn round_trip(pickup: &Option<String>, prov: &mut Prov) -> Option<String> {
    let place = pickup.clone()?;
    let from = prov.iter().find(|p| p.0 == Field::PickupLocation)?;
    let entry = (
        Field::ReturnLocation,
        Cow::Owned(format!("{INFERRED_SAME_AS}pickup_location {}", from.1)),
        (from.2 * 0.5).min(ROUND_TRIP_CONFIDENCE),
    );
    prov.push(entry);
    Some(place)
}

/// Provenance prefix of a value inferred from another field instead of read from evidence.
pub const INFERRED_SAME_AS: &str = "same_as:";
/// The most an inferred return place is trusted.
const ROUND_TRIP_CONFIDENCE: f32 = 0.4;

/// How much more formal a name's first word is than the other candidates' first words for
/// the same surname: "Alexander Fischer" over "Alex Fischer" (a prefix) or "Johannes" over
/// "Hannes" (the head of a nickname group in `fields.toml`). Card names and staff-typed
/// calendar entries use the short form; the customer booked under the full one.
fn formality(name: &str, others: &[&str], vocab: &Vocab) -> f32 {
    let words = |n: &str| -> Vec<String> { fold(n).split(' ').map(str::to_string).collect() };
    let me = words(name);
    let (Some(first), Some(last)) = (me.first(), me.last()) else {
        return 0.0;
    };
    if me.len() < 2 {
        return 0.0;
    }
    let heads = vocab.nickname_heads.get(first.as_str());
    let more_formal = others.iter().any(|o| {
        let w = words(o);
        let (Some(f), Some(l)) = (w.first(), w.last()) else {
            return false;
        };
        if w.len() < 2 || l != last || f == first {
            return false;
        }
        let prefix = f.len() >= 3 && first.len() > f.len() && first.starts_with(f.as_str());
        let head_of_group = heads.is_some_and(|hs| {
            vocab
                .nicknames
                .get(f.as_str())
                .is_some_and(|gs| gs.iter().any(|g| hs.contains(g)))
        });
        prefix || head_of_group
    });
    if more_formal {
        0.35
    } else {
        0.0
    }
}

/// "João Silva" over "Joao Silva": the same name with its accents is the one the customer
/// wrote; mail clients, card terminals and staff drop them, nobody adds them.
fn accents(name: &str, others: &[&str]) -> f32 {
    let marks = |n: &str| {
        n.chars()
            .filter(|c| c.is_alphabetic() && !c.is_ascii())
            .count()
    };
    let folded = fold(name);
    let mine = marks(name);
    let richer = others.iter().any(|o| marks(o) < mine && fold(o) == folded);
    if richer {
        0.3
    } else {
        0.0
    }
}

/// The platform's own mails carry the name the customer booked under; calendar entries are
/// typed by staff (nicknames, initials).
fn name_source_bias(s: Source) -> f32 {
    match s {
        Source::Email => 0.1,
        Source::Stripe => 0.0,
        Source::Calendar => -0.1,
    }
}

fn pick_time<'a>(items: &[&'a Evidence], f: Field, prov: &mut Prov<'a>) -> Option<i64> {
    let cands: Vec<Cand<i64>> = items
        .iter()
        .filter_map(|e| {
            let (v, day_only) = match f {
                Field::PickupAt => (e.fields.pickup_at, e.fields.pickup_day_only),
                _ => (e.fields.return_at, e.fields.return_day_only),
            };
            v.map(|value| Cand {
                value,
                ev: e,
                conf: weight(e, f),
                day_only,
            })
        })
        .collect();
    choose(cands, Rule::Newest).map(|c| {
        prov.push((f, Cow::Borrowed(c.ev.id.as_str()), c.conf));
        c.value
    })
}

/// Money moved, from Stripe only: succeeded charges (deposit + balance add up); payment
/// intents and sessions count only when no charge of theirs is in the evidence. Refunds: the
/// larger of the charges' `amount_refunded` and the refund objects seen.
fn money(items: &[&Evidence]) -> (i64, i64) {
    let stripe: Vec<&&Evidence> = items
        .iter()
        .filter(|e| e.source == Source::Stripe)
        .collect();
    let id_of = |e: &Evidence| e.id.trim_start_matches("stripe:").to_string();
    let is = |e: &Evidence, p: &[&str]| p.iter().any(|p| id_of(e).starts_with(p));
    let charges: Vec<&&&Evidence> = stripe.iter().filter(|e| is(e, &["ch_", "py_"])).collect();
    let pis: Vec<&&&Evidence> = stripe.iter().filter(|e| is(e, &["pi_"])).collect();
    let sessions: Vec<&&&Evidence> = stripe.iter().filter(|e| is(e, &["cs_"])).collect();
    let covered = |id: &str| {
        charges
            .iter()
            .any(|c| c.fields.stripe_ids.iter().any(|s| s == id))
    };
    let mut paid: i64 = charges.iter().filter_map(|c| c.fields.amount_paid).sum();
    let mut refunded_on_charges: i64 = charges
        .iter()
        .filter_map(|c| c.fields.amount_refunded)
        .sum();
    for pi in &pis {
        if !covered(&id_of(pi)) {
            paid += pi.fields.amount_paid.unwrap_or(0);
            refunded_on_charges += pi.fields.amount_refunded.unwrap_or(0);
        }
    }
    if paid == 0 {
        paid = sessions.iter().filter_map(|s| s.fields.amount_paid).sum();
    }
    let refund_objects: i64 = stripe
        .iter()
        .filter(|e| e.kind == Kind::Refund)
        .filter_map(|e| e.fields.amount_refunded)
        .sum();
    (paid, refunded_on_charges.max(refund_objects))
}

/// The FNV-1a hash of nothing; continue it with [`fnv_more`].
pub const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a: a stable hash for ids (std's hasher is randomized per process).
pub fn fnv(s: &str) -> u64 {
    fnv_more(FNV_START, s.as_bytes())
}

/// Continues an FNV-1a hash over more bytes (keys hashed part by part).
pub fn fnv_more(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// FNV-1a over the parts of a key (link's blocking keys, extract's (tenant, value) groups), each
/// part preceded by a separator byte, so that
/// ("ab", "c") and ("a", "bc") differ.
#[derive(Clone, Copy)]
pub(crate) struct KeyHash(pub(crate) u64);

impl KeyHash {
    pub(crate) fn new(tag: u8) -> KeyHash {
        KeyHash(fnv_more(FNV_START, &[tag]))
    }

    pub(crate) fn part(self, b: &[u8]) -> KeyHash {
        KeyHash(fnv_more(fnv_more(self.0, &[0x1f]), b))
    }

    pub(crate) fn num(self, n: i64) -> KeyHash {
        self.part(&n.to_le_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Fields;
    use crate::testutil::{ev, plan, vocab};

    fn named(id: &str, source: Source, name: &str, conf: f32) -> Evidence {
        let f = Fields {
            booking_ref: Some("AA-1".into()),
            customer_name: Some(name.into()),
            pickup_at: Some(1_780_000_000),
            ..Fields::default()
        };
        let mut e = ev(id, source, Kind::Confirmation, 1_779_000_000, f);
        e.fields.conf[Field::CustomerName as usize] = conf;
        e
    }

    #[test]
    fn the_formal_first_name_beats_its_nickname_and_short_form() {
        let (_d, plan) = plan();
        let v = vocab();
        for (short, full) in [
            ("Alex Fischer", "Alexander Fischer"),
            ("Hannes Müller", "Johannes Müller"),
            ("Kathi Becker", "Katharina Becker"),
        ] {
            // the short form is on the card and in the calendar, with more trust
            let a = named("stripe:ch_1", Source::Stripe, short, 0.9);
            let b = named("calendar:u1", Source::Calendar, short, 0.85);
            let c = named("email:m1", Source::Email, full, 0.65);
            let got = rebuild(&[&a, &b, &c], &plan, &v, None).expect("booking");
            assert_eq!(got.customer_name.as_deref(), Some(full), "{short} / {full}");
        }
        // the accented spelling beats its ASCII copy
        let a = named("stripe:ch_1", Source::Stripe, "Joao Silva", 0.9);
        let c = named("email:m1", Source::Email, "João Silva", 0.65);
        let got = rebuild(&[&a, &c], &plan, &v, None).expect("booking");
        assert_eq!(got.customer_name.as_deref(), Some("João Silva"));
        // different surnames: no formality bonus, the most trusted name stays
        let a = named("stripe:ch_1", Source::Stripe, "Alex Fischer", 0.9);
        let c = named("email:m1", Source::Email, "Alexander Bauer", 0.4);
        let got = rebuild(&[&a, &c], &plan, &v, None).expect("booking");
        assert_eq!(got.customer_name.as_deref(), Some("Alex Fischer"));
    }

    #[test]
    fn a_deposit_alone_is_not_the_total_but_deposit_and_balance_are() {
        let (_d, plan) = plan();
        let v = vocab();
        let mail = named("email:m1", Source::Email, "Jane Roe", 0.9);
        let charge = |id: &str, amount: i64, deposit: bool| {
            let f = Fields {
                booking_ref: Some("AA-1".into()),
                amount_paid: Some(amount),
                deposit: deposit.then_some(amount),
                ..Fields::default()
            };
            ev(id, Source::Stripe, Kind::Payment, 1_779_000_100, f)
        };
        let dep = charge("stripe:ch_1", 7_800, true);
        let got = rebuild(&[&mail, &dep], &plan, &v, None).expect("booking");
        assert_eq!((got.total, got.amount_paid), (None, 7_800));
        let bal = charge("stripe:ch_2", 26_220, false);
        let got = rebuild(&[&mail, &dep, &bal], &plan, &v, None).expect("booking");
        assert_eq!((got.total, got.amount_paid), (Some(34_020), 34_020));
        assert!(got.field_confidence["total_amount"] <= 0.4);
    }

    #[test]
    fn a_missing_return_place_is_the_pickup_place_marked_as_inferred() {
        let (_d, plan) = plan();
        let v = vocab();
        let mut a = named("email:m1", Source::Email, "Jane Roe", 0.9);
        a.fields.pickup_location = Some("Munich Airport".into());
        a.fields.conf[Field::PickupLocation as usize] = 0.9;
        let got = rebuild(&[&a], &plan, &v, None).expect("booking");
        assert_eq!(got.return_location.as_deref(), Some("Munich Airport"));
        assert_eq!(
            got.provenance.get("return_location").map(String::as_str),
            Some("same_as:pickup_location email:m1")
        );
        assert!(got.field_confidence["return_location"] <= ROUND_TRIP_CONFIDENCE);
        // a stated return place is kept
        a.fields.return_location = Some("Munich Central Station".into());
        a.fields.conf[Field::ReturnLocation as usize] = 0.9;
        let got = rebuild(&[&a], &plan, &v, None).expect("booking");
        assert_eq!(
            got.return_location.as_deref(),
            Some("Munich Central Station")
        );
        assert_eq!(got.provenance["return_location"], "email:m1");
    }
}
