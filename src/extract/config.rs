//! Loading and checking the declarative mappings in `mappings/`.
//!
//! A wrong mapping (bad regex, unknown field, unknown key) fails at start with the file, the
//! line and the reason, before any evidence is read: a recovery must not run half-configured.

use std::collections::BTreeMap;

use crate::extract::{FastMap, FastSet};
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::evidence::{Field, Kind};
use crate::extract::dates::{DateOrder, Lexicon};
use crate::extract::text::fold;

/// Everything extraction needs, loaded once.
pub struct Mappings {
    pub vocab: Vocab,
    pub lexicon: Lexicon,
    /// E-mail template families, sorted by file name (the first that matches wins).
    pub email: Vec<Family>,
    /// Calendar title/description patterns.
    pub calendar: Vec<Family>,
    pub stripe: StripeMapping,
}

/// What a label stands for in the general extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    Field(Field),
    /// Date-time and/or location of the pick-up in one value.
    Pickup,
    /// Same for the return.
    Return,
    /// "14 Mar 2026 10:00 – 17 Mar 2026 10:00".
    Period,
    AmountPaid,
    /// "Contact: anna@example.com, Tel. 0172 5781154": e-mail and phone in one value.
    Contact,
}

/// The general extractor's vocabulary (`mappings/fields.toml`), normalized with [`fold`].
pub struct Vocab {
    pub labels: FastMap<String, LabelKind>,
    /// Pick-up / return words long enough to trust inside a sentence, sorted.
    pub pickup_words: Vec<String>,
    pub return_words: Vec<String>,
    /// The same as one word-bounded regex each (one pass per line instead of one per word).
    pub pickup_re: Regex,
    /// The deposit labels as one word-bounded regex over folded text: a payment described as
    /// "Anzahlung …" is part of the total, not the total.
    pub deposit_re: Regex,
    pub return_re: Regex,
    /// `kinds`, `not_booking_subjects` and `not_booking_calendar` as word-bounded regexes.
    pub kind_res: Vec<(Kind, Regex)>,
    pub not_booking_subject_re: Regex,
    pub not_booking_calendar_re: Regex,
    pub skip_words: FastSet<String>,
    pub new_words: FastSet<String>,
    /// Kind keywords in priority order.
    pub kinds: Vec<(Kind, Vec<String>)>,
    pub not_booking_subjects: Vec<String>,
    pub not_booking_calendar: Vec<String>,
    /// Makes as folded word sequences, longest first.
    pub makes: Vec<Vec<String>>,
    /// First folded word of a make → the makes (indices into `makes`, ascending) it starts.
    pub make_heads: FastMap<String, Vec<u32>>,
    pub vehicle_noise: Vec<String>,
    pub greetings: Vec<String>,
    pub honorifics: FastSet<String>,
    pub title_words: FastSet<String>,
    /// Folded first name → nickname group id.
    pub nicknames: FastMap<String, Vec<u32>>,
    /// Folded formal first name (the first of a nickname group) → the groups it heads.
    pub nickname_heads: FastMap<String, Vec<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabFile {
    labels: BTreeMap<String, Vec<String>>,
    label_words: LabelWords,
    kinds: BTreeMap<String, Vec<String>>,
    not_booking: NotBooking,
    vehicles: Vehicles,
    names: Names,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelWords {
    skip_words: Vec<String>,
    new_words: Vec<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotBooking {
    subjects: Vec<String>,
    calendar: Vec<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vehicles {
    makes: Vec<String>,
    vehicle_noise: Vec<String>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Names {
    greetings: Vec<String>,
    honorifics: Vec<String>,
    title_words: Vec<String>,
    #[serde(default)]
    nicknames: Vec<String>,
}

/// A template family (e-mail) or pattern set (calendar): how to recognise it and where each
/// field is. See `mappings/email/README.md`.
pub struct Family {
    pub name: String,
    /// `mapping:<name>`, the extractor every mail this family reads is marked with.
    pub extractor: crate::evidence::Shared,
    pub file: PathBuf,
    pub tenant: Option<String>,
    pub date_order: Option<DateOrder>,
    pub match_from: Option<Regex>,
    pub match_subject: Option<Regex>,
    pub match_body: Option<Regex>,
    /// Subject/body regex → kind, checked in file order.
    pub kinds: Vec<(Kind, Regex)>,
    /// Field → regex whose first capture group is the value.
    pub fields: Vec<(Field, Regex)>,
    /// Regexes with named groups (`(?P<vehicle>...)`); group names are field names, plus
    /// `pickup`/`return` for composite date-time + location values.
    pub patterns: Vec<Regex>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    name: String,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    date_order: Option<String>,
    #[serde(default, rename = "match")]
    matcher: MatchFile,
    #[serde(default)]
    kind: BTreeMap<String, String>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    #[serde(default)]
    patterns: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MatchFile {
    from: Option<String>,
    subject: Option<String>,
    body: Option<String>,
}

/// Stripe metadata keys and description patterns (`mappings/stripe.toml`).
pub struct StripeMapping {
    /// Folded metadata key → field (or composite).
    pub metadata: FastMap<String, LabelKind>,
    /// Metadata keys naming the tenant (slug or connected account).
    pub tenant_keys: Vec<String>,
    pub description: Vec<Regex>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StripeFile {
    metadata: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    tenant_keys: Vec<String>,
    #[serde(default)]
    description_patterns: Vec<String>,
}

/// 1-based line of the first occurrence of `needle` in `text` (for error messages).
fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map(|i| text[..i].matches('\n').count() + 1)
        .unwrap_or(1)
}

fn toml_error(path: &Path, text: &str, e: toml::de::Error) -> Error {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    Error::Mapping {
        path: path.to_path_buf(),
        message: match line {
            Some(l) => format!("line {l}: {}", e.message()),
            None => e.message().to_string(),
        },
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

fn compile(path: &Path, text: &str, key: &str, re: &str) -> Result<Regex> {
    Regex::new(re).map_err(|e| Error::Mapping {
        path: path.to_path_buf(),
        message: format!(
            "line {}: `{key}` is not a valid regex: {e}",
            line_of(text, re.lines().next().unwrap_or(key))
        ),
    })
}

fn mapping_err(path: &Path, text: &str, needle: &str, message: String) -> Error {
    Error::Mapping {
        path: path.to_path_buf(),
        message: format!("line {}: {message}", line_of(text, needle)),
    }
}

/// Parses a label/field name used in mappings.
pub fn label_kind(name: &str) -> Option<LabelKind> {
    match name {
        "pickup" => Some(LabelKind::Pickup),
        "return" => Some(LabelKind::Return),
        "period" => Some(LabelKind::Period),
        "amount_paid" => Some(LabelKind::AmountPaid),
        "contact" => Some(LabelKind::Contact),
        other => Field::parse(other).map(LabelKind::Field),
    }
}

fn parse_order(s: &str) -> Option<DateOrder> {
    match s {
        "dmy" => Some(DateOrder::Dmy),
        "mdy" => Some(DateOrder::Mdy),
        "ymd" => Some(DateOrder::Ymd),
        _ => None,
    }
}

const FIELD_NAMES: &str = "booking_ref, customer_name, customer_email, customer_phone, vehicle, \
pickup_at, return_at, pickup_location, return_location, total_amount, deposit, amount_paid, \
pickup, return, period, contact";

impl Vocab {
    /// Words that say "cancelled" (`Abgesagt:`, `Canceled:` prefixes in calendar titles).
    pub fn cancel_words(&self) -> &[String] {
        self.kinds
            .iter()
            .find(|(k, _)| *k == Kind::Cancellation)
            .map(|(_, w)| w.as_slice())
            .unwrap_or(&[])
    }

    pub fn load(path: &Path) -> Result<Vocab> {
        let text = read(path)?;
        let f: VocabFile = toml::from_str(&text).map_err(|e| toml_error(path, &text, e))?;
        let mut labels = FastMap::default();
        for (name, list) in &f.labels {
            let kind = label_kind(name).ok_or_else(|| {
                mapping_err(
                    path,
                    &text,
                    name,
                    format!("unknown field `{name}` (known: {FIELD_NAMES})"),
                )
            })?;
            for l in list {
                labels.entry(fold(l)).or_insert(kind);
            }
        }
        let mut kinds = Vec::new();
        for k in [
            Kind::Cancellation,
            Kind::Modification,
            Kind::Reminder,
            Kind::Receipt,
            Kind::Confirmation,
        ] {
            let words = f.kinds.get(k.as_str()).cloned().unwrap_or_default();
            kinds.push((k, words.iter().map(|w| fold(w)).collect()));
        }
        if let Some(bad) = f.kinds.keys().find(|k| {
            !matches!(
                k.as_str(),
                "cancellation" | "modification" | "reminder" | "receipt" | "confirmation"
            )
        }) {
            return Err(mapping_err(
                path,
                &text,
                bad,
                format!("unknown kind `{bad}` (known: cancellation, modification, reminder, receipt, confirmation)"),
            ));
        }
        let folds = |v: &[String]| v.iter().map(|w| fold(w)).collect::<Vec<_>>();
        let mut makes: Vec<Vec<String>> = f
            .vehicles
            .makes
            .iter()
            .map(|m| fold(m).split(' ').map(str::to_string).collect())
            .collect();
        makes.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        makes.dedup();
        let mut make_heads: FastMap<String, Vec<u32>> = FastMap::default();
        for (i, m) in makes.iter().enumerate() {
            if let Some(head) = m.first() {
                make_heads.entry(head.clone()).or_default().push(i as u32);
            }
        }
        let mut pickup_words = Vec::new();
        let mut return_words = Vec::new();
        for (label, kind) in &labels {
            if label.len() < 6 {
                continue;
            }
            match kind {
                LabelKind::Pickup | LabelKind::Field(Field::PickupAt) => {
                    pickup_words.push(label.clone())
                }
                LabelKind::Return | LabelKind::Field(Field::ReturnAt) => {
                    return_words.push(label.clone())
                }
                _ => {}
            }
        }
        pickup_words.sort();
        return_words.sort();
        let mut deposit_words: Vec<String> = labels
            .iter()
            .filter(|(_, k)| **k == LabelKind::Field(Field::Deposit))
            .map(|(l, _)| l.clone())
            .collect();
        deposit_words.sort();
        let words_re = |w: &[String]| -> Result<Regex> {
            let alt: Vec<String> = w.iter().map(|x| regex::escape(x)).collect();
            Regex::new(&format!(r"\b(?:{})\b", alt.join("|"))).map_err(|e| Error::Mapping {
                path: path.to_path_buf(),
                message: format!("label list too large for one regex: {e}"),
            })
        };
        let pickup_re = words_re(&pickup_words)?;
        let return_re = words_re(&return_words)?;
        let deposit_re = words_re(&deposit_words)?;
        let kind_res = kinds
            .iter()
            .map(|(k, w): &(Kind, Vec<String>)| Ok((*k, words_re(w)?)))
            .collect::<Result<Vec<_>>>()?;
        let not_booking_subject_re = words_re(&folds(&f.not_booking.subjects))?;
        let not_booking_calendar_re = words_re(&folds(&f.not_booking.calendar))?;
        Ok(Vocab {
            labels,
            pickup_words,
            return_words,
            pickup_re,
            return_re,
            deposit_re,
            kind_res,
            not_booking_subject_re,
            not_booking_calendar_re,
            skip_words: folds(&f.label_words.skip_words).into_iter().collect(),
            new_words: folds(&f.label_words.new_words).into_iter().collect(),
            kinds,
            not_booking_subjects: folds(&f.not_booking.subjects),
            not_booking_calendar: folds(&f.not_booking.calendar),
            makes,
            make_heads,
            vehicle_noise: folds(&f.vehicles.vehicle_noise),
            greetings: folds(&f.names.greetings),
            honorifics: folds(&f.names.honorifics).into_iter().collect(),
            title_words: folds(&f.names.title_words).into_iter().collect(),
            nicknames: {
                let mut m: FastMap<String, Vec<u32>> = FastMap::default();
                for (i, g) in f.names.nicknames.iter().enumerate() {
                    for n in fold(g).split(' ') {
                        m.entry(n.to_string()).or_default().push(i as u32);
                    }
                }
                m
            },
            nickname_heads: {
                let mut m: FastMap<String, Vec<u32>> = FastMap::default();
                for (i, g) in f.names.nicknames.iter().enumerate() {
                    if let Some(head) = fold(g).split(' ').next() {
                        m.entry(head.to_string()).or_default().push(i as u32);
                    }
                }
                m
            },
        })
    }
}

impl Family {
    pub fn load(path: &Path) -> Result<Family> {
        let text = read(path)?;
        let f: FamilyFile = toml::from_str(&text).map_err(|e| toml_error(path, &text, e))?;
        let opt = |key: &str, re: &Option<String>| -> Result<Option<Regex>> {
            re.as_ref()
                .map(|r| compile(path, &text, key, r))
                .transpose()
        };
        let mut kinds = Vec::new();
        for (k, re) in &f.kind {
            let kind = Kind::parse(k)
                .ok_or_else(|| mapping_err(path, &text, k, format!("unknown kind `{k}`")))?;
            kinds.push((kind, compile(path, &text, k, re)?));
        }
        let mut fields = Vec::new();
        for (name, re) in &f.fields {
            let field = Field::parse(name).ok_or_else(|| {
                mapping_err(
                    path,
                    &text,
                    name,
                    format!("unknown field `{name}` (known: {FIELD_NAMES})"),
                )
            })?;
            let rx = compile(path, &text, name, re)?;
            if rx.captures_len() < 2 {
                return Err(mapping_err(
                    path,
                    &text,
                    name,
                    format!(
                        "field `{name}`: the regex needs a capture group ( ... ) around the value"
                    ),
                ));
            }
            fields.push((field, rx));
        }
        let mut patterns = Vec::new();
        for re in &f.patterns {
            let rx = compile(path, &text, "patterns", re)?;
            for name in rx.capture_names().flatten() {
                if label_kind(name).is_none() {
                    return Err(mapping_err(
                        path,
                        &text,
                        name,
                        format!("unknown field `{name}` in a pattern group (known: {FIELD_NAMES})"),
                    ));
                }
            }
            patterns.push(rx);
        }
        let date_order = match &f.date_order {
            None => None,
            Some(o) => Some(parse_order(o).ok_or_else(|| {
                mapping_err(
                    path,
                    &text,
                    "date_order",
                    format!("date_order must be dmy, mdy or ymd, not `{o}`"),
                )
            })?),
        };
        Ok(Family {
            extractor: format!("mapping:{}", f.name).into(),
            name: f.name,
            file: path.to_path_buf(),
            tenant: f.tenant,
            date_order,
            match_from: opt("match.from", &f.matcher.from)?,
            match_subject: opt("match.subject", &f.matcher.subject)?,
            match_body: opt("match.body", &f.matcher.body)?,
            kinds,
            fields,
            patterns,
        })
    }

    /// True when every matcher the family has matches (a family with none matches nothing).
    pub fn matches(&self, from: &str, subject: &str, body: &str) -> bool {
        let checks = [
            (&self.match_from, from),
            (&self.match_subject, subject),
            (&self.match_body, body),
        ];
        let mut any = false;
        for (re, s) in checks {
            if let Some(re) = re {
                any = true;
                if !re.is_match(s) {
                    return false;
                }
            }
        }
        any
    }
}

impl StripeMapping {
    pub fn load(path: &Path) -> Result<StripeMapping> {
        let text = read(path)?;
        let f: StripeFile = toml::from_str(&text).map_err(|e| toml_error(path, &text, e))?;
        let mut metadata = FastMap::default();
        for (name, keys) in &f.metadata {
            let kind = label_kind(name).ok_or_else(|| {
                mapping_err(
                    path,
                    &text,
                    name,
                    format!("unknown field `{name}` (known: {FIELD_NAMES})"),
                )
            })?;
            for k in keys {
                metadata.insert(meta_key(k), kind);
            }
        }
        let mut description = Vec::new();
        for re in &f.description_patterns {
            let rx = compile(path, &text, "description_patterns", re)?;
            for name in rx.capture_names().flatten() {
                if label_kind(name).is_none() {
                    return Err(mapping_err(
                        path,
                        &text,
                        name,
                        format!("unknown field `{name}` in a pattern group"),
                    ));
                }
            }
            description.push(rx);
        }
        Ok(StripeMapping {
            metadata,
            tenant_keys: f.tenant_keys.iter().map(|k| meta_key(k)).collect(),
            description,
        })
    }
}

/// Metadata keys compare without case, spaces, `_` or `-`.
pub fn meta_key(k: &str) -> String {
    fold(k).chars().filter(|c| c.is_alphanumeric()).collect()
}

fn load_dir(dir: &Path) -> Result<Vec<Family>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files.iter().map(|p| Family::load(p)).collect()
}

impl Mappings {
    /// Loads `fields.toml`, `languages.toml`, `stripe.toml`, `email/*.toml`, `calendar/*.toml`.
    pub fn load(dir: &Path) -> Result<Mappings> {
        if !dir.is_dir() {
            return Err(Error::Mapping {
                path: dir.to_path_buf(),
                message: "mappings folder not found".into(),
            });
        }
        let vocab = Vocab::load(&dir.join("fields.toml"))?;
        let lexicon = Lexicon::load(&dir.join("languages.toml"))?;
        let stripe = StripeMapping::load(&dir.join("stripe.toml"))?;
        Ok(Mappings {
            vocab,
            lexicon,
            email: load_dir(&dir.join("email"))?,
            calendar: load_dir(&dir.join("calendar"))?,
            stripe,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(text: &str) -> Result<Family> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let p = dir.path().join("fam.toml");
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))?;
        Family::load(&p)
    }

    #[test]
    fn family_loads_and_matches_on_all_given_rules() {
        let f = family(
            "name = \"acme\"\ntenant = \"alpen\"\ndate_order = \"mdy\"\npatterns = ['Slot (?P<pickup>.+?) ->']\n[match]\nfrom = '@acme\\.example>$'\nsubject = '(?i)reservation'\n[kind]\ncancellation = '(?i)call(ed)? off'\n[fields]\nvehicle = 'Your ride: (.+)'\n",
        )
        .expect("family loads");
        assert_eq!(f.name, "acme");
        assert_eq!(f.date_order, Some(DateOrder::Mdy));
        assert!(f.matches("Acme <x@acme.example>", "Your Reservation", ""));
        assert!(!f.matches("Acme <x@other.example>", "Your Reservation", ""));
        assert_eq!(f.kinds.len(), 1);
        assert_eq!(f.fields.len(), 1);
        assert_eq!(f.patterns.len(), 1);
    }

    #[test]
    fn bad_families_name_the_line_and_reason() {
        let e = family("name = \"x\"\n[fields]\nsteering_wheel = '(.+)'\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("line 3") && e.contains("unknown field `steering_wheel`"),
            "{e}"
        );
        let e = family("name = \"x\"\n[fields]\nvehicle = 'no group'\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("line 3") && e.contains("capture group"), "{e}");
        let e = family("name = \"x\"\ncolour = 'red'\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("line 2") && e.contains("colour"), "{e}");
        let e = family("name = \"x\"\npatterns = ['(?P<wheels>\\d+)']\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("unknown field `wheels`"), "{e}");
    }
}
