//! Amounts with currencies, in any of the ways Europe and America write them.
//!
//! `1.234,50 €`, `$1,234.50`, `CHF 1'234.50`, `1 234,50 EUR`, `¥12,000`: the same separators
//! mean different things depending on the writer, so the rule is positional rather than
//! per-locale: the last `.` or `,` followed by at most as many digits as the currency has
//! decimals is the decimal point, every other separator groups thousands. Money is never a float:
//! digits are added up as integers into minor units (cents, yen, fils).
//!
//! In free text a number only counts as an amount next to a currency marker; a value that a
//! mapping already named as an amount goes through [`parse_amount`], where the marker is optional.

/// Decimal exponent of an ISO 4217 currency (JPY 0, EUR 2, KWD 3), `None` when unknown (or for
/// codes without minor unit, like XAU). Case-insensitive, because Stripe writes `eur`.
pub fn exponent(currency: &str) -> Option<u32> {
    let code = currency.trim().as_bytes();
    let &[a, b, c] = code else {
        return None;
    };
    let up = [
        a.to_ascii_uppercase(),
        b.to_ascii_uppercase(),
        c.to_ascii_uppercase(),
    ];
    let code = std::str::from_utf8(&up).ok()?;
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => Some(0),
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => Some(3),
        "CLF" | "UYW" => Some(4),
        _ if TWO_DECIMALS.binary_search(&code).is_ok() => Some(2),
        _ => None,
    }
}

/// ISO 4217 codes with 2 decimals (current list, plus HRK and a few recently replaced codes
/// that old records still carry). Sorted for binary search.
const TWO_DECIMALS: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DKK", "DOP",
    "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ",
    "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS",
    "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD",
    "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP",
    "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
    "USD", "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
    "ZWL",
];

/// An amount found in text.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundAmount {
    /// Byte span (char boundaries), marker and sign included.
    pub start: usize,
    pub end: usize,
    /// Minor units of `currency` (of 2 decimals when the currency is unknown).
    pub minor: i64,
    /// ISO 4217; `None` for a marker that does not say which currency (`kr`).
    pub currency: Option<String>,
}

/// Amounts in text order. A number counts as an amount only with a currency marker next to it
/// (symbol `€ $ £ ¥ ₹ CHF Fr. kr zł`, or an ISO code before/after): `EUR 1.234,50`,
/// `1 234,50 €`, `$1,234.50`, `US$ 99`, `¥12,000`, `12.000 ¥`, `CHF 1'234.50`, `-12.50 €`,
/// `(12.50 EUR)`, `99,- €`. `$` alone means USD; `kr` gives no currency unless exactly one of
/// SEK/NOK/DKK/ISK is written in the text.
pub fn find_amounts(text: &str) -> Vec<FoundAmount> {
    let mut out = Vec::new();
    for raw in scan(text, true) {
        let code = raw.currency.map(str::to_string).or_else(|| {
            (raw.marker == MarkerKind::Krona)
                .then(|| krona_code(text).map(str::to_string))
                .flatten()
        });
        let exp = code.as_deref().and_then(exponent).unwrap_or(2);
        if let Some(minor) = raw.minor(text, exp) {
            out.push(FoundAmount {
                start: raw.start,
                end: raw.end,
                minor,
                currency: code,
            });
        }
    }
    out
}

/// Parses a value that is known to be an amount (a mapping said so), with or without a
/// currency marker; `default_currency` applies when none is written.
pub fn parse_amount(text: &str, default_currency: &str) -> Option<(i64, String)> {
    let default = default_currency.trim().to_ascii_uppercase();
    let pick = |raw: &Raw| -> Option<(i64, String)> {
        let code = match raw.currency {
            Some(c) => c.to_string(),
            None => krona_code(text)
                .or_else(|| any_code(text))
                .map_or_else(|| default.clone(), str::to_string),
        };
        let minor = raw.minor(text, exponent(&code).unwrap_or(2))?;
        Some((minor, code))
    };
    let all = scan(text, false);
    all.iter()
        .filter(|r| r.marker != MarkerKind::None)
        .find_map(pick)
        .or_else(|| all.iter().find_map(pick))
}

/// "1.234,50" / "1,234.50" / "1 234,50" / "1'234.50" / "1234" / "12.5" → minor units for
/// `exponent`. The last `.` or `,` followed by 1..=exponent digits is the decimal point; other
/// separators must group thousands (or Indian lakhs). Extra decimals are accepted only when
/// they are zeros (`12000.00` JPY). `None` for anything else, or on overflow.
pub fn parse_decimal(number: &str, exponent: u32) -> Option<i64> {
    let s = number.trim();
    let (neg, s) = strip_sign(s);
    let (int_part, frac) = split_decimal(s, exponent);
    if !grouping_ok(int_part, frac.map(|(sep, _)| sep)) {
        return None;
    }
    let mut value: i64 = 0;
    for d in int_part.bytes().filter(u8::is_ascii_digit) {
        value = value.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    let frac = frac.map_or("", |(_, f)| f);
    for n in 0..exponent as usize {
        let d = frac.as_bytes().get(n).map_or(0, |b| b - b'0');
        value = value.checked_mul(10)?.checked_add(i64::from(d))?;
    }
    Some(if neg { -value } else { value })
}

fn strip_sign(s: &str) -> (bool, &str) {
    if let Some(r) = s.strip_prefix('-').or_else(|| s.strip_prefix('\u{2212}')) {
        (true, r.trim_start())
    } else {
        (false, s.strip_prefix('+').unwrap_or(s).trim_start())
    }
}

/// Splits off the decimal part: `(integer part, Some((separator, decimals)))`.
fn split_decimal(s: &str, exponent: u32) -> (&str, Option<(char, &str)>) {
    let Some(p) = s.rfind(['.', ',']) else {
        return (s, None);
    };
    let sep = if s.as_bytes()[p] == b'.' { '.' } else { ',' };
    let after = &s[p + 1..];
    if after.is_empty() || !after.bytes().all(|b| b.is_ascii_digit()) {
        return (s, None);
    }
    let n = after.len();
    let exp = exponent as usize;
    if n <= exp {
        return (&s[..p], Some((sep, after)));
    }
    // More digits than the currency has: three is a thousands group, zeros are padding.
    if n != 3 && after.as_bytes()[exp..].iter().all(|&b| b == b'0') {
        return (&s[..p], Some((sep, &after[..exp])));
    }
    (s, None)
}

/// Separators that group thousands.
fn is_group_sep(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | '\'' | '\u{2019}' | ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}'
    )
}

fn is_space_sep(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

/// Checks the grouping of an integer part: one kind of separator (not the decimal one), a first
/// group of 1..=3 digits, then groups of 3 (or Indian groups of 2 before a last 3).
fn grouping_ok(int_part: &str, decimal: Option<char>) -> bool {
    if int_part.is_empty() {
        return decimal.is_some(); // ",99"
    }
    let mut sep: Option<char> = None;
    let mut first: Option<usize> = None;
    let mut len = 0usize;
    let (mut all3, mut all2) = (true, true);
    for c in int_part.chars() {
        if c.is_ascii_digit() {
            len += 1;
            continue;
        }
        let kind = if is_space_sep(c) { ' ' } else { c };
        if !is_group_sep(c) || len == 0 || Some(kind) == decimal || sep.is_some_and(|s| s != kind) {
            return false;
        }
        sep = Some(kind);
        if first.is_none() {
            first = Some(len);
        } else {
            all3 &= len == 3;
            all2 &= len == 2;
        }
        len = 0;
    }
    match first {
        None => true,
        Some(f) => (1..=3).contains(&f) && len == 3 && (all3 || all2),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MarkerKind {
    None,
    /// A symbol or code that names one currency.
    Currency,
    /// `kr`: Swedish, Norwegian, Danish or Icelandic, so only a code in the text tells which.
    Krona,
}

/// A candidate amount before its number is parsed.
#[derive(Debug, Clone, Copy)]
struct Raw {
    start: usize,
    end: usize,
    /// The number's own span (digits and separators).
    num: (usize, usize),
    neg: bool,
    currency: Option<&'static str>,
    marker: MarkerKind,
}

impl Raw {
    fn minor(&self, text: &str, exp: u32) -> Option<i64> {
        let v = parse_decimal(text.get(self.num.0..self.num.1)?, exp)?;
        Some(if self.neg { -v } else { v })
    }
}

/// Symbols and words that mark a currency, longest first so `US$` wins over `$`.
/// `None` = ambiguous (krona).
const SYMBOLS: &[(&str, Option<&str>)] = &[
    ("SFr.", Some("CHF")),
    ("US$", Some("USD")),
    ("CA$", Some("CAD")),
    ("AU$", Some("AUD")),
    ("NZ$", Some("NZD")),
    ("HK$", Some("HKD")),
    ("MX$", Some("MXN")),
    ("euros", Some("EUR")),
    ("Euros", Some("EUR")),
    ("Euro", Some("EUR")),
    ("euro", Some("EUR")),
    ("EURO", Some("EUR")),
    ("Fr.", Some("CHF")),
    ("R$", Some("BRL")),
    ("C$", Some("CAD")),
    ("A$", Some("AUD")),
    ("S$", Some("SGD")),
    ("zł", Some("PLN")),
    ("Kč", Some("CZK")),
    ("Ft", Some("HUF")),
    ("kr.", None),
    ("kr", None),
    ("Kr", None),
    ("$", Some("USD")),
    ("€", Some("EUR")),
    ("£", Some("GBP")),
    ("¥", Some("JPY")),
    ("￥", Some("JPY")),
    ("円", Some("JPY")),
    ("₹", Some("INR")),
    ("₩", Some("KRW")),
    ("₽", Some("RUB")),
    ("₺", Some("TRY")),
    ("₪", Some("ILS")),
    ("₫", Some("VND")),
    ("₱", Some("PHP")),
    ("฿", Some("THB")),
    ("₴", Some("UAH")),
    ("₦", Some("NGN")),
    ("₡", Some("CRC")),
];

/// A marker that ends exactly at `end` (before a number).
fn marker_before(text: &str, end: usize) -> Option<(usize, Option<&'static str>, MarkerKind)> {
    let head = text.get(..end)?;
    for &(sym, code) in SYMBOLS {
        if let Some(rest) = head.strip_suffix(sym) {
            let wordy = sym.starts_with(char::is_alphabetic);
            if wordy && rest.chars().next_back().is_some_and(char::is_alphanumeric) {
                continue;
            }
            return Some((rest.len(), code, kind_of(code)));
        }
    }
    let code = head.get(head.len().checked_sub(3)?..)?;
    let before = head.get(..head.len() - 3)?;
    if is_code(code)
        && !before
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
    {
        return Some((before.len(), iso_static(code), MarkerKind::Currency));
    }
    None
}

/// A marker that starts exactly at `start` (after a number).
fn marker_after(text: &str, start: usize) -> Option<(usize, Option<&'static str>, MarkerKind)> {
    let tail = text.get(start..)?;
    for &(sym, code) in SYMBOLS {
        if let Some(rest) = tail.strip_prefix(sym) {
            let wordy = sym.ends_with(char::is_alphabetic);
            if wordy && rest.chars().next().is_some_and(char::is_alphanumeric) {
                continue;
            }
            return Some((start + sym.len(), code, kind_of(code)));
        }
    }
    let code = tail.get(..3)?;
    let rest = &tail[3..];
    if is_code(code) && !rest.chars().next().is_some_and(char::is_alphanumeric) {
        return Some((start + 3, iso_static(code), MarkerKind::Currency));
    }
    None
}

fn kind_of(code: Option<&str>) -> MarkerKind {
    if code.is_some() {
        MarkerKind::Currency
    } else {
        MarkerKind::Krona
    }
}

/// Three upper-case letters that are an ISO 4217 code. Lower case is not accepted in running
/// text: "all", "top" and "try" are words before they are currencies.
fn is_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) && exponent(s).is_some()
}

/// The code as a `'static` string (from the tables), so candidates need no allocation.
/// `code` as evidence keeps it: the static table entry when the code is known.
pub fn currency_code(code: String) -> crate::evidence::Currency {
    iso_static(&code).map_or(std::borrow::Cow::Owned(code), std::borrow::Cow::Borrowed)
}

fn iso_static(code: &str) -> Option<&'static str> {
    const OTHERS: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF", "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND", "CLF", "UYW",
    ];
    TWO_DECIMALS
        .iter()
        .chain(OTHERS)
        .find(|c| **c == code)
        .copied()
}

/// The krona a text means by `kr`: the one Nordic code written in it, if exactly one is.
fn krona_code(text: &str) -> Option<&'static str> {
    let mut hit = None;
    for code in ["SEK", "NOK", "DKK", "ISK"] {
        if contains_code(text, code) {
            if hit.is_some() {
                return None;
            }
            hit = Some(code);
        }
    }
    hit
}

/// The first ISO code written as a word anywhere in `text`.
fn any_code(text: &str) -> Option<&'static str> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(2)).find_map(|i| {
        let word_start = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let word_end = b.get(i + 3).is_none_or(|c| !c.is_ascii_alphanumeric());
        if word_start && word_end {
            text.get(i..i + 3)
                .filter(|c| is_code(c))
                .and_then(iso_static)
        } else {
            None
        }
    })
}

fn contains_code(text: &str, code: &str) -> bool {
    text.match_indices(code).any(|(i, _)| {
        let b = text.as_bytes();
        (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.get(i + 3).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// End of the number starting at `start` (a digit): digits and grouping/decimal separators,
/// a space only before a group of exactly three digits ("1 234,50" but not "2026 10").
fn number_end(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let digits_from = |i: usize| {
        b[i.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut i = start + digits_from(start);
    let mut group = i - start;
    while let Some(c) = text.get(i..).and_then(|r| r.chars().next()) {
        if !is_group_sep(c) {
            break;
        }
        let j = i + c.len_utf8();
        let n = digits_from(j);
        if n == 0 || (is_space_sep(c) && (n != 3 || group > 3)) {
            break;
        }
        i = j + n;
        group = n;
    }
    i
}

/// `99,-` / `99.–`: whole amount, no cents written. Returns the end after the dash.
fn dash_cents(text: &str, end: usize) -> Option<usize> {
    let tail = text.get(end..)?;
    let mut it = tail.char_indices();
    let (_, sep) = it.next()?;
    let (i, dash) = it.next()?;
    (matches!(sep, ',' | '.') && matches!(dash, '-' | '–' | '—')).then(|| end + i + dash.len_utf8())
}

/// One whitespace character (space, NBSP, narrow NBSP, thin space) at `at`, if there is one.
fn skip_space_back(text: &str, at: usize) -> usize {
    match text.get(..at).and_then(|h| h.chars().next_back()) {
        Some(c) if c.is_whitespace() => at - c.len_utf8(),
        _ => at,
    }
}

fn skip_space_fwd(text: &str, at: usize) -> usize {
    match text.get(at..).and_then(|t| t.chars().next()) {
        Some(c) if c.is_whitespace() => at + c.len_utf8(),
        _ => at,
    }
}

/// A minus sign ending at `at`, that is not a hyphen inside a word or range (`10-12`).
fn sign_before(text: &str, at: usize) -> Option<usize> {
    let head = text.get(..at)?;
    let c = head.chars().next_back()?;
    if !matches!(c, '-' | '\u{2212}') {
        return None;
    }
    let before = at - c.len_utf8();
    let prev = text.get(..before)?.chars().next_back();
    (!prev.is_some_and(char::is_alphanumeric)).then_some(before)
}

/// All candidate amounts; with `need_marker` only those with a currency marker.
fn scan(text: &str, need_marker: bool) -> Vec<Raw> {
    let mut out: Vec<Raw> = Vec::new();
    let b = text.as_bytes();
    if !b.iter().any(u8::is_ascii_digit) {
        return out;
    }
    let mut claimed = 0usize;
    let mut i = 0usize;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let num_end = number_end(text, i);
        match candidate(text, i, num_end, claimed, need_marker) {
            Some(raw) => {
                claimed = raw.end;
                i = raw.end.max(num_end);
                out.push(raw);
            }
            None => i = num_end,
        }
    }
    out
}

/// The amount around the number `start..num_end`, if it has a marker (or none is needed).
fn candidate(
    text: &str,
    start: usize,
    num_end: usize,
    claimed: usize,
    need_marker: bool,
) -> Option<Raw> {
    let mut neg = false;
    // Before: [ '(' ] [ '-' ] [ marker [ ' ' ] ] [ '-' ] number
    let mut left = start;
    if let Some(s) = sign_before(text, left) {
        neg = true;
        left = s;
    }
    let mut before = None;
    let at = skip_space_back(text, left);
    if let Some((m_start, code, kind)) = marker_before(text, at).filter(|m| m.0 >= claimed) {
        before = Some((code, kind));
        left = m_start;
        if let Some(s) = sign_before(text, skip_space_back(text, left)) {
            neg = true;
            left = s;
        }
    } else if text
        .get(..left)
        .and_then(|h| h.chars().next_back())
        .is_some_and(char::is_alphanumeric)
    {
        return None; // glued to a word: a reference, not money ("BK2026")
    }
    // After: number [ ',-' ] [ ' ' ] [ marker ] [ ')' ], or `(45.00) USD`.
    let mut right = dash_cents(text, num_end).unwrap_or(num_end);
    let mut after = None;
    let mut closed_early = false;
    if before.is_none() {
        let mut at = skip_space_fwd(text, right);
        let open = text
            .get(..skip_space_back(text, left))
            .is_some_and(|h| h.ends_with('('));
        if open && text.get(right..).is_some_and(|t| t.starts_with(')')) {
            at = skip_space_fwd(text, right + 1);
            closed_early = true;
        }
        match marker_after(text, at) {
            Some((m_end, code, kind)) if !gives_way(text, start, num_end, m_end) => {
                after = Some((code, kind));
                right = m_end;
            }
            _ => closed_early = false,
        }
    }
    let (currency, marker) = before.or(after).unwrap_or((None, MarkerKind::None));
    if need_marker && marker == MarkerKind::None {
        return None;
    }
    // `Fr. 14.03.` is Friday the 14th of March, not 14.03 francs.
    if currency == Some("CHF") && text.get(num_end..).is_some_and(|t| t.starts_with('.')) {
        return None;
    }
    if closed_early || text.get(right..).is_some_and(|t| t.starts_with(')')) {
        let open = skip_space_back(text, left);
        if text.get(..open).is_some_and(|h| h.ends_with('(')) {
            neg = true;
            left = open - 1;
            if !closed_early {
                right += 1;
            }
        }
    }
    Some(Raw {
        start: left,
        end: right,
        num: (start, num_end),
        neg,
        currency,
        marker,
    })
}

/// `2026 EUR 12,00`: a code between two numbers belongs to the one that looks like money,
/// i.e. the next one when only it has decimals.
fn gives_way(text: &str, start: usize, num_end: usize, marker_end: usize) -> bool {
    let next = skip_space_fwd(text, marker_end);
    if !text.as_bytes().get(next).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let next_end = number_end(text, next);
    let has_decimals = |s: &str| {
        s.rfind(['.', ','])
            .is_some_and(|p| (1..=2).contains(&(s.len() - p - 1)))
    };
    let this = text.get(start..num_end).unwrap_or("");
    let that = text.get(next..next_end).unwrap_or("");
    !has_decimals(this) && has_decimals(that)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts(text: &str) -> Vec<(i64, Option<&str>)> {
        find_amounts(text)
            .iter()
            .map(|a| (a.minor, a.currency.as_deref().and_then(iso_static)))
            .collect()
    }

    #[test]
    fn exponents() {
        assert_eq!(exponent("EUR"), Some(2));
        assert_eq!(exponent("eur"), Some(2));
        assert_eq!(exponent("JPY"), Some(0));
        assert_eq!(exponent("KRW"), Some(0));
        assert_eq!(exponent("VND"), Some(0));
        assert_eq!(exponent("CLP"), Some(0));
        assert_eq!(exponent("ISK"), Some(0));
        assert_eq!(exponent("HUF"), Some(2));
        for c in ["BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD"] {
            assert_eq!(exponent(c), Some(3), "{c}");
        }
        assert_eq!(exponent("CLF"), Some(4));
        assert_eq!(exponent("XXX"), None);
        assert_eq!(exponent("EU"), None);
        assert_eq!(exponent("€"), None);
        assert!(
            TWO_DECIMALS.windows(2).all(|w| w[0] < w[1]),
            "table must stay sorted"
        );
    }

    #[test]
    fn decimals_by_position() {
        let p = parse_decimal;
        assert_eq!(p("1.234,50", 2), Some(123_450));
        assert_eq!(p("1,234.50", 2), Some(123_450));
        assert_eq!(p("1 234,50", 2), Some(123_450));
        assert_eq!(p("1\u{a0}234,50", 2), Some(123_450));
        assert_eq!(p("1\u{202f}234,50", 2), Some(123_450));
        assert_eq!(p("1'234.50", 2), Some(123_450));
        assert_eq!(p("1234", 2), Some(123_400));
        assert_eq!(p("12.5", 2), Some(1250));
        assert_eq!(p("12.000", 2), Some(1_200_000));
        assert_eq!(p("1.234.567,89", 2), Some(123_456_789));
        assert_eq!(p("1,23,456.00", 2), Some(12_345_600));
        assert_eq!(p("0,99", 2), Some(99));
        assert_eq!(p(",99", 2), Some(99));
        assert_eq!(p("-12.50", 2), Some(-1250));
        // JPY: separators are only thousands.
        assert_eq!(p("12,000", 0), Some(12_000));
        assert_eq!(p("12.000", 0), Some(12_000));
        assert_eq!(p("12000.00", 0), Some(12_000));
        assert_eq!(p("12.5", 0), None);
        // KWD: three decimals.
        assert_eq!(p("1.234", 3), Some(1234));
        assert_eq!(p("1,234.500", 3), Some(1_234_500));
        assert_eq!(p("12.5", 3), Some(12_500));
        // Malformed.
        assert_eq!(p("1.2.3", 2), None);
        assert_eq!(p("1,234,5", 2), None);
        assert_eq!(p("12a", 2), None);
        assert_eq!(p("", 2), None);
        assert_eq!(p("99999999999999999999", 2), None);
    }

    #[test]
    fn amounts_in_each_format() {
        let cases: &[(&str, i64, &str)] = &[
            ("EUR 1.234,50", 123_450, "EUR"),
            ("1.234,50 EUR", 123_450, "EUR"),
            ("1 234,50 €", 123_450, "EUR"),
            ("1\u{202f}234,50\u{a0}€", 123_450, "EUR"),
            ("$1,234.50", 123_450, "USD"),
            ("US$ 99", 9900, "USD"),
            ("¥12,000", 12_000, "JPY"),
            ("12.000 ¥", 12_000, "JPY"),
            ("JPY 12000", 12_000, "JPY"),
            ("CHF 1'234.50", 123_450, "CHF"),
            ("Fr. 89.90", 8990, "CHF"),
            ("€ 99", 9900, "EUR"),
            ("99,- €", 9900, "EUR"),
            ("£45.00", 4500, "GBP"),
            ("₹1,23,456.00", 12_345_600, "INR"),
            ("KWD 12.345", 12_345, "KWD"),
            ("1.234,567 KWD", 1_234_567, "KWD"),
            ("250 zł", 25_000, "PLN"),
            ("R$ 1.234,56", 123_456, "BRL"),
            ("-12.50 €", -1250, "EUR"),
            ("€-12.50", -1250, "EUR"),
            ("-€12.50", -1250, "EUR"),
            ("(12.50 EUR)", -1250, "EUR"),
            ("(45.00) USD", -4500, "USD"),
            ("150 euros", 15_000, "EUR"),
            ("12EUR", 1200, "EUR"),
        ];
        for &(text, minor, code) in cases {
            let found = find_amounts(text);
            assert_eq!(found.len(), 1, "{text}: {found:?}");
            assert_eq!(found[0].minor, minor, "{text}");
            assert_eq!(found[0].currency.as_deref(), Some(code), "{text}");
            assert_eq!((found[0].start, found[0].end), (0, text.len()), "{text}");
        }
    }

    #[test]
    fn amounts_in_running_text() {
        let text = "Gesamtbetrag: 1.234,50 € (inkl. 19 % MwSt.), Anzahlung EUR 200,00. \
                    Buchung BK-2026-0314 am 14.03.2026, Tel. +49 170 1234567.";
        assert_eq!(
            amounts(text),
            vec![(123_450, Some("EUR")), (20_000, Some("EUR"))]
        );
        let found = find_amounts(text);
        assert_eq!(&text[found[0].start..found[0].end], "1.234,50 €");
        assert_eq!(&text[found[1].start..found[1].end], "EUR 200,00");
        // A code between a year and an amount goes to the amount.
        assert_eq!(
            amounts("Rechnung 2026 EUR 12,00"),
            vec![(1200, Some("EUR"))]
        );
        assert_eq!(
            amounts("12,00 EUR 15,00 EUR"),
            vec![(1200, Some("EUR")), (1500, Some("EUR"))]
        );
        assert_eq!(
            amounts("Total: $1,234.50 (deposit $200)"),
            vec![(123_450, Some("USD")), (20_000, Some("USD"))]
        );
    }

    #[test]
    fn numbers_without_currency_are_not_amounts() {
        for text in [
            "1.234,50",
            "12.50",
            "Tel. +49 170 1234567",
            "(555) 123-4567",
            "BK-2026-0314 for 3 days",
            "14.03.2026 10:00",
            "Fr. 14.03. 10:00",
            "BK2026 for 3 days",
            "no digits",
            "",
        ] {
            assert!(
                find_amounts(text).is_empty(),
                "{text}: {:?}",
                find_amounts(text)
            );
        }
    }

    #[test]
    fn krona_needs_a_code() {
        assert_eq!(amounts("499 kr"), vec![(49_900, None)]);
        assert_eq!(amounts("Pris 499 kr (SEK)"), vec![(49_900, Some("SEK"))]);
        assert_eq!(amounts("kr 1.500,00 NOK/DKK"), vec![(150_000, None)]);
        assert_eq!(parse_amount("499 kr", "DKK"), Some((49_900, "DKK".into())));
        assert_eq!(parse_amount("1.500 kr", "ISK"), Some((1500, "ISK".into())));
    }

    #[test]
    fn parse_known_amounts() {
        assert_eq!(
            parse_amount("1.234,50", "EUR"),
            Some((123_450, "EUR".into()))
        );
        assert_eq!(parse_amount("12.50", "usd"), Some((1250, "USD".into())));
        assert_eq!(parse_amount("12.000", "JPY"), Some((12_000, "JPY".into())));
        assert_eq!(parse_amount("$99.00", "EUR"), Some((9900, "USD".into())));
        assert_eq!(
            parse_amount("Total: 45,00 CHF", "EUR"),
            Some((4500, "CHF".into()))
        );
        assert_eq!(parse_amount("(12.50)", "EUR"), Some((-1250, "EUR".into())));
        assert_eq!(parse_amount("-12,50", "EUR"), Some((-1250, "EUR".into())));
        assert_eq!(
            parse_amount("2 x 45,00 € = 90,00 €", "USD"),
            Some((4500, "EUR".into()))
        );
        assert_eq!(parse_amount("12.345", "KWD"), Some((12_345, "KWD".into())));
        assert_eq!(parse_amount("1200", "EUR"), Some((120_000, "EUR".into())));
        assert_eq!(parse_amount("amount: EUR", "EUR"), None);
        assert_eq!(parse_amount("n/a", "EUR"), None);
    }
}
