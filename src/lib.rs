//! gapfill: rebuilds lost booking records from Stripe, calendar and e-mail evidence.
//!
//! The modules follow the data: [`import`] → [`extract`] → [`link`] → [`rebuild`] → [`gap`] →
//! [`export`] → [`report`]; [`pipeline`] runs them in that order. See ARCHITECTURE.md.

pub mod error;
pub mod evidence;
pub mod extract;
pub mod gap;
pub mod import;
pub mod plan;
pub mod rebuild;

pub use error::{Error, Result};
