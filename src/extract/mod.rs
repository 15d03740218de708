//! Extraction: raw documents → [`Evidence`](crate::evidence::Evidence), driven by the
//! declarative mappings in `mappings/` ([`config`]), with the general extractor ([`text`])
//! filling whatever no mapping names.

pub mod amounts;
pub mod calendar;
pub mod config;
pub mod dates;
pub mod email;
pub mod lexicon;
pub mod stripe;
pub mod text;

use crate::extract::config::Mappings;
use crate::extract::dates::DateOrder;
use crate::plan::{Plan, Tenant};

/// Read-only context shared by all extractors (cheap to share across rayon threads).
pub struct Ctx<'a> {
    pub plan: &'a Plan,
    pub maps: &'a Mappings,
    /// Lower-cased sender addresses/domains of all tenants (never a customer's address).
    pub own_addresses: Vec<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(plan: &'a Plan, maps: &'a Mappings) -> Ctx<'a> {
        let mut own_addresses: Vec<String> = plan
            .tenants
            .iter()
            .flat_map(|t| t.email_senders.iter().map(|s| s.to_lowercase()))
            .collect();
        own_addresses.sort();
        own_addresses.dedup();
        Ctx {
            plan,
            maps,
            own_addresses,
        }
    }

    pub fn tenant(&self, slug: Option<&str>) -> Option<&'a Tenant> {
        slug.and_then(|s| self.plan.tenant(s))
    }

    /// Date order for ambiguous numeric dates: the tenant's setting, else by zone.
    pub fn date_order(&self, tenant: Option<&Tenant>) -> DateOrder {
        match tenant.and_then(|t| t.date_order.as_deref()) {
            Some("mdy") => DateOrder::Mdy,
            Some("ymd") => DateOrder::Ymd,
            Some(_) => DateOrder::Dmy,
            None => match tenant {
                Some(t)
                    if t.timezone.starts_with("America/") && !t.timezone.contains("Sao_Paulo") =>
                {
                    DateOrder::Mdy
                }
                _ => DateOrder::Dmy,
            },
        }
    }

    pub fn text_ctx(
        &self,
        tenant: Option<&'a Tenant>,
        order: Option<DateOrder>,
    ) -> text::TextCtx<'_> {
        text::TextCtx {
            vocab: &self.maps.vocab,
            lex: &self.maps.lexicon,
            tz: tenant.map(Tenant::tz).unwrap_or(chrono_tz::UTC),
            order: order.unwrap_or_else(|| self.date_order(tenant)),
            currency: tenant.map(|t| t.currency.as_str()).unwrap_or("EUR"),
            own_addresses: &self.own_addresses,
            written: None,
        }
    }

    /// The tenant a text mentions by name or alias (folded, on word boundaries); None when
    /// none or more than one does.
    pub fn tenant_named_in(&self, folded: &str) -> Option<&'a Tenant> {
        let mut hit: Option<&Tenant> = None;
        for t in &self.plan.tenants {
            let names = std::iter::once(&t.name).chain(t.aliases.iter());
            if names
                .into_iter()
                .any(|n| text::contains_words(folded, &text::fold(n)))
            {
                if hit.is_some() {
                    return None;
                }
                hit = Some(t);
            }
        }
        hit
    }

    pub fn tenant_by_account(&self, account: &str) -> Option<&'a Tenant> {
        self.plan
            .tenants
            .iter()
            .find(|t| t.stripe_account.as_deref() == Some(account))
    }
}

/// Contact details seen with many different customers of one tenant are the business's own
/// (the phone in a mail footer, an info@ address), not a customer's: a phone shared by three or
/// more different e-mail addresses, or an e-mail shared by three or more different surnames, is
/// removed from every item. A repeat customer keeps theirs (same e-mail, same name).
pub fn drop_shared_contacts(items: &mut [crate::evidence::Evidence]) {
    use crate::evidence::Field;
    use std::collections::{BTreeMap, BTreeSet};
    let surname = |e: &crate::evidence::Evidence| {
        e.fields
            .customer_name
            .as_deref()
            .and_then(|n| text::fold(n).rsplit(' ').next().map(str::to_string))
    };
    let mut phone_mails: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut mail_names: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for e in items.iter() {
        let t = e.tenant.clone().unwrap_or_default();
        if let (Some(p), Some(m)) = (&e.fields.customer_phone, &e.fields.customer_email) {
            phone_mails
                .entry((t.clone(), text::phone_digits(p)))
                .or_default()
                .insert(m.clone());
        }
        if let (Some(m), Some(s)) = (&e.fields.customer_email, surname(e)) {
            mail_names.entry((t, m.clone())).or_default().insert(s);
        }
    }
    let shared_phones: BTreeSet<&(String, String)> = phone_mails
        .iter()
        .filter(|(_, v)| v.len() >= 3)
        .map(|(k, _)| k)
        .collect();
    let shared_mails: BTreeSet<&(String, String)> = mail_names
        .iter()
        .filter(|(_, v)| v.len() >= 3)
        .map(|(k, _)| k)
        .collect();
    if shared_phones.is_empty() && shared_mails.is_empty() {
        return;
    }
    for e in items.iter_mut() {
        let t = e.tenant.clone().unwrap_or_default();
        if let Some(p) = &e.fields.customer_phone {
            if shared_phones.contains(&(t.clone(), text::phone_digits(p))) {
                e.fields.customer_phone = None;
                e.fields.conf[Field::CustomerPhone as usize] = 0.0;
            }
        }
        if let Some(m) = &e.fields.customer_email {
            if shared_mails.contains(&(t, m.clone())) {
                e.fields.customer_email = None;
                e.fields.conf[Field::CustomerEmail as usize] = 0.0;
            }
        }
    }
}

/// Calendar entries whose "customer" is a single word that recurs on several days and never
/// names a customer in any mail or payment of the tenant ("Aufbereitung", "Car wash",
/// "Inventur") are internal events, whatever language they are written in.
pub fn flag_internal_events(items: &mut [crate::evidence::Evidence]) {
    use crate::evidence::{Kind, Source};
    use std::collections::{BTreeMap, BTreeSet};
    let key = |e: &crate::evidence::Evidence| -> Option<(String, String)> {
        let n = text::fold(e.fields.customer_name.as_deref()?);
        (!n.contains(' ')).then(|| (e.tenant.clone().unwrap_or_default(), n))
    };
    let mut customer_words: BTreeSet<(String, String)> = BTreeSet::new();
    let mut days: BTreeMap<(String, String), BTreeSet<i64>> = BTreeMap::new();
    for e in items.iter() {
        if e.kind == Kind::NotBooking {
            continue;
        }
        if e.source != Source::Calendar {
            if let Some(n) = &e.fields.customer_name {
                let t = e.tenant.clone().unwrap_or_default();
                for w in text::fold(n).split(' ') {
                    customer_words.insert((t.clone(), w.to_string()));
                }
            }
            continue;
        }
        let f = &e.fields;
        if f.booking_ref.is_some() || f.customer_email.is_some() || f.customer_phone.is_some() {
            continue;
        }
        if let (Some(k), Some(p)) = (key(e), f.pickup_at) {
            days.entry(k).or_default().insert(p.div_euclid(86_400));
        }
    }
    let internal: BTreeSet<(String, String)> = days
        .into_iter()
        .filter(|(k, d)| d.len() >= 3 && !customer_words.contains(k))
        .map(|(k, _)| k)
        .collect();
    for e in items.iter_mut() {
        if e.source != Source::Calendar || e.kind == Kind::NotBooking {
            continue;
        }
        let f = &e.fields;
        if f.booking_ref.is_some() || f.customer_email.is_some() || f.customer_phone.is_some() {
            continue;
        }
        if let Some(k) = key(e).filter(|k| internal.contains(k)) {
            e.kind = Kind::NotBooking;
            e.note = Some(format!(
                "`{}` recurs on several days and names no customer: an internal event",
                k.1
            ));
        }
    }
}
