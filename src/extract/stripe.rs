//! Stripe object → evidence: metadata keys named in `mappings/stripe.toml`, description
//! patterns, then the general title reader on the description; money as Stripe reports it.

use crate::evidence::{Evidence, Field, Fields, Kind, Source};
use crate::extract::config::meta_key;
use crate::extract::email::{merge_at, set_value};
use crate::extract::text::{self, put};
use crate::extract::Ctx;
use crate::import::{StripeObject, StripeRecord};

/// Billing details are typed by the customer at checkout: trusted, but the cardholder may be
/// someone else than the driver.
const CONF_BILLING: f32 = 0.5;

pub fn extract(r: &StripeRecord, ctx: &Ctx) -> Evidence {
    let maps = ctx.maps;
    let tenant = ctx
        .tenant(r.tenant.as_deref())
        .or_else(|| r.account.as_deref().and_then(|a| ctx.tenant_by_account(a)))
        .or_else(|| {
            r.metadata.iter().find_map(|(k, v)| {
                maps.stripe
                    .tenant_keys
                    .contains(&meta_key(k))
                    .then(|| ctx.plan.tenant(v).or_else(|| ctx.tenant_by_account(v)))
                    .flatten()
            })
        })
        .or_else(|| {
            r.description
                .as_deref()
                .and_then(|d| ctx.tenant_named_in(&text::fold(d)))
        });
    let mut ev = Evidence {
        id: format!("stripe:{}", r.id),
        source: Source::Stripe,
        kind: if r.object == StripeObject::Refund {
            Kind::Refund
        } else {
            Kind::Payment
        },
        tenant: tenant.map(|t| t.key.clone()),
        observed_at: r.created,
        first_seen: r.created,
        file: r.file.clone(),
        position: r.position.clone(),
        extractor: r.object.extractor(),
        confidence: 0.95,
        fields: Fields::default(),
        note: None,
    };
    let tctx = ctx.text_ctx(tenant, None).written_at(r.created);
    let f = &mut ev.fields;
    // metadata: structured, as trusted as a mapping
    let mut meta = Fields::default();
    for (k, v) in &r.metadata {
        if let Some(kind) = maps.stripe.metadata.get(&meta_key(k)) {
            set_value(*kind, v, &tctx, &mut meta);
        }
    }
    merge_at(f, meta, 0.95);
    if let Some(d) = r.description.as_deref() {
        let mut from_desc = Fields::default();
        for re in &maps.stripe.description {
            if let Some(caps) = re.captures(d) {
                for name in re.capture_names().flatten() {
                    if let (Some(m), Some(kind)) =
                        (caps.name(name), crate::extract::config::label_kind(name))
                    {
                        set_value(kind, m.as_str(), &tctx, &mut from_desc);
                    }
                }
            }
        }
        merge_at(f, from_desc, 0.9);
        let mut loose = Fields::default();
        crate::extract::calendar::title(d, &tctx, &mut loose);
        let found = tctx.find_dates(d);
        if let Some(a) = found.first() {
            loose.pickup_at = Some(crate::extract::dates::resolve(
                a,
                tctx.tz,
                chrono::NaiveTime::MIN,
            ));
            loose.pickup_day_only = a.time.is_none();
            if let Some(b) = found.get(1) {
                loose.return_at = Some(crate::extract::dates::resolve(
                    b,
                    tctx.tz,
                    chrono::NaiveTime::MIN,
                ));
                loose.return_day_only = b.time.is_none();
            }
        }
        merge_at(f, loose, 0.5);
    }
    let conf = &mut f.conf;
    if let Some(n) = r
        .customer_name
        .as_deref()
        .and_then(|n| text::clean_name(n, tctx.vocab))
    {
        put(
            &mut f.customer_name,
            conf,
            Field::CustomerName,
            n,
            CONF_BILLING,
        );
    }
    if let Some(e) = r.customer_email.as_deref().and_then(text::find_email) {
        put(&mut f.customer_email, conf, Field::CustomerEmail, e, 0.9);
    }
    if let Some(p) = r.customer_phone.as_deref().filter(|p| !p.trim().is_empty()) {
        put(
            &mut f.customer_phone,
            conf,
            Field::CustomerPhone,
            p.trim().to_string(),
            CONF_BILLING,
        );
    }
    f.currency = Some(crate::extract::amounts::currency_code(r.currency.clone()));
    match r.object {
        StripeObject::Refund => {
            if r.status == "succeeded" || r.status == "pending" {
                f.amount_refunded = Some(r.amount);
            }
        }
        _ => {
            if r.paid {
                f.amount_paid = Some(r.amount);
                f.amount_refunded = Some(r.amount_refunded);
                let says_deposit = r
                    .description
                    .as_deref()
                    .is_some_and(|d| tctx.vocab.deposit_re.is_match(&text::fold(d)));
                if says_deposit && f.deposit.is_none() {
                    put(&mut f.deposit, &mut f.conf, Field::Deposit, r.amount, 0.8);
                }
            } else {
                ev.note = Some(format!(
                    "{} with status `{}`: no money moved",
                    r.object.as_str(),
                    r.status
                ));
            }
        }
    }
    f.stripe_ids.push(r.id.clone());
    f.stripe_ids.extend(r.links.iter().cloned());
    f.stripe_ids.sort();
    f.stripe_ids.dedup();
    ev
}
