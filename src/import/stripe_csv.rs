//! TEMPORARY stub with the agreed API; replaced by the real implementation.
use std::path::Path;

use crate::evidence::Rejected;
use crate::import::StripeRecord;

pub fn read_file(_path: &Path, _account: Option<&str>, _tenant: Option<&str>) -> (Vec<StripeRecord>, Vec<Rejected>) {
    (Vec::new(), Vec::new())
}
