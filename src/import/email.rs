//! TEMPORARY stub with the agreed API; replaced by the real implementation.
use std::path::Path;

use crate::evidence::Rejected;
use crate::import::RawMail;

pub struct MailBlob {
    pub file: String,
    pub position: String,
    pub bytes: Vec<u8>,
}
pub fn read_path(
    _path: &Path,
    _sink: &mut dyn FnMut(Result<MailBlob, Rejected>),
) -> crate::Result<()> {
    Ok(())
}
pub fn parse(_blob: &MailBlob) -> Result<RawMail, Rejected> {
    Ok(RawMail::default())
}
