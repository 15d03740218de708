//! Importers: files → raw documents. Importers only read and decode; they do not interpret
//! booking fields (that is [`crate::extract`]). Every unreadable record becomes a
//! [`Rejected`](crate::evidence::Rejected) naming the file and the record, never a panic.

pub mod calendar;
pub mod email;
pub mod html;
pub mod live;
pub mod stripe_csv;
pub mod stripe_json;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use crate::evidence::{Rejected, Source};

use crate::evidence::{Shared, Timestamp};

/// One decoded e-mail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawMail {
    pub file: Shared,
    /// Where in the file: `message 12 (line 340)` for mbox, the file name for .eml/Maildir.
    pub position: String,
    /// Message-ID without angle brackets; when missing, a stable synthetic id
    /// (`<file>#<position>` hashed) so that ids never collide.
    pub message_id: String,
    pub date: Option<Timestamp>,
    /// (display name, address) of From.
    pub from: Option<(String, String)>,
    pub reply_to: Option<String>,
    pub to: Vec<String>,
    /// Display name of the first To address (the platform addresses the customer by name).
    pub to_name: Option<String>,
    pub subject: String,
    /// Body as plain text: text/plain preferred, else HTML turned into text (tables as
    /// `cell<TAB>cell` lines), RFC 2047 / QP / base64 / charsets decoded.
    pub text: String,
    /// Headers that mark machine mail: Auto-Submitted, Precedence, List-Unsubscribe,
    /// X-Autoreply, a multipart/report content type. Name (lower case) → value.
    pub flags: BTreeMap<String, String>,
}

/// A time as written in a calendar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CalTime {
    /// Absolute instant (UTC `Z` times, or TZID resolved to a known zone).
    Instant(Timestamp),
    /// Local wall time with no zone (floating, or a zone that could not be resolved): the
    /// tenant's zone applies.
    Floating(chrono::NaiveDateTime),
    /// All-day (VALUE=DATE).
    Date(chrono::NaiveDate),
}

/// One calendar event (newest version of its UID / RECURRENCE-ID).
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    pub file: Shared,
    /// `line N` of the BEGIN:VEVENT.
    pub position: String,
    pub uid: String,
    pub recurrence_id: Option<String>,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub start: Option<CalTime>,
    pub end: Option<CalTime>,
    /// Upper-cased STATUS (CONFIRMED, TENTATIVE, CANCELLED) or empty.
    pub status: String,
    pub sequence: i64,
    pub last_modified: Option<Timestamp>,
    pub created: Option<Timestamp>,
    pub dtstamp: Option<Timestamp>,
    /// The event repeats (RRULE/RDATE): staff meetings, maintenance — not bookings.
    pub recurring: bool,
    /// Tenant slug when the file belongs to one tenant in the plan.
    pub tenant: Option<String>,
}

/// What kind of Stripe object a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StripeObject {
    Charge,
    Refund,
    PaymentIntent,
    CheckoutSession,
}

impl StripeObject {
    /// `stripe:<object>`, the extractor of evidence read from such an object.
    pub fn extractor(self) -> Shared {
        static NAMES: LazyLock<[Shared; 4]> = LazyLock::new(|| {
            [
                StripeObject::Charge,
                StripeObject::Refund,
                StripeObject::PaymentIntent,
                StripeObject::CheckoutSession,
            ]
            .map(|o| format!("stripe:{}", o.as_str()).into())
        });
        NAMES[self as usize].clone()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StripeObject::Charge => "charge",
            StripeObject::Refund => "refund",
            StripeObject::PaymentIntent => "payment_intent",
            StripeObject::CheckoutSession => "checkout_session",
        }
    }
}

/// One Stripe object, from saved API JSON or a Dashboard CSV row, reduced to what matters.
#[derive(Debug, Clone, PartialEq)]
pub struct StripeRecord {
    pub file: Shared,
    /// `line N` (CSV) or the object's index in the JSON list.
    pub position: String,
    pub object: StripeObject,
    pub id: String,
    /// Connected account (`acct_…`) when known from the folder, plan or a CSV column.
    pub account: Option<String>,
    pub created: Option<Timestamp>,
    /// Minor units of `currency`.
    pub amount: i64,
    pub amount_refunded: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    /// Lower-case Stripe status (`succeeded`, `failed`, `pending`, `complete`, ...); for CSV
    /// rows the Dashboard label mapped to these (Paid → succeeded, Refunded → succeeded with a
    /// full `amount_refunded`).
    pub status: String,
    /// Money was captured (charge paid / PI succeeded / session paid).
    pub paid: bool,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    /// Ids this object points at: a charge's payment intent, a refund's charge and payment
    /// intent, a session's payment intent.
    pub links: Vec<String>,
    /// Tenant slug when the file belongs to one tenant in the plan.
    pub tenant: Option<String>,
}

/// Reads a whole evidence file; an unreadable one becomes a single [`Rejected`] row naming it.
pub(crate) fn read_or_reject(path: &Path, source: Source) -> Result<Vec<u8>, Rejected> {
    std::fs::read(path).map_err(|e| {
        Rejected::new(
            source,
            path.display().to_string(),
            "file",
            crate::error::Error::io(path, e).to_string(),
        )
    })
}
