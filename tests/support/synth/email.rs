//! The platform's mails: per-tenant template families in their languages, MIME encodings,
//! mbox / Maildir / .eml containers, duplicates, forwards, noise and broken files.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::DateTime;
use chrono_tz::Tz;

use super::data::{Country, Profile};
use super::fmt::{self, Money};
use super::mime::{self, Charset, Cte, Mail, Part};
use super::model::{Booking, Charge, Class, State, Tenant, World, DAY, HOUR};
use super::rng::{hash_str, Rng, BASE62, HEX_LOWER, HEX_UPPER};
use super::Ledger;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Confirmation,
    Modification,
    Cancellation,
    Reminder,
    Receipt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Dest {
    Shared,
    TenantMbox(usize),
    Maildir,
    Eml,
}

#[derive(Debug, Clone)]
enum What {
    Booking(Kind),
    Receipt(usize),
    Forward {
        of: Kind,
        of_at: i64,
        staff: usize,
    },
    Newsletter,
    PasswordReset,
    Bounce {
        of_subject: String,
    },
    AutoReply {
        of_msgid: String,
        of_subject: String,
    },
}

#[derive(Debug, Clone)]
struct Spec {
    at: i64,
    ord: u64,
    dest: Dest,
    tenant: usize,
    booking: Option<usize>,
    what: What,
    msgid: String,
}

/// Where a tenant's mail ends up. The French tenant's mail client keeps the last month in a
/// Maildir and older mail was exported to an mbox (this also keeps the number of files
/// small for huge worlds); the US tenant has its own mbox; the others share the platform's.
fn dest_of(t: &Tenant, at: i64, t1: i64) -> Dest {
    match t.profile {
        Profile::Riviera if at > t1 - MAILDIR_DAYS * DAY => Dest::Maildir,
        Profile::Riviera | Profile::Liberty => Dest::TenantMbox(t.idx),
        _ => Dest::Shared,
    }
}

const MAILDIR_DAYS: i64 = 30;

/// A Message-ID (without brackets) in the style of the tenant's mailer.
fn platform_msgid(rng: &mut Rng, t: &Tenant, at: i64) -> String {
    match t.profile {
        Profile::Alpen => format!(
            "{}.{}@{}",
            fmt::compact_utc(at),
            rng.chars(12, HEX_UPPER),
            t.domain
        ),
        Profile::Liberty => format!(
            "0100019{}-{}-{}-{}-{}-{}-000000@email.amazonses.com",
            rng.chars(9, HEX_LOWER),
            rng.chars(8, HEX_LOWER),
            rng.chars(4, HEX_LOWER),
            rng.chars(4, HEX_LOWER),
            rng.chars(4, HEX_LOWER),
            rng.chars(12, HEX_LOWER)
        ),
        Profile::Riviera => format!(
            "{}-{}-{}-{}-{}@{}",
            rng.chars(8, HEX_LOWER),
            rng.chars(4, HEX_LOWER),
            rng.chars(4, HEX_LOWER),
            rng.chars(4, HEX_LOWER),
            rng.chars(12, HEX_LOWER),
            t.domain
        ),
        Profile::Sol => format!(
            "{}.{}@mail.{}",
            rng.chars(16, HEX_LOWER),
            rng.digits(5),
            t.domain
        ),
        Profile::Thames => format!(
            "rc.{}.{at}@mail.rentcloud.example",
            rng.chars(20, HEX_LOWER)
        ),
        Profile::Sakura => format!(
            "{}.{}.booking@{}",
            fmt::compact_utc(at),
            rng.chars(8, HEX_LOWER),
            t.domain
        ),
    }
}

/// Message-ID of a mail written by a person (Outlook or Gmail).
fn personal_msgid(rng: &mut Rng, outlook: bool) -> String {
    if outlook {
        format!(
            "AM9PR07MB{}{}@AM9PR07MB{}.eurprd07.prod.outlook.com",
            rng.digits(4),
            rng.chars(28, HEX_UPPER),
            rng.digits(4)
        )
    } else {
        format!("CA+{}@mail.gmail.com", rng.chars(40, BASE62))
    }
}

// ---------------------------------------------------------------------------------------
// Template families
// ---------------------------------------------------------------------------------------

/// What one mail says, before MIME.
struct Content {
    subject: String,
    /// The plain text (also what a forward quotes).
    text: String,
    /// The HTML body, when the family sends one.
    html: Option<String>,
}

struct Ctx<'a> {
    t: &'a Tenant,
    b: &'a Booking,
    st: &'a State,
    kind: Kind,
    money: Money,
    charge: Option<&'a Charge>,
    rng: Rng,
}

impl Ctx<'_> {
    fn m(&self, minor: i64) -> String {
        fmt::money(minor, self.t.exp, self.money)
    }
    fn pk(&self) -> DateTime<Tz> {
        fmt::local(self.t.tz, self.st.pickup)
    }
    fn rt(&self) -> DateTime<Tz> {
        fmt::local(self.t.tz, self.st.ret)
    }
    fn veh(&self) -> &'static str {
        self.t.vehicle(self.st.vehicle)
    }
    fn ploc(&self) -> &'static str {
        self.t.branch(self.st.pickup_loc)
    }
    fn rloc(&self) -> &'static str {
        self.t.branch(self.st.return_loc)
    }
    fn r(&self) -> &str {
        &self.b.booking_ref
    }
    fn full(&self) -> String {
        self.b.cust.full()
    }
    /// Charged when booking (deposit or full amount), None when paid at the counter.
    fn upfront(&self) -> Option<i64> {
        if self.b.f.counter {
            None
        } else if self.t.deposit() {
            Some(self.b.deposit)
        } else {
            Some(self.b.orig.total)
        }
    }
    /// Money to give back on cancellation.
    fn refund_due(&self) -> i64 {
        match self.b.cancelled_at {
            Some(c) => self.b.paid_before(c),
            None => 0,
        }
    }
}

fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// Rows as `Label: value` lines (what a forward of an HTML mail quotes).
fn rows_text(rows: &[(String, String)]) -> String {
    rows.iter().map(|(l, v)| format!("{l}: {v}\n")).collect()
}

/// Rows with the values aligned in a column.
fn rows_aligned(rows: &[(String, String)], indent: &str, sep: &str) -> String {
    let w = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        + 1;
    rows.iter()
        .map(|(l, v)| {
            let pad = w - l.chars().count();
            format!("{indent}{l}{sep}{}{v}\n", " ".repeat(pad))
        })
        .collect()
}

fn row(l: &str, v: impl Into<String>) -> (String, String) {
    (l.to_string(), v.into())
}

/// An HTML mail with a table of label/value cells, like transactional-mail builders make.
fn html_table_mail(
    brand: &str,
    title: &str,
    intro: &str,
    rows: &[(String, String)],
    footer: &str,
) -> String {
    let mut h = String::with_capacity(2048);
    h.push_str("<!DOCTYPE html>\n<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n");
    h.push_str(&format!("<title>{}</title></head>\n", html_escape(title)));
    h.push_str("<body style=\"margin:0;padding:0;background:#f4f4f4\">\n<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr><td align=\"center\">\n");
    h.push_str("<table width=\"600\" cellpadding=\"8\" cellspacing=\"0\" border=\"0\" style=\"background:#ffffff;font-family:Arial,Helvetica,sans-serif;font-size:14px\">\n");
    h.push_str(&format!(
        "<tr><td colspan=\"2\" style=\"background:#0b3d91;color:#fff;font-size:20px\"><b>{}</b></td></tr>\n",
        html_escape(brand)
    ));
    h.push_str(&format!(
        "<tr><td colspan=\"2\"><h1 style=\"font-size:18px\">{}</h1><p>{}</p></td></tr>\n",
        html_escape(title),
        html_escape(intro)
    ));
    for (l, v) in rows {
        h.push_str(&format!(
            "<tr>\n  <td style=\"color:#666;width:40%\">{}</td>\n  <td style=\"font-weight:bold\">{}</td>\n</tr>\n",
            html_escape(l).replace(' ', "&nbsp;"),
            html_escape(v)
        ));
    }
    h.push_str(&format!(
        "<tr><td colspan=\"2\" style=\"font-size:11px;color:#999\">{}</td></tr>\n</table>\n</td></tr></table>\n</body></html>\n",
        footer
    ));
    h
}

fn alpen(c: &mut Ctx) -> Content {
    let b = c.b;
    let sig = format!(
        "Mit freundlichen Grüßen\nIhr Team von {}\n\n-- \n{} · Flughafenstraße 12 · 85356 München\nTel. +49 89 4521890 · www.{}\n",
        c.t.brand, c.t.name, c.t.domain
    );
    let pay = match c.upfront() {
        None => "Zahlung: bei Abholung vor Ort\n".to_string(),
        Some(dep) => format!(
            "Anzahlung (per Karte bezahlt): {}\nRestbetrag (fällig bei Abholung): {}\n",
            c.m(dep),
            c.m(c.st.total - dep)
        ),
    };
    let block = format!(
        "Buchungsnummer: {}\nFahrzeug: {} oder ähnlich\n\nIhre Abholung: {} in {}\nIhre Rückgabe: {} in {}\n\nMietpreis gesamt: {}\n{}",
        c.r(),
        c.veh(),
        fmt::de_sentence(&c.pk()),
        c.ploc(),
        fmt::de_sentence(&c.rt()),
        c.rloc(),
        c.m(c.st.total),
        pay
    );
    let hello = format!("Guten Tag {},\n\n", c.full());
    match c.kind {
        Kind::Confirmation => Content {
            subject: format!("Buchungsbestätigung {}", c.r()),
            text: format!(
                "{hello}vielen Dank für Ihre Buchung bei {}! Hiermit bestätigen wir Ihre Reservierung.\n\n{block}\nIhre Kontaktdaten: {}, Tel. {}\n\nBitte bringen Sie Ihren Führerschein und eine auf den Fahrer ausgestellte Kreditkarte mit.\n\n{sig}",
                c.t.brand, b.cust.email, b.cust.phone_nat
            ),
            html: None,
        },
        Kind::Modification => Content {
            subject: format!("Ihre Buchung {} wurde geändert", c.r()),
            text: format!(
                "{hello}wie gewünscht haben wir Ihre Buchung geändert. Ihre aktualisierten Buchungsdaten:\n\n{block}\n{sig}"
            ),
            html: None,
        },
        Kind::Cancellation => {
            let due = c.refund_due();
            let refund = if due > 0 {
                format!(
                    "Die geleistete Anzahlung von {} erstatten wir innerhalb von 5–7 Werktagen auf Ihre Karte.\n",
                    c.m(due)
                )
            } else {
                String::new()
            };
            Content {
                subject: format!("Stornierungsbestätigung {}", c.r()),
                text: format!(
                    "{hello}hiermit bestätigen wir die Stornierung Ihrer Buchung {} ({}, Abholung am {} in {}).\n{refund}\nWir hoffen, Sie bald wieder bei uns begrüßen zu dürfen.\n\n{sig}",
                    c.r(),
                    c.veh(),
                    fmt::de_date(&c.pk()),
                    c.ploc()
                ),
                html: None,
            }
        }
        Kind::Reminder => Content {
            subject: format!("Erinnerung: Ihre Abholung morgen ({})", c.r()),
            text: format!(
                "{hello}morgen ist es so weit!\n\nIhre Abholung: {} in {}\nFahrzeug: {}\nBuchungsnummer: {}\n\nBitte denken Sie an Führerschein und Personalausweis.\n\n{sig}",
                fmt::de_sentence(&c.pk()),
                c.ploc(),
                c.veh(),
                c.r()
            ),
            html: None,
        },
        Kind::Receipt => receipt_generic(c),
    }
}

fn card_label(b: &Booking) -> String {
    let brand = match b.card.brand {
        "visa" => "Visa",
        "mastercard" => "Mastercard",
        "amex" => "American Express",
        "discover" => "Discover",
        "jcb" => "JCB",
        other => other,
    };
    format!("{brand} – {}", b.card.last4)
}

fn receipt_generic(c: &mut Ctx) -> Content {
    let ch = c.charge;
    let amount = ch.map(|x| x.amount).unwrap_or(c.st.total);
    let created = ch.map(|x| x.created).unwrap_or(c.b.booked_at);
    let number = ch.map(|x| x.receipt_number.clone()).unwrap_or_default();
    let mut rows = vec![
        row("Amount paid", c.m(amount)),
        row("Date paid", fmt::us_date(&fmt::local(c.t.tz, created))),
        row("Payment method", card_label(c.b)),
    ];
    if c.rng.chance(700) {
        rows.push(row("Description", format!("Reservation {}", c.r())));
    }
    Content {
        subject: format!("Your receipt from {} #{number}", c.t.brand),
        text: rows_text(&rows),
        html: Some(html_table_mail(
            &c.t.brand,
            &format!("Receipt from {}", c.t.brand),
            &format!("Receipt #{number}"),
            &rows,
            "Questions? Reply to this email or contact the business directly.",
        )),
    }
}

fn liberty(c: &mut Ctx) -> Content {
    let b = c.b;
    let footer = format!(
        "{} &middot; 350 W 55th St &middot; New York, NY 10019<br><a href=\"https://{}/account\">Manage your reservation</a>",
        html_escape(&c.t.name),
        c.t.domain
    );
    let details = |c: &Ctx, total_label: &str| {
        let mut rows = vec![
            row("Confirmation #", c.r()),
            row("Driver", c.full()),
            row("Email", b.cust.email.clone()),
            row("Phone", b.cust.phone_nat.clone()),
            row("Vehicle", format!("{} or similar", c.veh())),
            row("Pick-up", fmt::us(&c.pk())),
            row("Pick-up location", c.ploc()),
            row("Drop-off", fmt::us(&c.rt())),
            row("Drop-off location", c.rloc()),
            row(total_label, c.m(c.st.total)),
        ];
        match c.upfront() {
            Some(p) if c.kind == Kind::Confirmation => rows.push(row("Paid today", c.m(p))),
            None => rows.push(row("Payment", "Pay at counter")),
            _ => {}
        }
        rows
    };
    let (subject, title, intro, rows) = match c.kind {
        Kind::Confirmation => (
            format!("Your reservation is confirmed – {}", c.r()),
            "Your reservation is confirmed".to_string(),
            format!(
                "Hi {}, thanks for choosing {}! We look forward to seeing you.",
                b.cust.first, c.t.brand
            ),
            details(c, "Estimated total"),
        ),
        Kind::Modification => (
            format!("Your booking has changed – {}", c.r()),
            "Your booking has changed".to_string(),
            format!(
                "Hi {}, we've updated your reservation. Here are your new details:",
                b.cust.first
            ),
            details(c, "New total"),
        ),
        Kind::Cancellation => {
            let mut rows = vec![
                row("Confirmation #", c.r()),
                row("Driver", c.full()),
                row("Vehicle", c.veh()),
                row("Pick-up", fmt::us(&c.pk())),
            ];
            let due = c.refund_due();
            if due > 0 {
                rows.push(row("Refund", c.m(due)));
            }
            (
                format!("Reservation {} cancelled", c.r()),
                "Your reservation has been cancelled".to_string(),
                format!(
                    "Hi {}, as requested we have cancelled your reservation.",
                    b.cust.first
                ),
                rows,
            )
        }
        Kind::Reminder => (
            format!("Reminder: your pick-up is tomorrow ({})", c.r()),
            "See you tomorrow!".to_string(),
            format!("Hi {}, your rental starts tomorrow.", b.cust.first),
            vec![
                row("Confirmation #", c.r()),
                row("Pick-up", fmt::us(&c.pk())),
                row("Pick-up location", c.ploc()),
                row("Vehicle", c.veh()),
            ],
        ),
        Kind::Receipt => return receipt_generic(c),
    };
    Content {
        subject,
        text: format!("{intro}\n\n{}", rows_text(&rows)),
        html: Some(html_table_mail(&c.t.brand, &title, &intro, &rows, &footer)),
    }
}

fn riviera(c: &mut Ctx) -> Content {
    let b = c.b;
    let sig = format!(
        "Cordialement,\nL'équipe {}\n{} – 12 promenade des Anglais – 06000 Nice\n",
        c.t.brand, c.t.name
    );
    let pay = match c.upfront() {
        None => "Règlement : sur place\n".to_string(),
        Some(p) => format!("Montant réglé : {}\n", c.m(p)),
    };
    let block = format!(
        "Référence : {}\nVéhicule : {}\nPrise en charge : {} – {}\nRestitution : {} – {}\nMontant total TTC : {}\n{}E-mail : {}\nTéléphone : {}\n",
        c.r(),
        c.veh(),
        fmt::fr_long(&c.pk()),
        c.ploc(),
        fmt::fr_long(&c.rt()),
        c.rloc(),
        c.m(c.st.total),
        pay,
        b.cust.email,
        b.cust.phone_nat
    );
    let hello = format!("Bonjour {},\n\n", c.full());
    let (subject, text) = match c.kind {
        Kind::Confirmation => (
            format!("Confirmation de votre réservation {}", c.r()),
            format!(
                "{hello}Nous avons le plaisir de vous confirmer votre réservation chez {}.\n\n{block}\nMerci de présenter votre permis de conduire et une carte bancaire au nom du conducteur.\n\n{sig}",
                c.t.brand
            ),
        ),
        Kind::Modification => (
            format!("Modification de votre réservation {}", c.r()),
            format!("{hello}Votre réservation a bien été modifiée. Voici le nouveau récapitulatif :\n\n{block}\n{sig}"),
        ),
        Kind::Cancellation => {
            let due = c.refund_due();
            let refund = if due > 0 {
                format!("Le remboursement de {} sera effectué sous 10 jours ouvrés.\n", c.m(due))
            } else {
                String::new()
            };
            (
                format!("Annulation de votre réservation {}", c.r()),
                format!(
                    "{hello}Nous vous confirmons l'annulation de votre réservation {} du {} ({}, {}).\n{refund}\n{sig}",
                    c.r(),
                    fmt::fr_date(&c.pk()),
                    c.veh(),
                    c.ploc()
                ),
            )
        }
        Kind::Reminder => (
            "Rappel : votre location commence demain".to_string(),
            format!(
                "{hello}Nous vous rappelons que votre location {} commence demain, {}, à l'agence {}.\nVéhicule : {}\n\nÀ demain !\n{sig}",
                c.r(),
                fmt::fr_long(&c.pk()),
                c.ploc(),
                c.veh()
            ),
        ),
        Kind::Receipt => return receipt_generic(c),
    };
    Content {
        subject,
        text,
        html: None,
    }
}

/// Text lines `Label: value` → HTML paragraphs with bold labels.
fn text_to_html_paragraphs(text: &str) -> String {
    let mut h = String::from("<html><head><meta charset=\"utf-8\"></head><body style=\"font-family:Verdana,sans-serif\">\n<div>\n");
    for line in text.lines() {
        if line.is_empty() {
            h.push_str("</div>\n<div><br>\n");
            continue;
        }
        match line.split_once(": ") {
            Some((l, v)) if l.chars().count() < 40 => h.push_str(&format!(
                "<b>{}:</b>&nbsp;{}<br>\n",
                html_escape(l),
                html_escape(v)
            )),
            _ => h.push_str(&format!("{}<br>\n", html_escape(line))),
        }
    }
    h.push_str("</div>\n</body></html>\n");
    h
}

fn sol(c: &mut Ctx) -> Content {
    let b = c.b;
    let sig = format!("Un saludo,\nEl equipo de {}\n", c.t.brand);
    let pay = match c.upfront() {
        None => "Pago: en la oficina\n".to_string(),
        Some(dep) => format!(
            "Señal pagada: {}\nPendiente (se cobra en la recogida): {}\n",
            c.m(dep),
            c.m(c.st.total - dep)
        ),
    };
    let block = format!(
        "Localizador: {}\nConductor: {}\nVehículo: {}\nRecogida: {} – {}\nDevolución: {} – {}\nImporte total: {}\n{}Email: {} · Tel.: {}\n",
        c.r(),
        c.full(),
        c.veh(),
        fmt::es_long(&c.pk()),
        c.ploc(),
        fmt::es_long(&c.rt()),
        c.rloc(),
        c.m(c.st.total),
        pay,
        b.cust.email,
        b.cust.phone_nat
    );
    let hello = format!("Hola {}:\n\n", b.cust.first);
    let (subject, text) = match c.kind {
        Kind::Confirmation => (
            format!("Confirmación de reserva {}", c.r()),
            format!(
                "{hello}¡Gracias por reservar con {}! Tu reserva está confirmada.\n\n{block}\n{sig}",
                c.t.brand
            ),
        ),
        Kind::Modification => (
            format!("Tu reserva {} ha sido modificada", c.r()),
            format!("{hello}Hemos modificado tu reserva. Estos son los nuevos datos:\n\n{block}\n{sig}"),
        ),
        Kind::Cancellation => {
            let due = c.refund_due();
            let refund = if due > 0 {
                format!("Te devolveremos la señal de {} en los próximos días.\n", c.m(due))
            } else {
                String::new()
            };
            (
                format!("Cancelación de tu reserva {}", c.r()),
                format!(
                    "{hello}Hemos cancelado tu reserva {} (recogida el {} en {}).\n{refund}\n{sig}",
                    c.r(),
                    fmt::es_day(&c.pk()),
                    c.ploc()
                ),
            )
        }
        Kind::Reminder => (
            format!("Recordatorio: mañana recoges tu coche ({})", c.r()),
            format!(
                "{hello}Te recordamos que mañana recoges tu coche.\n\nLocalizador: {}\nRecogida: {} – {}\nVehículo: {}\n\n¡Buen viaje!\n{sig}",
                c.r(),
                fmt::es_long(&c.pk()),
                c.ploc(),
                c.veh()
            ),
        ),
        Kind::Receipt => return receipt_generic(c),
    };
    let html = text_to_html_paragraphs(&text);
    Content {
        subject,
        text,
        html: Some(html),
    }
}

fn thames(c: &mut Ctx) -> Content {
    let b = c.b;
    let sig = format!(
        "Kind regards,\n{} Reservations\n{} · Registered in England No. 01234567\n\n--\nSent by RentCloud on behalf of {}\n",
        c.t.brand, c.t.name, c.t.brand
    );
    let total_note = match (c.kind, c.upfront()) {
        (_, None) => " (pay at the desk)",
        (Kind::Modification, _) => " (balance adjusted)",
        _ => " (paid in full)",
    };
    let rows = vec![
        row("Booking reference", c.r()),
        row("Lead driver", c.full()),
        row("Email", b.cust.email.clone()),
        row("Mobile", b.cust.phone_nat.clone()),
        row("Vehicle", format!("{} (or similar)", c.veh())),
        row("Pick-up", format!("{}, {}", fmt::gb(&c.pk()), c.ploc())),
        row("Return", format!("{}, {}", fmt::gb(&c.rt()), c.rloc())),
        row("Total price", format!("{}{total_note}", c.m(c.st.total))),
    ];
    let hello = format!("Dear {},\n\n", c.full());
    let (subject, text) = match c.kind {
        Kind::Confirmation => (
            format!("Booking confirmation {}", c.r()),
            format!(
                "{hello}Thank you for choosing {}. Your hire is confirmed.\n\n{}\nPlease bring your photocard driving licence and a DVLA check code.\n\n{sig}",
                c.t.brand,
                rows_aligned(&rows, "  ", ":")
            ),
        ),
        Kind::Modification => (
            format!("Amended booking {}", c.r()),
            format!(
                "{hello}Your booking has been amended. Your updated details:\n\n{}\n{sig}",
                rows_aligned(&rows, "  ", ":")
            ),
        ),
        Kind::Cancellation => {
            let due = c.refund_due();
            let refund = if due > 0 {
                format!(
                    "A refund of {} has been issued to your card ending {}.\n",
                    c.m(due),
                    b.card.last4
                )
            } else {
                String::new()
            };
            (
                format!("Cancellation of booking {}", c.r()),
                format!(
                    "{hello}We have cancelled booking {} ({}, pick-up {} at {}).\n{refund}\n{sig}",
                    c.r(),
                    c.veh(),
                    fmt::gb(&c.pk()),
                    c.ploc()
                ),
            )
        }
        Kind::Reminder => (
            format!("Your hire starts tomorrow – {}", c.r()),
            format!(
                "Dear {},\n\nJust a reminder that your hire starts tomorrow.\n\n{}\n{sig}",
                b.cust.first,
                rows_aligned(
                    &[
                        row("Pick-up", format!("{}, {}", fmt::gb(&c.pk()), c.ploc())),
                        row("Vehicle", c.veh()),
                        row("Booking", c.r()),
                    ],
                    "  ",
                    ":"
                )
            ),
        ),
        Kind::Receipt => {
            let ch = c.charge;
            let amount = ch.map(|x| x.amount).unwrap_or(c.st.total);
            let created = ch.map(|x| x.created).unwrap_or(b.booked_at);
            let reference = if c.rng.chance(600) {
                c.r().to_string()
            } else {
                "Car hire".to_string()
            };
            (
                format!("Receipt for your payment to {}", c.t.brand),
                format!(
                    "Receipt\n\nAmount paid: {}\nDate: {}\nCard: {} ending {}\nReference: {reference}\nReceipt no.: {}\n\nThank you for your payment.\n{}\n",
                    c.m(amount),
                    fmt::gb_date(&fmt::local(c.t.tz, created)),
                    card_label(b).split(" – ").next().unwrap_or("Card"),
                    b.card.last4,
                    ch.map(|x| x.receipt_number.as_str()).unwrap_or(""),
                    c.t.name
                ),
            )
        }
    };
    Content {
        subject,
        text,
        html: None,
    }
}

fn sakura(c: &mut Ctx) -> Content {
    let b = c.b;
    let foot = format!(
        "{} Customer Center\nTEL 03-1234-5678 (9:00-18:00 JST)\nhttps://{}/\n",
        c.t.brand, c.t.domain
    );
    let details = |c: &Ctx| {
        vec![
            row("Reservation No.", c.r()),
            row("Name", c.full()),
            row("Car class", c.veh()),
            row("Pick-up", format!("{} / {}", fmt::jp(&c.pk()), c.ploc())),
            row("Return", format!("{} / {}", fmt::jp(&c.rt()), c.rloc())),
            row("Total (tax incl.)", c.m(c.st.total)),
            row(
                "Payment",
                if c.upfront().is_some() {
                    "Paid by card"
                } else {
                    "Pay at store"
                },
            ),
        ]
    };
    let (subject, title, rows) = match c.kind {
        Kind::Confirmation => (
            format!("[{}] Reservation confirmed ({})", c.t.brand, c.r()),
            "Thank you for your reservation.",
            details(c),
        ),
        Kind::Modification => (
            format!("[{}] Reservation changed ({})", c.t.brand, c.r()),
            "Your reservation has been changed.",
            details(c),
        ),
        Kind::Cancellation => {
            let mut rows = vec![
                row("Reservation No.", c.r()),
                row("Name", c.full()),
                row("Pick-up", fmt::jp(&c.pk())),
            ];
            let due = c.refund_due();
            if due > 0 {
                rows.push(row("Refund", c.m(due)));
            }
            (
                format!("[{}] Reservation cancelled ({})", c.t.brand, c.r()),
                "Your reservation has been cancelled.",
                rows,
            )
        }
        Kind::Reminder => (
            format!("[{}] Your rental starts tomorrow ({})", c.t.brand, c.r()),
            "Your rental starts tomorrow.",
            vec![
                row("Reservation No.", c.r()),
                row("Pick-up", format!("{} / {}", fmt::jp(&c.pk()), c.ploc())),
                row("Car class", c.veh()),
            ],
        ),
        Kind::Receipt => {
            let ch = c.charge;
            let mut rows = vec![
                row("Amount", c.m(ch.map(|x| x.amount).unwrap_or(c.st.total))),
                row(
                    "Date",
                    fmt::jp_date(&fmt::local(
                        c.t.tz,
                        ch.map(|x| x.created).unwrap_or(b.booked_at),
                    )),
                ),
                row(
                    "Card",
                    format!("{} ****{}", b.card.brand.to_ascii_uppercase(), b.card.last4),
                ),
            ];
            if c.rng.chance(500) {
                rows.push(row("Reservation No.", c.r()));
            }
            (
                format!("[{}] Payment receipt", c.t.brand),
                "Payment receipt",
                rows,
            )
        }
    };
    let text = format!(
        "Dear {},\n\n{title}\n\n{}\n{foot}",
        c.full(),
        rows_aligned(&rows, "", " :")
    );
    let mut html = String::from("<html><body>\n");
    html.push_str(&format!("<p>Dear {},</p>\n<p>{title}</p>\n<table border=\"1\" cellspacing=\"0\" cellpadding=\"6\">\n", html_escape(&c.full())));
    for (l, v) in &rows {
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>\n",
            html_escape(l),
            html_escape(v)
        ));
    }
    html.push_str(&format!(
        "</table>\n<p>{}</p>\n</body></html>\n",
        html_escape(&foot).replace('\n', "<br>")
    ));
    Content {
        subject,
        text,
        html: Some(html),
    }
}

fn content(c: &mut Ctx) -> Content {
    match c.t.profile {
        Profile::Alpen => alpen(c),
        Profile::Liberty => liberty(c),
        Profile::Riviera => riviera(c),
        Profile::Sol => sol(c),
        Profile::Thames => thames(c),
        Profile::Sakura => sakura(c),
    }
}

/// Charset, transfer encoding and money style of one mail, drawn per message.
struct Enc {
    charset: Charset,
    cte: Cte,
    money: Money,
    b_subject: bool,
}

fn choose_enc(rng: &mut Rng, t: &Tenant) -> Enc {
    match t.profile {
        Profile::Alpen => {
            let (charset, cte) = match rng.weighted(&[50, 30, 20]) {
                0 => (Charset::Utf8, Cte::QuotedPrintable),
                1 => (Charset::Latin1, Cte::QuotedPrintable),
                _ => (Charset::Utf8, Cte::EightBit),
            };
            Enc {
                charset,
                cte,
                money: if charset.has_euro() {
                    Money::De
                } else {
                    Money::DeCode
                },
                b_subject: false,
            }
        }
        Profile::Liberty => Enc {
            charset: Charset::Utf8,
            cte: if rng.chance(600) {
                Cte::Base64
            } else {
                Cte::QuotedPrintable
            },
            money: Money::Us,
            b_subject: false,
        },
        Profile::Riviera => {
            let (charset, cte) = match rng.weighted(&[50, 20, 30]) {
                0 => (Charset::Windows1252, Cte::QuotedPrintable),
                1 => (Charset::Latin1, Cte::EightBit),
                _ => (Charset::Utf8, Cte::QuotedPrintable),
            };
            Enc {
                charset,
                cte,
                money: if charset.has_euro() {
                    Money::Fr
                } else {
                    Money::FrCode
                },
                b_subject: false,
            }
        }
        Profile::Sol => Enc {
            charset: Charset::Utf8,
            cte: Cte::QuotedPrintable,
            money: Money::De,
            b_subject: true,
        },
        Profile::Thames => Enc {
            charset: Charset::Utf8,
            cte: if rng.chance(600) {
                Cte::EightBit
            } else {
                Cte::QuotedPrintable
            },
            money: Money::Gb,
            b_subject: false,
        },
        Profile::Sakura => Enc {
            charset: Charset::Utf8,
            cte: Cte::QuotedPrintable,
            money: if rng.chance(700) {
                Money::Jp
            } else {
                Money::JpCode
            },
            b_subject: false,
        },
    }
}

/// The MIME body of a booking mail, per family.
fn body_for(t: &Tenant, c: Content, enc: &Enc, rng: &mut Rng) -> Part {
    let boundary = format!("----=_Part_{}_{}", rng.digits(6), rng.digits(10));
    match t.profile {
        Profile::Liberty => Part::Text {
            subtype: "html",
            charset: enc.charset,
            cte: enc.cte,
            text: c.html.unwrap_or_default(),
        },
        Profile::Sol | Profile::Sakura => Part::Multi {
            subtype: "alternative",
            params: "",
            boundary,
            parts: vec![
                Part::Text {
                    subtype: "plain",
                    charset: enc.charset,
                    cte: enc.cte,
                    text: c.text,
                },
                Part::Text {
                    subtype: "html",
                    charset: enc.charset,
                    cte: if t.profile == Profile::Sakura || rng.chance(500) {
                        Cte::Base64
                    } else {
                        Cte::QuotedPrintable
                    },
                    text: c.html.unwrap_or_default(),
                },
            ],
        },
        _ => match c.html {
            // A receipt of a text-only family still comes as the shared receipt HTML.
            Some(h) => Part::Text {
                subtype: "html",
                charset: Charset::Utf8,
                cte: Cte::QuotedPrintable,
                text: h,
            },
            None => Part::Text {
                subtype: "plain",
                charset: enc.charset,
                cte: enc.cte,
                text: c.text,
            },
        },
    }
}

fn received(rng: &mut Rng, from_host: &str, to_addr: &str, date: &str) -> String {
    let to_dom = to_addr.rsplit('@').next().unwrap_or("example.com");
    format!(
        "from {from_host} ({from_host} [192.0.2.{}])\n\tby mx{}.{to_dom} with ESMTPS id {}\n\tfor <{to_addr}>; {date}",
        rng.range(2, 250),
        rng.range(1, 4),
        rng.chars(12, BASE62)
    )
}

fn booking_ctx<'a>(
    w: &'a World,
    bi: usize,
    kind: Kind,
    at: i64,
    charge: Option<usize>,
    money: Money,
    rng: Rng,
) -> Ctx<'a> {
    let b = &w.bookings[bi];
    Ctx {
        t: &w.tenants[b.tenant],
        b,
        st: b.state_at(at),
        kind,
        money,
        charge: charge.and_then(|i| b.charges.get(i)),
        rng,
    }
}

/// Renders one booking mail (confirmation, modification, ...). Deterministic in the
/// Message-ID, so a duplicate renders to the same bytes.
fn render_booking(w: &World, s: &Spec, kind: Kind, charge: Option<usize>) -> Mail {
    let bi = s.booking.unwrap_or(0);
    let b = &w.bookings[bi];
    let t = &w.tenants[b.tenant];
    let mut rng = Rng::new(hash_str(&s.msgid));
    let enc = choose_enc(&mut rng, t);
    let mut ctx = booking_ctx(w, bi, kind, s.at, charge, enc.money, rng.fork(1));
    let c = content(&mut ctx);
    let (sname, saddr) = t.sender();
    let date = fmt::rfc2822(&fmt::local(t.tz, s.at));
    let from_host = match t.profile {
        Profile::Liberty => "a8-31.smtp-out.amazonses.com".to_string(),
        Profile::Thames => "mail.rentcloud.example".to_string(),
        _ => format!("mail.{}", t.domain),
    };
    let mut headers = vec![
        ("Return-Path".to_string(), format!("<{saddr}>")),
        (
            "Received".to_string(),
            received(&mut rng, &from_host, &b.cust.email, &date),
        ),
        ("Date".to_string(), date),
        (
            "From".to_string(),
            mime::address(&sname, &saddr, enc.charset),
        ),
        (
            "To".to_string(),
            mime::address(&b.cust.full(), &b.cust.email, enc.charset),
        ),
        (
            "Subject".to_string(),
            mime::header_words(&c.subject, enc.charset, enc.b_subject),
        ),
        ("Message-ID".to_string(), format!("<{}>", s.msgid)),
    ];
    match t.profile {
        Profile::Alpen => headers.push(("X-Mailer".into(), "AlpenBooking 3.2".into())),
        Profile::Liberty => {
            headers.push(("Reply-To".into(), format!("help@{}", t.domain)));
            headers.push((
                "Feedback-ID".into(),
                "1.us-east-1.booking:transactional".into(),
            ));
        }
        Profile::Thames => {
            headers.push(("Reply-To".into(), format!("bookings@{}", t.domain)));
            headers.push(("X-RentCloud-Tenant".into(), t.slug.clone()));
        }
        _ => {}
    }
    let body = body_for(t, c, &enc, &mut rng);
    Mail { headers, body }
}

fn forward_intro(t: &Tenant, colleague: &str, me: &str) -> (&'static str, String) {
    match t.profile {
        Profile::Alpen => (
            "WG: ",
            format!("Hallo {colleague},\n\nbitte Fahrzeug vorbereiten, siehe unten.\n\nViele Grüße\n{me}\n\n-----Ursprüngliche Nachricht-----\n"),
        ),
        Profile::Riviera => (
            "TR: ",
            format!("Bonjour {colleague},\n\nPour info, voir ci-dessous.\n\n{me}\n\n-------- Message transféré --------\n"),
        ),
        Profile::Sol => (
            "RV: ",
            format!("Hola {colleague},\n\nOs reenvío la reserva, el cliente ha llamado.\n\n{me}\n\n---------- Mensaje reenviado ---------\n"),
        ),
        _ => (
            "Fwd: ",
            format!("FYI – customer called, please double-check the car.\n\n{me}\n\n---------- Forwarded message ---------\n"),
        ),
    }
}

fn render_forward(w: &World, s: &Spec, of: Kind, of_at: i64, staff: usize) -> Mail {
    let bi = s.booking.unwrap_or(0);
    let b = &w.bookings[bi];
    let t = &w.tenants[b.tenant];
    let rng = Rng::new(hash_str(&s.msgid));
    let money = choose_enc(&mut rng.fork(9), t).money;
    let mut ctx = booking_ctx(w, bi, of, of_at, None, money, rng.fork(2));
    let orig = content(&mut ctx);
    let (me_name, me_addr) = t.staff(staff);
    let (col_name, col_addr) = t.staff(staff + 1);
    let col_first = col_name.split(' ').next().unwrap_or("");
    let me_first = me_name.split(' ').next().unwrap_or("");
    let (prefix, intro) = forward_intro(t, col_first, me_first);
    let lang = match t.profile {
        Profile::Alpen => "de-DE",
        Profile::Riviera => "fr-FR",
        Profile::Sol => "es-ES",
        Profile::Thames => "en-GB",
        _ => "en-US",
    };
    let (sname, saddr) = t.sender();
    let odate = fmt::rfc2822(&fmt::local(t.tz, of_at));
    let head = match t.profile {
        Profile::Alpen => format!(
            "Von: {sname} <{saddr}>\nGesendet: {odate}\nAn: {}\nBetreff: {}\n\n",
            b.cust.email, orig.subject
        ),
        Profile::Riviera => format!(
            "De : {sname} <{saddr}>\nDate : {odate}\nÀ : {}\nObjet : {}\n\n",
            b.cust.email, orig.subject
        ),
        Profile::Sol => format!(
            "De: {sname} <{saddr}>\nFecha: {odate}\nAsunto: {}\nPara: <{}>\n\n",
            orig.subject, b.cust.email
        ),
        _ => format!(
            "From: {sname} <{saddr}>\nDate: {odate}\nSubject: {}\nTo: <{}>\n\n",
            orig.subject, b.cust.email
        ),
    };
    let quoted: String = orig
        .text
        .lines()
        .map(|l| {
            if l.is_empty() {
                ">\n".to_string()
            } else {
                format!("> {l}\n")
            }
        })
        .collect();
    let text = format!("{intro}{head}{quoted}");
    let date = fmt::rfc2822(&fmt::local(t.tz, s.at));
    let headers = vec![
        ("Date".to_string(), date),
        (
            "From".to_string(),
            mime::address(&me_name, &me_addr, Charset::Utf8),
        ),
        (
            "To".to_string(),
            mime::address(&col_name, &col_addr, Charset::Utf8),
        ),
        (
            "Subject".to_string(),
            mime::header_words(&format!("{prefix}{}", orig.subject), Charset::Utf8, false),
        ),
        ("Message-ID".to_string(), format!("<{}>", s.msgid)),
        (
            "Thread-Topic".to_string(),
            mime::header_words(&orig.subject, Charset::Utf8, false),
        ),
        ("Content-Language".to_string(), lang.to_string()),
    ];
    Mail {
        headers,
        body: Part::Text {
            subtype: "plain",
            charset: Charset::Utf8,
            cte: Cte::QuotedPrintable,
            text,
        },
    }
}

fn newsletter_text(t: &Tenant, rng: &mut Rng) -> (String, String) {
    let car = t.data.fleet[rng.index(t.data.fleet.len())];
    let car2 = t.data.fleet[rng.index(t.data.fleet.len())];
    let per_day = |m: Money| fmt::money(car.rate * 8 / 10, t.exp, m);
    match t.profile {
        Profile::Alpen => (
            "Frühlingsaktion: 15 % auf alle Cabrios 🚗".to_string(),
            format!(
                "Liebe Kundinnen und Kunden,\n\nder Frühling kommt – und mit ihm unsere Frühlingsaktion!\nFür Abholungen vom 01.04.2026 bis 30.04.2026 erhalten Sie 15 % Rabatt.\n\nZum Beispiel: {} ab {} pro Tag, {} mit Winterreifen-Paket.\nStandorte: {}.\n\nJetzt buchen unter https://{}/angebote\n\nSie möchten keine Newsletter mehr erhalten? Hier abmelden: https://{}/newsletter/abmelden\n",
                car.name, per_day(Money::De), car2.name, t.data.branches.join(", "), t.domain, t.domain
            ),
        ),
        Profile::Riviera => (
            "Offre de printemps : -15 % sur les cabriolets".to_string(),
            format!(
                "Chers clients,\n\nProfitez de -15 % pour toute prise en charge entre le 1er avril et le 30 avril 2026.\nPar exemple : {} à partir de {} par jour.\n\nRéservez sur https://{}/offres\n\nSe désinscrire : https://{}/desinscription\n",
                car.name, per_day(Money::Fr), t.domain, t.domain
            ),
        ),
        Profile::Sol => (
            "Oferta de primavera: 15 % de descuento en descapotables".to_string(),
            format!(
                "¡Hola!\n\nReserva antes del 31 de marzo de 2026 y ahorra un 15 %.\nPor ejemplo: {} desde {} al día en {}.\n\nReserva en https://{}/ofertas\n\nDarse de baja: https://{}/baja\n",
                car.name, per_day(Money::De), t.data.branches[0], t.domain, t.domain
            ),
        ),
        _ => {
            let m = match t.profile {
                Profile::Liberty => Money::Us,
                Profile::Thames => Money::Gb,
                _ => Money::Jp,
            };
            (
                "Spring deals: save 15% on convertibles".to_string(),
                format!(
                    "Hi there,\n\nSpring is here! Pick up between April 1 and April 30, 2026 and save 15%.\nFor example: {} from {} per day at {}.\n\nBook now: https://{}/deals\n\nUnsubscribe: https://{}/unsubscribe\n",
                    car.name, per_day(m), t.data.branches[0], t.domain, t.domain
                ),
            )
        }
    }
}

fn render_noise(w: &World, s: &Spec) -> Mail {
    let t = &w.tenants[s.tenant];
    let mut rng = Rng::new(hash_str(&s.msgid));
    let date = fmt::rfc2822(&fmt::local(t.tz, s.at));
    let (sname, saddr) = t.sender();
    let mid = ("Message-ID".to_string(), format!("<{}>", s.msgid));
    match &s.what {
        What::Newsletter => {
            let (subject, text) = newsletter_text(t, &mut rng);
            let html = text_to_html_paragraphs(&text);
            let headers = vec![
                ("Date".to_string(), date),
                (
                    "From".to_string(),
                    format!("{} <news@{}>", t.brand, t.domain),
                ),
                ("To".to_string(), "undisclosed-recipients:;".to_string()),
                (
                    "Subject".to_string(),
                    mime::header_words(&subject, Charset::Utf8, true),
                ),
                mid,
                ("List-Id".to_string(), format!("<newsletter.{}>", t.domain)),
                (
                    "List-Unsubscribe".to_string(),
                    format!(
                        "<https://{}/u/{}>, <mailto:unsubscribe@{}>",
                        t.domain,
                        rng.chars(16, BASE62),
                        t.domain
                    ),
                ),
                (
                    "List-Unsubscribe-Post".to_string(),
                    "List-Unsubscribe=One-Click".to_string(),
                ),
                ("Precedence".to_string(), "bulk".to_string()),
            ];
            Mail {
                headers,
                body: Part::Multi {
                    subtype: "alternative",
                    params: "",
                    boundary: format!("=_nl_{}", rng.chars(20, BASE62)),
                    parts: vec![
                        Part::Text {
                            subtype: "plain",
                            charset: Charset::Utf8,
                            cte: Cte::QuotedPrintable,
                            text,
                        },
                        Part::Text {
                            subtype: "html",
                            charset: Charset::Utf8,
                            cte: Cte::Base64,
                            text: html,
                        },
                    ],
                },
            }
        }
        What::PasswordReset => {
            let (staff_name, staff_addr) = t.staff(rng.index(2));
            let text = format!(
                "Hi {},\n\nWe received a request to reset the password for {staff_addr}.\nYour verification code is {}. It expires in 30 minutes.\n\nIf you didn't request this, you can ignore this email.\n\n— The RentCloud team\n",
                staff_name.split(' ').next().unwrap_or(""),
                rng.digits(6)
            );
            Mail {
                headers: vec![
                    ("Date".to_string(), date),
                    (
                        "From".to_string(),
                        "RentCloud <no-reply@rentcloud.example>".to_string(),
                    ),
                    ("To".to_string(), staff_addr.clone()),
                    (
                        "Subject".to_string(),
                        "Reset your RentCloud password".to_string(),
                    ),
                    mid,
                    ("Auto-Submitted".to_string(), "auto-generated".to_string()),
                ],
                body: Part::Text {
                    subtype: "plain",
                    charset: Charset::Utf8,
                    cte: Cte::QuotedPrintable,
                    text,
                },
            }
        }
        What::Bounce { of_subject } => {
            let b = &w.bookings[s.booking.unwrap_or(0)];
            let (user, dom) = b.cust.email.split_once('@').unwrap_or(("x", "example.com"));
            // The customer's address with one letter lost: the typo that bounced.
            let n = user.chars().count();
            let bad: String = user.chars().take(n.saturating_sub(1)).collect();
            let bad = format!("{bad}@{dom}");
            let host = format!("mx1.{}", t.domain);
            let qid = rng.chars(11, HEX_UPPER);
            let notice = format!(
                "This is the mail system at host {host}.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\nFor further assistance, please send mail to postmaster.\n\n                   The mail system\n\n<{bad}>: host mx.{dom}[203.0.113.{}] said: 550 5.1.1\n    <{bad}>: Recipient address rejected: User unknown (in reply to RCPT TO\n    command)\n",
                rng.range(2, 250)
            );
            let status = format!(
                "Reporting-MTA: dns; {host}\nX-Postfix-Queue-ID: {qid}\nArrival-Date: {date}\n\nFinal-Recipient: rfc822; {bad}\nOriginal-Recipient: rfc822;{bad}\nAction: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.{dom}\nDiagnostic-Code: smtp; 550 5.1.1 <{bad}>: Recipient address rejected: User\n    unknown\n"
            );
            let orig_headers = format!(
                "Return-Path: <{saddr}>\nDate: {date}\nFrom: {}\nTo: <{bad}>\nSubject: {}\nMessage-ID: <{}@{}>\nMIME-Version: 1.0\n",
                mime::address(&sname, &saddr, Charset::Utf8),
                mime::header_words(of_subject, Charset::Utf8, false),
                rng.chars(20, HEX_LOWER),
                t.domain
            );
            Mail {
                headers: vec![
                    ("Return-Path".to_string(), "<>".to_string()),
                    ("Date".to_string(), date.clone()),
                    ("From".to_string(), format!("MAILER-DAEMON@{host} (Mail Delivery System)")),
                    ("To".to_string(), saddr.clone()),
                    ("Subject".to_string(), "Undelivered Mail Returned to Sender".to_string()),
                    mid,
                    ("Auto-Submitted".to_string(), "auto-replied".to_string()),
                ],
                body: Part::Multi {
                    subtype: "report",
                    params: "report-type=delivery-status",
                    boundary: format!("{qid}.{}/{host}", s.at),
                    parts: vec![
                        Part::Raw {
                            content_type: "text/plain; charset=us-ascii\nContent-Description: Notification".to_string(),
                            body: notice.into_bytes(),
                        },
                        Part::Raw {
                            content_type: "message/delivery-status\nContent-Description: Delivery report".to_string(),
                            body: status.into_bytes(),
                        },
                        Part::Raw {
                            content_type: "text/rfc822-headers\nContent-Description: Undelivered Message Headers".to_string(),
                            body: orig_headers.into_bytes(),
                        },
                    ],
                },
            }
        }
        What::AutoReply {
            of_msgid,
            of_subject,
        } => {
            let b = &w.bookings[s.booking.unwrap_or(0)];
            let back = fmt::local(t.tz, s.at + rng.range(3, 15) * DAY);
            let (prefix, text) = match b.cust.country {
                Country::De => (
                    "Automatische Antwort: ",
                    format!("Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich {} nicht im Büro und habe nur eingeschränkt Zugriff auf meine E-Mails.\n\nMit freundlichen Grüßen\n{}\n", fmt::de_date(&back), b.cust.full()),
                ),
                Country::Fr => (
                    "Réponse automatique : ",
                    format!("Bonjour,\n\nJe suis absent(e) jusqu'au {} inclus. Votre message sera traité à mon retour.\n\n{}\n", fmt::fr_date(&back), b.cust.full()),
                ),
                Country::Es => (
                    "Respuesta automática: ",
                    format!("Estaré fuera de la oficina hasta el {}. Responderé a tu correo a mi regreso.\n\n{}\n", fmt::es_day(&back), b.cust.full()),
                ),
                _ => (
                    "Out of Office: ",
                    format!("Thank you for your email. I am out of the office until {} with limited access to email.\n\nBest regards,\n{}\n", fmt::gb_date(&back), b.cust.full()),
                ),
            };
            Mail {
                headers: vec![
                    ("Date".to_string(), date),
                    (
                        "From".to_string(),
                        mime::address(&b.cust.full(), &b.cust.email, Charset::Utf8),
                    ),
                    ("To".to_string(), saddr.clone()),
                    (
                        "Subject".to_string(),
                        mime::header_words(&format!("{prefix}{of_subject}"), Charset::Utf8, false),
                    ),
                    mid,
                    ("In-Reply-To".to_string(), format!("<{of_msgid}>")),
                    ("References".to_string(), format!("<{of_msgid}>")),
                    ("Auto-Submitted".to_string(), "auto-replied".to_string()),
                    ("X-Autoreply".to_string(), "yes".to_string()),
                    ("X-Auto-Response-Suppress".to_string(), "All".to_string()),
                ],
                body: Part::Text {
                    subtype: "plain",
                    charset: Charset::Utf8,
                    cte: Cte::QuotedPrintable,
                    text,
                },
            }
        }
        _ => Mail {
            headers: Vec::new(),
            body: Part::Raw {
                content_type: "text/plain".into(),
                body: Vec::new(),
            },
        },
    }
}

/// Renders a spec into `out` (cleared first).
fn render(w: &World, s: &Spec, out: &mut Vec<u8>) {
    out.clear();
    let mail = match &s.what {
        What::Booking(k) => render_booking(w, s, *k, None),
        What::Receipt(ci) => render_booking(w, s, Kind::Receipt, Some(*ci)),
        What::Forward { of, of_at, staff } => render_forward(w, s, *of, *of_at, *staff),
        _ => render_noise(w, s),
    };
    mime::render_into(&mail, out);
}

/// The subject a booking mail was sent with (for auto-replies and bounces quoting it).
fn subject_of(w: &World, bi: usize, kind: Kind, at: i64) -> String {
    let mut ctx = booking_ctx(w, bi, kind, at, None, Money::Csv, Rng::new(0));
    content(&mut ctx).subject
}

/// All mail specs of the world, in creation order.
fn plan(w: &World, ledger: &mut Ledger) -> Vec<Spec> {
    let mut specs = Vec::new();
    let mut ord = 0u64;
    let mut push = |specs: &mut Vec<Spec>, mut s: Spec| {
        s.ord = ord;
        ord += 1;
        specs.push(s);
    };
    let t1 = w.t1;
    // Per tenant: bookings that got a confirmation, for auto-replies and bounces.
    let mut confirmed: Vec<Vec<(usize, String, i64)>> = vec![Vec::new(); w.tenants.len()];
    for (bi, b) in w.bookings.iter().enumerate() {
        let t = &w.tenants[b.tenant];
        let mut rng = b.rng(0xE3A1);
        let mk = |rng: &mut Rng, at: i64, what: What| Spec {
            at,
            ord: 0,
            dest: dest_of(t, at, t1),
            tenant: t.idx,
            booking: Some(bi),
            what,
            msgid: platform_msgid(rng, t, at),
        };
        let conf_at = b.booked_at + rng.range(20, 180);
        if !b.f.no_confirmation && conf_at <= t1 {
            let s = mk(&mut rng, conf_at, What::Booking(Kind::Confirmation));
            ledger.add(bi, format!("email:{}", s.msgid), true);
            if b.class != Class::Old {
                confirmed[t.idx].push((bi, s.msgid.clone(), conf_at));
            }
            if b.f.dup_mail {
                let mut d = s.clone();
                d.at = conf_at + rng.range(0, HOUR);
                if b.f.dup_in_eml {
                    d.dest = Dest::Eml;
                }
                push(&mut specs, d);
            }
            if b.f.forward {
                let fwd_at = conf_at + rng.range(600, 2 * DAY);
                if fwd_at <= t1 {
                    let outlook = matches!(
                        t.profile,
                        Profile::Alpen | Profile::Riviera | Profile::Thames
                    );
                    let f = Spec {
                        at: fwd_at,
                        ord: 0,
                        dest: Dest::Eml,
                        tenant: t.idx,
                        booking: Some(bi),
                        what: What::Forward {
                            of: Kind::Confirmation,
                            of_at: conf_at,
                            staff: rng.index(2),
                        },
                        msgid: personal_msgid(&mut rng, outlook),
                    };
                    ledger.add(bi, format!("email:{}", f.msgid), true);
                    push(&mut specs, f);
                }
            }
            push(&mut specs, s);
        }
        if let Some((m, _)) = &b.modified {
            let at = m + rng.range(10, 120);
            if at <= t1 {
                let s = mk(&mut rng, at, What::Booking(Kind::Modification));
                ledger.add(bi, format!("email:{}", s.msgid), true);
                push(&mut specs, s);
            }
        }
        if let Some(c) = b.cancelled_at {
            let at = c + rng.range(10, 120);
            if at <= t1 {
                let s = mk(&mut rng, at, What::Booking(Kind::Cancellation));
                ledger.add(bi, format!("email:{}", s.msgid), true);
                push(&mut specs, s);
            }
        }
        let rem = b.final_state().pickup - DAY - rng.range(0, HOUR);
        if rem > b.booked_at + HOUR && rem <= t1 && b.cancelled_at.is_none_or(|c| rem < c) {
            let s = mk(&mut rng, rem, What::Booking(Kind::Reminder));
            ledger.add(bi, format!("email:{}", s.msgid), true);
            push(&mut specs, s);
        }
        if t.receipts() {
            for (ci, ch) in b.charges.iter().enumerate() {
                let at = ch.created + rng.range(5, 90);
                if ch.failed || at > t1 {
                    continue;
                }
                let s = mk(&mut rng, at, What::Receipt(ci));
                ledger.add(bi, format!("email:{}", s.msgid), false);
                push(&mut specs, s);
            }
        }
    }
    // Noise: newsletters, password resets, bounces, auto-replies.
    for t in &w.tenants {
        let mut rng = Rng::new(super::rng::mix(w.seed, 0x4E01 + t.idx as u64));
        let n_conf = confirmed[t.idx].len();
        let span = (t1 - w.t0).max(1);
        let mut noise = |specs: &mut Vec<Spec>,
                         rng: &mut Rng,
                         at: i64,
                         booking: Option<usize>,
                         what: What,
                         outlook: bool| {
            let msgid = match what {
                What::AutoReply { .. } => personal_msgid(rng, outlook),
                What::Bounce { .. } => {
                    format!("{}.{}@mx1.{}", at, rng.chars(10, HEX_UPPER), t.domain)
                }
                _ => platform_msgid(rng, t, at),
            };
            ledger.noise.push(format!("email:{msgid}"));
            push(
                specs,
                Spec {
                    at,
                    ord: 0,
                    dest: dest_of(t, at, t1),
                    tenant: t.idx,
                    booking,
                    what,
                    msgid,
                },
            );
        };
        for _ in 0..(1 + n_conf / 80) {
            let at = w.t0 + rng.range(0, span);
            noise(&mut specs, &mut rng, at, None, What::Newsletter, false);
        }
        if t.idx % 2 == 0 {
            let at = w.t0 + rng.range(0, span);
            noise(&mut specs, &mut rng, at, None, What::PasswordReset, false);
        }
        if n_conf > 0 {
            for _ in 0..(1 + n_conf / 150) {
                let (bi, _, at) = confirmed[t.idx][rng.index(n_conf)].clone();
                let subj = subject_of(w, bi, Kind::Confirmation, at);
                let at = (at + rng.range(5, 300)).min(t1);
                noise(
                    &mut specs,
                    &mut rng,
                    at,
                    Some(bi),
                    What::Bounce { of_subject: subj },
                    false,
                );
            }
            for _ in 0..(1 + n_conf / 60) {
                let (bi, of_msgid, at) = confirmed[t.idx][rng.index(n_conf)].clone();
                let of_subject = subject_of(w, bi, Kind::Confirmation, at);
                let at = (at + rng.range(2, 120)).min(t1);
                let outlook = rng.chance(500);
                noise(
                    &mut specs,
                    &mut rng,
                    at,
                    Some(bi),
                    What::AutoReply {
                        of_msgid,
                        of_subject,
                    },
                    outlook,
                );
            }
        }
    }
    specs
}

/// mboxrd: `From ` lines (and already-quoted ones) get one more `>`.
fn mboxrd_escape(msg: &[u8], out: &mut Vec<u8>) {
    for line in msg.split_inclusive(|b| *b == b'\n') {
        let stripped = {
            let mut i = 0;
            while i < line.len() && line[i] == b'>' {
                i += 1;
            }
            &line[i..]
        };
        if stripped.starts_with(b"From ") {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
}

fn envelope_sender(w: &World, s: &Spec) -> String {
    let t = &w.tenants[s.tenant];
    match &s.what {
        What::Bounce { .. } => "MAILER-DAEMON".to_string(),
        What::AutoReply { .. } => w.bookings[s.booking.unwrap_or(0)].cust.email.clone(),
        What::PasswordReset => "no-reply@rentcloud.example".to_string(),
        What::Newsletter => format!("news@{}", t.domain),
        _ => t.sender().1,
    }
}

fn eml_name(subject_hint: &str, at: i64, n: usize) -> String {
    let clean: String = subject_hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    let stamp = fmt::compact_utc(at);
    format!("{}-{}-{n:04}-{clean}.eml", &stamp[..8], &stamp[8..12])
}

/// A file that looks like an Outlook .msg (OLE compound file) saved into the .eml folder.
fn fake_msg(rng: &mut Rng, text: &str) -> Vec<u8> {
    let mut v = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    v.extend_from_slice(&[0u8; 16]);
    v.extend_from_slice(&[0x3E, 0x00, 0x03, 0x00, 0xFE, 0xFF, 0x09, 0x00, 0x06, 0x00]);
    while v.len() < 512 {
        v.push(0);
    }
    for _ in 0..512 {
        v.push((rng.next_u64() & 0xFF) as u8);
    }
    for name in ["__substg1.0_0037001F", "__substg1.0_1000001F"] {
        for u in name.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v.extend_from_slice(&[0, 0]);
    }
    for u in text.encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    while !v.len().is_multiple_of(512) {
        v.push(0);
    }
    v
}

/// Writes every mail container under `out/mail`.
pub fn write(w: &World, out: &Path, ledger: &mut Ledger) -> io::Result<()> {
    let mut specs = plan(w, ledger);
    specs.sort_by_key(|s| (s.dest, s.at, s.ord));
    let mail_dir = out.join("mail");
    let maildir = mail_dir.join("maildir");
    let eml_dir = mail_dir.join("eml");
    for d in [
        &mail_dir,
        &eml_dir,
        &maildir.join("cur"),
        &maildir.join("new"),
        &maildir.join("tmp"),
    ] {
        fs::create_dir_all(d)?;
    }
    let mut current: Option<(Dest, BufWriter<File>)> = None;
    let mut buf = Vec::with_capacity(8192);
    let mut msg = Vec::with_capacity(8192);
    let mut n_eml = 0usize;
    let mut n_maildir = 0usize;
    let mut first_gap_conf: Option<(Spec, Vec<u8>)> = None;
    for s in &specs {
        render(w, s, &mut msg);
        if first_gap_conf.is_none() {
            if let (What::Booking(Kind::Confirmation), Some(bi)) = (&s.what, s.booking) {
                if w.bookings[bi].class == Class::Gap && s.dest != Dest::Eml {
                    first_gap_conf = Some((s.clone(), msg.clone()));
                }
            }
        }
        match s.dest {
            Dest::Shared | Dest::TenantMbox(_) => {
                if current.as_ref().map(|(d, _)| *d) != Some(s.dest) {
                    if let Some((_, mut f)) = current.take() {
                        f.flush()?;
                    }
                    let path = match s.dest {
                        Dest::TenantMbox(ti) => {
                            mail_dir.join(format!("{}.mbox", w.tenants[ti].slug))
                        }
                        _ => mail_dir.join("sent.mbox"),
                    };
                    ledger.files += 1;
                    current = Some((
                        s.dest,
                        BufWriter::with_capacity(1 << 20, File::create(path)?),
                    ));
                }
                if let Some((_, f)) = current.as_mut() {
                    buf.clear();
                    buf.extend_from_slice(
                        format!("From {} {}\n", envelope_sender(w, s), fmt::asctime(s.at))
                            .as_bytes(),
                    );
                    mboxrd_escape(&msg, &mut buf);
                    buf.push(b'\n');
                    f.write_all(&buf)?;
                }
            }
            Dest::Maildir => {
                n_maildir += 1;
                let mut r = Rng::new(hash_str(&s.msgid)).fork(77);
                let base = format!(
                    "{}.M{}P{}Q{n_maildir}.mail.{},S={}",
                    s.at,
                    r.range(0, 1_000_000),
                    r.range(1000, 60000),
                    w.tenants[s.tenant].domain,
                    msg.len()
                );
                let path = if r.chance(100) {
                    maildir.join("new").join(base)
                } else {
                    maildir.join("cur").join(format!("{base}:2,S"))
                };
                fs::write(path, &msg)?;
                ledger.files += 1;
            }
            Dest::Eml => {
                n_eml += 1;
                let hint = match &s.what {
                    What::Forward { .. } => "Fwd",
                    _ => "Mail",
                };
                let name = format!("{hint}-{}", w.bookings[s.booking.unwrap_or(0)].booking_ref);
                fs::write(eml_dir.join(eml_name(&name, s.at, n_eml)), mime::crlf(&msg))?;
                ledger.files += 1;
            }
        }
    }
    if let Some((_, mut f)) = current.take() {
        f.flush()?;
    }
    // A mail cut off in the middle (a copy of a real confirmation, same Message-ID).
    if let Some((s, msg)) = first_gap_conf {
        let head_end = msg.windows(2).position(|p| p == b"\n\n").unwrap_or(0);
        let cut = (msg.len() * 55 / 100).max(head_end + 40).min(msg.len());
        n_eml += 1;
        fs::write(
            eml_dir.join(eml_name("truncated", s.at, n_eml)),
            mime::crlf(&msg[..cut]),
        )?;
        ledger.files += 1;
        let b = &w.bookings[s.booking.unwrap_or(0)];
        let mut rng = b.rng(0x3F6);
        fs::write(
            eml_dir.join(format!("{}.msg", b.booking_ref)),
            fake_msg(
                &mut rng,
                &format!("Buchung {} {}", b.booking_ref, b.cust.full()),
            ),
        )?;
        ledger.files += 1;
    }
    Ok(())
}
