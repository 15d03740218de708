//! E-mail → evidence: the tenant from the sender, the kind from subject words, the fields from
//! the matching template family, then the general extractor.

use crate::evidence::{Evidence, Field, Fields, Kind, Source};
use crate::extract::config::{Family, LabelKind};
use crate::extract::text::{self, fold, put, CONF_MAPPING};
use crate::extract::{dates, Ctx};
use crate::import::RawMail;
use crate::plan::Tenant;

/// Turns one decoded mail into evidence (never fails: what is unreadable stays empty).
pub fn extract(mail: &RawMail, ctx: &Ctx) -> Evidence {
    let from_addr = mail.from.as_ref().map(|(_, a)| a.as_str()).unwrap_or("");
    let from_full = mail
        .from
        .as_ref()
        .map(|(n, a)| format!("{n} <{a}>"))
        .unwrap_or_default();
    let family = ctx
        .maps
        .email
        .iter()
        .find(|f| f.matches(&from_full, &mail.subject, &mail.text));
    let tenant = find_tenant(mail, family, ctx);
    let mut ev = Evidence {
        id: format!("email:{}", mail.message_id),
        source: Source::Email,
        kind: Kind::Confirmation,
        tenant: tenant.map(|t| t.slug.clone()),
        observed_at: mail.date,
        first_seen: mail.date,
        file: mail.file.clone(),
        position: mail.position.clone(),
        extractor: family
            .map(|f| format!("mapping:{}", f.name))
            .unwrap_or_else(|| "labels".into()),
        confidence: if family.is_some() { 0.95 } else { 0.8 },
        fields: Fields::default(),
        note: None,
    };
    if let Some(reason) = not_booking(mail, from_addr, ctx) {
        ev.kind = Kind::NotBooking;
        ev.note = Some(reason);
        return ev;
    }
    let forwarded = is_forward(&mail.subject);
    ev.kind = kind_of(mail, family, ctx, forwarded);
    let tctx = ctx.text_ctx(tenant, family.and_then(|f| f.date_order));
    if let Some(f) = family {
        apply_family(f, &mail.text, &tctx, &mut ev.fields);
    }
    text::extract_labels(&mail.text, &tctx, &mut ev.fields);
    let before = ev.fields.conf;
    text::extract_fallback(&mail.subject, &mail.text, &tctx, &mut ev.fields);
    if family.is_none() && before != ev.fields.conf {
        ev.extractor = "fallback".into();
        ev.confidence = 0.6;
    }
    if ev.kind == Kind::Cancellation {
        ev.fields.cancelled = true;
    }
    if forwarded {
        // A forward is a copy made later: it must not count as the newest version.
        ev.observed_at = quoted_date(&mail.text, &tctx).or(None);
        ev.first_seen = ev.observed_at;
        ev.confidence *= 0.9;
    }
    let useful = ev.fields.booking_ref.is_some()
        || ev.fields.pickup_at.is_some()
        || (ev.fields.customer_email.is_some() && ev.fields.total.is_some());
    if !useful {
        ev.kind = Kind::NotBooking;
        ev.note = Some("no booking reference, dates or amounts found".into());
    }
    ev
}

fn is_forward(subject: &str) -> bool {
    let s = subject.trim_start().to_lowercase();
    ["fwd:", "fw:", "wg:", "tr:", "rv:", "i:", "doorst:"]
        .iter()
        .any(|p| s.starts_with(p))
}

/// The `Date:` line of a quoted original inside a forward.
fn quoted_date(text: &str, tctx: &text::TextCtx) -> Option<i64> {
    for line in text.lines() {
        let l = line.trim().trim_start_matches('>').trim();
        let fl = fold(l);
        if ["date ", "sent ", "datum ", "gesendet ", "envoye ", "enviado ", "fecha "]
            .iter()
            .any(|p| fl.starts_with(p))
        {
            if let Some(f) = dates::parse_datetime(l, tctx.order, tctx.lex) {
                return Some(dates::resolve(&f, tctx.tz, chrono::NaiveTime::MIN));
            }
        }
    }
    None
}

/// Machine mail and mail that is plainly not about a booking.
fn not_booking(mail: &RawMail, from: &str, ctx: &Ctx) -> Option<String> {
    let flag = |k: &str| mail.flags.get(k).map(|v| v.to_lowercase());
    if flag("from-mailer-daemon").is_some() || flag("content-type").is_some_and(|v| v.contains("report")) {
        return Some("bounce (delivery status notification)".into());
    }
    if flag("auto-submitted").is_some_and(|v| v != "no") || flag("x-autoreply").is_some() {
        return Some("auto-reply".into());
    }
    if flag("list-unsubscribe").is_some() || flag("list-id").is_some() {
        return Some("mailing list / newsletter".into());
    }
    if flag("precedence").is_some_and(|v| v == "bulk" || v == "list" || v == "junk") {
        return Some("bulk mail".into());
    }
    let fs = fold(&mail.subject);
    if let Some(w) = ctx
        .maps
        .vocab
        .not_booking_subjects
        .iter()
        .find(|w| text::contains_words(&fs, w))
    {
        return Some(format!("subject says `{w}`"));
    }
    if from.starts_with("mailer-daemon@") || from.starts_with("postmaster@") {
        return Some("bounce".into());
    }
    None
}

/// The kind from the family's own rules, else from vocabulary words in the subject, else in
/// the first lines of the body.
fn kind_of(mail: &RawMail, family: Option<&Family>, ctx: &Ctx, forwarded: bool) -> Kind {
    if let Some(f) = family {
        if let Some((k, _)) = f
            .kinds
            .iter()
            .find(|(_, re)| re.is_match(&mail.subject) || re.is_match(&mail.text))
        {
            return *k;
        }
    }
    let _ = forwarded;
    let subject = fold(&mail.subject);
    let head: String = mail.text.lines().take(8).collect::<Vec<_>>().join(" ");
    let head = fold(&head);
    for hay in [&subject, &head] {
        for (kind, words) in &ctx.maps.vocab.kinds {
            if words.iter().any(|w| text::contains_words(hay, w)) {
                return *kind;
            }
        }
    }
    Kind::Confirmation
}

/// Family regexes: `fields` (first capture group) and `patterns` (named groups).
pub fn apply_family(f: &Family, body: &str, tctx: &text::TextCtx, out: &mut Fields) {
    for (field, re) in &f.fields {
        if let Some(v) = re.captures(body).and_then(|c| c.get(1)) {
            set_value(LabelKind::Field(*field), v.as_str(), tctx, out);
        }
    }
    for re in &f.patterns {
        if let Some(caps) = re.captures(body) {
            for name in re.capture_names().flatten() {
                if let (Some(m), Some(kind)) = (caps.name(name), crate::extract::config::label_kind(name)) {
                    set_value(kind, m.as_str(), tctx, out);
                }
            }
        }
    }
}

/// Sets a value a mapping pointed at, parsed by its field type, at mapping confidence.
pub fn set_value(kind: LabelKind, v: &str, tctx: &text::TextCtx, out: &mut Fields) {
    // a mapping value is a labelled value with a stronger label: reuse the label parser
    let line = format!("{}: {}", label_name(kind), v.trim());
    let mut tmp = Fields::default();
    text::extract_labels(&line, tctx, &mut tmp);
    merge_at(out, tmp, CONF_MAPPING);
}

fn label_name(kind: LabelKind) -> &'static str {
    match kind {
        LabelKind::Field(Field::BookingRef) => "booking reference",
        LabelKind::Field(Field::CustomerName) => "customer name",
        LabelKind::Field(Field::CustomerEmail) => "email",
        LabelKind::Field(Field::CustomerPhone) => "phone",
        LabelKind::Field(Field::Vehicle) => "vehicle",
        LabelKind::Field(Field::PickupAt) => "pickup date",
        LabelKind::Field(Field::ReturnAt) => "return date",
        LabelKind::Field(Field::PickupLocation) => "pickup location",
        LabelKind::Field(Field::ReturnLocation) => "return location",
        LabelKind::Field(Field::Total) => "total",
        LabelKind::Field(Field::Deposit) => "deposit",
        LabelKind::Pickup => "pickup",
        LabelKind::Return => "return",
        LabelKind::Period => "rental period",
        LabelKind::AmountPaid => "amount paid",
    }
}

/// Copies every field `src` has into `dst` at confidence `c` (if better than what is there).
pub fn merge_at(dst: &mut Fields, src: Fields, c: f32) {
    let conf = &mut dst.conf;
    macro_rules! m {
        ($f:ident, $k:expr) => {
            if let Some(v) = src.$f {
                put(&mut dst.$f, conf, $k, v, c);
            }
        };
    }
    m!(booking_ref, Field::BookingRef);
    m!(customer_name, Field::CustomerName);
    m!(customer_email, Field::CustomerEmail);
    m!(customer_phone, Field::CustomerPhone);
    m!(vehicle, Field::Vehicle);
    m!(pickup_location, Field::PickupLocation);
    m!(return_location, Field::ReturnLocation);
    m!(total, Field::Total);
    m!(deposit, Field::Deposit);
    if let Some(v) = src.pickup_at {
        if dst.pickup_at.is_none() || c > conf[Field::PickupAt as usize] {
            dst.pickup_at = Some(v);
            dst.pickup_day_only = src.pickup_day_only;
            conf[Field::PickupAt as usize] = if src.pickup_day_only { c.min(0.5) } else { c };
        }
    }
    if let Some(v) = src.return_at {
        if dst.return_at.is_none() || c > conf[Field::ReturnAt as usize] {
            dst.return_at = Some(v);
            dst.return_day_only = src.return_day_only;
            conf[Field::ReturnAt as usize] = if src.return_day_only { c.min(0.5) } else { c };
        }
    }
    if dst.currency.is_none() {
        dst.currency = src.currency;
    }
    if dst.amount_paid.is_none() {
        dst.amount_paid = src.amount_paid;
    }
}

/// The tenant of a mail: the family's tenant, a sender address or domain in the plan, the
/// Reply-To, then the business name in the subject or text.
fn find_tenant<'a>(mail: &RawMail, family: Option<&Family>, ctx: &Ctx<'a>) -> Option<&'a Tenant> {
    if let Some(t) = family.and_then(|f| f.tenant.as_deref()).and_then(|s| ctx.plan.tenant(s)) {
        return Some(t);
    }
    let addrs: Vec<String> = mail
        .from
        .iter()
        .map(|(_, a)| a.to_lowercase())
        .chain(mail.reply_to.iter().map(|a| a.to_lowercase()))
        .collect();
    for t in &ctx.plan.tenants {
        if t.email_senders.iter().any(|s| {
            let s = s.to_lowercase();
            addrs.iter().any(|a| a == &s || a.ends_with(&format!("@{}", s.trim_start_matches('@'))))
        }) {
            return Some(t);
        }
    }
    if let Some((name, _)) = &mail.from {
        if let Some(t) = ctx.tenant_named_in(&fold(name)) {
            return Some(t);
        }
    }
    ctx.tenant_named_in(&fold(&mail.subject))
        .or_else(|| {
            let head: String = mail.text.chars().take(4000).collect();
            ctx.tenant_named_in(&fold(&head))
        })
}
