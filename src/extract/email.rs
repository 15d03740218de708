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
        tenant: tenant.map(|t| t.key.clone()),
        observed_at: mail.date,
        first_seen: mail.date,
        file: mail.file.clone(),
        position: mail.position.clone(),
        extractor: family.map_or_else(|| text::LABELS.clone(), |f| f.extractor.clone()),
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
    let tctx = ctx
        .text_ctx(tenant, family.and_then(|f| f.date_order))
        .written_at(mail.date);
    if let Some(f) = family {
        apply_family(f, &mail.text, &tctx, &mut ev.fields);
    }
    text::extract_labels(&mail.text, &tctx, &mut ev.fields);
    if !forwarded && ev.fields.customer_email.is_none() {
        // the platform mails the customer: To is the customer's address
        if let Some(to) = mail
            .to
            .iter()
            .map(|a| a.to_lowercase())
            .find(|a| !is_own(a, ctx))
        {
            put(
                &mut ev.fields.customer_email,
                &mut ev.fields.conf,
                Field::CustomerEmail,
                to,
                0.8,
            );
        }
    }
    if !forwarded {
        if let Some(n) = mail
            .to_name
            .as_deref()
            .filter(|n| !n.contains('@'))
            .and_then(|n| text::clean_name(n, tctx.vocab))
        {
            // the greeting spells the same name with its accents ("Olá João Silva" to
            // "Joao Silva <…>"): the platform wrote what the customer typed
            let n = text::greeting_name(&mail.text, tctx.vocab)
                .filter(|g| text::fold(g) == text::fold(&n))
                .unwrap_or(n);
            put(
                &mut ev.fields.customer_name,
                &mut ev.fields.conf,
                Field::CustomerName,
                n,
                text::CONF_SENTENCE,
            );
        }
    }
    let before = ev.fields.conf;
    text::extract_fallback(&mail.subject, &mail.text, &tctx, &mut ev.fields);
    if family.is_none() && before != ev.fields.conf {
        ev.extractor = "fallback".into();
        ev.confidence = 0.75;
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

/// An address of the platform or a tenant (never a customer's).
fn is_own(addr: &str, ctx: &Ctx) -> bool {
    ctx.own_addresses
        .iter()
        .any(|o| addr == o || addr.ends_with(&format!("@{}", o.trim_start_matches('@'))))
        || addr.starts_with("noreply")
        || addr.starts_with("no-reply")
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
        if [
            "date ",
            "sent ",
            "datum ",
            "gesendet ",
            "envoye ",
            "enviado ",
            "fecha ",
        ]
        .iter()
        .any(|p| fl.starts_with(p))
        {
            if let Some(f) = tctx.parse_date(l) {
                return Some(dates::resolve(&f, tctx.tz, chrono::NaiveTime::MIN));
            }
        }
    }
    None
}

/// Machine mail and mail that is plainly not about a booking.
fn not_booking(mail: &RawMail, from: &str, ctx: &Ctx) -> Option<String> {
    let flag = |k: &str| mail.flags.get(k).map(|v| v.to_lowercase());
    if flag("from-mailer-daemon").is_some()
        || flag("content-type").is_some_and(|v| v.contains("report"))
    {
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
        .not_booking_subject_re
        .find(&fs)
        .map(|m| m.as_str())
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
        for (kind, re) in &ctx.maps.vocab.kind_res {
            if re.is_match(hay) {
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
                if let (Some(m), Some(kind)) =
                    (caps.name(name), crate::extract::config::label_kind(name))
                {
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
        LabelKind::Contact => "contact",
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
    if let Some(t) = family
        .and_then(|f| f.tenant.as_deref())
        .and_then(|s| ctx.plan.tenant(s))
    {
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
            addrs
                .iter()
                .any(|a| a == &s || a.ends_with(&format!("@{}", s.trim_start_matches('@'))))
        }) {
            return Some(t);
        }
    }
    if let Some((name, _)) = &mail.from {
        if let Some(t) = ctx.tenant_named_in(&fold(name)) {
            return Some(t);
        }
    }
    ctx.tenant_named_in(&fold(&mail.subject)).or_else(|| {
        let head: String = mail.text.chars().take(4000).collect();
        ctx.tenant_named_in(&fold(&head))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{mappings, plan3};
    use chrono::{TimeZone, Utc};

    fn mail(from: (&str, &str), to: &str, subject: &str, text: &str) -> RawMail {
        RawMail {
            file: "sent.mbox".into(),
            position: "message 1 (line 1)".into(),
            message_id: "m1@x".into(),
            date: Some(
                Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
                    .single()
                    .map(|d| d.timestamp())
                    .unwrap_or(0),
            ),
            from: Some((from.0.into(), from.1.into())),
            to: vec![to.into()],
            subject: subject.into(),
            text: text.into(),
            ..Default::default()
        }
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .map(|d| d.timestamp())
            .unwrap_or(0)
    }

    #[test]
    fn english_label_mail_in_a_german_business() {
        let (_d, plan) = plan3();
        let maps = mappings();
        let ctx = Ctx::new(&plan, &maps);
        let m = mail(
            ("Alpen Autos", "bookings@alpen-autos.example"),
            "john.smith@example.com",
            "Your booking BK-48213 is confirmed",
            "Dear Mr. John Smith,\n\nthank you for your booking.\n\nBooking reference: BK-48213\nVehicle: VW Golf or similar\nPick-up: Sat, 14 Mar 2026 10:00 at Munich Airport\nReturn: 17 Mar 2026 09:00, Munich Central Station\nTotal: €1.234,50\nDeposit: €300,00\nPhone: +49 170 1234567\n",
        );
        let ev = extract(&m, &ctx);
        let f = &ev.fields;
        assert_eq!(ev.tenant.as_deref(), Some("alpen"));
        assert_eq!(ev.kind, Kind::Confirmation);
        assert_eq!(f.booking_ref.as_deref(), Some("BK-48213"));
        assert_eq!(f.customer_name.as_deref(), Some("John Smith"));
        assert_eq!(f.customer_email.as_deref(), Some("john.smith@example.com"));
        assert_eq!(f.vehicle.as_deref(), Some("VW Golf"));
        assert_eq!(f.pickup_at, Some(utc(2026, 3, 14, 9, 0)));
        assert_eq!(f.return_at, Some(utc(2026, 3, 17, 8, 0)));
        assert_eq!(f.pickup_location.as_deref(), Some("Munich Airport"));
        assert_eq!(f.return_location.as_deref(), Some("Munich Central Station"));
        assert_eq!(f.total, Some(123_450));
        assert_eq!(f.deposit, Some(30_000));
        assert_eq!(f.customer_phone.as_deref(), Some("+49 170 1234567"));
    }

    #[test]
    fn german_html_table_and_sentence() {
        let (_d, plan) = plan3();
        let maps = mappings();
        let ctx = Ctx::new(&plan, &maps);
        let m = mail(
            ("Alpen Autos", "noreply@alpen-autos.example"),
            "anna@example.de",
            "Ihre Buchung wurde geändert",
            "Hallo Anna Müller,\nIhre Buchung wurde aktualisiert.\nBuchungsnummer\tAA-2026-00123\nFahrzeug\tBMW 320d Touring\nIhre Abholung: Samstag, 14. März 2026 um 10:00 Uhr in München Flughafen\nRückgabe\t17.03.2026, 18:30 Uhr\nRückgabeort\tMünchen Hbf\nGesamtpreis\t1.234,50 €\n",
        );
        let ev = extract(&m, &ctx);
        let f = &ev.fields;
        assert_eq!(ev.kind, Kind::Modification);
        assert_eq!(f.booking_ref.as_deref(), Some("AA-2026-00123"));
        assert_eq!(f.customer_name.as_deref(), Some("Anna Müller"));
        assert_eq!(f.vehicle.as_deref(), Some("BMW 320d Touring"));
        assert_eq!(f.pickup_at, Some(utc(2026, 3, 14, 9, 0)));
        assert_eq!(f.pickup_location.as_deref(), Some("München Flughafen"));
        assert_eq!(f.return_at, Some(utc(2026, 3, 17, 17, 30)));
        assert_eq!(f.return_location.as_deref(), Some("München Hbf"));
        assert_eq!(f.total, Some(123_450));
    }

    #[test]
    fn us_dates_french_words_and_noise() {
        let (_d, plan) = plan3();
        let maps = mappings();
        let ctx = Ctx::new(&plan, &maps);
        let m = mail(
            ("Liberty Car Rental", "bookings@liberty.example"),
            "bob@example.com",
            "Reservation cancelled - R7K2QX",
            "Hi Bob Miller,\nyour reservation R7K2QX has been cancelled.\nPick-up date: 03/04/2026 10:00 AM\nReturn date: 03/08/2026 9:30 AM\n",
        );
        let ev = extract(&m, &ctx);
        assert_eq!(ev.kind, Kind::Cancellation);
        assert!(ev.fields.cancelled);
        assert_eq!(ev.fields.booking_ref.as_deref(), Some("R7K2QX"));
        // America/New_York is UTC-5 on March 4th
        assert_eq!(ev.fields.pickup_at, Some(utc(2026, 3, 4, 15, 0)));
        let fr = mail(
            ("Riviera Location", "contact@riviera.example"),
            "marie@example.fr",
            "Réservation confirmée",
            "Bonjour Madame Marie Dupont,\nRéférence : RV-55012\nVéhicule : Peugeot 208\nPrise en charge : samedi 14 mars 2026 à 10h00, Nice Aéroport\nRestitution : mardi 17 mars 2026 à 18h00\nMontant total : 1 234,50 €\n",
        );
        let ev = extract(&fr, &ctx);
        assert_eq!(ev.tenant.as_deref(), Some("riviera"));
        assert_eq!(ev.fields.booking_ref.as_deref(), Some("RV-55012"));
        assert_eq!(ev.fields.customer_name.as_deref(), Some("Marie Dupont"));
        assert_eq!(ev.fields.pickup_at, Some(utc(2026, 3, 14, 9, 0)));
        assert_eq!(ev.fields.pickup_location.as_deref(), Some("Nice Aéroport"));
        assert_eq!(ev.fields.total, Some(123_450));
        let mut news = mail(
            ("Alpen Autos", "news@alpen-autos.example"),
            "x@example.com",
            "Unser Sommer-Newsletter",
            "Booking reference: BK-1\n",
        );
        news.flags
            .insert("list-unsubscribe".into(), "<mailto:u@x>".into());
        assert_eq!(extract(&news, &ctx).kind, Kind::NotBooking);
    }

    #[test]
    fn clauses_of_a_free_text_line_and_dates_without_a_year() {
        let (_d, plan) = plan3();
        let maps = mappings();
        let ctx = Ctx::new(&plan, &maps);
        let m = mail(
            ("Riviera Location", "reservations@riviera.example"),
            "jm@example.fr",
            "Votre location",
            "Réf. K3MM9M – Jérôme Moreau, 06 41 95 98 07 – retour à l'agence Nice Aéroport T2\n\
             Prise en charge : lundi 9 mars à 15h00\n",
        );
        let mut m = m;
        m.from = Some((
            "Riviera Location".into(),
            "contact@riviera-location.example".into(),
        ));
        let e = extract(&m, &ctx);
        let f = &e.fields;
        assert_eq!(f.booking_ref.as_deref(), Some("K3MM9M"));
        assert_eq!(f.customer_phone.as_deref(), Some("06 41 95 98 07"));
        assert_eq!(f.return_location.as_deref(), Some("Nice Aéroport T2"));
        // "lundi 9 mars" without a year, in a mail of 1 March 2026 (Paris time)
        assert_eq!(f.pickup_at, Some(utc(2026, 3, 9, 14, 0)));
    }
}

#[cfg(test)]
mod family_tests {
    use super::*;
    use crate::extract::config::Family;
    use crate::testutil::{mappings, plan3};

    #[test]
    fn a_family_mapping_reads_what_the_vocabulary_does_not_know() {
        let (dir, plan) = plan3();
        let mut maps = mappings();
        let p = dir.path().join("odd.toml");
        std::fs::write(
            &p,
            "name = \"odd\"\ntenant = \"liberty\"\npatterns = ['Wheels turn (?P<pickup>.+?) ;; back (?P<return>.+?) ;;']\n[match]\nsubject = '^Ride booked'\n[kind]\nmodification = '(?i)rescheduled'\n[fields]\nbooking_ref = 'Ticket ~(\\w+)~'\nvehicle = 'Your ride ➜ (.+)'\n",
        )
        .expect("write");
        maps.email.push(Family::load(&p).expect("family loads"));
        let ctx = Ctx::new(&plan, &maps);
        let m = RawMail {
            file: "x.eml".into(),
            position: "x.eml".into(),
            message_id: "odd1@x".into(),
            from: Some(("Rides".into(), "rides@unknown.example".into())),
            subject: "Ride booked (rescheduled)".into(),
            text: "Ticket ~Q77ZX~\nYour ride ➜ Ford Mustang Convertible\nWheels turn 03/14/2026 10:00 AM at Miami Beach ;; back 03/16/2026 6:00 PM ;;\n".into(),
            ..Default::default()
        };
        let ev = extract(&m, &ctx);
        assert_eq!(&*ev.extractor, "mapping:odd");
        assert_eq!(ev.tenant.as_deref(), Some("liberty"));
        assert_eq!(ev.kind, Kind::Modification);
        assert_eq!(ev.fields.booking_ref.as_deref(), Some("Q77ZX"));
        assert_eq!(
            ev.fields.vehicle.as_deref(),
            Some("Ford Mustang Convertible")
        );
        assert_eq!(ev.fields.pickup_location.as_deref(), Some("Miami Beach"));
        // 10:00 EDT on March 14th 2026 (DST began March 8th)
        assert_eq!(ev.fields.pickup_at, Some(1_773_496_800));
        assert!(ev.fields.return_at.is_some());
        assert!(ev.fields.confidence(Field::Vehicle) >= 0.9);
    }
}
