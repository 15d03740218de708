//! The general extractor: reads booking fields out of any text by labels, sentences and
//! token shapes. It is what makes a template nobody wrote a mapping for still work.

use std::sync::OnceLock;

use chrono::NaiveTime;
use regex::Regex;

use crate::evidence::{Field, Fields};
use crate::extract::amounts;
use crate::extract::config::{LabelKind, Vocab};
use crate::extract::dates::{self, DateOrder, FoundDate, Lexicon};

/// Confidence of a value read by a mapping regex written for this template.
pub const CONF_MAPPING: f32 = 0.95;
/// ... by a labelled line (`Pick-up: ...`) of the general vocabulary.
pub const CONF_LABEL: f32 = 0.85;
/// ... by a sentence that names the field (`your pick-up is on ...`).
pub const CONF_SENTENCE: f32 = 0.65;
/// ... by token shape alone (a ref-like token, the first date in a mail).
pub const CONF_FALLBACK: f32 = 0.45;

/// The extractor name of mails no template family matched: the general extractor read them.
pub static LABELS: std::sync::LazyLock<crate::evidence::Shared> =
    std::sync::LazyLock::new(|| "labels".into());

/// Lower case, accents folded to ASCII, punctuation to single spaces: `Pick-up Date:` →
/// `pick up date`. Labels, keywords and keys are compared in this form.
pub fn fold(s: &str) -> String {
    // one pass and one allocation: this runs on every line of every mail
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.chars() {
        if c.is_ascii() {
            fold_byte(&mut out, &mut space, c as u8);
            continue;
        }
        for lower in c.to_lowercase() {
            // a character without transliteration separates words, as punctuation does
            let ascii = deunicode::deunicode_char(lower).unwrap_or(" ");
            for b in ascii.bytes() {
                fold_byte(&mut out, &mut space, b);
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Appends one ASCII byte to a [`fold`]ed string: letters and digits in lower case, anything
/// else as one space between words.
#[inline]
fn fold_byte(out: &mut String, space: &mut bool, b: u8) {
    if b.is_ascii_alphanumeric() || b == b'#' {
        out.push(char::from(b.to_ascii_lowercase()));
        *space = false;
    } else if !*space {
        out.push(' ');
        *space = true;
    }
}

/// True when `words` (folded) occurs in `hay` (folded) on word boundaries.
pub fn contains_words(hay: &str, words: &str) -> bool {
    if words.is_empty() {
        return false;
    }
    let mut start = 0;
    while let Some(i) = hay[start..].find(words) {
        let a = start + i;
        let b = a + words.len();
        let left = a == 0 || hay.as_bytes()[a - 1] == b' ';
        let right = b == hay.len() || hay.as_bytes()[b] == b' ';
        if left && right {
            return true;
        }
        start = a + 1;
        while start < hay.len() && !hay.is_char_boundary(start) {
            start += 1;
        }
        if start >= hay.len() {
            break;
        }
    }
    false
}

/// What extraction needs to know about the text's context.
pub struct TextCtx<'a> {
    pub vocab: &'a Vocab,
    pub lex: &'a Lexicon,
    pub tz: chrono_tz::Tz,
    pub order: DateOrder,
    pub currency: &'a str,
    /// Addresses that belong to the platform or the business, never the customer.
    pub own_addresses: &'a [String],
    /// The local day the text was written (mail `Date`, charge `created`): dates without a
    /// year are read relative to it.
    pub written: Option<chrono::NaiveDate>,
}

impl TextCtx<'_> {
    /// All date(-time)s in `s`, year-less ones dated from [`TextCtx::written`].
    pub fn find_dates(&self, s: &str) -> Vec<FoundDate> {
        dates::find_datetimes_near(s, self.order, self.lex, self.written)
    }

    /// The first date(-time) in `s`.
    pub fn parse_date(&self, s: &str) -> Option<FoundDate> {
        dates::parse_datetime_near(s, self.order, self.lex, self.written)
    }

    /// Sets the day the text was written from an epoch timestamp, in the tenant's zone.
    pub fn written_at(mut self, ts: Option<i64>) -> Self {
        self.written = ts
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|d| d.with_timezone(&self.tz).date_naive());
        self
    }
}

/// Sets a field when it is empty or the new value is more trusted.
pub fn put<T>(slot: &mut Option<T>, conf: &mut [f32; Field::COUNT], f: Field, v: T, c: f32) {
    if slot.is_none() || c > conf[f as usize] {
        *slot = Some(v);
        conf[f as usize] = c;
    }
}

/// Date and time parts of pick-up/return gathered from several lines, combined at the end.
#[derive(Default)]
struct When {
    found: Option<(FoundDate, f32)>,
    time: Option<NaiveTime>,
}

#[derive(Default)]
struct Pending {
    pickup: When,
    ret: When,
}

fn email_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)[a-z0-9._%+\-']+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}")
            .expect("static regex")
    })
}

fn phone_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?:\+|\b00|\()?\d[\d \-/().\u{a0}]{5,}\d").expect("static regex"))
}

fn intl_phone_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?:\+|\b00)\d[\d \-/().]{7,}\d").expect("static regex"))
}

/// A phone number right after a phone word anywhere in a line ("…, Tel. 0172 5781154").
fn phone_after_word_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)\b(?:tel|phone|telefon|telephone|téléphone|teléfono|telefono|mobil|mobile|handy|móvil|movil|cell|portable)\b\.?:?\s*(\+?\(?\d[\d \-/().]{5,}\d)")
            .expect("static regex")
    })
}

/// The text above a signature delimiter (`-- ` on its own line): the footer holds the
/// business's own phone and address, never the customer's.
pub fn without_signature(text: &str) -> &str {
    for delim in ["\n-- \n", "\n--\n", "\n-- \r\n"] {
        if let Some(i) = text.find(delim) {
            return &text[..i];
        }
    }
    text
}

pub fn find_email(s: &str) -> Option<String> {
    email_re()
        .find(s)
        .map(|m| m.as_str().trim_matches('.').to_lowercase())
}

pub fn find_phone(s: &str) -> Option<String> {
    phone_re()
        .find_iter(s)
        .map(|m| m.as_str().trim().to_string())
        .find(|p| (7..=15).contains(&p.chars().filter(char::is_ascii_digit).count()))
}

/// Digits of a phone number, for comparison (`+49 170 1234567` → `491701234567`).
pub fn phone_digits(p: &str) -> String {
    p.chars().filter(char::is_ascii_digit).collect()
}

/// A booking reference in a labelled value: the first token with a digit, or the first token.
pub fn clean_ref(v: &str) -> Option<String> {
    let tokens: Vec<&str> = v
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
        .map(|t| t.trim_matches(|c: char| c == '#' || c == ':' || c == '.' || c == '*'))
        .filter(|t| !t.is_empty())
        .collect();
    // a code with a digit, or one in capitals ("R7KQXZ"); "Reference: Car hire" names none
    let t = tokens
        .iter()
        .find(|t| t.chars().any(|c| c.is_ascii_digit()))
        .or(tokens
            .first()
            .filter(|t| t.len() >= 4 && !t.chars().any(char::is_lowercase)))?;
    if t.len() < 3 || t.len() > 40 || t.contains('@') {
        return None;
    }
    Some(t.to_string())
}

/// Ref-shaped tokens in free text: upper-case letters and digits (`BK-48213`,
/// `AA-2026-00123`, `R7K2QX`), never dates, phones, amounts or plain numbers.
pub fn ref_tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in s.split(|c: char| c.is_whitespace() || ",;:()[]<>\"'|·".contains(c)) {
        let t =
            raw.trim_matches(|c: char| c == '#' || c == '.' || c == '-' || c == '*' || c == '!');
        if !(5..=20).contains(&t.len()) || !t.is_ascii() {
            continue;
        }
        let digits = t.chars().filter(char::is_ascii_digit).count();
        let upper = t.chars().filter(char::is_ascii_uppercase).count();
        let lower = t.chars().filter(char::is_ascii_lowercase).count();
        let bad = t
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '/'));
        if bad || lower > 0 || digits < 2 || upper == 0 {
            continue;
        }
        out.push(t.to_string());
    }
    out
}

/// A person's name from a value: honorifics and trailing clutter removed.
pub fn clean_name(v: &str, vocab: &Vocab) -> Option<String> {
    let v = v
        .split(['(', '<', '|', '\t'])
        .next()
        .unwrap_or("")
        .split(", ")
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches(['.', ',', '!', ':']);
    let words: Vec<&str> = v.split_whitespace().collect();
    let start = words
        .iter()
        .position(|w| !vocab.honorifics.contains(&fold(w)))
        .unwrap_or(words.len());
    let words = &words[start..];
    if words.is_empty() || words.len() > 6 {
        return None;
    }
    if words
        .iter()
        .any(|w| w.contains('@') || w.chars().any(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let name = words.join(" ");
    name.chars().any(char::is_alphabetic).then_some(name)
}

/// The vehicle named in a free text: a make from the vocabulary and up to three model words.
pub fn find_vehicle(s: &str, vocab: &Vocab) -> Option<(usize, usize)> {
    let words: Vec<(usize, &str)> = word_spans(s);
    let folded: Vec<String> = words.iter().map(|(_, w)| fold(w)).collect();
    // every make match with its model words; the one with most model words wins ("Yuki
    // Suzuki (Peugeot 208)": the surname Suzuki is a make too)
    let mut best: Option<(usize, usize, usize)> = None;
    for i in 0..words.len() {
        let Some(heads) = vocab.make_heads.get(&folded[i]) else {
            continue;
        };
        for make in heads.iter().map(|&m| &vocab.makes[m as usize]) {
            if i + make.len() > words.len() {
                continue;
            }
            if (0..make.len()).all(|k| folded[i + k] == make[k]) {
                let start = words[i].0;
                let mut j = i + make.len();
                let mut taken = 0;
                while j < words.len() && taken < 3 {
                    let w = words[j].1;
                    let prev_end = words[j - 1].0 + words[j - 1].1.len();
                    let gap = &s[prev_end..words[j].0];
                    if !gap.chars().all(|c| c == ' ' || c == '-') {
                        break;
                    }
                    let fw = &folded[j];
                    let modelish = w
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
                        || w.chars().any(|c| c.is_ascii_digit());
                    if !modelish || vocab.title_words.contains(fw.as_str()) {
                        break;
                    }
                    j += 1;
                    taken += 1;
                }
                let end = words[j - 1].0 + words[j - 1].1.len();
                if best.is_none_or(|(_, _, t)| taken > t) {
                    best = Some((start, end, taken));
                }
                break;
            }
        }
    }
    best.map(|(a, b, _)| (a, b))
}

/// Words with their byte offsets; a word is letters, digits and `.-'` inside.
fn word_spans(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices() {
        // `-` separates (Mercedes-Benz → Mercedes, Benz) so that makes written with or
        // without a hyphen match; `.` and `'` stay inside (ID.4, O'Brien)
        let inside = c.is_alphanumeric() || ((c == '.' || c == '\'') && start.is_some());
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                out.push((st, s[st..i].trim_end_matches(['.', '-'])));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, s[st..].trim_end_matches(['.', '-'])));
    }
    out.retain(|(_, w)| !w.is_empty());
    out
}

/// Cleans a vehicle value ("VW Golf or similar" → "VW Golf").
pub fn clean_vehicle(v: &str, vocab: &Vocab) -> Option<String> {
    let mut v = v
        .split(['(', '|', '\t'])
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    // cut at the first word where a noise phrase ("or similar", "oder ähnlich") starts
    let words: Vec<&str> = v.split_whitespace().collect();
    // the folded words joined once; the rest from word i on is a slice of it
    let mut folded = String::with_capacity(v.len() + 8);
    let mut starts = Vec::with_capacity(words.len());
    for w in &words {
        if !folded.is_empty() {
            folded.push(' ');
        }
        starts.push(folded.len());
        folded.push_str(&fold(w));
    }
    let cut = starts.iter().position(|&at| {
        let rest = &folded[at..];
        vocab.vehicle_noise.iter().any(|n| {
            rest.strip_prefix(n.as_str())
                .is_some_and(|after| after.is_empty() || after.starts_with(' '))
        })
    });
    if let Some(i) = cut {
        v = words[..i].join(" ");
    }
    let v = v
        .trim()
        .trim_end_matches([',', '.', '-', ';'])
        .trim()
        .to_string();
    (!v.is_empty() && v.chars().any(char::is_alphabetic) && v.len() <= 80).then_some(v)
}

fn clean_location(v: &str) -> Option<String> {
    let v = v
        .trim()
        .trim_start_matches(|c: char| ",-–—|@·/:;".contains(c) || c.is_whitespace())
        .trim_end_matches(|c: char| ",.-–—|/:;".contains(c) || c.is_whitespace());
    let v = strip_connector(v);
    (v.chars().filter(|c| c.is_alphabetic()).count() >= 2 && v.len() <= 120).then(|| v.to_string())
}

/// Drops a leading connector word ("at", "in", "à", "um", "en", "bei", "a", "in der").
fn strip_connector(v: &str) -> &str {
    const CONNECTORS: [&str; 27] = [
        "at ", "in ", "à ", "a ", "en ", "um ", "bei ", "an ", "from ", "de ", "au ", "aux ",
        "in der ", "im ", "presso ", "em ", "no ", "na ", "nel ", "nella ", "all'", "op ", "bij ",
        "te ", "w ", "i ", "en el ",
    ];
    /// Words for "the branch" that stand before a place's name ("à l'agence Nice Gare").
    const BRANCH_WORDS: [&str; 9] = [
        "l'agence ",
        "l’agence ",
        "agence ",
        "notre agence ",
        "our branch ",
        "the branch ",
        "our office ",
        "la oficina ",
        "unserer filiale ",
    ];
    let mut v = v;
    for list in [&CONNECTORS[..], &BRANCH_WORDS[..]] {
        let lower = v.to_lowercase();
        // the longest that fits: "in der " before "in ", "en el " before "en "
        let hit = list
            .iter()
            .filter(|c| lower.starts_with(**c) && v.is_char_boundary(c.len()))
            .filter(|c| v.len() > c.len() + 1)
            .max_by_key(|c| c.len());
        if let Some(c) = hit {
            v = v[c.len()..].trim();
        }
    }
    v
}

/// Splits `Label: value` (also `Label<TAB>value` and `Label   value`); None when the line has
/// no label shape.
fn split_label(line: &str) -> Option<(&str, &str)> {
    let cut = |i: usize, w: usize| Some((line[..i].trim(), line[i + w..].trim()));
    if let Some(i) = line.find(['\t']) {
        return cut(i, 1);
    }
    if let Some(i) = line.find(':') {
        // `10:00` is not a label separator: the label part must not end in a digit
        let before = &line[..i];
        if !before.ends_with(|c: char| c.is_ascii_digit()) && before.chars().count() <= 48 {
            return cut(i, 1);
        }
    }
    if let Some(i) = line.find("  ") {
        return cut(i, 2);
    }
    if let Some(i) = line.find(" - ") {
        if i <= 40 {
            return cut(i, 3);
        }
    }
    None
}

/// Looks a label up: exact, then the longest vocabulary label that starts or ends it.
fn lookup_label(vocab: &Vocab, folded: &str) -> Option<LabelKind> {
    if folded.is_empty() || folded.len() > 48 {
        return None;
    }
    if let Some(k) = vocab.labels.get(folded) {
        return Some(*k);
    }
    // `folded` has single spaces between words: the first or last n words are slices of it
    let spaces: Vec<usize> = folded.match_indices(' ').map(|(i, _)| i).collect();
    let words = spaces.len() + 1;
    let mut best: Option<(usize, LabelKind)> = None;
    for n in (1..words).rev() {
        let head = &folded[..spaces[n - 1]];
        let tail = &folded[spaces[words - n - 1] + 1..];
        for cand in [head, tail] {
            if cand.len() < 5 {
                continue;
            }
            if let Some(k) = vocab.labels.get(cand) {
                if best.is_none_or(|(l, _)| cand.len() > l) {
                    best = Some((cand.len(), *k));
                }
            }
        }
        if best.is_some() {
            break;
        }
    }
    best.map(|(_, k)| k)
}

/// Reads labelled lines, then sentences, into `out`. Values already present with a higher
/// confidence are kept.
pub fn extract_labels(text: &str, ctx: &TextCtx, out: &mut Fields) {
    let text = without_signature(text);
    let mut pending = Pending::default();
    let mut carry: Option<(LabelKind, bool)> = None;
    for raw in text.lines() {
        let line = raw
            .trim()
            .trim_start_matches(['*', '-', '•', '·', '>', '|', '–'])
            .trim();
        if line.is_empty() {
            continue;
        }
        if let Some((kind, is_new)) = carry.take() {
            // a label alone on its line: this line is its value
            if split_label(line).is_none_or(|(l, _)| lookup_label(ctx.vocab, &fold(l)).is_none()) {
                apply(kind, line, is_new, ctx, out, &mut pending, CONF_LABEL);
                continue;
            }
        }
        let split = split_label(line);
        let (label, value) = split.unwrap_or((line, ""));
        let fl = fold(label);
        if fl.split(' ').any(|w| ctx.vocab.skip_words.contains(w)) {
            continue;
        }
        let is_new = fl.split(' ').any(|w| ctx.vocab.new_words.contains(w));
        match lookup_label(ctx.vocab, &fl) {
            Some(kind) if value.is_empty() => carry = Some((kind, is_new)),
            Some(kind) => apply(kind, value, is_new, ctx, out, &mut pending, CONF_LABEL),
            None => {
                // a line without a label was folded whole already
                sentence(
                    line,
                    split.is_none().then_some(fl.as_str()),
                    ctx,
                    &mut pending,
                );
                clauses(line, ctx, out, &mut pending);
            }
        }
    }
    finish(&mut pending, ctx, out);
}

/// Separators that cut a free-text line into clauses: staff-typed calendar notes and one-line
/// summaries ("Réf. K3MM9M – Jérôme Moreau, 06 41 95 98 07 – retour à l'agence Nice").
const CLAUSE_SEPARATORS: [&str; 7] = [" – ", " — ", " | ", " · ", "; ", " / ", " - "];

/// Reads the clauses of a line that has no label as a whole: a clause with a label of its
/// own (`Tel: …`), one that starts with a label word (`retour à l'agence Nice`, `Réf. AB12`),
/// or one that is nothing but a booking reference, a phone number or an e-mail address. All at sentence trust:
/// below a real label, above the fallback.
fn clauses(line: &str, ctx: &TextCtx, out: &mut Fields, p: &mut Pending) {
    if !CLAUSE_SEPARATORS.iter().any(|sep| line.contains(sep)) {
        return;
    }
    let mut parts: Vec<&str> = vec![line];
    for sep in CLAUSE_SEPARATORS {
        parts = parts.iter().flat_map(|x| x.split(sep)).collect();
    }
    if parts.len() < 2 {
        return;
    }
    for clause in parts.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if let Some((label, value)) = split_label(clause) {
            if let Some(kind) = lookup_label(ctx.vocab, &fold(label)) {
                if !value.is_empty() {
                    apply(kind, value, false, ctx, out, p, CONF_SENTENCE);
                    continue;
                }
            }
        }
        if let Some((kind, value)) = leading_label(clause, ctx.vocab) {
            apply(kind, value, false, ctx, out, p, CONF_SENTENCE);
            continue;
        }
        for piece in clause.split(", ").map(str::trim) {
            let refs = ref_tokens(piece);
            if refs.len() == 1 && refs[0].len() + 2 >= piece.len() {
                put(
                    &mut out.booking_ref,
                    &mut out.conf,
                    Field::BookingRef,
                    refs[0].clone(),
                    CONF_SENTENCE,
                );
                continue;
            }
            if piece.chars().any(char::is_alphabetic) {
                if let Some(e) = find_email(piece).filter(|e| e.len() + 2 >= piece.len()) {
                    put(
                        &mut out.customer_email,
                        &mut out.conf,
                        Field::CustomerEmail,
                        e,
                        CONF_SENTENCE,
                    );
                }
                continue;
            }
            let is_phone = find_phone(piece).is_some_and(|ph| ph.len() + 2 >= piece.len())
                && piece.starts_with(['+', '0', '('])
                && ctx.parse_date(piece).is_none();
            if is_phone {
                put(
                    &mut out.customer_phone,
                    &mut out.conf,
                    Field::CustomerPhone,
                    piece.to_string(),
                    CONF_SENTENCE,
                );
            }
        }
    }
}

/// A clause that starts with a label of one to three words and goes on with its value, without
/// a colon: `Réf. K3MM9M`, `retour à l'agence Nice Aéroport T2`. Short labels ("du", "von",
/// "from") are too often plain words to count here.
fn leading_label<'a>(clause: &'a str, vocab: &Vocab) -> Option<(LabelKind, &'a str)> {
    let words: Vec<(usize, &str)> = word_spans(clause);
    for n in (1..=3.min(words.len().saturating_sub(1))).rev() {
        let label: Vec<&str> = words[..n].iter().map(|(_, w)| *w).collect();
        let fl = fold(&label.join(" "));
        let (last_at, last) = words[n - 1];
        let dotted = clause[last_at + last.len()..].starts_with('.');
        if fl.len() < 5 && !(fl.len() >= 3 && dotted) {
            continue;
        }
        if let Some(kind) = vocab.labels.get(&fl) {
            let value = clause[words[n].0..].trim();
            return (!value.is_empty()).then_some((*kind, value));
        }
    }
    None
}

/// A line without a label that still names pick-up or return and has a date:
/// "Ihre Abholung: Samstag, 14. März 2026 um 10:00 Uhr in München Flughafen" is handled as a
/// label; "Please collect your car on 14 March at 10:00" is handled here.
/// `folded`: `fold(line)`, when the caller has it.
fn sentence(line: &str, folded: Option<&str>, ctx: &TextCtx, p: &mut Pending) {
    if !line.bytes().any(|b| b.is_ascii_digit()) {
        return;
    }
    let fl = folded.map_or_else(
        || std::borrow::Cow::Owned(fold(line)),
        std::borrow::Cow::Borrowed,
    );
    let is_pickup = ctx.vocab.pickup_re.is_match(&fl);
    let is_return = ctx.vocab.return_re.is_match(&fl);
    let found = ctx.find_dates(line);
    match (is_pickup, is_return, found.len()) {
        (true, true, n) if n >= 2 => {
            set_when(&mut p.pickup, found[0].clone(), CONF_SENTENCE);
            set_when(&mut p.ret, found[1].clone(), CONF_SENTENCE);
        }
        (true, false, n) if n >= 1 => set_when(&mut p.pickup, found[0].clone(), CONF_SENTENCE),
        (false, true, n) if n >= 1 => set_when(&mut p.ret, found[0].clone(), CONF_SENTENCE),
        _ => {}
    }
}

fn set_when(w: &mut When, f: FoundDate, c: f32) {
    if w.found.as_ref().is_none_or(|(_, old)| c > *old) {
        w.found = Some((f, c));
    }
}

/// Applies one labelled value.
fn apply(
    kind: LabelKind,
    value: &str,
    is_new: bool,
    ctx: &TextCtx,
    out: &mut Fields,
    p: &mut Pending,
    c: f32,
) {
    let c = if is_new { c + 0.02 } else { c };
    let conf = &mut out.conf;
    match kind {
        LabelKind::Field(Field::BookingRef) => {
            if let Some(r) = clean_ref(value) {
                put(&mut out.booking_ref, conf, Field::BookingRef, r, c);
            }
        }
        LabelKind::Field(Field::CustomerName) => {
            if let Some(n) = clean_name(value, ctx.vocab) {
                put(&mut out.customer_name, conf, Field::CustomerName, n, c);
            }
        }
        LabelKind::Field(Field::CustomerEmail) => {
            if let Some(e) = find_email(value) {
                put(&mut out.customer_email, conf, Field::CustomerEmail, e, c);
            }
        }
        LabelKind::Field(Field::CustomerPhone) => {
            if let Some(ph) = find_phone(value) {
                put(&mut out.customer_phone, conf, Field::CustomerPhone, ph, c);
            }
        }
        LabelKind::Field(Field::Vehicle) => {
            if let Some(v) = clean_vehicle(value, ctx.vocab) {
                put(&mut out.vehicle, conf, Field::Vehicle, v, c);
            }
        }
        LabelKind::Field(Field::PickupLocation) => {
            if let Some(l) = clean_location(value) {
                put(&mut out.pickup_location, conf, Field::PickupLocation, l, c);
            }
        }
        LabelKind::Field(Field::ReturnLocation) => {
            if let Some(l) = clean_location(value) {
                put(&mut out.return_location, conf, Field::ReturnLocation, l, c);
            }
        }
        LabelKind::Field(Field::Total) => {
            if let Some((m, cur)) = money(value, ctx) {
                put(&mut out.total, conf, Field::Total, m, c);
                out.currency.get_or_insert(amounts::currency_code(cur));
            }
        }
        LabelKind::Field(Field::Deposit) => {
            if let Some((m, cur)) = money(value, ctx) {
                put(&mut out.deposit, conf, Field::Deposit, m, c);
                out.currency.get_or_insert(amounts::currency_code(cur));
            }
        }
        LabelKind::AmountPaid => {
            if let Some((m, cur)) = money(value, ctx) {
                if out.amount_paid.is_none() {
                    out.amount_paid = Some(m);
                }
                out.currency.get_or_insert(amounts::currency_code(cur));
            }
        }
        LabelKind::Contact => {
            if let Some(e) = find_email(value) {
                put(&mut out.customer_email, conf, Field::CustomerEmail, e, c);
            }
            let without_mail = email_re().replace_all(value, " ");
            if let Some(ph) = find_phone(&without_mail) {
                put(&mut out.customer_phone, conf, Field::CustomerPhone, ph, c);
            }
        }
        LabelKind::Field(Field::PickupAt) => when_value(&mut p.pickup, value, ctx, c),
        LabelKind::Field(Field::ReturnAt) => when_value(&mut p.ret, value, ctx, c),
        LabelKind::Pickup | LabelKind::Return => {
            let (w, lf) = if kind == LabelKind::Pickup {
                (&mut p.pickup, Field::PickupLocation)
            } else {
                (&mut p.ret, Field::ReturnLocation)
            };
            let found = ctx.find_dates(value);
            let rest = match found.first() {
                Some(f) => {
                    let f = f.clone();
                    let rest = format!("{} {}", &value[..f.start], &value[f.end..]);
                    set_when(w, f, c);
                    rest
                }
                None => {
                    if let Some(t) = dates::parse_time(value, ctx.lex) {
                        w.time = Some(t);
                        return;
                    }
                    value.to_string()
                }
            };
            if let Some(l) = clean_location(&strip_time_words(&rest, ctx)) {
                let slot = if lf == Field::PickupLocation {
                    &mut out.pickup_location
                } else {
                    &mut out.return_location
                };
                put(slot, &mut out.conf, lf, l, c - 0.05);
            }
        }
        LabelKind::Period => {
            let found = ctx.find_dates(value);
            if found.len() >= 2 {
                set_when(&mut p.pickup, found[0].clone(), c);
                set_when(&mut p.ret, found[1].clone(), c);
            }
        }
    }
}

/// Removes words that often stand between a date and a place ("Uhr", "h").
fn strip_time_words(s: &str, _ctx: &TextCtx) -> String {
    s.split_whitespace()
        .filter(|w| {
            let f = fold(w);
            !matches!(
                f.as_str(),
                "uhr" | "h" | "hrs" | "horas" | "ore" | "um" | "a las" | "las"
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn when_value(w: &mut When, value: &str, ctx: &TextCtx, c: f32) {
    match ctx.parse_date(value) {
        Some(f) => set_when(w, f, c),
        None => {
            if let Some(t) = dates::parse_time(value, ctx.lex) {
                w.time = Some(t);
            }
        }
    }
}

fn money(value: &str, ctx: &TextCtx) -> Option<(i64, String)> {
    if let Some(a) = amounts::find_amounts(value).into_iter().next() {
        if let Some(cur) = a.currency {
            return Some((a.minor, cur));
        }
    }
    amounts::parse_amount(value, ctx.currency)
}

/// Turns the gathered pick-up/return parts into timestamps.
fn finish(p: &mut Pending, ctx: &TextCtx, out: &mut Fields) {
    for (w, is_pickup) in [(&mut p.pickup, true), (&mut p.ret, false)] {
        let Some((mut f, c)) = w.found.take() else {
            continue;
        };
        if f.time.is_none() {
            f.time = w.time;
        }
        let day_only = f.time.is_none();
        let ts = dates::resolve(&f, ctx.tz, NaiveTime::MIN);
        let c = if day_only { c.min(CONF_FALLBACK) } else { c };
        if is_pickup {
            if out.pickup_at.is_none() || c > out.conf[Field::PickupAt as usize] {
                out.pickup_at = Some(ts);
                out.pickup_day_only = day_only;
                out.conf[Field::PickupAt as usize] = c;
            }
        } else if out.return_at.is_none() || c > out.conf[Field::ReturnAt as usize] {
            out.return_at = Some(ts);
            out.return_day_only = day_only;
            out.conf[Field::ReturnAt as usize] = c;
        }
    }
}

/// Last resort for text no label matched: ref-shaped tokens, the first foreign e-mail address,
/// an international phone number, the name after a greeting, the first two date-times.
pub fn extract_fallback(subject: &str, text: &str, ctx: &TextCtx, out: &mut Fields) {
    let text = without_signature(text);
    let c = CONF_FALLBACK;
    if out.booking_ref.is_none() {
        if let Some(r) = ref_tokens(subject)
            .into_iter()
            .next()
            .or_else(|| ref_tokens(text).into_iter().next())
        {
            put(&mut out.booking_ref, &mut out.conf, Field::BookingRef, r, c);
        }
    }
    if out.customer_email.is_none() {
        let own = |e: &str| {
            ctx.own_addresses.iter().any(|o| e.ends_with(o.as_str()))
                || e.starts_with("noreply")
                || e.starts_with("no-reply")
                || e.starts_with("support@")
                || e.starts_with("info@")
        };
        if let Some(e) = email_re()
            .find_iter(text)
            .map(|m| m.as_str().to_lowercase())
            .find(|e| !own(e))
        {
            put(
                &mut out.customer_email,
                &mut out.conf,
                Field::CustomerEmail,
                e,
                c,
            );
        }
    }
    if out.customer_phone.is_none() {
        if let Some(m) = phone_after_word_re().captures(text).and_then(|c| c.get(1)) {
            put(
                &mut out.customer_phone,
                &mut out.conf,
                Field::CustomerPhone,
                m.as_str().trim().to_string(),
                c,
            );
        }
    }
    if out.customer_phone.is_none() {
        if let Some(m) = intl_phone_re().find(text) {
            put(
                &mut out.customer_phone,
                &mut out.conf,
                Field::CustomerPhone,
                m.as_str().trim().to_string(),
                c,
            );
        }
    }
    if out.customer_name.is_none() {
        if let Some(n) = greeting_name(text, ctx.vocab) {
            put(
                &mut out.customer_name,
                &mut out.conf,
                Field::CustomerName,
                n,
                CONF_SENTENCE,
            );
        }
    }
    if out.vehicle.is_none() {
        if let Some((a, b)) = find_vehicle(text, ctx.vocab) {
            if let Some(v) = clean_vehicle(&text[a..b], ctx.vocab) {
                put(&mut out.vehicle, &mut out.conf, Field::Vehicle, v, c);
            }
        }
    }
    if out.pickup_at.is_none() {
        let timed: Vec<FoundDate> = ctx
            .find_dates(text)
            .into_iter()
            .filter(|f| f.time.is_some())
            .collect();
        if let Some(f) = timed.first() {
            out.pickup_at = Some(dates::resolve(f, ctx.tz, NaiveTime::MIN));
            out.conf[Field::PickupAt as usize] = c;
            if out.return_at.is_none() {
                if let Some(g) = timed.get(1) {
                    out.return_at = Some(dates::resolve(g, ctx.tz, NaiveTime::MIN));
                    out.conf[Field::ReturnAt as usize] = c;
                }
            }
        }
    }
}

/// "Dear Ms. Jane Smith," → "Jane Smith".
pub fn greeting_name(text: &str, vocab: &Vocab) -> Option<String> {
    for line in text.lines().take(40) {
        let line = line.trim();
        let fl = fold(line);
        for g in &vocab.greetings {
            if fl.starts_with(g.as_str()) && fl.len() > g.len() && fl.as_bytes()[g.len()] == b' ' {
                let words: Vec<&str> = line.split_whitespace().collect();
                let skip = g.split(' ').count();
                let rest = words.get(skip..)?.join(" ");
                let rest = rest.split([',', '!', ';']).next().unwrap_or("").trim();
                let n = clean_name(rest, vocab)?;
                // "Dear customer" is no name
                if n.split_whitespace().count() >= 2
                    || n.chars().next().is_some_and(char::is_uppercase)
                {
                    return Some(n);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::vocab;

    #[test]
    fn fold_lowercases_strips_accents_and_punctuation() {
        assert_eq!(fold("Pick-up Date:"), "pick up date");
        assert_eq!(fold("Rückgabe  (Ort)"), "ruckgabe ort");
        assert_eq!(fold("Número de reserva"), "numero de reserva");
    }

    #[test]
    fn labels_match_exactly_by_prefix_or_suffix() {
        let v = vocab();
        assert_eq!(
            lookup_label(&v, "booking reference"),
            Some(LabelKind::Field(Field::BookingRef))
        );
        assert_eq!(
            lookup_label(&v, "total price incl vat"),
            Some(LabelKind::Field(Field::Total))
        );
        assert_eq!(lookup_label(&v, "ihre abholung"), Some(LabelKind::Pickup));
        assert_eq!(
            lookup_label(&v, "pick up location"),
            Some(LabelKind::Field(Field::PickupLocation))
        );
        assert_eq!(lookup_label(&v, "company name"), None);
        assert_eq!(lookup_label(&v, "thank you for choosing us"), None);
    }

    #[test]
    fn label_lines_split_on_colon_tab_and_wide_space_but_not_on_times() {
        assert_eq!(
            split_label("Vehicle: VW Golf"),
            Some(("Vehicle", "VW Golf"))
        );
        assert_eq!(
            split_label("Pickup\t14 Mar 2026 10:00"),
            Some(("Pickup", "14 Mar 2026 10:00"))
        );
        assert_eq!(
            split_label("Total       € 300,00"),
            Some(("Total", "€ 300,00"))
        );
        assert_eq!(split_label("at 10:00 in Munich"), None);
    }

    #[test]
    fn a_labelled_reference_is_a_code_not_a_word() {
        assert_eq!(clean_ref("BK-48213").as_deref(), Some("BK-48213"));
        assert_eq!(clean_ref("#R7KQXZ").as_deref(), Some("R7KQXZ"));
        assert_eq!(
            clean_ref("Car hire TM26-1234").as_deref(),
            Some("TM26-1234")
        );
        assert_eq!(clean_ref("Car hire"), None);
        assert_eq!(clean_ref("pending"), None);
    }

    #[test]
    fn ref_tokens_skip_dates_phones_and_words() {
        assert_eq!(
            ref_tokens("Booking BK-48213 on 2026-03-14, call +49 170 1234567"),
            vec!["BK-48213"]
        );
        assert_eq!(
            ref_tokens("Ref R7K2QX / AA-2026-00123"),
            vec!["R7K2QX", "AA-2026-00123"]
        );
        assert!(ref_tokens("Your Audi A4 and VW ID.3 are ready").is_empty());
    }

    #[test]
    fn names_lose_honorifics_and_clutter() {
        let v = vocab();
        assert_eq!(
            clean_name("Mr. John O'Brien (main driver)", &v).as_deref(),
            Some("John O'Brien")
        );
        assert_eq!(
            clean_name("Frau Anna Müller", &v).as_deref(),
            Some("Anna Müller")
        );
        assert_eq!(clean_name("anna@example.com", &v), None);
        assert_eq!(
            greeting_name("Dear Ms. Jane Smith,\n\nthanks", &v).as_deref(),
            Some("Jane Smith")
        );
        assert_eq!(
            greeting_name("Bonjour Madame Dupont,", &v).as_deref(),
            Some("Dupont")
        );
    }

    #[test]
    fn vehicles_are_found_by_make_with_model_words() {
        let v = vocab();
        let s = "BK-1 · Tesla Model 3 · J. Smith";
        let (a, b) = find_vehicle(s, &v).expect("vehicle");
        assert_eq!(&s[a..b], "Tesla Model 3");
        let s = "Réservation Dupont (Peugeot 208)";
        let (a, b) = find_vehicle(s, &v).expect("vehicle");
        assert_eq!(&s[a..b], "Peugeot 208");
        assert_eq!(
            clean_vehicle("VW Golf or similar", &v).as_deref(),
            Some("VW Golf")
        );
    }
}
