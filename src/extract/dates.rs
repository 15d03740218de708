//! TEMPORARY stub with the agreed API; replaced by the real implementation.
use chrono::{NaiveDate, NaiveTime, TimeZone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    Dmy,
    Mdy,
    Ymd,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FoundDate {
    pub start: usize,
    pub end: usize,
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
    pub offset: Option<i32>,
}

pub struct Lexicon;
impl Lexicon {
    pub fn builtin() -> &'static Lexicon {
        &Lexicon
    }
    pub fn load(_p: &std::path::Path) -> crate::Result<Lexicon> {
        Ok(Lexicon)
    }
}

pub fn find_datetimes(text: &str, _order: DateOrder, _lex: &Lexicon) -> Vec<FoundDate> {
    let re = regex::Regex::new(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})").unwrap();
    re.captures_iter(text)
        .filter_map(|c| {
            let m = c.get(0)?;
            Some(FoundDate {
                start: m.start(),
                end: m.end(),
                date: NaiveDate::from_ymd_opt(
                    c[1].parse().ok()?,
                    c[2].parse().ok()?,
                    c[3].parse().ok()?,
                )?,
                time: NaiveTime::from_hms_opt(c[4].parse().ok()?, c[5].parse().ok()?, 0),
                offset: None,
            })
        })
        .collect()
}
pub fn parse_datetime(text: &str, order: DateOrder, lex: &Lexicon) -> Option<FoundDate> {
    find_datetimes(text, order, lex).into_iter().next()
}
pub fn parse_time(_text: &str, _lex: &Lexicon) -> Option<NaiveTime> {
    None
}
pub fn local_to_utc(date: NaiveDate, time: NaiveTime, tz: chrono_tz::Tz) -> i64 {
    tz.from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|d| d.timestamp())
        .unwrap_or(0)
}
pub fn resolve(found: &FoundDate, tz: chrono_tz::Tz, default_time: NaiveTime) -> i64 {
    local_to_utc(found.date, found.time.unwrap_or(default_time), tz)
}
