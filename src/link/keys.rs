//! Comparable, normalized views of one evidence item (computed once per item).

use chrono::TimeZone;

use crate::evidence::{Evidence, Source};
use crate::extract::config::Vocab;
use crate::extract::text::{fold, phone_digits};
use crate::rebuild::KeyHash;

#[derive(Debug, Clone)]
pub struct Keys<'a> {
    pub tenant: &'a str,
    pub source: Source,
    /// Upper case, letters and digits only.
    pub booking_ref: Option<Box<str>>,
    pub stripe_ids: &'a [String],
    /// Hash of the lower-cased address: e-mails and phones are only ever compared for
    /// equality, and a million of them as strings cost hundreds of megabytes.
    pub email: Option<u64>,
    /// Hash of the last 9 digits.
    pub phone: Option<u64>,
    /// Folded name tokens, honorifics removed, joined by single spaces (one allocation per
    /// item instead of one per token: there are a million items).
    pub name: Box<str>,
    pub pickup: Option<i64>,
    pub pickup_day_only: bool,
    /// Local day number of pick-up / return in the tenant's zone.
    pub pday: Option<i32>,
    pub ret: Option<i64>,
    pub return_day_only: bool,
    pub rday: Option<i32>,
    pub vehicle: Option<Box<str>>,
    /// Hash of the folded pick-up place (only compared for equality).
    pub location: Option<u64>,
    /// Amounts this item shows (total, deposit, balance, paid), minor units.
    pub amounts: Amounts,
    /// Local day the source first saw the booking.
    pub oday: Option<i32>,
    /// When the source first saw the booking (epoch seconds).
    pub seen: Option<i64>,
}

/// Normalized booking reference.
pub fn norm_ref(r: &str) -> String {
    r.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

fn local_day(ts: i64, tz: chrono_tz::Tz) -> Option<i32> {
    use chrono::Datelike;
    tz.timestamp_opt(ts, 0)
        .single()
        .map(|d| d.date_naive().num_days_from_ce())
}

impl<'a> Keys<'a> {
    pub fn of(e: &'a Evidence, vocab: &Vocab, tz: chrono_tz::Tz) -> Keys<'a> {
        let f = &e.fields;
        let name: Box<str> = f
            .customer_name
            .as_deref()
            // a name a legacy charset mangled ("Tomá? ?im?nek") says nothing either way
            .filter(|n| !n.contains(['?', '\u{fffd}']))
            .map(|n| {
                fold(n)
                    .split(' ')
                    .filter(|w| !w.is_empty() && !vocab.honorifics.contains(*w))
                    .collect::<Vec<_>>()
                    .join(" ")
                    .into()
            })
            .unwrap_or_default();
        let balance = match (f.total, f.deposit) {
            (Some(t), Some(d)) if t > d && d > 0 => Some(t - d),
            _ => None,
        };
        let amounts = Amounts::of([f.total, f.deposit, f.amount_paid, balance]);
        Keys {
            tenant: e.tenant.as_deref().unwrap_or_default(),
            source: e.source,
            booking_ref: f
                .booking_ref
                .as_deref()
                .map(norm_ref)
                .filter(|r| r.len() >= 3)
                .map(String::into_boxed_str),
            stripe_ids: &f.stripe_ids,
            email: f
                .customer_email
                .as_deref()
                .map(|m| KeyHash::new(b'@').part(m.to_lowercase().as_bytes()).0),
            phone: f
                .customer_phone
                .as_deref()
                .map(phone_digits)
                .filter(|d| d.len() >= 7)
                .map(|d| {
                    let n = d.len();
                    KeyHash::new(b'+')
                        .part(&d.as_bytes()[n.saturating_sub(9)..])
                        .0
                }),
            name,
            pickup: f.pickup_at,
            pickup_day_only: f.pickup_day_only,
            pday: f.pickup_at.and_then(|t| local_day(t, tz)),
            ret: f.return_at,
            return_day_only: f.return_day_only,
            rday: f.return_at.and_then(|t| local_day(t, tz)),
            vehicle: f
                .vehicle
                .as_deref()
                .map(fold)
                .filter(|v| !v.is_empty())
                .map(String::into_boxed_str),
            location: f
                .pickup_location
                .as_deref()
                .map(fold)
                .filter(|v| !v.is_empty())
                .map(|v| KeyHash::new(b'l').part(v.as_bytes()).0),
            amounts,
            oday: e.first_seen.and_then(|t| local_day(t, tz)),
            seen: e.first_seen,
        }
    }

    /// The name's tokens, first name first.
    pub fn name_tokens(&self) -> impl Iterator<Item = &str> {
        self.name.split(' ').filter(|w| !w.is_empty())
    }

    pub fn surname(&self) -> Option<&str> {
        self.name_tokens().last()
    }

    pub fn shares_stripe_id(&self, o: &Keys) -> bool {
        self.stripe_ids.iter().any(|s| o.stripe_ids.contains(s))
    }

    /// Blocking keys as 64-bit hashes: (key, exact). Every key carries the tenant: bookings
    /// never cross tenants. Hashing the parts directly (no key strings) keeps this
    /// allocation-free apart from the result; a collision only adds a candidate pair, which
    /// scoring and the ref/Stripe-id checks then judge on the real values.
    pub fn block_keys(&self) -> Vec<(u64, bool)> {
        let t = self.tenant.as_bytes();
        let key = |tag: u8| KeyHash::new(tag).part(t);
        let mut out = Vec::with_capacity(8 + 3 * self.amounts.as_slice().len());
        if let Some(r) = &self.booking_ref {
            out.push((key(b'r').part(r.as_bytes()).0, true));
        }
        for s in self.stripe_ids {
            out.push((key(b's').part(s.as_bytes()).0, true));
        }
        if let Some(e) = self.email {
            out.push((key(b'e').part(&e.to_le_bytes()).0, false));
        }
        if let Some(p) = self.phone {
            out.push((key(b'p').part(&p.to_le_bytes()).0, false));
        }
        let surname = self.surname().map(str::as_bytes);
        if let (Some(s), Some(d)) = (surname, self.pday) {
            out.push((key(b'n').part(s).num(d.into()).0, false));
        }
        if self.name.contains(' ') {
            let mut full: Vec<&str> = self.name_tokens().collect();
            full.sort_unstable();
            let h = full.iter().fold(key(b'f'), |h, w| h.part(w.as_bytes()));
            out.push((h.0, false));
        }
        if let (Some(s), Some(d)) = (surname, self.oday) {
            out.push((key(b'o').part(s).num(d.into()).0, false));
        }
        if let (Some(v), Some(d)) = (&self.vehicle, self.pday) {
            let h = v
                .split(' ')
                .take(2)
                .fold(key(b'v'), |h, w| h.part(w.as_bytes()));
            out.push((h.num(d.into()).0, false));
        }
        for &a in self.amounts.as_slice() {
            if let Some(d) = self.oday {
                // and the next day: a charge at 00:01 belongs with the mail of 23:59
                let h = key(b'a').num(a);
                out.push((h.num(d.into()).0, false));
                out.push((h.num(i64::from(d) + 1).0, false));
            }
            if let Some(s) = surname {
                out.push((key(b'm').part(s).num(a).0, false));
            }
        }
        out
    }
}

/// Up to four distinct positive amounts, sorted, kept inline (no allocation per item).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amounts {
    values: [i64; 4],
    len: u8,
}

impl Amounts {
    pub fn of(values: [Option<i64>; 4]) -> Amounts {
        let mut out = Amounts::default();
        for v in values.into_iter().flatten().filter(|v| *v > 0) {
            out.values[usize::from(out.len)] = v;
            out.len += 1;
        }
        let n = usize::from(out.len);
        out.values[..n].sort_unstable();
        let mut kept = 0;
        for i in 0..n {
            if kept == 0 || out.values[i] != out.values[kept - 1] {
                out.values[kept] = out.values[i];
                kept += 1;
            }
        }
        out.len = kept as u8;
        out
    }

    pub fn as_slice(&self) -> &[i64] {
        &self.values[..usize::from(self.len)]
    }
}
