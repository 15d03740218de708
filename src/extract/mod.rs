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

/// Maps and sets of the extraction vocabularies, looked up for every word of every mail: a
/// fast hasher instead of SipHash (their keys come from the mappings and gapfill's own tables,
/// never from the evidence), with a fixed seed so that nothing depends on a random state.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

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

/// Hash of a (tenant, value) pair: the grouping below runs on a million items, where string
/// keys in ordered maps cost seconds and hundreds of megabytes, and a 64-bit collision could
/// at worst take one contact detail away.
fn pair_hash(tenant: &Option<crate::evidence::Shared>, value: &[u8]) -> u64 {
    crate::rebuild::KeyHash::new(b't')
        .part(tenant.as_deref().unwrap_or_default().as_bytes())
        .part(value)
        .0
}

/// The keys of `pairs` ((key, value) hashes) that come with at least `n` different values;
/// sorted, for binary search.
fn keys_with_values(mut pairs: Vec<(u64, u64)>, n: usize) -> Vec<u64> {
    use rayon::prelude::*;
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|g| g.len() >= n)
        .map(|g| g[0].0)
        .collect()
}

/// Contact details seen with many different customers of one tenant are the business's own
/// (the phone in a mail footer, an info@ address), not a customer's: a phone shared by three or
/// more different e-mail addresses, or an e-mail shared by three or more different surnames, is
/// removed from every item. A repeat customer keeps theirs (same e-mail, same name).
pub fn drop_shared_contacts(items: &mut [crate::evidence::Evidence]) {
    use crate::evidence::{Evidence, Field};
    use crate::rebuild::fnv;
    use rayon::prelude::*;
    let phone_key = |e: &Evidence| {
        let p = e.fields.customer_phone.as_deref()?;
        Some(pair_hash(&e.tenant, text::phone_digits(p).as_bytes()))
    };
    let mail_key = |e: &Evidence| {
        let m = e.fields.customer_email.as_deref()?;
        Some(pair_hash(&e.tenant, m.as_bytes()))
    };
    let surname = |e: &Evidence| {
        let folded = text::fold(e.fields.customer_name.as_deref()?);
        folded.rsplit(' ').next().map(fnv)
    };
    let (phone_mails, mail_names): (Vec<_>, Vec<_>) = items
        .par_iter()
        .map(|e| {
            let mail = e.fields.customer_email.as_deref().map(fnv);
            (phone_key(e).zip(mail), mail_key(e).zip(surname(e)))
        })
        .unzip();
    let shared_phones = keys_with_values(phone_mails.into_iter().flatten().collect(), 3);
    let shared_mails = keys_with_values(mail_names.into_iter().flatten().collect(), 3);
    if shared_phones.is_empty() && shared_mails.is_empty() {
        return;
    }
    items.par_iter_mut().for_each(|e| {
        if phone_key(e).is_some_and(|k| shared_phones.binary_search(&k).is_ok()) {
            e.fields.customer_phone = None;
            e.fields.conf[Field::CustomerPhone as usize] = 0.0;
        }
        if mail_key(e).is_some_and(|k| shared_mails.binary_search(&k).is_ok()) {
            e.fields.customer_email = None;
            e.fields.conf[Field::CustomerEmail as usize] = 0.0;
        }
    });
}

/// Calendar entries whose "customer" is a single word that recurs on several days and never
/// names a customer in any mail or payment of the tenant ("Aufbereitung", "Car wash",
/// "Inventur") are internal events, whatever language they are written in.
pub fn flag_internal_events(items: &mut [crate::evidence::Evidence]) {
    use crate::evidence::{Evidence, Kind, Source};
    use rayon::prelude::*;
    // the one-word "customer" of a calendar entry that names no other contact
    let candidate = |e: &Evidence| -> Option<String> {
        let f = &e.fields;
        if e.source != Source::Calendar
            || e.kind == Kind::NotBooking
            || f.booking_ref.is_some()
            || f.customer_email.is_some()
            || f.customer_phone.is_some()
        {
            return None;
        }
        let n = text::fold(f.customer_name.as_deref()?);
        (!n.contains(' ')).then_some(n)
    };
    // (tenant, word) of every name word outside the calendars, and (tenant, word) → day
    let (mut customer_words, days): (Vec<u64>, Vec<(u64, u64)>) = items
        .par_iter()
        .filter(|e| e.kind != Kind::NotBooking)
        .fold(
            || (Vec::new(), Vec::new()),
            |(mut words, mut days), e| {
                if e.source != Source::Calendar {
                    if let Some(n) = &e.fields.customer_name {
                        words.extend(
                            text::fold(n)
                                .split(' ')
                                .map(|w| pair_hash(&e.tenant, w.as_bytes())),
                        );
                    }
                } else if let (Some(n), Some(p)) = (candidate(e), e.fields.pickup_at) {
                    days.push((
                        pair_hash(&e.tenant, n.as_bytes()),
                        p.div_euclid(86_400) as u64,
                    ));
                }
                (words, days)
            },
        )
        .reduce(
            || (Vec::new(), Vec::new()),
            |(mut w1, mut d1), (w2, d2)| {
                w1.extend(w2);
                d1.extend(d2);
                (w1, d1)
            },
        );
    customer_words.par_sort_unstable();
    customer_words.dedup();
    let internal: Vec<u64> = keys_with_values(days, 3)
        .into_iter()
        .filter(|k| customer_words.binary_search(k).is_err())
        .collect();
    if internal.is_empty() {
        return;
    }
    items.par_iter_mut().for_each(|e| {
        let Some(word) = candidate(e) else {
            return;
        };
        if internal
            .binary_search(&pair_hash(&e.tenant, word.as_bytes()))
            .is_ok()
        {
            e.kind = Kind::NotBooking;
            e.note = Some(format!(
                "`{word}` recurs on several days and names no customer: an internal event"
            ));
        }
    });
}
