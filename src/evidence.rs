//! The evidence schema: one [`Evidence`] per observation, whatever its source.
//!
//! Importers turn files into raw documents ([`crate::import`]); extraction turns each raw
//! document into one `Evidence` with the booking fields it could read ([`crate::extract`]).
//! Everything downstream (link, rebuild, gap, export) works only on this type, so a new source
//! needs an importer and an extractor and nothing else.

use serde::Serialize;

/// Epoch seconds, UTC. Local times are resolved against the tenant's zone at extraction time.
pub type Timestamp = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Stripe,
    Calendar,
    Email,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Stripe => "stripe",
            Source::Calendar => "calendar",
            Source::Email => "email",
        }
    }
}

/// What an observation says about its booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Confirmation,
    Modification,
    Cancellation,
    Reminder,
    Receipt,
    /// A Stripe charge, payment intent or checkout session.
    Payment,
    /// A Stripe refund.
    Refund,
    /// A calendar event (its STATUS may still say cancelled: see `Fields::cancelled`).
    CalendarEvent,
    /// Evidence that is not about a booking (newsletter, bounce, staff meeting, ...).
    NotBooking,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Confirmation => "confirmation",
            Kind::Modification => "modification",
            Kind::Cancellation => "cancellation",
            Kind::Reminder => "reminder",
            Kind::Receipt => "receipt",
            Kind::Payment => "payment",
            Kind::Refund => "refund",
            Kind::CalendarEvent => "calendar_event",
            Kind::NotBooking => "not_booking",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "confirmation" => Kind::Confirmation,
            "modification" => Kind::Modification,
            "cancellation" => Kind::Cancellation,
            "reminder" => Kind::Reminder,
            "receipt" => Kind::Receipt,
            "payment" => Kind::Payment,
            "refund" => Kind::Refund,
            "calendar_event" => Kind::CalendarEvent,
            "not_booking" => Kind::NotBooking,
            _ => return None,
        })
    }
}

/// Booking fields read from one observation. Every field is optional: a charge knows the amount
/// but rarely the vehicle, a calendar title knows the vehicle but rarely the e-mail address.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Fields {
    pub booking_ref: Option<String>,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub vehicle: Option<String>,
    pub pickup_at: Option<Timestamp>,
    pub return_at: Option<Timestamp>,
    pub pickup_location: Option<String>,
    pub return_location: Option<String>,
    /// Booking total in minor units of `currency`.
    pub total: Option<i64>,
    /// Deposit (down payment) in minor units.
    pub deposit: Option<i64>,
    /// ISO 4217, upper case.
    pub currency: Option<String>,
    /// Money actually captured (Stripe), minor units.
    pub amount_paid: Option<i64>,
    /// Money refunded (Stripe), minor units.
    pub amount_refunded: Option<i64>,
    /// The observation says the booking is cancelled.
    pub cancelled: bool,
    /// Stripe object ids this observation carries or points at (charge, payment intent,
    /// checkout session); used as exact links.
    pub stripe_ids: Vec<String>,
}

/// One observation of a booking (or of something that turned out not to be one).
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Stable, human-checkable id: `stripe:ch_…`, `calendar:<UID>`, `email:<Message-ID>`.
    pub id: String,
    pub source: Source,
    pub kind: Kind,
    /// The plan's tenant slug, when known.
    pub tenant: Option<String>,
    /// When the observation was made (mail Date, event LAST-MODIFIED, charge created).
    pub observed_at: Option<Timestamp>,
    /// Provenance: the file and the position inside it (line, message-id, UID, charge id).
    pub file: String,
    pub position: String,
    /// Which mapping read it (`mapping:<name>`, `fallback`, `stripe:metadata`, ...).
    pub extractor: String,
    /// How much the extraction is trusted, in [0, 1].
    pub confidence: f32,
    pub fields: Fields,
    /// Why the item is not booking evidence (only for `Kind::NotBooking`).
    pub note: Option<String>,
}

/// Input that could not be read. Goes to `rejected.csv`; the run goes on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Rejected {
    pub source: Source,
    pub file: String,
    /// Line, message number/Message-ID, event UID or Stripe id.
    pub position: String,
    pub reason: String,
}

impl Rejected {
    pub fn new(
        source: Source,
        file: impl Into<String>,
        position: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Rejected {
            source,
            file: file.into(),
            position: position.into(),
            reason: reason.into(),
        }
    }
}
