//! The run's summary: counts per source, stage and tenant, and the accounting that proves
//! nothing was lost (every evidence item is in a booking, in review, or rejected).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct TenantCounts {
    pub recovered: usize,
    pub cancelled: usize,
    pub low_confidence: usize,
    pub already_in_database: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Accounting {
    /// Evidence items read (copies included) plus rejected records.
    pub items: usize,
    pub in_bookings: usize,
    pub in_review: usize,
    pub rejected: usize,
    /// `items == in_bookings + in_review + rejected`.
    pub adds_up: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub evidence_items: usize,
    pub evidence_by_source: BTreeMap<String, usize>,
    pub rejected_by_source: BTreeMap<String, usize>,
    pub duplicates_merged: usize,
    pub not_booking: usize,
    pub no_tenant: usize,
    pub candidate_pairs: usize,
    pub clusters: usize,
    pub ambiguous: usize,
    pub unplaced: usize,
    pub bookings_rebuilt: usize,
    pub already_in_database: usize,
    pub booked_before_window: usize,
    pub booked_after_window: usize,
    pub unknown_booked_at: usize,
    pub recovered: usize,
    pub rejected: usize,
    /// Evidence items (copies included) in bookings of any gap decision except unknown date.
    pub items_in_bookings: usize,
    /// Evidence items in bookings sent to review (booking date unknown).
    pub items_in_review_bookings: usize,
    pub in_review: usize,
    pub tenants: BTreeMap<String, TenantCounts>,
    pub accounting: Accounting,
    pub warnings: Vec<String>,
    /// Seconds per stage: printed, never written (outputs must not depend on the clock).
    #[serde(skip)]
    pub timings: Vec<(String, f64)>,
}

impl Summary {
    pub fn finish_accounting(&mut self) {
        let items = self.evidence_items + self.rejected;
        self.accounting = Accounting {
            items,
            in_bookings: self.items_in_bookings,
            in_review: self.in_review,
            rejected: self.rejected,
            adds_up: items == self.items_in_bookings + self.in_review + self.rejected,
        };
    }

    /// The short human summary printed at the end of a run.
    pub fn human(&self) -> String {
        let mut s = String::new();
        let src = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            s,
            "evidence   {} items ({}), {} duplicate copies merged",
            self.evidence_items,
            src(&self.evidence_by_source),
            self.duplicates_merged
        );
        let _ = writeln!(
            s,
            "rejected   {} unreadable records ({})",
            self.rejected,
            src(&self.rejected_by_source)
        );
        let _ = writeln!(
            s,
            "not booking {} (newsletters, bounces, meetings...), no tenant {}",
            self.not_booking, self.no_tenant
        );
        let _ = writeln!(
            s,
            "linked     {} clusters ({} candidate pairs), {} ambiguous items, {} unplaced",
            self.clusters, self.candidate_pairs, self.ambiguous, self.unplaced
        );
        let _ = writeln!(
            s,
            "bookings   {} rebuilt: {} recovered, {} already in database, {} booked before T0, {} after T1, {} date unknown",
            self.bookings_rebuilt, self.recovered, self.already_in_database, self.booked_before_window, self.booked_after_window, self.unknown_booked_at
        );
        for (t, c) in &self.tenants {
            let _ = writeln!(
                s,
                "  {t:<20} {} recovered ({} cancelled, {} low confidence), {} already in database",
                c.recovered, c.cancelled, c.low_confidence, c.already_in_database
            );
        }
        let a = &self.accounting;
        let _ = writeln!(
            s,
            "accounting {} items = {} in bookings + {} in review + {} rejected: {}",
            a.items,
            a.in_bookings,
            a.in_review,
            a.rejected,
            if a.adds_up {
                "adds up"
            } else {
                "DOES NOT ADD UP"
            }
        );
        for w in &self.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        s
    }
}
