//! The language's tests: diagnostics, plans, evaluation, formatting and grammar coverage, and
//! the crate's module edges (`architecture`).
//!
//! Snapshots live in `tests/lang/snapshots/`; review changes with `cargo insta review`.

mod architecture;
mod diagnostics;
mod eval;
mod format;
mod grammar;
mod support;
