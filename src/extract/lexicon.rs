//! The date/time vocabulary of `mappings/languages.toml`, compiled into a tokenizer.
//!
//! Dates in booking texts come in every language and template, so the parser in
//! [`crate::extract::dates`] does not list formats: it reads tokens (numbers, words,
//! punctuation) and asks this lexicon what a word means (a month, a weekday, "at", "Uhr", ...).
//! A user adds a language by adding a table to the TOML file, without touching Rust.
//!
//! Words are compared folded (lower case, accents removed), so `März`, `MÄRZ` and `marz` are the
//! same word and a template that drops accents still parses. The lexicon is compiled once (word
//! table + phrase lists); tokenizing a text then costs one hash lookup per word.

use std::collections::BTreeMap;

use crate::extract::FastMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::error::{Error, Result};

/// What a lexicon entry says about a word or phrase (besides being a month).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cat {
    Weekday = 0,
    Am,
    Pm,
    DateTime,
    TimeDate,
    Hour,
    Ordinal,
    Connector,
    Range,
}

const N_CAT: usize = 9;

/// Word id of a word the lexicon does not know.
pub(crate) const UNKNOWN: u32 = u32::MAX;

/// One token of a text: a run of ASCII digits, a run of letters, or one other character.
/// Whitespace is not a token; it only sets `space_before` of the next one, because "10h00" and
/// "10 h 00" must not be read the same way.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok {
    pub start: usize,
    pub end: usize,
    pub kind: TokKind,
    /// Whitespace (or the start of the text) precedes this token.
    pub space_before: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// Digits: value (saturating, so a long reference cannot overflow) and digit count.
    Num { value: u32, len: u8 },
    /// Letters: the lexicon's word id, or [`UNKNOWN`].
    Word(u32),
    /// Any other character; dashes and apostrophes are normalised to `-` and `'`.
    Punct(char),
}

/// A lexicon entry of several tokens ("a las", "a.m.", "segunda-feira").
#[derive(Debug, Clone, PartialEq, Eq)]
enum PTok {
    Word(u32),
    Punct(char),
}

#[derive(Debug, Clone, Copy, Default)]
struct WordInfo {
    /// 1..=12, 0 when the word is no month.
    month: u8,
    /// Bit set of [`Cat`].
    cats: u16,
}

/// The compiled date/time vocabulary of all languages. Cheap to share across threads.
pub struct Lexicon {
    vocab: FastMap<Box<str>, u32>,
    info: Vec<WordInfo>,
    /// One-character punctuation entries per category (`,` joins a date and a time).
    puncts: [Vec<char>; N_CAT],
    /// Entries of two or more tokens per category, longest first so "a las" wins over "a".
    phrases: [Vec<Vec<PTok>>; N_CAT],
    /// Zone abbreviations as written (case-sensitive: French "est" is not EST).
    zones: FastMap<Box<str>, i32>,
    languages: Vec<String>,
}

impl fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lexicon")
            .field("languages", &self.languages)
            .field("words", &self.info.len())
            .field("zones", &self.zones.len())
            .finish()
    }
}

/// `languages.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    common: LanguageSpec,
    #[serde(default)]
    zones: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    languages: BTreeMap<String, LanguageSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LanguageSpec {
    name: String,
    months: Option<toml::Spanned<Vec<Vec<String>>>>,
    weekdays: Option<toml::Spanned<Vec<Vec<String>>>>,
    am: Vec<String>,
    pm: Vec<String>,
    date_time: Vec<String>,
    time_date: Vec<String>,
    hour_words: Vec<String>,
    ordinals: Vec<String>,
    connectors: Vec<String>,
    range: Vec<String>,
}

const BUILTIN_SRC: &str = include_str!("../../mappings/languages.toml");

impl Lexicon {
    /// Reads and compiles a `languages.toml`. Errors name the file and the line.
    pub fn load(path: &Path) -> Result<Lexicon> {
        let src = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Lexicon::from_toml(&src, path)
    }

    /// Compiles TOML source; `path` is only used in error messages.
    pub fn from_toml(src: &str, path: &Path) -> Result<Lexicon> {
        let fail = |span: Option<std::ops::Range<usize>>, message: String| {
            let message = match span {
                Some(s) => {
                    let (line, col) = line_col(src, s.start);
                    format!("line {line}, column {col}: {message}")
                }
                None => message,
            };
            Error::Mapping {
                path: path.to_path_buf(),
                message,
            }
        };
        let spec: FileSpec =
            toml::from_str(src).map_err(|e| fail(e.span(), e.message().trim().to_string()))?;
        let mut b = Builder::default();
        b.language(&spec.common)
            .map_err(|(s, m)| fail(s, format!("[common]: {m}")))?;
        for (code, lang) in &spec.languages {
            b.language(lang)
                .map_err(|(s, m)| fail(s, format!("[languages.{code}]: {m}")))?;
        }
        for (abbr, off) in &spec.zones {
            let secs = parse_offset(off.get_ref()).ok_or_else(|| {
                fail(
                    Some(off.span()),
                    format!(
                        "zone {abbr}: `{}` is not an offset like +01:00",
                        off.get_ref()
                    ),
                )
            })?;
            b.zones.insert(abbr.as_str().into(), secs);
        }
        let mut languages: Vec<String> = spec.languages.keys().cloned().collect();
        languages.sort();
        Ok(b.finish(languages))
    }

    /// The lexicon shipped with gapfill (`mappings/languages.toml` at build time), compiled once.
    pub fn builtin() -> &'static Lexicon {
        static BUILTIN: OnceLock<Lexicon> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            // The file is part of the source tree and checked by a unit test, so a failure here
            // is a build defect, not bad input.
            Lexicon::from_toml(BUILTIN_SRC, Path::new("mappings/languages.toml"))
                .unwrap_or_else(|e| panic!("built-in lexicon is invalid: {e}"))
        })
    }

    /// Language codes of the `[languages.*]` tables, sorted.
    pub fn languages(&self) -> &[String] {
        &self.languages
    }

    /// Month number (1..=12) of a month name or abbreviation in any language.
    pub fn month_number(&self, word: &str) -> Option<u32> {
        let mut folded = String::with_capacity(word.len());
        for c in word.trim().trim_end_matches('.').chars() {
            fold_char(c, &mut folded);
        }
        let id = *self.vocab.get(folded.as_str())?;
        self.month(id)
    }

    /// Offset in seconds east of UTC of a zone abbreviation (`CET` → 3600), case-sensitive.
    pub(crate) fn zone(&self, abbr: &str) -> Option<i32> {
        self.zones.get(abbr).copied()
    }

    pub(crate) fn month(&self, id: u32) -> Option<u32> {
        let m = self.info.get(id as usize)?.month;
        (m != 0).then_some(u32::from(m))
    }

    fn has(&self, id: u32, cat: Cat) -> bool {
        self.info
            .get(id as usize)
            .is_some_and(|i| i.cats & (1 << cat as u16) != 0)
    }

    /// Whether the word could start a date (month or weekday): the parser skips other words.
    pub(crate) fn is_date_word(&self, id: u32) -> bool {
        self.info
            .get(id as usize)
            .is_some_and(|i| i.month != 0 || i.cats & (1 << Cat::Weekday as u16) != 0)
    }

    /// Matches an entry of `cat` at token `i`; returns the index after it. A `.` right after a
    /// matched word is taken with it (except after hour words), because abbreviations are
    /// written with or without one.
    pub(crate) fn match_cat(&self, toks: &[Tok], i: usize, cat: Cat) -> Option<usize> {
        let first = toks.get(i)?;
        let mut end = None;
        for p in &self.phrases[cat as usize] {
            if phrase_at(toks, i, p) {
                end = Some(i + p.len());
                break;
            }
        }
        let end = match end {
            Some(e) => e,
            None => match first.kind {
                TokKind::Word(id) if self.has(id, cat) => i + 1,
                TokKind::Punct(c) if self.puncts[cat as usize].contains(&c) => i + 1,
                _ => return None,
            },
        };
        // "Uhr." ends a sentence far more often than it abbreviates anything.
        Some(if cat == Cat::Hour {
            end
        } else {
            skip_abbrev_dot(toks, end)
        })
    }

    /// Splits `text` into tokens (into `out`, cleared first, so a caller can reuse it).
    pub(crate) fn tokenize(&self, text: &str, out: &mut Vec<Tok>) {
        out.clear();
        let mut folded = String::new();
        let mut chars = text.char_indices().peekable();
        let mut space = true;
        while let Some((start, c)) = chars.next() {
            if c.is_whitespace() || is_invisible(c) {
                space = true;
                continue;
            }
            let (end, kind) = if c.is_ascii_digit() {
                let mut value = u32::from(c as u8 - b'0');
                let mut len: u8 = 1;
                let mut end = start + 1;
                while let Some(&(j, d)) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    value = value
                        .saturating_mul(10)
                        .saturating_add(u32::from(d as u8 - b'0'));
                    len = len.saturating_add(1);
                    end = j + 1;
                    chars.next();
                }
                (end, TokKind::Num { value, len })
            } else if c.is_alphabetic() {
                folded.clear();
                fold_char(c, &mut folded);
                let mut end = start + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_alphabetic() {
                        fold_char(d, &mut folded);
                    } else if !is_combining(d) {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                let id = self.vocab.get(folded.as_str()).copied().unwrap_or(UNKNOWN);
                (end, TokKind::Word(id))
            } else {
                (start + c.len_utf8(), TokKind::Punct(normalize_punct(c)))
            };
            out.push(Tok {
                start,
                end,
                kind,
                space_before: space,
            });
            space = false;
        }
    }
}

/// Collects entries while reading the TOML file.
#[derive(Default)]
struct Builder {
    vocab: FastMap<Box<str>, u32>,
    info: Vec<WordInfo>,
    puncts: [Vec<char>; N_CAT],
    phrases: [Vec<Vec<PTok>>; N_CAT],
    zones: FastMap<Box<str>, i32>,
}

type SpecError = (Option<std::ops::Range<usize>>, String);

impl Builder {
    fn language(&mut self, l: &LanguageSpec) -> std::result::Result<(), SpecError> {
        if let Some(months) = &l.months {
            let list = months.get_ref();
            if list.len() != 12 {
                return Err((
                    Some(months.span()),
                    format!("months has {} entries, expected 12", list.len()),
                ));
            }
            for (n, names) in list.iter().enumerate() {
                for name in names {
                    self.month(name, n as u8 + 1)
                        .map_err(|m| (Some(months.span()), m))?;
                }
            }
        }
        if let Some(days) = &l.weekdays {
            if days.get_ref().len() != 7 {
                return Err((
                    Some(days.span()),
                    format!("weekdays has {} entries, expected 7", days.get_ref().len()),
                ));
            }
            for name in days.get_ref().iter().flatten() {
                self.entry(name, Cat::Weekday)
                    .map_err(|m| (Some(days.span()), m))?;
            }
        }
        let lists = [
            (&l.am, Cat::Am),
            (&l.pm, Cat::Pm),
            (&l.date_time, Cat::DateTime),
            (&l.time_date, Cat::TimeDate),
            (&l.hour_words, Cat::Hour),
            (&l.ordinals, Cat::Ordinal),
            (&l.connectors, Cat::Connector),
            (&l.range, Cat::Range),
        ];
        for (list, cat) in lists {
            for e in list {
                self.entry(e, cat).map_err(|m| (None, m))?;
            }
        }
        Ok(())
    }

    fn month(&mut self, name: &str, n: u8) -> std::result::Result<(), String> {
        let toks = self.entry_tokens(name)?;
        let [PTok::Word(id)] = toks.as_slice() else {
            return Err(format!("month name `{name}` must be one word"));
        };
        let info = &mut self.info[*id as usize];
        if info.month != 0 && info.month != n {
            return Err(format!("`{name}` is month {} and month {n}", info.month));
        }
        info.month = n;
        Ok(())
    }

    fn entry(&mut self, text: &str, cat: Cat) -> std::result::Result<(), String> {
        let toks = self.entry_tokens(text)?;
        match toks.as_slice() {
            [PTok::Word(id)] => self.info[*id as usize].cats |= 1 << cat as u16,
            [PTok::Punct(c)] => {
                if !self.puncts[cat as usize].contains(c) {
                    self.puncts[cat as usize].push(*c);
                }
            }
            _ => {
                let list = &mut self.phrases[cat as usize];
                if !list.contains(&toks) {
                    list.push(toks);
                }
            }
        }
        Ok(())
    }

    /// Tokenizes an entry with the text tokenizer's rules, interning its words. A trailing `.`
    /// is dropped (the matcher makes it optional) unless the entry is only punctuation.
    fn entry_tokens(&mut self, text: &str) -> std::result::Result<Vec<PTok>, String> {
        let mut out = Vec::new();
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut Vec<PTok>, b: &mut Builder| {
            if !word.is_empty() {
                let next = b.info.len() as u32;
                let id = *b.vocab.entry(word.as_str().into()).or_insert(next);
                if id == next {
                    b.info.push(WordInfo::default());
                }
                out.push(PTok::Word(id));
                word.clear();
            }
        };
        for c in text.trim().chars() {
            if c.is_alphabetic() {
                fold_char(c, &mut word);
            } else if is_combining(c) {
                continue;
            } else {
                flush(&mut word, &mut out, self);
                if c.is_ascii_digit() {
                    return Err(format!("entry `{text}` contains a digit"));
                }
                if !c.is_whitespace() {
                    out.push(PTok::Punct(normalize_punct(c)));
                }
            }
        }
        flush(&mut word, &mut out, self);
        if out.len() > 1 && out.last() == Some(&PTok::Punct('.')) {
            out.pop();
        }
        if out.is_empty() {
            return Err(format!("empty entry `{text}`"));
        }
        Ok(out)
    }

    fn finish(mut self, languages: Vec<String>) -> Lexicon {
        for list in &mut self.phrases {
            list.sort_by_key(|p| std::cmp::Reverse(p.len()));
        }
        Lexicon {
            vocab: self.vocab,
            info: self.info,
            puncts: self.puncts,
            phrases: self.phrases,
            zones: self.zones,
            languages,
        }
    }
}

fn phrase_at(toks: &[Tok], i: usize, phrase: &[PTok]) -> bool {
    phrase.iter().enumerate().all(|(n, p)| {
        toks.get(i + n).is_some_and(|t| match (p, t.kind) {
            (PTok::Word(a), TokKind::Word(b)) => *a == b,
            (PTok::Punct(a), TokKind::Punct(b)) => *a == b,
            _ => false,
        })
    })
}

/// Takes a `.` written right after a word ("févr.", "Sa.", "a.m."), if there is one.
fn skip_abbrev_dot(toks: &[Tok], end: usize) -> usize {
    let after_word = end
        .checked_sub(1)
        .and_then(|p| toks.get(p))
        .is_some_and(|t| matches!(t.kind, TokKind::Word(_)));
    match toks.get(end) {
        Some(t) if after_word && !t.space_before && t.kind == TokKind::Punct('.') => end + 1,
        _ => end,
    }
}

/// Lower case without accents, so lexicon entries and text compare whatever the spelling.
pub(crate) fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    match deunicode::deunicode_char(c) {
        Some(s) => out.extend(s.chars().map(|x| x.to_ascii_lowercase())),
        None => out.extend(c.to_lowercase()),
    }
}

/// Combining accents (decomposed "é") belong to the word they follow.
fn is_combining(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}')
}

/// Zero-width characters that HTML-to-text conversion leaves behind.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}'
    )
}

fn normalize_punct(c: char) -> char {
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe63}' | '\u{ff0d}' => '-',
        '\u{2018}' | '\u{2019}' | '\u{02bc}' | '\u{2032}' | '`' => '\'',
        '\u{ff0f}' => '/',
        _ => c,
    }
}

/// `+01:00`, `-05:00`, `+0530`, `+1` → seconds east.
fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => (1, s),
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 && rest.bytes().all(|b| b.is_ascii_digit()) => rest.split_at(2),
        None => (rest, "0"),
    };
    if h.is_empty() || h.len() > 2 || !h.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if m.is_empty() || m.len() > 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(lex: &Lexicon, text: &str) -> Vec<TokKind> {
        let mut v = Vec::new();
        lex.tokenize(text, &mut v);
        v.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn builtin_loads_all_languages() {
        let lex = Lexicon::builtin();
        assert_eq!(lex.languages(), ["de", "en", "es", "fr", "it", "nl", "pt"]);
        assert_eq!(lex.zone("CEST"), Some(7200));
        assert_eq!(lex.zone("est"), None);
        assert_eq!(lex.zone("EST"), Some(-18000));
    }

    #[test]
    fn months_match_without_case_accents_or_dot() {
        let lex = Lexicon::builtin();
        for (w, m) in [
            ("März", 3),
            ("MAERZ", 3),
            ("Mrz", 3),
            ("févr.", 2),
            ("fevrier", 2),
            ("sept", 9),
            ("Sept.", 9),
            ("set", 9),
            ("dic", 12),
            ("março", 3),
            ("maart", 3),
            ("août", 8),
            ("Jänner", 1),
        ] {
            assert_eq!(lex.month_number(w), Some(m), "{w}");
        }
        assert_eq!(lex.month_number("Uhr"), None);
    }

    #[test]
    fn tokenizer_splits_digits_letters_and_marks() {
        let lex = Lexicon::builtin();
        let t = words(lex, "10h00");
        assert!(matches!(t[0], TokKind::Num { value: 10, len: 2 }));
        assert!(matches!(t[2], TokKind::Num { value: 0, len: 2 }));
        assert_eq!(words(lex, "14–17")[1], TokKind::Punct('-'));
        // Decomposed accent stays in the word.
        let id = match words(lex, "fe\u{301}vr")[0] {
            TokKind::Word(id) => id,
            _ => UNKNOWN,
        };
        assert_eq!(lex.month(id), Some(2));
        let mut v = Vec::new();
        lex.tokenize("a  b", &mut v);
        assert!(v[0].space_before && v[1].space_before);
        assert_eq!((v[1].start, v[1].end), (3, 4));
    }

    #[test]
    fn phrases_match_longest_first() {
        let lex = Lexicon::builtin();
        let mut v = Vec::new();
        lex.tokenize("a las 10", &mut v);
        assert_eq!(lex.match_cat(&v, 0, Cat::DateTime), Some(2));
        lex.tokenize("10 a. m.", &mut v);
        assert_eq!(lex.match_cat(&v, 1, Cat::Am), Some(5));
        lex.tokenize("10 a.m.", &mut v);
        assert_eq!(lex.match_cat(&v, 1, Cat::Am), Some(5));
        lex.tokenize("Sa., 14", &mut v);
        assert_eq!(lex.match_cat(&v, 0, Cat::Weekday), Some(2));
    }

    #[test]
    fn broken_toml_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("languages.toml");
        std::fs::write(
            &path,
            "[languages.xx]\nname = \"X\"\nam = [\"am\"\npm = [\"pm\"]\n",
        )
        .unwrap();
        let msg = Lexicon::load(&path).unwrap_err().to_string();
        assert!(msg.contains("languages.toml"), "{msg}");
        assert!(msg.contains("line 3") || msg.contains("line 4"), "{msg}");
    }

    #[test]
    fn invalid_content_names_line_and_language() {
        let src = "[languages.xx]\nname = \"X\"\nmonths = [[\"a\"], [\"b\"]]\n";
        let msg = Lexicon::from_toml(src, Path::new("m/languages.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("m/languages.toml"), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("languages.xx") && msg.contains("12"), "{msg}");

        let src = "[languages.xx]\nnmae = \"X\"\n";
        let msg = Lexicon::from_toml(src, Path::new("l.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("line 2") && msg.contains("nmae"), "{msg}");

        let src = "[zones]\nXST = \"+25:00\"\n";
        let msg = Lexicon::from_toml(src, Path::new("l.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("line 2") && msg.contains("XST"), "{msg}");
    }

    #[test]
    fn a_new_language_needs_only_toml() {
        let src = r#"
[languages.sv]
name = "Svenska"
months = [["januari"], ["februari"], ["mars"], ["april"], ["maj"], ["juni"],
          ["juli"], ["augusti"], ["september"], ["oktober"], ["november"], ["december"]]
date_time = ["kl"]
"#;
        let lex = Lexicon::from_toml(src, Path::new("x.toml")).unwrap();
        assert_eq!(lex.month_number("maj"), Some(5));
        assert_eq!(lex.languages(), ["sv"]);
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+01:00"), Some(3600));
        assert_eq!(parse_offset("-05:00"), Some(-18000));
        assert_eq!(parse_offset("+0530"), Some(19800));
        assert_eq!(parse_offset("+9:30"), Some(34200));
        assert_eq!(parse_offset("x"), None);
    }
}
