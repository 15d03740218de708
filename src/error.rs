//! Library errors. Every variant names the file (and where it helps, the record) so that a
//! message at 3 a.m. says where to look without a debugger.

use std::path::PathBuf;

/// Errors that stop a run. Errors in single evidence records never become an `Error`: they
/// become [`crate::evidence::Rejected`] rows and the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("mapping {path}: {message}")]
    Mapping { path: PathBuf, message: String },
    #[error("database {what}: {message}")]
    Database { what: String, message: String },
    #[error("pipeline: {0}")]
    Pipeline(String),
    #[error("cannot write {path}: {message}")]
    Output { path: PathBuf, message: String },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<polars::error::PolarsError> for Error {
    fn from(e: polars::error::PolarsError) -> Self {
        Error::Pipeline(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
