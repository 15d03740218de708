//! gapfill: rebuilds lost booking records from Stripe, calendar and e-mail evidence.
//!
//! The modules follow the data: [`import`] → [`extract`] → [`link`] → [`rebuild`] → [`gap`] →
//! [`export`] → [`report`]; [`pipeline`] runs them in that order. See ARCHITECTURE.md.

pub mod cli;
pub mod error;
pub mod evidence;
pub mod export;
pub mod extract;
pub mod gap;
pub mod import;
pub mod link;
pub mod load;
pub mod pipeline;
pub mod plan;
pub mod progress;
pub mod rebuild;
pub mod report;
#[cfg(test)]
mod testutil;

pub use error::{Error, Result};
