//! Calendar importer: `.ics` files → [`RawEvent`]s.
//!
//! Real calendar exports (Google, Outlook/Exchange, Apple, booking tools) are messy, and
//! `icalendar` 0.17 rejects a whole file for one bad line. So the file is read in stages, each
//! of which can only lose the record that is actually broken:
//!
//! 1. [`Unfolded`]: strip a BOM, unfold continuation lines at the byte level (some producers
//!    fold inside a multi-byte character), then decode UTF-8 lossily.
//! 2. [`scan`]: find the VCALENDAR / VTIMEZONE / VEVENT blocks by their BEGIN/END lines; junk
//!    between components and concatenated VCALENDARs are simply walked over.
//! 3. Each VEVENT is parsed on its own by `icalendar` (in parallel); when `icalendar` refuses
//!    it, a small content-line reader ([`parse_fallback`]) recovers it if it has a UID and a
//!    DTSTART, otherwise it becomes a [`Rejected`] naming its line and UID.
//! 4. Times are resolved here, not by `icalendar` (which cannot resolve Windows zone names,
//!    `/mozilla.org/...` TZIDs or custom VTIMEZONEs), and only the newest version of each
//!    (UID, RECURRENCE-ID) is kept.

mod windows_zones;

use std::borrow::Cow;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::OnceLock;

use chrono::{
    DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, SecondsFormat, TimeDelta,
    TimeZone,
};
use chrono_tz::Tz;
use icalendar::parser;
use rayon::prelude::*;

use super::{CalTime, RawEvent};
use crate::evidence::{Rejected, Source, Timestamp};

/// Reads one .ics file. `tenant` is the plan's tenant slug when the file belongs to one tenant.
/// Returns the events (newest version per (UID, RECURRENCE-ID), sorted by UID then recurrence id)
/// and the rejected records. Never fails for bad content; only I/O errors on the file itself
/// are returned as Rejected too (file, "file", reason).
pub fn read_file(path: &Path, tenant: Option<&str>) -> (Vec<RawEvent>, Vec<Rejected>) {
    let file = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => parse_bytes(&bytes, &file, tenant),
        Err(e) => (
            Vec::new(),
            vec![Rejected::new(
                Source::Calendar,
                file,
                "file",
                format!("cannot read: {e}"),
            )],
        ),
    }
}

/// Same from text already in memory (`file` names it in positions/rejections).
pub fn parse_bytes(
    bytes: &[u8],
    file: &str,
    tenant: Option<&str>,
) -> (Vec<RawEvent>, Vec<Rejected>) {
    let unfolded = Unfolded::new(bytes);
    let lines: Vec<&str> = unfolded.text.split('\n').collect();
    let layout = scan(&lines);
    if layout.events.is_empty() && !layout.saw_calendar {
        let reject = Rejected::new(
            Source::Calendar,
            file,
            "file",
            "not an iCalendar file: no BEGIN:VCALENDAR or BEGIN:VEVENT",
        );
        return (Vec::new(), vec![reject]);
    }
    let zones: Vec<ZoneTable> = layout
        .calendars
        .iter()
        .map(|cal| ZoneTable::new(&cal.timezones, &lines))
        .collect();
    let ctx = EventContext {
        file: file.into(),
        tenant,
        lines: &lines,
        phys: &unfolded.phys,
        calendars: &layout.calendars,
        zones: &zones,
    };
    let outcomes: Vec<Result<RawEvent, Rejected>> = layout
        .events
        .par_iter()
        .map(|block| read_event(&ctx, block))
        .collect();

    let mut events = Vec::with_capacity(outcomes.len());
    let mut rejected = Vec::new();
    for (ordinal, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(event) => events.push((ordinal, event)),
            Err(reject) => rejected.push(reject),
        }
    }
    let mut events = newest_versions(events);
    mark_recurring_overrides(&mut events);
    (events, rejected)
}

// ---------------------------------------------------------------------------------------------
// Stage 1: bytes → logical lines
// ---------------------------------------------------------------------------------------------

/// The file as logical (unfolded) lines, with the physical line each one starts on so that
/// positions point at the original file.
struct Unfolded {
    /// Logical lines joined by `\n` (no `\r`).
    text: String,
    /// 1-based physical line of each logical line.
    phys: Vec<usize>,
}

impl Unfolded {
    fn new(bytes: &[u8]) -> Unfolded {
        let bytes = decode_bom(bytes);
        // Classic Mac files end lines with a bare CR; everything else has LF.
        let separator = if !bytes.contains(&b'\n') && bytes.contains(&b'\r') {
            b'\r'
        } else {
            b'\n'
        };
        let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
        let mut phys = Vec::new();
        for (idx, raw) in bytes.split(|b| *b == separator).enumerate() {
            let line = trim_trailing_cr(raw);
            match line.split_first() {
                // Folding is done on bytes, before decoding: a fold may split a UTF-8 sequence.
                Some((b' ' | b'\t', rest)) if !phys.is_empty() => out.extend_from_slice(rest),
                _ => {
                    if !phys.is_empty() {
                        out.push(b'\n');
                    }
                    out.extend_from_slice(line);
                    phys.push(idx + 1);
                }
            }
        }
        let text = match String::from_utf8(out) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        Unfolded { text, phys }
    }
}

/// Drops a UTF-8 BOM (which `icalendar` chokes on) and decodes UTF-16 files (some Windows
/// tools save .ics as "Unicode").
fn decode_bom(bytes: &[u8]) -> Cow<'_, [u8]> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return Cow::Borrowed(rest);
    }
    let utf16 = |rest: &[u8], little: bool| {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|pair| match pair {
                [a, b] if little => u16::from_le_bytes([*a, *b]),
                [a, b] => u16::from_be_bytes([*a, *b]),
                _ => 0xFFFD,
            })
            .collect();
        Cow::Owned(String::from_utf16_lossy(&units).into_bytes())
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false);
    }
    Cow::Borrowed(bytes)
}

fn trim_trailing_cr(mut line: &[u8]) -> &[u8] {
    while let Some(rest) = line.strip_suffix(b"\r") {
        line = rest;
    }
    line
}

// ---------------------------------------------------------------------------------------------
// Stage 2: find the components
// ---------------------------------------------------------------------------------------------

/// A component's logical lines `first..end`, BEGIN line included.
#[derive(Debug, Clone, Copy)]
struct Block {
    /// Index into [`Layout::calendars`].
    cal: usize,
    first: usize,
    end: usize,
}

#[derive(Debug, Default)]
struct CalendarInfo {
    timezones: Vec<Block>,
    /// `METHOD:CANCEL` (an iTIP cancellation): its events are cancelled even without STATUS.
    cancel: bool,
}

#[derive(Debug)]
struct Layout {
    /// Index 0 collects components found outside any VCALENDAR.
    calendars: Vec<CalendarInfo>,
    events: Vec<Block>,
    saw_calendar: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Marker<'a> {
    Begin(&'a str),
    End(&'a str),
}

/// `BEGIN:NAME` / `END:NAME` (case-insensitive, as RFC 5545 allows).
fn marker(line: &str) -> Option<Marker<'_>> {
    let (key, name) = line.trim().split_once(':')?;
    let name = name.trim();
    if key.trim().eq_ignore_ascii_case("BEGIN") {
        Some(Marker::Begin(name))
    } else if key.trim().eq_ignore_ascii_case("END") {
        Some(Marker::End(name))
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum BlockKind {
    Event,
    Timezone,
}

impl BlockKind {
    fn name(self) -> &'static str {
        match self {
            BlockKind::Event => "VEVENT",
            BlockKind::Timezone => "VTIMEZONE",
        }
    }
}

/// Walks the lines once. A component is closed by its END line, or — when that is missing —
/// by the next BEGIN:VEVENT / VTIMEZONE / VCALENDAR, END:VCALENDAR or the end of the file, so a
/// truncated event cannot swallow the ones after it.
fn scan(lines: &[&str]) -> Layout {
    let mut layout = Layout {
        calendars: vec![CalendarInfo::default()],
        events: Vec::new(),
        saw_calendar: false,
    };
    let mut cal = 0;
    let mut open: Option<(BlockKind, usize)> = None;
    // Nesting depth of other components (VTODO, VJOURNAL, ...) at calendar level.
    let mut other_depth = 0usize;

    let close = |layout: &mut Layout, open: &mut Option<(BlockKind, usize)>, cal, end| {
        if let Some((kind, first)) = open.take() {
            let block = Block { cal, first, end };
            match kind {
                BlockKind::Event => layout.events.push(block),
                BlockKind::Timezone => {
                    if let Some(info) = layout.calendars.get_mut(cal) {
                        info.timezones.push(block);
                    }
                }
            }
        }
    };

    for (i, line) in lines.iter().enumerate() {
        let mark = marker(line);
        if let Some((kind, _)) = open {
            match mark {
                Some(Marker::End(name)) if name.eq_ignore_ascii_case(kind.name()) => {
                    close(&mut layout, &mut open, cal, i + 1);
                    continue;
                }
                Some(Marker::Begin(name))
                    if name.eq_ignore_ascii_case("VCALENDAR")
                        || name.eq_ignore_ascii_case("VEVENT")
                        || name.eq_ignore_ascii_case("VTIMEZONE") =>
                {
                    close(&mut layout, &mut open, cal, i);
                }
                Some(Marker::End(name)) if name.eq_ignore_ascii_case("VCALENDAR") => {
                    close(&mut layout, &mut open, cal, i);
                }
                _ => continue,
            }
        }
        match mark {
            Some(Marker::Begin(name)) if name.eq_ignore_ascii_case("VCALENDAR") => {
                layout.calendars.push(CalendarInfo::default());
                cal = layout.calendars.len() - 1;
                layout.saw_calendar = true;
                other_depth = 0;
            }
            Some(Marker::Begin(name)) if name.eq_ignore_ascii_case("VEVENT") => {
                open = Some((BlockKind::Event, i));
                other_depth = 0;
            }
            Some(Marker::Begin(name)) if name.eq_ignore_ascii_case("VTIMEZONE") => {
                open = Some((BlockKind::Timezone, i));
            }
            Some(Marker::End(name)) if name.eq_ignore_ascii_case("VCALENDAR") => other_depth = 0,
            Some(Marker::Begin(_)) => other_depth += 1,
            Some(Marker::End(_)) => other_depth = other_depth.saturating_sub(1),
            None if other_depth == 0 => {
                if let Some(prop) = parse_content_line(line) {
                    if prop.name == "METHOD" && prop.value.trim().eq_ignore_ascii_case("CANCEL") {
                        if let Some(info) = layout.calendars.get_mut(cal) {
                            info.cancel = true;
                        }
                    }
                }
            }
            None => {}
        }
    }
    close(&mut layout, &mut open, cal, lines.len());
    layout
}

// ---------------------------------------------------------------------------------------------
// Stage 3: one component → properties
// ---------------------------------------------------------------------------------------------

/// A parsed component, whichever reader produced it. Names are upper case; values are raw
/// (escapes still in), so that TEXT unescaping is done once, correctly, by [`unescape_text`].
#[derive(Debug, Default, Clone, PartialEq)]
struct Comp {
    name: String,
    props: Vec<Prop>,
    children: Vec<Comp>,
}

#[derive(Debug, Clone, PartialEq)]
struct Prop {
    name: String,
    /// (upper-case key, value without quotes).
    params: Vec<(String, String)>,
    value: String,
}

impl Comp {
    fn prop(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.prop(name).map(|p| p.value.as_str())
    }
}

impl Prop {
    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Stands in for `\` while `icalendar` parses: its TEXT unescaping replaces `\\` before `\n`,
/// so `C:\\new` would come back with a newline. With no backslash in sight it leaves values
/// raw, and we unescape them ourselves. U+FDD0 is a Unicode noncharacter, never in real text.
const SHIELD: char = '\u{FDD0}';

/// Why `icalendar` refused a component, worded for `rejected.csv` (nom's error codes mean
/// nothing to the person fixing the file).
#[derive(Debug)]
struct Refusal {
    /// The offending line as an index into the component's lines, when it points at one.
    line: Option<usize>,
    what: String,
}

/// Parses one component (BEGIN..END lines) with `icalendar`; when it refuses, reads it with
/// [`parse_fallback`] and also says why `icalendar` refused.
fn parse_block(lines: &[&str]) -> (Comp, Option<Refusal>) {
    let mut text = lines.join("\n");
    text.push('\n');
    if text.contains(SHIELD) {
        // Cannot shield backslashes reliably: our own reader is exact anyway.
        return (parse_fallback(lines), None);
    }
    let shielded = if text.contains('\\') {
        Cow::Owned(text.replace('\\', SHIELD.encode_utf8(&mut [0; 4])))
    } else {
        Cow::Borrowed(text.as_str())
    };
    match parser::read_calendar_simple(&shielded) {
        Ok(components) if components.len() == 1 => match components.into_iter().next() {
            Some(component) => (from_icalendar(&component), None),
            None => (parse_fallback(lines), None),
        },
        Ok(components) => {
            let refusal = Refusal {
                line: None,
                what: format!("{} components where one was expected", components.len()),
            };
            (parse_fallback(lines), Some(refusal))
        }
        Err(e) if e.input.trim().is_empty() => {
            let refusal = Refusal {
                line: None,
                what: "truncated: no END line".to_owned(),
            };
            (parse_fallback(lines), Some(refusal))
        }
        Err(e) => {
            let offset = shielded.len().saturating_sub(e.input.len());
            let line = shielded
                .as_bytes()
                .get(..offset)
                .map_or(0, |before| before.iter().filter(|b| **b == b'\n').count());
            let snippet: String = lines
                .get(line)
                .map_or("", |l| l.trim())
                .chars()
                .take(60)
                .collect();
            let refusal = Refusal {
                line: Some(line),
                what: format!("icalendar cannot parse `{snippet}`"),
            };
            (parse_fallback(lines), Some(refusal))
        }
    }
}

fn unshield(s: &str) -> String {
    if s.contains(SHIELD) {
        s.replace(SHIELD, "\\")
    } else {
        s.to_owned()
    }
}

fn from_icalendar(component: &parser::Component<'_>) -> Comp {
    Comp {
        name: component.name.as_str().to_ascii_uppercase(),
        props: component
            .properties
            .iter()
            .map(|p| Prop {
                name: p.name.as_str().to_ascii_uppercase(),
                params: p
                    .params
                    .iter()
                    .map(|param| {
                        let value = param.val.as_ref().map_or("", |v| v.as_str());
                        (
                            param.key.as_str().to_ascii_uppercase(),
                            unshield(unquote(value)),
                        )
                    })
                    .collect(),
                value: unshield(p.val.as_str()),
            })
            .collect(),
        children: component.components.iter().map(from_icalendar).collect(),
    }
}

/// Minimal reader for what `icalendar` refuses: one property per line, nested components by
/// BEGIN/END, lines without a `name:` shape skipped, unterminated components closed at the end.
fn parse_fallback(lines: &[&str]) -> Comp {
    fn attach(stack: &mut [Comp], root: &mut Option<Comp>, comp: Comp) {
        if let Some(parent) = stack.last_mut() {
            parent.children.push(comp);
        } else if root.is_none() {
            *root = Some(comp);
        }
    }
    let mut stack: Vec<Comp> = Vec::new();
    let mut root: Option<Comp> = None;
    for line in lines {
        match marker(line) {
            Some(Marker::Begin(name)) => stack.push(Comp {
                name: name.to_ascii_uppercase(),
                ..Comp::default()
            }),
            Some(Marker::End(name)) => {
                if let Some(pos) = stack
                    .iter()
                    .rposition(|c| c.name.eq_ignore_ascii_case(name))
                {
                    while stack.len() > pos {
                        if let Some(comp) = stack.pop() {
                            attach(&mut stack, &mut root, comp);
                        }
                    }
                }
            }
            None => {
                if let (Some(top), Some(prop)) = (stack.last_mut(), parse_content_line(line)) {
                    top.props.push(prop);
                }
            }
        }
    }
    while let Some(comp) = stack.pop() {
        attach(&mut stack, &mut root, comp);
    }
    root.unwrap_or_default()
}

/// `NAME;KEY=VAL;KEY="QUOTED":VALUE` → [`Prop`] (RFC 5545 §3.1), or `None` if the line has no
/// such shape. Only ASCII delimiters are searched, so every slice is on a char boundary.
fn parse_content_line(line: &str) -> Option<Prop> {
    let line = line.trim_start();
    let name_end = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))?;
    let name = line.get(..name_end).filter(|n| !n.is_empty())?;
    let mut rest = line.get(name_end..)?;
    let mut params = Vec::new();
    while let Some(after) = rest.strip_prefix(';') {
        let key_end = after.find(['=', ';', ':'])?;
        let key = after.get(..key_end)?.trim().to_ascii_uppercase();
        let after_key = after.get(key_end..)?;
        let Some(after_eq) = after_key.strip_prefix('=') else {
            params.push((key, String::new()));
            rest = after_key;
            continue;
        };
        let (value, next) = if let Some(quoted) = after_eq.strip_prefix('"') {
            let close = quoted.find('"')?;
            (quoted.get(..close)?, quoted.get(close + 1..)?)
        } else {
            let end = after_eq.find([';', ':'])?;
            (after_eq.get(..end)?, after_eq.get(end..)?)
        };
        params.push((key, value.to_owned()));
        rest = next;
    }
    let value = rest.strip_prefix(':')?;
    Some(Prop {
        name: name.to_ascii_uppercase(),
        params,
        value: value.to_owned(),
    })
}

/// RFC 5545 TEXT unescaping in one pass (`\\` `\,` `\;` `\n` `\N`; `\:` too, which Outlook
/// writes). Unknown escapes are kept as written.
fn unescape_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(escaped @ ('\\' | ',' | ';' | ':')) => out.push(escaped),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Strips parameter quotes, also an unbalanced one (`TZID="Europe/Berlin:...` is seen in the
/// wild and `icalendar` keeps the stray quote).
fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"').trim()
}

// ---------------------------------------------------------------------------------------------
// Time zones
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Zone {
    Tz(Tz),
    Fixed(FixedOffset),
}

impl Zone {
    /// Local wall time → epoch seconds. Ambiguous times (the repeated hour in autumn) take the
    /// earlier instant; times in a spring-forward gap are read with the offset in force just
    /// before the gap, which is the same as moving them forward by the gap's length.
    fn to_timestamp(self, local: NaiveDateTime) -> Timestamp {
        match self {
            Zone::Fixed(offset) => {
                local.and_utc().timestamp() - i64::from(offset.local_minus_utc())
            }
            Zone::Tz(tz) => match tz.from_local_datetime(&local) {
                chrono::LocalResult::Single(dt) => dt.timestamp(),
                chrono::LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
                chrono::LocalResult::None => {
                    let before_gap = (1..=48)
                        .filter_map(|h| local.checked_sub_signed(TimeDelta::try_hours(h)?))
                        .find_map(|earlier| tz.from_local_datetime(&earlier).earliest());
                    let offset = before_gap.map_or(0, |dt| dt.offset().fix().local_minus_utc());
                    local.and_utc().timestamp() - i64::from(offset)
                }
            },
        }
    }
}

/// The TZIDs of one VCALENDAR's VTIMEZONEs, resolved once (not per event).
#[derive(Debug, Default)]
struct ZoneTable {
    /// TZID → zone, or `None` for a custom VTIMEZONE we cannot resolve (times become floating).
    defined: BTreeMap<String, Option<Zone>>,
}

impl ZoneTable {
    fn new(blocks: &[Block], lines: &[&str]) -> ZoneTable {
        let mut table = ZoneTable::default();
        for block in blocks {
            let Some(block_lines) = lines.get(block.first..block.end) else {
                continue;
            };
            let (comp, _) = parse_block(block_lines);
            let Some(tzid) = comp.value("TZID").map(unquote).filter(|t| !t.is_empty()) else {
                continue;
            };
            let zone = zone_from_name(tzid)
                .or_else(|| comp.value("X-LIC-LOCATION").and_then(zone_from_name))
                .or_else(|| fixed_zone(&comp));
            table.defined.entry(tzid.to_owned()).or_insert(zone);
        }
        table
    }

    fn resolve(&self, tzid: &str) -> Option<Zone> {
        let tzid = unquote(tzid);
        match self.defined.get(tzid) {
            Some(zone) => *zone,
            None => zone_from_name(tzid),
        }
    }
}

/// A TZID as producers write it → zone: IANA (any case), Windows names, path-prefixed
/// (`/mozilla.org/20050126_1/Europe/Berlin`, `/Europe/Berlin`), Outlook display names
/// (`(UTC+01:00) Amsterdam, Berlin, ...`).
fn zone_from_name(name: &str) -> Option<Zone> {
    let name = unquote(name);
    if name.is_empty() {
        return None;
    }
    if name.eq_ignore_ascii_case("Z") {
        return Some(Zone::Tz(Tz::UTC));
    }
    let tz = iana_zone(name)
        .or_else(|| windows_zones::windows_to_iana(name).and_then(iana_zone))
        .or_else(|| {
            name.match_indices('/')
                .find_map(|(idx, _)| name.get(idx + 1..).and_then(iana_zone))
        })
        .or_else(|| display_name_zone(name))?;
    Some(Zone::Tz(tz))
}

/// IANA name, exact or case-insensitive.
fn iana_zone(name: &str) -> Option<Tz> {
    static BY_LOWER: OnceLock<HashMap<String, Tz>> = OnceLock::new();
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    let map = BY_LOWER.get_or_init(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| (tz.name().to_ascii_lowercase(), *tz))
            .collect()
    });
    map.get(&name.trim().to_ascii_lowercase()).copied()
}

/// Outlook sometimes writes the zone's display name: `(UTC+01:00) Amsterdam, Berlin, Bern,
/// Rome, Stockholm, Vienna`. The first listed city that is an IANA city names the zone.
fn display_name_zone(name: &str) -> Option<Tz> {
    static BY_CITY: OnceLock<HashMap<String, Tz>> = OnceLock::new();
    const US_ZONES: &[(&str, Tz)] = &[
        ("eastern time (us", Tz::America__New_York),
        ("central time (us", Tz::America__Chicago),
        ("mountain time (us", Tz::America__Denver),
        ("pacific time (us", Tz::America__Los_Angeles),
        ("coordinated universal time", Tz::UTC),
    ];
    let lower = name.to_ascii_lowercase();
    if !(lower.starts_with("(utc") || lower.starts_with("(gmt")) {
        return None;
    }
    let (_, cities) = lower.split_once(')')?;
    if let Some((_, tz)) = US_ZONES.iter().find(|(label, _)| cities.contains(label)) {
        return Some(*tz);
    }
    let by_city = BY_CITY.get_or_init(|| {
        let mut map = HashMap::new();
        for tz in chrono_tz::TZ_VARIANTS.iter() {
            let name = tz.name();
            if name.starts_with("Etc/") || !name.contains('/') {
                continue;
            }
            if let Some(city) = name.rsplit('/').next() {
                // TZ_VARIANTS is sorted, so which zone wins a shared city name is stable.
                map.entry(city.replace('_', " ").to_ascii_lowercase())
                    .or_insert(*tz);
            }
        }
        map
    });
    cities
        .split(',')
        .find_map(|city| by_city.get(city.trim()).copied())
}

/// A custom VTIMEZONE whose observances all have the same TZOFFSETTO is a fixed offset.
fn fixed_zone(comp: &Comp) -> Option<Zone> {
    let mut offsets = comp
        .children
        .iter()
        .map(|obs| obs.value("TZOFFSETTO").and_then(parse_utc_offset));
    let first = offsets.next()??;
    offsets
        .all(|o| o == Some(first))
        .then_some(Zone::Fixed(first))
}

/// `+0100`, `-0530`, `+013000` → offset.
fn parse_utc_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    let (sign, digits) = match s.split_at_checked(1)? {
        ("+", d) => (1, d),
        ("-", d) => (-1, d),
        _ => return None,
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |range: std::ops::Range<usize>| digits.get(range)?.parse::<i32>().ok();
    let secs = num(0..2)? * 3600 + num(2..4)? * 60 + num(4..6).unwrap_or(0);
    FixedOffset::east_opt(sign * secs)
}

// ---------------------------------------------------------------------------------------------
// Date and time values
// ---------------------------------------------------------------------------------------------

/// A DATE / DATE-TIME value before it is turned into a [`CalTime`]; zoned times keep their
/// wall time so that DURATION days can be added in local time (RFC 5545 §3.3.6).
#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeVal {
    Date(NaiveDate),
    Utc(NaiveDateTime),
    Zoned(NaiveDateTime, Zone),
    Floating(NaiveDateTime),
}

impl TimeVal {
    fn to_cal(self) -> CalTime {
        match self {
            TimeVal::Date(d) => CalTime::Date(d),
            TimeVal::Utc(t) => CalTime::Instant(t.and_utc().timestamp()),
            TimeVal::Zoned(t, zone) => CalTime::Instant(zone.to_timestamp(t)),
            TimeVal::Floating(t) => CalTime::Floating(t),
        }
    }

    /// Epoch seconds for DTSTAMP / LAST-MODIFIED / CREATED, which RFC 5545 requires in UTC:
    /// a missing `Z` is read as UTC, a bare date as midnight UTC.
    fn to_utc_timestamp(self) -> Timestamp {
        match self {
            TimeVal::Date(d) => d.and_time(NaiveTime::MIN).and_utc().timestamp(),
            TimeVal::Utc(t) | TimeVal::Floating(t) => t.and_utc().timestamp(),
            TimeVal::Zoned(t, zone) => zone.to_timestamp(t),
        }
    }

    /// `self + duration`: days are nominal (wall-clock), the rest exact.
    fn add(self, duration: IcalDuration) -> Option<CalTime> {
        let days = TimeDelta::try_days(duration.days)?;
        let secs = TimeDelta::try_seconds(duration.seconds)?;
        Some(match self {
            TimeVal::Date(d) => {
                let extra_days = TimeDelta::try_days(duration.seconds.div_euclid(86_400))?;
                CalTime::Date(d.checked_add_signed(days)?.checked_add_signed(extra_days)?)
            }
            TimeVal::Utc(t) => {
                let start = t.checked_add_signed(days)?.and_utc().timestamp();
                CalTime::Instant(start.checked_add(duration.seconds)?)
            }
            TimeVal::Zoned(t, zone) => {
                let start = zone.to_timestamp(t.checked_add_signed(days)?);
                CalTime::Instant(start.checked_add(duration.seconds)?)
            }
            TimeVal::Floating(t) => {
                CalTime::Floating(t.checked_add_signed(days)?.checked_add_signed(secs)?)
            }
        })
    }
}

/// Reads a DTSTART-like property. Lenient about what producers get wrong (lower-case `t`/`z`,
/// ISO dashes and colons, missing seconds) but never guesses a date from garbage.
fn parse_time(prop: &Prop, zones: &ZoneTable) -> Result<TimeVal, String> {
    let raw = prop.value.trim();
    let compact: String = raw.chars().filter(|c| *c != '-' && *c != ':').collect();
    let (date_part, time_part) = match compact.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (compact.as_str(), None),
    };
    let date = parse_ymd(date_part).ok_or_else(|| format!("`{raw}` is not a date"))?;
    let is_date = prop
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
    let Some(time_part) = time_part.filter(|_| !is_date) else {
        return Ok(TimeVal::Date(date));
    };
    let (hms, utc) = match time_part.strip_suffix(['Z', 'z']) {
        Some(hms) => (hms, true),
        None => (time_part, false),
    };
    let time = parse_hms(hms).ok_or_else(|| format!("`{raw}` is not a date-time"))?;
    let local = date.and_time(time);
    if utc {
        return Ok(TimeVal::Utc(local));
    }
    Ok(
        match prop.param("TZID").and_then(|tzid| zones.resolve(tzid)) {
            Some(zone) => TimeVal::Zoned(local, zone),
            None => TimeVal::Floating(local),
        },
    )
}

fn parse_ymd(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = s.get(0..4)?.parse().ok()?;
    let month = s.get(4..6)?.parse().ok()?;
    let day = s.get(6..8)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

fn parse_hms(s: &str) -> Option<NaiveTime> {
    if !(s.len() == 6 || s.len() == 4) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hour = s.get(0..2)?.parse().ok()?;
    let minute = s.get(2..4)?.parse().ok()?;
    let second: u32 = s.get(4..6).map_or(Some(0), |v| v.parse().ok())?;
    // A leap second (60) is valid iCalendar; chrono only takes it as a fraction.
    NaiveTime::from_hms_opt(hour, minute, second.min(59))
}

/// An RFC 5545 DURATION as nominal days plus exact seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct IcalDuration {
    days: i64,
    seconds: i64,
}

/// `P2D`, `PT1H30M`, `-P1W`, `P1DT12H` → duration.
fn parse_duration(s: &str) -> Option<IcalDuration> {
    let s = s.trim();
    let (negative, s) = match s.split_at_checked(1)? {
        ("-", rest) => (true, rest),
        ("+", rest) => (false, rest),
        _ => (false, s),
    };
    let s = s.strip_prefix(['P', 'p'])?;
    let (mut days, mut seconds, mut in_time, mut number) = (0i64, 0i64, false, String::new());
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        if matches!(c, 'T' | 't') {
            in_time = true;
            continue;
        }
        let n: i64 = number.parse().ok()?;
        number.clear();
        match (c.to_ascii_uppercase(), in_time) {
            ('W', false) => days = days.checked_add(n.checked_mul(7)?)?,
            ('D', false) => days = days.checked_add(n)?,
            ('H', true) => seconds = seconds.checked_add(n.checked_mul(3600)?)?,
            ('M', true) => seconds = seconds.checked_add(n.checked_mul(60)?)?,
            ('S', true) => seconds = seconds.checked_add(n)?,
            _ => return None,
        }
    }
    if !number.is_empty() {
        return None;
    }
    let sign = if negative { -1 } else { 1 };
    Some(IcalDuration {
        days: sign * days,
        seconds: sign * seconds,
    })
}

// ---------------------------------------------------------------------------------------------
// Stage 3b: one VEVENT → RawEvent
// ---------------------------------------------------------------------------------------------

/// What every event of the file shares (read-only, so events are parsed in parallel).
struct EventContext<'a> {
    /// Shared by every event of the file.
    file: crate::evidence::Shared,
    tenant: Option<&'a str>,
    lines: &'a [&'a str],
    phys: &'a [usize],
    calendars: &'a [CalendarInfo],
    zones: &'a [ZoneTable],
}

impl EventContext<'_> {
    fn phys_line(&self, logical: usize) -> usize {
        self.phys.get(logical).copied().unwrap_or(0)
    }

    fn reject(&self, line: usize, uid: Option<&str>, reason: String) -> Rejected {
        let position = match uid {
            Some(uid) => format!("line {line}, UID {uid}"),
            None => format!("line {line}"),
        };
        Rejected::new(Source::Calendar, &*self.file, position, reason)
    }
}

fn read_event(ctx: &EventContext<'_>, block: &Block) -> Result<RawEvent, Rejected> {
    let line = ctx.phys_line(block.first);
    let block_lines = ctx.lines.get(block.first..block.end).unwrap_or_default();
    let (comp, refused) = parse_block(block_lines);
    let uid = comp.value("UID").map(str::trim).filter(|u| !u.is_empty());

    if let Some(refusal) = refused {
        if uid.is_none() || comp.prop("DTSTART").is_none() {
            let at = refusal
                .line
                .map(|k| format!(" at line {}", ctx.phys_line(block.first + k)))
                .unwrap_or_default();
            let reason = format!(
                "{}{at}; no UID or DTSTART to recover the event",
                refusal.what
            );
            return Err(ctx.reject(line, uid, reason));
        }
    }

    let default_zones = ZoneTable::default();
    let zones = ctx.zones.get(block.cal).unwrap_or(&default_zones);
    let start = match comp.prop("DTSTART") {
        Some(prop) => Some(
            parse_time(prop, zones)
                .map_err(|why| ctx.reject(line, uid, format!("unparseable DTSTART: {why}")))?,
        ),
        None => None,
    };
    // A broken DTEND loses only the end: the start alone still places the booking.
    let end = match comp.prop("DTEND") {
        Some(prop) => parse_time(prop, zones).ok().map(TimeVal::to_cal),
        None => comp
            .value("DURATION")
            .and_then(parse_duration)
            .zip(start)
            .and_then(|(duration, start)| start.add(duration)),
    };

    let (uid, position) = match uid {
        Some(uid) => (uid.to_owned(), format!("line {line}")),
        None => (
            format!(
                "missing-uid-{:016x}",
                crate::rebuild::fnv(&format!("{}\n{line}", ctx.file))
            ),
            format!("line {line} (no UID)"),
        ),
    };
    let text = |name: &str| comp.value(name).map(unescape_text).unwrap_or_default();
    let stamp = |name: &str| {
        comp.prop(name)
            .and_then(|p| parse_time(p, zones).ok())
            .map(TimeVal::to_utc_timestamp)
    };
    let mut status = comp
        .value("STATUS")
        .map(|s| s.trim().to_ascii_uppercase())
        .unwrap_or_default();
    if status.is_empty() && ctx.calendars.get(block.cal).is_some_and(|c| c.cancel) {
        status = "CANCELLED".to_owned();
    }
    let repeats = |name: &str| comp.value(name).is_some_and(|v| !v.trim().is_empty());

    Ok(RawEvent {
        file: ctx.file.clone(),
        position,
        uid,
        recurrence_id: comp.prop("RECURRENCE-ID").map(|p| recurrence_key(p, zones)),
        summary: text("SUMMARY"),
        description: text("DESCRIPTION"),
        location: text("LOCATION"),
        start: start.map(TimeVal::to_cal),
        end,
        status,
        sequence: comp
            .value("SEQUENCE")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0),
        last_modified: stamp("LAST-MODIFIED"),
        created: stamp("CREATED"),
        dtstamp: stamp("DTSTAMP"),
        recurring: repeats("RRULE") || repeats("RDATE"),
        tenant: ctx.tenant.map(str::to_owned),
    })
}

/// RECURRENCE-ID as a comparable string: UTC RFC 3339 for date-times with a known instant,
/// `YYYY-MM-DD` for dates, the local time for floating ones, the raw value when unreadable.
fn recurrence_key(prop: &Prop, zones: &ZoneTable) -> String {
    match parse_time(prop, zones).map(TimeVal::to_cal) {
        Ok(CalTime::Instant(ts)) => DateTime::from_timestamp(ts, 0).map_or_else(
            || prop.value.trim().to_owned(),
            |dt| dt.to_rfc3339_opts(SecondsFormat::Secs, true),
        ),
        Ok(CalTime::Date(d)) => d.format("%Y-%m-%d").to_string(),
        Ok(CalTime::Floating(t)) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
        Err(_) => prop.value.trim().to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Stage 4: versions
// ---------------------------------------------------------------------------------------------

/// Keeps one version per (UID, RECURRENCE-ID): highest SEQUENCE, then latest LAST-MODIFIED,
/// then latest DTSTAMP, then the later one in the file. The map also sorts the result.
fn newest_versions(events: Vec<(usize, RawEvent)>) -> Vec<RawEvent> {
    let rank = |ordinal: usize, e: &RawEvent| (e.sequence, e.last_modified, e.dtstamp, ordinal);
    let mut best: BTreeMap<(String, Option<String>), (usize, RawEvent)> = BTreeMap::new();
    for (ordinal, event) in events {
        match best.entry((event.uid.clone(), event.recurrence_id.clone())) {
            Entry::Vacant(slot) => {
                slot.insert((ordinal, event));
            }
            Entry::Occupied(mut slot) => {
                let (kept_ordinal, kept) = slot.get();
                if rank(ordinal, &event) > rank(*kept_ordinal, kept) {
                    slot.insert((ordinal, event));
                }
            }
        }
    }
    best.into_values().map(|(_, event)| event).collect()
}

/// A modified instance of a series (RECURRENCE-ID, no RRULE of its own) is as much a staff
/// meeting as its master: flag it when the master in this file repeats.
fn mark_recurring_overrides(events: &mut [RawEvent]) {
    let series: BTreeSet<String> = events
        .iter()
        .filter(|e| e.recurring && e.recurrence_id.is_none())
        .map(|e| e.uid.clone())
        .collect();
    for event in events.iter_mut() {
        if event.recurrence_id.is_some() && series.contains(&event.uid) {
            event.recurring = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Google Calendar export (Europe/Berlin), CRLF line endings added by [`parse`].
    const GOOGLE: &str = r#"BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:Flotte Berlin
X-WR-TIMEZONE:Europe/Berlin
BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260314T100000
DTEND;TZID=Europe/Berlin:20260317T100000
DTSTAMP:20260301T120000Z
UID:7kq1m2n3p4r5s6t7u8v9w0x1y2@google.com
CREATED:20260228T091500Z
DESCRIPTION:Buchung BK-1042\nKunde: Anna Müller\, Berlin\nFahrzeug: VW Golf
  (B-XY 1234)
LAST-MODIFIED:20260301T101500Z
LOCATION:Station Berlin Hbf\, Europaplatz 1
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:VW Golf – Anna Müller
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260321T090000
DTEND;TZID=Europe/Berlin:20260322T090000
DTSTAMP:20260301T120000Z
UID:0c4nc3ll3d9f8e7d6c5b4a3@google.com
CREATED:20260220T080000Z
LAST-MODIFIED:20260225T170000Z
SEQUENCE:2
STATUS:CANCELLED
SUMMARY:Passat – Jonas Weber
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260303T090000
DTEND;TZID=Europe/Berlin:20260303T093000
RRULE:FREQ=WEEKLY;BYDAY=TU
DTSTAMP:20260301T120000Z
UID:staffmeeting1@google.com
SUMMARY:Team-Meeting
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260317T100000
DTEND;TZID=Europe/Berlin:20260317T103000
DTSTAMP:20260301T120000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260317T090000
UID:staffmeeting1@google.com
SUMMARY:Team-Meeting (verschoben)
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20260320
DTEND;VALUE=DATE:20260323
DTSTAMP:20260301T120000Z
UID:allday42@google.com
SUMMARY:Tesla Model 3 – Werkstatt
END:VEVENT
END:VCALENDAR
"#;

    /// Outlook 16 export: Windows zone names, quoted TZIDs, a custom zone.
    const OUTLOOK: &str = r#"BEGIN:VCALENDAR
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
VERSION:2.0
METHOD:PUBLISH
X-MS-OLK-FORCEINSPECTOROPEN:TRUE
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16011104T020000
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010311T020000
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
CLASS:PUBLIC
CREATED:20260302T080000Z
DESCRIPTION:Abholung Passat Kombi\n
DTEND;TZID="W. Europe Standard Time":20260316T180000
DTSTAMP:20260302T080512Z
DTSTART;TZID="W. Europe Standard Time":20260314T100000
LAST-MODIFIED:20260302T080000Z
LOCATION:Filiale München
PRIORITY:5
SEQUENCE:0
SUMMARY;LANGUAGE=de-de:Passat Kombi - Jonas Weber
TRANSP:OPAQUE
UID:040000008200E00074C5B7101A82E00800000000D0F5A2C1F3ADDA01000000000000000010000000B1C1
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
BEGIN:VALARM
TRIGGER:-PT15M
ACTION:DISPLAY
DESCRIPTION:Reminder
END:VALARM
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Eastern Standard Time:20260314T100000
DTEND;TZID=Eastern Standard Time:20260314T120000
DTSTAMP:20260302T080512Z
UID:040000008200E00074C5B7101A82E00800000000EST
SUMMARY:Mustang – J. Smith
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID="Customized Time Zone":20260314T100000
DTSTAMP:20260302T080512Z
UID:040000008200E00074C5B7101A82E00800000000CUSTOM
SUMMARY:Custom zone booking
END:VEVENT
END:VCALENDAR
"#;

    fn parse(ics: &str) -> (Vec<RawEvent>, Vec<Rejected>) {
        parse_bytes(
            ics.replace('\n', "\r\n").as_bytes(),
            "cal.ics",
            Some("berlin"),
        )
    }

    fn ts(rfc3339: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp()
    }

    fn find<'a>(events: &'a [RawEvent], uid: &str) -> &'a RawEvent {
        events
            .iter()
            .find(|e| e.uid == uid)
            .unwrap_or_else(|| panic!("no event {uid} in {events:#?}"))
    }

    /// A one-event calendar with the given VEVENT body lines.
    fn single(body: &str) -> String {
        format!("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\n{body}\nEND:VEVENT\nEND:VCALENDAR\n")
    }

    fn start_of(body: &str) -> Option<CalTime> {
        let (events, rejected) = parse(&single(body));
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(events.len(), 1);
        events[0].start
    }

    #[test]
    fn google_export_reads_times_text_and_metadata() {
        let (events, rejected) = parse(GOOGLE);
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(events.len(), 5);

        let golf = find(&events, "7kq1m2n3p4r5s6t7u8v9w0x1y2@google.com");
        assert_eq!(&*golf.file, "cal.ics");
        assert_eq!(golf.position, "line 26");
        assert_eq!(golf.tenant.as_deref(), Some("berlin"));
        assert_eq!(
            golf.start,
            Some(CalTime::Instant(ts("2026-03-14T09:00:00Z")))
        );
        assert_eq!(golf.end, Some(CalTime::Instant(ts("2026-03-17T09:00:00Z"))));
        assert_eq!(golf.summary, "VW Golf – Anna Müller");
        assert_eq!(
            golf.description,
            "Buchung BK-1042\nKunde: Anna Müller, Berlin\nFahrzeug: VW Golf (B-XY 1234)"
        );
        assert_eq!(golf.location, "Station Berlin Hbf, Europaplatz 1");
        assert_eq!(golf.status, "CONFIRMED");
        assert_eq!(golf.sequence, 0);
        assert_eq!(golf.created, Some(ts("2026-02-28T09:15:00Z")));
        assert_eq!(golf.last_modified, Some(ts("2026-03-01T10:15:00Z")));
        assert_eq!(golf.dtstamp, Some(ts("2026-03-01T12:00:00Z")));
        assert_eq!(golf.recurrence_id, None);
        assert!(!golf.recurring);

        let allday = find(&events, "allday42@google.com");
        let date = |d| {
            Some(CalTime::Date(
                NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap(),
            ))
        };
        assert_eq!(allday.start, date("2026-03-20"));
        // Exclusive DTEND kept as written: the consumer subtracts the day.
        assert_eq!(allday.end, date("2026-03-23"));
        assert_eq!(allday.description, "");
        assert_eq!(allday.location, "");
        assert_eq!(allday.last_modified, None);
    }

    #[test]
    fn cancelled_status_is_kept() {
        let (events, _) = parse(GOOGLE);
        let passat = find(&events, "0c4nc3ll3d9f8e7d6c5b4a3@google.com");
        assert_eq!(passat.status, "CANCELLED");
        assert_eq!(passat.sequence, 2);
    }

    #[test]
    fn itip_cancel_message_marks_events_cancelled() {
        let ics = "BEGIN:VCALENDAR\nMETHOD:CANCEL\nPRODID:Microsoft Exchange Server 2010\n\
                   VERSION:2.0\nBEGIN:VEVENT\nUID:040000008200E00074C5B7101A82E0080000000030A1\n\
                   SUMMARY:Abgesagt: Golf – Anna\n\
                   DTSTART;TZID=W. Europe Standard Time:20260314T100000\nSEQUENCE:1\n\
                   END:VEVENT\nEND:VCALENDAR\n";
        let (events, _) = parse(ics);
        assert_eq!(events[0].status, "CANCELLED");
        assert_eq!(
            events[0].start,
            Some(CalTime::Instant(ts("2026-03-14T09:00:00Z")))
        );
    }

    #[test]
    fn rrule_flags_series_and_its_overrides() {
        let (events, _) = parse(GOOGLE);
        let series: Vec<&RawEvent> = events
            .iter()
            .filter(|e| e.uid == "staffmeeting1@google.com")
            .collect();
        assert_eq!(series.len(), 2);
        // Sorted by UID then recurrence id, master (None) first.
        assert_eq!(series[0].recurrence_id, None);
        assert_eq!(
            series[1].recurrence_id.as_deref(),
            Some("2026-03-17T08:00:00Z")
        );
        assert!(series.iter().all(|e| e.recurring));
        assert_eq!(series[1].summary, "Team-Meeting (verschoben)");
        assert_eq!(
            series[1].start,
            Some(CalTime::Instant(ts("2026-03-17T09:00:00Z")))
        );
        assert!(!find(&events, "allday42@google.com").recurring);
    }

    #[test]
    fn rdate_flags_recurring_and_date_recurrence_id_is_a_date() {
        let (events, _) = parse(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:tuv\nDTSTART;VALUE=DATE:20260302\n\
             RDATE;VALUE=DATE:20260402,20260502\nSUMMARY:TÜV Fahrzeuge\nEND:VEVENT\n\
             BEGIN:VEVENT\nUID:tuv\nRECURRENCE-ID;VALUE=DATE:20260402\n\
             DTSTART;VALUE=DATE:20260403\nEND:VEVENT\nEND:VCALENDAR\n",
        );
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| e.recurring));
        assert_eq!(events[1].recurrence_id.as_deref(), Some("2026-04-02"));
    }

    #[test]
    fn outlook_windows_zone_names_resolve() {
        let (events, rejected) = parse(OUTLOOK);
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(events.len(), 3);
        let passat = find(
            &events,
            "040000008200E00074C5B7101A82E00800000000D0F5A2C1F3ADDA01000000000000000010000000B1C1",
        );
        assert_eq!(
            passat.start,
            Some(CalTime::Instant(ts("2026-03-14T09:00:00Z")))
        );
        assert_eq!(
            passat.end,
            Some(CalTime::Instant(ts("2026-03-16T17:00:00Z")))
        );
        assert_eq!(passat.summary, "Passat Kombi - Jonas Weber");
        assert_eq!(passat.description, "Abholung Passat Kombi\n");
        assert_eq!(passat.location, "Filiale München");
        // 2026-03-14 is after the US switch to EDT (2026-03-08).
        let mustang = find(&events, "040000008200E00074C5B7101A82E00800000000EST");
        assert_eq!(
            mustang.start,
            Some(CalTime::Instant(ts("2026-03-14T14:00:00Z")))
        );
    }

    #[test]
    fn windows_zone_table_gives_right_instants() {
        let cases = [
            (
                "W. Europe Standard Time",
                "20260314T100000",
                "2026-03-14T09:00:00Z",
            ),
            (
                "Romance Standard Time",
                "20260314T100000",
                "2026-03-14T09:00:00Z",
            ),
            (
                "Central Europe Standard Time",
                "20260314T100000",
                "2026-03-14T09:00:00Z",
            ),
            (
                "GMT Standard Time",
                "20260714T100000",
                "2026-07-14T09:00:00Z",
            ),
            (
                "Pacific Standard Time",
                "20260110T080000",
                "2026-01-10T16:00:00Z",
            ),
            (
                "Central Standard Time",
                "20260110T080000",
                "2026-01-10T14:00:00Z",
            ),
            (
                "Mountain Standard Time",
                "20260110T080000",
                "2026-01-10T15:00:00Z",
            ),
            (
                "AUS Eastern Standard Time",
                "20260314T100000",
                "2026-03-13T23:00:00Z",
            ),
            (
                "Tokyo Standard Time",
                "20260314T100000",
                "2026-03-14T01:00:00Z",
            ),
        ];
        for (tzid, local, utc) in cases {
            let start = start_of(&format!("UID:w\nDTSTART;TZID={tzid}:{local}"));
            assert_eq!(start, Some(CalTime::Instant(ts(utc))), "{tzid}");
        }
    }

    #[test]
    fn path_prefixed_quoted_and_display_name_tzids_resolve() {
        let berlin_10h = Some(CalTime::Instant(ts("2026-03-14T09:00:00Z")));
        for tzid in [
            "/mozilla.org/20050126_1/Europe/Berlin",
            "/Europe/Berlin",
            "\"Europe/Berlin\"",
            "europe/berlin",
            "\"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\"",
        ] {
            let start = start_of(&format!("UID:p\nDTSTART;TZID={tzid}:20260314T100000"));
            assert_eq!(start, berlin_10h, "{tzid}");
        }
    }

    #[test]
    fn utc_and_floating_times() {
        assert_eq!(
            start_of("UID:u\nDTSTART:20260314T090000Z"),
            Some(CalTime::Instant(ts("2026-03-14T09:00:00Z")))
        );
        let local = NaiveDate::from_ymd_opt(2026, 3, 14)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        assert_eq!(
            start_of("UID:f\nDTSTART:20260314T100000"),
            Some(CalTime::Floating(local))
        );
        // An unknown zone with no VTIMEZONE: the tenant's zone will apply.
        assert_eq!(
            start_of("UID:f\nDTSTART;TZID=Mars/Olympus_Mons:20260314T100000"),
            Some(CalTime::Floating(local))
        );
    }

    #[test]
    fn custom_vtimezones_use_x_lic_location_or_fixed_offset_else_floating() {
        let ics = "BEGIN:VCALENDAR\nVERSION:2.0\n\
                   BEGIN:VTIMEZONE\nTZID:Mitteleuropäische Zeit\nX-LIC-LOCATION:Europe/Berlin\n\
                   BEGIN:STANDARD\nTZOFFSETTO:+0100\nEND:STANDARD\n\
                   BEGIN:DAYLIGHT\nTZOFFSETTO:+0200\nEND:DAYLIGHT\nEND:VTIMEZONE\n\
                   BEGIN:VTIMEZONE\nTZID:Gulf Office\nBEGIN:STANDARD\nTZOFFSETFROM:+0400\n\
                   TZOFFSETTO:+0400\nEND:STANDARD\nEND:VTIMEZONE\n\
                   BEGIN:VEVENT\nUID:lic\nDTSTART;TZID=Mitteleuropäische Zeit:20260714T100000\n\
                   END:VEVENT\n\
                   BEGIN:VEVENT\nUID:fixed\nDTSTART;TZID=Gulf Office:20260714T100000\nEND:VEVENT\n\
                   END:VCALENDAR\n";
        let (events, _) = parse(ics);
        assert_eq!(
            find(&events, "lic").start,
            Some(CalTime::Instant(ts("2026-07-14T08:00:00Z")))
        );
        assert_eq!(
            find(&events, "fixed").start,
            Some(CalTime::Instant(ts("2026-07-14T06:00:00Z")))
        );

        let (events, _) = parse(OUTLOOK);
        let custom = find(&events, "040000008200E00074C5B7101A82E00800000000CUSTOM");
        let local = NaiveDate::from_ymd_opt(2026, 3, 14)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        assert_eq!(custom.start, Some(CalTime::Floating(local)));
    }

    #[test]
    fn dst_gap_moves_forward_and_ambiguous_takes_earlier() {
        // 2026-03-29 02:30 does not exist in Berlin: read as 03:30 CEST.
        assert_eq!(
            start_of("UID:gap\nDTSTART;TZID=Europe/Berlin:20260329T023000"),
            Some(CalTime::Instant(ts("2026-03-29T03:30:00+02:00")))
        );
        // 2026-10-25 02:30 happens twice: the first one (still CEST).
        assert_eq!(
            start_of("UID:amb\nDTSTART;TZID=Europe/Berlin:20261025T023000"),
            Some(CalTime::Instant(ts("2026-10-25T00:30:00Z")))
        );
        // Same through a Windows name.
        assert_eq!(
            start_of("UID:gap\nDTSTART;TZID=W. Europe Standard Time:20260329T023000"),
            Some(CalTime::Instant(ts("2026-03-29T01:30:00Z")))
        );
    }

    #[test]
    fn duration_gives_the_end_with_nominal_days() {
        let (events, _) = parse(&single(
            "UID:d\nDTSTART;TZID=Europe/Berlin:20260328T100000\nDURATION:P1DT2H",
        ));
        // +1 day of wall time crosses the DST switch: 2026-03-29 10:00 CEST, then +2 h.
        assert_eq!(
            events[0].end,
            Some(CalTime::Instant(ts("2026-03-29T10:00:00Z")))
        );
        let (events, _) = parse(&single("UID:d\nDTSTART;VALUE=DATE:20260328\nDURATION:P3D"));
        assert_eq!(
            events[0].end,
            Some(CalTime::Date(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()))
        );
        assert_eq!(
            parse_duration("-P1W"),
            Some(IcalDuration {
                days: -7,
                seconds: 0
            })
        );
        assert_eq!(parse_duration("PT1H30M").map(|d| d.seconds), Some(5400));
        assert_eq!(parse_duration("P1H"), None);
        assert_eq!(parse_duration("P99999999999999999999D"), None);
    }

    #[test]
    fn newest_sequence_wins_then_last_modified_then_dtstamp_then_position() {
        let ics = "BEGIN:VCALENDAR\nVERSION:2.0\n\
            BEGIN:VEVENT\nUID:bk-2001@rentals.example\nSEQUENCE:3\nSUMMARY:v3\n\
            DTSTART:20260314T090000Z\nLAST-MODIFIED:20260301T000000Z\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:bk-2001@rentals.example\nSEQUENCE:1\nSUMMARY:v1\n\
            DTSTART:20260313T090000Z\nLAST-MODIFIED:20260305T000000Z\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:lm\nSUMMARY:newer\nDTSTART:20260314T090000Z\n\
            LAST-MODIFIED:20260305T000000Z\nDTSTAMP:20260101T000000Z\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:lm\nSUMMARY:older\nDTSTART:20260314T090000Z\n\
            LAST-MODIFIED:20260304T000000Z\nDTSTAMP:20260310T000000Z\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:stamp\nSUMMARY:old stamp\nDTSTART:20260314T090000Z\n\
            DTSTAMP:20260310T000000Z\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:stamp\nSUMMARY:new stamp\nDTSTART:20260314T090000Z\n\
            DTSTAMP:20260311T000000Z\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:same\nSUMMARY:first\nDTSTART:20260314T090000Z\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:same\nSUMMARY:second\nDTSTART:20260314T090000Z\nEND:VEVENT\n\
            END:VCALENDAR\n";
        let (events, rejected) = parse(ics);
        assert!(rejected.is_empty());
        let uids: Vec<&str> = events.iter().map(|e| e.uid.as_str()).collect();
        assert_eq!(uids, ["bk-2001@rentals.example", "lm", "same", "stamp"]);
        let summaries: Vec<&str> = events.iter().map(|e| e.summary.as_str()).collect();
        assert_eq!(summaries, ["v3", "newer", "second", "new stamp"]);
        assert_eq!(events[0].sequence, 3);
    }

    #[test]
    fn broken_event_is_rejected_alone() {
        let ics = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Rental Tool//EN\n\
            BEGIN:VEVENT\nUID:good-1\nDTSTART:20260314T090000Z\nSUMMARY:Good one\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:bad-date-7\nDTSTART;TZID=Europe/Berlin:2026-03-1X 10:00\n\
            SUMMARY:Broken start\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:junk-line-3\nDTSTART:20260315T090000Z\n\
            Kunde ruft an, kommt später\nSUMMARY:Recovered by fallback\nEND:VEVENT\n\
            BEGIN:VEVENT\nSUMMARY:No uid and junk\nthis line is junk\n\
            DTSTART:20260316T090000Z\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:bad-month\nDTSTART:20261314T100000\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:good-2\nDTSTART:20260317T090000Z\nEND:VEVENT\n\
            END:VCALENDAR\n";
        let (events, rejected) = parse(ics);
        let uids: Vec<&str> = events.iter().map(|e| e.uid.as_str()).collect();
        assert_eq!(uids, ["good-1", "good-2", "junk-line-3"]);
        let recovered = find(&events, "junk-line-3");
        assert_eq!(recovered.summary, "Recovered by fallback");
        assert_eq!(recovered.position, "line 14");
        assert_eq!(
            recovered.start,
            Some(CalTime::Instant(ts("2026-03-15T09:00:00Z")))
        );

        assert_eq!(rejected.len(), 3, "{rejected:#?}");
        assert!(rejected.iter().all(|r| r.file == "cal.ics"));
        assert_eq!(rejected[0].position, "line 9, UID bad-date-7");
        assert_eq!(
            rejected[0].reason,
            "unparseable DTSTART: `2026-03-1X 10:00` is not a date"
        );
        assert_eq!(rejected[1].position, "line 20");
        assert_eq!(
            rejected[1].reason,
            "icalendar cannot parse `this line is junk` at line 22; \
             no UID or DTSTART to recover the event"
        );
        assert_eq!(rejected[2].position, "line 25, UID bad-month");
    }

    #[test]
    fn unterminated_and_mismatched_events_are_recovered() {
        let ics = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:cut-1\nDTSTART:20260314T090000Z\n\
            SUMMARY:no end line\nBEGIN:VEVENT\nUID:ok-2\nDTSTART:20260315T090000Z\n\
            END:vevent\nBEGIN:VEVENT\nUID:cut-3\nDTSTART:20260316T090000Z\n";
        let (events, rejected) = parse(ics);
        assert!(rejected.is_empty(), "{rejected:?}");
        let uids: Vec<&str> = events.iter().map(|e| e.uid.as_str()).collect();
        assert_eq!(uids, ["cut-1", "cut-3", "ok-2"]);
        assert_eq!(events[0].summary, "no end line");
    }

    #[test]
    fn concatenated_calendars_with_junk_keep_their_own_timezones() {
        let ics = "BEGIN:VCALENDAR\nVERSION:2.0\n\
            BEGIN:VTIMEZONE\nTZID:Local\nBEGIN:STANDARD\nTZOFFSETTO:+0100\nEND:STANDARD\n\
            END:VTIMEZONE\n\
            BEGIN:VEVENT\nUID:feed-1\nSEQUENCE:0\nSUMMARY:first export\n\
            DTSTART;TZID=Local:20260314T100000\nEND:VEVENT\nEND:VCALENDAR\n\
            ----- exported 2026-03-05 -----\n\
            BEGIN:VCALENDAR\nVERSION:2.0\n\
            BEGIN:VTIMEZONE\nTZID:Local\nBEGIN:STANDARD\nTZOFFSETTO:-0500\nEND:STANDARD\n\
            END:VTIMEZONE\n\
            BEGIN:VEVENT\nUID:feed-1\nSEQUENCE:1\nSUMMARY:second export\n\
            DTSTART;TZID=Local:20260314T100000\nEND:VEVENT\n\
            BEGIN:VEVENT\nUID:feed-2\nDTSTART;TZID=Local:20260314T100000\nEND:VEVENT\n\
            END:VCALENDAR\ntrailing text\n\r";
        let (events, rejected) = parse(ics);
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].summary, "second export");
        assert_eq!(
            events[0].start,
            Some(CalTime::Instant(ts("2026-03-14T15:00:00Z")))
        );
        assert_eq!(events[1].uid, "feed-2");

        // The first calendar's zone applies to its own events.
        let first_only = ics.split("-----").next().unwrap();
        let (events, _) = parse(first_only);
        assert_eq!(
            events[0].start,
            Some(CalTime::Instant(ts("2026-03-14T09:00:00Z")))
        );
    }

    #[test]
    fn bom_and_crlf_are_handled_and_lines_counted_from_the_file() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(GOOGLE.replace('\n', "\r\n").as_bytes());
        let (events, rejected) = parse_bytes(&bytes, "bom.ics", None);
        assert!(rejected.is_empty());
        assert_eq!(events.len(), 5);
        assert_eq!(events[0].tenant, None);
        // Line 26 even though the description above it is folded over two lines.
        let golf = find(&events, "7kq1m2n3p4r5s6t7u8v9w0x1y2@google.com");
        assert_eq!(golf.position, "line 26");
        let passat = find(&events, "0c4nc3ll3d9f8e7d6c5b4a3@google.com");
        assert_eq!(passat.position, "line 41");
    }

    #[test]
    fn utf16_export_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in single("UID:u16\nDTSTART:20260314T090000Z\nSUMMARY:Müller").encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (events, _) = parse_bytes(&bytes, "u16.ics", None);
        assert_eq!(events[0].summary, "Müller");
    }

    #[test]
    fn fold_inside_a_multibyte_character_is_joined_before_decoding() {
        let bytes = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:fold\r\n\
            DTSTART:20260314T090000Z\r\nSUMMARY:Golf - Anna M\xC3\r\n \xBCller\r\n\
            END:VEVENT\r\nEND:VCALENDAR\r\n";
        let (events, rejected) = parse_bytes(bytes, "fold.ics", None);
        assert!(rejected.is_empty());
        assert_eq!(events[0].summary, "Golf - Anna Müller");
    }

    #[test]
    fn bare_lf_and_tab_folding() {
        let ics = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:lf\nDTSTART:20260314T090000Z\n\
                   DESCRIPTION:erste Zeile\n\tund weiter\n  mit Leerzeichen\nEND:VEVENT\n\
                   END:VCALENDAR";
        let (events, _) = parse_bytes(ics.as_bytes(), "lf.ics", None);
        assert_eq!(
            events[0].description,
            "erste Zeileund weiter mit Leerzeichen"
        );
    }

    #[test]
    fn text_escapes_are_unescaped_once() {
        let (events, _) = parse(&single(
            r"UID:esc
DTSTART:20260314T090000Z
SUMMARY:Golf\, Polo\; Passat
DESCRIPTION:Pfad C:\\new\nZeile 2\NZeile 3\\n bleibt
LOCATION:Halle 3\: Stellplatz 7",
        ));
        assert_eq!(events[0].summary, "Golf, Polo; Passat");
        assert_eq!(
            events[0].description,
            "Pfad C:\\new\nZeile 2\nZeile 3\\n bleibt"
        );
        assert_eq!(events[0].location, "Halle 3: Stellplatz 7");
    }

    #[test]
    fn missing_uid_gets_a_stable_synthetic_one() {
        let ics = single("DTSTART:20260314T090000Z\nSUMMARY:ohne UID");
        let (first, _) = parse(&ics);
        let (again, _) = parse(&ics);
        assert_eq!(first[0].uid, again[0].uid);
        assert!(first[0].uid.starts_with("missing-uid-"), "{}", first[0].uid);
        assert_eq!(first[0].position, "line 3 (no UID)");
        let (other_file, _) = parse_bytes(ics.as_bytes(), "other.ics", None);
        assert_ne!(other_file[0].uid, first[0].uid);
    }

    #[test]
    fn lower_case_names_and_iso_style_dates_are_tolerated() {
        let (events, rejected) = parse(
            "begin:vcalendar\nbegin:vevent\nuid:lc\ndtstart;tzid=Europe/Berlin:2026-03-14T10:00:00\n\
             summary:klein\\, geschrieben\nend:vevent\nend:vcalendar\n",
        );
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(events[0].summary, "klein, geschrieben");
        assert_eq!(
            events[0].start,
            Some(CalTime::Instant(ts("2026-03-14T09:00:00Z")))
        );
    }

    #[test]
    fn non_calendar_and_unreadable_files_are_rejected_as_files() {
        let (events, rejected) = parse_bytes(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n", "scan.pdf", None);
        assert!(events.is_empty());
        assert_eq!(rejected.len(), 1);
        assert_eq!(
            (rejected[0].file.as_str(), rejected[0].position.as_str()),
            ("scan.pdf", "file")
        );

        let (events, rejected) = read_file(Path::new("/nonexistent/dir/cal.ics"), None);
        assert!(events.is_empty());
        assert_eq!(rejected[0].position, "file");
        assert_eq!(rejected[0].source, Source::Calendar);
        assert!(rejected[0].reason.starts_with("cannot read"));

        let (events, rejected) =
            parse_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "empty.ics", None);
        assert!(events.is_empty() && rejected.is_empty());
    }

    #[test]
    fn read_file_reads_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outlook.ics");
        std::fs::write(&path, OUTLOOK.replace('\n', "\r\n")).unwrap();
        let (events, rejected) = read_file(&path, Some("munich"));
        assert!(rejected.is_empty());
        assert_eq!(events.len(), 3);
        assert_eq!(&*events[0].file, path.display().to_string());
        assert_eq!(events[0].tenant.as_deref(), Some("munich"));
    }

    #[test]
    fn garbage_and_truncated_input_never_panics() {
        // Every prefix of a real export (cut mid-line, mid-fold, mid-character).
        let google = GOOGLE.replace('\n', "\r\n");
        for cut in 0..google.len() {
            let _ = parse_bytes(&google.as_bytes()[..cut], "cut.ics", None);
        }
        // Pseudo-random bytes, alone and mixed with calendar syntax.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut noise = Vec::new();
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            noise.push((state >> 24) as u8);
        }
        let _ = parse_bytes(&noise, "noise.ics", None);
        let pieces: [&[u8]; 8] = [
            b"BEGIN:VEVENT\r\n",
            b"END:VEVENT\n",
            b"DTSTART;TZID=\"W. Europe:2026",
            b"\r\n ",
            b"UID:x\n",
            b"BEGIN:VCALENDAR\n",
            b"DURATION:P9999999999W\nDTSTART:99991231T235959Z\n",
            b"RECURRENCE-ID;TZID=Pacific/Apia:20111230T000000\n",
        ];
        let mut mixed = Vec::new();
        for chunk in noise.chunks(97) {
            mixed.extend_from_slice(chunk);
            mixed.extend_from_slice(pieces[chunk[0] as usize % pieces.len()]);
        }
        let _ = parse_bytes(&mixed, "mixed.ics", None);
    }

    #[test]
    fn many_events_parse_and_stay_in_order() {
        let n = 2_000;
        let ics = generated_calendar(n);
        let (events, rejected) = parse_bytes(ics.as_bytes(), "big.ics", None);
        assert!(rejected.is_empty());
        assert_eq!(events.len(), n);
        assert!(events.windows(2).all(|w| w[0].uid < w[1].uid));
    }

    /// `cargo test --release --lib import::calendar -- --ignored` : 100k events.
    #[test]
    #[ignore]
    fn hundred_thousand_events_perf() {
        let ics = generated_calendar(100_000);
        let started = std::time::Instant::now();
        let (events, rejected) = parse_bytes(ics.as_bytes(), "huge.ics", None);
        let took = started.elapsed();
        eprintln!("100k events ({} MB) in {took:?}", ics.len() / 1_000_000);
        assert_eq!(events.len(), 100_000);
        assert!(rejected.is_empty());
    }

    fn generated_calendar(n: usize) -> String {
        let mut ics = String::from(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n\
             BEGIN:STANDARD\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n\
             TZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n",
        );
        for i in 0..n {
            let day = 1 + i % 28;
            ics.push_str(&format!(
                "BEGIN:VEVENT\r\nUID:booking-{i:07}@rentals.example\r\nSEQUENCE:{}\r\n\
                 DTSTART;TZID=W. Europe Standard Time:202603{day:02}T100000\r\n\
                 DTEND;TZID=W. Europe Standard Time:202604{day:02}T100000\r\n\
                 DTSTAMP:20260301T120000Z\r\nLAST-MODIFIED:20260301T120000Z\r\n\
                 SUMMARY:VW Golf – Kunde {i}\r\nDESCRIPTION:Buchung BK-{i}\\nAbholung Station\r\n  \
                 Berlin Hbf\\, Europaplatz 1\r\nLOCATION:Berlin\r\nSTATUS:CONFIRMED\r\n\
                 END:VEVENT\r\n",
                i % 3
            ));
        }
        ics.push_str("END:VCALENDAR\r\n");
        ics
    }
}
