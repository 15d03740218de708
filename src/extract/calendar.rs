//! Calendar event → evidence. Titles are short and free-form ("VW Golf – Müller",
//! "BK-48213 · Tesla Model 3 · J. Smith"), so the title is cut into segments and each segment
//! is recognised by shape: a ref token, a vehicle (a known make), or a name.

use chrono::{Duration, NaiveTime};

use crate::evidence::{Evidence, Field, Fields, Kind, Source};
use crate::extract::email::apply_family;
use crate::extract::text::{self, fold, put, CONF_LABEL};
use crate::extract::{dates, Ctx};
use crate::import::{CalTime, RawEvent};

/// Confidence of a value read from the event's own properties (DTSTART, LOCATION).
const CONF_PROPERTY: f32 = 0.9;
/// ... from a segment of the title recognised by shape.
const CONF_TITLE: f32 = 0.75;
/// ... a name in a title: typed by staff, often a nickname or the surname only.
const CONF_TITLE_NAME: f32 = 0.55;

/// The extractor name of calendar evidence.
static CALENDAR: std::sync::LazyLock<crate::evidence::Shared> =
    std::sync::LazyLock::new(|| "calendar".into());

pub fn extract(e: &RawEvent, ctx: &Ctx) -> Evidence {
    let tenant = ctx
        .tenant(e.tenant.as_deref())
        .or_else(|| ctx.tenant_named_in(&fold(&format!("{} {}", e.summary, e.description))));
    let id = match &e.recurrence_id {
        Some(r) => format!("calendar:{}#{}", e.uid, r),
        None => format!("calendar:{}", e.uid),
    };
    let observed = e.last_modified.or(e.dtstamp).or(e.created);
    let mut ev = Evidence {
        id,
        source: Source::Calendar,
        kind: Kind::CalendarEvent,
        tenant: tenant.map(|t| t.key.clone()),
        observed_at: observed,
        first_seen: e.created.or(observed),
        file: e.file.clone(),
        position: e.position.clone(),
        extractor: CALENDAR.clone(),
        confidence: 0.85,
        fields: Fields::default(),
        note: None,
    };
    if e.recurring {
        ev.kind = Kind::NotBooking;
        ev.note = Some("recurring event (RRULE): staff meeting or maintenance".into());
        return ev;
    }
    let fs = fold(&e.summary);
    if let Some(w) = ctx
        .maps
        .vocab
        .not_booking_calendar_re
        .find(&fs)
        .map(|m| m.as_str())
    {
        ev.kind = Kind::NotBooking;
        ev.note = Some(format!("calendar title says `{w}`"));
        return ev;
    }
    let tctx = ctx
        .text_ctx(tenant, None)
        .written_at(e.created.or(observed));
    let f = &mut ev.fields;
    let both = format!("{}\n{}", e.summary, e.description);
    if let Some(fam) = ctx
        .maps
        .calendar
        .iter()
        .find(|fam| fam.matches("", &e.summary, &e.description))
    {
        ev.extractor = fam.extractor.clone();
        apply_family(fam, &both, &tctx, f);
    }
    text::extract_labels(&e.description, &tctx, f);
    title(&e.summary, &tctx, f);
    if f.customer_email.is_none() {
        if let Some(m) = text::find_email(&e.description) {
            put(
                &mut f.customer_email,
                &mut f.conf,
                Field::CustomerEmail,
                m,
                CONF_LABEL - 0.1,
            );
        }
    }
    let tz = tctx.tz;
    let to_ts = |t: &CalTime, is_end: bool| -> (i64, bool) {
        match *t {
            CalTime::Instant(ts) => (ts, false),
            CalTime::Floating(n) => (dates::local_to_utc(n.date(), n.time(), tz), false),
            CalTime::Date(d) => {
                // all-day DTEND is exclusive
                let d = if is_end { d - Duration::days(1) } else { d };
                (dates::local_to_utc(d, NaiveTime::MIN, tz), true)
            }
        }
    };
    if let Some(s) = &e.start {
        let (ts, day) = to_ts(s, false);
        f.pickup_at = Some(ts);
        f.pickup_day_only = day;
        f.conf[Field::PickupAt as usize] = if day { 0.5 } else { CONF_PROPERTY };
    }
    if let Some(s) = &e.end {
        let (ts, day) = to_ts(s, true);
        f.return_at = Some(ts);
        f.return_day_only = day;
        f.conf[Field::ReturnAt as usize] = if day { 0.5 } else { CONF_PROPERTY };
    }
    let loc = e.location.trim();
    if !loc.is_empty() && f.pickup_location.is_none() {
        put(
            &mut f.pickup_location,
            &mut f.conf,
            Field::PickupLocation,
            loc.to_string(),
            0.8,
        );
    }
    let first_word = fs.split(' ').next().unwrap_or("");
    if ctx
        .maps
        .vocab
        .cancel_words()
        .iter()
        .any(|w| w == first_word)
    {
        // Outlook and Google prefix cancelled events: "Canceled: …", "Abgesagt: …"
        f.cancelled = true;
    }
    if e.status.eq_ignore_ascii_case("CANCELLED") {
        f.cancelled = true;
    }
    let has_who =
        f.customer_name.is_some() || f.booking_ref.is_some() || f.customer_email.is_some();
    if f.pickup_at.is_none() || !has_who {
        ev.kind = Kind::NotBooking;
        ev.note = Some("no booking fields (customer, reference or dates) in the event".into());
    }
    ev
}

/// Reads ref, vehicle and customer name out of a title by segment shape.
pub fn title(summary: &str, tctx: &text::TextCtx, f: &mut Fields) {
    let vocab = tctx.vocab;
    let mut rest = summary.to_string();
    if let Some(r) = text::ref_tokens(summary).into_iter().next() {
        rest = rest.replace(&r, " ");
        put(
            &mut f.booking_ref,
            &mut f.conf,
            Field::BookingRef,
            r,
            CONF_TITLE,
        );
    }
    if let Some((a, b)) = text::find_vehicle(&rest, vocab) {
        if let Some(v) = text::clean_vehicle(&rest[a..b], vocab) {
            put(&mut f.vehicle, &mut f.conf, Field::Vehicle, v, CONF_TITLE);
        }
        rest.replace_range(a..b, " | ");
    }
    for d in tctx.find_dates(&rest.clone()).iter().rev() {
        if rest.is_char_boundary(d.start) && rest.is_char_boundary(d.end) {
            rest.replace_range(d.start..d.end, " | ");
        }
    }
    if f.customer_name.is_some() {
        return;
    }
    let name = rest
        .split(['–', '—', '|', '·', ':', '/', '(', ')', ',', '[', ']', '•'])
        .flat_map(|s| s.split(" - "))
        .map(|seg| {
            seg.split_whitespace()
                .filter(|w| {
                    let fw = fold(w);
                    !vocab.title_words.contains(fw.as_str())
                        && !vocab.cancel_words().contains(&fw)
                        && !w.chars().any(|c| c.is_ascii_digit())
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|s| s.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .find_map(|s| text::clean_name(&s, vocab));
    if let Some(n) = name {
        put(
            &mut f.customer_name,
            &mut f.conf,
            Field::CustomerName,
            n,
            CONF_TITLE_NAME,
        );
    }
}
