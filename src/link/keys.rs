//! Comparable, normalized views of one evidence item (computed once per item).

use chrono::TimeZone;

use crate::evidence::{Evidence, Source};
use crate::extract::config::Vocab;
use crate::extract::text::{fold, phone_digits};

#[derive(Debug, Clone)]
pub struct Keys {
    pub tenant: String,
    pub source: Source,
    /// Upper case, letters and digits only.
    pub booking_ref: Option<String>,
    pub stripe_ids: Vec<String>,
    pub email: Option<String>,
    /// Last 9 digits.
    pub phone: Option<String>,
    /// Folded name tokens, honorifics removed.
    pub name: Vec<String>,
    pub pickup: Option<i64>,
    pub pickup_day_only: bool,
    /// Local day number of pick-up / return in the tenant's zone.
    pub pday: Option<i32>,
    pub ret: Option<i64>,
    pub return_day_only: bool,
    pub rday: Option<i32>,
    pub vehicle: Option<String>,
    pub location: Option<String>,
    /// Amounts this item shows (total, deposit, balance, paid), minor units.
    pub amounts: Vec<i64>,
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

impl Keys {
    pub fn of(e: &Evidence, vocab: &Vocab, tz: chrono_tz::Tz) -> Keys {
        let f = &e.fields;
        let name: Vec<String> = f
            .customer_name
            .as_deref()
            // a name a legacy charset mangled ("Tomá? ?im?nek") says nothing either way
            .filter(|n| !n.contains(['?', '\u{fffd}']))
            .map(|n| {
                fold(n)
                    .split(' ')
                    .filter(|w| !w.is_empty() && !vocab.honorifics.iter().any(|h| h == w))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let mut amounts: Vec<i64> = [f.total, f.deposit, f.amount_paid]
            .into_iter()
            .flatten()
            .filter(|a| *a > 0)
            .collect();
        if let (Some(t), Some(d)) = (f.total, f.deposit) {
            if t > d && d > 0 {
                amounts.push(t - d);
            }
        }
        amounts.sort_unstable();
        amounts.dedup();
        Keys {
            tenant: e.tenant.clone().unwrap_or_default(),
            source: e.source,
            booking_ref: f
                .booking_ref
                .as_deref()
                .map(norm_ref)
                .filter(|r| r.len() >= 3),
            stripe_ids: f.stripe_ids.clone(),
            email: f.customer_email.as_deref().map(str::to_lowercase),
            phone: f
                .customer_phone
                .as_deref()
                .map(phone_digits)
                .filter(|d| d.len() >= 7)
                .map(|d| {
                    let n = d.len();
                    d[n.saturating_sub(9)..].to_string()
                }),
            name,
            pickup: f.pickup_at,
            pickup_day_only: f.pickup_day_only,
            pday: f.pickup_at.and_then(|t| local_day(t, tz)),
            ret: f.return_at,
            return_day_only: f.return_day_only,
            rday: f.return_at.and_then(|t| local_day(t, tz)),
            vehicle: f.vehicle.as_deref().map(fold).filter(|v| !v.is_empty()),
            location: f
                .pickup_location
                .as_deref()
                .map(fold)
                .filter(|v| !v.is_empty()),
            amounts,
            oday: e.first_seen.and_then(|t| local_day(t, tz)),
            seen: e.first_seen,
        }
    }

    pub fn surname(&self) -> Option<&str> {
        self.name.last().map(String::as_str)
    }

    pub fn shares_stripe_id(&self, o: &Keys) -> bool {
        self.stripe_ids.iter().any(|s| o.stripe_ids.contains(s))
    }

    /// Blocking keys: (key, exact). Every key carries the tenant: bookings never cross
    /// tenants.
    pub fn block_keys(&self) -> Vec<(String, bool)> {
        let t = &self.tenant;
        let mut out = Vec::new();
        if let Some(r) = &self.booking_ref {
            out.push((format!("r\u{1f}{t}\u{1f}{r}"), true));
        }
        for s in &self.stripe_ids {
            out.push((format!("s\u{1f}{t}\u{1f}{s}"), true));
        }
        if let Some(e) = &self.email {
            out.push((format!("e\u{1f}{t}\u{1f}{e}"), false));
        }
        if let Some(p) = &self.phone {
            out.push((format!("p\u{1f}{t}\u{1f}{p}"), false));
        }
        if let (Some(s), Some(d)) = (self.surname(), self.pday) {
            out.push((format!("n\u{1f}{t}\u{1f}{s}\u{1f}{d}"), false));
        }
        if self.name.len() >= 2 {
            let mut full = self.name.clone();
            full.sort();
            out.push((format!("f\u{1f}{t}\u{1f}{}", full.join(" ")), false));
        }
        if let (Some(s), Some(d)) = (self.surname(), self.oday) {
            out.push((format!("o\u{1f}{t}\u{1f}{s}\u{1f}{d}"), false));
        }
        if let (Some(v), Some(d)) = (&self.vehicle, self.pday) {
            let vk: String = v.split(' ').take(2).collect::<Vec<_>>().join(" ");
            out.push((format!("v\u{1f}{t}\u{1f}{vk}\u{1f}{d}"), false));
        }
        for a in &self.amounts {
            if let Some(d) = self.oday {
                // and the next day: a charge at 00:01 belongs with the mail of 23:59
                out.push((format!("a\u{1f}{t}\u{1f}{a}\u{1f}{d}"), false));
                out.push((format!("a\u{1f}{t}\u{1f}{a}\u{1f}{}", d + 1), false));
            }
            if let Some(s) = self.surname() {
                out.push((format!("m\u{1f}{t}\u{1f}{s}\u{1f}{a}"), false));
            }
        }
        out
    }
}
