//! Saved Stripe API JSON → [`StripeRecord`]s.
//!
//! After a database loss the payments are often the most complete record left, saved as raw API
//! responses (`stripe charges list > charges.json`, a support export, a script dump). A file may be
//! a list page (`{"object":"list","data":[...]}`), a search page, a plain array, a single object,
//! or several such values one after another (JSON Lines). Charges, refunds, payment intents and
//! checkout sessions are read with the async-stripe types; every other object is rejected by name.
//!
//! Robustness choices, each because losing a payment costs more than reading it loosely:
//! - The file is parsed as untyped JSON first and each object is typed on its own, so one bad
//!   object is rejected alone and the rest of the page survives.
//! - Before typing, an object is reduced to the fields this importer reads plus the fields the
//!   async-stripe type requires ([`CHARGE_FIELDS`], ...). Fields we never read (card details,
//!   Radar outcome, expanded balance transactions) then cannot reject a payment when their shape
//!   drifts between API versions.
//! - Expanded references we only need the id of are collapsed to that id first, for the same
//!   reason: an expanded `payment_intent` must not have to be a complete, valid payment intent.
//! - A charge's expanded `refunds` list is taken out and each refund read on its own (and emitted
//!   as its own record), so a bad refund does not lose its charge.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use stripe_shared::{
    Charge, ChargeStatus, CheckoutSession, CheckoutSessionPaymentStatus, PaymentIntent,
    PaymentIntentStatus, Refund,
};

use super::{StripeObject, StripeRecord};
use crate::evidence::{Rejected, Source};

/// Charge fields kept for typing: the ones read below plus the ones [`Charge`] requires.
const CHARGE_FIELDS: &[&str] = &[
    "id",
    "amount",
    "amount_captured",
    "amount_refunded",
    "billing_details",
    "captured",
    "created",
    "currency",
    "description",
    "disputed",
    "livemode",
    "metadata",
    "on_behalf_of",
    "paid",
    "payment_intent",
    "receipt_email",
    "refunded",
    "shipping",
    "status",
    "transfer_data",
];

/// Refund fields kept for typing (see [`CHARGE_FIELDS`]).
const REFUND_FIELDS: &[&str] = &[
    "id",
    "amount",
    "charge",
    "created",
    "currency",
    "description",
    "metadata",
    "payment_intent",
    "status",
];

/// Payment intent fields kept for typing (see [`CHARGE_FIELDS`]).
const PAYMENT_INTENT_FIELDS: &[&str] = &[
    "id",
    "amount",
    "amount_capturable",
    "amount_received",
    "capture_method",
    "confirmation_method",
    "created",
    "currency",
    "description",
    "latest_charge",
    "livemode",
    "metadata",
    "on_behalf_of",
    "payment_method_types",
    "receipt_email",
    "shipping",
    "status",
    "transfer_data",
];

/// Checkout session fields kept for typing (see [`CHARGE_FIELDS`]).
const SESSION_FIELDS: &[&str] = &[
    "id",
    "amount_total",
    "automatic_tax",
    "client_reference_id",
    "created",
    "currency",
    "custom_fields",
    "custom_text",
    "customer_details",
    "customer_email",
    "expires_at",
    "livemode",
    "metadata",
    "mode",
    "payment_intent",
    "payment_method_types",
    "payment_status",
    "shipping_options",
];

/// Reference fields read only for their id; an expanded object there is collapsed to its id.
const ID_ONLY_FIELDS: &[&str] = &["charge", "payment_intent", "latest_charge", "on_behalf_of"];

/// Reads one JSON file: a Stripe list page (`{"object":"list","data":[...],"has_more":...}`), a
/// plain array of objects, or a single object. `account`: the connected account when the plan
/// names it; if `None`, taken from an `acct_…` component of `path`. `tenant`: the plan's tenant
/// slug when the file belongs to one tenant. An unreadable file is one [`Rejected`] row.
pub fn read_file(
    path: &Path,
    account: Option<&str>,
    tenant: Option<&str>,
) -> (Vec<StripeRecord>, Vec<Rejected>) {
    match super::read_or_reject(path, Source::Stripe) {
        Ok(bytes) => parse_bytes(&bytes, &path.display().to_string(), account, tenant),
        Err(r) => (Vec::new(), vec![r]),
    }
}

/// [`read_file`] on bytes already read; `file` names them in records and rejections (and, when
/// `account` is `None`, is searched for an `acct_…` component).
pub fn parse_bytes(
    bytes: &[u8],
    file: &str,
    account: Option<&str>,
    tenant: Option<&str>,
) -> (Vec<StripeRecord>, Vec<Rejected>) {
    let account = account
        .map(str::to_string)
        .or_else(|| account_from_path(Path::new(file)));
    let mut out = Out {
        file: file.into(),
        account,
        tenant,
        records: Vec::new(),
        rejected: Vec::new(),
        seen: BTreeSet::new(),
    };
    let values = match top_level_values(bytes) {
        Ok(values) => values,
        Err((position, reason)) => {
            out.reject(position, reason);
            return (out.records, out.rejected);
        }
    };
    let several = values.len() > 1;
    for (k, value) in values.into_iter().enumerate() {
        // JSON Lines: name the value too, or `data[3]` would be ambiguous.
        let prefix = if several {
            format!("value {} ", k + 1)
        } else {
            String::new()
        };
        out.container(value, &prefix);
    }
    (out.records, out.rejected)
}

/// The connected account named by the innermost path component starting with `acct_`
/// (`exports/acct_1Nv0FGQ9RKHgCVdK/charges.json`), cut at the first character that cannot be in
/// an account id so that `acct_1Nv0FGQ9RKHgCVdK.json` works as a file name too.
pub(crate) fn account_from_path(path: &Path) -> Option<String> {
    path.components().rev().find_map(|c| {
        let name = c.as_os_str().to_str()?;
        let rest = name.strip_prefix("acct_")?;
        let len = rest
            .find(|ch: char| !ch.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        (len > 0).then(|| format!("acct_{}", &rest[..len]))
    })
}

/// Every top-level JSON value of the file (one, or several for JSON Lines), or the position and
/// reason of the first syntax error. A UTF-8 BOM (Windows editors add one) is skipped. The values
/// stay raw text: the whole file is checked for syntax here, but only the fields a record needs
/// are ever turned into data.
fn top_level_values(bytes: &[u8]) -> Result<Vec<&RawValue>, (String, String)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut values = Vec::new();
    for item in serde_json::Deserializer::from_slice(bytes).into_iter::<&RawValue>() {
        match item {
            Ok(v) => values.push(v),
            Err(e) => {
                return Err((
                    format!("line {}, column {}", e.line(), e.column()),
                    format!("not valid JSON: {e}"),
                ))
            }
        }
    }
    if values.is_empty() {
        return Err(("file".into(), "empty file: no JSON value".into()));
    }
    Ok(values)
}

/// What one file produced so far.
struct Out<'a> {
    /// Shared by every record of the file.
    file: crate::evidence::Shared,
    /// Account from the plan or the folder; an object naming its own destination overrides it.
    account: Option<String>,
    tenant: Option<&'a str>,
    records: Vec<StripeRecord>,
    rejected: Vec<Rejected>,
    /// Ids already emitted: an embedded refund may also appear on its own in the same file.
    seen: BTreeSet<String>,
}

impl Out<'_> {
    fn reject(&mut self, position: impl Into<String>, reason: impl Into<String>) {
        self.rejected
            .push(Rejected::new(Source::Stripe, &*self.file, position, reason));
    }

    /// Rejects an object, naming its id next to its position when it has one.
    fn reject_object(&mut self, position: &str, obj: &Shallow, reason: String) {
        let position = match obj.text("id") {
            Some(id) => format!("{position} ({id})"),
            None => position.to_string(),
        };
        self.reject(position, reason);
    }

    fn push(&mut self, record: StripeRecord) {
        if self.seen.insert(record.id.clone()) {
            self.records.push(record);
        }
    }

    /// A top-level value: a list or search page, an array, or one object.
    fn container(&mut self, value: &RawValue, prefix: &str) {
        if let Some(items) = array(value) {
            return self.items(items, &format!("{prefix}["));
        }
        match Shallow::parse(value) {
            Some(obj) if obj.is_page() => self.page(&obj, &format!("{prefix}data[")),
            obj => {
                let position = if prefix.is_empty() {
                    "root".to_string()
                } else {
                    prefix.trim_end().to_string()
                };
                self.element(obj, &position);
            }
        }
    }

    /// The `data` of a list or search page.
    fn page(&mut self, obj: &Shallow, open: &str) {
        match obj.get("data").and_then(array) {
            Some(items) => self.items(items, open),
            _ => self.reject(
                open.trim_end_matches('['),
                "list page without a `data` array",
            ),
        }
    }

    /// Array elements; `open` is the position up to the index (`data[`, `[`).
    fn items(&mut self, items: Vec<&RawValue>, open: &str) {
        for (i, item) in items.into_iter().enumerate() {
            let position = format!("{open}{i}]");
            match Shallow::parse(item) {
                // Several saved pages in one array: read each page's data.
                Some(obj) if obj.is_page() => self.page(&obj, &format!("{position}.data[")),
                obj => self.element(obj, &position),
            }
        }
    }

    /// One object (`None`: the value was not an object), dispatched on its `object` field.
    fn element(&mut self, obj: Option<Shallow>, position: &str) {
        let Some(obj) = obj else {
            self.reject(position, "not a JSON object");
            return;
        };
        let kind = obj.text("object").unwrap_or_default();
        match kind.as_ref() {
            "charge" => self.charge(obj, position),
            "refund" => self.refund(obj, position, None, None),
            "payment_intent" => self.payment_intent(obj, position),
            "checkout.session" => self.session(obj, position),
            "" => self.reject_object(position, &obj, "no `object` field".into()),
            other => {
                let reason = format!("unsupported Stripe object `{other}`");
                self.reject_object(position, &obj, reason);
            }
        }
    }

    fn charge(&mut self, obj: Shallow, position: &str) {
        // `refunds` is not among the typed fields: each embedded refund is read (and
        // rejected) on its own.
        let charge = match typed::<Charge>(&obj, CHARGE_FIELDS) {
            Ok(c) => c,
            Err(e) => return self.reject_object(position, &obj, e),
        };
        let record = self.charge_record(charge, position);
        let (charge_id, account) = (record.id.clone(), record.account.clone());
        self.push(record);
        let Some(items) = obj
            .get("refunds")
            .and_then(Shallow::parse)
            .and_then(|list| list.get("data").and_then(array))
        else {
            return;
        };
        for (i, item) in items.into_iter().enumerate() {
            let position = format!("{position}.refunds.data[{i}]");
            match Shallow::parse(item) {
                Some(r)
                    if r.get("object").is_none()
                        || r.text("object").as_deref() == Some("refund") =>
                {
                    self.refund(r, &position, Some(&charge_id), account.as_deref());
                }
                Some(r) => {
                    self.reject_object(&position, &r, "expected a refund in `refunds`".into())
                }
                None => self.reject(position, "not a JSON object"),
            }
        }
    }

    fn charge_record(&self, c: Charge, position: &str) -> StripeRecord {
        let succeeded = matches!(c.status, ChargeStatus::Succeeded);
        let account = c
            .transfer_data
            .as_ref()
            .map(|t| t.destination.id().to_string())
            .or_else(|| c.on_behalf_of.as_ref().map(|a| a.id().to_string()))
            .or_else(|| self.account.clone());
        let shipping = c.shipping.as_ref();
        StripeRecord {
            file: self.file.clone(),
            position: position.to_string(),
            object: StripeObject::Charge,
            id: c.id.to_string(),
            account,
            created: Some(c.created),
            amount: c.amount,
            amount_refunded: c.amount_refunded,
            currency: c.currency.to_string().to_ascii_uppercase(),
            status: c.status.as_str().to_ascii_lowercase(),
            // An authorised but uncaptured charge (a deposit hold) has `paid` true, yet no money
            // moved: `StripeRecord::paid` means captured.
            paid: c.paid && c.captured && succeeded,
            description: non_empty(c.description),
            metadata: sorted(c.metadata),
            customer_name: non_empty(c.billing_details.name)
                .or_else(|| non_empty(shipping.and_then(|s| s.name.clone()))),
            customer_email: non_empty(c.billing_details.email)
                .or_else(|| non_empty(c.receipt_email)),
            customer_phone: non_empty(c.billing_details.phone)
                .or_else(|| non_empty(shipping.and_then(|s| s.phone.clone()))),
            links: c
                .payment_intent
                .iter()
                .map(|p| p.id().to_string())
                .collect(),
            tenant: self.tenant.map(str::to_string),
        }
    }

    /// A refund on its own or embedded in a charge (`parent`: that charge's id and account).
    fn refund(
        &mut self,
        obj: Shallow,
        position: &str,
        parent_charge: Option<&str>,
        parent_account: Option<&str>,
    ) {
        let r = match typed::<Refund>(&obj, REFUND_FIELDS) {
            Ok(r) => r,
            Err(e) => return self.reject_object(position, &obj, e),
        };
        let status = r.status.as_deref().unwrap_or("").to_ascii_lowercase();
        let mut links: Vec<String> = r.charge.iter().map(|c| c.id().to_string()).collect();
        if links.is_empty() {
            links.extend(parent_charge.map(str::to_string));
        }
        links.extend(r.payment_intent.iter().map(|p| p.id().to_string()));
        let record = StripeRecord {
            file: self.file.clone(),
            position: position.to_string(),
            object: StripeObject::Refund,
            id: r.id.to_string(),
            account: parent_account
                .map(str::to_string)
                .or_else(|| self.account.clone()),
            created: Some(r.created),
            amount: r.amount,
            amount_refunded: 0,
            currency: r.currency.to_string().to_ascii_uppercase(),
            paid: status == "succeeded",
            status,
            description: non_empty(r.description),
            metadata: r.metadata.map(sorted).unwrap_or_default(),
            customer_name: None,
            customer_email: None,
            customer_phone: None,
            links,
            tenant: self.tenant.map(str::to_string),
        };
        self.push(record);
    }

    fn payment_intent(&mut self, obj: Shallow, position: &str) {
        let pi = match typed::<PaymentIntent>(&obj, PAYMENT_INTENT_FIELDS) {
            Ok(pi) => pi,
            Err(e) => return self.reject_object(position, &obj, e),
        };
        let account = pi
            .transfer_data
            .as_ref()
            .map(|t| t.destination.id().to_string())
            .or_else(|| pi.on_behalf_of.as_ref().map(|a| a.id().to_string()))
            .or_else(|| self.account.clone());
        let shipping = pi.shipping.as_ref();
        let record = StripeRecord {
            file: self.file.clone(),
            position: position.to_string(),
            object: StripeObject::PaymentIntent,
            id: pi.id.to_string(),
            account,
            created: Some(pi.created),
            // What was actually received when anything was; the asked amount otherwise.
            amount: if pi.amount_received > 0 {
                pi.amount_received
            } else {
                pi.amount
            },
            amount_refunded: 0,
            currency: pi.currency.to_string().to_ascii_uppercase(),
            status: pi.status.as_str().to_ascii_lowercase(),
            paid: matches!(pi.status, PaymentIntentStatus::Succeeded),
            description: non_empty(pi.description),
            metadata: sorted(pi.metadata),
            customer_name: non_empty(shipping.and_then(|s| s.name.clone())),
            customer_email: non_empty(pi.receipt_email),
            customer_phone: non_empty(shipping.and_then(|s| s.phone.clone())),
            links: pi
                .latest_charge
                .iter()
                .map(|c| c.id().to_string())
                .collect(),
            tenant: self.tenant.map(str::to_string),
        };
        self.push(record);
    }

    fn session(&mut self, obj: Shallow, position: &str) {
        let s = match typed::<CheckoutSession>(&obj, SESSION_FIELDS) {
            Ok(s) => s,
            Err(e) => return self.reject_object(position, &obj, e),
        };
        let paid = matches!(s.payment_status, CheckoutSessionPaymentStatus::Paid);
        let status = if paid {
            "succeeded".to_string()
        } else {
            s.payment_status.as_str().to_ascii_lowercase()
        };
        let mut metadata = s.metadata.map(sorted).unwrap_or_default();
        // Shops often put their booking reference here rather than in metadata; keep it where
        // the metadata mappings can see it (an explicit metadata key of that name wins).
        if let Some(reference) = non_empty(s.client_reference_id) {
            metadata
                .entry("client_reference_id".to_string())
                .or_insert(reference);
        }
        let details = s.customer_details.as_ref();
        let record = StripeRecord {
            file: self.file.clone(),
            position: position.to_string(),
            object: StripeObject::CheckoutSession,
            id: s.id.to_string(),
            account: self.account.clone(),
            created: Some(s.created),
            amount: s.amount_total.unwrap_or(0),
            amount_refunded: 0,
            currency: s
                .currency
                .map(|c| c.to_string().to_ascii_uppercase())
                .unwrap_or_default(),
            status,
            paid,
            description: None,
            metadata,
            customer_name: non_empty(details.and_then(|d| d.name.clone())),
            customer_email: non_empty(details.and_then(|d| d.email.clone()))
                .or_else(|| non_empty(s.customer_email)),
            customer_phone: non_empty(details.and_then(|d| d.phone.clone())),
            links: s
                .payment_intent
                .iter()
                .map(|p| p.id().to_string())
                .collect(),
            tenant: self.tenant.map(str::to_string),
        };
        self.push(record);
    }
}

/// A JSON object read one level deep: its keys and the raw text of each value. Card details,
/// Radar outcomes and every other field we never read are skipped over, never built as data;
/// that is most of a charge, and most of the time of reading one.
struct Shallow<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'a> Shallow<'a> {
    /// The object `raw` holds; `None` when it holds another kind of value.
    fn parse(raw: &'a RawValue) -> Option<Shallow<'a>> {
        let text = raw.get();
        if !text.trim_start().starts_with('{') {
            return None;
        }
        serde_json::from_str(text).ok()
    }

    /// The raw value of `key`; the last one counts when a key repeats, as in `serde_json`.
    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// The string value of `key` (`None` when absent or not a string).
    fn text(&self, key: &str) -> Option<Cow<'a, str>> {
        self.get(key).and_then(text)
    }

    /// `{"object":"list"|"search_result","data":[...]}`.
    fn is_page(&self) -> bool {
        matches!(
            self.text("object").as_deref(),
            Some("list" | "search_result")
        )
    }
}

impl<'de> Deserialize<'de> for Shallow<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Shallow<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::new();
                while let Some((k, v)) = map.next_entry::<Text<'de>, &'de RawValue>()? {
                    fields.push((k.0, v));
                }
                Ok(Shallow(fields))
            }
        }
        d.deserialize_map(Fields)
    }
}

/// A JSON string, borrowed from the file unless it has escapes.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// The string `raw` holds, if it holds one.
fn text(raw: &RawValue) -> Option<Cow<'_, str>> {
    serde_json::from_str::<Text>(raw.get()).ok().map(|t| t.0)
}

/// The elements of the array `raw` holds, if it holds one.
fn array(raw: &RawValue) -> Option<Vec<&RawValue>> {
    if !raw.get().trim_start().starts_with('[') {
        return None;
    }
    serde_json::from_str(raw.get()).ok()
}

/// Types `obj` as `T` after keeping only `fields` and collapsing id-only references (see the
/// module doc for why). The kept fields are copied as raw text into one small object, so only
/// they are ever parsed.
fn typed<T: DeserializeOwned>(obj: &Shallow, fields: &[&str]) -> Result<T, String> {
    let mut json = String::with_capacity(1024);
    write_kept(&mut json, obj, fields);
    serde_json::from_str(&json).map_err(|e| {
        // the position is in our reduced copy, not in the file: leave it out
        let mut reason = e.to_string();
        if let Some(at) = reason.rfind(" at line ") {
            reason.truncate(at);
        }
        reason
    })
}

/// Transfer data fields kept for typing (its `destination` is an id-only reference).
const TRANSFER_FIELDS: &[&str] = &["amount", "destination"];

/// Writes `{"field":<raw>,...}` for the `fields` that `obj` has, with expanded id-only
/// references replaced by their id.
fn write_kept(out: &mut String, obj: &Shallow, fields: &[&str]) {
    out.push('{');
    let mut first = true;
    for &field in fields {
        let Some(raw) = obj.get(field) else {
            continue;
        };
        if !first {
            out.push(',');
        }
        first = false;
        out.push('"');
        out.push_str(field);
        out.push_str("\":");
        let collapse = ID_ONLY_FIELDS.contains(&field) || field == "destination";
        let expanded = (collapse || field == "transfer_data")
            .then(|| Shallow::parse(raw))
            .flatten();
        match expanded {
            Some(inner) if field == "transfer_data" => write_kept(out, &inner, TRANSFER_FIELDS),
            Some(inner) => match inner.get("id").filter(|id| text(id).is_some()) {
                Some(id) => out.push_str(id.get()),
                None => out.push_str(raw.get()),
            },
            None => out.push_str(raw.get()),
        }
    }
    out.push('}');
}

/// Trimmed text, `None` when absent or blank (Stripe sends `""` as often as `null`).
fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Metadata in a deterministic order.
fn sorted(map: HashMap<String, String>) -> BTreeMap<String, String> {
    map.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stripe");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
    }

    fn parse(bytes: &[u8]) -> (Vec<StripeRecord>, Vec<Rejected>) {
        parse_bytes(bytes, "exports/charges.json", None, None)
    }

    fn by_id<'a>(records: &'a [StripeRecord], id: &str) -> &'a StripeRecord {
        records.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn list_page_of_charges_with_expanded_refunds() {
        let (records, rejected) = parse(&fixture("charges_page.json"));
        assert!(rejected.is_empty(), "{rejected:?}");
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "ch_3PqLmN2eZvKYlo2C0a1b2c3d",
                "re_3PqLmN2eZvKYlo2C0r1e2f3g",
                "ch_3PqKxA2eZvKYlo2C1f9e8d7c",
            ]
        );
        let ch = &records[0];
        assert_eq!(ch.object, StripeObject::Charge);
        assert_eq!(ch.position, "data[0]");
        assert_eq!(&*ch.file, "exports/charges.json");
        assert_eq!(ch.created, Some(1_773_480_665));
        assert_eq!(ch.amount, 48_500);
        assert_eq!(ch.amount_refunded, 10_000);
        assert_eq!(ch.currency, "EUR");
        assert_eq!(ch.status, "succeeded");
        assert!(ch.paid);
        assert_eq!(ch.description.as_deref(), Some("Booking BK-20931 VW Golf"));
        assert_eq!(
            ch.metadata.get("booking_ref").map(String::as_str),
            Some("BK-20931")
        );
        assert_eq!(
            ch.metadata.get("vehicle").map(String::as_str),
            Some("VW Golf")
        );
        assert_eq!(ch.customer_name.as_deref(), Some("Jenny Rosen"));
        assert_eq!(
            ch.customer_email.as_deref(),
            Some("jenny.rosen@example.com")
        );
        assert_eq!(ch.customer_phone.as_deref(), Some("+49 151 2345678"));
        assert_eq!(ch.links, ["pi_3PqLmN2eZvKYlo2C0p1q2r3s"]);
        assert_eq!(ch.account, None);

        let re = &records[1];
        assert_eq!(re.object, StripeObject::Refund);
        assert_eq!(re.position, "data[0].refunds.data[0]");
        assert_eq!(re.amount, 10_000);
        assert_eq!(re.currency, "EUR");
        assert_eq!(re.status, "succeeded");
        assert!(re.paid);
        assert_eq!(
            re.links,
            ["ch_3PqLmN2eZvKYlo2C0a1b2c3d", "pi_3PqLmN2eZvKYlo2C0p1q2r3s"]
        );

        // Second charge: no billing email, falls back to the receipt e-mail; failed.
        let failed = &records[2];
        assert_eq!(failed.status, "failed");
        assert!(!failed.paid);
        assert_eq!(
            failed.customer_email.as_deref(),
            Some("m.keller@example.org")
        );
        assert!(failed.links.is_empty());
    }

    #[test]
    fn plain_array_of_mixed_objects() {
        let (records, rejected) = parse(&fixture("mixed_array.json"));
        let summary: Vec<(&str, StripeObject, &str)> = records
            .iter()
            .map(|r| (r.position.as_str(), r.object, r.id.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("[0]", StripeObject::Refund, "re_3PqLmN2eZvKYlo2C0r1e2f3g"),
                (
                    "[1]",
                    StripeObject::PaymentIntent,
                    "pi_3PqLmN2eZvKYlo2C0p1q2r3s"
                ),
                (
                    "[2]",
                    StripeObject::CheckoutSession,
                    "cs_live_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ"
                ),
            ]
        );
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].position, "[3] (cus_QhTdm3ZxVbN8Ya)");
        assert_eq!(rejected[0].reason, "unsupported Stripe object `customer`");

        let pi = &records[1];
        assert_eq!(pi.amount, 48_500, "amount_received");
        assert_eq!(pi.status, "succeeded");
        assert!(pi.paid);
        assert_eq!(
            pi.customer_email.as_deref(),
            Some("jenny.rosen@example.com")
        );
        assert_eq!(pi.customer_name.as_deref(), Some("Jenny Rosen"));
        assert_eq!(pi.links, ["ch_3PqLmN2eZvKYlo2C0a1b2c3d"]);
        assert_eq!(
            pi.metadata.get("booking_ref").map(String::as_str),
            Some("BK-20931")
        );

        let cs = &records[2];
        assert_eq!(cs.amount, 48_500);
        assert_eq!(cs.currency, "EUR");
        assert_eq!(cs.status, "succeeded");
        assert!(cs.paid);
        assert_eq!(cs.customer_name.as_deref(), Some("Jenny Rosen"));
        assert_eq!(
            cs.customer_email.as_deref(),
            Some("jenny.rosen@example.com")
        );
        assert_eq!(cs.customer_phone.as_deref(), Some("+491512345678"));
        assert_eq!(cs.links, ["pi_3PqLmN2eZvKYlo2C0p1q2r3s"]);
        assert_eq!(
            cs.metadata.get("client_reference_id").map(String::as_str),
            Some("BK-20931")
        );
    }

    #[test]
    fn single_object_with_expanded_payment_intent() {
        let (records, rejected) = parse(&fixture("refund_single.json"));
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(records.len(), 1);
        let re = &records[0];
        assert_eq!(re.position, "root");
        assert_eq!(re.object, StripeObject::Refund);
        assert_eq!(re.amount, 48_500);
        assert_eq!(re.status, "pending");
        assert!(!re.paid);
        assert_eq!(
            re.metadata.get("reason_code").map(String::as_str),
            Some("cancelled-by-customer")
        );
        // payment_intent was expanded into a (partial) object: only its id is needed.
        assert_eq!(
            re.links,
            ["ch_3PqMZZ2eZvKYlo2C1a2b3c4d", "pi_3PqMZZ2eZvKYlo2C1p2q3r4s"]
        );
    }

    #[test]
    fn one_bad_object_is_rejected_alone() {
        let (records, rejected) = parse(&fixture("one_bad_charge.json"));
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["ch_3PrAAA2eZvKYlo2C0g0o0d01", "ch_3PrCCC2eZvKYlo2C0g0o0d03"]
        );
        assert_eq!(rejected.len(), 1);
        let bad = &rejected[0];
        assert_eq!(bad.source, Source::Stripe);
        assert_eq!(bad.file, "exports/charges.json");
        assert_eq!(bad.position, "data[1] (ch_3PrBBB2eZvKYlo2C0b4d0d02)");
        assert!(bad.reason.contains("invalid type"), "{}", bad.reason);
        assert!(bad.reason.contains("i64"), "{}", bad.reason);
    }

    #[test]
    fn not_json_is_one_rejection_with_line_and_column() {
        let bytes = b"id,amount\nch_1,12.00\n";
        let (records, rejected) = parse(bytes);
        assert!(records.is_empty());
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].position, "line 1, column 1");
        assert!(
            rejected[0].reason.starts_with("not valid JSON: "),
            "{}",
            rejected[0].reason
        );

        let truncated = br#"{"object": "list", "data": [{"id": "ch_1","#;
        let (_, rejected) = parse(truncated);
        assert_eq!(rejected.len(), 1);
        assert!(rejected[0].position.starts_with("line 1, column "));

        let (records, rejected) = parse(b"  \n");
        assert!(records.is_empty());
        assert_eq!(rejected[0].reason, "empty file: no JSON value");
    }

    #[test]
    fn jpy_amounts_stay_integer_minor_units() {
        let (records, rejected) = parse(&fixture("charge_jpy.json"));
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].amount, 12_000);
        assert_eq!(records[0].currency, "JPY");
        assert_eq!(records[0].customer_name.as_deref(), Some("山田 太郎"));
    }

    #[test]
    fn account_from_acct_folder_plan_and_destination() {
        let bytes = fixture("charge_jpy.json");
        let (records, _) = parse_bytes(
            &bytes,
            "evidence/stripe/acct_1OxYzQ2eZvKYlo2C/2026-03/charges.json",
            None,
            Some("tokyo"),
        );
        assert_eq!(records[0].account.as_deref(), Some("acct_1OxYzQ2eZvKYlo2C"));
        assert_eq!(records[0].tenant.as_deref(), Some("tokyo"));

        let (records, _) = parse_bytes(
            &bytes,
            "evidence/stripe/acct_1OxYzQ2eZvKYlo2C/charges.json",
            Some("acct_FromPlan"),
            None,
        );
        assert_eq!(records[0].account.as_deref(), Some("acct_FromPlan"));

        // A destination charge names the connected account that earned it.
        let (records, _) = parse(&fixture("charges_page.json"));
        let dest = by_id(&records, "ch_3PqKxA2eZvKYlo2C1f9e8d7c");
        assert_eq!(dest.account.as_deref(), Some("acct_1NbQrS2eZvKYlo2C"));

        assert_eq!(
            account_from_path(Path::new("x/acct_1AbC.json")).as_deref(),
            Some("acct_1AbC")
        );
        assert_eq!(account_from_path(Path::new("x/acct_/y.json")), None);
    }

    #[test]
    fn duplicate_ids_keep_the_first_and_json_lines_are_read() {
        // A refund saved on its own after the charge that embeds it, as JSON Lines.
        let mut bytes = fixture("charges_page.json");
        bytes.push(b'\n');
        bytes.extend(fixture("mixed_array.json"));
        let (records, rejected) = parse(&bytes);
        let refunds: Vec<&StripeRecord> = records
            .iter()
            .filter(|r| r.id == "re_3PqLmN2eZvKYlo2C0r1e2f3g")
            .collect();
        assert_eq!(refunds.len(), 1);
        assert_eq!(refunds[0].position, "value 1 data[0].refunds.data[0]");
        assert_eq!(records.len(), 5);
        assert_eq!(rejected[0].position, "value 2 [3] (cus_QhTdm3ZxVbN8Ya)");
    }

    #[test]
    fn uncaptured_charge_is_not_paid_and_bad_embedded_refund_is_alone() {
        let bytes = br#"{"id":"ch_3PsHold2eZvKYlo2C0h0l0d01","object":"charge","amount":30000,
            "amount_captured":0,"amount_refunded":0,"billing_details":{"address":null,
            "email":null,"name":null,"phone":null},"captured":false,"created":1773500000,
            "currency":"eur","disputed":false,"livemode":true,"metadata":{},"paid":true,
            "refunded":false,"status":"succeeded","refunds":{"object":"list","data":[
            {"id":"re_bad","object":"refund","amount":"lots","created":1773500100,
             "currency":"eur","status":"succeeded"}],"has_more":false,
             "url":"/v1/charges/ch_3PsHold2eZvKYlo2C0h0l0d01/refunds"}}"#;
        let (records, rejected) = parse(bytes);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].status, "succeeded");
        assert!(!records[0].paid, "an authorisation hold moved no money");
        assert_eq!(records[0].customer_name, None);
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].position, "root.refunds.data[0] (re_bad)");
    }

    /// The fixtures are complete API objects: they type as a whole, without the reduction to
    /// read fields, so the tests above run on the real shape.
    #[test]
    fn fixtures_are_complete_api_objects() {
        let page: Value = serde_json::from_slice(&fixture("charges_page.json")).unwrap();
        for c in page["data"].as_array().unwrap() {
            serde_json::from_value::<Charge>(c.clone()).unwrap();
        }
        let jpy: Value = serde_json::from_slice(&fixture("charge_jpy.json")).unwrap();
        serde_json::from_value::<Charge>(jpy).unwrap();
        let mixed: Value = serde_json::from_slice(&fixture("mixed_array.json")).unwrap();
        serde_json::from_value::<Refund>(mixed[0].clone()).unwrap();
        serde_json::from_value::<PaymentIntent>(mixed[1].clone()).unwrap();
        serde_json::from_value::<CheckoutSession>(mixed[2].clone()).unwrap();
    }

    #[test]
    fn unreadable_file_is_rejected() {
        let (records, rejected) =
            read_file(Path::new("/nonexistent/acct_1X/charges.json"), None, None);
        assert!(records.is_empty());
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].position, "file");
        assert!(rejected[0]
            .reason
            .starts_with("cannot read /nonexistent/acct_1X/charges.json"));
    }

    #[test]
    fn read_file_reads_fixture() {
        let path = Path::new(FIXTURES).join("charges_page.json");
        let (records, rejected) = read_file(&path, None, Some("berlin"));
        assert!(rejected.is_empty());
        assert_eq!(records.len(), 3);
        assert!(records
            .iter()
            .all(|r| r.tenant.as_deref() == Some("berlin")));
        assert_eq!(&*records[0].file, path.display().to_string());
    }
}
