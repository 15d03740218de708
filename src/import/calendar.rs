//! TEMPORARY stub with the agreed API; replaced by the real implementation.
use std::path::Path;

use crate::evidence::Rejected;
use crate::import::RawEvent;

pub fn read_file(_path: &Path, _tenant: Option<&str>) -> (Vec<RawEvent>, Vec<Rejected>) {
    (Vec::new(), Vec::new())
}
