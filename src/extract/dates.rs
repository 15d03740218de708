//! Dates and times in free text, in any language of the lexicon (`mappings/languages.toml`).
//!
//! Booking e-mails, calendar titles and Stripe descriptions each write dates their own way
//! ("Sa., 14.03.2026 10:00", "March 14th, 2026 at 10:00 am", "del 14 al 17 de marzo de 2026"),
//! and new templates appear all the time. So instead of a list of formats, the text is split
//! into tokens (numbers, words, punctuation; words looked up in the [`Lexicon`]) and a small
//! grammar reads them:
//!
//! - a date is numeric (`14.03.2026`, `03/14/26`, `2026-03-14`), day-first (`14. März 2026`,
//!   `14 de marzo de 2026`) or month-first (`Mar 14, 2026`), optionally after a weekday;
//! - a time follows it (after a joiner such as "at", "um", "à", "a las", ","), or comes
//!   before it ("10:00 AM, March 14, 2026"), with an optional zone (`Z`, `+01:00`, `CET`);
//! - a range ("14–17 Mar 2026", "14.03.–17.03.2026") gives two dates, the first taking the
//!   month and year it leaves out from the second.
//!
//! A date without a year ("Sat 14 Mar, 10:00", "05/23-06/02") takes the start of a range's
//! year, or, when the caller knows when the text was written (a mail's `Date`, a charge's
//! `created`), the first such day from shortly before that moment on: a booking's dates lie
//! after the booking. Without that reference a year-less date is dropped, because a wrong
//! year is worse than none. Year-less numeric dates need `/` or a closing `.` (`14.03.`), so
//! an amount like `15.06` never becomes a date.

use std::cell::RefCell;

use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveTime, Offset, TimeZone};

pub use crate::extract::lexicon::Lexicon;
use crate::extract::lexicon::{Cat, Tok, TokKind, UNKNOWN};

/// How to read an all-numeric date whose day and month could be swapped (03/04/2026). `Ymd`
/// only changes all-two-digit dates (`26/03/14`); with the year last it reads like `Dmy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    Dmy,
    Mdy,
    Ymd,
}

/// A date (and maybe time) found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundDate {
    /// Byte span in the text (char boundaries), including a leading weekday.
    pub start: usize,
    pub end: usize,
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
    /// Explicit UTC offset or zone written next to the time (`+01:00`, `Z`, `UTC`, `CET`, `CEST`,
    /// `EST`, `PDT`…), as seconds east.
    pub offset: Option<i32>,
}

/// All date(-time)s in `text`, in text order, non-overlapping. `order` resolves numeric dates
/// like 03/04/2026 (a first part > 12 forces DMY, a second part > 12 forces MDY, whatever `order`
/// says).
pub fn find_datetimes(text: &str, order: DateOrder, lex: &Lexicon) -> Vec<FoundDate> {
    scan(text, order, lex, None, usize::MAX)
}

/// The first date(-time) in `text`.
pub fn parse_datetime(text: &str, order: DateOrder, lex: &Lexicon) -> Option<FoundDate> {
    scan(text, order, lex, None, 1).into_iter().next()
}

/// Like [`find_datetimes`], and dates without a year get one from `written` (the day the text
/// was written): the first such day on or after [`YEARLESS_LOOKBACK_DAYS`] before it.
pub fn find_datetimes_near(
    text: &str,
    order: DateOrder,
    lex: &Lexicon,
    written: Option<NaiveDate>,
) -> Vec<FoundDate> {
    scan(text, order, lex, written, usize::MAX)
}

/// Like [`parse_datetime`], with the year inference of [`find_datetimes_near`].
pub fn parse_datetime_near(
    text: &str,
    order: DateOrder,
    lex: &Lexicon,
    written: Option<NaiveDate>,
) -> Option<FoundDate> {
    scan(text, order, lex, written, 1).into_iter().next()
}

/// A year-less date may lie this many days before the text was written (a balance charged at
/// the return of a car names the pick-up day of the rental before it).
pub const YEARLESS_LOOKBACK_DAYS: i64 = 60;

/// The first `month`/`day` on or after `written - YEARLESS_LOOKBACK_DAYS`.
fn infer_year(day: u32, month: u32, written: NaiveDate) -> Option<NaiveDate> {
    let from = written - Duration::days(YEARLESS_LOOKBACK_DAYS);
    (from.year()..=from.year() + 1)
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
        .find(|d| *d >= from)
}

/// A bare time (`10:00`, `10h00`, `10h`, `10 Uhr`, `10:00 AM`, `10.30 Uhr`, `22:15`, `10am`):
/// the first time in `text`. A lone number is no time ("10" could be anything).
pub fn parse_time(text: &str, lex: &Lexicon) -> Option<NaiveTime> {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    with_tokens(text, lex, |toks| {
        let p = Parser {
            text,
            t: toks,
            lex,
            order: DateOrder::Dmy,
            written: None,
        };
        (0..toks.len()).find_map(|i| p.time_at(i, Mode::LENIENT).map(|h| h.time))
    })
}

/// Local wall time in `tz` → epoch seconds. DST gap (nonexistent time): shift forward by the
/// gap (02:30 on spring-forward day in Europe/Berlin → 03:30 CEST), as a clock that was set
/// before the change would show. Ambiguous: the earlier instant.
pub fn local_to_utc(date: NaiveDate, time: NaiveTime, tz: chrono_tz::Tz) -> i64 {
    let naive = date.and_time(time);
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(dt) => dt.timestamp(),
        LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
        LocalResult::None => {
            // Read the wall time with the offset in force just before the gap. Gaps are at most
            // a few hours, so a day of 15-minute steps always finds one.
            let before = (1..=96).find_map(|step| {
                let probe = naive - Duration::minutes(15 * step);
                tz.from_local_datetime(&probe)
                    .earliest()
                    .map(|dt| dt.offset().fix().local_minus_utc())
            });
            naive.and_utc().timestamp() - i64::from(before.unwrap_or(0))
        }
    }
}

/// FoundDate → epoch seconds: uses `offset` when present, else `tz`; a date without time uses
/// `default_time` (e.g. 00:00).
pub fn resolve(found: &FoundDate, tz: chrono_tz::Tz, default_time: NaiveTime) -> i64 {
    let time = found.time.unwrap_or(default_time);
    match found.offset {
        Some(off) => found.date.and_time(time).and_utc().timestamp() - i64::from(off),
        None => local_to_utc(found.date, time, tz),
    }
}

fn scan(
    text: &str,
    order: DateOrder,
    lex: &Lexicon,
    written: Option<NaiveDate>,
    limit: usize,
) -> Vec<FoundDate> {
    let mut out = Vec::new();
    // Most lines of an e-mail have no digit at all: skip them without tokenizing.
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return out;
    }
    with_tokens(text, lex, |toks| {
        let p = Parser {
            text,
            t: toks,
            lex,
            order,
            written,
        };
        let mut i = 0;
        while i < toks.len() && out.len() < limit {
            match p.parse_here(i, &mut out) {
                Some(next) if next > i => i = next,
                _ => i += 1,
            }
        }
    });
    out.truncate(limit);
    out
}

/// Runs `f` on the tokens of `text`, reusing a per-thread buffer (this runs on ~1M texts).
fn with_tokens<R>(text: &str, lex: &Lexicon, f: impl FnOnce(&[Tok]) -> R) -> R {
    thread_local! {
        static BUF: RefCell<Vec<Tok>> = const { RefCell::new(Vec::new()) };
    }
    BUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            lex.tokenize(text, &mut buf);
            f(&buf)
        }
        Err(_) => {
            let mut buf = Vec::new();
            lex.tokenize(text, &mut buf);
            f(&buf)
        }
    })
}

/// Day and month of a date, or the two numbers of `14.03.` whose order is only known once the
/// other end of the range is read.
#[derive(Debug, Clone, Copy)]
enum Dm {
    Known { day: u32, month: u32 },
    Pair(u32, u32),
}

/// A date read from tokens `first..end`, maybe without a year (then only usable in a range).
#[derive(Debug, Clone, Copy)]
struct Atom {
    first: usize,
    end: usize,
    dm: Dm,
    year: Option<i32>,
    /// For numeric dates, the order used (so the start of a range is read the same way).
    order: Option<DateOrder>,
}

#[derive(Debug, Clone, Copy)]
struct TimeHit {
    time: NaiveTime,
    offset: Option<i32>,
    end: usize,
    /// Has minutes or an AM/PM marker ("10 h" alone is weaker evidence).
    explicit: bool,
}

/// How strict a time must be where it is read.
#[derive(Debug, Clone, Copy)]
struct Mode {
    /// `10.30` counts without "Uhr"/"h"/AM (else it could be an amount).
    dot_ok: bool,
    /// ISO context (`T10:00:00`): `-05:00` and `+01` are offsets, not a range or a count.
    iso: bool,
    /// The time must not be glued to a word or number on its left.
    check_left: bool,
}

impl Mode {
    const STRICT: Mode = Mode {
        dot_ok: false,
        iso: false,
        check_left: true,
    };
    const LENIENT: Mode = Mode {
        dot_ok: true,
        iso: false,
        check_left: true,
    };
    const ISO: Mode = Mode {
        dot_ok: false,
        iso: true,
        check_left: false,
    };
}

struct Parser<'a> {
    text: &'a str,
    t: &'a [Tok],
    lex: &'a Lexicon,
    order: DateOrder,
    /// When the text was written, for dates without a year.
    written: Option<NaiveDate>,
}

const YEARS: std::ops::RangeInclusive<u32> = 1900..=2199;

impl Parser<'_> {
    // ---- token helpers ----

    fn num(&self, i: usize) -> Option<(u32, u8)> {
        match self.t.get(i)?.kind {
            TokKind::Num { value, len } => Some((value, len)),
            _ => None,
        }
    }

    /// A number glued to the token before it.
    fn num_adj(&self, i: usize) -> Option<(u32, u8)> {
        if self.adj(i) {
            self.num(i)
        } else {
            None
        }
    }

    fn punct(&self, i: usize) -> Option<char> {
        match self.t.get(i)?.kind {
            TokKind::Punct(c) => Some(c),
            _ => None,
        }
    }

    fn is_punct(&self, i: usize, c: char) -> bool {
        self.punct(i) == Some(c)
    }

    /// Token `i` exists and has no whitespace before it.
    fn adj(&self, i: usize) -> bool {
        self.t.get(i).is_some_and(|t| !t.space_before)
    }

    fn is_word(&self, i: usize) -> bool {
        matches!(self.t.get(i).map(|t| t.kind), Some(TokKind::Word(_)))
    }

    fn src(&self, i: usize) -> &str {
        self.t
            .get(i)
            .and_then(|t| self.text.get(t.start..t.end))
            .unwrap_or("")
    }

    /// The ISO `T` between a date and a time.
    fn is_t(&self, i: usize) -> bool {
        self.is_word(i) && matches!(self.src(i), "T" | "t")
    }

    fn matches(&self, i: usize, cat: Cat) -> Option<usize> {
        self.lex.match_cat(self.t, i, cat)
    }

    /// A date must not continue a reference or a number: `BK-2026-03-14`, `v2.10.14`,
    /// `1.14.03.2026`.
    fn left_ok(&self, i: usize) -> bool {
        let Some(tok) = self.t.get(i) else {
            return false;
        };
        if tok.space_before || i == 0 {
            return true;
        }
        let prev = &self.t[i - 1];
        let before = (i >= 2 && !prev.space_before).then(|| self.t[i - 2].kind);
        match prev.kind {
            TokKind::Word(_) | TokKind::Num { .. } => false,
            TokKind::Punct('.' | ':' | '/' | '-') => {
                !matches!(before, Some(TokKind::Num { .. } | TokKind::Word(_)))
            }
            TokKind::Punct(',') => !matches!(before, Some(TokKind::Num { .. })),
            TokKind::Punct(_) => true,
        }
    }

    /// A date must end where its text ends: not `14.03.2026.5`, `2.10.14rc1`.
    fn right_ok(&self, k: usize) -> bool {
        let Some(tok) = self.t.get(k) else {
            return true;
        };
        if tok.space_before {
            return true;
        }
        match tok.kind {
            TokKind::Num { .. } => false,
            // ISO `T`, or text glued on by HTML-to-text ("14.03.2026Uhrzeit") after a full year;
            // after a short number it is rather a version or a reference ("2.10.14rc1").
            TokKind::Word(_) => {
                (self.is_t(k) && self.num_adj(k + 1).is_some())
                    || matches!(k.checked_sub(1).and_then(|p| self.num(p)), Some((_, 4)))
            }
            TokKind::Punct('.' | '/' | ':') => self.num_adj(k + 1).is_none(),
            TokKind::Punct(_) => true,
        }
    }

    fn time_left_ok(&self, i: usize) -> bool {
        let Some(tok) = self.t.get(i) else {
            return false;
        };
        if tok.space_before || i == 0 {
            return true;
        }
        let prev = &self.t[i - 1];
        match prev.kind {
            TokKind::Word(_) => self.is_t(i - 1),
            TokKind::Num { .. } => false,
            TokKind::Punct('.' | ':' | ',' | '/') => {
                prev.space_before || !matches!(self.t[i - 2].kind, TokKind::Num { .. })
            }
            TokKind::Punct(_) => true,
        }
    }

    // ---- dates ----

    /// Everything found at token `i`, pushed to `out`; returns where to go on.
    fn parse_here(&self, i: usize, out: &mut Vec<FoundDate>) -> Option<usize> {
        match self.t.get(i)?.kind {
            TokKind::Num { .. } => {
                if let Some((found, next)) = self.basic_iso(i).or_else(|| self.time_first(i)) {
                    out.push(found);
                    return Some(next);
                }
            }
            TokKind::Word(id) if id != UNKNOWN && self.lex.is_date_word(id) => {}
            _ => return None,
        }
        if let Some(a) = self.atom_wd(i, true) {
            let ta = self.time_after(a.end);
            let a_end = ta.map_or(a.end, |t| t.end);
            if let (Some(year), Dm::Known { day, month }) = (a.year, a.dm) {
                let date = NaiveDate::from_ymd_opt(year, month, day)?;
                out.push(self.found(a.first, a_end, date, ta));
                // "14.03.2026-17.03.2026": the end is glued to the range sign, so it is taken
                // here rather than by the scan (which would see a number glued to a number).
                return Some(self.complete_after(a_end, out).unwrap_or(a_end));
            }
            if let Some(next) = self.range_from_partial(&a, ta, a_end, out) {
                return Some(next);
            }
            if let Some(next) = self.yearless(&a, ta, a_end, out) {
                return Some(next);
            }
        }
        self.range_from_day(i, out)
    }

    /// A date without a year, when the text's date is known: `Sat 14 Mar, 10:00`,
    /// `05/23-06/02` (a range of two; the end is the first such day from the start on).
    fn yearless(
        &self,
        a: &Atom,
        ta: Option<TimeHit>,
        a_end: usize,
        out: &mut Vec<FoundDate>,
    ) -> Option<usize> {
        let written = self.written?;
        let (day, month) = self.yearless_dm(a)?;
        let a_date = infer_year(day, month, written)?;
        out.push(self.found(a.first, a_end, a_date, ta));
        let Some(k) = self.matches(a_end, Cat::Range) else {
            return Some(a_end);
        };
        let Some(b) = self.atom_wd(k, false).filter(|b| b.year.is_none()) else {
            return Some(a_end);
        };
        let Some((b_day, b_month)) = self.yearless_dm(&b) else {
            return Some(a_end);
        };
        let b_date = infer_year(
            b_day,
            b_month,
            a_date + Duration::days(YEARLESS_LOOKBACK_DAYS),
        )?;
        let tb = self.time_after(b.end);
        let b_end = tb.map_or(b.end, |t| t.end);
        out.push(self.found(b.first, b_end, b_date, tb));
        Some(b_end)
    }

    /// Day and month of a year-less atom; a numeric one only with `/` (`05/23`) or a closing
    /// `.` (`14.03.`), because `15.06` and `3-4` are amounts and counts far more often.
    fn yearless_dm(&self, a: &Atom) -> Option<(u32, u32)> {
        match a.dm {
            Dm::Known { day, month } => Some((day, month)),
            Dm::Pair(x, y) => {
                let slash = self.is_punct(a.first + 1, '/');
                let closed = a.end == a.first + 4 && self.is_punct(a.first + 3, '.');
                if !(slash || closed) {
                    return None;
                }
                let (d, m, _) = resolve_pair(x, y, a.order.unwrap_or(self.order))?;
                Some((d, m))
            }
        }
    }

    fn found(&self, first: usize, end: usize, date: NaiveDate, th: Option<TimeHit>) -> FoundDate {
        let start = self.t.get(first).map_or(0, |t| t.start);
        let stop = end
            .checked_sub(1)
            .and_then(|e| self.t.get(e))
            .map_or(start, |t| t.end);
        FoundDate {
            start,
            end: stop,
            date,
            time: th.map(|h| h.time),
            offset: th.and_then(|h| h.offset),
        }
    }

    /// A date at `i`, or after a weekday at `i` ("Sa., 14.03.2026", "mar. 14 mars 2026": there
    /// `mar` is Tuesday, not March, because only that reading gives a full date).
    fn atom_wd(&self, i: usize, check_left: bool) -> Option<Atom> {
        let direct = self.atom(i, check_left);
        if direct.is_some_and(|a| a.year.is_some()) {
            return direct;
        }
        if let Some(mut k) = self.matches(i, Cat::Weekday) {
            if self.is_punct(k, ',') {
                k += 1;
            }
            if let Some(mut a) = self.atom(k, false) {
                if a.year.is_some() || direct.is_none() {
                    a.first = i;
                    return Some(a);
                }
            }
        }
        direct
    }

    fn atom(&self, i: usize, check_left: bool) -> Option<Atom> {
        match self.t.get(i)?.kind {
            TokKind::Num { .. } => self
                .numeric(i, check_left)
                .filter(|a| a.year.is_some())
                .or_else(|| self.day_first(i, check_left))
                .or_else(|| self.numeric(i, check_left)),
            TokKind::Word(_) => self.month_first(i),
            TokKind::Punct(_) => None,
        }
    }

    /// `14.03.2026`, `03/14/26`, `2026-03-14`, `14-03-2026`, and the range start `14.03.`.
    fn numeric(&self, i: usize, check_left: bool) -> Option<Atom> {
        let (a, alen) = self.num(i)?;
        if !(alen <= 2 || alen == 4) || (check_left && !self.left_ok(i)) {
            return None;
        }
        let sep = self.punct(i + 1).filter(|c| matches!(c, '/' | '.' | '-'))?;
        if !self.adj(i + 1) {
            return None;
        }
        let (b, blen) = self.num_adj(i + 2)?;
        if blen > 2 {
            return None;
        }
        if self.is_punct(i + 3, sep) && self.adj(i + 3) {
            if let Some((c, clen)) = self.num_adj(i + 4) {
                if !self.right_ok(i + 5) {
                    return None;
                }
                let (year, month, day, order) = if alen == 4 {
                    if clen > 2 || !YEARS.contains(&a) {
                        return None;
                    }
                    (a as i32, b, c, None)
                } else if clen == 2 && alen == 2 && self.order == DateOrder::Ymd {
                    (2000 + a as i32, b, c, None)
                } else {
                    let (day, month, used) = resolve_pair(a, b, self.order)?;
                    (year_of(c, clen)?, month, day, Some(used))
                };
                return Some(Atom {
                    first: i,
                    end: i + 5,
                    dm: Dm::Known { day, month },
                    year: Some(year),
                    order,
                });
            }
        }
        if alen > 2 || sep == '-' {
            return None;
        }
        let mut end = i + 3;
        if sep == '.' && self.is_punct(end, '.') && self.adj(end) {
            end += 1;
        }
        if self.num_adj(end).is_some() {
            return None;
        }
        Some(Atom {
            first: i,
            end,
            dm: Dm::Pair(a, b),
            year: None,
            order: None,
        })
    }

    /// `14 Mar 2026`, `14. März 2026`, `14th of March, 2026`, `14 de marzo de 2026`,
    /// `14-Mar-26`, `1er mars 2026`.
    fn day_first(&self, i: usize, check_left: bool) -> Option<Atom> {
        let day = self.day(i)?;
        if check_left && !self.left_ok(i) {
            return None;
        }
        let mut k = i + 1;
        let mut sep = None;
        if let Some(o) = self.ordinal(k) {
            k = o;
        } else if let Some(c @ ('-' | '/')) = self.punct(k).filter(|_| self.adj(k)) {
            sep = Some(c);
            k += 1;
        }
        if let Some(c) = self.matches(k, Cat::Connector) {
            k = c;
        }
        let (month, k) = self.month_at(k)?;
        let (year, end) = self.year_after(k, sep);
        Some(Atom {
            first: i,
            end,
            dm: Dm::Known { day, month },
            year,
            order: None,
        })
    }

    /// `Mar 14, 2026`, `March 14th 2026`, `Mar-14-2026`.
    fn month_first(&self, i: usize) -> Option<Atom> {
        let (month, mut k) = self.month_at(i)?;
        if matches!(self.punct(k), Some('-' | '/')) && self.adj(k) {
            k += 1;
        }
        let day = self.day(k)?;
        k += 1;
        if let Some(o) = self.ordinal(k) {
            k = o;
        }
        // "May 10:00" is a time after a month name, not the 10th.
        if matches!(self.punct(k), Some(':' | '.')) && self.adj(k) && self.num_adj(k + 1).is_some()
        {
            return None;
        }
        let (year, end) = self.year_after(k, None);
        Some(Atom {
            first: i,
            end,
            dm: Dm::Known { day, month },
            year,
            order: None,
        })
    }

    fn day(&self, i: usize) -> Option<u32> {
        match self.num(i)? {
            (d, 1..=2) if (1..=31).contains(&d) => Some(d),
            _ => None,
        }
    }

    /// An ordinal glued to the day ("14th", "14.", "1er", "1º").
    fn ordinal(&self, k: usize) -> Option<usize> {
        if self.adj(k) {
            self.matches(k, Cat::Ordinal)
        } else {
            None
        }
    }

    fn month_at(&self, k: usize) -> Option<(u32, usize)> {
        let TokKind::Word(id) = self.t.get(k)?.kind else {
            return None;
        };
        let month = self.lex.month(id)?;
        let next = if self.is_punct(k + 1, '.') && self.adj(k + 1) {
            k + 2
        } else {
            k + 1
        };
        Some((month, next))
    }

    /// The year after a day and month: `, 2026`, ` de 2026`, ` 2026`, or `-26` when the day
    /// and month were joined by the same `-`/`/` (a bare two-digit number is too often a day
    /// or an hour to be a year).
    fn year_after(&self, k: usize, dm_sep: Option<char>) -> (Option<i32>, usize) {
        let mut j = k;
        let mut short_ok = false;
        match self.punct(j) {
            Some(',') => j += 1,
            Some(c @ ('-' | '/')) if self.adj(j) => {
                short_ok = dm_sep == Some(c) && self.adj(j + 1);
                j += 1;
            }
            _ => {
                if let Some(c) = self.matches(j, Cat::Connector) {
                    j = c;
                }
            }
        }
        match self.num(j) {
            Some((y, 4)) if YEARS.contains(&y) && self.right_ok(j + 1) => (Some(y as i32), j + 1),
            Some((y, 2)) if short_ok && self.right_ok(j + 1) => (Some(2000 + y as i32), j + 1),
            _ => (None, k),
        }
    }

    /// `20260314T090000Z` (iCalendar style): eight digits alone are no date, with a time they are.
    fn basic_iso(&self, i: usize) -> Option<(FoundDate, usize)> {
        let (v, 8) = self.num(i)? else {
            return None;
        };
        let glued = i > 0 && self.adj(i) && !matches!(self.t[i - 1].kind, TokKind::Punct(_));
        if glued || !(self.adj(i + 1) && self.is_t(i + 1)) {
            return None;
        }
        let (tv, tlen) = self.num_adj(i + 2)?;
        let (h, m, s) = match tlen {
            4 => (tv / 100, tv % 100, 0),
            6 => (tv / 10_000, tv / 100 % 100, tv % 100),
            _ => return None,
        };
        if !YEARS.contains(&(v / 10_000)) {
            return None;
        }
        let date = NaiveDate::from_ymd_opt((v / 10_000) as i32, v / 100 % 100, v % 100)?;
        let time = NaiveTime::from_hms_opt(h, m, s)?;
        let (offset, end) = match self.zone(i + 3, true) {
            Some((o, e)) => (Some(o), e),
            None => (None, i + 3),
        };
        if !self.right_ok(end) {
            return None;
        }
        let th = TimeHit {
            time,
            offset,
            end,
            explicit: true,
        };
        Some((self.found(i, end, date, Some(th)), end))
    }

    // ---- ranges ----

    /// The full date after a range word that follows a full date.
    fn complete_after(&self, a_end: usize, out: &mut Vec<FoundDate>) -> Option<usize> {
        let k = self.matches(a_end, Cat::Range)?;
        let b = self.atom_wd(k, false)?;
        let (Some(year), Dm::Known { day, month }) = (b.year, b.dm) else {
            return None;
        };
        let date = NaiveDate::from_ymd_opt(year, month, day)?;
        let tb = self.time_after(b.end);
        let b_end = tb.map_or(b.end, |t| t.end);
        out.push(self.found(b.first, b_end, date, tb));
        Some(b_end)
    }

    /// `14 mars au 17 mars 2026`, `Mar 14 - Mar 17, 2026`, `14.03.–17.03.2026`,
    /// `Mar 14-17, 2026`: a date without year, a range word, then a full date.
    fn range_from_partial(
        &self,
        a: &Atom,
        ta: Option<TimeHit>,
        a_end: usize,
        out: &mut Vec<FoundDate>,
    ) -> Option<usize> {
        let k = self.matches(a_end, Cat::Range)?;
        if let Some(b) = self.atom_wd(k, false) {
            if let (Some(year), Dm::Known { day, month }) = (b.year, b.dm) {
                let b_date = NaiveDate::from_ymd_opt(year, month, day)?;
                let a_date = self.inherit(a.dm, b_date, b.order)?;
                let tb = self.time_after(b.end);
                let b_end = tb.map_or(b.end, |t| t.end);
                out.push(self.found(a.first, a_end, a_date, ta));
                out.push(self.found(b.first, b_end, b_date, tb));
                return Some(b_end);
            }
        }
        // "Mar 14-17, 2026": the second end is only a day and the year.
        let Dm::Known { month, .. } = a.dm else {
            return None;
        };
        let day = self.day(k)?;
        let mut j = k + 1;
        if let Some(o) = self.ordinal(j) {
            j = o;
        }
        if self.is_punct(j, ',') {
            j += 1;
        }
        let year = match self.num(j)? {
            (y, 4) if YEARS.contains(&y) && self.right_ok(j + 1) => y as i32,
            _ => return None,
        };
        let b_date = NaiveDate::from_ymd_opt(year, month, day)?;
        let a_date = self.inherit(a.dm, b_date, None)?;
        let tb = self.time_after(j + 1);
        let b_end = tb.map_or(j + 1, |t| t.end);
        out.push(self.found(a.first, a_end, a_date, ta));
        out.push(self.found(k, b_end, b_date, tb));
        Some(b_end)
    }

    /// `14–17 Mar 2026`, `14.–17. März 2026`, `del 14 al 17 de marzo de 2026`: a bare day,
    /// a range word, and a full date whose month and year it shares.
    fn range_from_day(&self, i: usize, out: &mut Vec<FoundDate>) -> Option<usize> {
        let day = self.day(i)?;
        if !self.left_ok(i) {
            return None;
        }
        let a_end = self.ordinal(i + 1).unwrap_or(i + 1);
        let k = self.matches(a_end, Cat::Range)?;
        let b = self.atom_wd(k, false)?;
        let (Some(year), Dm::Known { day: b_day, month }) = (b.year, b.dm) else {
            return None;
        };
        if day >= b_day {
            return None;
        }
        let b_date = NaiveDate::from_ymd_opt(year, month, b_day)?;
        let a_date = NaiveDate::from_ymd_opt(year, month, day)?;
        let tb = self.time_after(b.end);
        let b_end = tb.map_or(b.end, |t| t.end);
        out.push(self.found(i, a_end, a_date, None));
        out.push(self.found(b.first, b_end, b_date, tb));
        Some(b_end)
    }

    /// The start of a range takes what it leaves out from the end; a start after the end means
    /// the range crosses New Year ("28.12.–03.01.2027").
    fn inherit(&self, dm: Dm, end: NaiveDate, order: Option<DateOrder>) -> Option<NaiveDate> {
        let (day, month) = match dm {
            Dm::Known { day, month } => (day, month),
            Dm::Pair(x, y) => {
                let (d, m, _) = resolve_pair(x, y, order.unwrap_or(self.order))?;
                (d, m)
            }
        };
        let year = end.year();
        let start = NaiveDate::from_ymd_opt(year, month, day)?;
        if start > end {
            NaiveDate::from_ymd_opt(year - 1, month, day)
        } else {
            Some(start)
        }
    }

    // ---- times ----

    /// "10:00 AM, March 14, 2026", "10 Uhr am 14.03.2026": a time, then its date.
    fn time_first(&self, i: usize) -> Option<(FoundDate, usize)> {
        let th = self.time_at(i, Mode::STRICT)?;
        let mut k = th.end;
        let mut joined = false;
        if let Some(j) = self.matches(k, Cat::TimeDate) {
            k = j;
            joined = true;
        }
        if !th.explicit && !joined {
            return None;
        }
        let a = self.atom_wd(k, !joined)?;
        let (Some(year), Dm::Known { day, month }) = (a.year, a.dm) else {
            return None;
        };
        // A date with its own time keeps it; this time belongs to something else.
        if self.time_after(a.end).is_some() {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(year, month, day)?;
        let mut found = self.found(a.first, a.end, date, Some(th));
        found.start = self.t.get(i).map_or(found.start, |t| t.start);
        Some((found, a.end))
    }

    /// The time after a date ending at `k`: ISO `T`, directly, or after one or two joiners
    /// ("at", "a las", ", um").
    fn time_after(&self, k: usize) -> Option<TimeHit> {
        if self.adj(k) && self.is_t(k) {
            return if self.adj(k + 1) {
                self.time_at(k + 1, Mode::ISO)
            } else {
                None
            };
        }
        if self.num(k).is_some() {
            return self.time_at(k, Mode::STRICT);
        }
        let j1 = self.matches(k, Cat::DateTime)?;
        let mut worded = self.is_word(k);
        if let Some(th) = self.time_at(j1, if worded { Mode::LENIENT } else { Mode::STRICT }) {
            return Some(th);
        }
        let j2 = self.matches(j1, Cat::DateTime)?;
        worded |= self.is_word(j1);
        self.time_at(j2, if worded { Mode::LENIENT } else { Mode::STRICT })
    }

    /// `10:00`, `10:00:00.000`, `10h00`, `10h`, `10 Uhr`, `10.30 Uhr`, `10am`, `10:00 p.m.`,
    /// then an optional zone.
    fn time_at(&self, i: usize, mode: Mode) -> Option<TimeHit> {
        let (mut hour, hlen) = self.num(i)?;
        if hlen > 2 || hour > 23 || (mode.check_left && !self.time_left_ok(i)) {
            return None;
        }
        let mut k = i + 1;
        let (mut min, mut sec) = (0, 0);
        let (mut has_min, mut dot, mut hour_word, mut seconds) = (false, false, false, false);
        if self.is_punct(k, ':') && self.adj(k) {
            min = minute(self.num_adj(k + 1))?;
            has_min = true;
            k += 2;
            if self.is_punct(k, ':') && self.adj(k) {
                if let Some(s) = minute(self.num_adj(k + 1)) {
                    sec = s;
                    seconds = true;
                    k += 2;
                    if matches!(self.punct(k), Some('.' | ','))
                        && self.adj(k)
                        && self.num_adj(k + 1).is_some()
                    {
                        k += 2;
                    }
                }
            }
        } else if self.is_punct(k, '.') && self.adj(k) && self.num_adj(k + 1).is_some() {
            min = minute(self.num_adj(k + 1))?;
            has_min = true;
            dot = true;
            k += 2;
        } else if self.adj(k) {
            if let Some(j) = self.matches(k, Cat::Hour) {
                hour_word = true;
                k = j;
                if let Some(m) = minute(self.num_adj(j)) {
                    min = m;
                    has_min = true;
                    k = j + 1;
                }
            }
        }
        if !hour_word {
            if let Some(j) = self.matches(k, Cat::Hour) {
                hour_word = true;
                k = j;
                // "9 h 00"
                if !has_min {
                    if let Some(m) = minute(self.num(j)) {
                        if !matches!(self.punct(j + 1), Some(':' | '.' | '/')) || !self.adj(j + 1) {
                            min = m;
                            has_min = true;
                            k = j + 1;
                        }
                    }
                }
            }
        }
        let mut pm = None;
        if let Some(j) = self.matches(k, Cat::Am).filter(|&j| self.marker_ok(k, j)) {
            pm = Some(false);
            k = j;
        } else if let Some(j) = self.matches(k, Cat::Pm) {
            pm = Some(true);
            k = j;
        }
        if !has_min && !hour_word && pm.is_none() {
            return None;
        }
        if dot && !hour_word && pm.is_none() && !mode.dot_ok {
            return None;
        }
        // "17.03.2026" is no time 17:03; "10:00/..." no clean end.
        if matches!(self.punct(k), Some('.' | ':' | '/'))
            && self.adj(k)
            && self.num_adj(k + 1).is_some()
        {
            return None;
        }
        match pm {
            Some(false) if hour == 12 => hour = 0,
            Some(true) if hour < 12 => hour += 12,
            _ => {}
        }
        let time = NaiveTime::from_hms_opt(hour, min, sec)?;
        let (offset, end) = match self.zone(k, mode.iso || seconds) {
            Some((o, e)) => (Some(o), e),
            None => (None, k),
        };
        Some(TimeHit {
            time,
            offset,
            end,
            explicit: has_min || pm.is_some(),
        })
    }

    /// German "12:00 am Flughafen" means "at the airport", not midnight: a lower-case `am`
    /// followed by a capitalised word is not the AM marker.
    fn marker_ok(&self, k: usize, j: usize) -> bool {
        if j != k + 1 || self.src(k) != "am" {
            return true;
        }
        let next_cap = self.t.get(j).is_some_and(|t| t.space_before)
            && self.is_word(j)
            && self.src(j).chars().next().is_some_and(char::is_uppercase);
        !next_cap
    }

    /// `Z`, `+01:00`, `+0100`, `-05:00` (ISO only), `-0800` (after seconds), `CET`, `UTC+1`,
    /// `(CEST)`.
    fn zone(&self, k: usize, iso: bool) -> Option<(i32, usize)> {
        let tok = self.t.get(k)?;
        match tok.kind {
            TokKind::Word(_) => {
                let s = self.src(k);
                if s == "Z" && !tok.space_before {
                    return Some((0, k + 1));
                }
                let base = self.lex.zone(s)?;
                if base == 0 {
                    if let Some(hit) = self.signed_offset(k + 1, true) {
                        return Some(hit);
                    }
                }
                Some((base, k + 1))
            }
            TokKind::Punct('(') => {
                let (off, e) = self.zone(k + 1, false)?;
                self.is_punct(e, ')').then_some((off, e + 1))
            }
            TokKind::Punct('+') => self.signed_offset(k, iso),
            // `-05:00` right after an ISO time; `-0800` after seconds (RFC 2822 mail dates).
            // Anything else with a minus is more likely a range ("10:00 - 12:00").
            TokKind::Punct('-') if iso && !tok.space_before => self.signed_offset(k, true),
            TokKind::Punct('-') if iso && matches!(self.num_adj(k + 1), Some((_, 4))) => {
                self.signed_offset(k, false)
            }
            _ => None,
        }
    }

    /// `+01:00`, `+0100`, and with `short_ok` `+1`, `-05`.
    fn signed_offset(&self, k: usize, short_ok: bool) -> Option<(i32, usize)> {
        let sign = match self.punct(k)? {
            '+' => 1,
            '-' => -1,
            _ => return None,
        };
        let (h, hlen) = self.num_adj(k + 1)?;
        let (hh, mm, end) = match hlen {
            4 => (h / 100, h % 100, k + 2),
            1 | 2 if self.is_punct(k + 2, ':') && self.adj(k + 2) => {
                (h, minute(self.num_adj(k + 3))?, k + 4)
            }
            1 | 2 if short_ok => (h, 0, k + 2),
            _ => return None,
        };
        if hh > 14 || mm > 59 {
            return None;
        }
        Some((sign * (hh * 3600 + mm * 60) as i32, end))
    }
}

/// Two-digit minutes or seconds.
fn minute(n: Option<(u32, u8)>) -> Option<u32> {
    match n? {
        (m, 2) if m < 60 => Some(m),
        _ => None,
    }
}

/// Day and month of a numeric date with parts `a`, `b` (year last), and the order used.
fn resolve_pair(a: u32, b: u32, order: DateOrder) -> Option<(u32, u32, DateOrder)> {
    match (a > 12, b > 12) {
        (true, true) => None,
        (true, false) => Some((a, b, DateOrder::Dmy)),
        (false, true) => Some((b, a, DateOrder::Mdy)),
        (false, false) if order == DateOrder::Mdy => Some((b, a, DateOrder::Mdy)),
        (false, false) => Some((a, b, DateOrder::Dmy)),
    }
}

/// A year written with 4 digits, or 2 (→ 20xx).
fn year_of(value: u32, len: u8) -> Option<i32> {
    match len {
        4 if YEARS.contains(&value) => Some(value as i32),
        2 => Some(2000 + value as i32),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America::New_York, Europe::Berlin};

    fn lex() -> &'static Lexicon {
        Lexicon::builtin()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn one(text: &str, order: DateOrder) -> FoundDate {
        let found = find_datetimes(text, order, lex());
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        let f = found.into_iter().next().unwrap();
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        f
    }

    /// One case a line: `text => date time [offset] [@ span]`; the span defaults to the whole
    /// text, `-` means no time. Numeric dates are read DMY except `03/14/2026` (a part > 12).
    const CASES: &str = "
14 Mar 2026 10:00                       => 2026-03-14 10:00
14 March 2026, 10:00                    => 2026-03-14 10:00
Mar 14, 2026 10:00 AM                   => 2026-03-14 10:00
March 14th, 2026 at 10:00 am            => 2026-03-14 10:00
Saturday, March 14, 2026 at 10:00 AM    => 2026-03-14 10:00
03/14/2026 10:00 AM                     => 2026-03-14 10:00
14/03/2026 10:00                        => 2026-03-14 10:00
14.03.2026, 10:00 Uhr                   => 2026-03-14 10:00
14.03.2026 um 10:00                     => 2026-03-14 10:00
Sa., 14.03.2026 10:00                   => 2026-03-14 10:00
14. März 2026, 10:00 Uhr                => 2026-03-14 10:00
samedi 14 mars 2026 à 10h00             => 2026-03-14 10:00
14 mars 2026 à 10h                      => 2026-03-14 10:00
le 14/03/2026 à 10h30                   => 2026-03-14 10:30 @ 14/03/2026 à 10h30
sábado, 14 de marzo de 2026, 10:00      => 2026-03-14 10:00
14 de marzo de 2026 a las 10:00         => 2026-03-14 10:00
14/03/2026 10:00h                       => 2026-03-14 10:00
2026-03-14 10:00                        => 2026-03-14 10:00
2026-03-14T10:00:00+01:00               => 2026-03-14 10:00 +3600
2026-03-14T09:00:00Z                    => 2026-03-14 09:00 +0
2026-03-14T10:00:00.000-05:00           => 2026-03-14 10:00 -18000
14-03-2026 10:00                        => 2026-03-14 10:00
14 mar. 2026 10:00                      => 2026-03-14 10:00
sabato 14 marzo 2026 ore 10:00          => 2026-03-14 10:00
za 14 maart 2026 10:00                  => 2026-03-14 10:00
14 de março de 2026 às 10h00            => 2026-03-14 10:00
14/3/26                                 => 2026-03-14 -
10:00 AM, March 14, 2026                => 2026-03-14 10:00
14 Mar 2026 10:00 CET                   => 2026-03-14 10:00 +3600
March 14, 2026 10 pm                    => 2026-03-14 22:00
March 14, 2026 12:00 PM                 => 2026-03-14 12:00
March 14, 2026 12:00 AM                 => 2026-03-14 00:00
Abholung am 14.03.2026 um 10.30 Uhr.    => 2026-03-14 10:30 @ 14.03.2026 um 10.30 Uhr
SAMEDI 14 MARS 2026                     => 2026-03-14 -
mar. 14 mars 2026 à 9h                  => 2026-03-14 09:00
lundi 2 mars 2026 à 9 h 00              => 2026-03-02 09:00
14 fevrier 2026                         => 2026-02-14 -
14 févr. 2026 18:45                     => 2026-02-14 18:45
1er mars 2026                           => 2026-03-01 -
14-Mar-26                               => 2026-03-14 -
the 14th of March 2026                  => 2026-03-14 - @ 14th of March 2026
14 Sept. 2026                           => 2026-09-14 -
14 set 2026 alle 10:00                  => 2026-09-14 10:00
14 dic 2026                             => 2026-12-14 -
14 Mrz 2026                             => 2026-03-14 -
Mi., 11.03.26 um 8 Uhr                  => 2026-03-11 08:00
10 Uhr am 14.03.2026                    => 2026-03-14 10:00
14:35 on 14 Mar 2026                    => 2026-03-14 14:35
14.03.2026 12:00 am Flughafen           => 2026-03-14 12:00 @ 14.03.2026 12:00
Rückgabe 17.03.2026 bis 18:00 Uhr       => 2026-03-17 18:00 @ 17.03.2026 bis 18:00 Uhr
Pickup: 14 Mar 2026 10:00 UTC+1         => 2026-03-14 10:00 +3600 @ 14 Mar 2026 10:00 UTC+1
14 Mar 2026 10:00 (CEST)                => 2026-03-14 10:00 +7200
Mar 14, 2026 9:30 a.m. PDT              => 2026-03-14 09:30 -25200
Jan 5, 2026 at 3:45 PM EST              => 2026-01-05 15:45 -18000
Tue, 17 Feb 2026 08:12:44 -0800         => 2026-02-17 08:12 -28800
14 de marzo de 2026, 5 p. m.            => 2026-03-14 17:00
20260314T090000Z                        => 2026-03-14 09:00 +0
DTSTART;TZID=Europe/Berlin:20260314T100000 => 2026-03-14 10:00 @ 20260314T100000
Datum: 14.03.2026Uhrzeit: 10:00         => 2026-03-14 - @ 14.03.2026
";

    fn render(f: &FoundDate) -> String {
        let time = f
            .time
            .map_or("-".to_string(), |t| t.format("%H:%M").to_string());
        let offset = f.offset.map_or(String::new(), |o| format!(" {o:+}"));
        format!("{} {time}{offset}", f.date)
    }

    #[test]
    fn required_formats() {
        for line in CASES.lines().filter(|l| !l.trim().is_empty()) {
            let (text, want) = line.split_once("=>").unwrap();
            let text = text.trim();
            let (want, span) = match want.split_once('@') {
                Some((w, s)) => (w.trim(), s.trim()),
                None => (want.trim(), text),
            };
            let order = if text.starts_with("03/") {
                DateOrder::Mdy
            } else {
                DateOrder::Dmy
            };
            let f = one(text, order);
            assert_eq!(render(&f), want, "{text}");
            assert_eq!(&text[f.start..f.end], span, "{text}");
        }
    }

    #[test]
    fn numeric_order() {
        let f = |s, o| one(s, o).date;
        assert_eq!(f("03/04/2026", DateOrder::Dmy), d(2026, 4, 3));
        assert_eq!(f("03/04/2026", DateOrder::Mdy), d(2026, 3, 4));
        assert_eq!(f("03/04/2026", DateOrder::Ymd), d(2026, 4, 3));
        // A part above 12 decides, whatever the order says.
        assert_eq!(f("13/04/2026", DateOrder::Mdy), d(2026, 4, 13));
        assert_eq!(f("04/13/2026", DateOrder::Dmy), d(2026, 4, 13));
        assert_eq!(f("26/03/14", DateOrder::Ymd), d(2026, 3, 14));
        assert_eq!(f("2026/03/14", DateOrder::Mdy), d(2026, 3, 14));
        assert_eq!(f("2026.03.14", DateOrder::Dmy), d(2026, 3, 14));
    }

    fn pair(text: &str) -> (FoundDate, FoundDate) {
        let found = find_datetimes(text, DateOrder::Dmy, lex());
        assert_eq!(found.len(), 2, "{text}: {found:?}");
        assert!(found[0].end <= found[1].start, "{text}: overlap");
        (found[0].clone(), found[1].clone())
    }

    #[test]
    fn ranges_give_two_dates() {
        for text in [
            "14–17 Mar 2026",
            "14.03.–17.03.2026",
            "Mar 14 - Mar 17, 2026",
            "14/03/2026 - 17/03/2026",
            "14 mars au 17 mars 2026",
            "del 14 al 17 de marzo de 2026",
            "14.–17. März 2026",
            "Mar 14-17, 2026",
            "14 - 17 March 2026",
            "Sa 14.03. - Di 17.03.2026",
            "dal 14 al 17 marzo 2026",
            "van 14 tot 17 maart 2026",
            "de 14 a 17 de março de 2026",
            "14 March to 17 March 2026",
            "14.03.2026-17.03.2026",
            "2026-03-14 – 2026-03-17",
            "14 bis 17. März 2026",
        ] {
            let (a, b) = pair(text);
            assert_eq!(a.date, d(2026, 3, 14), "{text}");
            assert_eq!(b.date, d(2026, 3, 17), "{text}");
        }
        let (a, _) = pair("14.–17. März 2026");
        assert_eq!((a.start, a.end), (0, 3));
    }

    #[test]
    fn ranges_with_times_and_new_year() {
        let (a, b) = pair("14.03. 10:00 – 17.03.2026 18:00");
        assert_eq!((a.date, a.time), (d(2026, 3, 14), Some(t(10, 0))));
        assert_eq!((b.date, b.time), (d(2026, 3, 17), Some(t(18, 0))));
        let (a, b) = pair("28.12.–03.01.2027");
        assert_eq!((a.date, b.date), (d(2026, 12, 28), d(2027, 1, 3)));
        let (a, b) = pair("Pickup 14/03/2026 10:00, return 17/03/2026 09:30");
        assert_eq!(a.time, Some(t(10, 0)));
        assert_eq!((b.date, b.time), (d(2026, 3, 17), Some(t(9, 30))));
        // US order carries over to the start of the range.
        let found = find_datetimes("03/14 - 03/17/2026", DateOrder::Dmy, lex());
        assert_eq!(found[0].date, d(2026, 3, 14));
    }

    #[test]
    fn yearless_dates_take_the_year_from_when_the_text_was_written() {
        let near = |text: &str, order, written| find_datetimes_near(text, order, lex(), written);
        let may = Some(d(2026, 5, 13));
        let found = near("Reservation P. Brown 05/23-06/02", DateOrder::Mdy, may);
        let got: Vec<NaiveDate> = found.iter().map(|f| f.date).collect();
        assert_eq!(got, vec![d(2026, 5, 23), d(2026, 6, 2)]);
        let found = near(
            "Pick-up: Sat 14 Mar, 10:00",
            DateOrder::Dmy,
            Some(d(2026, 2, 20)),
        );
        assert_eq!(
            (found[0].date, found[0].time),
            (d(2026, 3, 14), Some(t(10, 0)))
        );
        // written in December about January: next year; a few weeks back: the same year
        let found = near("pick-up 3 Jan", DateOrder::Dmy, Some(d(2026, 12, 20)));
        assert_eq!(found[0].date, d(2027, 1, 3));
        let found = near("picked up on 14.03.", DateOrder::Dmy, Some(d(2026, 4, 1)));
        assert_eq!(found[0].date, d(2026, 3, 14));
        // a range that crosses New Year
        let found = near("28 Dec - 3 Jan", DateOrder::Dmy, Some(d(2026, 11, 1)));
        assert_eq!(
            (found[0].date, found[1].date),
            (d(2026, 12, 28), d(2027, 1, 3))
        );
        // a full date is never moved, and amounts and counts stay what they are
        let found = near("14.03.2025", DateOrder::Dmy, may);
        assert_eq!(found[0].date, d(2025, 3, 14));
        for text in ["15.06 EUR", "12.50", "Room 5 to 12", "3-4 days", "10:00"] {
            assert!(near(text, DateOrder::Dmy, may).is_empty(), "{text}");
        }
        // without a reference a year-less date is still no date
        assert!(near("Sat 14 Mar, 10:00", DateOrder::Dmy, None).is_empty());
    }

    #[test]
    fn not_dates() {
        for text in [
            "+49 170 1234567",
            "(555) 123-4567",
            "1.234,50",
            "12.50",
            "BK-2026-0314",
            "#20260314",
            "20260314",
            "10:00",
            "22:15 Uhr",
            "Version 1.2.3",
            "v2.10.14",
            "192.168.1.10",
            "31/02/2026",
            "30.02.2026 10:00",
            "14.03.",
            "Mar 14",
            "March 2026",
            "14 mars",
            "12/50/2026",
            "Total 1.234.567,89 EUR",
            "Room 5 to 12",
            "",
            "no digits here",
        ] {
            let found = find_datetimes(text, DateOrder::Dmy, lex());
            assert!(found.is_empty(), "{text}: {found:?}");
        }
    }

    #[test]
    fn dates_in_running_text() {
        let text = "Booking BK-2026-0314 confirmed. Pick-up: Sat, 14 Mar 2026 10:00, \
                    return: Tue, 17 Mar 2026 09:00. Total 1.234,50 EUR, call +49 170 1234567.";
        let found = find_datetimes(text, DateOrder::Dmy, lex());
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            &text[found[0].start..found[0].end],
            "Sat, 14 Mar 2026 10:00"
        );
        assert_eq!(
            &text[found[1].start..found[1].end],
            "Tue, 17 Mar 2026 09:00"
        );
        let first = parse_datetime(text, DateOrder::Dmy, lex()).unwrap();
        assert_eq!(first, found[0]);
    }

    #[test]
    fn non_ascii_text_is_safe() {
        let text = "Réservation ✓ — 14 März 2026 um 10 Uhr 😀 ß";
        let found = find_datetimes(text, DateOrder::Dmy, lex());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].time, Some(t(10, 0)));
        assert!(text.is_char_boundary(found[0].start) && text.is_char_boundary(found[0].end));
    }

    /// Random mixes of date pieces, digits and multi-byte characters never panic and always
    /// give ordered, non-overlapping spans on char boundaries.
    #[test]
    fn random_text_is_safe() {
        const PIECES: &[&str] = &[
            "14", "03", "2026", "26", "1", "12", "31", ".", "/", "-", "–", ":", ",", " ", "  ",
            "T", "Z", "+", "(", ")", "März", "mar.", "de", "al", "au", "h", "Uhr", "am", "PM",
            "a. m.", "CET", "UTC", "Sa.", "é", "😀", "\u{301}", "\u{a0}", "th", "º", "00",
            "20260314", "€", "$", "1.234,50", "kr", "EUR", "'", "a", "bis",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let n = (next() % 14) as usize;
            let text: String = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let found = find_datetimes(&text, DateOrder::Dmy, lex());
            let mut last = 0;
            for f in &found {
                assert!(f.start >= last && f.start <= f.end, "{text:?}: {found:?}");
                assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
                last = f.end;
            }
            let _ = parse_time(&text, lex());
            for a in crate::extract::amounts::find_amounts(&text) {
                assert!(
                    text.is_char_boundary(a.start) && text.is_char_boundary(a.end),
                    "{text:?}"
                );
                assert!(a.start < a.end);
            }
            let _ = crate::extract::amounts::parse_amount(&text, "EUR");
        }
    }

    #[test]
    fn bare_times() {
        let p = |s| parse_time(s, lex());
        assert_eq!(p("10:00"), Some(t(10, 0)));
        assert_eq!(p("10h00"), Some(t(10, 0)));
        assert_eq!(p("10h"), Some(t(10, 0)));
        assert_eq!(p("10 Uhr"), Some(t(10, 0)));
        assert_eq!(p("10:00 AM"), Some(t(10, 0)));
        assert_eq!(p("10.30 Uhr"), Some(t(10, 30)));
        assert_eq!(p("22:15"), Some(t(22, 15)));
        assert_eq!(p("10am"), Some(t(10, 0)));
        assert_eq!(p("10 pm"), Some(t(22, 0)));
        assert_eq!(p("12:00 PM"), Some(t(12, 0)));
        assert_eq!(p("12:00 AM"), Some(t(0, 0)));
        assert_eq!(p("7:05 p.m."), Some(t(19, 5)));
        assert_eq!(
            p("ab 14:30:15"),
            Some(NaiveTime::from_hms_opt(14, 30, 15).unwrap())
        );
        assert_eq!(p("Abholung: 14.03.2026 09:15"), Some(t(9, 15)));
        assert_eq!(p("10"), None);
        assert_eq!(p("25:00"), None);
        assert_eq!(p("10:75"), None);
        assert_eq!(p("none"), None);
    }

    #[test]
    fn dst_gap_and_ambiguity() {
        let ts = |y, mo, da, h, mi, tz| local_to_utc(d(y, mo, da), t(h, mi), tz);
        let utc = |y, mo, da, h, mi| d(y, mo, da).and_time(t(h, mi)).and_utc().timestamp();
        // Berlin: 02:30 on 29 Mar 2026 does not exist → 03:30 CEST = 01:30 UTC.
        assert_eq!(ts(2026, 3, 29, 2, 30, Berlin), utc(2026, 3, 29, 1, 30));
        // 02:30 on 25 Oct 2026 happens twice → the earlier (CEST) = 00:30 UTC.
        assert_eq!(ts(2026, 10, 25, 2, 30, Berlin), utc(2026, 10, 25, 0, 30));
        assert_eq!(ts(2026, 3, 14, 10, 0, Berlin), utc(2026, 3, 14, 9, 0));
        // New York: 02:30 on 8 Mar 2026 → 03:30 EDT = 07:30 UTC; 01:30 on 1 Nov 2026 → EDT.
        assert_eq!(ts(2026, 3, 8, 2, 30, New_York), utc(2026, 3, 8, 7, 30));
        assert_eq!(ts(2026, 11, 1, 1, 30, New_York), utc(2026, 11, 1, 5, 30));
    }

    #[test]
    fn resolve_uses_offset_then_zone_then_default_time() {
        let utc = |h, mi| d(2026, 3, 14).and_time(t(h, mi)).and_utc().timestamp();
        let f = one("2026-03-14T10:00:00+01:00", DateOrder::Dmy);
        assert_eq!(resolve(&f, New_York, NaiveTime::MIN), utc(9, 0));
        let f = one("14.03.2026 10:00", DateOrder::Dmy);
        assert_eq!(resolve(&f, Berlin, NaiveTime::MIN), utc(9, 0));
        let f = one("14.03.2026", DateOrder::Dmy);
        assert_eq!(resolve(&f, Berlin, NaiveTime::MIN), utc(0, 0) - 3600);
        assert_eq!(resolve(&f, chrono_tz::UTC, t(12, 0)), utc(12, 0));
    }
}
