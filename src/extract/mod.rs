//! Extraction: raw documents → [`Evidence`](crate::evidence::Evidence), driven by the
//! declarative mappings in `mappings/`, with a zero-config fallback.

pub mod amounts;
pub mod dates;
pub mod lexicon;
