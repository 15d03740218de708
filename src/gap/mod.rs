//! TEMPORARY stub with the agreed API; replaced by the real implementation.
use std::path::Path;

use crate::plan::Plan;
use crate::rebuild::Booking;

pub struct TargetMapping;
impl TargetMapping {
    pub fn load(_p: &Path) -> crate::Result<TargetMapping> {
        Ok(TargetMapping)
    }
}
#[derive(Default)]
pub struct Existing {
    pub warnings: Vec<String>,
}
pub fn read_sqlite(_db: &Path, _m: &TargetMapping, _plan: &Plan) -> crate::Result<Existing> {
    Ok(Existing::default())
}
#[derive(Debug, Clone, PartialEq)]
pub enum GapDecision {
    Recovered,
    AlreadyInDatabase { matched_on: String },
    BookedBeforeWindow,
    BookedAfterWindow,
    UnknownBookedAt,
}
pub fn classify(b: &Booking, _e: &Existing, plan: &Plan) -> GapDecision {
    match b.booked_at {
        None => GapDecision::UnknownBookedAt,
        Some(t) if t <= plan.window.since.timestamp() => GapDecision::BookedBeforeWindow,
        Some(t) if t > plan.window.until.timestamp() => GapDecision::BookedAfterWindow,
        _ => GapDecision::Recovered,
    }
}
