//! One `.ics` export per tenant, in the style of the program the tenant uses: Google
//! Calendar, Outlook (with a Windows zone name), Apple Calendar, or UTC times. Folded lines,
//! escaped text, VTIMEZONE blocks, recurring staff meetings, maintenance events and one broken
//! event per file.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::{Datelike, Duration};

use super::data::{self, Country, Profile};
use super::fmt;
use super::model::{Booking, Tenant, World, DAY, HOUR};
use super::rng::{mix, Rng, LOWER_ALNUM};
use super::Ledger;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Google,
    Outlook,
    Apple,
    /// Google-like, but every time in UTC (`Z`).
    Utc,
}

fn style(t: &Tenant) -> Style {
    match t.profile {
        Profile::Alpen => Style::Outlook,
        Profile::Sol => Style::Apple,
        Profile::Sakura => Style::Utc,
        _ => Style::Google,
    }
}

/// RFC 5545 TEXT escaping.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            ';' => o.push_str("\\;"),
            ',' => o.push_str("\\,"),
            '\n' => o.push_str("\\n"),
            _ => o.push(c),
        }
    }
    o
}

/// Folds a content line at 75 octets. `split_chars`: like some producers, cut in the middle
/// of a multi-byte character (the file is only valid UTF-8 after unfolding).
fn fold(line: &str, split_chars: bool, out: &mut Vec<u8>) {
    let bytes = line.as_bytes();
    let mut start = 0;
    let mut first = true;
    while start < bytes.len() {
        let room = if first { 75 } else { 74 };
        let mut end = (start + room).min(bytes.len());
        if !split_chars {
            while end < bytes.len() && end > start && !line.is_char_boundary(end) {
                end -= 1;
            }
        }
        if !first {
            out.push(b' ');
        }
        out.extend_from_slice(&bytes[start..end]);
        out.extend_from_slice(b"\r\n");
        start = end;
        first = false;
    }
    if bytes.is_empty() {
        out.extend_from_slice(b"\r\n");
    }
}

/// The VTIMEZONE block (Google/Apple write the IANA name, Outlook its Windows name).
fn vtimezone(t: &Tenant, st: Style) -> Vec<String> {
    let (std_off, dst_off, std_name, dst_name, dst_rule, std_rule, dst_start, std_start) =
        match t.tz_name {
            "America/New_York" => (
                "-0500",
                "-0400",
                "EST",
                "EDT",
                "BYMONTH=3;BYDAY=2SU",
                "BYMONTH=11;BYDAY=1SU",
                "19700308T020000",
                "19701101T020000",
            ),
            "Europe/London" => (
                "+0000",
                "+0100",
                "GMT",
                "BST",
                "BYMONTH=3;BYDAY=-1SU",
                "BYMONTH=10;BYDAY=-1SU",
                "19700329T010000",
                "19701025T020000",
            ),
            "Asia/Tokyo" => ("+0900", "", "JST", "", "", "", "", "19700101T000000"),
            _ => (
                "+0100",
                "+0200",
                "CET",
                "CEST",
                "BYMONTH=3;BYDAY=-1SU",
                "BYMONTH=10;BYDAY=-1SU",
                "19700329T020000",
                "19701025T030000",
            ),
        };
    let mut v = vec!["BEGIN:VTIMEZONE".to_string()];
    if st == Style::Outlook {
        v.push("TZID:W. Europe Standard Time".into());
        v.extend(
            [
                "BEGIN:STANDARD",
                "DTSTART:16010101T030000",
                "TZOFFSETFROM:+0200",
                "TZOFFSETTO:+0100",
                "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
                "END:STANDARD",
                "BEGIN:DAYLIGHT",
                "DTSTART:16010101T020000",
                "TZOFFSETFROM:+0100",
                "TZOFFSETTO:+0200",
                "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
                "END:DAYLIGHT",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
    } else {
        v.push(format!("TZID:{}", t.tz_name));
        v.push(format!("X-LIC-LOCATION:{}", t.tz_name));
        if dst_off.is_empty() {
            v.extend([
                "BEGIN:STANDARD".to_string(),
                format!("TZOFFSETFROM:{std_off}"),
                format!("TZOFFSETTO:{std_off}"),
                format!("TZNAME:{std_name}"),
                format!("DTSTART:{std_start}"),
                "END:STANDARD".to_string(),
            ]);
        } else {
            v.extend([
                "BEGIN:DAYLIGHT".to_string(),
                format!("TZOFFSETFROM:{std_off}"),
                format!("TZOFFSETTO:{dst_off}"),
                format!("TZNAME:{dst_name}"),
                format!("DTSTART:{dst_start}"),
                format!("RRULE:FREQ=YEARLY;{dst_rule}"),
                "END:DAYLIGHT".to_string(),
                "BEGIN:STANDARD".to_string(),
                format!("TZOFFSETFROM:{dst_off}"),
                format!("TZOFFSETTO:{std_off}"),
                format!("TZNAME:{std_name}"),
                format!("DTSTART:{std_start}"),
                format!("RRULE:FREQ=YEARLY;{std_rule}"),
                "END:STANDARD".to_string(),
            ]);
        }
    }
    v.push("END:VTIMEZONE".into());
    v
}

fn header(t: &Tenant, st: Style) -> Vec<String> {
    let mut v = vec!["BEGIN:VCALENDAR".to_string()];
    match st {
        Style::Outlook => v.extend([
            "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN".to_string(),
            "VERSION:2.0".to_string(),
            "METHOD:PUBLISH".to_string(),
            "X-MS-OLK-FORCEINSPECTOROPEN:TRUE".to_string(),
            "X-WR-CALNAME:Fahrzeugkalender".to_string(),
        ]),
        Style::Apple => v.extend([
            "VERSION:2.0".to_string(),
            "PRODID:-//Apple Inc.//macOS 14.4//EN".to_string(),
            "CALSCALE:GREGORIAN".to_string(),
            format!("X-WR-CALNAME:Reservas {}", t.brand),
            format!("X-WR-TIMEZONE:{}", t.tz_name),
        ]),
        Style::Google | Style::Utc => v.extend([
            "PRODID:-//Google Inc//Google Calendar 70.9054//EN".to_string(),
            "VERSION:2.0".to_string(),
            "CALSCALE:GREGORIAN".to_string(),
            "METHOD:PUBLISH".to_string(),
            format!("X-WR-CALNAME:{} – Reservations", t.brand),
            format!("X-WR-TIMEZONE:{}", t.tz_name),
        ]),
    }
    v.extend(vtimezone(t, st));
    v
}

/// `DTSTART...` property for an instant, in the style's zone notation.
fn dt_prop(name: &str, t: &Tenant, st: Style, ts: i64) -> String {
    match st {
        Style::Utc => format!("{name}:{}", fmt::ical_utc(ts)),
        Style::Outlook => format!(
            "{name};TZID=\"W. Europe Standard Time\":{}",
            fmt::ical_local(&fmt::local(t.tz, ts))
        ),
        _ => format!(
            "{name};TZID={}:{}",
            t.tz_name,
            fmt::ical_local(&fmt::local(t.tz, ts))
        ),
    }
}

/// What one event says.
struct Ev {
    uid: String,
    start: String,
    end: String,
    created: i64,
    last_modified: i64,
    sequence: u32,
    cancelled: bool,
    summary: String,
    description: String,
    location: String,
    extra: Vec<String>,
}

fn event_lines(t: &Tenant, st: Style, e: &Ev, stamp: i64) -> Vec<String> {
    let mut v = vec!["BEGIN:VEVENT".to_string()];
    match st {
        Style::Outlook => {
            v.push("CLASS:PUBLIC".into());
            v.push(format!("CREATED:{}", fmt::ical_utc(e.created)));
            if !e.description.is_empty() {
                v.push(format!("DESCRIPTION:{}", esc(&e.description)));
            }
            v.push(e.end.clone());
            v.push(format!("DTSTAMP:{}", fmt::ical_utc(stamp)));
            v.push(e.start.clone());
            v.push(format!("LAST-MODIFIED:{}", fmt::ical_utc(e.last_modified)));
            v.push(format!("LOCATION:{}", esc(&e.location)));
            v.push("PRIORITY:5".into());
            v.push(format!("SEQUENCE:{}", e.sequence));
            if e.cancelled {
                v.push("STATUS:CANCELLED".into());
            }
            v.push(format!("SUMMARY;LANGUAGE=de-de:{}", esc(&e.summary)));
            v.push("TRANSP:OPAQUE".into());
            v.push(format!("UID:{}", e.uid));
            v.extend(e.extra.iter().cloned());
            v.push("X-MICROSOFT-CDO-BUSYSTATUS:BUSY".into());
            v.push("X-MICROSOFT-CDO-IMPORTANCE:1".into());
            v.push("X-MICROSOFT-DISALLOW-COUNTER:FALSE".into());
            v.push("X-MS-OLK-CONFTYPE:0".into());
        }
        Style::Apple => {
            v.push(format!("CREATED:{}", fmt::ical_utc(e.created)));
            v.push(e.end.clone());
            v.push(format!("DTSTAMP:{}", fmt::ical_utc(stamp)));
            v.push(e.start.clone());
            v.push(format!("LAST-MODIFIED:{}", fmt::ical_utc(e.last_modified)));
            if !e.location.is_empty() {
                v.push(format!("LOCATION:{}", esc(&e.location)));
            }
            v.push(format!("SEQUENCE:{}", e.sequence));
            if e.cancelled {
                v.push("STATUS:CANCELLED".into());
            }
            v.push(format!("SUMMARY:{}", esc(&e.summary)));
            if !e.description.is_empty() {
                v.push(format!("DESCRIPTION:{}", esc(&e.description)));
            }
            v.push(format!("UID:{}", e.uid));
            v.extend(e.extra.iter().cloned());
            v.push("X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC".into());
        }
        Style::Google | Style::Utc => {
            v.push(e.start.clone());
            v.push(e.end.clone());
            v.push(format!("DTSTAMP:{}", fmt::ical_utc(stamp)));
            v.push(format!("UID:{}", e.uid));
            v.extend(e.extra.iter().cloned());
            v.push(format!("CREATED:{}", fmt::ical_utc(e.created)));
            v.push(format!("DESCRIPTION:{}", esc(&e.description)));
            v.push(format!("LAST-MODIFIED:{}", fmt::ical_utc(e.last_modified)));
            v.push(format!("LOCATION:{}", esc(&e.location)));
            v.push(format!("SEQUENCE:{}", e.sequence));
            v.push(format!(
                "STATUS:{}",
                if e.cancelled {
                    "CANCELLED"
                } else {
                    "CONFIRMED"
                }
            ));
            v.push(format!("SUMMARY:{}", esc(&e.summary)));
            v.push("TRANSP:OPAQUE".into());
        }
    }
    let _ = t;
    v.push("END:VEVENT".into());
    v
}

fn summary(t: &Tenant, b: &Booking, veh: &str, last: &str) -> String {
    let first = &b.cust.first;
    let ini: String = first.chars().take(1).collect();
    match t.profile {
        Profile::Alpen => format!("{veh} – {last}"),
        Profile::Liberty => format!("{} · {veh} · {ini}. {last}", b.booking_ref),
        Profile::Riviera => format!("Réservation {last} ({veh})"),
        Profile::Sol => format!("{last}, {first} – {veh}"),
        Profile::Thames => format!("{last} {ini} – {veh} – {}", b.booking_ref),
        Profile::Sakura => {
            let name = if b.cust.country == Country::Jp {
                format!("{last} {first}")
            } else {
                format!("{first} {last}")
            };
            format!("[{}] {veh} / {name}", b.booking_ref)
        }
    }
}

fn description(t: &Tenant, b: &Booking, rloc: &str) -> String {
    let c = &b.cust;
    // Staff write the name the customer gave on the phone: sometimes a nickname.
    let full = match data::nickname(&c.first) {
        Some(n) if b.f.stripe_nick => format!("{n} {}", c.last),
        _ => c.full(),
    };
    match t.profile {
        Profile::Alpen => format!(
            "Buchung: {}\nKunde: {}\nTel.: {}\nRückgabe: {rloc}\n",
            b.booking_ref, full, c.phone_nat
        ),
        Profile::Liberty => format!(
            "Customer: {}\nEmail: {}\nPhone: {}\nDrop-off: {rloc}",
            full, c.email, c.phone_nat
        ),
        Profile::Riviera => format!(
            "Réf. {} – {}, {} – retour à l'agence {rloc} – réservé le {} via le site, à vérifier à l'arrivée",
            b.booking_ref,
            full,
            c.phone_nat,
            fmt::fr_date(&fmt::local(t.tz, b.booked_at))
        ),
        Profile::Sol => format!(
            "Localizador: {}\nTel: {}\nDevolución: {rloc}",
            b.booking_ref, c.phone_nat
        ),
        Profile::Thames => format!(
            "Lead driver: {}\nMobile: {}\nReturn to: {rloc}\nBooked via RentCloud",
            full, c.phone_nat
        ),
        Profile::Sakura => format!("Name: {}\nTel: {}\nReturn: {rloc}", full, c.phone_nat),
    }
}

/// The booking's event as the export at T1 shows it, or None when it is not in the calendar.
fn booking_event(w: &World, b: &Booking, st: Style) -> Option<Ev> {
    let t = &w.tenants[b.tenant];
    let mut rng = b.rng(0xCA1);
    let created = b.booked_at + rng.range(5, 300);
    if b.f.no_calendar || created > w.t1 {
        return None;
    }
    let mut last_modified = created;
    let mut sequence = 0;
    let mut state = &b.orig;
    if let Some((m, s)) = &b.modified {
        let at = (m + rng.range(5, 300)).min(w.t1);
        state = s;
        last_modified = at;
        sequence += 1 + rng.below(2) as u32;
    }
    let mut cancelled = false;
    if let Some(c) = b.cancelled_at {
        cancelled = true;
        last_modified = (c + rng.range(5, 600)).min(w.t1);
        sequence += 1;
    }
    let last = if b.f.cal_typo {
        data::typo(&b.cust.last)
    } else {
        b.cust.last.clone()
    };
    let veh = t.vehicle(state.vehicle);
    let mut sum = summary(t, b, veh, &last);
    if cancelled && st == Style::Outlook {
        sum = format!("Abgesagt: {sum}");
    }
    Some(Ev {
        uid: b.uid.clone(),
        start: dt_prop("DTSTART", t, st, state.pickup),
        end: dt_prop("DTEND", t, st, state.ret),
        created,
        last_modified,
        sequence,
        cancelled,
        summary: sum,
        description: if b.f.cal_desc {
            description(t, b, t.branch(state.return_loc))
        } else {
            String::new()
        },
        location: t.branch(state.pickup_loc).to_string(),
        extra: Vec::new(),
    })
}

fn noise_uid(rng: &mut Rng, t: &Tenant, st: Style) -> String {
    match st {
        Style::Outlook => format!(
            "040000008200E00074C5B7101A82E0080000000000000000000000000000000010000000{}",
            rng.chars(32, super::rng::HEX_UPPER)
        ),
        Style::Apple => format!(
            "{}-{}-{}-{}-{}",
            rng.chars(8, super::rng::HEX_UPPER),
            rng.chars(4, super::rng::HEX_UPPER),
            rng.chars(4, super::rng::HEX_UPPER),
            rng.chars(4, super::rng::HEX_UPPER),
            rng.chars(12, super::rng::HEX_UPPER)
        ),
        Style::Google => format!("{}@google.com", rng.chars(26, LOWER_ALNUM)),
        Style::Utc => format!("{}@{}", rng.chars(32, LOWER_ALNUM), t.domain),
    }
}

fn words(t: &Tenant) -> (&'static str, &'static str, &'static str, &'static str) {
    // (staff meeting, inspection, tyre change, car wash)
    match t.profile {
        Profile::Alpen => ("Teambesprechung", "TÜV/HU", "Reifenwechsel", "Aufbereitung"),
        Profile::Riviera => (
            "Réunion d'équipe",
            "Contrôle technique",
            "Changement pneus",
            "Lavage",
        ),
        Profile::Sol => (
            "Reunión de equipo",
            "ITV",
            "Cambio de neumáticos",
            "Limpieza",
        ),
        Profile::Thames => ("Weekly ops call", "MOT", "Tyre change", "Valet"),
        _ => ("Staff meeting", "Inspection", "Tire rotation", "Car wash"),
    }
}

/// Recurring meeting, maintenance (timed at a branch, or all-day) and a broken event.
fn noise_events(
    w: &World,
    t: &Tenant,
    st: Style,
    n_bookings: usize,
    ledger: &mut Ledger,
) -> Vec<(i64, Vec<String>)> {
    let mut rng = Rng::new(mix(w.seed, 0xCA1E + t.idx as u64));
    let stamp = w.t1 + 2 * HOUR;
    let (meeting, inspection, tyres, wash) = words(t);
    let mut out = Vec::new();
    // Weekly staff meeting since before T0.
    let start_day = fmt::local(t.tz, w.t0 - 60 * DAY).date_naive();
    let monday = start_day - Duration::days(start_day.weekday().num_days_from_monday() as i64);
    let ms = fmt::from_local(t.tz, monday, 8, 30);
    let uid = noise_uid(&mut rng, t, st);
    ledger.noise.push(format!("calendar:{uid}"));
    let ev = Ev {
        uid,
        start: dt_prop("DTSTART", t, st, ms),
        end: dt_prop("DTEND", t, st, ms + HOUR),
        created: ms - 7 * DAY,
        last_modified: ms - 7 * DAY,
        sequence: 0,
        cancelled: false,
        summary: meeting.to_string(),
        description: String::new(),
        location: t.branch(0).to_string(),
        extra: vec!["RRULE:FREQ=WEEKLY;BYDAY=MO".to_string()],
    };
    out.push((ms - 7 * DAY, event_lines(t, st, &ev, stamp)));
    let n = 2 + n_bookings / 40;
    let span = w.t1 - w.t0;
    for _ in 0..n {
        let at = w.t0 + rng.range(0, span);
        let car = t.data.fleet[rng.index(t.data.fleet.len())].name;
        let plate = format!(
            "{}-{} {}",
            rng.chars(1, b"MBRGS"),
            rng.chars(2, b"ABCDEFGHKLMNPRSTUVWXYZ"),
            rng.range(100, 9999)
        );
        let uid = noise_uid(&mut rng, t, st);
        ledger.noise.push(format!("calendar:{uid}"));
        let created = at - rng.range(DAY, 20 * DAY);
        let day = fmt::local(t.tz, at).date_naive();
        let ev = if rng.chance(500) {
            Ev {
                uid,
                start: format!("DTSTART;VALUE=DATE:{}", fmt::ical_date(day)),
                end: format!(
                    "DTEND;VALUE=DATE:{}",
                    fmt::ical_date(day + Duration::days(1))
                ),
                created,
                last_modified: created,
                sequence: 0,
                cancelled: false,
                summary: format!("{inspection}: {car} ({plate})"),
                description: String::new(),
                location: String::new(),
                extra: Vec::new(),
            }
        } else {
            let s = fmt::from_local(t.tz, day, rng.range(8, 16) as u32, 0);
            Ev {
                uid,
                start: dt_prop("DTSTART", t, st, s),
                end: dt_prop("DTEND", t, st, s + rng.range(1, 4) * HOUR),
                created,
                last_modified: created,
                sequence: 0,
                cancelled: false,
                summary: format!("{} {car}", if rng.chance(500) { tyres } else { wash }),
                description: plate.to_string(),
                location: t.branch(rng.index(t.data.branches.len())).to_string(),
                extra: Vec::new(),
            }
        };
        out.push((created, event_lines(t, st, &ev, stamp)));
    }
    // A broken event: a garbage DTSTART and a line without a colon (typed into a raw field).
    let uid = noise_uid(&mut rng, t, st);
    ledger.noise.push(format!("calendar:{uid}"));
    let created = w.t0 + span / 2;
    let car = t.data.fleet[0].name;
    let mut lines = vec![
        "BEGIN:VEVENT".to_string(),
        format!(
            "DTSTART;TZID={}:2026-0{}-1{}T1O:00",
            t.tz_name,
            rng.range(3, 5),
            rng.range(0, 9)
        ),
        format!("DTSTAMP:{}", fmt::ical_utc(stamp)),
        format!("UID:{uid}"),
        format!("SUMMARY:{car} ??? Rückruf"),
        match t.profile {
            Profile::Alpen => "Kunde ruft wegen Verlängerung zurück",
            Profile::Riviera => "le client rappelle pour la prolongation",
            Profile::Sol => "el cliente vuelve a llamar por la ampliación",
            _ => "customer will call back about the extension",
        }
        .to_string(),
        format!("CREATED:{}", fmt::ical_utc(created)),
        "END:VEVENT".to_string(),
    ];
    if st == Style::Outlook {
        lines[1] = "DTSTART;TZID=\"W. Europe Standard Time\":2026031T0930".to_string();
    }
    out.push((created, lines));
    out
}

/// Writes `calendars/<slug>.ics` for every tenant.
pub fn write(w: &World, out: &Path, ledger: &mut Ledger) -> io::Result<()> {
    let dir = out.join("calendars");
    fs::create_dir_all(&dir)?;
    for t in &w.tenants {
        let st = style(t);
        let stamp = w.t1 + 2 * HOUR;
        let split = t.profile == Profile::Riviera;
        let folded = |lines: &[String]| {
            let mut v = Vec::with_capacity(1024);
            for l in lines {
                fold(l, split, &mut v);
            }
            v
        };
        let mut events: Vec<(i64, Vec<u8>)> = Vec::new();
        let mut n_bookings = 0;
        for (bi, b) in w.bookings.iter().enumerate() {
            if b.tenant != t.idx {
                continue;
            }
            n_bookings += 1;
            if let Some(ev) = booking_event(w, b, st) {
                ledger.add(bi, format!("calendar:{}", ev.uid), true);
                events.push((ev.created, folded(&event_lines(t, st, &ev, stamp))));
            }
        }
        for (k, lines) in noise_events(w, t, st, n_bookings, ledger) {
            events.push((k, folded(&lines)));
        }
        events.sort_by_key(|(k, _)| *k);
        let path = dir.join(format!("{}.ics", t.slug));
        let mut f = BufWriter::with_capacity(1 << 20, File::create(path)?);
        f.write_all(&folded(&header(t, st)))?;
        for (_, bytes) in &events {
            f.write_all(bytes)?;
        }
        f.write_all(&folded(&["END:VCALENDAR".to_string()]))?;
        f.flush()?;
        ledger.files += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_at_75_octets() {
        let mut out = Vec::new();
        let line = format!("SUMMARY:{}", "é".repeat(60));
        fold(&line, false, &mut out);
        let text = String::from_utf8(out.clone()).unwrap();
        for l in text.split("\r\n") {
            assert!(l.len() <= 75);
        }
        let unfolded = text.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), line);
        let mut raw = Vec::new();
        fold(&line, true, &mut raw);
        assert!(
            String::from_utf8(raw.clone()).is_err(),
            "split inside a character"
        );
        let unfolded: Vec<u8> = {
            let mut v = Vec::new();
            let mut i = 0;
            while i < raw.len() {
                if raw[i..].starts_with(b"\r\n ") {
                    i += 3;
                } else {
                    v.push(raw[i]);
                    i += 1;
                }
            }
            v
        };
        assert_eq!(String::from_utf8(unfolded).unwrap().trim_end(), line);
    }

    #[test]
    fn text_escaping() {
        assert_eq!(esc("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
    }
}
