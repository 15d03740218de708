//! The evidence schema: one [`Evidence`] per observation, whatever its source.
//!
//! Importers turn files into raw documents ([`crate::import`]); extraction turns each raw
//! document into one `Evidence` with the booking fields it could read ([`crate::extract`]).
//! Everything downstream (link, rebuild, gap, export) works only on this type, so a new source
//! needs an importer and an extractor and nothing else.

use serde::Serialize;

/// Epoch seconds, UTC. Local times are resolved against the tenant's zone at extraction time.
pub type Timestamp = i64;

/// Text that many evidence items hold the same value of (the file they came from, the
/// tenant, the extractor): one allocation per distinct value, shared by reference count, so a
/// million items do not carry a million copies of the same path.
pub type Shared = std::sync::Arc<str>;

/// An ISO 4217 code: a known code borrows the static table entry, only an unknown one
/// allocates (see [`crate::extract::amounts::currency_code`]).
pub type Currency = std::borrow::Cow<'static, str>;

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
#[derive(Debug, Clone, Default, PartialEq)]
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
    pub currency: Option<Currency>,
    /// Money actually captured (Stripe), minor units.
    pub amount_paid: Option<i64>,
    /// Money refunded (Stripe), minor units.
    pub amount_refunded: Option<i64>,
    /// The observation says the booking is cancelled.
    pub cancelled: bool,
    /// Stripe object ids this observation carries or points at (charge, payment intent,
    /// checkout session); used as exact links.
    pub stripe_ids: Vec<String>,
    /// `pickup_at` / `return_at` only know the day (a Stripe description "14–17 Mar"), not
    /// the time: such values are used for linking and only win when nothing better exists.
    pub pickup_day_only: bool,
    pub return_day_only: bool,
    /// Confidence of each extracted field, indexed by [`Field`]; 0 when absent.
    pub conf: [f32; Field::COUNT],
}

/// The booking fields that extraction fills, for per-field confidence and provenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    BookingRef,
    CustomerName,
    CustomerEmail,
    CustomerPhone,
    Vehicle,
    PickupAt,
    ReturnAt,
    PickupLocation,
    ReturnLocation,
    Total,
    Deposit,
}

impl Field {
    pub const COUNT: usize = 11;
    pub const ALL: [Field; Field::COUNT] = [
        Field::BookingRef,
        Field::CustomerName,
        Field::CustomerEmail,
        Field::CustomerPhone,
        Field::Vehicle,
        Field::PickupAt,
        Field::ReturnAt,
        Field::PickupLocation,
        Field::ReturnLocation,
        Field::Total,
        Field::Deposit,
    ];

    /// The name used in mappings and in the `provenance` column.
    pub fn name(self) -> &'static str {
        match self {
            Field::BookingRef => "booking_ref",
            Field::CustomerName => "customer_name",
            Field::CustomerEmail => "customer_email",
            Field::CustomerPhone => "customer_phone",
            Field::Vehicle => "vehicle",
            Field::PickupAt => "pickup_at",
            Field::ReturnAt => "return_at",
            Field::PickupLocation => "pickup_location",
            Field::ReturnLocation => "return_location",
            Field::Total => "total_amount",
            Field::Deposit => "deposit",
        }
    }

    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| f.name() == name || (name == "total" && *f == Field::Total))
    }
}

impl Fields {
    pub fn has(&self, f: Field) -> bool {
        match f {
            Field::BookingRef => self.booking_ref.is_some(),
            Field::CustomerName => self.customer_name.is_some(),
            Field::CustomerEmail => self.customer_email.is_some(),
            Field::CustomerPhone => self.customer_phone.is_some(),
            Field::Vehicle => self.vehicle.is_some(),
            Field::PickupAt => self.pickup_at.is_some(),
            Field::ReturnAt => self.return_at.is_some(),
            Field::PickupLocation => self.pickup_location.is_some(),
            Field::ReturnLocation => self.return_location.is_some(),
            Field::Total => self.total.is_some(),
            Field::Deposit => self.deposit.is_some(),
        }
    }

    pub fn confidence(&self, f: Field) -> f32 {
        self.conf[f as usize]
    }
}

/// One observation of a booking (or of something that turned out not to be one).
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Stable, human-checkable id: `stripe:ch_…`, `calendar:<UID>`, `email:<Message-ID>`.
    pub id: String,
    pub source: Source,
    pub kind: Kind,
    /// The plan's tenant slug, when known.
    pub tenant: Option<Shared>,
    /// When the observation was made (mail Date, event LAST-MODIFIED, charge created): the
    /// newest observation of a field wins.
    pub observed_at: Option<Timestamp>,
    /// When the source first saw the booking (event CREATED, confirmation Date, charge
    /// created): the earliest one is the booking's `booked_at`.
    pub first_seen: Option<Timestamp>,
    /// Provenance: the file and the position inside it (line, message-id, UID, charge id).
    pub file: Shared,
    pub position: String,
    /// Which mapping read it (`mapping:<name>`, `fallback`, `stripe:metadata`, ...).
    pub extractor: Shared,
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
