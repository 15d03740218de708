//! Rebuild: one booking per linked cluster of evidence.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::evidence::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Confirmed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Cancelled => "cancelled",
        }
    }
}

/// A rebuilt booking. Every field is the value of one piece of evidence, named in
/// `provenance`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Booking {
    /// Stable id derived from the tenant and the evidence ids (same inputs → same id).
    pub recovered_id: String,
    pub tenant: String,
    pub booking_ref: Option<String>,
    pub status: Status,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub vehicle: Option<String>,
    pub pickup_at: Option<Timestamp>,
    pub return_at: Option<Timestamp>,
    pub pickup_location: Option<String>,
    pub return_location: Option<String>,
    /// Minor units of `currency`.
    pub total: Option<i64>,
    pub currency: String,
    /// Minor units: succeeded Stripe charges (deposit + balance).
    pub amount_paid: i64,
    /// Minor units.
    pub amount_refunded: i64,
    /// When the booking was made: the earliest confirmation, payment or calendar creation.
    pub booked_at: Option<Timestamp>,
    /// Overall confidence in [0, 1].
    pub confidence: f32,
    /// Evidence ids, sorted.
    pub sources: Vec<String>,
    /// Field name → evidence id the value came from.
    pub provenance: BTreeMap<String, String>,
    /// Field name → confidence of that value in [0, 1].
    pub field_confidence: BTreeMap<String, f32>,
}
