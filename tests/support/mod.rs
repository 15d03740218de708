//! Test support shared by the integration tests, the benchmark and `examples/synth.rs`:
//! the synthetic-world generator ([`synth`]) and the evaluator ([`eval`]). Included with
//! `mod support;` or `#[path = "../tests/support/mod.rs"] mod support;`, so nothing here uses
//! `crate::` paths, and each includer uses only part of it.
#![allow(dead_code)]

pub mod eval;
pub mod synth;
