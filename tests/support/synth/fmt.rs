//! How the producers write dates and amounts: per language and per producer, the way the
//! real mails, calendar exports and Stripe files spell them.

use chrono::{DateTime, Datelike, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::data::{DAYS_DE, DAYS_EN, DAYS_ES, DAYS_FR, MONTHS_DE, MONTHS_EN, MONTHS_ES, MONTHS_FR};

/// Epoch seconds → UTC date-time. Our times are always in range, so out-of-range input falls
/// back to the epoch rather than panicking.
pub fn utc(ts: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ts, 0).unwrap_or_default()
}

pub fn local(tz: Tz, ts: i64) -> DateTime<Tz> {
    utc(ts).with_timezone(&tz)
}

/// Local wall time → epoch seconds; a wall time inside a DST gap moves one hour on (the way
/// booking systems normalise it).
pub fn from_local(tz: Tz, date: chrono::NaiveDate, hour: u32, minute: u32) -> i64 {
    let naive = date.and_hms_opt(hour, minute, 0).unwrap_or_default();
    match tz.from_local_datetime(&naive).earliest() {
        Some(dt) => dt.timestamp(),
        None => tz
            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
            .map(|d| d.timestamp())
            .unwrap_or_else(|| naive.and_utc().timestamp()),
    }
}

/// Minor units → plain decimal in major units: `1234.50`, JPY `12000`.
pub fn decimal(minor: i64, exp: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    if exp == 0 {
        return format!("{sign}{m}");
    }
    let p = 10u64.pow(exp);
    format!("{sign}{}.{:0w$}", m / p, m % p, w = exp as usize)
}

/// Groups the integer part in threes with `sep`.
fn group(n: u64, sep: &str) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// How one producer writes money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Money {
    /// `1.234,50 €`
    De,
    /// `1.234,50 EUR` (mails in latin-1, which has no euro sign)
    DeCode,
    /// `1 234,50 €` with no-break spaces
    Fr,
    /// `1 234,50 EUR` with no-break space
    FrCode,
    /// `$1,234.50`
    Us,
    /// `£1,234.50`
    Gb,
    /// `¥12,000`
    Jp,
    /// `JPY 12,000`
    JpCode,
    /// `1,234.50` (Stripe Dashboard CSV)
    Csv,
}

pub fn money(minor: i64, exp: u32, style: Money) -> String {
    let m = minor.unsigned_abs();
    let p = 10u64.pow(exp);
    let (int, frac) = (m / p, m % p);
    let frac_s = |sep: &str| {
        if exp == 0 {
            String::new()
        } else {
            format!("{sep}{:0w$}", frac, w = exp as usize)
        }
    };
    let sign = if minor < 0 { "-" } else { "" };
    match style {
        Money::De => format!("{sign}{}{} €", group(int, "."), frac_s(",")),
        Money::DeCode => format!("{sign}{}{} EUR", group(int, "."), frac_s(",")),
        Money::Fr => format!("{sign}{}{}\u{a0}€", group(int, "\u{a0}"), frac_s(",")),
        Money::FrCode => format!("{sign}{}{}\u{a0}EUR", group(int, "\u{a0}"), frac_s(",")),
        Money::Us => format!("{sign}${}{}", group(int, ","), frac_s(".")),
        Money::Gb => format!("{sign}£{}{}", group(int, ","), frac_s(".")),
        Money::Jp => format!("{sign}¥{}{}", group(int, ","), frac_s(".")),
        Money::JpCode => format!("{sign}JPY {}{}", group(int, ","), frac_s(".")),
        Money::Csv => format!("{sign}{}{}", group(int, ","), frac_s(".")),
    }
}

fn wd(dt: &DateTime<Tz>) -> usize {
    dt.weekday().num_days_from_monday() as usize
}
fn mo(dt: &DateTime<Tz>) -> usize {
    dt.month0() as usize
}

/// `Samstag, 14. März 2026 um 10:00 Uhr`
pub fn de_sentence(dt: &DateTime<Tz>) -> String {
    format!(
        "{}, {}. {} {} um {:02}:{:02} Uhr",
        DAYS_DE[wd(dt)],
        dt.day(),
        MONTHS_DE[mo(dt)],
        dt.year(),
        dt.hour(),
        dt.minute()
    )
}

/// `14.03.2026, 10:00 Uhr`
pub fn de_numeric(dt: &DateTime<Tz>) -> String {
    format!(
        "{:02}.{:02}.{}, {:02}:{:02} Uhr",
        dt.day(),
        dt.month(),
        dt.year(),
        dt.hour(),
        dt.minute()
    )
}

/// `14.03.2026`
pub fn de_date(dt: &DateTime<Tz>) -> String {
    format!("{:02}.{:02}.{}", dt.day(), dt.month(), dt.year())
}

/// `03/14/2026 10:00 AM`
pub fn us(dt: &DateTime<Tz>) -> String {
    let (pm, h) = dt.hour12();
    format!(
        "{:02}/{:02}/{} {:02}:{:02} {}",
        dt.month(),
        dt.day(),
        dt.year(),
        h,
        dt.minute(),
        if pm { "PM" } else { "AM" }
    )
}

/// `Mar 14, 2026`
pub fn us_date(dt: &DateTime<Tz>) -> String {
    format!("{} {}, {}", &MONTHS_EN[mo(dt)][..3], dt.day(), dt.year())
}

/// `samedi 14 mars 2026 à 10h00`
pub fn fr_long(dt: &DateTime<Tz>) -> String {
    format!(
        "{} {} {} {} à {:02}h{:02}",
        DAYS_FR[wd(dt)],
        dt.day(),
        MONTHS_FR[mo(dt)],
        dt.year(),
        dt.hour(),
        dt.minute()
    )
}

/// `samedi 14 mars 2026`
pub fn fr_date(dt: &DateTime<Tz>) -> String {
    format!(
        "{} {} {} {}",
        DAYS_FR[wd(dt)],
        dt.day(),
        MONTHS_FR[mo(dt)],
        dt.year()
    )
}

/// `14 de marzo de 2026, 10:00`
pub fn es_long(dt: &DateTime<Tz>) -> String {
    format!(
        "{} de {} de {}, {:02}:{:02}",
        dt.day(),
        MONTHS_ES[mo(dt)],
        dt.year(),
        dt.hour(),
        dt.minute()
    )
}

/// `sábado, 14 de marzo`
pub fn es_day(dt: &DateTime<Tz>) -> String {
    format!("{}, {} de {}", DAYS_ES[wd(dt)], dt.day(), MONTHS_ES[mo(dt)])
}

/// `14 Mar 2026 10:00`
pub fn gb(dt: &DateTime<Tz>) -> String {
    format!(
        "{} {} {} {:02}:{:02}",
        dt.day(),
        &MONTHS_EN[mo(dt)][..3],
        dt.year(),
        dt.hour(),
        dt.minute()
    )
}

/// `14 March 2026`
pub fn gb_date(dt: &DateTime<Tz>) -> String {
    format!("{} {} {}", dt.day(), MONTHS_EN[mo(dt)], dt.year())
}

/// `2026/03/14 10:00`
pub fn jp(dt: &DateTime<Tz>) -> String {
    format!(
        "{}/{:02}/{:02} {:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute()
    )
}

/// `2026/03/14 (Sat)`
pub fn jp_date(dt: &DateTime<Tz>) -> String {
    format!(
        "{}/{:02}/{:02} ({})",
        dt.year(),
        dt.month(),
        dt.day(),
        &DAYS_EN[wd(dt)][..3]
    )
}

/// The fields of a date-time, read once. Formatting by hand instead of with strftime
/// patterns keeps huge worlds fast (a pattern is parsed on every call).
#[derive(Debug, Clone, Copy)]
pub struct Parts {
    pub y: i32,
    pub mo: u32,
    pub d: u32,
    pub h: u32,
    pub mi: u32,
    pub s: u32,
    /// 0 = Monday.
    pub wd: usize,
    /// Seconds east of UTC.
    pub off: i32,
}

pub fn parts<T: TimeZone>(dt: &DateTime<T>) -> Parts {
    Parts {
        y: dt.year(),
        mo: dt.month(),
        d: dt.day(),
        h: dt.hour(),
        mi: dt.minute(),
        s: dt.second(),
        wd: dt.weekday().num_days_from_monday() as usize,
        off: dt.offset().fix().local_minus_utc(),
    }
}

fn mon3(p: &Parts) -> &'static str {
    &MONTHS_EN[(p.mo as usize).saturating_sub(1) % 12][..3]
}
fn day3(p: &Parts) -> &'static str {
    &DAYS_EN[p.wd % 7][..3]
}

/// RFC 5322 date: `Sat, 14 Mar 2026 10:00:00 +0100`
pub fn rfc2822(dt: &DateTime<Tz>) -> String {
    let p = parts(dt);
    let sign = if p.off < 0 { '-' } else { '+' };
    let o = p.off.unsigned_abs() / 60;
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        day3(&p),
        p.d,
        mon3(&p),
        p.y,
        p.h,
        p.mi,
        p.s,
        o / 60,
        o % 60
    )
}

/// mbox `From ` line date (asctime, UTC): `Sat Mar 14 09:00:00 2026`
pub fn asctime(ts: i64) -> String {
    let p = parts(&utc(ts));
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {}",
        day3(&p),
        mon3(&p),
        p.d,
        p.h,
        p.mi,
        p.s,
        p.y
    )
}

/// RFC 3339 with the zone's offset, seconds precision: `2026-03-14T10:00:00+01:00`
pub fn rfc3339(tz: Tz, ts: i64) -> String {
    let p = parts(&local(tz, ts));
    let sign = if p.off < 0 { '-' } else { '+' };
    let o = p.off.unsigned_abs() / 60;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        p.y,
        p.mo,
        p.d,
        p.h,
        p.mi,
        p.s,
        o / 60,
        o % 60
    )
}

/// RFC 3339 UTC with `Z`: `2026-03-14T09:00:00Z`
pub fn rfc3339_z(ts: i64) -> String {
    let p = parts(&utc(ts));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        p.y, p.mo, p.d, p.h, p.mi, p.s
    )
}

/// `2026-03-14 09:12:33` (UTC; Stripe Dashboard exports)
pub fn sql_utc(ts: i64) -> String {
    let p = parts(&utc(ts));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        p.y, p.mo, p.d, p.h, p.mi, p.s
    )
}

/// `20260314091233` (UTC; Message-ID stems)
pub fn compact_utc(ts: i64) -> String {
    let p = parts(&utc(ts));
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        p.y, p.mo, p.d, p.h, p.mi, p.s
    )
}

/// iCalendar local time `20260314T100000`
pub fn ical_local(dt: &DateTime<Tz>) -> String {
    let p = parts(dt);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        p.y, p.mo, p.d, p.h, p.mi, p.s
    )
}

/// iCalendar UTC time `20260314T090000Z`
pub fn ical_utc(ts: i64) -> String {
    let p = parts(&utc(ts));
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        p.y, p.mo, p.d, p.h, p.mi, p.s
    )
}

/// iCalendar date `20260314`
pub fn ical_date(d: chrono::NaiveDate) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_styles() {
        assert_eq!(money(123450, 2, Money::De), "1.234,50 €");
        assert_eq!(money(123450, 2, Money::Fr), "1\u{a0}234,50\u{a0}€");
        assert_eq!(money(123450, 2, Money::Us), "$1,234.50");
        assert_eq!(money(12000, 0, Money::Jp), "¥12,000");
        assert_eq!(money(99, 2, Money::Csv), "0.99");
        assert_eq!(decimal(123450, 2), "1234.50");
        assert_eq!(decimal(12000, 0), "12000");
        assert_eq!(decimal(5, 2), "0.05");
    }

    #[test]
    fn dates_per_language() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 2026-03-14 10:00 local = 09:00 UTC
        let ts = from_local(
            tz,
            chrono::NaiveDate::from_ymd_opt(2026, 3, 14).unwrap(),
            10,
            0,
        );
        let dt = local(tz, ts);
        assert_eq!(de_sentence(&dt), "Samstag, 14. März 2026 um 10:00 Uhr");
        assert_eq!(de_numeric(&dt), "14.03.2026, 10:00 Uhr");
        assert_eq!(fr_long(&dt), "samedi 14 mars 2026 à 10h00");
        assert_eq!(es_long(&dt), "14 de marzo de 2026, 10:00");
        assert_eq!(gb(&dt), "14 Mar 2026 10:00");
        assert_eq!(us(&dt), "03/14/2026 10:00 AM");
        assert_eq!(rfc3339(tz, ts), "2026-03-14T10:00:00+01:00");
        assert_eq!(rfc2822(&dt), "Sat, 14 Mar 2026 10:00:00 +0100");
        assert_eq!(asctime(ts), "Sat Mar 14 09:00:00 2026");
        assert_eq!(asctime(ts - 13 * 86_400), "Sun Mar  1 09:00:00 2026");
        assert_eq!(rfc3339_z(ts), "2026-03-14T09:00:00Z");
        assert_eq!(ical_local(&dt), "20260314T100000");
        assert_eq!(ical_utc(ts), "20260314T090000Z");
        assert_eq!(sql_utc(ts), "2026-03-14 09:00:00");
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(rfc3339(ny, ts), "2026-03-14T05:00:00-04:00");
        assert_eq!(rfc2822(&local(ny, ts)), "Sat, 14 Mar 2026 05:00:00 -0400");
    }
}
