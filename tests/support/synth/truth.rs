//! Ground truth (`truth.json`): every booking's final state, whether it is a gap booking,
//! whether the restored database has it, whether it can be recovered at all, and the ids of
//! the evidence items that belong to it. gapfill never reads this file.

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// T0, RFC 3339.
    pub since: String,
    /// T1, RFC 3339.
    pub until: String,
    pub bookings: Vec<TruthBooking>,
    /// Evidence ids that belong to no booking (newsletters, bounces, staff meetings, ...).
    pub noise: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthBooking {
    pub tenant: String,
    pub booking_ref: String,
    /// `confirmed` or `cancelled`.
    pub status: String,
    pub customer_name: String,
    pub customer_email: String,
    pub customer_phone: String,
    pub vehicle: String,
    /// RFC 3339 with the tenant's UTC offset.
    pub pickup_at: String,
    pub return_at: String,
    pub pickup_location: String,
    pub return_location: String,
    /// Decimal in major units (`1234.50`, JPY `12000`).
    pub total: String,
    pub currency: String,
    /// Captured in Stripe by T1 (counter payments are invisible to the evidence).
    pub amount_paid: String,
    pub amount_refunded: String,
    pub booked_at: String,
    /// booked_at in (T0, T1].
    pub in_gap: bool,
    pub in_restored_db: bool,
    /// In the gap and at least one evidence item names the pick-up date together with the
    /// reference or the customer's name.
    pub recoverable: bool,
    /// Sorted evidence ids (`stripe:…`, `email:…`, `calendar:…`).
    pub evidence: Vec<String>,
}

impl Truth {
    pub fn load(path: &Path) -> std::io::Result<Truth> {
        let text = std::fs::read_to_string(path)?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }

    pub fn gap(&self) -> impl Iterator<Item = &TruthBooking> {
        self.bookings.iter().filter(|b| b.in_gap)
    }

    pub fn recoverable(&self) -> impl Iterator<Item = &TruthBooking> {
        self.bookings.iter().filter(|b| b.recoverable)
    }
}
